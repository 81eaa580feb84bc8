// SPDX-License-Identifier: MIT
/* policy.c — the VM's destination policy compiled: rules into sorted intervals, looked up per packet */
#include "guard/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guard/policy_private.h"
#include "proto/addr.h"
#include "proto/wire.h"

#define PROTO_TCP IPPROTO_TCP_
#define PROTO_UDP IPPROTO_UDP_

/*
 * The built-in rules, under the command line's (rank bit 1 clear, see policy_private.h).
 *
 * IPv4, refused: the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates;
 * entries inside a listed block, such as 192.0.0.0/29 or 0.0.0.0/32, are covered by it) and
 * the IPv4 multicast registry. The three entries that the registry calls globally
 * reachable (AS112 192.31.196.0/24 and 192.175.48.0/24, AMT 192.52.193.0/24) are refused
 * too: a VM has no business with them that an --allow cannot grant. 255.255.255.255/32 is
 * inside 240.0.0.0/4 but listed so that allowing 240/4 does not open the limited broadcast.
 *
 * IPv6, refused: the IANA IPv6 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv6-special-registry, RFC 6890 and its updates,
 * as of 2025), multicast (RFC 4291 2.7), the deprecated site-local space (RFC 3879) and the
 * rest of ::/8, which IANA reserves (IPv4-compatible addresses among it); as for IPv4, the
 * registry's globally reachable entries inside 2001::/23 (PCP, TURN and DNS-SD anycast,
 * AMT, AS112, ORCHIDv2, drone remote ID) and AS112's direct delegation are refused with the
 * rest, and so is NAT64's well-known prefix 64:ff9b::/96 (inside ::/8), which the registry
 * calls globally reachable: a built-in allow inside a block would be more specific than a
 * user's "--block 0.0.0.0/0" and outlive it. Where the host's network translates (an
 * IPv6-only host), --allow 64:ff9b::/96 opens it; a name rule opens the addresses DNS64
 * gives for its names, as any other.
 *
 * Allowed: everything else (global unicast: 0.0.0.0/0 is every address of both families,
 * see policy.h).
 *
 * The gateway, added by gather_entries() as @host (its IPv4 address and IPv6's global and
 * link-local ones), is refused too: on the user back-end it is the host's loopback, and a
 * VM should reach no more of its host than of any other machine, on every back-end alike
 * (podman's slirp4netns default, allow_host_loopback=false, is the same). What sock-vmnet
 * answers itself stays open under this built-in block only: the guard lets the gateway's
 * DNS and ping through when this entry decides (policy_is_host_default()), and DHCP, ARP
 * and NDP never ask the policy. `--allow @host` or a narrower rule such as
 * `--allow tcp:@host:8080` (a rule of the command line, which outranks it) opens the rest;
 * `--block @host` closes DNS and ping too.
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
	{"::/8", false},             /* reserved (RFC 4291): ::, ::1, IPv4-mapped and -compatible */
	{"64:ff9b:1::/48", false},   /* local-use IPv4-IPv6 translation (RFC 8215) */
	{"100::/64", false},         /* discard-only (RFC 6666) */
	{"100:0:0:1::/64", false},   /* dummy prefix (RFC 9780) */
	{"2001::/23", false},        /* IETF protocol assignments, Teredo, benchmarking (RFC 2928) */
	{"2001:db8::/32", false},    /* documentation (RFC 3849) */
	{"2002::/16", false},        /* 6to4 (RFC 3056) */
	{"2620:4f:8000::/48", false}, /* direct delegation AS112 (RFC 7534) */
	{"3fff::/20", false},        /* documentation (RFC 9637) */
	{"5f00::/16", false},        /* segment routing SIDs (RFC 9602) */
	{"fc00::/7", false},         /* unique local (RFC 4193): our own prefix too, but @host */
	{"fe80::/10", false},        /* link-local unicast (RFC 4291): all but @host's */
	{"fec0::/10", false},        /* site-local, deprecated (RFC 3879) */
	{"ff00::/8", false},         /* multicast (RFC 4291) */
};

/* Every built-in entry: the list above, then @host. */
#define BUILTIN_ENTRIES (sizeof(builtin_rules) / sizeof(builtin_rules[0]) + 1)

/* ---- ranking ------------------------------------------------------------------------ */

