/* SPDX-License-Identifier: MIT */
/* guard.h — decides, frame by frame, what may pass between the VM and the host */
#ifndef SVM_GUARD_H
#define SVM_GUARD_H

#include <stdint.h>

#include "drop_reason.h"
#include "frame.h"
#include "options.h"

enum guard_action {
	GUARD_PASS, /* forward to the other side */
	GUARD_DHCP, /* a DHCP client message for sock-vmnet's own server */
	GUARD_DROP, /* drop and count the reason */
};

/**
 * struct guard - what the guard knows: the config and the VM's current lease
 * @cfg: the command line (MAC, subnet, gateway, MTU, policy rules)
 * @vm_addr: the VM's leased IPv4 address, host order; 0 before it has one
 */
struct guard {
	const struct config *cfg;
	uint32_t vm_addr;
};

void guard_init(struct guard *g, const struct config *cfg);

/** guard_set_vm_address() - the DHCP server leased @addr to the VM (0: no lease) */
void guard_set_vm_address(struct guard *g, uint32_t addr);

/**
 * guard_vm_frame() - judge a frame the VM sent
 * @g: the guard
 * @v: the frame, parsed by frame_parse() without error
 * @reason: set when the answer is GUARD_DROP
 *
 * Pure: no I/O, no state change. Return: what to do with the frame.
 */
enum guard_action guard_vm_frame(const struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason);

/**
 * guard_host_frame() - judge a frame from the host side, bound for the VM
 * Return: GUARD_PASS or GUARD_DROP (with @reason).
 */
enum guard_action guard_host_frame(const struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason);

#endif
