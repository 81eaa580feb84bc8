// SPDX-License-Identifier: MIT
/* offload_check.c — a large or checksum-less packet checked against its description, or its description inferred */
#include "proto/checksum.h"
#include "proto/offload.h"

/*
 * struct ip_l4 - where the layers of an unfragmented IPv4, or IPv6, TCP or UDP packet are
 * @ihl: IP header bytes (IPv6: its fixed header, 40)
 * @l4_hdr: TCP or UDP header bytes
 * @proto: IPPROTO_TCP_ or IPPROTO_UDP_; 0 for any other protocol
 * @v6: the packet is IPv6
 */
struct ip_l4 {
	size_t ihl, l4_hdr;
	uint8_t proto;
	bool v6;
};

/* The TCP or UDP header of @l4_len bytes at @l4, into @l (its proto 0 for another @proto). */
static enum drop_reason read_l4(const uint8_t *l4, size_t l4_len, uint8_t proto,
				struct ip_l4 *l)
{
	if (proto == IPPROTO_TCP_) {
		if (l4_len < TCP_MIN_HDR_LEN)
			return DROP_IP_MALFORMED;
		l->l4_hdr = (size_t)(l4[12] >> 4) * 4;
		if (l->l4_hdr < TCP_MIN_HDR_LEN || l->l4_hdr > l4_len)
			return DROP_IP_MALFORMED;
	} else if (proto == IPPROTO_UDP_) {
		if (l4_len < UDP_HDR_LEN || be16(l4 + 4) != l4_len)
			return DROP_IP_MALFORMED;
		l->l4_hdr = UDP_HDR_LEN;
	} else {
		return DROP_NONE;
	}
	l->proto = proto;
	return DROP_NONE;
}

/*
 * read_ipv6() - the fixed header of an IPv6 packet and the TCP or UDP header right after
 * it; the frame cut to its payload length when longer (Ethernet padding)
 *
 * A packet with extension headers is not offloadable here (@l->proto 0): a Routing header
 * changes the destination the pseudo-header sums (RFC 8200 8.1), a Fragment header makes a
 * packet that cannot be cut, and the checks of csum_start would have to walk the chain the
 * guard walks again. Linux's TCP and UDP send none unless a socket asks for them (sticky
 * IPV6_HOPOPTS/RTHDR/DSTOPTS, IPsec), so nothing a guest offloads is lost by that: such a
 * packet is refused when its header claims an offload (DROP_GSO_TYPE, DROP_CSUM_OFFLOAD),
 * and passes as it is, for the guard to judge, when nothing says so (krunkit's headerless
 * frames, offload_infer()) — as an IPv4 fragment does.
 */
static enum drop_reason read_ipv6(const uint8_t *frame, uint32_t *len, struct ip_l4 *l)
{
	const uint8_t *ip6 = frame + ETH_HDR_LEN;
	size_t plen;

	if (*len < ETH_HDR_LEN + IPV6_HDR_LEN || (ip6[0] >> 4) != 6)
		return DROP_GSO_TYPE;
	l->v6 = true;
	l->ihl = IPV6_HDR_LEN;
	plen = be16(ip6 + 4); /* 0 only in a jumbogram, which needs a Hop-by-Hop header */
	if (plen > *len - ETH_HDR_LEN - IPV6_HDR_LEN)
		return DROP_IP_MALFORMED;
	*len = (uint32_t)(ETH_HDR_LEN + IPV6_HDR_LEN + plen);
	return read_l4(ip6 + IPV6_HDR_LEN, plen, ip6[6], l);
}

/*
 * read_ip() - the headers of an IPv4 or IPv6 packet in @frame, whose frame is cut to its IP
 * length when longer (Ethernet padding)
 * Return: DROP_NONE (@l->proto 0 for a fragment, IPv6 extension headers or another
 * protocol), DROP_IP_MALFORMED, or DROP_GSO_TYPE when it is not IP at all.
 */
static enum drop_reason read_ip(const uint8_t *frame, uint32_t *len, struct ip_l4 *l)
{
	const uint8_t *ip = frame + ETH_HDR_LEN;
	size_t tot;

	*l = (struct ip_l4){0};
	if (*len >= ETH_HDR_LEN && be16(frame + 12) == ETHERTYPE_IPV6)
		return read_ipv6(frame, len, l);
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
	return read_l4(ip + l->ihl, tot - l->ihl, ip[9], l);
}

/* The GSO rules: TCP of the family the type names, no SYN, RST or URG, segments within the MTU. */
static enum drop_reason check_gso(const uint8_t *frame, uint32_t len, size_t max_frame,
				  const struct ip_l4 *l, struct offload_info *info)
{
	uint8_t flags;

	if (info->gso != (l->v6 ? GSO_TCP6 : GSO_TCP4) || l->proto != IPPROTO_TCP_)
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
	struct ip_l4 l;
	enum drop_reason why;

	if (!offload_any(info))
		return *len > max_frame ? DROP_OVERSIZE : DROP_NONE;
	if (info->gso != GSO_NONE && !info->needs_csum)
		return DROP_VNET_FLAGS;
	why = read_ip(frame, len, &l);
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
	size_t l4_len = len - info->csum_start;

	/* offload_check() let through IPv6 only with TCP or UDP right after its fixed header */
	if (be16(frame + 12) == ETHERTYPE_IPV6)
		return checksum_fold(checksum_pseudo_ipv6(ip, ip[6], (uint32_t)l4_len));
	return checksum_fold(checksum_pseudo_ipv4(ip, ip[9], (uint16_t)l4_len));
}

bool offload_partial_ok(const uint8_t *frame, size_t len, const struct offload_info *info)
{
	return be16(frame + info->csum_start + info->csum_offset) == pseudo_sum(frame, len, info);
}

enum drop_reason offload_infer(uint8_t *frame, uint32_t *len, size_t max_frame,
			       struct offload_info *info)
{
	uint32_t cut = *len;
	struct ip_l4 l;
	enum drop_reason why = read_ip(frame, &cut, &l);
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
	*info = (struct offload_info){.gso = l.v6 ? GSO_TCP6 : GSO_TCP4, .needs_csum = true,
				      .csum_start = (uint16_t)(ETH_HDR_LEN + l.ihl),
				      .csum_offset = 16};
	if (l.ihl + l.l4_hdr >= max_frame - ETH_HDR_LEN)
		return DROP_GSO_SIZE;
	info->gso_size = (uint16_t)(max_frame - ETH_HDR_LEN - l.ihl - l.l4_hdr);
	field = frame + info->csum_start + 16;
	if (!offload_partial_ok(frame, *len, info)) {
		uint16_t l4_len = (uint16_t)(*len - info->csum_start);
		const uint8_t *ip = frame + ETH_HDR_LEN;
		uint64_t pseudo = l.v6 ? checksum_pseudo_ipv6(ip, IPPROTO_TCP_, l4_len)
				       : checksum_pseudo_ipv4(ip, IPPROTO_TCP_, l4_len);

		/* whole: made partial, for the host to cut */
		if (checksum_final(checksum_add(pseudo, frame + info->csum_start, l4_len)) != 0)
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
