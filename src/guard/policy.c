// SPDX-License-Identifier: MIT
/* policy.c — the VM's destination policy: --allow/--block rules, longest prefix wins */
#include "guard/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/addr.h"
#include "proto/wire.h"

#define PROTO_ICMP IPPROTO_ICMP_
#define PROTO_TCP IPPROTO_TCP_
#define PROTO_UDP IPPROTO_UDP_

/*
 * The built-in rules, under the command line's (rank bit 1 clear, see rule_rank()).
 * Refused: the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates;
 * entries inside a listed block, such as 192.0.0.0/29 or 0.0.0.0/32, are covered by
 * it) and the IPv4 multicast registry. The three entries that the registry calls
 * globally reachable (AS112 192.31.196.0/24 and 192.175.48.0/24, AMT 192.52.193.0/24)
 * are refused too: a VM has no business with them that an --allow cannot grant.
 * 255.255.255.255/32 is inside 240.0.0.0/4 but listed so that allowing 240/4 does not
 * open the limited broadcast. Allowed: everything else (global unicast), and the
 * gateway, added by policy_compile() as @host/32.
 */
static const struct {
	const char *cidr;
	bool allow;
} builtin_rules[] = {
	{"0.0.0.0/0", true},
	{"0.0.0.0/8", false},        /* "this network" (RFC 791) */
	{"10.0.0.0/8", false},       /* private use (RFC 1918) */
	{"100.64.0.0/10", false},    /* shared address space, carrier NAT (RFC 6598) */
	{"127.0.0.0/8", false},      /* loopback (RFC 1122) */
	{"169.254.0.0/16", false},   /* link local (RFC 3927) */
	{"172.16.0.0/12", false},    /* private use (RFC 1918) */
	{"192.0.0.0/24", false},     /* IETF protocol assignments (RFC 6890) */
	{"192.0.2.0/24", false},     /* documentation TEST-NET-1 (RFC 5737) */
	{"192.31.196.0/24", false},  /* AS112-v4 (RFC 7535) */
	{"192.52.193.0/24", false},  /* AMT (RFC 7450) */
	{"192.88.99.0/24", false},   /* deprecated 6to4 relay anycast (RFC 7526) */
	{"192.168.0.0/16", false},   /* private use (RFC 1918) */
	{"192.175.48.0/24", false},  /* direct delegation AS112 (RFC 7534) */
	{"198.18.0.0/15", false},    /* benchmarking (RFC 2544) */
	{"198.51.100.0/24", false},  /* documentation TEST-NET-2 (RFC 5737) */
	{"203.0.113.0/24", false},   /* documentation TEST-NET-3 (RFC 5737) */
	{"224.0.0.0/4", false},      /* multicast (RFC 5771) */
	{"240.0.0.0/4", false},      /* reserved (RFC 1112) */
	{"255.255.255.255/32", false}, /* limited broadcast (RFC 919) */
};
_Static_assert(sizeof(builtin_rules) / sizeof(builtin_rules[0]) + 1 <= POLICY_BUILTIN_MAX,
	       "POLICY_BUILTIN_MAX too small");

/* ---- parsing --------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static bool parse_fail(char *err, size_t err_size,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return false;
}

/* Copy [start, end) into buf as a string; false when it does not fit. */
static bool copy_field(const char *start, const char *end, char *buf, size_t size)
{
	size_t len = (size_t)(end - start);

	if (len >= size)
		return false;
	memcpy(buf, start, len);
	buf[len] = '\0';
	return true;
}

