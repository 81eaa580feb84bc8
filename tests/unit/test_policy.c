// SPDX-License-Identifier: MIT
/* test_policy.c — unit tests of src/policy.c: rule syntax, defaults, longest prefix, ties */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/addr.h"
#include "guard/policy.h"

#define TCP 6
#define UDP 17
#define ICMP 1

static const uint32_t gateway = 0xc0a84001; /* 192.168.64.1 */

static struct policy *compiled;
static struct policy_rule rules[POLICY_MAX_RULES];
static size_t rule_count;

/* The lookups on IPv4 addresses in host order, as these tests write them. */
static bool lookup(uint32_t dst, uint8_t proto, uint16_t port, enum policy_ports mode)
{
	struct inet_addr d = inet_from_v4(dst);

	return policy_allows(compiled, &d, proto, port, mode);
}

static bool lookup_reference(uint32_t dst, uint8_t proto, uint16_t port, enum policy_ports mode)
{
	struct inet_addr d = inet_from_v4(dst);

	return policy_allows_reference(compiled, &d, proto, port, mode);
}

static void compile_rules(void)
{
	struct inet_addr g = inet_from_v4(gateway);

	policy_free(compiled);
	compiled = policy_compile(rules, rule_count, &g, 1);
	assert_non_null(compiled);
}

static uint32_t ip(const char *text)
{
	uint32_t a = 0;

	if (!ipv4_parse(text, &a))
		fail_msg("bad address in test: %s", text);
	return a;
}

/* Compile "+RULE -RULE ..." (+ allow, - block), separated by spaces. */
static void compile(const char *spec)
{
	char copy[4096], *save = NULL, err[200];

	snprintf(copy, sizeof(copy), "%s", spec);
	rule_count = 0;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!policy_rule_parse(w + 1, w[0] == '+', &rules[rule_count], err, sizeof(err)))
			fail_msg("rule %s: %s", w, err);
		rule_count++;
	}
	compile_rules();
}

static bool allows(const char *dst, uint8_t proto, uint16_t port)
{
	bool got = lookup(ip(dst), proto, port, POLICY_PORT_KNOWN);
	bool want = lookup_reference(ip(dst), proto, port, POLICY_PORT_KNOWN);

	if (got != want)
		fail_msg("%s proto %u port %u: compiled %d, reference %d", dst, proto, port, got,
			 want);
	return got;
}

static bool allows_mode(const char *dst, uint8_t proto, enum policy_ports mode)
{
	bool got = lookup(ip(dst), proto, 0, mode);
	bool want = lookup_reference(ip(dst), proto, 0, mode);

	if (got != want)
		fail_msg("%s proto %u mode %d: compiled %d, reference %d", dst, proto, mode, got,
			 want);
	return got;
}

/* ---- syntax ---------------------------------------------------------------------------- */

static struct policy_rule parse_ok(const char *text, bool allow)
{
	struct policy_rule r;
	char err[200] = "";

	if (!policy_rule_parse(text, allow, &r, err, sizeof(err)))
		fail_msg("\"%s\" refused: %s", text, err);
	return r;
}

static void parse_cidr_address_and_host(void **state)
{
	struct policy_rule r;

	(void)state;
	r = parse_ok("203.0.113.0/24", true);
	assert_true(r.allow);
	assert_false(r.is_gateway);
	assert_int_equal(inet_v4(&r.dst.addr), ip("203.0.113.0"));
	assert_int_equal(r.dst.len, 24);
	assert_int_equal(r.proto, 0);
	assert_int_equal(r.port_lo, 0);
	assert_int_equal(r.port_hi, 65535);

	r = parse_ok("198.51.100.7", false);
	assert_false(r.allow);
	assert_int_equal(inet_v4(&r.dst.addr), ip("198.51.100.7"));
	assert_int_equal(r.dst.len, 32);

	r = parse_ok("0.0.0.0/0", false);
	assert_int_equal(r.dst.len, 0);

	r = parse_ok("@host", true);
	assert_true(r.is_gateway);
	assert_int_equal(r.dst.len, 32);
}

