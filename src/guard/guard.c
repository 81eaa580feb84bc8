// SPDX-License-Identifier: MIT
/* guard.c — decides, frame by frame, what may pass between the VM and the host */
#include "guard/guard.h"

/*
 * VM → host. A frame passes only if every rule holds (the drop reason in brackets):
 *  - Ethernet: at most MTU + 14 bytes [oversize]; source = --mac [src-mac]; no 802.1Q or
 *    802.1ad tag [vlan]; ARP or IPv4 [ethertype]; IPv6 is not served yet [ipv6].
 *  - ARP: Ethernet/IPv4 sizes [arp-malformed, by frame_parse()]; request or reply [arp-op];
 *    sender MAC = --mac [arp-sender-mac]; Ethernet destination unicast or broadcast
 *    [multicast]; sender IP = the lease [arp-sender-ip], or 0.0.0.0 in an RFC 5227 probe,
 *    which may only ask for the lease itself [arp-target] once there is one [no-lease];
 *    target = the gateway, the lease, 0.0.0.0 in a reply, or an address the policy lets
 *    the VM reach at all [arp-target] (so no gratuitous ARP for anyone else's address and
 *    no neighbour discovery of hosts the VM may not talk to).
 *  - IPv4: header well-formed [ip-malformed, by frame_parse()]; options only NOP, EOL and
 *    router alert: LSRR/SSRR [ip-source-route]; record route and timestamp, which make the
 *    host write its addresses and clock into the VM's packets, and every other option
 *    (security labels such as CIPSO among them) [ip-options]; UDP from port 67, a DHCP
 *    server in the VM [rogue-dhcp]; DHCP client messages (0.0.0.0 or the lease — or, while
 *    no lease is known, any address of the subnet — port 68,
 *    to 255.255.255.255 or the gateway, port 67, unfragmented) go to sock-vmnet's own
 *    server [GUARD_LOCAL, LOCAL_DHCP4]; everything else needs a lease [no-lease] and source = the
 *    lease [ip-src]; no ICMP redirect [icmp-redirect]; no TCP fragment at offset 8
 *    (RFC 1858) [fragment]. UDP and TCP to the gateway's port 53, where the policy allows
 *    the gateway's DNS, go to sock-vmnet's own DNS responder [GUARD_LOCAL, LOCAL_DNS]; a
 *    fragment of such a datagram cannot be answered [fragment].
 *  - Destination: multicast and broadcast (Ethernet group address, 224/4, 255.255.255.255,
 *    the subnet's broadcast) only where a rule allows it, never a group Ethernet address
 *    carrying a unicast IP [multicast]; unicast as the policy says [policy-block]. A
 *    non-first fragment has no ports: it passes only where its protocol is allowed on
 *    every port, so a port rule cannot be got round by fragments [fragment].
 *  - Names (while a rule names one): DNS (53) and DNS over TLS or QUIC (853) go to the
 *    gateway only [foreign-dns]; an address a DNS answer gave a ruled name counts as a /32
 *    rule of that name while the answer's TTL lasts; a TCP or UDP flow it let through
 *    stays open until it ends. A TCP flow let through by a name alone must, in its first
 *    bytes, ask for an allowed name (TLS SNI, HTTP Host) or it is reset [name-mismatch;
 *    name-unchecked when they are too long or too many to read; name-check-order for a
 *    segment past a gap while they are read].
 *
 * Host → VM:
 *  - at most MTU + 14 bytes [oversize]; no tag [vlan]; unicast only to --mac
 *    [not-for-vm]; ARP or IPv4 [ethertype, ipv6];
 *  - ARP: only about the lease (target = the lease; or 0.0.0.0 in a reply unicast to the
 *    VM, the answer to its probe) [host-arp];
 *  - IPv4: no DHCP server or client traffic (UDP from 67 or to 68): the VM's DHCP server is
 *    in-process [host-dhcp]; no ICMP redirect [icmp-redirect]; unicast only to the lease
 *    [not-for-vm]; multicast and broadcast only where the policy allows that destination
 *    [multicast]; nothing more of a connection reset by the name check [name-mismatch].
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns_msg.h"
#include "proto/server_name.h"


/* IPv4 option types (RFC 791, RFC 2113): copied flag, class and number in one byte */
#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define IPOPT_ROUTER_ALERT 148
#define IPOPT_ROUTER_ALERT_LEN 4

/* The offset (in 8-byte units) of a fragment that overwrites TCP's flags (RFC 1858). */
#define TCP_OVERLAP_FRAG_OFFSET 1