/* A decimal number with no sign, no spaces, at most @max. */
static bool parse_decimal(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*out = strtoul(text, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

static bool parse_proto(const char *rule, const char *text, uint8_t *proto, char *err,
			size_t err_size)
{
	unsigned long n;

	if (strcasecmp(text, "tcp") == 0)
		*proto = PROTO_TCP;
	else if (strcasecmp(text, "udp") == 0)
		*proto = PROTO_UDP;
	else if (strcasecmp(text, "icmp") == 0)
		*proto = PROTO_ICMP;
	else if (parse_decimal(text, 255, &n) && n > 0)
		*proto = (uint8_t)n;
	else
		return parse_fail(err, err_size,
				  "\"%s\": \"%s\" is not a protocol (tcp, udp, icmp or a number "
				  "1-255; leave the rule without one to match every protocol)",
				  rule, text);
	return true;
}

/* TARGET: CIDR or @host; "" means 0.0.0.0/0. */
static bool parse_target(const char *rule, const char *text, struct policy_rule *out,
			 char *err, size_t err_size)
{
	const char *slash = strchr(text, '/');
	unsigned long len = 32;
	uint32_t addr;
	char addr_text[IPV4_TEXT_LEN];

	if (text[0] == '\0') {
		out->dst = (struct inet_prefix){inet_from_v4(0), 0};
		return true;
	}
	if (strcmp(text, "@host") == 0) {
		out->is_gateway = true;
		out->dst = (struct inet_prefix){inet_from_v4(0), 32};
		return true;
	}
	if (text[0] == '@')
		return parse_fail(err, err_size,
				  "\"%s\": \"%s\" is not a known name (the only one is @host, the "
				  "gateway)", rule, text);
	if (!copy_field(text, slash ? slash : text + strlen(text), addr_text,
			sizeof(addr_text)) ||
	    !ipv4_parse(addr_text, &addr))
		return parse_fail(err, err_size,
				  "\"%s\": \"%.*s\" is not an IPv4 address (want a CIDR such as "
				  "203.0.113.0/24, an address, or @host)",
				  rule, slash ? (int)(slash - text) : (int)strlen(text), text);
	if (slash && !parse_decimal(slash + 1, 32, &len))
		return parse_fail(err, err_size,
				  "\"%s\": \"/%s\" is not a prefix length from 0 to 32", rule,
				  slash + 1);
	if (addr & ~ipv4_prefix_mask((unsigned)len)) {
		char net_text[IPV4_TEXT_LEN];

		ipv4_format(addr & ipv4_prefix_mask((unsigned)len), net_text);
		return parse_fail(err, err_size,
				  "\"%s\": %s has host bits set beyond /%lu (the network is "
				  "%s/%lu)", rule, addr_text, len, net_text, len);
	}
	out->dst = (struct inet_prefix){inet_from_v4(addr), (uint8_t)len};
	return true;
}

static bool parse_ports(const char *rule, const char *text, struct policy_rule *out,
			char *err, size_t err_size)
{
	const char *dash = strchr(text, '-');
	char lo_text[8];
	unsigned long lo, hi;

	if (!copy_field(text, dash ? dash : text + strlen(text), lo_text, sizeof(lo_text)) ||
	    !parse_decimal(lo_text, 65535, &lo) || (dash && !parse_decimal(dash + 1, 65535, &hi)))
		return parse_fail(err, err_size,
				  "\"%s\": \"%s\" is not a port or a port range (0-65535, e.g. 443 "
				  "or 8000-8999)", rule, text);
	if (!dash)
		hi = lo;
	if (lo > hi)
		return parse_fail(err, err_size,
				  "\"%s\": the port range \"%s\" runs backwards (write %lu-%lu)",
				  rule, text, hi, lo);
	out->port_lo = (uint16_t)lo;
	out->port_hi = (uint16_t)hi;
	return true;
}

/* Is [start, end) a TARGET (a CIDR or @host)? Used to explain "CIDR:PORT". */
static bool looks_like_target(const char *start, const char *end)
{
	char buf[24], err[8];
	struct policy_rule scratch = {0};

	return copy_field(start, end, buf, sizeof(buf)) && buf[0] != '\0' &&
	       parse_target(buf, buf, &scratch, err, sizeof(err));
}

bool policy_rule_parse(const char *text, bool allow, struct policy_rule *out, char *err,
		       size_t err_size)
{
	const char *colon1 = strchr(text, ':');
	const char *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
	const char *target_end;
	char proto_text[8], target_text[24];

	*out = (struct policy_rule){.allow = allow, .dst.addr = inet_from_v4(0), .port_hi = 65535};
	if (text[0] == '\0')
		return parse_fail(err, err_size, "\"\": an empty rule (want a CIDR, @host, or "
				  "PROTO:CIDR[:PORT[-PORT]])");
	if (!colon1)
		return parse_target(text, text, out, err, err_size);
	if (colon2 && strchr(colon2 + 1, ':'))
		return parse_fail(err, err_size,
				  "\"%s\": too many ':' (the form is PROTO:CIDR[:PORT[-PORT]])",
				  text);
	if (looks_like_target(text, colon1))
		return parse_fail(err, err_size,
				  "\"%s\": a port needs a protocol first, e.g. \"tcp:%s\"", text,
				  text);

	if (!copy_field(text, colon1, proto_text, sizeof(proto_text)))
		return parse_fail(err, err_size,
				  "\"%s\": \"%.*s\" is not a protocol (tcp, udp, icmp or a number "
				  "1-255)", text, (int)(colon1 - text), text);
	if (!parse_proto(text, proto_text, &out->proto, err, err_size))
		return false;

	target_end = colon2 ? colon2 : text + strlen(text);
	if (!copy_field(colon1 + 1, target_end, target_text, sizeof(target_text)))
		return parse_fail(err, err_size,
				  "\"%s\": \"%.*s\" is not an IPv4 address (want a CIDR such as "
				  "203.0.113.0/24, an address, or @host)", text,
				  (int)(target_end - colon1 - 1), colon1 + 1);
	if (!parse_target(text, target_text, out, err, err_size))
		return false;

	if (!colon2)
		return true;
	if (out->proto != PROTO_TCP && out->proto != PROTO_UDP)
		return parse_fail(err, err_size,
				  "\"%s\": ports apply only to tcp and udp, not to \"%s\"", text,
				  proto_text);
	return parse_ports(text, colon2 + 1, out, err, err_size);
}

char *policy_rule_format(const struct policy_rule *r, char *buf, size_t size)
{
	char target[INET_TEXT_LEN + 4], net[INET_TEXT_LEN], proto[8];
	bool any_port = r->port_lo == 0 && r->port_hi == 65535;

	inet_format(&r->dst.addr, net);
	if (r->is_gateway)
		snprintf(target, sizeof(target), "@host");
	else
		snprintf(target, sizeof(target), "%s/%u", net, r->dst.len);
	if (r->proto == 0) {
		snprintf(buf, size, "%s", target);
		return buf;
	}
	if (r->proto == PROTO_TCP)
		snprintf(proto, sizeof(proto), "tcp");
	else if (r->proto == PROTO_UDP)
		snprintf(proto, sizeof(proto), "udp");
	else if (r->proto == PROTO_ICMP)
		snprintf(proto, sizeof(proto), "icmp");
	else
		snprintf(proto, sizeof(proto), "%u", r->proto);
	if (any_port)
		snprintf(buf, size, "%s:%s", proto, target);
	else if (r->port_lo == r->port_hi)
		snprintf(buf, size, "%s:%s:%u", proto, target, r->port_lo);
	else
		snprintf(buf, size, "%s:%s:%u-%u", proto, target, r->port_lo, r->port_hi);
	return buf;
}

/* ---- ranking ------------------------------------------------------------------------ */

/*
 * A rule's rank orders the rules that match a packet; the highest decides:
 *   bits 4..9  prefix length, 0..32           a longer prefix first,
 *   bits 2..3  qualifier: 0 none, 1 protocol,  then the more specific qualifier,
 *              2 protocol and ports
 *   bit 1      from the command line           then the command line over a default,
 *   bit 0      block                           then block over allow.
 */
#define RANK_BLOCK 1u
/* in interval_rank only: a qualified rule outranks the interval's winner somewhere in it */
#define RANK_QUALIFIED_IN_PLAY 0x8000u

/*
 * A rule as the IPv4 lookup sees it: its network in host order, @host resolved to the
 * gateway. (IPv6 rules, when they come, get a table of their own.)
 */
struct v4_rule {
	bool allow;
	uint32_t net;
	uint8_t prefix_len;
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

static bool has_ports(const struct v4_rule *r)
{
	return r->proto && !(r->port_lo == 0 && r->port_hi == 65535);
}

static uint16_t rule_rank(const struct v4_rule *r, bool from_command_line)
{
	unsigned qualifier = r->proto == 0 ? 0 : has_ports(r) ? 2 : 1;

	return (uint16_t)((unsigned)r->prefix_len << 4 | qualifier << 2 |
			  (from_command_line ? 2u : 0u) | (r->allow ? 0u : RANK_BLOCK));
}

/* All IPv4 rules in one list: the built-ins, the gateway, then the command line's. */
struct ranked_rule {
	struct v4_rule rule;
	uint16_t rank;
};

static size_t gather_rules(struct ranked_rule *out, const struct policy_rule *rules,
			   size_t count, uint32_t gateway)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(builtin_rules) / sizeof(builtin_rules[0]); i++) {
		struct v4_rule r = {.allow = builtin_rules[i].allow, .port_hi = 65535};
		unsigned len;

		ipv4_cidr_parse(builtin_rules[i].cidr, &r.net, &len);
		r.prefix_len = (uint8_t)len;
		out[n++] = (struct ranked_rule){r, rule_rank(&r, false)};
	}
	out[n].rule = (struct v4_rule){.allow = true, .net = gateway, .prefix_len = 32,
				       .port_hi = 65535};
	out[n].rank = rule_rank(&out[n].rule, false);
	n++;
	if (count > POLICY_MAX_RULES)
		count = POLICY_MAX_RULES;
	for (size_t i = 0; i < count; i++) {
		const struct policy_rule *r = &rules[i];

		if (!inet_is_v4(&r->dst.addr))
			continue;
		out[n].rule = (struct v4_rule){
			.allow = r->allow,
			.net = r->is_gateway ? gateway : inet_v4(&r->dst.addr),
			.prefix_len = r->dst.len,
			.proto = r->proto,
			.port_lo = r->port_lo,
			.port_hi = r->port_hi,
		};
		out[n].rank = rule_rank(&out[n].rule, true);
		n++;
	}
	return n;
}

/* Is a qualified rule in play for @dst: does it match its network and outrank @fallback? */
static bool in_play(const struct policy_qualified *q, uint16_t fallback, uint32_t dst)
{
	return q->rank > fallback && (dst & q->mask) == q->net;
}

/* ---- compiling ------------------------------------------------------------------------ */

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int compare_qualified(const void *a, const void *b)
{
	const struct policy_qualified *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->net < y->net ? -1 : x->net > y->net; /* any order would do; be stable */
}

void policy_compile(struct policy *p, const struct policy_rule *rules, size_t count,
		    const struct inet_addr *gateway)
{
	struct ranked_rule all[POLICY_MAX_ENTRIES];
	size_t n = gather_rules(all, rules, count, inet_v4(gateway));
	unsigned points = 0, out = 0;

	/* every rule starts an interval and ends one */
	p->qualified_count = 0;
	for (size_t i = 0; i < n; i++) {
		const struct v4_rule *r = &all[i].rule;
		uint32_t mask = ipv4_prefix_mask(r->prefix_len);

		p->interval_start[points++] = r->net;
		if ((r->net | ~mask) != UINT32_MAX)
			p->interval_start[points++] = (r->net | ~mask) + 1;
		if (r->proto)
			p->qualified[p->qualified_count++] = (struct policy_qualified){
				.net = r->net, .mask = mask, .rank = all[i].rank, .proto = r->proto,
				.has_ports = has_ports(r), .allow = r->allow,
				.port_lo = r->port_lo, .port_hi = r->port_hi};
	}
	qsort(p->qualified, p->qualified_count, sizeof(p->qualified[0]), compare_qualified);

	p->interval_start[points++] = 0;
	qsort(p->interval_start, points, sizeof(uint32_t), compare_u32);
	for (unsigned i = 0; i < points; i++) {
		uint32_t start = p->interval_start[i];
		uint16_t best = 0;
		bool found = false;

		if (i > 0 && start == p->interval_start[i - 1])
			continue;
		for (size_t k = 0; k < n; k++) {
			const struct v4_rule *r = &all[k].rule;

			if (r->proto == 0 &&
			    (start & ipv4_prefix_mask(r->prefix_len)) == r->net &&
			    (!found || all[k].rank > best)) {
				best = all[k].rank;
				found = true;
			}
		}
		/* 0.0.0.0/0 is built in, so every interval has a rule */
		for (unsigned k = 0; k < p->qualified_count; k++)
			if (in_play(&p->qualified[k], best, start)) {
				best |= RANK_QUALIFIED_IN_PLAY;
				break;
			}
		if (out > 0 && p->interval_rank[out - 1] == best)
			continue; /* merge equal neighbours */
		p->interval_start[out] = start;
		p->interval_rank[out] = best;
		out++;
	}
	p->interval_count = out;
}

/* ---- looking up ------------------------------------------------------------------------ */

/* The rank of the unqualified rule that wins for @dst. */
static uint16_t fallback_rank(const struct policy *p, uint32_t dst)
{
	unsigned lo = 0, hi = p->interval_count; /* interval_start[lo] <= dst < [hi] */

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (p->interval_start[mid] <= dst)
			lo = mid;
		else
			hi = mid;
	}
	return p->interval_rank[lo];
}