static void parse_protocol_and_ports(void **state)
{
	struct policy_rule r;

	(void)state;
	r = parse_ok("tcp:203.0.113.0/24:443", true);
	assert_int_equal(r.proto, TCP);
	assert_int_equal(inet_v4(&r.dst.addr), ip("203.0.113.0"));
	assert_int_equal(r.dst.len, 24);
	assert_int_equal(r.port_lo, 443);
	assert_int_equal(r.port_hi, 443);

	r = parse_ok("udp::53", true);
	assert_int_equal(r.proto, UDP);
	assert_int_equal(r.dst.len, 0);
	assert_int_equal(r.port_lo, 53);

	r = parse_ok("tcp:@host:8000-8999", false);
	assert_true(r.is_gateway);
	assert_int_equal(r.port_lo, 8000);
	assert_int_equal(r.port_hi, 8999);

	r = parse_ok("icmp:@host", true);
	assert_int_equal(r.proto, ICMP);
	assert_int_equal(r.port_hi, 65535);

	r = parse_ok("47:10.0.0.0/8", true); /* GRE */
	assert_int_equal(r.proto, 47);

	r = parse_ok("UDP:", true);
	assert_int_equal(r.proto, UDP);
	assert_int_equal(r.dst.len, 0);

	r = parse_ok("tcp:GitHub.COM.:443", true);
	assert_true(r.is_name);
	assert_false(r.name.wildcard);
	assert_string_equal(r.name.name, "github.com");
	assert_int_equal(r.port_lo, 443);
	r = parse_ok("*.example.net", false);
	assert_true(r.is_name && r.name.wildcard);
	assert_string_equal(r.name.name, "example.net");
	assert_int_equal(r.proto, 0);
}

static void expect_error(const char *text, const char *message)
{
	struct policy_rule r;
	char err[200] = "";

	if (policy_rule_parse(text, true, &r, err, sizeof(err)))
		fail_msg("\"%s\" was accepted", text);
	assert_string_equal(err, message);
}

static void parse_errors_say_what_and_why(void **state)
{
	(void)state;
	expect_error("10.0.0.0/33", "\"10.0.0.0/33\": \"/33\" is not a prefix length from 0 to 32");
	expect_error("10.0.0.0/", "\"10.0.0.0/\": \"/\" is not a prefix length from 0 to 32");
	expect_error("10.0.0.1/8",
		     "\"10.0.0.1/8\": 10.0.0.1 has host bits set beyond /8 (the network is "
		     "10.0.0.0/8)");
	expect_error("10.0.0", "\"10.0.0\": \"10.0.0\" is not an IPv4 address (want a CIDR such "
		     "as 203.0.113.0/24, an address, @host or a name)");
	expect_error("exa_mple..com", "\"exa_mple..com\": \"exa_mple..com\" is not a host name: "
		     "an empty label");
	expect_error("tcp:b\xc3\xbc" "cher.example:443", "\"tcp:b\xc3\xbc" "cher.example:443\": "
		     "\"b\xc3\xbc" "cher.example\" is not a host name: not ASCII: write an "
		     "internationalized name in its ASCII form (xn--...)");
	expect_error("*.*.example.com", "\"*.*.example.com\": \"*.*.example.com\" is not a host "
		     "name: '*' only as the first label (\"*.example.com\")");
	expect_error("github.com:443", "\"github.com:443\": a port needs a protocol first, e.g. "
		     "\"tcp:github.com:443\"");
	expect_error("@gateway", "\"@gateway\": \"@gateway\" is not a known name (the only one "
		     "is @host, the gateway)");
	expect_error("sctp:10.0.0.0/8", "\"sctp:10.0.0.0/8\": \"sctp\" is not a protocol (tcp, "
		     "udp, icmp, icmpv6 or a number 1-255; leave the rule without one to match every "
		     "protocol)");
	expect_error("0:10.0.0.0/8", "\"0:10.0.0.0/8\": \"0\" is not a protocol (tcp, udp, icmp, "
		     "icmpv6 or a number 1-255; leave the rule without one to match every protocol)");
	expect_error("tcp:10.0.0.0/8:99999", "\"tcp:10.0.0.0/8:99999\": \"99999\" is not a port "
		     "or a port range (0-65535, e.g. 443 or 8000-8999)");
	expect_error("tcp:10.0.0.0/8:", "\"tcp:10.0.0.0/8:\": \"\" is not a port or a port range "
		     "(0-65535, e.g. 443 or 8000-8999)");
	expect_error("tcp:10.0.0.0/8:https", "\"tcp:10.0.0.0/8:https\": \"https\" is not a port "
		     "or a port range (0-65535, e.g. 443 or 8000-8999)");
	expect_error("udp::90-80", "\"udp::90-80\": the port range \"90-80\" runs backwards "
		     "(write 80-90)");
	expect_error("icmp:@host:8", "\"icmp:@host:8\": ports apply only to tcp and udp, not to "
		     "\"icmp\"");
	expect_error("203.0.113.0/24:443", "\"203.0.113.0/24:443\": a port needs a protocol "
		     "first, e.g. \"tcp:203.0.113.0/24:443\"");
	expect_error("tcp:1.2.3.4:80:90", "\"tcp:1.2.3.4:80:90\": too many ':' (the form is "
		     "PROTO:TARGET[:PORT[-PORT]])");
	expect_error("tcp:1.2.3.4/40:80", "\"tcp:1.2.3.4/40:80\": \"/40\" is not a prefix length "
		     "from 0 to 32");
	expect_error("", "\"\": an empty rule (want a CIDR, @host, a name, or "
		     "PROTO:TARGET[:PORT[-PORT]])");
	expect_error(" 10.0.0.0/8", "\" 10.0.0.0/8\": \" 10.0.0.0\" is not an IPv4 address (want "
		     "a CIDR such as 203.0.113.0/24, an address, @host or a name)");
}