/*
 * The first bytes of a TCP flow whose server name is checked, kept while they do not say it
 * yet: a ClientHello is one record of at most 16 KiB (today's, with post-quantum key shares,
 * are 1.5-2 KiB: two segments), a request's headers rarely 8 KiB. Buffers are taken only when
 * the first segment is not enough, at most 64 at once per VM; beyond, the flow is reset.
 */
#define FIRST_BYTES_MAX (SERVER_NAME_HELLO_MAX + 1024)
#define FIRST_BYTES_BUFFERS 64

/* A flow a forward (--expose) let in: not any rule's. */
#define FLOW_RULE_FORWARD UINT32_MAX

/* The names' tables exist while the policy has a name rule (flows, also while forwards do). */
static int ensure_name_tables(struct guard *g, const struct policy *p)
{
	if (!policy_has_names(p) || g->learned)
		return 0;
	g->learned = learned_new();
	if (!g->flows)
		g->flows = flows_new();
	if (!g->learned || !g->flows) {
		learned_free(g->learned);
		g->learned = NULL;
		return -ENOMEM;
	}
	return 0;
}

int guard_forward_add(struct guard *g, uint8_t proto, uint16_t vm_lo, uint16_t vm_hi)
{
	struct guard_forward *more;

	if (!g->forward_flows && !(g->forward_flows = flows_new()))
		return -ENOMEM;
	more = realloc(g->forwards, (g->forward_count + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	g->forwards = more;
	g->forwards[g->forward_count] = (struct guard_forward){proto, vm_lo, vm_hi, 0, 0};
	return (int)g->forward_count++;
}

/* The forward that takes the host's @proto packets to the VM's port @vm_port, or NULL. */
static struct guard_forward *forward_to(struct guard *g, uint8_t proto, uint16_t vm_port)
{
	for (size_t i = 0; i < g->forward_count; i++) {
		struct guard_forward *f = &g->forwards[i];

		if (f->proto == proto && vm_port >= f->vm_lo && vm_port <= f->vm_hi)
			return f;
	}
	return NULL;
}

/* A forwarded flow (its sport is the VM's port) that no forward left takes in any more. */
static bool unforwarded(void *ctx, const struct flow *fl)
{
	return !forward_to(ctx, fl->proto, fl->sport);
}

void guard_forward_del(struct guard *g, size_t i)
{
	if (i >= g->forward_count)
		return;
	memmove(g->forwards + i, g->forwards + i + 1,
		(g->forward_count - i - 1) * sizeof(*g->forwards));
	g->forward_count--;
	/* its connections' replies are judged by the policy again */
	flows_remove_if(g->forward_flows, unforwarded, g);
}

static bool check_names_on(const struct policy_config *cfg, const struct policy *p)
{
	return cfg->check_names == CHECK_NAMES_ON ||
	       (cfg->check_names == CHECK_NAMES_AUTO && policy_has_names(p));
}

int guard_init(struct guard *g, const struct vm_config *vm, const struct net4_config *net4,
	       const struct policy_config *policy, struct name_counters *names)
{
	*g = (struct guard){
		.vm = vm,
		.policy_cfg = policy,
		.gateway = inet_v4(&net4->gateway),
		.subnet = inet_v4(&net4->subnet.addr),
		.subnet_mask = net4->mask,
		.subnet_broadcast = inet_v4(&net4->subnet.addr) | ~net4->mask,
		.decided_by = -1,
		.names = names,
	};
	g->policy = policy_compile(policy->rules, policy->count, &net4->gateway);
	if (!g->policy || ensure_name_tables(g, g->policy) < 0) {
		guard_fini(g);
		return -ENOMEM;
	}
	g->check_names = check_names_on(policy, g->policy);
	return 0;
}

const struct policy_entry *guard_decided_by(const struct guard *g)
{
	return g->decided_by >= 0 ? policy_entry(g->policy, (size_t)g->decided_by) : NULL;
}

void guard_each_learned(const struct guard *g, uint64_t now_ms,
			void (*fn)(const struct learned_entry *e, void *ctx), void *ctx)
{
	if (g->learned)
		learned_each(g->learned, now_ms, fn, ctx);
}

void guard_fini(struct guard *g)
{
	free(g->forwards);
	g->forwards = NULL;
	g->forward_count = 0;
	policy_free(g->policy);
	learned_free(g->learned);
	flows_free(g->flows);
	flows_free(g->forward_flows);
	g->forward_flows = NULL;
	g->policy = NULL;
	g->learned = NULL;
	g->flows = NULL;
}

/*
 * Old rule -> new rule, for what learned entries and flows hold: each rule looked up once
 * (@map[i]: REMAP_UNKNOWN until asked), so a table of thousands of entries costs one scan of
 * the new rules per rule the entries name, not per entry.
 */
#define REMAP_UNKNOWN (-2L)
struct remap {
	const struct policy *from, *to;
	long *map;
};

/* The index in @to of rule @rule of @from (a name rule learned or flows hold), or -1. */
static long remap_rule(void *ctx, uint32_t rule)
{
	struct remap *m = ctx;
	const struct policy_entry *old;

	if (rule == FLOW_RULE_FORWARD)
		return rule; /* not a rule's: a forward's */
	if (m->map[rule] != REMAP_UNKNOWN)
		return m->map[rule];
	old = policy_entry(m->from, rule);
	m->map[rule] = -1;
	for (size_t i = 0; i < policy_entry_count(m->to); i++)
		if (policy_rule_same(&policy_entry(m->to, i)->rule, &old->rule)) {
			m->map[rule] = (long)i;
			break;
		}
	return m->map[rule];
}

int guard_set_policy(struct guard *g, struct policy *policy)
{
	size_t old_count = policy_entry_count(g->policy);
	struct remap m = {g->policy, policy, malloc((old_count ? old_count : 1) * sizeof(long))};

	if (!m.map || ensure_name_tables(g, policy) < 0) {
		free(m.map);
		policy_free(policy);
		return -ENOMEM;
	}
	for (size_t i = 0; i < old_count; i++)
		m.map[i] = REMAP_UNKNOWN;
	policy_take_counts(policy, g->policy);
	if (g->learned)
		learned_remap(g->learned, remap_rule, &m);
	if (g->flows)
		flows_remap(g->flows, remap_rule, &m);
	free(m.map);
	policy_free(g->policy);
	g->policy = policy;
	g->check_names = check_names_on(g->policy_cfg, policy);
	g->decided_by = -1;
	return 0;
}

int guard_change_rule(struct guard *g, bool add, const struct policy_rule *r)
{
	size_t n = policy_entry_count(g->policy), count = 0;
	struct policy_rule *rules = malloc((n + 1) * sizeof(*rules));
	struct inet_addr gateway = inet_from_v4(g->gateway);
	struct policy *p;
	bool found = false;

	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct policy_entry *e = policy_entry(g->policy, i);

		if (e->builtin)
			continue;
		if (policy_rule_same(&e->rule, r)) {
			found = true;
			if (!add)
				continue;
		}
		rules[count++] = e->rule;
	}
	if (found == add || (add && count >= POLICY_MAX_RULES)) {
		free(rules);
		if (found == add)
			return add ? -EEXIST : -ENOENT;
		return -E2BIG;
	}
	if (add)
		rules[count++] = *r;
	p = policy_compile(rules, count, &gateway);
	free(rules);
	if (!p)
		return -ENOMEM;
	return guard_set_policy(g, p);
}

void guard_set_vm_address(struct guard *g, const struct inet_addr *addr)
{
	g->vm_addr = addr && inet_is_v4(addr) ? inet_v4(addr) : 0;
}

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
		uint32_t addr, ttl;
	} a[ANSWER_RECORDS_MAX];
};