static bool qualified_matches(const struct policy_qualified *q, uint32_t dst, uint8_t proto,
			      uint16_t port)
{
	return (dst & q->mask) == q->net && q->proto == proto &&
	       (!q->has_ports || (port >= q->port_lo && port <= q->port_hi));
}

/* The verdict for a packet whose port is known: the first outranking qualified rule, else
 * the interval's. The list is sorted by rank, so the scan stops at the fallback's rank. */
static bool allows_port(const struct policy *p, uint16_t fallback, uint32_t dst,
			uint8_t proto, uint16_t port)
{
	for (unsigned i = 0; i < p->qualified_count && p->qualified[i].rank > fallback; i++)
		if (qualified_matches(&p->qualified[i], dst, proto, port))
			return p->qualified[i].allow;
	return !(fallback & RANK_BLOCK);
}

/*
 * Every port of @proto allowed? The verdict only changes where a port rule of @proto
 * begins or ends, so checking port 0 and each such edge covers all 65536 ports.
 */
static bool allows_every_port(const struct policy *p, uint16_t fallback, uint32_t dst,
			      uint8_t proto)
{
	if (!allows_port(p, fallback, dst, proto, 0))
		return false;
	for (unsigned i = 0; i < p->qualified_count && p->qualified[i].rank > fallback; i++) {
		const struct policy_qualified *q = &p->qualified[i];

		if (!in_play(q, fallback, dst) || q->proto != proto || !q->has_ports)
			continue;
		if (!allows_port(p, fallback, dst, proto, q->port_lo) ||
		    (q->port_hi < 65535 && !allows_port(p, fallback, dst, proto, (uint16_t)(q->port_hi + 1))))
			return false;
	}
	return true;
}

