/* SPDX-License-Identifier: MIT */
/* relay.h — the frame path: VM transport → guard → local responders or back-end, and back */
#ifndef SVM_DATAPATH_RELAY_H
#define SVM_DATAPATH_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/frame_port.h"
#include "core/loop.h"
#include "core/stats.h"
#include "guard/guard.h"
#include "responder/responder.h"

/* Frames moved per receive call in each direction (see relay.c for the measurement). */
#define RELAY_BATCH 64

/*
 * Answers to packets the policy refuses (--block-mode=reject): a burst of 50, then 100 a
 * second — Linux's own ICMP budget (net.ipv4.icmp_msgs_per_sec 1000, burst 50) scaled down
 * to one VM. A program retrying a refused connection gets its answer every time; a flood
 * gets 100 a second, the rest only counted.
 */
#define RELAY_REJECT_BURST 50
#define RELAY_REJECTS_PER_SECOND 100

enum relay_direction { TO_HOST, TO_VM, RELAY_DIRECTIONS };

/**
 * struct lane - one direction: frames read from @from, judged, written to @to
 * @out: the frames that passed, waiting to be written (views into @batch, or into the
 *       guard's segments made this batch)
 * @out_count: how many are in @out
 * @out_sent: how many of them @to has taken; the rest wait for LOOP_OUT
 * @blocked_since_ms: when @to stopped taking frames (0: not blocked)
 */
struct lane {
	struct frame_port *from, *to;
	struct frame_batch batch;
	struct frame_ref out[RELAY_BATCH + GUARD_EMIT_FRAMES_MAX];
	unsigned out_count, out_sent;
	uint64_t blocked_since_ms;
	struct direction_counters *counters;
	enum drop_reason busy_reason;
	const char *direction;
};

/**
 * struct relay_seen - one frame as the relay dealt with it, told to an observer
 * @dir: TO_HOST for a frame from the VM (or made for the host), TO_VM the other way
 * @action: the guard's verdict; GUARD_PASS for a frame sock-vmnet made itself (the
 *          segments of a GUARD_EMIT among them: told after the frame they stand in for)
 * @made: sock-vmnet made it (a responder's answer, a reject or reset), nobody sent it
 * @why: with GUARD_DROP and GUARD_RESET, the reason
 * @rule: the policy's deciding rule (guard_decided_by()), or NULL when no rule decided
 * @data: the frame's bytes, @len of them
 * @v: the frame parsed, or NULL when it did not parse (or was made here)
 */
struct relay_seen {
	enum relay_direction dir;
	enum guard_action action;
	bool made;
	enum drop_reason why;
	const struct policy_entry *rule;
	const uint8_t *data;
	uint32_t len;
	const struct frame_view *v;
};

/**
 * struct relay_observer - who watches the frame path (captures, the audit); all optional
 * @seen: every frame read from either port, and every frame sock-vmnet made, after the
 *        verdict; it must not keep @s or its pointers, nor wait for anything
 * @answer: a DNS answer the VM is being given (after the guard has read it)
 * @ctx: their first argument
 */
struct relay_observer {
	void (*seen)(void *ctx, const struct relay_seen *s);
	void (*answer)(void *ctx, const uint8_t *msg, size_t len);
	void *ctx;
};

/**
 * struct relay - both directions between the VM and the host side
 * @watching: what the loop watches each port for now, by port (TO_HOST: the VM's)
 * @expiry: armed while a lane is blocked, for the oldest blocked batch
 * @guard: the guard (the service's), asked about every frame
 * @responders: who answers the frames the guard finds addressed to sock-vmnet
 * @env: what the responders may do (send to the VM, report the VM's address, hand the
 *       guard a DNS answer)
 * @now_ms: the time of the batch being relayed
 * @observer: told of every frame and DNS answer (zeroed: nobody)
 */
struct relay {
	struct loop *loop;
	struct frame_port *vm, *host;
	struct loop_source vm_src, host_src;
	uint32_t vm_events, host_events;
	struct lane lanes[RELAY_DIRECTIONS];
	struct loop_timer expiry;
	struct guard *guard;
	struct responder_table responders;
	struct responder_env env;
	struct stats *stats;
	void (*on_vm_address)(void *ctx, uint32_t addr); /* (optional) the VM's lease changed */
	void *vm_address_ctx;
	struct relay_observer observer;
	uint64_t now_ms;
	unsigned reject_tokens;    /* answers to refused packets left in the budget */
	uint64_t reject_refill_ms; /* when the budget was last refilled */
	bool vm_gone; /* the VM's end closed: time to stop */
	bool failed;  /* an unrecoverable I/O error */
};

/**
 * relay_init() - wire the VM port, the host port, the guard and the responders
 * @r: the relay
 * @loop: the loop to run in
 * @mtu: the VM's MTU (the size of the frame buffers)
 * @vm: the VM transport's port
 * @host: the back-end's port
 * @guard: the guard that judges every frame (the caller's; it outlives the relay)
 * @stats: the counters
 *
 * Responders are attached afterwards with relay_attach(): they are given relay's
 * responder_env, through which their replies reach the VM and the guard learns the
 * VM's address.
 * Return: 0, or -errno.
 */
int relay_init(struct relay *r, struct loop *loop, unsigned mtu, struct frame_port *vm,
	       struct frame_port *host, struct guard *guard, struct stats *stats);
void relay_fini(struct relay *r);

/** relay_attach() - @resp answers the frames the guard routes to @service */
void relay_attach(struct relay *r, enum local_service service, struct responder *resp);

#endif