/* A rule as the IPv4 lookup sees it: its network in host order, @host resolved to the gateway. */
struct v4_rule {
	bool allow;
	uint32_t net;
	uint8_t prefix_len;
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

static uint16_t rule_rank(const struct v4_rule *r, bool from_command_line)
{
	return policy_rank_of(r->prefix_len, r->proto,
			      policy_has_ports(r->proto, r->port_lo, r->port_hi), r->allow,
			      !from_command_line);
}

/* An address rule of the lookup: which entry it is, and its rank. */
struct ranked_rule {
	struct v4_rule rule;
	uint16_t rank;
	uint32_t entry;
};

/**
 * struct policy_qualified - a compiled rule with a protocol (and perhaps ports)
 * @net: network, host order
 * @mask: its netmask
 * @rank: the rule's place in the order above; higher wins
 * @proto: protocol number, never 0
 * @has_ports: false when the rule names only a protocol
 * @allow: the rule's verdict
 * @port_lo: first destination port
 * @port_hi: last destination port
 * @entry: which rule it is (index into the entries)
 */
struct policy_qualified {
	uint32_t net, mask;
	uint16_t rank;
	uint8_t proto;
	bool has_ports;
	bool allow;
	uint16_t port_lo, port_hi;
	uint32_t entry;
};


/*
 * Every rule in one list, as listed to people: the built-ins, the gateway (@host), then the
 * given ones. Return: how many.
 */
static size_t gather_entries(struct policy_entry *entries, const struct policy_rule *rules,
			     size_t count)
{
	size_t e = 0;

	for (size_t i = 0; i < BUILTIN_ENTRIES - 1; i++) {
		struct policy_rule r = {.allow = builtin_rules[i].allow, .port_hi = 65535};
		uint32_t net;
		unsigned len;

		if (ipv4_cidr_parse(builtin_rules[i].cidr, &net, &len))
			r.dst = (struct inet_prefix){inet_from_v4(net), (uint8_t)len};
		else
			inet6_cidr_parse(builtin_rules[i].cidr, &r.dst);
		entries[e++] = (struct policy_entry){.rule = r, .builtin = true};
	}
	entries[e++] = (struct policy_entry){
		.rule = {.allow = false, .is_gateway = true, .dst = {inet_from_v4(0), 32},
			 .port_hi = 65535},
		.builtin = true};
	if (count > POLICY_MAX_RULES)
		count = POLICY_MAX_RULES;
	for (size_t i = 0; i < count; i++)
		entries[e++] = (struct policy_entry){.rule = rules[i]};
	return e;
}

/*
 * The IPv4 address rules among @entries, ranked for the lookup (@out), @host resolved to
 * @host4. Return: how many are in @out.
 */
static size_t rank_v4(struct ranked_rule *out, const struct policy_entry *entries, size_t count,
		      uint32_t host4)
{
	size_t n = 0;

	for (size_t e = 0; e < count; e++) {
		const struct policy_rule *r = &entries[e].rule;

		if (!policy_rule_is_v4(r))
			continue;
		out[n].rule = (struct v4_rule){
			.allow = r->allow,
			.net = r->is_gateway ? host4 : inet_v4(&r->dst.addr),
			.prefix_len = r->is_gateway ? 32 : r->dst.len,
			.proto = r->proto,
			.port_lo = r->port_lo,
			.port_hi = r->port_hi,
		};
		if (r->dst.len == 0 && !r->is_gateway)
			out[n].rule.net = 0;
		out[n].rank = rule_rank(&out[n].rule, !entries[e].builtin);
		out[n].entry = (uint32_t)e;
		n++;
	}
	return n;
}

/* The hosts "@host" stands for, sorted into the families. */
static void take_hosts(struct policy *p, const struct inet_addr *hosts, size_t host_count)
{
	for (size_t i = 0; i < host_count; i++) {
		if (inet_is_v4(&hosts[i]))
			p->host4 = inet_v4(&hosts[i]);
		else if (p->hosts6_count < POLICY_HOSTS6_MAX)
			p->hosts6[p->hosts6_count++] = hosts[i];
	}
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

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->interval_start);
	free(p->interval_rank);
	free(p->interval_entry);
	free(p->qualified);
	free(p->entries);
	free(p->hits);
	policy6_free(&p->v6);
	free(p);
}

/*
 * The interval starts in @p (@points of them, unsorted, with duplicates) become the
 * intervals: sorted, each with its unqualified winner among @all (0.0.0.0/0 is built in, so
 * every interval has one) and whether a qualified rule is in play there; equal neighbours
 * merged. Return: how many intervals.
 */
static unsigned merge_intervals(struct policy *p, const struct ranked_rule *all, size_t n,
				unsigned points)
{
	unsigned out = 0;

	qsort(p->interval_start, points, sizeof(uint32_t), compare_u32);
	for (unsigned i = 0; i < points; i++) {
		uint32_t start = p->interval_start[i];
		uint16_t best = 0;
		uint32_t best_entry = 0;
		bool found = false;

		if (i > 0 && start == p->interval_start[i - 1])
			continue;
		for (size_t k = 0; k < n; k++) {
			const struct v4_rule *r = &all[k].rule;

			if (r->proto == 0 &&
			    (start & ipv4_prefix_mask(r->prefix_len)) == r->net &&
			    (!found || all[k].rank > best)) {
				best = all[k].rank;
				best_entry = all[k].entry;
				found = true;
			}
		}
		for (unsigned k = 0; k < p->qualified_count; k++)
			if (in_play(&p->qualified[k], best, start)) {
				best |= RANK_QUALIFIED_IN_PLAY;
				break;
			}
		if (out > 0 && p->interval_rank[out - 1] == best &&
		    p->interval_entry[out - 1] == best_entry)
			continue; /* merge equal neighbours */
		p->interval_start[out] = start;
		p->interval_rank[out] = best;
		p->interval_entry[out] = best_entry;
		out++;
	}
	return out;
}