/*
 * Anything allowed, of any protocol? A protocol that no rule in play names (there is
 * always one: protocol 0 is never named) gets the interval's verdict; otherwise an
 * allowing rule in play must win somewhere, at one of the edges of its protocol.
 */
static bool allows_anything(const struct policy *p, uint16_t fallback, uint32_t dst)
{
	if (!(fallback & RANK_BLOCK))
		return true;
	for (unsigned i = 0; i < p->qualified_count && p->qualified[i].rank > fallback; i++) {
		const struct policy_qualified *q = &p->qualified[i];

		if (!in_play(q, fallback, dst) || !q->allow)
			continue;
		/* the verdict for q's protocol changes only at the edges of its port rules */
		if (allows_port(p, fallback, dst, q->proto, 0))
			return true;
		for (unsigned k = 0; k < p->qualified_count && p->qualified[k].rank > fallback;
		     k++) {
			const struct policy_qualified *e = &p->qualified[k];

			if (!in_play(e, fallback, dst) || e->proto != q->proto || !e->has_ports)
				continue;
			if (allows_port(p, fallback, dst, q->proto, e->port_lo) ||
			    (e->port_hi < 65535 &&
			     allows_port(p, fallback, dst, q->proto, (uint16_t)(e->port_hi + 1))))
				return true;
		}
	}
	return false;
}

