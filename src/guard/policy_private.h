/* SPDX-License-Identifier: MIT */
/* policy_private.h — what policy.c (IPv4 and the rules) and policy6.c (IPv6) share */
#ifndef SVM_GUARD_POLICY_PRIVATE_H
#define SVM_GUARD_POLICY_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "guard/policy.h"

/*
 * A rule's rank orders the rules that match a packet; the highest decides:
 *   bits 4..11 prefix length, 0..32 or 0..128  a longer prefix first (a name's addresses: 32
 *                                              or 128; ranks compare within a family),
 *   bits 2..3  qualifier: 0 none, 1 protocol,   then the more specific qualifier,
 *              2 protocol and ports
 *   bit 1      not built in                     then the command line over a default,
 *   bit 0      block                            then block over allow.
 */
#define RANK_BLOCK 1u
/* in interval_rank only: a qualified rule outranks the interval's winner somewhere in it */
#define RANK_QUALIFIED_IN_PLAY 0x8000u

/* The @host addresses a policy may stand for in IPv6: the gateway's global and link-local. */
#define POLICY_HOSTS6_MAX 2

static inline bool policy_has_ports(uint8_t proto, uint16_t port_lo, uint16_t port_hi)
{
	return proto && !(port_lo == 0 && port_hi == 65535);
}

static inline uint16_t policy_rank_of(uint8_t prefix_len, uint8_t proto, bool ports, bool allow,
				      bool builtin)
{
	unsigned qualifier = proto == 0 ? 0 : ports ? 2 : 1;

	return (uint16_t)((unsigned)prefix_len << 4 | qualifier << 2 | (builtin ? 0u : 2u) |
			  (allow ? 0u : RANK_BLOCK));
}

/** struct u128 - an IPv6 address as a number: @hi its first 8 bytes, @lo the rest */
struct u128 {
	uint64_t hi, lo;
};

/**
 * struct policy6_qualified - a compiled IPv6 rule with a protocol (and perhaps ports)
 * @net: the network; @len its prefix length
 * (the other fields as in policy.c's struct policy_qualified)
 */
struct policy6_qualified {
	struct u128 net;
	uint8_t len;
	uint16_t rank;
	uint8_t proto;
	bool has_ports;
	bool allow;
	uint16_t port_lo, port_hi;
	uint32_t entry;
};

/**
 * struct policy6 - the IPv6 lookup: the IPv4 one's intervals (policy.c), on 128-bit keys
 * @interval_count: intervals; [0] starts at ::
 * @interval_start: their first addresses, ascending
 * @interval_rank: the rank of each one's winner without a protocol, and
 *                 RANK_QUALIFIED_IN_PLAY
 * @interval_entry: which rule that winner is
 * @qualified: rules with a protocol, highest rank first
 */
struct policy6 {
	unsigned interval_count;
	struct u128 *interval_start;
	uint16_t *interval_rank;
	uint32_t *interval_entry;
	unsigned qualified_count;
	struct policy6_qualified *qualified;
};

/**
 * struct policy - the rules compiled for a fast lookup, built by policy_compile()
 * @interval_count: entries in @interval_start, @interval_rank and @interval_entry (IPv4)
 * @interval_start: ascending first addresses of the intervals that the rules' prefixes
 *                  cut the IPv4 space into; [0] is always 0
 * @interval_rank: for each interval, the rank of the winning rule without a protocol
 *                 (lowest bit set: block), and a flag for "a rule with a protocol
 *                 covers this interval and outranks that winner"
 * @interval_entry: for each interval, which rule that winner is
 * @qualified_count: entries in @qualified
 * @qualified: IPv4 rules with a protocol, highest rank first
 * @v6: the same for IPv6 (policy6.c)
 * @entries: every rule, built-in ones first, as listed to people; @hits counts decisions
 * @name_rules: how many of them name names
 * @host4: what "@host" is in IPv4 (host order); @hosts6 in IPv6, @hosts6_count of them
 *
 * A lookup is a binary search of the intervals; only inside the network of a rule with
 * a protocol does it go on to scan the qualified rules that outrank the interval's winner.
 * No allocation.
 */
struct policy {
	unsigned interval_count;
	uint32_t *interval_start;
	uint16_t *interval_rank;
	uint32_t *interval_entry;
	unsigned qualified_count;
	struct policy_qualified *qualified;
	struct policy6 v6;
	size_t entry_count;
	struct policy_entry *entries;
	uint64_t *hits;
	size_t name_rules;
	uint32_t host4;
	struct inet_addr hosts6[POLICY_HOSTS6_MAX];
	size_t hosts6_count;
};

/** policy_rule_is_v6() - whether address rule @r judges IPv6 (a /0 judges both families) */
static inline bool policy_rule_is_v6(const struct policy_rule *r)
{
	return !r->is_name && (r->is_gateway || r->dst.len == 0 || !inet_is_v4(&r->dst.addr));
}

/** policy_rule_is_v4() - whether address rule @r judges IPv4 */
static inline bool policy_rule_is_v4(const struct policy_rule *r)
{
	return !r->is_name && (r->is_gateway || r->dst.len == 0 || inet_is_v4(&r->dst.addr));
}

/** policy6_compile() - @p->v6 from @p's entries and @hosts6. Return: 0, or -ENOMEM */
int policy6_compile(struct policy *p);
void policy6_free(struct policy6 *v6);

/** policy6_decide() - policy_decide() for an IPv6 destination */
struct policy_verdict policy6_decide(const struct policy *p, const struct inet_addr *dst,
				     uint8_t proto, uint16_t port, enum policy_ports ports);

/**
 * policy6_reference() - the plain scan for an IPv6 destination (policy_allows_reference())
 * @entries: every rule, built-ins first (as policy_compile() lists them), @count of them
 */
bool policy6_reference(const struct policy_entry *entries, size_t count,
		       const struct inet_addr *hosts6, size_t hosts6_count,
		       const struct inet_addr *dst, uint8_t proto, uint16_t port,
		       enum policy_ports ports);

#endif
