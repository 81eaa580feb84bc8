// SPDX-License-Identifier: MIT
/* test_policy6.c — unit tests of src/guard/policy6.c and IPv6 rules: syntax, defaults, @host, the lookup */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/policy.h"
#include "proto/addr.h"

#define TCP 6
#define UDP 17
#define ICMP 1
#define ICMPV6 58

static struct inet_addr hosts[3];
static struct policy *compiled;
static struct policy_rule rules[64];
static size_t rule_count;

static struct inet_addr addr(const char *text)
{
	struct inet_addr a;

	if (!inet_parse(text, &a))
		fail_msg("bad address in test: %s", text);
	return a;
}

static int setup(void **state)
{
	(void)state;
	hosts[0] = addr("192.168.64.1");
	hosts[1] = addr("fd12:3456:789a:1::1");
	hosts[2] = addr("fe80::1");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(compiled);
	compiled = NULL;
	return 0;
}

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
	policy_free(compiled);
	compiled = policy_compile(rules, rule_count, hosts, 3);
	assert_non_null(compiled);
}

/* The compiled lookup's answer, checked against the plain scan's. */
static bool check(const char *dst, uint8_t proto, uint16_t port, enum policy_ports mode)
{
	struct inet_addr d = addr(dst);
	bool got = policy_allows(compiled, &d, proto, port, mode);
	bool want = policy_allows_reference(compiled, &d, proto, port, mode);

	if (got != want)
		fail_msg("%s proto %u port %u mode %d: compiled %d, reference %d", dst, proto, port,
			 mode, got, want);
	return got;
}

static bool allows(const char *dst, uint8_t proto, uint16_t port)
{
	return check(dst, proto, port, POLICY_PORT_KNOWN);
}

static struct policy_rule parse_ok(const char *text, bool allow)
{
	struct policy_rule r;
	char err[200] = "";

	if (!policy_rule_parse(text, allow, &r, err, sizeof(err)))
		fail_msg("\"%s\" refused: %s", text, err);
	return r;
}

static void expect_error(const char *text, const char *message)
{
	struct policy_rule r;
	char err[300] = "";

	assert_false(policy_rule_parse(text, true, &r, err, sizeof(err)));
	assert_string_equal(err, message);
}

static void ipv6_targets_bare_and_bracketed(void **state)
{
	struct policy_rule r, other;
	char text[POLICY_RULE_TEXT_LEN];

	(void)state;
	r = parse_ok("2001:db8:100::/64", true);
	assert_int_equal(r.dst.len, 64);
	assert_int_equal(r.proto, 0);
	assert_string_equal(policy_rule_format(&r, text, sizeof(text)), "2001:db8:100::/64");
	r = parse_ok("2001:db8::1", false);
	assert_int_equal(r.dst.len, 128);
	r = parse_ok("tcp:[2001:db8::/32]:443", true);
	assert_int_equal(r.proto, TCP);
	assert_int_equal(r.port_lo, 443);
	assert_int_equal(r.port_hi, 443);
	assert_string_equal(policy_rule_format(&r, text, sizeof(text)), "tcp:[2001:db8::/32]:443");
	r = parse_ok("udp:[::/0]", true);
	assert_string_equal(policy_rule_format(&r, text, sizeof(text)), "udp:[::/0]");
	r = parse_ok("icmpv6:[fe80::/10]", true);
	assert_int_equal(r.proto, ICMPV6);
	assert_string_equal(policy_rule_format(&r, text, sizeof(text)), "icmpv6:[fe80::/10]");
	/* a protocol number first still reads as the old grammar: TCP port 53 anywhere */
	r = parse_ok("6::53", true);
	assert_int_equal(r.proto, TCP);
	assert_int_equal(r.port_lo, 53);
	r = parse_ok("[6::53]", true);
	assert_int_equal(r.proto, 0);
	assert_int_equal(r.dst.len, 128);
	r = parse_ok("100::/64", true);
	assert_int_equal(r.dst.len, 64);
	r = parse_ok("2000::/3", true);
	assert_int_equal(r.dst.len, 3);
	/* the round trip reads back as the same rule */
	r = parse_ok("tcp:[2001:db8::/32]:8000-8999", true);
	other = parse_ok(policy_rule_format(&r, text, sizeof(text)), true);
	assert_true(policy_rule_same(&r, &other));
	/* 0.0.0.0/0 and ::/0 are one rule: every address */
	r = parse_ok("::/0", false);
	other = parse_ok("0.0.0.0/0", false);
	assert_true(policy_rule_same(&r, &other));
}

