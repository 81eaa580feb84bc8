/* SPDX-License-Identifier: MIT */
/* guard_private.h — what guard.c and guard_names.c share: not for the guard's users */
#ifndef SVM_GUARD_GUARD_PRIVATE_H
#define SVM_GUARD_GUARD_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "guard/guard.h"
#include "proto/byteorder.h"
#include "proto/wire.h"

/* A flow a forward (--expose) let in: not any rule's. */
#define FLOW_RULE_FORWARD UINT32_MAX

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

/**
 * guard_decide() - the verdict on a packet to @dst (@v4: an IPv4 one, as its frame says):
 * the address rules, and the addresses learned for name rules (each a /32 or /128 of its
 * rule) where the ports are known
 */
struct decision guard_decide(const struct guard *g, const struct inet_addr *dst, bool v4,
			     uint8_t proto, uint16_t port, enum policy_ports ports);

/** guard_count_decision() - @entry decided (-1: no rule): remember it, count its hit */
void guard_count_decision(struct guard *g, int entry);

/** guard_vm_unicast() - a first fragment to a unicast destination: its flow, or the rules */
enum guard_action guard_vm_unicast(struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason);

/**
 * guard_host_flow_packet() - a host packet for the VM's address: it keeps a flow of a name
 * rule open, or begins or keeps a forwarded one
 */
enum guard_action guard_host_flow_packet(struct guard *g, const struct frame_view *v,
					 enum drop_reason *reason);

/** guard_name_allowed() - does @name ask for a server the name rules allow? Block wins. */
bool guard_name_allowed(const struct guard *g, const char *name, uint8_t proto, uint16_t port);

/**
 * guard_check_begin() - @fl, a TCP flow a name alone let through, has its bytes checked
 * from @v on (its SYN, or the first segment seen of it)
 * Return: 0, or -1 when no more checks may begin (GUARD_CHECKS_MAX) or out of memory.
 */
int guard_check_begin(struct guard *g, struct flow *fl, const struct frame_view *v);

/** guard_checked_segment() - a VM segment of a checked flow: normalized, judged, released */
enum guard_action guard_checked_segment(struct guard *g, struct flow *fl,
					const struct frame_view *v, enum drop_reason *reason);

/** guard_check_answer() - a server segment of a checked flow: what it acknowledges */
void guard_check_answer(struct guard *g, struct flow *fl, const struct frame_view *v);

/** guard_check_release() - flows' release hook: @fl's check goes (ctx: the guard) */
void guard_check_release(void *ctx, struct flow *fl);

/**
 * guard_vm_destination() - the destination check of a VM packet of either family whose
 * source has been checked: groups only where a rule allows them, unicast by the rules and
 * the names (guard.c)
 */
enum guard_action guard_vm_destination(struct guard *g, const struct frame_view *v,
				       enum drop_reason *reason);

/** guard_to_gateway() - UDP or TCP to the gateway: its DNS is answered here (guard.c) */
enum guard_action guard_to_gateway(struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason, enum local_service *service);

/**
 * guard_is_foreign_dns() - DNS to another resolver while a rule names a name: the VM's DNS
 * must be the gateway's, names are learned there
 */
static inline bool guard_is_foreign_dns(const struct guard *g, const struct frame_view *v)
{
	return g->learned && v->l4 &&
	       (v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_) &&
	       (v->dst_port == DNS_PORT || v->dst_port == DNS_TLS_PORT);
}

/** guard_vm_ipv6() - an IPv6 frame of the VM (guard6.c; the rules listed there) */
enum guard_action guard_vm_ipv6(struct guard *g, const struct frame_view *v,
				enum drop_reason *reason, enum local_service *service);

/** guard_host_ipv6() - an IPv6 frame from the host side for the VM (guard6.c) */
enum guard_action guard_host_ipv6(struct guard *g, const struct frame_view *v,
				  enum drop_reason *reason);

/** guard_forward_to() - the forward that reaches the VM's @vm_port, or NULL */
struct guard_forward *guard_forward_to(struct guard *g, uint8_t proto, uint16_t vm_port);

static inline enum guard_action drop(enum drop_reason *reason, enum drop_reason why)
{
	*reason = why;
	return GUARD_DROP;
}

static inline enum guard_action reset(enum drop_reason *reason, enum drop_reason why)
{
	*reason = why;
	return GUARD_RESET;
}

static inline uint8_t tcp_flags(const struct frame_view *v)
{
	return v->l4[13];
}

#endif
