/* SPDX-License-Identifier: MIT */
/* responder.h — what answers frames addressed to sock-vmnet itself: one table, one contract */
#ifndef SVM_RESPONDER_RESPONDER_H
#define SVM_RESPONDER_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/container_of.h"
#include "core/loop.h"
#include "core/stats.h"
#include "guard/guard.h"
#include "proto/addr.h"
#include "proto/drop_reason.h"
#include "proto/frame.h"

/**
 * struct responder_env - what a responder may do beyond answering: given by the relay
 * @send_to_vm: hand one frame to the VM (a reply now, or later: an answer that had to
 *              wait). The frame is copied or sent before the call returns.
 * @vm_address: the VM now holds @addr (NULL: it holds nothing any more); the guard
 *              learns it from here, so the relay never needs to know what a lease is
 * @learn_answer: (may be NULL) a DNS answer, whole, that the VM is being given; the guard's
 *                name rules learn addresses from it — the one road from a responder to
 *                the guard, as @vm_address is for the VM's address
 * @claim_address: (may be NULL) the VM's claim of IPv6 address @addr won: the guard lets it
 *                 use it. Return: true when the VM had to give up another for it (its
 *                 CLAIMS_MAX), then in @evicted
 * @ctx: for all of them
 * @loop: the loop the responder may put its own sockets and timers in
 */
struct responder_env {
	void (*send_to_vm)(void *ctx, const uint8_t *frame, size_t len);
	void (*vm_address)(void *ctx, const struct inet_addr *addr);
	void (*learn_answer)(void *ctx, const uint8_t *msg, size_t len);
	bool (*claim_address)(void *ctx, const struct inet_addr *addr, struct inet_addr *evicted);
	void *ctx;
	struct loop *loop;
};

/**
 * struct responder - one local service on the frame path (DHCPv4, DNS, NDP)
 * @name: for logs ("dhcp")
 * @handle: answer one frame the guard routed here (GUARD_LOCAL). Replies go out through
 *          @env->send_to_vm. Return: DROP_NONE when the frame was taken (answered or
 *          quietly consumed), else why it was dropped, to be counted.
 * @vm_active: (may be NULL) the VM sent frames at @now_ms (the relay calls it once per batch
 *             from the VM): a responder that must speak up now and then does so without a
 *             timer of its own, so that an idle VM costs no wake-up
 * @close: release everything (a DHCP responder lets its lease go)
 * @env: set before the first @handle
 * @counters: frames and bytes the responder took; set by the service
 *
 * Embed it in the responder's own struct and get back with container_of().
 */
struct responder {
	const char *name;
	enum drop_reason (*handle)(struct responder *r, const struct frame_view *v);
	void (*vm_active)(struct responder *r, uint64_t now_ms);
	void (*close)(struct responder *r);
	const struct responder_env *env;
	struct direction_counters *counters;
};

/** struct responder_table - who answers each enum local_service (NULL: nobody) */
struct responder_table {
	struct responder *by_service[LOCAL__COUNT];
};

#endif
