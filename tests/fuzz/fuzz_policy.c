// SPDX-License-Identifier: MIT
/* fuzz_policy.c — libFuzzer target: rule parsing, and the compiled lookup against the plain scan */
/*
 * Input: rules, one a line ("+RULE" allows, "-RULE" blocks, anything else allows), then
 * optionally a NUL byte and queries: read as 7-byte IPv4 ones (address, protocol, port,
 * big-endian), and the same bytes again as 19-byte IPv6 ones (16-byte address first).
 * Checks: a rule that parses prints back (policy_rule_format) to text that parses to the
 * same rule; and policy_allows() answers as policy_allows_reference() at the queries and at
 * the edges of every rule, for known ports, every port, and (once) any traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/policy.h"

#define MAX_FUZZ_RULES 16
#define MAX_QUERIES 16
#define GATEWAY 0xc0a84001u
#define HOSTS 3

/* @host: the gateway's IPv4 address, its IPv6 one and its link-local one */
static struct inet_addr hosts[HOSTS];

static struct policy *compiled;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "mismatch: %s\n", what);
		abort();
	}
}

static void check_rule_round_trip(const struct policy_rule *r)
{
	char text[POLICY_RULE_TEXT_LEN], err[200];
	struct policy_rule again;

	policy_rule_format(r, text, sizeof(text));
	check(policy_rule_parse(text, r->allow, &again, err, sizeof(err)), text);
	check(again.allow == r->allow && again.is_gateway == r->is_gateway &&
		      again.is_name == r->is_name &&
		      (!r->is_name || (again.name.wildcard == r->name.wildcard &&
				       strcmp(again.name.name, r->name.name) == 0)) &&
		      inet_equal(&again.dst.addr, &r->dst.addr) && again.dst.len == r->dst.len &&
		      again.proto == r->proto &&
		      (again.port_lo == r->port_lo || !r->proto) &&
		      (again.port_hi == r->port_hi || !r->proto),
	      text);
}

static void compare6(const struct inet_addr *d, uint8_t proto, uint16_t port, bool any_too)
{
	static const enum policy_ports modes[] = {POLICY_PORT_KNOWN, POLICY_PORT_EVERY,
						  POLICY_PORT_ANY};

	for (size_t m = 0; m < (any_too ? 3u : 2u); m++)
		check(policy_allows(compiled, d, proto, port, modes[m]) ==
			      policy_allows_reference(compiled, d, proto, port, modes[m]),
		      "compiled lookup and reference disagree");
}

static void compare(uint32_t dst, uint8_t proto, uint16_t port, bool any_too)
{
	struct inet_addr d = inet_from_v4(dst);

	compare6(&d, proto, port, any_too);
}

/* An IPv4 network's edges and their neighbours (@host: the gateway's IPv4 address) */
static void compare_edges4(const struct policy_rule *r)
{
	uint32_t net = r->is_gateway ? GATEWAY : inet_v4(&r->dst.addr);
	uint32_t last = net | ~(r->dst.len ? ~0u << (32 - r->dst.len) : 0u);

	compare(net, 6, r->port_lo, false);
	compare(last, 17, r->port_hi, false);
	compare(net - 1, 6, (uint16_t)(r->port_hi + 1), false);
	compare(last + 1, 1, 0, false);
}

/* @a plus @delta (+1 or -1), as a 128-bit number, wrapping */
static struct inet_addr step(struct inet_addr a, int delta)
{
	for (int i = 15; i >= 0; i--) {
		a.b[i] = (uint8_t)(a.b[i] + delta);
		if ((delta > 0 && a.b[i] != 0) || (delta < 0 && a.b[i] != 0xff))
			break;
	}
	return a;
}

/* An IPv6 network's edges and their neighbours, for the protocols and ports of @r */
static void compare_edges6(const struct policy_rule *r, const struct inet_addr *net, unsigned len)
{
	struct inet_addr last = *net, before, after;

	for (unsigned bit = len; bit < 128; bit++)
		last.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	before = step(*net, -1);
	after = step(last, 1);
	compare6(net, 6, r->port_lo, false);
	compare6(&last, 17, r->port_hi, false);
	compare6(&last, 58, 0, false);
	compare6(&before, 6, (uint16_t)(r->port_hi + 1), false);
	compare6(&after, 58, 0, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_rule rules[MAX_FUZZ_RULES];
	const uint8_t *nul = memchr(data, 0, size);
	size_t text_len = nul ? (size_t)(nul - data) : size;
	char *text = malloc(text_len + 1), *save = NULL;
	size_t n = 0, queries = 0;
	char err[200];

	if (!text)
		return 0;
	memcpy(text, data, text_len);
	text[text_len] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line && n < MAX_FUZZ_RULES;
	     line = strtok_r(NULL, "\n", &save)) {
		bool allow = line[0] != '-';

		if (line[0] == '+' || line[0] == '-')
			line++;
		err[0] = '\0';
		if (policy_rule_parse(line, allow, &rules[n], err, sizeof(err))) {
			check_rule_round_trip(&rules[n]);
			n++;
		} else {
			check(err[0] == '"', "an error message that does not quote the rule");
		}
	}
	free(text);

	hosts[0] = inet_from_v4(GATEWAY);
	hosts[1] = (struct inet_addr){{0xfd, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, [15] = 1}};
	hosts[2] = (struct inet_addr){{0xfe, 0x80, [15] = 1}};
	policy_free(compiled);
	compiled = policy_compile(rules, n, hosts, HOSTS);
	check(compiled != NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		static const struct inet_addr zero6;

		if (rules[i].is_gateway) {
			for (int h = 1; h < HOSTS; h++)
				compare_edges6(&rules[i], &hosts[h], 128);
		} else if (!inet_is_v4(&rules[i].dst.addr)) {
			compare_edges6(&rules[i], &rules[i].dst.addr, rules[i].dst.len);
			continue;
		} else if (rules[i].dst.len == 0) {
			compare_edges6(&rules[i], &zero6, 0); /* a /0: both families */
		}
		compare_edges4(&rules[i]);
	}
	if (nul) {
		const uint8_t *q = nul + 1, *end = data + size;

		for (; end - q >= 7 && queries < MAX_QUERIES; q += 7, queries++)
			compare((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3],
				q[4], (uint16_t)(q[5] << 8 | q[6]), queries == 0);
		for (q = nul + 1, queries = 0; end - q >= 19 && queries < MAX_QUERIES;
		     q += 19, queries++) {
			struct inet_addr d;

			memcpy(d.b, q, 16);
			compare6(&d, q[16], (uint16_t)(q[17] << 8 | q[18]), queries == 0);
		}
	}
	return 0;
}
