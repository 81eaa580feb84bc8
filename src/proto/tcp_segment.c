// SPDX-License-Identifier: MIT
/* tcp_segment.c — a TCP segment checked as a server would, and segments made after one's model */
#include "proto/tcp_segment.h"

#include <string.h>

#include "proto/checksum.h"

bool tcp_segment_checksums_ok(const struct frame_view *v)
{
	size_t tcp_len = v->ip_total_len - v->ip_hdr_len;

	if (v->ip6) /* no header checksum in IPv6 */
		return checksum_final(checksum_add(checksum_pseudo_ipv6(v->ip6, IPPROTO_TCP_,
									 (uint32_t)tcp_len),
						   v->l4, tcp_len)) == 0;
	if (checksum_final(checksum_add(0, v->ip, v->ip_hdr_len)) != 0)
		return false;
	return checksum_final(checksum_add(checksum_pseudo_ipv4(v->ip, IPPROTO_TCP_,
								 (uint16_t)tcp_len),
					   v->l4, tcp_len)) == 0;
}

/* The IP header of a segment made after @tmpl: its lengths (and IPv4's id and checksum). */
static void fill_ip(const struct frame_view *tmpl, uint8_t *ip, size_t l4_len, uint16_t id)
{
	if (tmpl->ip6) { /* the extension headers the template had are in the payload length */
		put_be16(ip + 4, (uint16_t)(tmpl->ip_hdr_len - IPV6_HDR_LEN + l4_len));
		return;
	}
	put_be16(ip + 2, (uint16_t)(tmpl->ip_hdr_len + l4_len));
	put_be16(ip + 4, id);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, tmpl->ip_hdr_len)));
}

static uint64_t pseudo_header(const struct frame_view *tmpl, const uint8_t *ip, size_t l4_len)
{
	return tmpl->ip6 ? checksum_pseudo_ipv6(ip, IPPROTO_TCP_, (uint32_t)l4_len)
			 : checksum_pseudo_ipv4(ip, IPPROTO_TCP_, (uint16_t)l4_len);
}

size_t tcp_segments_build(const struct frame_view *tmpl, uint32_t seq, const uint8_t *data,
			  size_t len, size_t mss, bool fin, uint8_t *out, size_t out_cap,
			  struct frame_ref *refs, size_t refs_max)
{
	size_t tcp_hdr = (size_t)(tmpl->l4[12] >> 4) * 4;
	size_t hdrs = ETH_HDR_LEN + tmpl->ip_hdr_len + tcp_hdr, made = 0, used = 0;
	uint16_t id = tmpl->ip ? be16(tmpl->ip + 4) : 0;

	while (len) {
		size_t n = len < mss ? len : mss;
		uint8_t *f = out + used, *ip = f + ETH_HDR_LEN, *tcp = ip + tmpl->ip_hdr_len;
		bool last = n == len;

		if (made == refs_max || used + hdrs + n > out_cap)
			return 0;
		memcpy(f, tmpl->data, hdrs);
		memcpy(f + hdrs, data, n);
		fill_ip(tmpl, ip, tcp_hdr + n, id++);
		put_be32(tcp + 4, seq);
		tcp[13] = (uint8_t)((tmpl->l4[13] & TCP_ACK) | (last ? TCP_PSH : 0) |
				    (last && fin ? TCP_FIN : 0));
		put_be16(tcp + 16, 0);
		put_be16(tcp + 18, 0); /* no urgent pointer */
		put_be16(tcp + 16,
			 checksum_final(checksum_add(pseudo_header(tmpl, ip, tcp_hdr + n), tcp,
						     tcp_hdr + n)));
		refs[made++] = (struct frame_ref){f, (uint32_t)(hdrs + n), NULL};
		used += hdrs + n;
		seq += (uint32_t)n;
		data += n;
		len -= n;
	}
	return made;
}