/*
 * Addresses a name never opens (DNS rebinding: an allowed name pointed at something that
 * is not on the internet): "this network", loopback, link-local (the cloud metadata service
 * 169.254.169.254 among them), multicast, reserved and broadcast, and the VMs' own subnet
 * with the gateway. Private and documentation ranges may be opened by a name.
 */
static bool never_by_name(const struct guard *g, uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 16) == 0xa9fe || (a >> 28) >= 0xe ||
	       (a & g->subnet_mask) == g->subnet;
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
		} else if (rr.type == DNS_TYPE_A && rr.rdlen == 4 && out->addrs < ANSWER_RECORDS_MAX) {
			memcpy(out->a[out->addrs].owner, rr.name, DNS_NAME_TEXT_LEN);
			out->a[out->addrs].addr = be32(rr.rdata);
			out->a[out->addrs].ttl = rr.ttl;
			out->addrs++;
		}
	}
	return true;
}

/* Learn the A records reached from @start (a name rule @rule matched) through CNAMEs. */
static void learn_from(struct guard *g, const struct answer_records *ans, const char *start,
		       uint32_t rule)
{
	const char *chain[CNAME_DEPTH_MAX + 1] = {start};
	unsigned depth = 1;

	/* the chain from @start: each name's CNAME target, as long as there is one */
	while (depth <= CNAME_DEPTH_MAX) {
		const char *next = NULL;

		for (unsigned i = 0; i < ans->cnames && !next; i++)
			if (strcmp(ans->cname[i].owner, chain[depth - 1]) == 0)
				next = ans->cname[i].target;
		if (!next)
			break;
		chain[depth++] = next;
	}
	for (unsigned i = 0; i < ans->addrs; i++)
		for (unsigned k = 0; k < depth; k++) {
			if (strcmp(ans->a[i].owner, chain[k]) != 0)
				continue;
			if (never_by_name(g, ans->a[i].addr)) {
				if (g->names)
					g->names->rebinding++;
			} else if (learned_add(g->learned, ans->a[i].addr, rule, start, ans->a[i].ttl,
					       g->now_ms) &&
				   g->names) {
				g->names->learned++;
			}
			break;
		}
}

