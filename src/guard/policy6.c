// SPDX-License-Identifier: MIT
/* policy6.c — the destination policy's IPv6 rules compiled: IPv4's sorted intervals on 128-bit keys */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guard/policy_private.h"
#include "proto/wire.h"

/*
 * The same lookup as IPv4's (policy.c): the prefixes of the rules cut the address space into
 * intervals, each with the winner among the rules without a protocol; only inside the
 * network of a rule with a protocol does a lookup go on to the qualified rules. Rules that
 * judge IPv6: those with an IPv6 target, a /0 (every address of both families), and @host
 * (the gateway's global and link-local addresses, each a /128). "icmp" here is ICMPv6.
 */

/* ---- 128-bit numbers ------------------------------------------------------------------ */

static struct u128 u128_of(const struct inet_addr *a)
{
	struct u128 x = {0, 0};

	for (int i = 0; i < 8; i++) {
		x.hi = x.hi << 8 | a->b[i];
		x.lo = x.lo << 8 | a->b[8 + i];
	}
	return x;
}

static struct u128 mask_of(unsigned len)
{
	struct u128 m = {0, 0};

	if (len >= 64) {
		m.hi = ~UINT64_C(0);
		m.lo = len >= 128 ? ~UINT64_C(0) : len == 64 ? 0 : ~UINT64_C(0) << (128 - len);
	} else if (len) {
		m.hi = ~UINT64_C(0) << (64 - len);
	}
	return m;
}

