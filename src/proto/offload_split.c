// SPDX-License-Identifier: MIT
/* offload_split.c — a large TCP or UDP packet cut into frames of the VM's MTU (the host's; a VM's IPv6 TSO for libslirp) */
#include <string.h>

#include "proto/checksum.h"
#include "proto/offload.h"

/* The IPv6 header of a GSO_TCP6 packet: TCP right after it, its payload the rest. */
static bool ipv6_tcp_whole(const struct packet_splitter *s)
{
	const uint8_t *ip6 = s->pkt + ETH_HDR_LEN;

	return s->len >= ETH_HDR_LEN + IPV6_HDR_LEN + TCP_MIN_HDR_LEN &&
	       be16(s->pkt + 12) == ETHERTYPE_IPV6 && (ip6[0] >> 4) == 6 &&
	       ip6[6] == IPPROTO_TCP_ && be16(ip6 + 4) == s->len - ETH_HDR_LEN - IPV6_HDR_LEN;
}

/*
 * check_gso() - the headers of a GSO packet are whole and describe IPv4 TCP or UDP, or IPv6
 * TCP without extension headers (a VM's GSO_TCP6, see offload_check.c)
 */
static enum drop_reason check_gso(struct packet_splitter *s, size_t max_frame)
{
	const uint8_t *ip = s->pkt + ETH_HDR_LEN;
	uint8_t proto = s->info.gso == GSO_UDP4 ? IPPROTO_UDP_ : IPPROTO_TCP_;
	size_t l4_min = proto == IPPROTO_TCP_ ? TCP_MIN_HDR_LEN : UDP_HDR_LEN, l4_hdr_len, hdr_len;

	if (s->info.gso == GSO_TCP6) {
		if (!ipv6_tcp_whole(s) || s->info.gso_size == 0)
			return DROP_IP_MALFORMED;
		s->ip_hdr_len = IPV6_HDR_LEN;
	} else if (s->len < ETH_HDR_LEN + IPV4_HDR_LEN + l4_min ||
		   be16(s->pkt + 12) != ETHERTYPE_IPV4 || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5 ||
		   ip[9] != proto || (be16(ip + 6) & IPV4_FRAGMENT_MASK) || s->info.gso_size == 0) {
		return DROP_IP_MALFORMED;
	} else {
		s->ip_hdr_len = (size_t)(ip[0] & 0xf) * 4;
	}
	if (s->len < ETH_HDR_LEN + s->ip_hdr_len + l4_min)
		return DROP_IP_MALFORMED;
	l4_hdr_len = proto == IPPROTO_TCP_ ? (size_t)(ip[s->ip_hdr_len + 12] >> 4) * 4 : UDP_HDR_LEN;
	hdr_len = ETH_HDR_LEN + s->ip_hdr_len + l4_hdr_len;
	if (l4_hdr_len < l4_min || hdr_len >= s->len)
		return DROP_IP_MALFORMED;
	if (hdr_len + s->info.gso_size > max_frame)
		return DROP_OVERSIZE;
	s->info.hdr_len = (uint16_t)hdr_len; /* the kernel's hdr_len is only a hint */
	s->next = hdr_len;
	return DROP_NONE;
}

enum drop_reason packet_split_start(struct packet_splitter *s, const uint8_t *pkt, size_t len,
				    const struct offload_info *info, size_t max_frame)
{
	*s = (struct packet_splitter){.pkt = pkt, .len = len, .info = *info};
	if (info->gso == GSO_TCP4 || info->gso == GSO_UDP4 || info->gso == GSO_TCP6)
		return check_gso(s, max_frame);
	if (info->gso != GSO_NONE)
		return DROP_IP_MALFORMED;
	if (len > max_frame)
		return DROP_OVERSIZE;
	if (info->needs_csum && ((size_t)info->csum_start + info->csum_offset + 2 > len ||
				 info->csum_start < ETH_HDR_LEN))
		return DROP_IP_MALFORMED;
	return DROP_NONE;
}

/*
 * l4_checksum() - the checksum to store: UDP's 0 as 0xffff (RFC 768: 0 means "no checksum"),
 * TCP's as it is (RFC 9293 has no such case, and Linux's TCP stores 0)
 */
static uint16_t l4_checksum(uint8_t proto, uint64_t sum)
{
	uint16_t c = checksum_final(sum);

	return c || proto != IPPROTO_UDP_ ? c : 0xffff;
}

/* one_frame() - the packet as it is, its checksum completed if it was left to us */
static size_t one_frame(struct packet_splitter *s, uint8_t *out)
{
	if (out != s->pkt)
		memcpy(out, s->pkt, s->len);
	if (s->info.needs_csum) {
		uint8_t *field = out + s->info.csum_start + s->info.csum_offset;

		/* the field holds the pseudo-header sum, so it is summed along; UDP's is 6 bytes
		 * into its header, TCP's 16 */
		put_be16(field, l4_checksum(s->info.csum_offset == 6 ? IPPROTO_UDP_ : IPPROTO_TCP_,
					    checksum_add(0, out + s->info.csum_start,
							 s->len - s->info.csum_start)));
	}
	s->done = true;
	return s->len;
}

/* tcp_segment() - sequence number and flags of the @s->index-th segment at @tcp */
static void tcp_segment(const struct packet_splitter *s, uint8_t *tcp, bool last)
{
	put_be32(tcp + 4, be32(tcp + 4) + (uint32_t)(s->next - s->info.hdr_len));
	if (!last)
		tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (s->index > 0)
		tcp[13] &= (uint8_t)~TCP_CWR;
}

size_t packet_split_next(struct packet_splitter *s, uint8_t *out, size_t out_cap)
{
	size_t hdr_len = s->info.hdr_len, data, l4_len;
	uint8_t *ip = out + ETH_HDR_LEN, *l4 = ip + s->ip_hdr_len;
	bool last, tcp = s->info.gso != GSO_UDP4, v6 = s->info.gso == GSO_TCP6;
	uint8_t proto;
	uint64_t pseudo;
	size_t csum_at = tcp ? 16 : 6;

	if (s->done)
		return 0;
	if (s->info.gso == GSO_NONE)
		return out_cap >= s->len ? one_frame(s, out) : 0;

	data = s->len - s->next < s->info.gso_size ? s->len - s->next : s->info.gso_size;
	last = s->next + data == s->len;
	if (hdr_len + data > out_cap)
		return 0;
	memcpy(out, s->pkt, hdr_len);
	memcpy(out + hdr_len, s->pkt + s->next, data);
	l4_len = hdr_len - ETH_HDR_LEN - s->ip_hdr_len + data;

	if (v6) { /* no header checksum, no identification: the payload length alone */
		put_be16(ip + 4, (uint16_t)l4_len);
		proto = ip[6];
		pseudo = checksum_pseudo_ipv6(ip, proto, (uint32_t)l4_len);
	} else {
		put_be16(ip + 2, (uint16_t)(s->ip_hdr_len + l4_len));
		put_be16(ip + 4, (uint16_t)(be16(ip + 4) + s->index));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, checksum_final(checksum_add(0, ip, s->ip_hdr_len)));
		proto = ip[9];
		pseudo = checksum_pseudo_ipv4(ip, proto, (uint16_t)l4_len);
	}
	if (tcp)
		tcp_segment(s, l4, last);
	else
		put_be16(l4 + 4, (uint16_t)l4_len);
	put_be16(l4 + csum_at, 0);
	put_be16(l4 + csum_at, l4_checksum(proto, checksum_add(pseudo, l4, l4_len)));
	s->next += data;
	s->index++;
	s->done = last;
	return hdr_len + data;
}
