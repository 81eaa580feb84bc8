/* SPDX-License-Identifier: MIT */
/* guard.h — decides, frame by frame, what may pass between the VM and the host */
#ifndef SVM_GUARD_GUARD_H
#define SVM_GUARD_GUARD_H

#include <stdint.h>

#include "core/config.h"
#include "guard/policy.h"
#include "proto/drop_reason.h"
#include "proto/frame.h"

enum guard_action {
	GUARD_PASS,  /* forward to the other side */
	GUARD_LOCAL, /* for sock-vmnet itself: a local responder answers it */
	GUARD_DROP,  /* drop and count the reason */
};

/**
 * enum local_service - who answers a frame the guard found addressed to sock-vmnet
 *
 * One entry per responder (responder/responder.h); the guard knows only which frames
 * may go there, not what is done with them.
 */
enum local_service {
	LOCAL_DHCP4, /* a DHCPv4 client message */
	LOCAL_DNS,   /* a DNS query (UDP) or a segment of a DNS connection (TCP) to the gateway */
	LOCAL__COUNT
};

/**
 * struct guard - what the guard knows: the config, the VM's current lease, the policy
 * @cfg: the command line (MAC, subnet, gateway, MTU, policy rules)
 * @vm_addr: the VM's leased IPv4 address, host order; 0 before it has one
 * @gateway: the gateway, host order
 * @subnet: the VM's subnet, host order
 * @subnet_mask: its netmask
 * @subnet_broadcast: the directed broadcast address of the VM's subnet, host order
 * @policy: cfg->policy's rules and the built-in rules, compiled once by guard_init()
 *
 * ARP and IPv4 are judged on host-order copies of the addresses, read once from @cfg.
 * About 8 KiB, no pointers to free: embed it.
 */
struct guard {
	const struct config *cfg;
	uint32_t vm_addr;
	uint32_t gateway;
	uint32_t subnet, subnet_mask;
	uint32_t subnet_broadcast;
	struct policy policy;
};

/**
 * guard_init() - get ready to judge frames for the VM that @cfg describes
 * @g: the guard
 * @cfg: the command line; must outlive @g
 *
 * Compiles the policy: the only costly step, done once.
 */
void guard_init(struct guard *g, const struct config *cfg);

/** guard_set_vm_address() - the VM now holds @addr (IPv4); NULL or 0.0.0.0: none */
void guard_set_vm_address(struct guard *g, const struct inet_addr *addr);

/**
 * guard_vm_frame() - judge a frame the VM sent
 * @g: the guard
 * @v: the frame, parsed by frame_parse() without error
 * @reason: set when the answer is GUARD_DROP
 * @service: set when the answer is GUARD_LOCAL: which responder answers it
 *
 * Pure: no I/O, no state change. The rules, with the drop reason of each, are listed at
 * the top of guard.c. Return: what to do with the frame.
 */
enum guard_action guard_vm_frame(const struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason, enum local_service *service);

/**
 * guard_host_frame() - judge a frame from the host side, bound for the VM
 * @g: the guard
 * @v: the frame, parsed by frame_parse() without error
 * @reason: set when the answer is GUARD_DROP
 *
 * Pure, like guard_vm_frame(). Return: GUARD_PASS or GUARD_DROP (with @reason).
 */
enum guard_action guard_host_frame(const struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason);

#endif
