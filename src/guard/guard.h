/* SPDX-License-Identifier: MIT */
/* guard.h — decides, frame by frame, what may pass between the VM and the host */
#ifndef SVM_GUARD_GUARD_H
#define SVM_GUARD_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"
#include "core/vm_config.h"
#include "guard/claims.h"
#include "guard/flows.h"
#include "guard/learned.h"
#include "guard/policy.h"
#include "proto/drop_reason.h"
#include "proto/frame.h"

enum guard_action {
	GUARD_PASS,  /* forward to the other side */
	GUARD_LOCAL, /* for sock-vmnet itself: a local responder answers it */
	GUARD_DROP,  /* drop and count the reason */
	GUARD_RESET, /* drop, count the reason, and reset the TCP connection at both ends */
	GUARD_HOLD,  /* keep it back (not a drop): its bytes wait to be judged (name checks) */
	GUARD_EMIT,  /* send guard_emitted()'s segments in its place (judged bytes released) */
};

/*
 * Flows whose bytes are checked at once (guard/name_check.h) per VM, and the memory their
 * buffers may take together. A browser opens 6 connections to a server, a package manager
 * 1-3; TLS flows leave the check once their ClientHello is acknowledged, plain HTTP ones
 * stay in it. Beyond the count a new name-checked flow is reset (name-unchecked); beyond
 * the memory its bytes wait (the VM sends them again).
 */
#define GUARD_CHECKS_MAX 256
#define GUARD_CHECK_MEMORY_MAX (16u << 20)

/*
 * Segments made in one batch to release judged bytes: one release of the largest hold
 * (NAME_CHECK_HOLD_MAX) cut at the smallest MSS (536) with the largest headers, and more
 * for smaller ones. A release that does not fit waits: the VM sends its bytes again, and
 * being judged already they go on as they come.
 */
#define GUARD_EMIT_FRAMES_MAX 192
#define GUARD_EMIT_BYTES (96u * 1024 + GUARD_EMIT_FRAMES_MAX * 160u)

/**
 * enum local_service - who answers a frame the guard found addressed to sock-vmnet
 *
 * One entry per responder (responder/responder.h); the guard knows only which frames
 * may go there, not what is done with them.
 */
enum local_service {
	LOCAL_DHCP4, /* a DHCPv4 client message */
	LOCAL_DNS,   /* a DNS query (UDP) or a segment of a DNS connection (TCP) to the gateway */
	LOCAL_NDP,   /* a Router Solicitation, an NS for the gateway, duplicate address detection */
	LOCAL__COUNT
};

/* What "@host" stands for: the gateway's IPv4 address, its IPv6 global and link-local ones. */
#define GUARD_HOSTS_MAX 3

/**
 * struct guard - what the guard knows: the config, the VM's current lease, the policy
 * @vm: the VM (its MAC, the MTU)
 * @net6: its IPv6 network (@net6->enabled false: every IPv6 frame is dropped)
 * @policy_cfg: the command line's policy (--block-mode, --check-names)
 * @vm_addr: the VM's leased IPv4 address, host order; 0 before it has one
 * @vm_ll: the link-local address the VM forms from its MAC (RFC 4291): always its own,
 *         since the MAC is (the lease database's MAC claim)
 * @claims: the other IPv6 addresses the VM holds (duplicate address detection, through the
 *          NDP responder and the lease database's claims)
 * @hosts: the addresses "@host" stands for (@host_count of them)
 * @gateway: the gateway, host order
 * @subnet: the VM's subnet, host order
 * @subnet_mask: its netmask
 * @subnet_broadcast: the directed broadcast address of the VM's subnet, host order
 * @policy: the compiled rules (owned; guard_set_policy() replaces it)
 * @learned: the addresses of names, while the policy has name rules
 * @flows: the VM's connections a name rule let through, while the policy has name rules
 * @check_names: check the server name of TCP flows allowed by a name only (--check-names)
 * @now_ms: the time the frames being judged are judged at (the relay sets it per batch)
 * @decided_by: the rule of the last verdict the policy gave (an entry index; -1: none)
 * @names: counters of the name rules (the caller's; may be NULL)
 * @checks: flows whose bytes are being checked (name checks alive), @check_memory their
 *          buffers' bytes
 * @emit: segments made this batch to release judged bytes (GUARD_EMIT), taken on first use
 * @reset_seq: with GUARD_RESET of a checked flow, where the server's next byte is (the
 *             sequence its reset must carry); @reset_seq_set says it is set
 * @forwards: the VM's ports the host forwards to (--expose), and connections per forward
 * @forward_flows: the connections forwards let in, whose replies pass: a table of their own,
 *                 so that whoever reaches a forwarded port cannot crowd out the name rules'
 *
 * It keeps state: the learned names and the flows; judging a frame may change them. The
 * service owns it and hands it to the relay; others read it through the accessors below.
 */