static bool u128_lt(struct u128 a, struct u128 b)
{
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

static bool u128_eq(struct u128 a, struct u128 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

static bool in_net(struct u128 a, struct u128 net, unsigned len)
{
	struct u128 m = mask_of(len);

	return (a.hi & m.hi) == net.hi && (a.lo & m.lo) == net.lo;
}

/* The address after the last of @net/@len; false when that is past the end of the space. */
static bool end_of(struct u128 net, unsigned len, struct u128 *after)
{
	struct u128 m = mask_of(len), last = {net.hi | ~m.hi, net.lo | ~m.lo};

	if (last.hi == ~UINT64_C(0) && last.lo == ~UINT64_C(0))
		return false;
	after->lo = last.lo + 1;
	after->hi = last.hi + (after->lo == 0);
	return true;
}

static int compare_u128(const void *a, const void *b)
{
	const struct u128 *x = a, *y = b;

	return u128_lt(*x, *y) ? -1 : u128_lt(*y, *x);
}

/* ---- the rules, ranked ------------------------------------------------------------------ */

/** struct ranked6 - an IPv6 address rule of the lookup: its network, verdict, rank, entry */
struct ranked6 {
	struct u128 net;
	uint8_t len;
	uint8_t proto;
	bool allow;
	uint16_t port_lo, port_hi;
	uint16_t rank;
	uint32_t entry;
};

static size_t rank_v6(struct ranked6 *out, const struct policy_entry *entries, size_t count,
		      const struct inet_addr *hosts6, size_t hosts6_count)
{
	size_t n = 0;

	for (size_t e = 0; e < count; e++) {
		const struct policy_rule *r = &entries[e].rule;
		uint8_t proto = r->proto == IPPROTO_ICMP_ ? IPPROTO_ICMPV6_ : r->proto;
		size_t copies = r->is_gateway ? hosts6_count : 1;

		if (!policy_rule_is_v6(r))
			continue;
		for (size_t k = 0; k < copies; k++) {
			struct ranked6 *x = &out[n++];

			*x = (struct ranked6){.len = r->is_gateway ? 128 : r->dst.len, .proto = proto,
					      .allow = r->allow, .port_lo = r->port_lo,
					      .port_hi = r->port_hi, .entry = (uint32_t)e};
			if (r->is_gateway)
				x->net = u128_of(&hosts6[k]);
			else if (r->dst.len)
				x->net = u128_of(&r->dst.addr);
			x->rank = policy_rank_of(x->len, proto,
						 policy_has_ports(proto, r->port_lo, r->port_hi),
						 r->allow, entries[e].builtin);
		}
	}
	return n;
}

/* The ranked rules of @p's entries: a buffer the caller frees; *@n of them. */
static struct ranked6 *ranked_rules(const struct policy_entry *entries, size_t count,
				    const struct inet_addr *hosts6, size_t hosts6_count, size_t *n)
{
	struct ranked6 *all = malloc((count + POLICY_HOSTS6_MAX + 1) * sizeof(*all));

	*n = all ? rank_v6(all, entries, count, hosts6, hosts6_count) : 0;
	return all;
}

/* ---- compiling ------------------------------------------------------------------------ */

static bool in_play(const struct policy6_qualified *q, uint16_t fallback, struct u128 dst)
{
	return q->rank > fallback && in_net(dst, q->net, q->len);
}

static int compare_qualified(const void *a, const void *b)
{
	const struct policy6_qualified *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return u128_lt(x->net, y->net) ? -1 : u128_lt(y->net, x->net); /* stable */
}

void policy6_free(struct policy6 *v6)
{
	free(v6->interval_start);
	free(v6->interval_rank);
	free(v6->interval_entry);
	free(v6->qualified);
	memset(v6, 0, sizeof(*v6));
}

/* The sorted starts become intervals, each with its winner (policy.c's merge_intervals()). */
static void merge_intervals(struct policy6 *v6, const struct ranked6 *all, size_t n,
			    unsigned points)
{
	unsigned out = 0;

	qsort(v6->interval_start, points, sizeof(struct u128), compare_u128);
	for (unsigned i = 0; i < points; i++) {
		struct u128 start = v6->interval_start[i];
		uint16_t best = 0;
		uint32_t best_entry = 0;
		bool found = false;

		if (i > 0 && u128_eq(start, v6->interval_start[i - 1]))
			continue;
		for (size_t k = 0; k < n; k++)
			if (all[k].proto == 0 && in_net(start, all[k].net, all[k].len) &&
			    (!found || all[k].rank > best)) {
				best = all[k].rank;
				best_entry = all[k].entry;
				found = true;
			}
		for (unsigned k = 0; k < v6->qualified_count; k++)
			if (in_play(&v6->qualified[k], best, start)) {
				best |= RANK_QUALIFIED_IN_PLAY;
				break;
			}
		if (out > 0 && v6->interval_rank[out - 1] == best &&
		    v6->interval_entry[out - 1] == best_entry)
			continue;
		v6->interval_start[out] = start;
		v6->interval_rank[out] = best;
		v6->interval_entry[out] = best_entry;
		out++;
	}
	v6->interval_count = out;
}

int policy6_compile(struct policy *p)
{
	struct policy6 *v6 = &p->v6;
	size_t n, max;
	struct ranked6 *all = ranked_rules(p->entries, p->entry_count, p->hosts6, p->hosts6_count,
					   &n);
	unsigned points = 0;

	max = p->entry_count + POLICY_HOSTS6_MAX + 1;
	v6->interval_start = malloc((2 * max + 1) * sizeof(*v6->interval_start));
	v6->interval_rank = malloc((2 * max + 1) * sizeof(*v6->interval_rank));
	v6->interval_entry = malloc((2 * max + 1) * sizeof(*v6->interval_entry));
	v6->qualified = malloc(max * sizeof(*v6->qualified));
	if (!all || !v6->interval_start || !v6->interval_rank || !v6->interval_entry ||
	    !v6->qualified) {
		free(all);
		policy6_free(v6);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ranked6 *r = &all[i];
		struct u128 after;

		v6->interval_start[points++] = r->net;
		if (end_of(r->net, r->len, &after))
			v6->interval_start[points++] = after;
		if (r->proto)
			v6->qualified[v6->qualified_count++] = (struct policy6_qualified){
				.net = r->net, .len = r->len, .rank = r->rank, .proto = r->proto,
				.has_ports = policy_has_ports(r->proto, r->port_lo, r->port_hi),
				.allow = r->allow, .port_lo = r->port_lo, .port_hi = r->port_hi,
				.entry = r->entry};
	}
	qsort(v6->qualified, v6->qualified_count, sizeof(v6->qualified[0]), compare_qualified);
	v6->interval_start[points++] = (struct u128){0, 0};
	merge_intervals(v6, all, n, points);
	free(all);
	return 0;
}

/* ---- looking up ------------------------------------------------------------------------ */

static unsigned interval_of(const struct policy6 *v6, struct u128 dst)
{
	unsigned lo = 0, hi = v6->interval_count;

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (!u128_lt(dst, v6->interval_start[mid]))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static bool qualified_matches(const struct policy6_qualified *q, struct u128 dst, uint8_t proto,
			      uint16_t port)
{
	return in_net(dst, q->net, q->len) && q->proto == proto &&
	       (!q->has_ports || (port >= q->port_lo && port <= q->port_hi));
}

static struct policy_verdict decide_port(const struct policy6 *v6, uint16_t fallback,
					 uint32_t fallback_entry, struct u128 dst, uint8_t proto,
					 uint16_t port)
{
	for (unsigned i = 0; i < v6->qualified_count && v6->qualified[i].rank > fallback; i++)
		if (qualified_matches(&v6->qualified[i], dst, proto, port))
			return (struct policy_verdict){v6->qualified[i].allow,
						       (int)v6->qualified[i].entry,
						       v6->qualified[i].rank};
	return (struct policy_verdict){!(fallback & RANK_BLOCK), (int)fallback_entry, fallback};
}

static bool allows_port(const struct policy6 *v6, uint16_t fallback, struct u128 dst,
			uint8_t proto, uint16_t port)
{
	return decide_port(v6, fallback, 0, dst, proto, port).allow;
}

/* Every port of @proto allowed? Port 0 and each edge of a port rule of @proto (policy.c). */
static bool allows_every_port(const struct policy6 *v6, uint16_t fallback, struct u128 dst,
			      uint8_t proto)
{
	if (!allows_port(v6, fallback, dst, proto, 0))
		return false;
	for (unsigned i = 0; i < v6->qualified_count && v6->qualified[i].rank > fallback; i++) {
		const struct policy6_qualified *q = &v6->qualified[i];

		if (!in_play(q, fallback, dst) || q->proto != proto || !q->has_ports)
			continue;
		if (!allows_port(v6, fallback, dst, proto, q->port_lo) ||
		    (q->port_hi < 65535 &&
		     !allows_port(v6, fallback, dst, proto, (uint16_t)(q->port_hi + 1))))
			return false;
	}
	return true;
}

/* Anything allowed, of any protocol? (policy.c's allows_anything()) */
static bool allows_anything(const struct policy6 *v6, uint16_t fallback, struct u128 dst)
{
	if (!(fallback & RANK_BLOCK))
		return true;
	for (unsigned i = 0; i < v6->qualified_count && v6->qualified[i].rank > fallback; i++) {
		const struct policy6_qualified *q = &v6->qualified[i];

		if (!in_play(q, fallback, dst) || !q->allow)
			continue;
		if (allows_port(v6, fallback, dst, q->proto, 0))
			return true;
		for (unsigned k = 0; k < v6->qualified_count && v6->qualified[k].rank > fallback;
		     k++) {
			const struct policy6_qualified *e = &v6->qualified[k];

			if (!in_play(e, fallback, dst) || e->proto != q->proto || !e->has_ports)
				continue;
			if (allows_port(v6, fallback, dst, q->proto, e->port_lo) ||
			    (e->port_hi < 65535 &&
			     allows_port(v6, fallback, dst, q->proto, (uint16_t)(e->port_hi + 1))))
				return true;
		}
	}
	return false;
}

struct policy_verdict policy6_decide(const struct policy *p, const struct inet_addr *addr,
				     uint8_t proto, uint16_t port, enum policy_ports ports)
{
	const struct policy6 *v6 = &p->v6;
	struct u128 dst = u128_of(addr);
	unsigned i = interval_of(v6, dst);
	uint16_t fallback = v6->interval_rank[i];
	uint32_t entry = v6->interval_entry[i];

	if (!(fallback & RANK_QUALIFIED_IN_PLAY))
		return (struct policy_verdict){!(fallback & RANK_BLOCK), (int)entry, fallback};
	fallback &= (uint16_t)~RANK_QUALIFIED_IN_PLAY;
	switch (ports) {
	case POLICY_PORT_KNOWN:
		if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
			port = 0;
		return decide_port(v6, fallback, entry, dst, proto, port);
	case POLICY_PORT_EVERY:
		return (struct policy_verdict){allows_every_port(v6, fallback, dst, proto), -1,
					       fallback};
	case POLICY_PORT_ANY:
		return (struct policy_verdict){allows_anything(v6, fallback, dst), -1, fallback};
	}
	return (struct policy_verdict){false, -1, fallback};
}

/* ---- the reference: every rule scanned ---------------------------------------------------- */

static bool reference_port(const struct ranked6 *all, size_t n, struct u128 dst, uint8_t proto,
			   uint16_t port)
{
	const struct ranked6 *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct ranked6 *r = &all[i];

		if (!in_net(dst, r->net, r->len))
			continue;
		if (r->proto && (r->proto != proto || port < r->port_lo || port > r->port_hi))
			continue;
		if (!best || r->rank > best->rank)
			best = r;
	}
	return best && best->allow;
}

static bool reference_proto(const struct ranked6 *all, size_t n, struct u128 dst, uint8_t proto,
			    bool every)
{
	bool allowed = reference_port(all, n, dst, proto, 0);

	if (allowed != every)
		return allowed;
	for (size_t i = 0; i < n; i++) {
		allowed = reference_port(all, n, dst, proto, all[i].port_lo);
		if (allowed != every)
			return allowed;
		if (all[i].port_hi < 65535) {
			allowed = reference_port(all, n, dst, proto, (uint16_t)(all[i].port_hi + 1));
			if (allowed != every)
				return allowed;
		}
	}
	return every;
}

bool policy6_reference(const struct policy_entry *entries, size_t count,
		       const struct inet_addr *hosts6, size_t hosts6_count,
		       const struct inet_addr *addr, uint8_t proto, uint16_t port,
		       enum policy_ports ports)
{
	size_t n;
	struct ranked6 *all = ranked_rules(entries, count, hosts6, hosts6_count, &n);
	struct u128 dst = u128_of(addr);
	bool allowed = false;

	if (!all)
		return false;
	switch (ports) {
	case POLICY_PORT_KNOWN:
		if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
			port = 0;
		allowed = reference_port(all, n, dst, proto, port);
		break;
	case POLICY_PORT_EVERY:
		allowed = reference_proto(all, n, dst, proto, true);
		break;
	case POLICY_PORT_ANY:
		allowed = reference_proto(all, n, dst, 0, false);
		for (size_t i = 0; !allowed && i < n; i++)
			if (all[i].proto)
				allowed = reference_proto(all, n, dst, all[i].proto, false);
		break;
	}
	free(all);
	return allowed;
}
