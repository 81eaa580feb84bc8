// SPDX-License-Identifier: MIT
/* reject.c — answers that make a refused packet fail at once: TCP resets, ICMP "prohibited" */
#include "proto/reject.h"

#include <string.h>

#include "proto/byteorder.h"
#include "proto/ip_frame.h"

/* TCP flags of @v (its header is there whenever l4 is: frame_parse() checked the length). */
static uint8_t tcp_flags(const struct frame_view *v)
{
	return v->l4[13];
}

/* What @v occupies in its sender's sequence space: its data, plus one for SYN and FIN. */
static uint32_t sequence_length(const struct frame_view *v)
{
	uint8_t flags = tcp_flags(v);

	return (uint32_t)v->payload_len + ((flags & TCP_SYN) ? 1 : 0) + ((flags & TCP_FIN) ? 1 : 0);
}

size_t reject_reset_sender(const struct frame_view *v, uint8_t *out)
{
	struct ip_ends ends = {.src_mac = v->dst_mac, .dst_mac = v->src_mac, .src = v->ip_dst,
			       .dst = v->ip_src, .src_port = v->dst_port, .dst_port = v->src_port};
	struct tcp_fields tcp = {.flags = TCP_RST};
	uint8_t flags;

	if (!v->l4 || v->ip_proto != IPPROTO_TCP_ || ((flags = tcp_flags(v)) & TCP_RST))
		return 0;
	if (flags & TCP_ACK) {
		tcp.seq = be32(v->l4 + 8);
	} else {
		tcp.flags |= TCP_ACK;
		tcp.ack = be32(v->l4 + 4) + sequence_length(v);
	}
	return ip_tcp_frame(out, 0, &ends, &tcp);
}

size_t reject_reset_receiver_at(const struct frame_view *v, uint32_t seq, uint8_t *out)
{
	struct ip_ends ends = {.src_mac = v->src_mac, .dst_mac = v->dst_mac, .src = v->ip_src,
			       .dst = v->ip_dst, .src_port = v->src_port, .dst_port = v->dst_port};
	struct tcp_fields tcp = {.flags = TCP_RST, .seq = seq};

	if (!v->l4 || v->ip_proto != IPPROTO_TCP_ || (tcp_flags(v) & TCP_RST))
		return 0;
	return ip_tcp_frame(out, 0, &ends, &tcp);
}

size_t reject_reset_receiver(const struct frame_view *v, uint8_t *out)
{
	return v->l4 ? reject_reset_receiver_at(v, be32(v->l4 + 4), out) : 0;
}

/* An ICMP error (types 3, 4, 5, 11, 12; ICMPv6 types below 128) is never answered with another. */
static bool is_icmp_error(const struct frame_view *v)
{
	if (v->ip6)
		return v->ip_proto == IPPROTO_ICMPV6_ && (!v->l4 || v->icmp_type < 128);
	return v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->icmp_type != ICMP_TYPE_ECHO_REQUEST &&
	       v->icmp_type != ICMP_TYPE_ECHO_REPLY && v->icmp_type != 13 && v->icmp_type != 14;
}

/* A packet to a group (never answered, RFC 1812 4.3.2.7): multicast of either family, or
 * IPv4's limited broadcast, whatever its Ethernet address (fuzz_reject) */
static bool to_a_group(const struct frame_view *v)
{
	return mac_is_multicast(v->dst_mac) ||
	       (v->ip6 ? inet6_is_multicast(&v->ip_dst)
		       : (inet_v4(&v->ip_dst) >> 28) == 0xe ||
				 inet_v4(&v->ip_dst) == IPV4_LIMITED_BROADCAST);
}

/* ICMPv6 destination unreachable, "administratively prohibited" (RFC 4443 3.1). */
static size_t prohibited6(const struct frame_view *v, const uint8_t router_mac[6],
			  const struct inet_addr *router, uint8_t *out)
{
	struct ip_ends ends = {.src_mac = router_mac, .dst_mac = v->src_mac, .src = *router,
			       .dst = v->ip_src};
	size_t quoted = v->ip_total_len < REJECT_QUOTE6_MAX ? v->ip_total_len : REJECT_QUOTE6_MAX;
	uint8_t *body = out + IPV6_ICMP_BODY_OFFSET;

	put_be32(body, 0); /* unused */
	memcpy(body + 4, v->ip6, quoted);
	return ipv6_icmp_frame(out, 4 + quoted, &ends, ICMPV6_DEST_UNREACH,
			       ICMPV6_CODE_ADMIN_PROHIBITED, IPV6_DEFAULT_HOP_LIMIT);
}

size_t reject_icmp_prohibited(const struct frame_view *v, const uint8_t router_mac[6],
			      const struct inet_addr *router, uint8_t *out)
{
	struct ipv4_ends ends = {.src_mac = router_mac, .dst_mac = v->src_mac,
				 .src_ip = inet_v4(router), .dst_ip = inet_v4(&v->ip_src)};
	size_t quoted;

	if ((!v->ip && !v->ip6) || v->ip_frag_offset || is_icmp_error(v) || to_a_group(v))
		return 0;
	if (v->ip6)
		return inet_is_v4(router) ? 0 : prohibited6(v, router_mac, router, out);
	if (!inet_is_v4(router))
		return 0;
	/* the offending header and the first 8 bytes of its payload (RFC 792) */
	quoted = v->ip_hdr_len + 8;
	if (quoted > v->ip_total_len)
		quoted = v->ip_total_len;
	memcpy(out + IPV4_ICMP_PAYLOAD_OFFSET, v->ip, quoted);
	return ipv4_icmp_frame(out, quoted, &ends, ICMP_TYPE_UNREACHABLE,
			       ICMP_CODE_ADMIN_PROHIBITED);
}
