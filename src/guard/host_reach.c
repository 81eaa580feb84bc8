// SPDX-License-Identifier: MIT
/* host_reach.c — what the VM may reach on its host (the gateway), in words, for the start's log */
#include <stdio.h>
#include <string.h>

#include "guard/guard_private.h"
#include "guard/policy.h"
#include "proto/addr.h"

/* Does the policy let a packet of @proto to the gateway's @port through (policy.c's default)? */
static bool host_open(const struct guard *g, uint8_t proto, uint16_t port)
{
	struct policy_verdict d = policy_decide(g->policy, g->gateway, proto, port,
						POLICY_PORT_KNOWN);

	return d.allow || policy_is_host_default(g->policy, d.entry);
}

/*
 * A rule of the command line that opens something of the gateway: an allow of a /32 of it
 * that, for its first port, is not outdone by a block (a broader one never outranks the
 * built-in block of @host).
 */
static bool opens_host(const struct guard *g, size_t i)
{
	const struct policy_entry *e = policy_entry(g->policy, i);
	const struct policy_rule *r = &e->rule;
	struct policy_verdict d;

	if (e->builtin || !r->allow || r->is_name)
		return false;
	if (!r->is_gateway && !(inet_is_v4(&r->dst.addr) && r->dst.len == 32 &&
				inet_v4(&r->dst.addr) == g->gateway))
		return false;
	d = policy_decide(g->policy, g->gateway, r->proto, r->port_lo, POLICY_PORT_KNOWN);
	return d.allow;
}

char *guard_host_reach(const struct guard *g, char *buf, size_t size)
{
	char gw[IPV4_TEXT_LEN], rule[POLICY_RULE_TEXT_LEN];
	bool dns = host_open(g, IPPROTO_UDP_, DNS_PORT) || host_open(g, IPPROTO_TCP_, DNS_PORT);
	bool ping = host_open(g, IPPROTO_ICMP_, 0);
	size_t n, rules = 0;

	ipv4_format(g->gateway, gw);
	n = (size_t)snprintf(buf, size, "host %s: the VM may reach its DHCP%s%s", gw,
			     dns ? ", DNS" : "", ping ? ", ping" : "");
	for (size_t i = 0; i < policy_entry_count(g->policy) && n < size; i++) {
		if (!opens_host(g, i))
			continue;
		policy_rule_format(&policy_entry(g->policy, i)->rule, rule, sizeof(rule));
		n += (size_t)snprintf(buf + n, size - n, "%s%s", rules++ ? ", " : " and --allow ",
				      rule);
	}
	if (!rules && n < size)
		snprintf(buf + n, size - n, "; nothing else (--allow @host opens it)");
	return buf;
}
