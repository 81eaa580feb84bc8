// SPDX-License-Identifier: MIT
/* guard_names.c — the guard's name rules: addresses learned from answers, their flows, first bytes */
#include <stdlib.h>
#include <string.h>

#include "guard/guard_private.h"
#include "proto/dns_msg.h"
#include "proto/server_name.h"

/* ---- learning names ------------------------------------------------------------------------ */

/* Records of one answer that name rules care about, at most this many of each. */
#define ANSWER_RECORDS_MAX 64
/* CNAME links followed from a ruled name (a resolver follows 8-16) */
#define CNAME_DEPTH_MAX 16

struct answer_records {
	unsigned cnames, addrs;
	struct {
		char owner[DNS_NAME_TEXT_LEN], target[DNS_NAME_TEXT_LEN];
	} cname[ANSWER_RECORDS_MAX];
	struct {
		char owner[DNS_NAME_TEXT_LEN];
		struct inet_addr addr;
		uint32_t ttl;
	} a[ANSWER_RECORDS_MAX];
};

/*
 * Addresses a name never opens (DNS rebinding: an allowed name pointed at something that
 * is not on the internet): "this network", loopback, link-local (the cloud metadata service
 * 169.254.169.254 among them), multicast, reserved and broadcast, and the VMs' own subnet
 * with the gateway. Private and documentation ranges may be opened by a name.
 */
static bool never_by_name4(const struct guard *g, uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 16) == 0xa9fe || (a >> 28) >= 0xe ||
	       (a & g->subnet_mask) == g->subnet;
}

/*
 * In IPv6 the same: the unspecified address and loopback, link-local (fe80::/10, the
 * metadata services' fd00:ec2::254 is unique local and may be opened like a private
 * address), site-local (deprecated: RFC 3879), multicast, the VMs' own prefix, and IPv4
 * written in IPv6 (IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96, which stacks reach
 * as IPv4, NAT64's 64:ff9b::/96 and 6to4's 2002::/16) whose IPv4 address is one of IPv4's
 * ranges above.
 */