void guard_learn_answer(struct guard *g, const uint8_t *msg, size_t len)
{
	static struct answer_records ans; /* 40 KiB: not on the stack; one thread */
	char qname[DNS_NAME_TEXT_LEN];

	if (!g->learned || !read_answer(msg, len, qname, &ans))
		return;
	if (g->names)
		g->names->answers++;
	for (size_t r = 0; r < policy_entry_count(g->policy); r++) {
		const struct policy_rule *rule = &policy_entry(g->policy, r)->rule;

		if (!rule->is_name)
			continue;
		/* the question, or any name of the chain, may be the one the rule names */
		if (policy_rule_matches_name(rule, qname))
			learn_from(g, &ans, qname, (uint32_t)r);
		for (unsigned i = 0; i < ans.cnames; i++)
			if (policy_rule_matches_name(rule, ans.cname[i].target))
				learn_from(g, &ans, ans.cname[i].target, (uint32_t)r);
	}
}

static enum guard_action drop(enum drop_reason *reason, enum drop_reason why)
{
	*reason = why;
	return GUARD_DROP;
}

static bool is_vlan(uint16_t ethertype)
{
	return ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ ||
	       ethertype == ETHERTYPE_QINQ_OLD;
}

/* Multicast, the limited broadcast, or the broadcast address of the VM's subnet. */
static bool ip_is_group(const struct guard *g, uint32_t addr)
{
	return (addr >> 28) == 0xe || addr == IPV4_LIMITED_BROADCAST || addr == g->subnet_broadcast;
}

static bool is_first_fragment(const struct frame_view *v)
{
	return v->ip_frag_offset == 0;
}

static bool is_udp_with_ports(const struct frame_view *v)
{
	return v->ip_proto == IPPROTO_UDP_ && v->l4;
}

/**
 * check_ip_options() - judge the options of an IPv4 header
 * @v: a parsed IPv4 frame
 *
 * Return: DROP_NONE when there are none or only NOP, EOL and router alert;
 * DROP_IP_SOURCE_ROUTE, DROP_IP_OPTIONS, or DROP_IP_MALFORMED for an option whose
 * length runs past the header.
 */
static enum drop_reason check_ip_options(const struct frame_view *v)
{
	const uint8_t *opt = v->ip + IPV4_HDR_LEN, *end = v->ip + v->ip_hdr_len;

	while (opt < end) {
		size_t len;

		if (opt[0] == IPOPT_EOL)
			break; /* the rest is padding; a router ignores it */
		if (opt[0] == IPOPT_NOP) {
			opt++;
			continue;
		}
		if (end - opt < 2 || opt[1] < 2 || opt[1] > end - opt)
			return DROP_IP_MALFORMED;
		len = opt[1];
		switch (opt[0]) {
		case IPOPT_LSRR:
		case IPOPT_SSRR:
			return DROP_IP_SOURCE_ROUTE;
		case IPOPT_ROUTER_ALERT:
			if (len != IPOPT_ROUTER_ALERT_LEN)
				return DROP_IP_MALFORMED;
			break;
		default:
			return DROP_IP_OPTIONS;
		}
		opt += len;
	}
	return DROP_NONE;
}

static bool in_subnet(const struct guard *g, uint32_t addr)
{
	return (addr & g->subnet_mask) == g->subnet;
}

/*
 * A DHCP client message for sock-vmnet's server (RFC 2131 4.1, 4.4.5) comes from 0.0.0.0
 * or from the lease. Before this instance knows
 * the VM's lease (sock-vmnet was restarted under a running VM), a renewal from an address
 * of the subnet goes to the server too: it acknowledges the address if the lease database
 * says it is this VM's, else NAKs, and the client starts over. It never reaches the bridge.
 */
