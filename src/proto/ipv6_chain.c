// SPDX-License-Identifier: MIT
/* ipv6_chain.c — an IPv6 header chain walked to its upper layer, with the reasons it may be refused */
#include "proto/ipv6_chain.h"

/* Options of Hop-by-Hop and Destination Options headers (RFC 8200 4.2, RFC 2711) */
#define OPT_PAD1 0
#define OPT_PADN 1
#define OPT_ROUTER_ALERT 5
#define OPT_ROUTER_ALERT_LEN 2
#define OPT_JUMBO 0xc2

/* The fewest bytes of each upper layer the first fragment must hold whole (RFC 7112). */
#define ICMPV6_HDR_LEN 4

bool ipv6_is_extension(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS_:
	case IPPROTO_ROUTING_:
	case IPPROTO_FRAGMENT_:
	case IPPROTO_AH_:
	case IPPROTO_DSTOPTS_:
	case IPPROTO_MOBILITY_:
	case IPPROTO_HIP_:
	case IPPROTO_SHIM6_:
	case IPPROTO_EXP1_:
	case IPPROTO_EXP2_:
		return true;
	default:
		return false;
	}
}

/*
 * The options of a Hop-by-Hop or Destination Options header (@h, @len bytes): each must fit;
 * what they are is recorded in @v->ip6_flags. A Jumbo Payload option is malformed here: a
 * jumbogram needs a link MTU over 65575 bytes (RFC 2675), larger than any this link has.
 */
static enum drop_reason read_options(struct frame_view *v, const uint8_t *h, size_t len,
				     bool hop_by_hop)
{
	size_t i = 2;

	while (i < len) {
		size_t opt_len;

		if (h[i] == OPT_PAD1) {
			i++;
			continue;
		}
		if (len - i < 2 || (size_t)h[i + 1] + 2 > len - i)
			return DROP_IP6_MALFORMED;
		opt_len = (size_t)h[i + 1] + 2;
		if (h[i] == OPT_JUMBO)
			return DROP_IP6_MALFORMED;
		if (hop_by_hop && h[i] == OPT_ROUTER_ALERT && h[i + 1] == OPT_ROUTER_ALERT_LEN)
			v->ip6_flags |= IP6_OPT_ROUTER_ALERT;
		else if (h[i] != OPT_PADN)
			v->ip6_flags |= IP6_OPT_OTHER;
		i += opt_len;
	}
	return DROP_NONE;
}

/* The length of the extension header @h of type @nh (@room bytes left): 0 if it runs out. */
static size_t header_length(uint8_t nh, const uint8_t *h, size_t room)
{
	size_t len;

	if (nh == IPPROTO_FRAGMENT_)
		return room >= IPV6_FRAG_HDR_LEN ? IPV6_FRAG_HDR_LEN : 0;
	if (room < 2)
		return 0;
	/* AH counts 4-byte units beyond the first two (RFC 4302 2.2), the others 8-byte units */
	len = nh == IPPROTO_AH_ ? ((size_t)h[1] + 2) * 4 : ((size_t)h[1] + 1) * 8;
	return len <= room ? len : 0;
}

/*
 * A non-first fragment: nothing after its Fragment header can be read. It may not carry a
 * piece of the header chain (its Fragment header names the first header of the
 * fragmentable part: an extension header there continues the chain past the first
 * fragment) nor start inside a TCP header, where it would overwrite the flags the first
 * fragment showed.
 */
static enum drop_reason later_fragment(const struct frame_view *v, uint8_t next)
{
	if (ipv6_is_extension(next))
		return DROP_IP6_FRAG_UPPER;
	if (next == IPPROTO_TCP_ && (size_t)v->ip_frag_offset * 8 < TCP_MIN_HDR_LEN)
		return DROP_IP6_FRAG_UPPER;
	return DROP_NONE;
}

/* The fewest bytes of @proto's header: the first fragment must hold them whole. */
static size_t upper_header_min(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP_:
		return TCP_MIN_HDR_LEN;
	case IPPROTO_UDP_:
		return UDP_HDR_LEN;
	case IPPROTO_ICMPV6_:
		return ICMPV6_HDR_LEN;
	default:
		return 0;
	}
}