static void ipv6_target_errors(void **state)
{
	(void)state;
	expect_error("2001:db8::1/32", "\"2001:db8::1/32\": 2001:db8::1 has host bits set beyond "
		     "/32 (the network is 2001:db8::/32)");
	expect_error("tcp:[2001:db8::1/32]:443", "\"tcp:[2001:db8::1/32]:443\": 2001:db8::1 has "
		     "host bits set beyond /32 (the network is 2001:db8::/32)");
	expect_error("tcp:[2001:db8::/32:443", "\"tcp:[2001:db8::/32:443\": the '[' of an IPv6 "
		     "target has no ']'");
	expect_error("tcp:[2001:db8::/129]", "\"tcp:[2001:db8::/129]\": \"2001:db8::/129\" is not "
		     "an IPv6 address or prefix (want e.g. 2001:db8::/32; prefix lengths 0 to 128)");
	expect_error("icmp:[2001:db8::/32]:80", "\"icmp:[2001:db8::/32]:80\": ports apply only to "
		     "tcp and udp, not to \"icmp\"");
	expect_error("tcp:2001:db8::/32:443", "\"tcp:2001:db8::/32:443\": too many ':' (the form is "
		     "PROTO:TARGET[:PORT[-PORT]]; an IPv6 target with a protocol goes in brackets: "
		     "tcp:[2001:db8::/32]:443)");
	expect_error("tcp:[github.com]", "\"tcp:[github.com]\": \"github.com\" is not an IPv6 "
		     "address or prefix");
}

static void defaults_refuse_the_special_registry(void **state)
{
	(void)state;
	compile("");
	assert_true(allows("2606:4700::1111", TCP, 443)); /* global unicast */
	assert_false(allows("64:ff9b::808:808", UDP, 53)); /* NAT64: only where allowed */
	assert_false(allows("::1", TCP, 22));
	assert_false(allows("::", UDP, 53));
	assert_false(allows("64:ff9b:1::1", UDP, 53));
	assert_false(allows("100::1", UDP, 9));
	assert_false(allows("2001::1", UDP, 3544));       /* Teredo */
	assert_false(allows("2001:db8:100::2", TCP, 80)); /* documentation */
	assert_false(allows("2002:a00:1::1", TCP, 80));   /* 6to4 of 10.0.0.1 */
	assert_false(allows("3fff::1", TCP, 80));
	assert_false(allows("5f00::1", TCP, 80));
	assert_false(allows("fd00::1", TCP, 80));         /* unique local */
	assert_false(allows("fd12:3456:789a:1::2", TCP, 80)); /* another VM */
	assert_false(allows("fe80::2", TCP, 80));
	assert_false(allows("fec0::1", TCP, 80));
	assert_false(allows("ff02::1", UDP, 5353));
	/* @host: the gateway's addresses, all of them, closed by default (the guard keeps
	 * their DNS and ping open under that built-in block: test_guard6) */
	assert_false(allows("fd12:3456:789a:1::1", UDP, 53));
	assert_false(allows("fe80::1", TCP, 22));
	assert_false(allows("192.168.64.1", UDP, 53));
	assert_false(allows("fe80::1:1", TCP, 22));
}

static void rules_of_both_families(void **state)
{
	(void)state;
	/* the sandbox of IPv4 days closes IPv6 too: 0.0.0.0/0 is every address */
	compile("-0.0.0.0/0 +@host");
	assert_false(allows("2606:4700::1111", TCP, 443));
	assert_true(allows("fd12:3456:789a:1::1", TCP, 8080));
	assert_true(allows("fe80::1", UDP, 53));
	assert_false(allows("8.8.8.8", UDP, 53));
	assert_false(allows("64:ff9b::808:808", UDP, 53)); /* no built-in allow outlives it */
	compile("+64:ff9b::/96"); /* NAT64, where the host's network translates */
	assert_true(allows("64:ff9b::808:808", UDP, 53));
	/* an IPv6 rule judges IPv6 only */
	compile("-2000::/3");
	assert_false(allows("2606:4700::1111", TCP, 443));
	assert_true(allows("8.8.8.8", UDP, 53));
	/* an IPv4 rule judges IPv4 only */
	compile("-8.0.0.0/8");
	assert_false(allows("8.8.8.8", UDP, 53));
	assert_true(allows("2606:4700::1111", TCP, 443));
	/* "icmp" is ICMPv6 in IPv6; an empty target is both families */
	compile("-0.0.0.0/0 +icmp:");
	assert_true(allows("2606:4700::1111", ICMPV6, 0));
	assert_true(allows("8.8.8.8", ICMP, 0));
	assert_false(allows("2606:4700::1111", ICMP, 0)); /* ICMP in IPv6 means nothing */
	compile("-0.0.0.0/0 +udp::53");
	assert_true(allows("2001:4860:4860::8888", UDP, 53));
	assert_false(allows("2001:4860:4860::8888", UDP, 54));
	/* the examples */
	compile("+2001:db8:100::/64 +tcp:[2001:db8::/32]:443");
	assert_true(allows("2001:db8:100::2", UDP, 9));
	assert_true(allows("2001:db8:7::1", TCP, 443));
	assert_false(allows("2001:db8:7::1", TCP, 80));
	assert_true(check("2001:db8:7::1", TCP, 0, POLICY_PORT_ANY));
	assert_false(check("2001:db8:7::1", TCP, 0, POLICY_PORT_EVERY));
	assert_true(check("2001:db8:100::9", UDP, 0, POLICY_PORT_EVERY));
	/* longest prefix, then qualifier, then block over allow, as in IPv4 */
	compile("+2001:db8::/32 -2001:db8:1::/48 +tcp:[2001:db8:1::/48]:22 -2001:db8:1::5");
	assert_true(allows("2001:db8:2::1", UDP, 1));
	assert_false(allows("2001:db8:1::1", UDP, 1));
	assert_true(allows("2001:db8:1::1", TCP, 22));
	assert_false(allows("2001:db8:1::5", TCP, 22));
	/* the very last address, and the first */
	compile("+ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff -::/0");
	assert_true(allows("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", UDP, 1));
	assert_false(allows("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", UDP, 1));
}