struct guard {
	const struct vm_config *vm;
	const struct net6_config *net6;
	const struct policy_config *policy_cfg;
	uint32_t vm_addr;
	struct inet_addr vm_ll;
	struct claims claims;
	struct inet_addr hosts[GUARD_HOSTS_MAX];
	size_t host_count;
	uint32_t gateway;
	uint32_t subnet, subnet_mask;
	uint32_t subnet_broadcast;
	struct policy *policy;
	struct learned *learned;
	struct flows *flows;
	bool check_names;
	uint64_t now_ms;
	int decided_by;
	struct name_counters *names;
	unsigned checks;
	size_t check_memory;
	struct guard_emit *emit;
	uint32_t reset_seq;
	bool reset_seq_set;
	struct guard_forward *forwards;
	size_t forward_count;
	struct flows *forward_flows;
};

/**
 * struct guard_forward - the VM's ports a forward (--expose) reaches
 * @proto: 6 or 17
 * @vm_lo, @vm_hi: the ports
 * @connections: flows from the host side it began (a TCP SYN, a UDP datagram of a new flow)
 * @packets: packets it carried to the VM
 */
struct guard_forward {
	uint8_t proto;
	uint16_t vm_lo, vm_hi;
	uint64_t connections;
	uint64_t packets;
};

/**
 * guard_forward_add() - the host forwards connections to these ports of the VM: their
 * replies leave whatever the policy says (nothing else is opened). Return: its index (for
 * its counters), or -ENOMEM.
 */
int guard_forward_add(struct guard *g, uint8_t proto, uint16_t vm_lo, uint16_t vm_hi);

/** guard_forward_del() - forget forward @i (the later ones move down by one) */
void guard_forward_del(struct guard *g, size_t i);

/**
 * guard_init() - get ready to judge frames for the VM that @vm describes
 * @g: the guard
 * @vm: the VM: its MAC and MTU
 * @net4: its network: subnet and gateway
 * @net6: its IPv6 network (must outlive @g; NULL or disabled: IPv6 is dropped)
 * @policy: the command line's rules, --block-mode and --check-names
 * @names: where the name rules count what they learn (NULL: nowhere)
 *
 * Compiles the policy from @policy's rules. @vm and @policy must outlive @g.
 * Return: 0, or -ENOMEM.
 */
int guard_init(struct guard *g, const struct vm_config *vm, const struct net4_config *net4,
	       const struct net6_config *net6, const struct policy_config *policy,
	       struct name_counters *names);
void guard_fini(struct guard *g);

/**
 * guard_compile() - @rules compiled with the built-in ones, "@host" standing for the
 * gateway's addresses of both families (as guard_init() compiles the command line's)
 * Return: the policy, for guard_set_policy(), or NULL when out of memory.
 */
struct policy *guard_compile(const struct guard *g, const struct policy_rule *rules,
			     size_t count);

/**
 * guard_host_reach() - what the VM may reach on its host (the gateway), one line for the log
 * @g: the guard
 * @buf: output, e.g. "host 192.168.64.1: the VM may reach its DHCP, DNS, ping; nothing else
 *       (--allow @host opens it)", or "... its DHCP, DNS, ping and --allow tcp:@host:8080"
 * @size: its size (GUARD_HOST_REACH_LEN holds it with a few rules; longer is cut)
 * Return: @buf.
 */
char *guard_host_reach(const struct guard *g, char *buf, size_t size);
#define GUARD_HOST_REACH_LEN 512

/**
 * guard_set_policy() - judge by @policy from now on (the guard owns it; the old one goes)
 *
 * What the old rules counted carries over to the same rules; addresses learned and flows
 * let through by a name rule that is gone are forgotten. Return: 0, or -ENOMEM (then
 * nothing changed and @policy is freed).
 */
int guard_set_policy(struct guard *g, struct policy *policy);

/**
 * guard_change_rule() - add @r after the rules in force, or remove the rule equal to it
 * @g: the guard
 * @add: add (true) or remove
 * @r: the rule (its verdict in @r->allow)
 *
 * The policy is compiled anew and replaces the old one whole (guard_set_policy()): a frame
 * is judged by one or the other. Built-in rules cannot be removed.
 * Return: 0; -EEXIST (adding a rule that is there), -ENOENT (removing one that is not),
 * -E2BIG (POLICY_MAX_RULES reached) or -ENOMEM.
 */
int guard_change_rule(struct guard *g, bool add, const struct policy_rule *r);

/** guard_set_vm_address() - the VM now holds @addr (IPv4); NULL or 0.0.0.0: none */
void guard_set_vm_address(struct guard *g, const struct inet_addr *addr);

/** guard_vm_address() - the VM's address (IPv4, host order); 0 before it has one */
static inline uint32_t guard_vm_address(const struct guard *g)
{
	return g->vm_addr;
}

/** guard_ipv6() - whether IPv6 is served (--ipv6=on) */
static inline bool guard_ipv6(const struct guard *g)
{
	return g->net6 && g->net6->enabled;
}

/**
 * guard_claim() - the VM holds IPv6 address @addr from now on (its claim won)
 * @evicted: set to an address the VM had to give up to make room (CLAIMS_MAX)
 * Return: true when one was given up (the caller lets it go in the shared table).
 */
bool guard_claim(struct guard *g, const struct inet_addr *addr, struct inet_addr *evicted);