/* One extension header @h of type @nh, @len bytes long, at @off in the packet. */
static enum drop_reason read_extension(struct frame_view *v, uint8_t nh, const uint8_t *h,
				       size_t len, size_t off)
{
	switch (nh) {
	case IPPROTO_HOPOPTS_:
		if (off != IPV6_HDR_LEN) /* RFC 8200 4.3: only right after the IPv6 header */
			return DROP_IP6_CHAIN_ORDER;
		v->ip6_flags |= IP6_EXT_HBH;
		return read_options(v, h, len, true);
	case IPPROTO_DSTOPTS_:
		v->ip6_flags |= IP6_EXT_DSTOPTS;
		return read_options(v, h, len, false);
	case IPPROTO_ROUTING_:
		v->ip6_flags |= IP6_EXT_ROUTING | (h[3] ? IP6_ROUTING_ACTIVE : 0);
		return DROP_NONE;
	case IPPROTO_FRAGMENT_:
		if (v->ip6_flags & IP6_EXT_FRAGMENT)
			return DROP_IP6_CHAIN_ORDER; /* RFC 8200 4.1: each at most once */
		v->ip6_flags |= IP6_EXT_FRAGMENT;
		v->ip_frag_offset = (uint16_t)(be16(h + 2) >> 3);
		v->ip_more_fragments = be16(h + 2) & IPV6_FRAG_MF;
		return DROP_NONE;
	case IPPROTO_AH_:
		v->ip6_flags |= IP6_EXT_AH;
		return DROP_NONE;
	default:
		v->ip6_flags |= IP6_EXT_OTHER;
		return DROP_NONE;
	}
}

enum drop_reason ipv6_chain_walk(struct frame_view *v)
{
	const uint8_t *ip6 = v->l3;
	size_t payload_len, end, off = IPV6_HDR_LEN;
	uint8_t next;
	enum drop_reason why;

	if (v->l3_len < IPV6_HDR_LEN)
		return DROP_RUNT;
	payload_len = be16(ip6 + 4);
	/* a payload length of 0 announces a jumbogram (RFC 2675): none fits this link */
	if ((ip6[0] >> 4) != 6 || payload_len == 0 || IPV6_HDR_LEN + payload_len > v->l3_len)
		return DROP_IP6_MALFORMED;
	end = IPV6_HDR_LEN + payload_len;
	v->ip6 = ip6;
	v->ip_total_len = end;
	v->ip_ttl = ip6[7];
	memcpy(v->ip_src.b, ip6 + 8, 16);
	memcpy(v->ip_dst.b, ip6 + 24, 16);
	/*
	 * IPv4-mapped addresses never travel in IPv6 headers (RFC 4291 2.5.5.2, RFC 4942 2.2):
	 * one here would read as IPv4 everywhere after this (proto/addr.h's one type)
	 */
	if (inet_is_v4(&v->ip_src) || inet_is_v4(&v->ip_dst))
		return DROP_IP6_MALFORMED;
	next = ip6[6];
	while (ipv6_is_extension(next)) {
		const uint8_t *h = ip6 + off;
		size_t len = header_length(next, h, end - off);

		if (++v->ip6_ext_count > IPV6_EXT_MAX)
			return DROP_IP6_CHAIN_LONG;
		if (!len)
			return DROP_IP6_CHAIN_TRUNCATED;
		why = read_extension(v, next, h, len, off);
		if (why != DROP_NONE)
			return why;
		next = h[0];
		off += len;
		if (v->ip_frag_offset != 0) { /* a non-first fragment: the rest is data */
			v->ip_hdr_len = off;
			v->ip_proto = next;
			return later_fragment(v, next);
		}
	}
	v->ip_hdr_len = off;
	v->ip_proto = next;
	if (v->ip_more_fragments && end - off < upper_header_min(next))
		return DROP_IP6_CHAIN_TRUNCATED; /* RFC 7112: the first fragment holds it all */
	why = frame_parse_l4(v, ip6 + off, end - off, DROP_IP6_MALFORMED);
	if (why != DROP_NONE && v->ip_more_fragments)
		return DROP_IP6_CHAIN_TRUNCATED; /* its TCP options or UDP header cut off */
	return why;
}
