// SPDX-License-Identifier: MIT
/* offload_check.c — a large or checksum-less packet checked against its description, or its description inferred */
#include "proto/checksum.h"
#include "proto/offload.h"

/*
 * struct ipv4_l4 - where the layers of an unfragmented IPv4 TCP or UDP packet are
 * @ihl: IPv4 header bytes
 * @l4_hdr: TCP or UDP header bytes
 * @proto: IPPROTO_TCP_ or IPPROTO_UDP_; 0 for any other protocol
 */
struct ipv4_l4 {
	size_t ihl, l4_hdr;
	uint8_t proto;
};

/*
 * read_ipv4() - the headers of an IPv4 packet in @frame, whose frame is cut to its IPv4
 * length when longer (Ethernet padding)
 * Return: DROP_NONE (@l->proto 0 for a fragment or another protocol), DROP_IP_MALFORMED,
 * or DROP_GSO_TYPE when it is not IPv4 at all.
 */
static enum drop_reason read_ipv4(const uint8_t *frame, uint32_t *len, struct ipv4_l4 *l)
{
	const uint8_t *ip = frame + ETH_HDR_LEN, *l4;
	size_t tot, l4_len;

	*l = (struct ipv4_l4){0};
	if (*len < ETH_HDR_LEN + IPV4_HDR_LEN || be16(frame + 12) != ETHERTYPE_IPV4 ||
	    (ip[0] >> 4) != 4)
		return DROP_GSO_TYPE;
	l->ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	if (l->ihl < IPV4_HDR_LEN || tot < l->ihl || tot > *len - ETH_HDR_LEN)
		return DROP_IP_MALFORMED;
	*len = (uint32_t)(ETH_HDR_LEN + tot);
	if (be16(ip + 6) & IPV4_FRAGMENT_MASK)
		return DROP_NONE;
	l4 = ip + l->ihl;
	l4_len = tot - l->ihl;
	if (ip[9] == IPPROTO_TCP_) {
		if (l4_len < TCP_MIN_HDR_LEN)
			return DROP_IP_MALFORMED;
		l->l4_hdr = (size_t)(l4[12] >> 4) * 4;
		if (l->l4_hdr < TCP_MIN_HDR_LEN || l->l4_hdr > l4_len)
			return DROP_IP_MALFORMED;
	} else if (ip[9] == IPPROTO_UDP_) {
		if (l4_len < UDP_HDR_LEN || be16(l4 + 4) != l4_len)
			return DROP_IP_MALFORMED;
		l->l4_hdr = UDP_HDR_LEN;
	} else {
		return DROP_NONE;
	}
	l->proto = ip[9];
	return DROP_NONE;
}

/* The GSO rules: IPv4 TCP, no SYN, RST or URG, segments within the MTU. */
static enum drop_reason check_gso(const uint8_t *frame, uint32_t len, size_t max_frame,
				  const struct ipv4_l4 *l, struct offload_info *info)
{
	uint8_t flags;

	if (info->gso != GSO_TCP4 || l->proto != IPPROTO_TCP_)
		return DROP_GSO_TYPE;
	/* Linux's GSO copies every flag but FIN, PSH and CWR to each segment */
	flags = frame[ETH_HDR_LEN + l->ihl + 13];
	if (flags & (TCP_SYN | TCP_RST | TCP_URG))
		return DROP_GSO_TYPE;
	if (info->gso_size == 0 || info->hdr_len + (size_t)info->gso_size > max_frame)
		return DROP_GSO_SIZE;
	if (len - info->hdr_len <= info->gso_size)
		info->gso = GSO_NONE; /* one segment: a plain packet (the kernel does the same) */
	return DROP_NONE;
}

enum drop_reason offload_check(const uint8_t *frame, uint32_t *len, size_t max_frame,
			       struct offload_info *info)
{
	struct ipv4_l4 l;
	enum drop_reason why;

