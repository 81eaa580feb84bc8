/* SPDX-License-Identifier: MIT */
/* flows.h — the VM's connections a name rule let through: open until they end, their server name checked */
#ifndef SVM_GUARD_FLOWS_H
#define SVM_GUARD_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

/*
 * When a flow that nothing is heard of is forgotten (and its next packet judged anew):
 * - TCP, established: 2 h 4 min, the least a NAT may keep an idle connection (RFC 5382
 *   REQ-5), so a connection a NAT would keep is never cut here first;
 * - TCP, not established yet (no answer to the SYN) or closed (FIN both ways, or RST): 120 s
 *   and 30 s, room for SYN retries and for the last ACKs;
 * - UDP: 5 min, RFC 4787 REQ-5's recommended UDP mapping timeout (2 min at the least).
 */
#define FLOW_TCP_ESTABLISHED_S 7440
#define FLOW_TCP_OPENING_S 120
#define FLOW_TCP_CLOSED_S 30
#define FLOW_UDP_S 300

/*
 * Flows kept per VM. 4096 name-allowed connections at once is far beyond a VM's browser or
 * package manager (tens); when full the oldest idle one goes.
 */
#define FLOWS_MAX 4096

/* What a flow's TCP has seen (struct flow.tcp). */
#define FLOW_TCP_SYN 0x1u      /* the VM's SYN */
#define FLOW_TCP_ANSWERED 0x2u /* anything back from the server */
#define FLOW_TCP_FIN_VM 0x4u
#define FLOW_TCP_FIN_HOST 0x8u
#define FLOW_TCP_RST 0x10u
#define FLOW_TCP_FIN_ACKED 0x20u /* the server acknowledged the VM's FIN */

/**
 * enum flow_check - the server-name check of a TCP flow let through by a name only
 * @FLOW_CHECK_NONE: nothing to check (an address rule lets it through too, or not TCP)
 * @FLOW_CHECK_PENDING: its first bytes have not said which server they want yet
 * @FLOW_CHECK_FAILED: they named a server no rule allows: every packet is dropped
 * @FLOW_CHECK_PASSED: judged, and opaque since (TLS): a new connection on its ports is
 *                     checked anew
 */
enum flow_check {
	FLOW_CHECK_NONE,
	FLOW_CHECK_PENDING,
	FLOW_CHECK_FAILED,
	FLOW_CHECK_PASSED,
};

/**
 * struct flow - one connection of the VM (its address is the VM's own: not in the key)
 * @dst: the server, of either family
 * @sport: the VM's port; @dport the server's
 * @proto: 6 or 17
 * @rule: the name rule that let it through (an index into the policy's entries)
 * @last_ms: when a packet of it was last seen, either way
 * @tcp: FLOW_TCP_* seen so far
 * @check: the server-name check (enum flow_check)
 * @seg_max: the most payload a VM segment of it carried (what segments made for it may carry)
 * @nc: while the check is pending: its bytes (guard/name_check.h); given to the table's
 *      release hook when the flow goes, however it goes
 */
struct flow {
	struct inet_addr dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t tcp;
	uint8_t check;
	uint16_t seg_max;
	uint32_t rule;
	uint64_t last_ms;
	struct name_check *nc;
	/* private */
	uint32_t next;
};

struct flows;
struct name_check;

/**
 * flows_new() - an empty table, memory taken as it fills
 * @release: (may be NULL) called with every flow that goes (expired, evicted, removed, the
 *           table freed) while it holds a name check, to free it
 * @ctx: its first argument
 * Return: the table; NULL when out of memory.
 */
struct flows *flows_new(void (*release)(void *ctx, struct flow *fl), void *ctx);
void flows_free(struct flows *f);

/**
 * flows_find() - the flow of these ends, if it is known and has not timed out at @now_ms
 * (one that has is forgotten on the way)
 */
struct flow *flows_find(struct flows *f, uint8_t proto, const struct inet_addr *dst,
			uint16_t sport, uint16_t dport, uint64_t now_ms);

/**
 * flows_add() - remember a new flow (the oldest idle one goes if the table is full)
 * Return: the flow, zeroed but for its ends, @rule and @last_ms; NULL when out of memory.
 */
struct flow *flows_add(struct flows *f, uint8_t proto, const struct inet_addr *dst,
		       uint16_t sport, uint16_t dport, uint32_t rule, uint64_t now_ms);

/** flows_remove() - forget @fl (its name check released) */
void flows_remove(struct flows *f, struct flow *fl);

/** flows_remap() - the rules were replaced: each flow's rule gets its new index, or it goes */
void flows_remap(struct flows *f, long (*map)(void *ctx, uint32_t rule), void *ctx);

/** flows_remove_if() - forget every flow @gone says of */
void flows_remove_if(struct flows *f, bool (*gone)(void *ctx, const struct flow *fl), void *ctx);

/** flows_expire() - forget every flow that has timed out at @now_ms */
void flows_expire(struct flows *f, uint64_t now_ms);

/** flows_count() - flows held (timed-out ones not yet forgotten included) */
size_t flows_count(const struct flows *f);

/** flows_expired() - whether @fl has timed out at @now_ms */
bool flows_expired(const struct flow *fl, uint64_t now_ms);

#endif