static bool is_dhcp_client_message(const struct guard *g, const struct frame_view *v,
				   uint32_t src, uint32_t dst)
{
	return is_udp_with_ports(v) && !v->ip_more_fragments && v->ip_frag_offset == 0 &&
	       v->src_port == DHCP_CLIENT_PORT && v->dst_port == DHCP_SERVER_PORT &&
	       (src == 0 || (g->vm_addr && src == g->vm_addr) ||
		(!g->vm_addr && in_subnet(g, src))) &&
	       (dst == IPV4_LIMITED_BROADCAST || dst == g->gateway);
}

static enum guard_action vm_arp(const struct guard *g, const struct frame_view *v,
				enum drop_reason *reason)
{
	struct inet_addr target;
	uint32_t spa, tpa;

	if (!v->arp)
		return drop(reason, DROP_ARP_MALFORMED);
	if (v->arp_op != ARP_OP_REQUEST && v->arp_op != ARP_OP_REPLY)
		return drop(reason, DROP_ARP_OP);
	if (!mac_equal(v->arp_sha, g->vm->mac))
		return drop(reason, DROP_ARP_SENDER_MAC);
	if (mac_is_multicast(v->dst_mac) && !mac_is_broadcast(v->dst_mac))
		return drop(reason, DROP_MULTICAST);
	spa = be32(v->arp_spa);
	tpa = be32(v->arp_tpa);
	if (spa == 0) {
		/* RFC 5227 probe: "is my address taken?" — only for the VM's own lease */
		if (v->arp_op != ARP_OP_REQUEST)
			return drop(reason, DROP_ARP_SENDER_IP);
		if (!g->vm_addr)
			return drop(reason, DROP_NO_LEASE);
		if (tpa != g->vm_addr)
			return drop(reason, DROP_ARP_TARGET);
		return GUARD_PASS;
	}
	if (!g->vm_addr || spa != g->vm_addr)
		return drop(reason, DROP_ARP_SENDER_IP);
	if (tpa == g->gateway || tpa == g->vm_addr || (v->arp_op == ARP_OP_REPLY && tpa == 0))
		return GUARD_PASS;
	target = inet_from_v4(tpa);
	if (!policy_allows(g->policy, &target, 0, 0, POLICY_PORT_ANY))
		return drop(reason, DROP_ARP_TARGET);
	return GUARD_PASS;
}

/* ---- the destination: rules, names, flows ---------------------------------------------- */

/**
 * struct decision - which rule lets a packet through or not
 * @allow: the verdict
 * @entry: the deciding rule, or -1
 * @by_name: it is a name rule, through an address learned for it
 * @by_address: the verdict of the address rules alone
 */
struct decision {
	bool allow;
	int entry;
	bool by_name;
	bool by_address;
};

static struct decision decide(const struct guard *g, uint32_t dst, uint8_t proto,
			      uint16_t port, enum policy_ports ports)
{
	struct policy_verdict pv = policy_decide(g->policy, dst, proto, port, ports);
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
		rank = policy_name_rank(g->policy, e->rule);
		if (rank > best) { /* a block's rank is higher than the same allow's */
			best = rank;
			d = (struct decision){r->allow, (int)e->rule, true, pv.allow};
		}
	}
	return d;
}

static void count_decision(struct guard *g, int entry)
{
	g->decided_by = entry;
	if (entry >= 0 && (uint32_t)entry != FLOW_RULE_FORWARD)
		(*policy_hits(g->policy, (size_t)entry))++;
}

/* Does @name ask for a server the name rules allow for this flow? Block wins. */
static bool name_allowed(const struct guard *g, const char *name, uint8_t proto, uint16_t port)
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

static uint8_t tcp_flags(const struct frame_view *v)
{
	return v->l4[13];
}

static enum guard_action reset(enum drop_reason *reason, enum drop_reason why)
{
	*reason = why;
	return GUARD_RESET;
}

/* The check is over: the flow goes on unchecked, or is reset from now on. */
static void end_check(struct guard *g, struct flow *fl, enum flow_check outcome)
{
	if (fl->first) {
		free(fl->first);
		fl->first = NULL;
		g->first_bytes_buffers--;
	}
	fl->first_len = 0;
	fl->check = (uint8_t)outcome;
}

/*
 * check_first_bytes() - a segment of a flow whose server name is not known yet
 *
 * In-order data is read (from the segment itself when it holds the whole ClientHello or
 * request line and Host, else from the flow's buffer) until it names a server; what came
 * before the deciding segment was passed on, and the deciding one is passed on only if the
 * name is allowed. A segment past a gap is dropped (the VM sends it again).
 */