bool policy_allows(const struct policy *p, const struct inet_addr *dst_addr, uint8_t proto,
		   uint16_t port, enum policy_ports ports)
{
	uint32_t dst;
	uint16_t fallback;

	if (!inet_is_v4(dst_addr))
		return false; /* no IPv6 destination is allowed yet */
	dst = inet_v4(dst_addr);
	fallback = fallback_rank(p, dst);

	if (!(fallback & RANK_QUALIFIED_IN_PLAY))
		return !(fallback & RANK_BLOCK); /* the common case: no qualified rule in play */
	fallback &= (uint16_t)~RANK_QUALIFIED_IN_PLAY;
	switch (ports) {
	case POLICY_PORT_KNOWN:
		if (proto != PROTO_TCP && proto != PROTO_UDP)
			port = 0;
		return allows_port(p, fallback, dst, proto, port);
	case POLICY_PORT_EVERY:
		return allows_every_port(p, fallback, dst, proto);
	case POLICY_PORT_ANY:
		return allows_anything(p, fallback, dst);
	}
	return false;
}

/* ---- the reference ------------------------------------------------------------------------ */

static bool reference_port(const struct ranked_rule *all, size_t n, uint32_t dst,
			   uint8_t proto, uint16_t port)
{
	const struct ranked_rule *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct v4_rule *r = &all[i].rule;

		if ((dst & ipv4_prefix_mask(r->prefix_len)) != r->net)
			continue;
		if (r->proto && (r->proto != proto || port < r->port_lo || port > r->port_hi))
			continue;
		if (!best || all[i].rank > best->rank)
			best = &all[i];
	}
	return best && best->rule.allow;
}