	if (!offload_any(info))
		return *len > max_frame ? DROP_OVERSIZE : DROP_NONE;
	if (info->gso != GSO_NONE && !info->needs_csum)
		return DROP_VNET_FLAGS;
	why = read_ipv4(frame, len, &l);
	if (why != DROP_NONE)
		return why == DROP_GSO_TYPE && info->gso == GSO_NONE ? DROP_CSUM_OFFLOAD : why;
	if (!l.proto)
		return info->gso != GSO_NONE ? DROP_GSO_TYPE : DROP_CSUM_OFFLOAD;
	if (info->csum_start != ETH_HDR_LEN + l.ihl ||
	    info->csum_offset != (l.proto == IPPROTO_TCP_ ? 16 : 6))
		return DROP_CSUM_OFFLOAD;
	info->hdr_len = (uint16_t)(ETH_HDR_LEN + l.ihl + l.l4_hdr);
	if (info->gso != GSO_NONE)
		return check_gso(frame, *len, max_frame, &l, info);
	return *len > max_frame ? DROP_OVERSIZE : DROP_NONE;
}

/* The pseudo-header sum a partial checksum of this packet holds. */
static uint16_t pseudo_sum(const uint8_t *frame, size_t len, const struct offload_info *info)
{
	const uint8_t *ip = frame + ETH_HDR_LEN;

	return checksum_fold(checksum_pseudo_ipv4(ip, ip[9], (uint16_t)(len - info->csum_start)));
}

bool offload_partial_ok(const uint8_t *frame, size_t len, const struct offload_info *info)
{
	return be16(frame + info->csum_start + info->csum_offset) == pseudo_sum(frame, len, info);
}

enum drop_reason offload_infer(uint8_t *frame, uint32_t *len, size_t max_frame,
			       struct offload_info *info)
{
	uint32_t cut = *len;
	struct ipv4_l4 l;
	enum drop_reason why = read_ipv4(frame, &cut, &l);
	uint8_t *field;

	*info = (struct offload_info){.gso = GSO_NONE};
	if (*len <= max_frame) {
		/* a checksum that may be partial: TCP, or UDP with a checksum (0 is "none") */
		if (why != DROP_NONE || !l.proto ||
		    (l.proto == IPPROTO_UDP_ && be16(frame + ETH_HDR_LEN + l.ihl + 6) == 0))
			return DROP_NONE; /* the guard judges it as it is */
		*info = (struct offload_info){.needs_csum = true,
					      .csum_start = (uint16_t)(ETH_HDR_LEN + l.ihl),
					      .csum_offset = l.proto == IPPROTO_TCP_ ? 16 : 6};
		if (!offload_partial_ok(frame, cut, info)) {
			*info = (struct offload_info){.gso = GSO_NONE};
			return DROP_NONE; /* whole, or wrong: as it is, as without offload */
		}
		*len = cut;
		return offload_check(frame, len, max_frame, info);
	}
	if (why != DROP_NONE)
		return why;
	if (l.proto != IPPROTO_TCP_ || cut != *len)
		return DROP_GSO_TYPE;
	*info = (struct offload_info){.gso = GSO_TCP4, .needs_csum = true,
				      .csum_start = (uint16_t)(ETH_HDR_LEN + l.ihl),
				      .csum_offset = 16};
	if (l.ihl + l.l4_hdr >= max_frame - ETH_HDR_LEN)
		return DROP_GSO_SIZE;
	info->gso_size = (uint16_t)(max_frame - ETH_HDR_LEN - l.ihl - l.l4_hdr);
	field = frame + info->csum_start + 16;
	if (!offload_partial_ok(frame, *len, info)) {
		uint16_t l4_len = (uint16_t)(*len - info->csum_start);

		/* whole: made partial, for the host to cut */
		if (checksum_final(checksum_add(checksum_pseudo_ipv4(frame + ETH_HDR_LEN,
								      IPPROTO_TCP_, l4_len),
						frame + info->csum_start, l4_len)) != 0)
			return DROP_CSUM_OFFLOAD;
		put_be16(field, pseudo_sum(frame, *len, info));
	}
	return offload_check(frame, len, max_frame, info);
}

void offload_finish_csum(uint8_t *frame, size_t len, const struct offload_info *info)
{
	uint16_t c;

	if (!info->needs_csum)
		return;
	c = checksum_final(checksum_add(0, frame + info->csum_start, len - info->csum_start));
	/* 0 is written 0xffff for UDP only (RFC 768: 0 is "no checksum"; TCP has no such case) */
	put_be16(frame + info->csum_start + info->csum_offset,
		 c || info->csum_offset != 6 ? c : 0xffff);
}