static enum guard_action check_first_bytes(struct guard *g, struct flow *fl,
					   const struct frame_view *v, enum drop_reason *reason)
{
	uint32_t seq = be32(v->l4 + 4), skip = fl->next_seq - seq;
	const uint8_t *data = v->payload;
	size_t n = v->payload_len;
	char name[DNS_NAME_TEXT_LEN];
	enum server_name_kind kind;
	enum server_name_result r;

	if ((int32_t)(seq - fl->next_seq) > 0)
		return drop(reason, DROP_NAME_CHECK_ORDER);
	if (skip >= n)
		return GUARD_PASS; /* all of it seen before: a retransmission */
	data += skip;
	n -= skip;
	if (!fl->first_len) {
		r = server_name_find(data, n, name, &kind);
	} else {
		if (fl->first_len + n > FIRST_BYTES_MAX)
			goto unchecked;
		memcpy(fl->first + fl->first_len, data, n);
		fl->first_len += (uint32_t)n;
		r = server_name_find(fl->first, fl->first_len, name, &kind);
	}
	fl->next_seq += (uint32_t)n;
	switch (r) {
	case SERVER_NAME_MORE:
		if (!fl->first) {
			if (n > FIRST_BYTES_MAX || g->first_bytes_buffers >= FIRST_BYTES_BUFFERS ||
			    !(fl->first = malloc(FIRST_BYTES_MAX)))
				goto unchecked;
			g->first_bytes_buffers++;
			memcpy(fl->first, data, n);
			fl->first_len = (uint32_t)n;
		}
		return GUARD_PASS;
	case SERVER_NAME_OTHER:
		end_check(g, fl, FLOW_CHECK_NONE); /* neither TLS nor HTTP: nothing to check */
		return GUARD_PASS;
	case SERVER_NAME_FOUND:
		if (name_allowed(g, name, v->ip_proto, v->dst_port)) {
			end_check(g, fl, FLOW_CHECK_NONE);
			return GUARD_PASS;
		}
		break;
	case SERVER_NAME_ABSENT:
	case SERVER_NAME_MALFORMED:
		break;
	}
	end_check(g, fl, FLOW_CHECK_FAILED);
	return reset(reason, DROP_NAME_MISMATCH);
unchecked:
	end_check(g, fl, FLOW_CHECK_FAILED);
	return reset(reason, DROP_NAME_UNCHECKED);
}

/* A packet of a flow a name rule let through: it stays open whatever the name's TTL. */
static enum guard_action flow_packet(struct guard *g, struct flow *fl, const struct frame_view *v,
				     enum drop_reason *reason)
{
	fl->last_ms = g->now_ms;
	count_decision(g, fl->rule == FLOW_RULE_FORWARD ? -1 : (int)fl->rule);
	if (fl->check == FLOW_CHECK_FAILED)
		return drop(reason, DROP_NAME_MISMATCH);
	if (fl->proto != IPPROTO_TCP_)
		return GUARD_PASS;
	if (tcp_flags(v) & TCP_SYN)
		fl->tcp |= FLOW_TCP_SYN;
	if (tcp_flags(v) & TCP_FIN)
		fl->tcp |= FLOW_TCP_FIN_VM;
	if (tcp_flags(v) & TCP_RST)
		fl->tcp |= FLOW_TCP_RST;
	if (fl->check == FLOW_CHECK_PENDING && v->payload_len)
		return check_first_bytes(g, fl, v, reason);
	return GUARD_PASS;
}

/* A TCP or UDP packet to a unicast destination: its flow, or the rules (names included). */
static enum guard_action vm_unicast(struct guard *g, const struct frame_view *v,
				    enum drop_reason *reason)
{
	uint32_t dst = inet_v4(&v->ip_dst);
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
	d = decide(g, dst, v->ip_proto, v->dst_port, POLICY_PORT_KNOWN);
	if (!d.allow || !d.by_name || !flowing) {
		count_decision(g, d.entry);
		return d.allow ? GUARD_PASS : drop(reason, DROP_POLICY_BLOCK);
	}
	fl = flows_add(g->flows, v->ip_proto, dst, v->src_port, v->dst_port, (uint32_t)d.entry,
		       g->now_ms);
	if (v->ip_proto == IPPROTO_TCP_ && g->check_names && !d.by_address) {
		fl->check = FLOW_CHECK_PENDING;
		/* the first byte follows the SYN; a flow met mid-way is read from where it is */
		fl->next_seq = be32(v->l4 + 4) + ((tcp_flags(v) & TCP_SYN) ? 1 : 0);
	}
	return flow_packet(g, fl, v, reason);
}