/* ---- the compiled lookup against the plain scan ---------------------------------------------- */

static uint64_t rng = 0x1234abcd5678ef01ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static struct policy_rule random_rule(void)
{
	static const char *const bases[] = {"2001:db8::", "fd12:3456:789a:1::", "fe80::", "::",
					    "ff02::", "2606:4700::"};
	static const uint8_t protos[] = {0, 0, 0, TCP, UDP, ICMP, ICMPV6};
	struct policy_rule r = {.allow = rnd() & 1, .port_hi = 65535};

	r.dst.addr = addr(bases[rnd() % 6]);
	r.dst.addr.b[rnd() % 16] ^= (uint8_t)rnd();
	r.dst.len = (uint8_t)(rnd() % 129);
	inet_prefix_clear_host_bits(&r.dst);
	r.is_gateway = rnd() % 10 == 0;
	if (r.is_gateway)
		r.dst = (struct inet_prefix){inet_from_v4(0), 32};
	r.proto = protos[rnd() % 7];
	if ((r.proto == TCP || r.proto == UDP) && rnd() % 3) {
		r.port_lo = (uint16_t)(rnd() % 100);
		r.port_hi = (uint16_t)(r.port_lo + rnd() % 50);
	}
	return r;
}

/* An address at, just inside or just outside a rule's edges (or a host's). */
static struct inet_addr near(const struct policy_rule *r)
{
	struct inet_addr a = r->is_gateway ? hosts[1 + rnd() % 2] : r->dst.addr;
	unsigned bit = r->is_gateway ? 127 : r->dst.len ? r->dst.len - 1u : 0;

	switch (rnd() % 4) {
	case 0:
		return a;
	case 1: /* the last address */
		for (unsigned b = r->dst.len; b < 128 && !r->is_gateway; b++)
			a.b[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		return a;
	case 2: /* across the prefix's last bit */
		a.b[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		return a;
	default:
		a.b[15] ^= (uint8_t)rnd();
		return a;
	}
}

static void compiled_matches_reference(void **state)
{
	(void)state;
	for (int set = 0; set < 150; set++) {
		rule_count = 1 + rnd() % 12;
		for (size_t i = 0; i < rule_count; i++)
			rules[i] = random_rule();
		policy_free(compiled);
		compiled = policy_compile(rules, rule_count, hosts, 3);
		assert_non_null(compiled);
		for (int q = 0; q < 60; q++) {
			struct inet_addr d = near(&rules[rnd() % rule_count]);
			uint8_t proto = (uint8_t)(q % 4 == 0 ? ICMPV6 : q % 2 ? TCP : UDP);
			uint16_t port = (uint16_t)(rnd() % 160);
			enum policy_ports mode = q % 7 == 0 ? POLICY_PORT_EVERY : POLICY_PORT_KNOWN;
			char text[INET_TEXT_LEN];

			if (q % 20 == 0)
				mode = POLICY_PORT_ANY;
			if (inet_is_v4(&d))
				continue;
			if (policy_allows(compiled, &d, proto, port, mode) !=
			    policy_allows_reference(compiled, &d, proto, port, mode)) {
				inet_format(&d, text);
				fail_msg("set %d query %d: dst %s proto %u port %u mode %d", set, q,
					 text, proto, port, mode);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv6_targets_bare_and_bracketed),
		cmocka_unit_test(ipv6_target_errors),
		cmocka_unit_test(defaults_refuse_the_special_registry),
		cmocka_unit_test(rules_of_both_families),
		cmocka_unit_test(compiled_matches_reference),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