static void format_round_trips(void **state)
{
	static const char *const texts[] = {
		"203.0.113.0/24", "@host", "0.0.0.0/0", "tcp:203.0.113.0/24:443", "udp:0.0.0.0/0:53",
		"tcp:@host:8000-8999", "icmp:@host", "47:10.0.0.0/8", "198.51.100.7/32",
		"github.com", "tcp:*.githubusercontent.com:443", "udp:*.example.net",
	};
	char buf[POLICY_RULE_TEXT_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct policy_rule r = parse_ok(texts[i], true);

		assert_string_equal(policy_rule_format(&r, buf, sizeof(buf)), texts[i]);
	}
	/* the whole port range is the same as no range */
	{
		struct policy_rule r = parse_ok("tcp:1.2.3.4:0-65535", true);

		assert_string_equal(policy_rule_format(&r, buf, sizeof(buf)), "tcp:1.2.3.4/32");
	}
}

/* policy_rule_same() compares fields: it must agree with the rules' texts, every pair. */
static void same_rule_is_same_text(void **state)
{
	static const char *const texts[] = {
		"203.0.113.0/24", "203.0.113.0/25", "@host", "192.168.64.1", "0.0.0.0/0",
		"tcp:203.0.113.0/24:443", "tcp:203.0.113.0/24:444", "udp:203.0.113.0/24:443",
		"tcp:203.0.113.0/24", "tcp:203.0.113.0/24:0-65535", "tcp:203.0.113.0/24:1-2",
		"tcp:@host:8000-8999", "icmp:@host", "47:10.0.0.0/8", "github.com", "GitHub.com.",
		"*.github.com", "tcp:github.com:443", "tcp:*.githubusercontent.com:443",
		"udp:*.example.net", "example.net",
	};
	size_t n = sizeof(texts) / sizeof(texts[0]);
	char x[POLICY_RULE_TEXT_LEN], y[POLICY_RULE_TEXT_LEN];

	(void)state;
	for (size_t i = 0; i < 2 * n; i++)
		for (size_t k = 0; k < 2 * n; k++) {
			struct policy_rule a = parse_ok(texts[i % n], i < n);
			struct policy_rule b = parse_ok(texts[k % n], k < n);
			bool text_same = a.allow == b.allow &&
					 strcmp(policy_rule_format(&a, x, sizeof(x)),
						policy_rule_format(&b, y, sizeof(y))) == 0;

			if (policy_rule_same(&a, &b) != text_same)
				fail_msg("%s %s / %s %s", a.allow ? "allow" : "block", x,
					 b.allow ? "allow" : "block", y);
		}
}

