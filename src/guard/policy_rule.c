// SPDX-License-Identifier: MIT
/* policy_rule.c — one --allow/--block rule: parsed, written back, compared, matched */
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
#define PROTO_ICMPV6 IPPROTO_ICMPV6_
#define PROTO_TCP IPPROTO_TCP_
#define PROTO_UDP IPPROTO_UDP_

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
	else if (strcasecmp(text, "icmpv6") == 0)
		*proto = PROTO_ICMPV6;
	else if (parse_decimal(text, 255, &n) && n > 0)
		*proto = (uint8_t)n;
	else
		return parse_fail(err, err_size,
				  "\"%s\": \"%s\" is not a protocol (tcp, udp, icmp, icmpv6 or a "
				  "number 1-255; leave the rule without one to match every protocol)",
				  rule, text);
	return true;
}

/* TARGET: an IPv6 CIDR (its brackets taken off already). */
static bool parse_target6(const char *rule, const char *text, struct policy_rule *out,
			  char *err, size_t err_size)
{
	struct inet_prefix p;
	const char *slash = strchr(text, '/');

	if (!inet6_cidr_parse(text, &p))
		return parse_fail(err, err_size,
				  "\"%s\": \"%s\" is not an IPv6 address or prefix (want e.g. "
				  "2001:db8::/32; prefix lengths 0 to 128)", rule, text);
	if (inet_prefix_host_bits(&p)) {
		struct inet_prefix net = p;
		char net_text[INET_TEXT_LEN];

		inet_prefix_clear_host_bits(&net);
		inet_format(&net.addr, net_text);
		return parse_fail(err, err_size,
				  "\"%s\": %.*s has host bits set beyond /%u (the network is %s/%u)",
				  rule, slash ? (int)(slash - text) : (int)strlen(text), text, p.len,
				  net_text, p.len);
	}
	out->dst = p;
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
	if (strchr(text, ':'))
		return parse_target6(rule, text, out, err, err_size);
	if (dns_name_looks_like(text)) {
		char why[160];

		if (!dns_pattern_parse(text, &out->name, why, sizeof(why)))
			return parse_fail(err, err_size, "\"%s\": \"%s\" is not a host name: %s",
					  rule, text, why);
		out->is_name = true;
		out->dst = (struct inet_prefix){inet_from_v4(0), 32};
		return true;
	}
	if (!copy_field(text, slash ? slash : text + strlen(text), addr_text,
			sizeof(addr_text)) ||
	    !ipv4_parse(addr_text, &addr))
		return parse_fail(err, err_size,
				  "\"%s\": \"%.*s\" is not an IPv4 address (want a CIDR such as "
				  "203.0.113.0/24, an address, @host or a name)",
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

/* Is [start, end) a protocol's name ("tcp", "udp", "icmp")? They are never names. */
static bool is_proto_name(const char *start, const char *end)
{
	static const char *const names[] = {"tcp", "udp", "icmp", "icmpv6"};
	size_t len = (size_t)(end - start);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(start, names[i], len) == 0)
			return true;
	return false;
}

/*
 * Does @text read as "PROTO:TARGET[:PORTS]" (@colon1 its first ':', @colon2 its second or
 * NULL)? Its first field is a protocol's name or a number 1-255, and what follows a second
 * ':' is a port or a range. Else a text with ':' in it is an IPv6 target ("6::53" is TCP
 * port 53; the address 6::53 is written [6::53] or 0006::53).
 */
static bool old_grammar(const char *text, const char *colon1, const char *colon2)
{
	unsigned long n;
	char first[8];

	if (colon2 && strchr(colon2 + 1, ':'))
		return false;
	if (colon2 && strspn(colon2 + 1, "0123456789-") != strlen(colon2 + 1))
		return false;
	if (is_proto_name(text, colon1))
		return true;
	return copy_field(text, colon1, first, sizeof(first)) && parse_decimal(first, 255, &n) &&
	       n > 0;
}

/* Is [start, end) a TARGET (a CIDR, @host or a name)? Used to explain "TARGET:PORT". */
static bool looks_like_target(const char *start, const char *end)
{
	char buf[DNS_NAME_TEXT_LEN + 2], err[8];
	struct policy_rule scratch = {0};

	return copy_field(start, end, buf, sizeof(buf)) && buf[0] != '\0' &&
	       parse_target(buf, buf, &scratch, err, sizeof(err));
}

/*
 * "PROTO:[IPV6]" or "PROTO:[IPV6]:PORTS": an IPv6 target with a protocol is bracketed (RFC
 * 3986's form), since its colons would read as the rule's. @bracket is its '['.
 */
static bool parse_bracketed(const char *text, const char *bracket, struct policy_rule *out,
			    char *err, size_t err_size)
{
	const char *close = strchr(bracket, ']');
	char proto_text[8], target_text[INET_TEXT_LEN + 4];

	if (!close)
		return parse_fail(err, err_size, "\"%s\": the '[' of an IPv6 target has no ']'",
				  text);
	if (!copy_field(text, bracket - 1, proto_text, sizeof(proto_text)) || !proto_text[0])
		return parse_fail(err, err_size,
				  "\"%s\": a bracketed IPv6 target follows a protocol (PROTO:[IPV6]"
				  "[:PORT[-PORT]])", text);
	if (!parse_proto(text, proto_text, &out->proto, err, err_size))
		return false;
	if (!copy_field(bracket + 1, close, target_text, sizeof(target_text)) ||
	    !strchr(target_text, ':'))
		return parse_fail(err, err_size, "\"%s\": \"%.*s\" is not an IPv6 address or "
				  "prefix", text, (int)(close - bracket - 1), bracket + 1);
	if (!parse_target6(text, target_text, out, err, err_size))
		return false;
	if (close[1] == '\0')
		return true;
	if (close[1] != ':')
		return parse_fail(err, err_size, "\"%s\": after ']' only \":PORT[-PORT]\"", text);
	if (out->proto != PROTO_TCP && out->proto != PROTO_UDP)
		return parse_fail(err, err_size,
				  "\"%s\": ports apply only to tcp and udp, not to \"%s\"", text,
				  proto_text);
	return parse_ports(text, close + 2, out, err, err_size);
}

bool policy_rule_parse(const char *text, bool allow, struct policy_rule *out, char *err,
		       size_t err_size)
{
	const char *colon1 = strchr(text, ':');
	const char *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
	const char *target_end, *bracket = colon1 ? strchr(text, '[') : NULL;
	char proto_text[8], target_text[DNS_NAME_TEXT_LEN + 2];
	struct inet_prefix v6;

	*out = (struct policy_rule){.allow = allow, .dst.addr = inet_from_v4(0), .port_hi = 65535};
	if (text[0] == '\0')
		return parse_fail(err, err_size, "\"\": an empty rule (want a CIDR, @host, a name, "
				  "or PROTO:TARGET[:PORT[-PORT]])");
	if (!colon1)
		return parse_target(text, text, out, err, err_size);
	if (text[0] == '[' && text[strlen(text) - 1] == ']') { /* a bare target in brackets */
		copy_field(text + 1, text + strlen(text) - 1, target_text, sizeof(target_text));
		return parse_target6(text, target_text, out, err, err_size);
	}
	if (bracket && bracket == colon1 + 1)
		return parse_bracketed(text, bracket, out, err, err_size);
	/*
	 * A bare IPv6 target: the whole rule is an address or prefix. "PROTO:TARGET:PORTS" with
	 * a protocol's name or number first reads as before ("6::53" is TCP port 53, though it
	 * is an IPv6 address too).
	 */
	if (!old_grammar(text, colon1, colon2) && inet6_cidr_parse(text, &v6))
		return parse_target6(text, text, out, err, err_size);
	if (colon2 && strchr(colon2 + 1, ':'))
		return parse_fail(err, err_size,
				  "\"%s\": too many ':' (the form is PROTO:TARGET[:PORT[-PORT]]%s)",
				  text, strchr(text, '.') ? "" : "; an IPv6 target with a protocol goes "
				  "in brackets: tcp:[2001:db8::/32]:443");
	/* "TARGET:PORT": two fields, the second a port, the first no protocol */
	if (!colon2 && strspn(colon1 + 1, "0123456789-") == strlen(colon1 + 1) && colon1[1] &&
	    !is_proto_name(text, colon1) && looks_like_target(text, colon1))
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
				  "\"%s\": \"%.*s\" is too long for an address or a name", text,
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
	char target[DNS_NAME_TEXT_LEN + 2], net[INET_TEXT_LEN], proto[8];
	bool any_port = r->port_lo == 0 && r->port_hi == 65535;

	bool v6 = !r->is_name && !r->is_gateway && !inet_is_v4(&r->dst.addr);

	inet_format(&r->dst.addr, net);
	if (r->is_name)
		dns_pattern_format(&r->name, target, sizeof(target));
	else if (r->is_gateway)
		snprintf(target, sizeof(target), "@host");
	else if (v6 && r->proto) /* bracketed: its colons are not the rule's */
		snprintf(target, sizeof(target), "[%s/%u]", net, r->dst.len);
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
	else if (r->proto == PROTO_ICMPV6)
		snprintf(proto, sizeof(proto), "icmpv6");
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

/* The same target as policy_rule_format() writes it: one name, "@host", or one prefix. */
static bool same_target(const struct policy_rule *a, const struct policy_rule *b)
{
	if (a->is_name || b->is_name)
		return a->is_name && b->is_name && a->name.wildcard == b->name.wildcard &&
		       strcmp(a->name.name, b->name.name) == 0;
	if (a->is_gateway || b->is_gateway)
		return a->is_gateway && b->is_gateway;
	/* a /0 is every address, of both families: 0.0.0.0/0 and ::/0 are one rule */
	return a->dst.len == b->dst.len && (a->dst.len == 0 || inet_equal(&a->dst.addr, &b->dst.addr));
}

bool policy_rule_same(const struct policy_rule *a, const struct policy_rule *b)
{
	/* ports count only with a protocol, as in the rule's text */
	return a->allow == b->allow && a->proto == b->proto && same_target(a, b) &&
	       (!a->proto || (a->port_lo == b->port_lo && a->port_hi == b->port_hi));
}

bool policy_rule_matches_name(const struct policy_rule *r, const char *name)
{
	return r->is_name && dns_pattern_match(&r->name, name);
}

bool policy_rule_matches_port(const struct policy_rule *r, uint8_t proto, uint16_t port)
{
	if (!r->proto)
		return true;
	/* "icmp" is each family's ICMP: ICMPv6 in IPv6 (policy.h) */
	if (r->proto != proto && !(r->proto == PROTO_ICMP && proto == PROTO_ICMPV6))
		return false;
	if (proto != PROTO_TCP && proto != PROTO_UDP)
		return true;
	return port >= r->port_lo && port <= r->port_hi;
}