struct policy *policy_compile(const struct policy_rule *rules, size_t count,
			      const struct inet_addr *hosts, size_t host_count)
{
	size_t max = BUILTIN_ENTRIES + (count > POLICY_MAX_RULES ? POLICY_MAX_RULES : count);
	size_t points_max = 2 * max + 1, n;
	struct policy *p = calloc(1, sizeof(*p));
	struct ranked_rule *all = malloc(max * sizeof(*all));
	unsigned points = 0;

	if (!p || !all)
		goto fail;
	p->interval_start = malloc(points_max * sizeof(*p->interval_start));
	p->interval_rank = malloc(points_max * sizeof(*p->interval_rank));
	p->interval_entry = malloc(points_max * sizeof(*p->interval_entry));
	p->qualified = malloc(max * sizeof(*p->qualified));
	p->entries = malloc(max * sizeof(*p->entries));
	p->hits = calloc(max, sizeof(*p->hits));
	if (!p->interval_start || !p->interval_rank || !p->interval_entry || !p->qualified ||
	    !p->entries || !p->hits)
		goto fail;
	take_hosts(p, hosts, host_count);
	p->entry_count = gather_entries(p->entries, rules, count);
	n = rank_v4(all, p->entries, p->entry_count, p->host4);
	for (size_t i = 0; i < p->entry_count; i++)
		p->name_rules += p->entries[i].rule.is_name;

	/* every rule starts an interval and ends one */
	for (size_t i = 0; i < n; i++) {
		const struct v4_rule *r = &all[i].rule;
		uint32_t mask = ipv4_prefix_mask(r->prefix_len);

		p->interval_start[points++] = r->net;
		if ((r->net | ~mask) != UINT32_MAX)
			p->interval_start[points++] = (r->net | ~mask) + 1;
		if (r->proto)
			p->qualified[p->qualified_count++] = (struct policy_qualified){
				.net = r->net, .mask = mask, .rank = all[i].rank, .proto = r->proto,
				.has_ports = policy_has_ports(r->proto, r->port_lo, r->port_hi),
				.allow = r->allow, .port_lo = r->port_lo, .port_hi = r->port_hi,
				.entry = all[i].entry};
	}
	qsort(p->qualified, p->qualified_count, sizeof(p->qualified[0]), compare_qualified);

	p->interval_start[points++] = 0;
	p->interval_count = merge_intervals(p, all, n, points);
	free(all);
	if (policy6_compile(p) < 0) {
		policy_free(p);
		return NULL;
	}
	return p;
fail:
	free(all);
	policy_free(p);
	return NULL;
}

/* ---- looking up ------------------------------------------------------------------------ */