/* The destination check of a VM packet whose source has been checked. */
static enum guard_action vm_ipv4_destination(struct guard *g, const struct frame_view *v,
					     enum drop_reason *reason)
{
	bool first = is_first_fragment(v);
	enum policy_ports ports = first ? POLICY_PORT_KNOWN : POLICY_PORT_EVERY;
	uint32_t dst = inet_v4(&v->ip_dst);
	bool group_ip = ip_is_group(g, dst);
	struct decision d;

	if (mac_is_multicast(v->dst_mac) || group_ip) {
		if (!group_ip)
			return drop(reason, DROP_MULTICAST);
		if (!policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port, ports))
			return drop(reason, DROP_MULTICAST);
		return GUARD_PASS;
	}
	if (first)
		return vm_unicast(g, v, reason);
	d = decide(g, dst, v->ip_proto, 0, POLICY_PORT_EVERY);
	count_decision(g, d.entry);
	if (d.allow)
		return GUARD_PASS;
	/* a fragment to a destination that a port rule opens is the fragment's fault */
	if (policy_allows(g->policy, &v->ip_dst, v->ip_proto, 0, POLICY_PORT_ANY))
		return drop(reason, DROP_FRAGMENT);
	return drop(reason, DROP_POLICY_BLOCK);
}

/*
 * UDP or TCP to the gateway: its port 53 is sock-vmnet's DNS, answered on the frame path,
 * where the policy lets the VM reach it (`--block @host` closes it too); whole datagrams and
 * segments only. Other ports of the gateway are the host's, as the policy says.
 */
static enum guard_action to_gateway(struct guard *g, const struct frame_view *v,
				    enum drop_reason *reason, enum local_service *service)
{
	if (!v->l4 || v->dst_port != DNS_PORT)
		return vm_ipv4_destination(g, v, reason);
	if (v->ip_more_fragments)
		return drop(reason, DROP_FRAGMENT); /* a DNS message in pieces: not answered */
	if (!policy_allows(g->policy, &v->ip_dst, v->ip_proto, DNS_PORT, POLICY_PORT_KNOWN))
		return drop(reason, DROP_POLICY_BLOCK);
	*service = LOCAL_DNS;
	return GUARD_LOCAL;
}

/* While a rule names a name, the VM's DNS must be the gateway's: names are learned there. */
static bool is_foreign_dns(const struct guard *g, const struct frame_view *v)
{
	return g->learned && v->l4 &&
	       (v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_) &&
	       (v->dst_port == DNS_PORT || v->dst_port == DNS_TLS_PORT);
}

static enum guard_action vm_ipv4(struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason, enum local_service *service)
{
	uint32_t src, dst;
	enum drop_reason why;

	if (!v->ip)
		return drop(reason, DROP_IP_MALFORMED);
	if (v->ip_hdr_len > IPV4_HDR_LEN && (why = check_ip_options(v)) != DROP_NONE)
		return drop(reason, why);
	if (is_udp_with_ports(v) && v->src_port == DHCP_SERVER_PORT)
		return drop(reason, DROP_ROGUE_DHCP);
	src = inet_v4(&v->ip_src);
	dst = inet_v4(&v->ip_dst);
	if (is_dhcp_client_message(g, v, src, dst)) {
		*service = LOCAL_DHCP4;
		return GUARD_LOCAL;
	}
	if (!g->vm_addr)
		return drop(reason, DROP_NO_LEASE);
	if (src != g->vm_addr)
		return drop(reason, DROP_IP_SRC);
	if (v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->icmp_type == ICMP_TYPE_REDIRECT)
		return drop(reason, DROP_ICMP_REDIRECT);
	if (v->ip_proto == IPPROTO_TCP_ && v->ip_frag_offset == TCP_OVERLAP_FRAG_OFFSET)
		return drop(reason, DROP_FRAGMENT);
	if (dst == g->gateway && (v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_))
		return to_gateway(g, v, reason, service);
	if (is_foreign_dns(g, v))
		return drop(reason, DROP_FOREIGN_DNS);
	return vm_ipv4_destination(g, v, reason);
}

enum guard_action guard_vm_frame(struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason, enum local_service *service)
{
	g->decided_by = -1;
	if (v->len > ETH_HDR_LEN + g->vm->mtu)
		return drop(reason, DROP_OVERSIZE);
	if (!mac_equal(v->src_mac, g->vm->mac))
		return drop(reason, DROP_SRC_MAC);
	switch (v->ethertype) {
	case ETHERTYPE_IPV4:
		return vm_ipv4(g, v, reason, service);
	case ETHERTYPE_ARP:
		return vm_arp(g, v, reason);
	case ETHERTYPE_IPV6:
		return drop(reason, DROP_IPV6);
	default:
		return drop(reason, is_vlan(v->ethertype) ? DROP_VLAN : DROP_ETHERTYPE);
	}
}

