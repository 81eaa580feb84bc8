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
 *  - The host (the gateway): closed by default [policy-block] but for its DNS, DHCP, ARP
 *    and ping (an unfragmented echo request); a rule of the command line for the gateway
 *    decides instead (`--allow @host`, `--allow tcp:@host:8080`, `--block @host`).
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

#include "guard/guard_private.h"
#include "proto/offload.h"

/* IPv4 option types (RFC 791, RFC 2113): copied flag, class and number in one byte */
#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define IPOPT_ROUTER_ALERT 148
#define IPOPT_ROUTER_ALERT_LEN 4

/* The offset (in 8-byte units) of a fragment that overwrites TCP's flags (RFC 1858). */
#define TCP_OVERLAP_FRAG_OFFSET 1

/* The names' tables exist while the policy has a name rule (flows, also while forwards do). */
static int ensure_name_tables(struct guard *g, const struct policy *p)
{
	if (!policy_has_names(p) || g->learned)
		return 0;
	g->learned = learned_new();
	if (!g->flows)
		g->flows = flows_new(guard_check_release, g);
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

	if (!g->forward_flows && !(g->forward_flows = flows_new(NULL, NULL)))
		return -ENOMEM;
	more = realloc(g->forwards, (g->forward_count + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	g->forwards = more;
	g->forwards[g->forward_count] = (struct guard_forward){proto, vm_lo, vm_hi, 0, 0};
	return (int)g->forward_count++;
}

/* The forward that takes the host's @proto packets to the VM's port @vm_port, or NULL. */
struct guard_forward *guard_forward_to(struct guard *g, uint8_t proto, uint16_t vm_port)
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
	return !guard_forward_to(ctx, fl->proto, fl->sport);
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
	       const struct net6_config *net6, const struct policy_config *policy,
	       struct name_counters *names)
{
	*g = (struct guard){
		.vm = vm,
		.net6 = net6,
		.policy_cfg = policy,
		.gateway = inet_v4(&net4->gateway),
		.subnet = inet_v4(&net4->subnet.addr),
		.subnet_mask = net4->mask,
		.subnet_broadcast = inet_v4(&net4->subnet.addr) | ~net4->mask,
		.decided_by = -1,
		.names = names,
	};
	inet6_link_local_of_mac(vm->mac, &g->vm_ll);
	g->hosts[g->host_count++] = net4->gateway;
	if (net6 && net6->enabled) {
		g->hosts[g->host_count++] = net6->gateway;
		g->hosts[g->host_count++] = net6->gateway_ll;
	}
	g->policy = policy_compile(policy->rules, policy->count, g->hosts, g->host_count);
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
	free(g->emit);
	g->emit = NULL;
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

struct policy *guard_compile(const struct guard *g, const struct policy_rule *rules,
			     size_t count)
{
	return policy_compile(rules, count, g->hosts, g->host_count);
}

int guard_change_rule(struct guard *g, bool add, const struct policy_rule *r)
{
	size_t n = policy_entry_count(g->policy), count = 0;
	struct policy_rule *rules = malloc((n + 1) * sizeof(*rules));
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
	p = guard_compile(g, rules, count);
	free(rules);
	if (!p)
		return -ENOMEM;
	return guard_set_policy(g, p);
}

void guard_set_vm_address(struct guard *g, const struct inet_addr *addr)
{
	g->vm_addr = addr && inet_is_v4(addr) ? inet_v4(addr) : 0;
}

/*
 * Longer than the VM's link: a frame is, a GSO packet is not (its segments are: the port
 * that read it checked them against the MTU, offload_check()).
 */
static bool oversize(const struct guard *g, const struct frame_view *v)
{
	return v->len > ETH_HDR_LEN + g->vm->mtu && !(v->offload && v->offload->gso != GSO_NONE);
}

bool guard_claim(struct guard *g, const struct inet_addr *addr, struct inet_addr *evicted)
{
	return claims_add(&g->claims, addr, g->now_ms, evicted);
}

void guard_unclaim(struct guard *g, const struct inet_addr *addr)
{
	claims_remove(&g->claims, addr);
}

bool guard_owns6(const struct guard *g, const struct inet_addr *addr)
{
	return inet_equal(addr, &g->vm_ll) || claims_has(&g->claims, addr);
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

/* A frame's group destination, of either family: IPv4's above, IPv6 multicast. */
static bool dst_is_group(const struct guard *g, const struct frame_view *v)
{
	return v->ip ? ip_is_group(g, inet_v4(&v->ip_dst)) : inet6_is_multicast(&v->ip_dst);
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

/* An echo request in one piece (a ping of up to the MTU), of ICMP or ICMPv6. */
static inline bool is_whole_echo_request(const struct frame_view *v)
{
	return v->l4 && !v->ip_more_fragments &&
	       ((v->ip_proto == IPPROTO_ICMP_ && v->icmp_type == ICMP_TYPE_ECHO_REQUEST) ||
		(v->ip_proto == IPPROTO_ICMPV6_ && v->icmp_type == ICMPV6_ECHO_REQUEST));
}

/* Whether @a is one of the gateway's addresses ("@host": IPv4, and IPv6's global and
 * link-local). */
static bool is_host(const struct guard *g, const struct inet_addr *a)
{
	for (size_t i = 0; i < g->host_count; i++)
		if (inet_equal(a, &g->hosts[i]))
			return true;
	return false;
}

/*
 * A ping of the gateway: the host's kernel (tap, vmnet) or libslirp (user) answer it, no
 * service of the host's; the built-in block of @host lets it through (policy.c), a rule of
 * the command line for the gateway decides instead (`--block @host` closes it).
 */
static enum guard_action ping_gateway(struct guard *g, const struct frame_view *v,
				      enum drop_reason *reason)
{
	struct policy_verdict d = policy_decide_any(g->policy, &v->ip_dst, v->ip_proto, 0,
						    POLICY_PORT_KNOWN);

	if (!d.allow && policy_is_host_default(g->policy, d.entry))
		return GUARD_PASS; /* as the gateway's DNS: no hit of the block that lets it by */
	guard_count_decision(g, d.entry);
	return d.allow ? GUARD_PASS : drop(reason, DROP_POLICY_BLOCK);
}

/*
 * The destination check of a VM packet (of either family) whose source has been checked;
 * static inline here, so that the IPv4 path has it inlined as before IPv6 came (guard_bench:
 * a call each for it, the gateway's and the DNS check cost 30 instructions a frame), and
 * guard6.c calls the exported guard_vm_destination().
 */
static inline enum guard_action vm_destination(struct guard *g, const struct frame_view *v,
					       enum drop_reason *reason)
{
	bool first = is_first_fragment(v);
	enum policy_ports ports = first ? POLICY_PORT_KNOWN : POLICY_PORT_EVERY;
	const struct inet_addr *dst = &v->ip_dst;
	bool group_ip = dst_is_group(g, v);
	struct decision d;

	if (mac_is_multicast(v->dst_mac) || group_ip) {
		if (!group_ip)
			return drop(reason, DROP_MULTICAST);
		if (!policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port, ports))
			return drop(reason, DROP_MULTICAST);
		return GUARD_PASS;
	}
	if (first && is_whole_echo_request(v) && is_host(g, dst))
		return ping_gateway(g, v, reason);
	if (first)
		return guard_vm_unicast(g, v, reason);
	d = guard_decide(g, dst, v->ip != NULL, v->ip_proto, 0, POLICY_PORT_EVERY);
	guard_count_decision(g, d.entry);
	if (d.allow)
		return GUARD_PASS;
	/* a fragment to a destination that a port rule opens is the fragment's fault */
	if (policy_allows(g->policy, dst, v->ip_proto, 0, POLICY_PORT_ANY))
		return drop(reason, DROP_FRAGMENT);
	return drop(reason, DROP_POLICY_BLOCK);
}

/*
 * UDP or TCP to the gateway: its port 53 is sock-vmnet's DNS, answered on the frame path,
 * open under the built-in block of @host (policy.c) unless a rule of the command line
 * closes it (`--block @host`); whole datagrams and segments only. Other ports of the
 * gateway are the host's, closed unless a rule opens them (`--allow @host`).
 */
static inline enum guard_action to_gateway(struct guard *g, const struct frame_view *v,
					   enum drop_reason *reason, enum local_service *service)
{
	struct policy_verdict d;

	if (!v->l4 || v->dst_port != DNS_PORT)
		return vm_destination(g, v, reason);
	if (v->ip_more_fragments)
		return drop(reason, DROP_FRAGMENT); /* a DNS message in pieces: not answered */
	d = policy_decide_any(g->policy, &v->ip_dst, v->ip_proto, DNS_PORT, POLICY_PORT_KNOWN);
	if (!d.allow && !policy_is_host_default(g->policy, d.entry))
		return drop(reason, DROP_POLICY_BLOCK);
	*service = LOCAL_DNS;
	return GUARD_LOCAL;
}

enum guard_action guard_vm_destination(struct guard *g, const struct frame_view *v,
				       enum drop_reason *reason)
{
	return vm_destination(g, v, reason);
}

enum guard_action guard_to_gateway(struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason, enum local_service *service)
{
	return to_gateway(g, v, reason, service);
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
	if (guard_is_foreign_dns(g, v))
		return drop(reason, DROP_FOREIGN_DNS);
	return vm_destination(g, v, reason);
}

enum guard_action guard_vm_frame(struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason, enum local_service *service)
{
	g->decided_by = -1;
	g->reset_seq_set = false;
	if (oversize(g, v))
		return drop(reason, DROP_OVERSIZE);
	if (!mac_equal(v->src_mac, g->vm->mac))
		return drop(reason, DROP_SRC_MAC);
	switch (v->ethertype) {
	case ETHERTYPE_IPV4:
		return vm_ipv4(g, v, reason, service);
	case ETHERTYPE_ARP:
		return vm_arp(g, v, reason);
	case ETHERTYPE_IPV6:
		return guard_vm_ipv6(g, v, reason, service);
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
			return guard_host_flow_packet(g, v, reason);
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
	if (oversize(g, v))
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
		return guard_host_ipv6(g, v, reason);
	default:
		return drop(reason, DROP_ETHERTYPE);
	}
}