/* ---- the default policy ------------------------------------------------------------------ */

static void default_refuses_special_purpose_blocks(void **state)
{
	static const char *const refused[] = {
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.255",
		"127.0.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1",
		"192.0.0.170", "192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1",
		"192.168.1.1", "192.168.64.2", "192.168.64.255", "192.175.48.1", "198.18.0.1",
		"198.19.255.255", "198.51.100.1", "203.0.113.2", "224.0.0.1", "224.0.0.251",
		"239.255.255.250", "240.0.0.1", "255.255.255.254", "255.255.255.255",
	};
	static const char *const allowed[] = {
		"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
		"126.255.255.255", "128.0.0.0", "169.253.255.255", "172.15.255.255", "172.32.0.0",
		"192.0.1.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
		"203.0.112.255", "203.0.114.0", "223.255.255.255",
	};

	(void)state;
	compile("");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (allows(refused[i], UDP, 53) || allows(refused[i], TCP, 443) ||
		    allows(refused[i], ICMP, 0))
			fail_msg("%s allowed by default", refused[i]);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (!allows(allowed[i], UDP, 53) || !allows(allowed[i], TCP, 443) ||
		    !allows(allowed[i], ICMP, 0))
			fail_msg("%s refused by default", allowed[i]);
	}
}

/* Does the built-in block of @host decide for the gateway (the guard keeps DNS and ping)? */
static bool host_default_decides(uint8_t proto, uint16_t port)
{
	struct policy_verdict d = policy_decide(compiled, gateway, proto, port, POLICY_PORT_KNOWN);

	return !d.allow && policy_is_host_default(compiled, d.entry);
}

static void default_closes_the_host(void **state)
{
	(void)state;
	compile("");
	assert_false(allows("192.168.64.1", TCP, 22));
	assert_false(allows("192.168.64.1", UDP, 53));
	assert_false(allows("192.168.64.1", ICMP, 0));
	assert_false(allows_mode("192.168.64.1", UDP, POLICY_PORT_EVERY));
	assert_false(allows_mode("192.168.64.1", 0, POLICY_PORT_ANY));
	/* ... by the built-in entry of @host, which the guard reads as "DNS and ping only" */
	assert_true(host_default_decides(UDP, 53));
	assert_true(host_default_decides(TCP, 8080));
	assert_true(host_default_decides(ICMP, 0));
	assert_false(allows("192.168.64.2", UDP, 53)); /* a neighbour on the bridge */
	assert_false(allows_mode("192.168.64.2", 0, POLICY_PORT_ANY));
	assert_false(policy_is_host_default(compiled, 0)); /* 0.0.0.0/0, built in too */
	assert_false(policy_is_host_default(compiled, -1));
	/* a rule of the command line for the gateway decides instead */
	compile("+tcp:@host:8080");
	assert_true(allows("192.168.64.1", TCP, 8080));
	assert_false(allows("192.168.64.1", TCP, 8081));
	assert_true(host_default_decides(TCP, 8081));
	compile("+192.168.64.1");
	assert_true(allows("192.168.64.1", TCP, 22));
	compile("-@host");
	assert_false(host_default_decides(UDP, 53));
	assert_false(host_default_decides(ICMP, 0));
	/* a shorter prefix does not open it, however broad: only a rule naming the host */
	compile("+192.168.64.0/24 +tcp::22");
	assert_false(allows("192.168.64.1", TCP, 22));
	assert_true(host_default_decides(TCP, 22));
}

/* ---- longest prefix, ties, qualifiers ------------------------------------------------------- */

static void block_all_allow_host_leaves_only_the_host(void **state)
{
	(void)state;
	compile("-0.0.0.0/0 +@host");
	assert_false(allows("8.8.8.8", TCP, 443));
	assert_false(allows("1.1.1.1", ICMP, 0));
	assert_true(allows("192.168.64.1", UDP, 53));
	assert_true(allows("192.168.64.1", TCP, 22));
	/* the built-in @host block is a /32 too: blocking 0/0 leaves it the host's verdict */
	compile("-0.0.0.0/0");
	assert_false(allows("8.8.8.8", TCP, 443));
	assert_true(host_default_decides(UDP, 53));
}