/** guard_unclaim() - the VM no longer holds IPv6 address @addr */
void guard_unclaim(struct guard *g, const struct inet_addr *addr);

/** guard_owns6() - whether IPv6 address @addr is the VM's (its link-local one, or claimed) */
bool guard_owns6(const struct guard *g, const struct inet_addr *addr);

/** guard_set_now() - the time (monotonic ms) what comes next is judged at: flows, TTLs */
static inline void guard_set_now(struct guard *g, uint64_t now_ms)
{
	g->now_ms = now_ms;
}

/** guard_gateway() - the gateway's address (host order): what sock-vmnet answers as */
static inline uint32_t guard_gateway(const struct guard *g)
{
	return g->gateway;
}

/**
 * guard_router6() - the gateway's IPv6 address an answer to @src comes from: its link-local
 * one for a link-local source, its global one otherwise
 */
static inline struct inet_addr guard_router6(const struct guard *g, const struct inet_addr *src)
{
	return inet6_is_link_local(src) ? g->net6->gateway_ll : g->net6->gateway;
}

/** guard_rejects() - whether a refused packet gets an answer (--block-mode=reject) */
static inline bool guard_rejects(const struct guard *g)
{
	return g->policy_cfg->block_mode == BLOCK_REJECT;
}

/** guard_policy() - the rules in force (with their hit counters) */
static inline const struct policy *guard_policy(const struct guard *g)
{
	return g->policy;
}

/**
 * guard_decided_by() - the rule of the last verdict the policy gave
 * Return: its entry, or NULL when no rule decided (a spoofing check, a local service...).
 */
const struct policy_entry *guard_decided_by(const struct guard *g);

/**
 * guard_each_learned() - call @fn for every address learned for a name rule, live at @now_ms
 */
void guard_each_learned(const struct guard *g, uint64_t now_ms,
			void (*fn)(const struct learned_entry *e, void *ctx), void *ctx);

/**
 * guard_learned_name() - the name a live learned address was given by, or NULL
 * @g: the guard
 * @addr: the address, of either family
 *
 * Only names that rules name are learned (guard_learn_answer()); any one of them will do.
 */
static inline const char *guard_learned_name(const struct guard *g,
					     const struct inet_addr *addr)
{
	if (!g->learned)
		return NULL;
	for (const struct learned_entry *e = learned_first(g->learned, addr); e;
	     e = learned_next(g->learned, e))
		if (e->expires_ms > g->now_ms)
			return e->name;
	return NULL;
}

/**
 * guard_batch_start() - the frames judged next are a new batch: the segments emitted for
 * the last one (GUARD_EMIT) are no longer needed
 */
void guard_batch_start(struct guard *g);

/**
 * guard_emitted() - with GUARD_EMIT: the segments to send in the frame's place, in order
 * Return: how many; @frames points at them (valid until guard_batch_start()).
 */
size_t guard_emitted(const struct guard *g, const struct frame_ref **frames);

/**
 * guard_reset_seq() - with GUARD_RESET: the sequence number the reset of the server's side
 * must carry, when the guard knows it (a checked flow: the server's next byte). Return: true
 * and @seq, or false (the frame's own sequence number serves).
 */
static inline bool guard_reset_seq(const struct guard *g, uint32_t *seq)
{
	*seq = g->reset_seq;
	return g->reset_seq_set;
}

/** guard_forward_count() - how many forwards (guard_forward_add()) there are */
static inline size_t guard_forward_count(const struct guard *g)
{
	return g->forward_count;
}

/** guard_forward() - forward @i and its counters (i < guard_forward_count()) */
static inline const struct guard_forward *guard_forward(const struct guard *g, size_t i)
{
	return &g->forwards[i];
}

/**
 * guard_learn_answer() - read a DNS answer the VM is being given
 * @g: the guard
 * @msg: the DNS message (an answer to the VM's own question)
 * @len: its length
 *
 * Every A and AAAA record the answer reaches through CNAMEs from a name a rule names is
 * learned for that rule, for its TTL (guard/learned.h); never an address of the ranges a
 * name may not open (loopback, link-local, multicast, reserved, the VMs' subnet and IPv6
 * prefix, IPv4 in IPv6 of those): those are counted.
 */
void guard_learn_answer(struct guard *g, const uint8_t *msg, size_t len);

/**
 * guard_vm_frame() - judge a frame the VM sent
 * @g: the guard
 * @v: the frame, parsed by frame_parse() without error
 * @reason: set when the answer is GUARD_DROP or GUARD_RESET
 * @service: set when the answer is GUARD_LOCAL: which responder answers it
 *
 * The rules, with the drop reason of each, are listed at the top of guard.c. Return: what
 * to do with the frame.
 */
enum guard_action guard_vm_frame(struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason, enum local_service *service);

/**
 * guard_host_frame() - judge a frame from the host side, bound for the VM
 * @g: the guard
 * @v: the frame, parsed by frame_parse() without error
 * @reason: set when the answer is GUARD_DROP
 *
 * Return: GUARD_PASS or GUARD_DROP (with @reason).
 */
enum guard_action guard_host_frame(struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason);

#endif