/* The interval @dst falls in: its unqualified winner. */
static unsigned interval_of(const struct policy *p, uint32_t dst)
{
	unsigned lo = 0, hi = p->interval_count; /* interval_start[lo] <= dst < [hi] */

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (p->interval_start[mid] <= dst)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static bool qualified_matches(const struct policy_qualified *q, uint32_t dst, uint8_t proto,
			      uint16_t port)
{
	return (dst & q->mask) == q->net && q->proto == proto &&
	       (!q->has_ports || (port >= q->port_lo && port <= q->port_hi));
}

/* The verdict for a packet whose port is known: the first outranking qualified rule, else
 * the interval's. The list is sorted by rank, so the scan stops at the fallback's rank. */
static struct policy_verdict decide_port(const struct policy *p, uint16_t fallback,
					 uint32_t fallback_entry, uint32_t dst, uint8_t proto,
					 uint16_t port)
{
	for (unsigned i = 0; i < p->qualified_count && p->qualified[i].rank > fallback; i++)
		if (qualified_matches(&p->qualified[i], dst, proto, port))
			return (struct policy_verdict){p->qualified[i].allow,
						       (int)p->qualified[i].entry,
						       p->qualified[i].rank};
	return (struct policy_verdict){!(fallback & RANK_BLOCK), (int)fallback_entry, fallback};
}

static bool allows_port(const struct policy *p, uint16_t fallback, uint32_t dst,
			uint8_t proto, uint16_t port)
{
	return decide_port(p, fallback, 0, dst, proto, port).allow;
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

struct policy_verdict policy_decide(const struct policy *p, uint32_t dst, uint8_t proto,
				    uint16_t port, enum policy_ports ports)
{
	unsigned i = interval_of(p, dst);
	uint16_t fallback = p->interval_rank[i];
	uint32_t entry = p->interval_entry[i];

	if (!(fallback & RANK_QUALIFIED_IN_PLAY)) /* the common case: no qualified rule in play */
		return (struct policy_verdict){!(fallback & RANK_BLOCK), (int)entry, fallback};
	fallback &= (uint16_t)~RANK_QUALIFIED_IN_PLAY;
	switch (ports) {
	case POLICY_PORT_KNOWN:
		if (proto != PROTO_TCP && proto != PROTO_UDP)
			port = 0;
		return decide_port(p, fallback, entry, dst, proto, port);
	case POLICY_PORT_EVERY:
		return (struct policy_verdict){allows_every_port(p, fallback, dst, proto), -1,
					       fallback};
	case POLICY_PORT_ANY:
		return (struct policy_verdict){allows_anything(p, fallback, dst), -1, fallback};
	}
	return (struct policy_verdict){false, -1, fallback};
}

struct policy_verdict policy_decide_any(const struct policy *p, const struct inet_addr *dst,
					uint8_t proto, uint16_t port, enum policy_ports ports)
{
	if (!inet_is_v4(dst))
		return policy6_decide(p, dst, proto, port, ports);
	return policy_decide(p, inet_v4(dst), proto, port, ports);
}

bool policy_allows(const struct policy *p, const struct inet_addr *dst, uint8_t proto,
		   uint16_t port, enum policy_ports ports)
{
	if (!inet_is_v4(dst))
		return policy6_decide(p, dst, proto, port, ports).allow;
	return policy_decide(p, inet_v4(dst), proto, port, ports).allow;
}

size_t policy_entry_count(const struct policy *p)
{
	return p->entry_count;
}

const struct policy_entry *policy_entry(const struct policy *p, size_t i)
{
	return &p->entries[i];
}

bool policy_is_host_default(const struct policy *p, int entry)
{
	return entry >= 0 && (size_t)entry < p->entry_count && p->entries[entry].builtin &&
	       p->entries[entry].rule.is_gateway;
}

uint64_t *policy_hits(const struct policy *p, size_t i)
{
	return &p->hits[i];
}

void policy_take_counts(struct policy *to, const struct policy *from)
{
	size_t next = 0; /* a rule added or removed leaves the others in order: look there first */

	for (size_t i = 0; i < to->entry_count && from->entry_count; i++)
		for (size_t step = 0; step < from->entry_count; step++) {
			size_t k = (next + step) % from->entry_count;

			if (to->entries[i].builtin == from->entries[k].builtin &&
			    policy_rule_same(&to->entries[i].rule, &from->entries[k].rule)) {
				to->hits[i] = from->hits[k];
				next = k + 1;
				break;
			}
		}
}

bool policy_has_names(const struct policy *p)
{
	return p->name_rules > 0;
}

uint16_t policy_name_rank(const struct policy *p, size_t i, bool v6)
{
	const struct policy_rule *r = &p->entries[i].rule;

	return policy_rank_of(v6 ? 128 : 32, r->proto,
			      policy_has_ports(r->proto, r->port_lo, r->port_hi), r->allow, false);
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

bool policy_allows_reference(const struct policy *p, const struct inet_addr *dst_addr,
			     uint8_t proto, uint16_t port, enum policy_ports ports)
{
	struct ranked_rule *all;
	uint32_t dst = inet_v4(dst_addr);
	bool allowed = false;
	size_t n;

	if (!inet_is_v4(dst_addr))
		return policy6_reference(p->entries, p->entry_count, p->hosts6, p->hosts6_count,
					 dst_addr, proto, port, ports);
	all = malloc((p->entry_count ? p->entry_count : 1) * sizeof(*all));
	if (!all)
		return false;
	n = rank_v4(all, p->entries, p->entry_count, p->host4);
	switch (ports) {
	case POLICY_PORT_KNOWN:
		if (proto != PROTO_TCP && proto != PROTO_UDP)
			port = 0;
		allowed = reference_port(all, n, dst, proto, port);
		break;
	case POLICY_PORT_EVERY:
		allowed = reference_proto(all, n, dst, proto, true);
		break;
	case POLICY_PORT_ANY:
		/* a protocol no rule names fares as protocol 0, which no rule can name */
		allowed = reference_proto(all, n, dst, 0, false);
		for (size_t i = 0; !allowed && i < n; i++)
			if (all[i].rule.proto)
				allowed = reference_proto(all, n, dst, all[i].rule.proto, false);
		break;
	}
	free(all);
	return allowed;
}