static void command_line_beats_default_at_same_prefix(void **state)
{
	(void)state;
	compile("+203.0.113.0/24");
	assert_true(allows("203.0.113.2", UDP, 7));
	assert_false(allows("198.51.100.2", UDP, 7));
	compile("-@host");
	assert_false(allows("192.168.64.1", UDP, 53));
	assert_false(allows("192.168.64.1", ICMP, 0));
	compile("+10.0.0.0/8");
	assert_true(allows("10.1.2.3", TCP, 22));
	assert_false(allows("172.16.0.1", TCP, 22));
}

static void longest_prefix_wins(void **state)
{
	(void)state;
	compile("+203.0.113.0/24 -203.0.113.128/25 +203.0.113.200/32 -8.8.0.0/16 +8.8.8.0/24");
	assert_true(allows("203.0.113.1", TCP, 80));
	assert_true(allows("203.0.113.127", TCP, 80));
	assert_false(allows("203.0.113.128", TCP, 80));
	assert_false(allows("203.0.113.199", TCP, 80));
	assert_true(allows("203.0.113.200", TCP, 80));
	assert_false(allows("203.0.113.201", TCP, 80));
	assert_false(allows("203.0.113.255", TCP, 80));
	assert_false(allows("8.8.4.4", UDP, 53));
	assert_true(allows("8.8.8.8", UDP, 53));
	assert_true(allows("8.9.0.0", UDP, 53));
	/* a longer built-in block beats a shorter allow */
	compile("+0.0.0.0/0 +192.0.0.0/8");
	assert_false(allows("192.168.1.1", TCP, 80));
	assert_true(allows("192.1.2.3", TCP, 80));
}

static void block_wins_a_tie(void **state)
{
	(void)state;
	compile("+203.0.113.0/24 -203.0.113.0/24");
	assert_false(allows("203.0.113.2", TCP, 80));
	compile("-203.0.113.0/24 +203.0.113.0/24");
	assert_false(allows("203.0.113.2", TCP, 80));
	compile("+tcp:203.0.113.0/24:443 -tcp:203.0.113.0/24:443");
	assert_false(allows("203.0.113.2", TCP, 443));
	compile("+8.8.8.8 -8.8.8.8/32");
	assert_false(allows("8.8.8.8", UDP, 53));
}

static void port_rule_opens_one_service(void **state)
{
	(void)state;
	compile("+tcp:203.0.113.0/24:443");
	assert_true(allows("203.0.113.2", TCP, 443));
	assert_false(allows("203.0.113.2", TCP, 80));
	assert_false(allows("203.0.113.2", UDP, 443));
	assert_false(allows("203.0.113.2", ICMP, 0));
	assert_false(allows("198.51.100.2", TCP, 443));
	assert_true(allows("8.8.8.8", TCP, 80)); /* the rest of the default stands */

	compile("-0.0.0.0/0 +tcp::443 +udp::53");
	assert_true(allows("8.8.8.8", TCP, 443));
	assert_true(allows("8.8.8.8", UDP, 53));
	assert_false(allows("8.8.8.8", TCP, 80));
	assert_false(allows("8.8.8.8", UDP, 443));
	assert_false(allows("10.0.0.1", TCP, 443)); /* the longer built-in block stays */
	assert_false(allows("192.168.64.1", TCP, 443)); /* and the host's */
}

static void qualifier_ranks_after_prefix(void **state)
{
	(void)state;
	/* ports over protocol over nothing, at the same prefix */
	compile("-tcp:203.0.113.0/24 +tcp:203.0.113.0/24:443 +203.0.113.0/24");
	assert_true(allows("203.0.113.9", TCP, 443));
	assert_false(allows("203.0.113.9", TCP, 80));
	assert_true(allows("203.0.113.9", UDP, 80));
	assert_true(allows("203.0.113.9", ICMP, 0));
	/* a longer prefix beats a more specific qualifier */
	compile("+tcp:203.0.113.0/24:443 -203.0.113.9/32");
	assert_false(allows("203.0.113.9", TCP, 443));
	assert_true(allows("203.0.113.10", TCP, 443));
	/* a port rule on the gateway: -@host cuts it, +udp:@host:53 reopens DNS */
	compile("-@host +udp:@host:53 +tcp:@host:53");
	assert_true(allows("192.168.64.1", UDP, 53));
	assert_true(allows("192.168.64.1", TCP, 53));
	assert_false(allows("192.168.64.1", TCP, 22));
	assert_false(allows("192.168.64.1", ICMP, 0));
}