static bool never_by_name(const struct guard *g, const struct inet_addr *a)
{
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
	const uint8_t *b = a->b;
	int zeros = 0;

	if (inet_is_v4(a))
		return never_by_name4(g, inet_v4(a));
	while (zeros < 12 && b[zeros] == 0)
		zeros++;
	if (zeros == 12) /* ::, ::1 and IPv4-compatible addresses (deprecated: RFC 4291 2.5.5.1) */
		return true;
	if (memcmp(b, nat64, sizeof(nat64)) == 0) /* NAT64's well-known prefix (RFC 6052) */
		return never_by_name4(g, be32(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02) /* 6to4: the IPv4 address in bits 16..47 */
		return never_by_name4(g, be32(b + 2));
	return inet6_is_link_local(a) || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||
	       inet6_is_multicast(a) ||
	       (guard_ipv6(g) && inet6_in_prefix64(a, &g->net6->prefix.addr));
}

static bool read_answer(const uint8_t *msg, size_t len, char qname[DNS_NAME_TEXT_LEN],
			struct answer_records *out)
{
	struct dns_reader r;
	struct dns_question q;
	struct dns_rr rr;

	if (!dns_reader_init(&r, msg, len) || !(r.hdr.flags & DNS_FLAG_QR) ||
	    DNS_RCODE(r.hdr.flags) != 0 || r.hdr.qdcount != 1 || !dns_next_question(&r, &q))
		return false;
	memcpy(qname, q.name, DNS_NAME_TEXT_LEN);
	out->cnames = out->addrs = 0;
	for (unsigned i = 0; i < r.hdr.ancount && dns_next_rr(&r, &rr); i++) {
		if (rr.rclass != DNS_CLASS_IN)
			continue;
		if (rr.type == DNS_TYPE_CNAME && out->cnames < ANSWER_RECORDS_MAX) {
			memcpy(out->cname[out->cnames].owner, rr.name, DNS_NAME_TEXT_LEN);
			memcpy(out->cname[out->cnames].target, rr.target, DNS_NAME_TEXT_LEN);
			out->cnames++;
		} else if (((rr.type == DNS_TYPE_A && rr.rdlen == 4) ||
			    (rr.type == DNS_TYPE_AAAA && rr.rdlen == 16)) &&
			   out->addrs < ANSWER_RECORDS_MAX) {
			memcpy(out->a[out->addrs].owner, rr.name, DNS_NAME_TEXT_LEN);
			if (rr.rdlen == 4)
				out->a[out->addrs].addr = inet_from_v4(be32(rr.rdata));
			else
				memcpy(out->a[out->addrs].addr.b, rr.rdata, 16);
			out->a[out->addrs].ttl = rr.ttl;
			out->addrs++;
		}
	}
	return true;
}

/*
 * The chain from @start: each name's CNAME target, as long as there is one. Return: its
 * length (@start included).
 */
static unsigned cname_chain(const struct answer_records *ans, const char *start,
			    const char *chain[CNAME_DEPTH_MAX + 1])
{
	unsigned depth = 1;

	chain[0] = start;
	while (depth <= CNAME_DEPTH_MAX) {
		const char *next = NULL;

		for (unsigned i = 0; i < ans->cnames && !next; i++)
			if (strcmp(ans->cname[i].owner, chain[depth - 1]) == 0)
				next = ans->cname[i].target;
		if (!next)
			break;
		chain[depth++] = next;
	}
	return depth;
}

/* Learn for @rule the A records of @chain's names (the question's chain from a ruled name). */
static void learn_from(struct guard *g, const struct answer_records *ans,
		       const char *const *chain, unsigned depth, uint32_t rule)
{
	for (unsigned i = 0; i < ans->addrs; i++)
		for (unsigned k = 0; k < depth; k++) {
			if (strcmp(ans->a[i].owner, chain[k]) != 0)
				continue;
			if (never_by_name(g, &ans->a[i].addr)) {
				if (g->names)
					g->names->rebinding++;
			} else if (learned_add(g->learned, &ans->a[i].addr, rule, chain[0],
					       ans->a[i].ttl, g->now_ms) &&
				   g->names) {
				g->names->learned++;
			}
			break;
		}
}

/*
 * Only what the VM asked for is learned: the CNAME chain that starts at the question's name,
 * and the A records of its names. Records off that chain (an answer for one name that
 * carries "other CNAME allowed.test" and "allowed.test A x") are the answering server's
 * say-so about names nobody asked for: the VM's resolver does not take them either.
 */
void guard_learn_answer(struct guard *g, const uint8_t *msg, size_t len)
{
	static struct answer_records ans; /* 40 KiB: not on the stack; one thread */
	const char *chain[CNAME_DEPTH_MAX + 1];
	char qname[DNS_NAME_TEXT_LEN];
	unsigned depth;

	if (!g->learned || !read_answer(msg, len, qname, &ans))
		return;
	if (g->names)
		g->names->answers++;
	depth = cname_chain(&ans, qname, chain);
	for (size_t r = 0; r < policy_entry_count(g->policy); r++) {
		const struct policy_rule *rule = &policy_entry(g->policy, r)->rule;

		if (!rule->is_name)
			continue;
		/* the question, or any name of its chain, may be the one the rule names */
		for (unsigned k = 0; k < depth; k++)
			if (policy_rule_matches_name(rule, chain[k]))
				learn_from(g, &ans, chain + k, depth - k, (uint32_t)r);
	}
}

/* ---- the destination: rules and names; flows ---------------------------------------------- */

struct decision guard_decide(const struct guard *g, const struct inet_addr *dst, bool v4,
			     uint8_t proto, uint16_t port, enum policy_ports ports)
{
	struct policy_verdict pv = v4 ? policy_decide(g->policy, inet_v4(dst), proto, port, ports)
				      : policy_decide_any(g->policy, dst, proto, port, ports);
	struct decision d = {pv.allow, pv.entry, false, pv.allow};
	uint16_t best = pv.rank;

	if (!g->learned || ports != POLICY_PORT_KNOWN)
		return d;
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
		port = 0;
	for (const struct learned_entry *e = learned_first(g->learned, dst); e;
	     e = learned_next(g->learned, e)) {
		const struct policy_rule *r = &policy_entry(g->policy, e->rule)->rule;
		uint16_t rank;

		if (e->expires_ms <= g->now_ms || !policy_rule_matches_port(r, proto, port))
			continue;
		rank = policy_name_rank(g->policy, e->rule, !v4);
		if (rank > best) { /* a block's rank is higher than the same allow's */
			best = rank;
			d = (struct decision){r->allow, (int)e->rule, true, pv.allow};
		}
	}
	return d;
}

void guard_count_decision(struct guard *g, int entry)
{
	g->decided_by = entry;
	if (entry >= 0 && (uint32_t)entry != FLOW_RULE_FORWARD)
		(*policy_hits(g->policy, (size_t)entry))++;
}

/* Does @name ask for a server the name rules allow for this flow? Block wins. */
bool guard_name_allowed(const struct guard *g, const char *name, uint8_t proto, uint16_t port)
{
	bool allowed = false;

	for (size_t i = 0; i < policy_entry_count(g->policy); i++) {
		const struct policy_rule *r = &policy_entry(g->policy, i)->rule;

		if (!policy_rule_matches_name(r, name) || !policy_rule_matches_port(r, proto, port))
			continue;
		if (!r->allow)
			return false;
		allowed = true;
	}
	return allowed;
}

/* A packet of a flow a name rule let through: it stays open whatever the name's TTL. */
static enum guard_action flow_packet(struct guard *g, struct flow *fl, const struct frame_view *v,
				     enum drop_reason *reason)
{
	fl->last_ms = g->now_ms;
	guard_count_decision(g, fl->rule == FLOW_RULE_FORWARD ? -1 : (int)fl->rule);
	if (fl->check == FLOW_CHECK_FAILED)
		return fl->proto == IPPROTO_TCP_ && (tcp_flags(v) & (TCP_SYN | TCP_ACK)) == TCP_SYN
			       ? guard_checked_segment(g, fl, v, reason) /* a new connection? */
			       : drop(reason, DROP_NAME_MISMATCH);
	if (fl->proto != IPPROTO_TCP_)
		return GUARD_PASS;
	if (fl->check == FLOW_CHECK_PENDING || fl->check == FLOW_CHECK_PASSED)
		return guard_checked_segment(g, fl, v, reason);
	if (tcp_flags(v) & TCP_SYN)
		fl->tcp |= FLOW_TCP_SYN;
	if (tcp_flags(v) & TCP_FIN)
		fl->tcp |= FLOW_TCP_FIN_VM;
	if (tcp_flags(v) & TCP_RST)
		fl->tcp |= FLOW_TCP_RST;
	return GUARD_PASS;
}

/* A TCP or UDP packet to a unicast destination: its flow, or the rules (names included). */
enum guard_action guard_vm_unicast(struct guard *g, const struct frame_view *v,
				    enum drop_reason *reason)
{
	const struct inet_addr *dst = &v->ip_dst;
	bool flowing = g->flows && v->l4 &&
		       (v->ip_proto == IPPROTO_TCP_ || v->ip_proto == IPPROTO_UDP_);
	struct decision d;
	struct flow *fl;

	if (flowing) {
		fl = flows_find(g->flows, v->ip_proto, dst, v->src_port, v->dst_port, g->now_ms);
		if (fl)
			return flow_packet(g, fl, v, reason);
	}
	/* a reply to a connection a forward let in */
	if (g->forward_flows && flows_count(g->forward_flows) && v->l4 &&
	    (v->ip_proto == IPPROTO_TCP_ || v->ip_proto == IPPROTO_UDP_)) {
		fl = flows_find(g->forward_flows, v->ip_proto, dst, v->src_port, v->dst_port,
				g->now_ms);
		if (fl)
			return flow_packet(g, fl, v, reason);
	}
	d = guard_decide(g, dst, v->ip != NULL, v->ip_proto, v->dst_port, POLICY_PORT_KNOWN);
	if (!d.allow || !d.by_name || !flowing) {
		guard_count_decision(g, d.entry);
		return d.allow ? GUARD_PASS : drop(reason, DROP_POLICY_BLOCK);
	}
	fl = flows_add(g->flows, v->ip_proto, dst, v->src_port, v->dst_port, (uint32_t)d.entry,
		       g->now_ms);
	if (v->ip_proto == IPPROTO_TCP_ && g->check_names && !d.by_address &&
	    guard_check_begin(g, fl, v) < 0) {
		fl->check = FLOW_CHECK_FAILED;
		guard_count_decision(g, d.entry);
		return reset(reason, DROP_NAME_UNCHECKED);
	}
	return flow_packet(g, fl, v, reason);
}

/* ---- the host's side of the flows ------------------------------------------------------- */

/*
 * A connection the host forwards to the VM (--expose) begins — a UDP datagram of a new flow,
 * a TCP SYN — and is remembered, so that the VM's replies leave whatever the policy says of
 * the client's address. A TCP segment of a connection not seen opening begins nothing: a
 * stray ACK cannot open the way back.
 */
static struct flow *forwarded_flow(struct guard *g, const struct frame_view *v,
				   struct guard_forward *f)
{
	bool opening = v->ip_proto == IPPROTO_UDP_ ||
		       (tcp_flags(v) & (TCP_SYN | TCP_ACK)) == TCP_SYN;

	if (!opening)
		return NULL;
	f->connections++;
	return flows_add(g->forward_flows, v->ip_proto, &v->ip_src, v->dst_port,
			 v->src_port, FLOW_RULE_FORWARD, g->now_ms);
}

/*
 * A server's packet of a flow a name rule let through keeps it open (FIN/RST end it); a
 * packet to a forwarded port begins or keeps a forwarded flow.
 */
enum guard_action guard_host_flow_packet(struct guard *g, const struct frame_view *v,
					  enum drop_reason *reason)
{
	const struct inet_addr *src = &v->ip_src;
	struct flow *fl = NULL;

	if (!v->l4 || (v->ip_proto != IPPROTO_TCP_ && v->ip_proto != IPPROTO_UDP_))
		return GUARD_PASS;
	if (g->flows && flows_count(g->flows))
		fl = flows_find(g->flows, v->ip_proto, src, v->dst_port, v->src_port, g->now_ms);
	if (!fl && g->forward_count) {
		struct guard_forward *f = guard_forward_to(g, v->ip_proto, v->dst_port);

		if (f) {
			f->packets++;
			fl = flows_find(g->forward_flows, v->ip_proto, src, v->dst_port,
					v->src_port, g->now_ms);
			if (!fl)
				fl = forwarded_flow(g, v, f);
		}
	}
	if (!fl)
		return GUARD_PASS;
	if (fl->check == FLOW_CHECK_FAILED) {
		if (v->ip_proto == IPPROTO_TCP_ && (tcp_flags(v) & TCP_RST))
			fl->tcp |= FLOW_TCP_RST; /* the server's side is gone: its ports may serve again */
		return drop(reason, DROP_NAME_MISMATCH);
	}
	fl->last_ms = g->now_ms;
	if (v->ip_proto == IPPROTO_TCP_) {
		fl->tcp |= FLOW_TCP_ANSWERED;
		if (tcp_flags(v) & TCP_FIN)
			fl->tcp |= FLOW_TCP_FIN_HOST;
		if (tcp_flags(v) & TCP_RST)
			fl->tcp |= FLOW_TCP_RST;
		if (fl->nc)
			guard_check_answer(g, fl, v);
	}
	return GUARD_PASS;
}

