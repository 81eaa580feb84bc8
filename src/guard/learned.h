/* SPDX-License-Identifier: MIT */
/* learned.h — addresses the VM's DNS answers gave to names that rules name, each until its TTL ends */
#ifndef SVM_GUARD_LEARNED_H
#define SVM_GUARD_LEARNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

/*
 * How long an address stays a name's, from the answer's TTL:
 * - at least 60 s: an answer's TTL is the resolver's cache time, not the client's. Clients
 *   keep answers longer than their TTL (Java's default positive cache is 30 s whatever the
 *   TTL, Chrome's host cache 60 s) and connect after a TTL of 0-5 s has run out (CDNs hand
 *   those out); below a minute the VM would be refused an address it was just given.
 * - at most one hour: a name that moved on keeps its old address open that long at most;
 *   a name in use is asked for again (and its addresses renewed) far more often.
 */
#define LEARNED_TTL_FLOOR_S 60
#define LEARNED_TTL_CAP_S 3600

/*
 * Entries (an address under one rule) kept at once, per VM. A busy VM resolving 100 names a
 * minute with 4 addresses each and the floor TTL holds ~400; 16384 leave room for a crawler.
 * When full, the entry closest to its end goes (after every expired one).
 */
#define LEARNED_MAX 16384

/* The name kept with an entry, for `sock-vmnet ctl names` (longer ones are cut). */
#define LEARNED_NAME_LEN 64

/**
 * struct learned_entry - one address under one name rule
 * @addr: the address (an A record's or an AAAA record's)
 * @rule: the rule (an index into the policy's entries)
 * @expires_ms: when it stops counting (monotonic ms)
 * @name: the name the rule matched, as the answer had it
 */
struct learned_entry {
	struct inet_addr addr;
	uint32_t rule;
	uint64_t expires_ms;
	char name[LEARNED_NAME_LEN];
	/* private */
	uint32_t next;
};

struct learned;

/** learned_new() - an empty table; its memory is taken as it fills. NULL: out of memory */
struct learned *learned_new(void);
void learned_free(struct learned *l);

/**
 * learned_add() - @addr is @name's, under @rule, for @ttl_s seconds from @now_ms
 *
 * The TTL is held between LEARNED_TTL_FLOOR_S and LEARNED_TTL_CAP_S. The same address under
 * the same rule again: its end moves to the later of the two. Return: false when out of
 * memory (nothing learned).
 */
bool learned_add(struct learned *l, const struct inet_addr *addr, uint32_t rule,
		 const char *name, uint32_t ttl_s, uint64_t now_ms);

/**
 * learned_first() - the first entry of @addr (expired ones too: compare @expires_ms), or
 *                   NULL; learned_next() the one after @e of the same address
 */
const struct learned_entry *learned_first(const struct learned *l, const struct inet_addr *addr);
const struct learned_entry *learned_next(const struct learned *l, const struct learned_entry *e);

/**
 * learned_remap() - the rules were replaced: give each entry its rule's new index, or drop it
 * @map: the new index of old rule @rule, or -1 when it is gone
 */
void learned_remap(struct learned *l, long (*map)(void *ctx, uint32_t rule), void *ctx);

/**
 * learned_each() - call @fn for every entry still valid at @now_ms (expired ones are
 * dropped on the way), in no particular order
 */
void learned_each(struct learned *l, uint64_t now_ms,
		  void (*fn)(const struct learned_entry *e, void *ctx), void *ctx);

/** learned_count() - entries held, expired ones not yet dropped included */
size_t learned_count(const struct learned *l);

#endif