static void port_range_edges(void **state)
{
	(void)state;
	compile("+tcp:203.0.113.0/24:8000-8999 -udp::0-1023");
	assert_false(allows("203.0.113.1", TCP, 7999));
	assert_true(allows("203.0.113.1", TCP, 8000));
	assert_true(allows("203.0.113.1", TCP, 8999));
	assert_false(allows("203.0.113.1", TCP, 9000));
	assert_false(allows("8.8.8.8", UDP, 0));
	assert_false(allows("8.8.8.8", UDP, 1023));
	assert_true(allows("8.8.8.8", UDP, 1024));
	assert_true(allows("8.8.8.8", UDP, 65535));
	/* ports do not apply to other protocols */
	assert_true(allows("8.8.8.8", ICMP, 5));
}

static void every_port_for_fragments(void **state)
{
	(void)state;
	compile("+tcp:203.0.113.0/24:443");
	assert_false(allows_mode("203.0.113.2", TCP, POLICY_PORT_EVERY));
	assert_true(allows_mode("8.8.8.8", TCP, POLICY_PORT_EVERY));
	compile("+203.0.113.0/24 -tcp:203.0.113.0/24:25");
	assert_false(allows_mode("203.0.113.2", TCP, POLICY_PORT_EVERY));
	assert_true(allows_mode("203.0.113.2", UDP, POLICY_PORT_EVERY));
	assert_true(allows_mode("203.0.113.2", ICMP, POLICY_PORT_EVERY));
	compile("+tcp:203.0.113.0/24:0-1000 +tcp:203.0.113.0/24:1001-65535");
	assert_true(allows_mode("203.0.113.2", TCP, POLICY_PORT_EVERY));
	compile("+tcp:203.0.113.0/24:0-1000 +tcp:203.0.113.0/24:1002-65535");
	assert_false(allows_mode("203.0.113.2", TCP, POLICY_PORT_EVERY));
	compile("-0.0.0.0/0 +udp::0-65535");
	assert_true(allows_mode("8.8.8.8", UDP, POLICY_PORT_EVERY));
	assert_false(allows_mode("8.8.8.8", TCP, POLICY_PORT_EVERY));
}

static void anything_allowed_for_arp(void **state)
{
	(void)state;
	compile("+tcp:10.0.0.5:22");
	assert_true(allows_mode("10.0.0.5", 0, POLICY_PORT_ANY));
	assert_false(allows_mode("10.0.0.6", 0, POLICY_PORT_ANY));
	assert_true(allows_mode("8.8.8.8", 0, POLICY_PORT_ANY));
	compile("-0.0.0.0/0 -tcp:8.8.8.8:53 +tcp:8.8.8.8:0-60000");
	assert_true(allows_mode("8.8.8.8", 0, POLICY_PORT_ANY));
	compile("-0.0.0.0/0 -tcp:8.8.8.8:0-65535 +tcp:8.8.8.0/24:53");
	assert_false(allows_mode("8.8.8.8", 0, POLICY_PORT_ANY));
	assert_true(allows_mode("8.8.8.9", 0, POLICY_PORT_ANY));
}

/* ---- the compiled lookup against the plain scan ---------------------------------------------- */

static uint64_t rng_state = 0x5eed5eed12345678ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static struct policy_rule random_rule(void)
{
	static const uint32_t bases[] = {0xcb007100, 0x0a000000, 0x08080800, 0xc0a84000, 0, 0xe0000000};
	static const uint8_t protos[] = {0, 0, 0, TCP, UDP, ICMP};
	struct policy_rule r = {.allow = rnd() & 1, .port_hi = 65535};
	unsigned len = rnd() % 33;

	r.dst.addr = inet_from_v4((bases[rnd() % 6] | (rnd() & 0xff)) & ipv4_prefix_mask(len));
	r.dst.len = (uint8_t)len;
	r.is_gateway = rnd() % 10 == 0;
	if (r.is_gateway)
		r.dst = (struct inet_prefix){inet_from_v4(0), 32};
	r.proto = protos[rnd() % 6];
	if ((r.proto == TCP || r.proto == UDP) && rnd() % 3) {
		r.port_lo = (uint16_t)(rnd() % 100);
		r.port_hi = (uint16_t)(r.port_lo + rnd() % 50);
		if (rnd() % 5 == 0)
			r.port_hi = 65535;
	}
	return r;
}

