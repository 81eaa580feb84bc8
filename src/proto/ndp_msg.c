// SPDX-License-Identifier: MIT
/* ndp_msg.c — Neighbor Discovery messages (RFC 4861, RFC 8106) read and checked, and the gateway's written */
#include "proto/ndp_msg.h"

#include <string.h>

#include "proto/byteorder.h"

/* The fixed part of each message after the 4-byte ICMPv6 header (RFC 4861 4.1-4.5). */
static size_t fixed_len(uint8_t type)
{
	switch (type) {
	case ICMPV6_ND_RS:
		return 4;
	case ICMPV6_ND_RA:
		return 12;
	case ICMPV6_ND_NS:
	case ICMPV6_ND_NA:
		return 20;
	case ICMPV6_ND_REDIRECT:
		return 36;
	default:
		return 0;
	}
}

/* The options after the fixed part: each inside the message, no zero length (RFC 4861 4.6). */
static bool read_options(const uint8_t *o, size_t len, struct ndp_msg *m)
{
	while (len) {
		size_t n;

		if (len < 2 || o[1] == 0 || (size_t)o[1] * 8 > len)
			return false;
		n = (size_t)o[1] * 8;
		if (o[0] == ND_OPT_SLLAO || o[0] == ND_OPT_TLLAO) {
			if (n != 8)
				m->lladdr_odd = true;
			else if (o[0] == ND_OPT_SLLAO)
				m->sllao = o + 2;
			else
				m->tllao = o + 2;
		}
		o += n;
		len -= n;
	}
	return true;
}

enum drop_reason ndp_parse(const struct frame_view *v, struct ndp_msg *m)
{
	static const struct inet_addr unspecified;
	const uint8_t *icmp = v->l4;
	size_t body, len = v->l4_len;
	bool from_unspecified = inet_equal(&v->ip_src, &unspecified);

	*m = (struct ndp_msg){.type = v->icmp_type};
	body = fixed_len(m->type);
	if (!v->ip6 || !icmp || !body || v->ip_ttl != ND_HOP_LIMIT || v->icmp_code != 0 ||
	    len < ICMPV6_HDR_LEN + body ||
	    !read_options(icmp + ICMPV6_HDR_LEN + body, len - ICMPV6_HDR_LEN - body, m))
		return DROP_NDP_MALFORMED;
	if (m->type == ICMPV6_ND_NS || m->type == ICMPV6_ND_NA || m->type == ICMPV6_ND_REDIRECT) {
		memcpy(m->target.b, icmp + 8, 16);
		if (inet6_is_multicast(&m->target) && m->type != ICMPV6_ND_REDIRECT)
			return DROP_NDP_MALFORMED;
	}
	switch (m->type) {
	case ICMPV6_ND_RS:
		return from_unspecified && m->sllao ? DROP_NDP_MALFORMED : DROP_NONE;
	case ICMPV6_ND_RA:
		return inet6_is_link_local(&v->ip_src) ? DROP_NONE : DROP_NDP_MALFORMED;
	case ICMPV6_ND_NS:
		if (from_unspecified) {
			struct inet_addr group;

			inet6_solicited_node(&m->target, &group);
			if (m->sllao || !inet_equal(&v->ip_dst, &group))
				return DROP_NDP_MALFORMED;
		}
		return DROP_NONE;
	case ICMPV6_ND_NA:
		m->na_flags = icmp[4];
		return inet6_is_multicast(&v->ip_dst) && (m->na_flags & ND_NA_SOLICITED)
			       ? DROP_NDP_MALFORMED
			       : DROP_NONE;
	default:
		return DROP_NONE;
	}
}

static uint8_t *put_lladdr(uint8_t *p, uint8_t type, const uint8_t mac[6])
{
	p[0] = type;
	p[1] = 1;
	memcpy(p + 2, mac, 6);
	return p + 8;
}

size_t ndp_build_ra(uint8_t *frame, const struct ip_ends *e, const struct ndp_ra *ra)
{
	uint8_t *body = frame + IPV6_ICMP_BODY_OFFSET, *p = body;

	p[0] = ra->hop_limit;
	p[1] = 0; /* neither M nor O: addresses by SLAAC, DNS by RDNSS (RFC 8106) */
	put_be16(p + 2, ra->router_lifetime);
	put_be32(p + 4, 0); /* reachable time: unspecified */
	put_be32(p + 8, 0); /* retrans timer: unspecified */
	p += 12;
	p = put_lladdr(p, ND_OPT_SLLAO, ra->sllao);
	if (ra->mtu) {
		p[0] = ND_OPT_MTU;
		p[1] = 1;
		put_be16(p + 2, 0);
		put_be32(p + 4, ra->mtu);
		p += 8;
	}
	p[0] = ND_OPT_PREFIX;
	p[1] = 4;
	p[2] = ra->prefix.len;
	p[3] = ND_PIO_ON_LINK | ND_PIO_AUTONOMOUS;
	put_be32(p + 4, ra->valid);
	put_be32(p + 8, ra->preferred);
	put_be32(p + 12, 0);
	memcpy(p + 16, ra->prefix.addr.b, 16);
	p += 32;
	if (ra->rdnss) {
		p[0] = ND_OPT_RDNSS;
		p[1] = 3; /* one address: 8 + 16 bytes */
		put_be16(p + 2, 0);
		put_be32(p + 4, ra->rdnss_lifetime);
		memcpy(p + 8, ra->rdnss->b, 16);
		p += 24;
	}
	return ipv6_icmp_frame(frame, (size_t)(p - body), e, ICMPV6_ND_RA, 0, ND_HOP_LIMIT);
}

size_t ndp_build_na(uint8_t *frame, const struct ip_ends *e, const struct inet_addr *target,
		    uint8_t flags, const uint8_t tllao[6])
{
	uint8_t *body = frame + IPV6_ICMP_BODY_OFFSET;

	body[0] = flags;
	memset(body + 1, 0, 3);
	memcpy(body + 4, target->b, 16);
	put_lladdr(body + 20, ND_OPT_TLLAO, tllao);
	return ipv6_icmp_frame(frame, 28, e, ICMPV6_ND_NA, 0, ND_HOP_LIMIT);
}