/* Every port at which some rule's verdict can change, tried one by one. */
static bool reference_proto(const struct ranked_rule *all, size_t n, uint32_t dst,
			    uint8_t proto, bool every)
{
	bool allowed = reference_port(all, n, dst, proto, 0);

	if (allowed != every)
		return allowed;
	for (size_t i = 0; i < n; i++) {
		const struct v4_rule *r = &all[i].rule;

		allowed = reference_port(all, n, dst, proto, r->port_lo);
		if (allowed != every)
			return allowed;
		if (r->port_hi < 65535) {
			allowed = reference_port(all, n, dst, proto, (uint16_t)(r->port_hi + 1));
			if (allowed != every)
				return allowed;
		}
	}
	return every;
}

bool policy_allows_reference(const struct policy_rule *rules, size_t count,
			     const struct inet_addr *gateway, const struct inet_addr *dst_addr,
			     uint8_t proto, uint16_t port, enum policy_ports ports)
{
	struct ranked_rule all[POLICY_MAX_ENTRIES];
	size_t n = gather_rules(all, rules, count, inet_v4(gateway));
	uint32_t dst = inet_v4(dst_addr);

	if (!inet_is_v4(dst_addr))
		return false;

	switch (ports) {
	case POLICY_PORT_KNOWN:
		if (proto != PROTO_TCP && proto != PROTO_UDP)
			port = 0;
		return reference_port(all, n, dst, proto, port);
	case POLICY_PORT_EVERY:
		return reference_proto(all, n, dst, proto, true);
	case POLICY_PORT_ANY:
		/* a protocol no rule names fares as protocol 0, which no rule can name */
		if (reference_proto(all, n, dst, 0, false))
			return true;
		for (size_t i = 0; i < n; i++)
			if (all[i].rule.proto && reference_proto(all, n, dst, all[i].rule.proto, false))
				return true;
		return false;
	}
	return false;
}
