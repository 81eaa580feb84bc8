// SPDX-License-Identifier: MIT
/* fuzz_policy.c — libFuzzer target: rule parsing, and the compiled lookup against the plain scan */
/*
 * Input: rules, one a line ("+RULE" allows, "-RULE" blocks, anything else allows), then
 * optionally a NUL byte and queries of 7 bytes each (address, protocol, port, big-endian).
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

static void compare(const struct policy_rule *rules, size_t n, uint32_t dst, uint8_t proto,
		    uint16_t port, bool any_too)
{
	static const enum policy_ports modes[] = {POLICY_PORT_KNOWN, POLICY_PORT_EVERY,
						  POLICY_PORT_ANY};

	struct inet_addr d = inet_from_v4(dst), g = inet_from_v4(GATEWAY);

	for (size_t m = 0; m < (any_too ? 3u : 2u); m++)
		check(policy_allows(compiled, &d, proto, port, modes[m]) ==
			      policy_allows_reference(rules, n, &g, 1, &d, proto, port, modes[m]),
		      "compiled lookup and reference disagree");
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

	{
		struct inet_addr g = inet_from_v4(GATEWAY);

		policy_free(compiled);
		compiled = policy_compile(rules, n, &g, 1);
		check(compiled != NULL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t net = rules[i].is_gateway ? GATEWAY : inet_v4(&rules[i].dst.addr);
		uint32_t last = net | ~(rules[i].dst.len ? ~0u << (32 - rules[i].dst.len) : 0u);

		compare(rules, n, net, 6, rules[i].port_lo, false);
		compare(rules, n, last, 17, rules[i].port_hi, false);
		compare(rules, n, net - 1, 6, (uint16_t)(rules[i].port_hi + 1), false);
		compare(rules, n, last + 1, 1, 0, false);
	}
	if (nul) {
		const uint8_t *q = nul + 1, *end = data + size;

		for (; end - q >= 7 && queries < MAX_QUERIES; q += 7, queries++)
			compare(rules, n, (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
					       (uint32_t)q[2] << 8 | q[3],
				q[4], (uint16_t)(q[5] << 8 | q[6]), queries == 0);
	}
	return 0;
}