static enum guard_action host_arp(const struct guard *g, const struct frame_view *v,
				  enum drop_reason *reason)
{
	uint32_t tpa;

	if (!v->arp)
		return drop(reason, DROP_ARP_MALFORMED);
	tpa = be32(v->arp_tpa);
	if (v->arp_op != ARP_OP_REQUEST && v->arp_op != ARP_OP_REPLY)
		return drop(reason, DROP_HOST_ARP);
	if (g->vm_addr && tpa == g->vm_addr)
		return GUARD_PASS;
	/* the answer to the VM's probe: Linux replies to 0.0.0.0, unicast */
	if (tpa == 0 && v->arp_op == ARP_OP_REPLY && mac_equal(v->dst_mac, g->vm->mac))
		return GUARD_PASS;
	return drop(reason, DROP_HOST_ARP);
}

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
	return flows_add(g->forward_flows, v->ip_proto, inet_v4(&v->ip_src), v->dst_port,
			 v->src_port, FLOW_RULE_FORWARD, g->now_ms);
}

/*
 * A server's packet of a flow a name rule let through keeps it open (FIN/RST end it); a
 * packet to a forwarded port begins or keeps a forwarded flow.
 */
static enum guard_action host_flow_packet(struct guard *g, const struct frame_view *v,
					  enum drop_reason *reason)
{
	uint32_t src = inet_v4(&v->ip_src);
	struct flow *fl = NULL;

	if (!v->l4 || (v->ip_proto != IPPROTO_TCP_ && v->ip_proto != IPPROTO_UDP_))
		return GUARD_PASS;
	if (g->flows && flows_count(g->flows))
		fl = flows_find(g->flows, v->ip_proto, src, v->dst_port, v->src_port, g->now_ms);
	if (!fl && g->forward_count) {
		struct guard_forward *f = forward_to(g, v->ip_proto, v->dst_port);

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
	if (fl->check == FLOW_CHECK_FAILED)
		return drop(reason, DROP_NAME_MISMATCH);
	fl->last_ms = g->now_ms;
	if (v->ip_proto == IPPROTO_TCP_) {
		fl->tcp |= FLOW_TCP_ANSWERED;
		if (tcp_flags(v) & TCP_FIN)
			fl->tcp |= FLOW_TCP_FIN_HOST;
		if (tcp_flags(v) & TCP_RST)
			fl->tcp |= FLOW_TCP_RST;
	}
	return GUARD_PASS;
}

static enum guard_action host_ipv4(struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason)
{
	bool first = is_first_fragment(v);
	uint32_t dst = inet_v4(&v->ip_dst);
	bool group_ip;

	if (!v->ip)
		return drop(reason, DROP_IP_MALFORMED);
	if (is_udp_with_ports(v) &&
	    (v->src_port == DHCP_SERVER_PORT || v->dst_port == DHCP_CLIENT_PORT))
		return drop(reason, DROP_HOST_DHCP);
	if (v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->icmp_type == ICMP_TYPE_REDIRECT)
		return drop(reason, DROP_ICMP_REDIRECT);
	group_ip = ip_is_group(g, dst);
	if (!mac_is_multicast(v->dst_mac)) {
		if (g->vm_addr && dst == g->vm_addr)
			return host_flow_packet(g, v, reason);
		if (!group_ip)
			return drop(reason, DROP_NOT_FOR_VM);
	} else if (!group_ip) {
		return drop(reason, DROP_MULTICAST);
	}
	if (!policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port,
			   first ? POLICY_PORT_KNOWN : POLICY_PORT_EVERY))
		return drop(reason, DROP_MULTICAST);
	return GUARD_PASS;
}

enum guard_action guard_host_frame(struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason)
{
	if (v->len > ETH_HDR_LEN + g->vm->mtu)
		return drop(reason, DROP_OVERSIZE);
	if (is_vlan(v->ethertype))
		return drop(reason, DROP_VLAN);
	if (!mac_is_multicast(v->dst_mac) && !mac_equal(v->dst_mac, g->vm->mac))
		return drop(reason, DROP_NOT_FOR_VM);
	switch (v->ethertype) {
	case ETHERTYPE_IPV4:
		return host_ipv4(g, v, reason);
	case ETHERTYPE_ARP:
		return host_arp(g, v, reason);
	case ETHERTYPE_IPV6:
		return drop(reason, DROP_IPV6);
	default:
		return drop(reason, DROP_ETHERTYPE);
	}
}
