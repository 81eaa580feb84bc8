/* SPDX-License-Identifier: MIT */
/* audit_flows.h — the flows the VM opened or tried, as the audit and `ctl flows` list them */
#ifndef SVM_APP_AUDIT_FLOWS_H
#define SVM_APP_AUDIT_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

/*
 * Flows kept: 4096, as many as the guard keeps name-allowed flows (guard/flows.h); when
 * full, the one idle longest goes (an LRU list, so a scan of thousands of ports a second
 * costs O(1) per new flow). Entries are taken as the table fills (64 at first, doubling).
 */
#define AUDIT_FLOWS_MAX 4096

/* The rule's text and the name kept with a flow; longer ones are cut. */
#define AUDIT_RULE_TEXT 112
#define AUDIT_NAME_TEXT 64

/* The TCP states seen (struct audit_flow.tcp) */
#define AUDIT_TCP_ANSWERED 0x1u
#define AUDIT_TCP_FIN_VM 0x2u
#define AUDIT_TCP_FIN_HOST 0x4u
#define AUDIT_TCP_RST 0x8u

/**
 * struct audit_flow - one flow of the VM (its own address is the lease: not in the key)
 * @dst: the destination, of either family; @sport the VM's port (ICMP echo: its id); @dport the
 *       destination's port (0 without ports)
 * @proto: the IP protocol (0 for ARP)
 * @refused: the guard refused it (@why says why); else it passed
 * @tcp: AUDIT_TCP_* seen
 * @first_ms, @last_ms: when it began and was last seen (monotonic)
 * @first_unix_ms: when it began, wall clock
 * @packets_out, @bytes_out: from the VM; @packets_in, @bytes_in: to it
 * @rule: the deciding rule as "allow|block RULE" ("" when no rule decided)
 * @origin: where that rule came from (rulebook.h's enum rule_origin)
 * @name: the name the destination was learned from ("" when none is known)
 */
struct audit_flow {
	struct inet_addr dst;
	uint16_t sport, dport;
	uint8_t proto;
	bool refused;
	uint8_t why;
	uint8_t tcp;
	uint8_t origin;
	uint64_t first_ms, last_ms;
	int64_t first_unix_ms;
	uint64_t packets_out, bytes_out, packets_in, bytes_in;
	char rule[AUDIT_RULE_TEXT];
	char name[AUDIT_NAME_TEXT];
	/* private */
	uint32_t hnext, prev, next;
};

struct audit_flows;

/** audit_flows_new() - an empty table; NULL when out of memory */
struct audit_flows *audit_flows_new(void);
void audit_flows_free(struct audit_flows *t);

/**
 * audit_flows_find() - the live flow with these ends, or NULL (an expired one is forgotten)
 */
struct audit_flow *audit_flows_find(struct audit_flows *t, uint8_t proto,
				    const struct inet_addr *dst,
				    uint16_t sport, uint16_t dport, uint64_t now_ms);

/**
 * audit_flows_add() - a new flow, zeroed but for its ends and times (the flow idle
 * longest goes when the table is full). NULL when out of memory.
 */
struct audit_flow *audit_flows_add(struct audit_flows *t, uint8_t proto,
				   const struct inet_addr *dst,
				   uint16_t sport, uint16_t dport, uint64_t now_ms);

/** audit_flows_touch() - @fl was seen at @now_ms: it goes to the front of the LRU list */
void audit_flows_touch(struct audit_flows *t, struct audit_flow *fl, uint64_t now_ms);

/** audit_flows_expired() - whether @fl has timed out at @now_ms (guard/flows.h's times) */
bool audit_flows_expired(const struct audit_flow *fl, uint64_t now_ms);

/** audit_flows_each() - call @fn for each live flow, the most recently seen first */
void audit_flows_each(const struct audit_flows *t, uint64_t now_ms,
		      void (*fn)(const struct audit_flow *fl, void *ctx), void *ctx);

/** audit_flows_count() - flows held (expired ones not yet forgotten included) */
size_t audit_flows_count(const struct audit_flows *t);

#endif