static uint32_t random_address_near(const struct policy_rule *r)
{
	uint32_t net = r->is_gateway ? gateway : inet_v4(&r->dst.addr);
	uint32_t last = net | ~ipv4_prefix_mask(r->dst.len);

	switch (rnd() % 5) {
	case 0:
		return net;
	case 1:
		return last;
	case 2:
		return net - 1;
	case 3:
		return last + 1;
	default:
		return net + (rnd() & ~ipv4_prefix_mask(r->dst.len));
	}
}

static void compiled_matches_reference(void **state)
{
	(void)state;
	for (int set = 0; set < 150; set++) {
		rule_count = 1 + rnd() % 12;
		for (size_t i = 0; i < rule_count; i++)
			rules[i] = random_rule();
		compile_rules();
		for (int q = 0; q < 60; q++) {
			uint32_t dst = random_address_near(&rules[rnd() % rule_count]);
			uint8_t proto = (uint8_t)(q % 4 == 0 ? ICMP : q % 2 ? TCP : UDP);
			uint16_t port = (uint16_t)(rnd() % 4 ? rnd() % 160 : rnd());
			enum policy_ports mode = q % 7 == 0 ? POLICY_PORT_EVERY : POLICY_PORT_KNOWN;

			if (q % 20 == 0)
				mode = POLICY_PORT_ANY;
			if (lookup(dst, proto, port, mode) !=
			    lookup_reference(dst, proto, port, mode))
				fail_msg("set %d query %d: dst %08x proto %u port %u mode %d", set,
					 q, dst, proto, port, mode);
		}
	}
}

static void full_rule_table_compiles(void **state)
{
	(void)state;
	rule_count = POLICY_MAX_RULES;
	for (size_t i = 0; i < rule_count; i++) {
		/* disjoint /32s everywhere: the most intervals */
		rules[i] = (struct policy_rule){
			.allow = i % 2,
			.dst = {inet_from_v4((uint32_t)(i * 0x01010101u + 7)), 32},
			.port_hi = 65535,
		};
		if (i % 3 == 0)
			rules[i].proto = TCP;
	}
	compile_rules();
	for (size_t i = 0; i < rule_count; i++) {
		uint32_t dst = inet_v4(&rules[i].dst.addr);

		assert_int_equal(lookup(dst, TCP, 80, POLICY_PORT_KNOWN),
				 lookup_reference(dst, TCP, 80, POLICY_PORT_KNOWN));
		assert_int_equal(lookup(dst + 1, UDP, 80, POLICY_PORT_KNOWN),
				 lookup_reference(dst + 1, UDP, 80, POLICY_PORT_KNOWN));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_cidr_address_and_host),
		cmocka_unit_test(parse_protocol_and_ports),
		cmocka_unit_test(parse_errors_say_what_and_why),
		cmocka_unit_test(format_round_trips),
		cmocka_unit_test(same_rule_is_same_text),
		cmocka_unit_test(default_refuses_special_purpose_blocks),
		cmocka_unit_test(default_closes_the_host),
		cmocka_unit_test(block_all_allow_host_leaves_only_the_host),
		cmocka_unit_test(command_line_beats_default_at_same_prefix),
		cmocka_unit_test(longest_prefix_wins),
		cmocka_unit_test(block_wins_a_tie),
		cmocka_unit_test(port_rule_opens_one_service),
		cmocka_unit_test(qualifier_ranks_after_prefix),
		cmocka_unit_test(port_range_edges),
		cmocka_unit_test(every_port_for_fragments),
		cmocka_unit_test(anything_allowed_for_arp),
		cmocka_unit_test(compiled_matches_reference),
		cmocka_unit_test(full_rule_table_compiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
