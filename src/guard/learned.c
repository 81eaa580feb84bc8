// SPDX-License-Identifier: MIT
/* learned.c — addresses the VM's DNS answers gave to names that rules name, each until its TTL ends */
#include "guard/learned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buckets of the address hash: as many as entries, so a chain is ~1 long when full. */
#define LEARNED_BUCKETS LEARNED_MAX
#define NONE UINT32_MAX

/**
 * struct learned - a chained hash of entries by address, in one pool
 * @buckets: the first entry of each chain (NONE: empty)
 * @pool: LEARNED_MAX entries; a free one is on the @free_head list (through @next)
 * @count: entries in use
 *
 * Both arrays are calloc()ed: pages never written stay out of memory.
 */
struct learned {
	uint32_t *buckets;
	struct learned_entry *pool;
	uint32_t free_head;
	uint32_t used; /* pool entries ever handed out; beyond them the pool is untouched */
	size_t count;
};

/*
 * Fibonacci hashing of the address's words: the addresses of one /24 (or one IPv6 /64)
 * spread over the table. An IPv4-mapped address costs one multiplication more than the
 * IPv4 address alone: the bench (guard_bench) measures it.
 */
static uint32_t bucket_of(const struct inet_addr *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (uint32_t)(((hi * 0x9e3779b97f4a7c15ull) ^ lo) * 0x9e3779b97f4a7c15ull >> 50) &
	       (LEARNED_BUCKETS - 1);
}

_Static_assert((LEARNED_BUCKETS & (LEARNED_BUCKETS - 1)) == 0 && LEARNED_BUCKETS == 1 << 14,
	       "bucket_of() takes 14 bits (>> 50)");

struct learned *learned_new(void)
{
	struct learned *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->buckets = malloc(LEARNED_BUCKETS * sizeof(*l->buckets));
	l->pool = calloc(LEARNED_MAX, sizeof(*l->pool));
	if (!l->buckets || !l->pool) {
		learned_free(l);
		return NULL;
	}
	memset(l->buckets, 0xff, LEARNED_BUCKETS * sizeof(*l->buckets));
	l->free_head = NONE;
	return l;
}

void learned_free(struct learned *l)
{
	if (!l)
		return;
	free(l->buckets);
	free(l->pool);
	free(l);
}

static void unlink_entry(struct learned *l, uint32_t i)
{
	uint32_t *link = &l->buckets[bucket_of(&l->pool[i].addr)];

	while (*link != i)
		link = &l->pool[*link].next;
	*link = l->pool[i].next;
	l->pool[i].next = l->free_head;
	l->free_head = i;
	l->count--;
}

/* Room for one more: an unused entry, else a freed one, else the expired ones, else the
 * entry closest to its end. */
static uint32_t take_entry(struct learned *l, uint64_t now_ms)
{
	uint32_t i, soonest = NONE;

	if (l->free_head == NONE && l->used < LEARNED_MAX)
		return l->used++;
	if (l->free_head == NONE) {
		for (i = 0; i < l->used; i++) {
			if (l->pool[i].expires_ms <= now_ms)
				unlink_entry(l, i);
			else if (soonest == NONE || l->pool[i].expires_ms < l->pool[soonest].expires_ms)
				soonest = i;
		}
		if (l->free_head == NONE)
			unlink_entry(l, soonest);
	}
	i = l->free_head;
	l->free_head = l->pool[i].next;
	return i;
}

bool learned_add(struct learned *l, const struct inet_addr *addr, uint32_t rule,
		 const char *name, uint32_t ttl_s, uint64_t now_ms)
{
	uint32_t ttl = ttl_s < LEARNED_TTL_FLOOR_S ? LEARNED_TTL_FLOOR_S
		       : ttl_s > LEARNED_TTL_CAP_S ? LEARNED_TTL_CAP_S
						    : ttl_s;
	uint64_t expires = now_ms + (uint64_t)ttl * 1000;
	uint32_t b = bucket_of(addr), i;

	for (i = l->buckets[b]; i != NONE; i = l->pool[i].next) {
		struct learned_entry *e = &l->pool[i];

		if (inet_equal(&e->addr, addr) && e->rule == rule) {
			if (expires > e->expires_ms)
				e->expires_ms = expires;
			snprintf(e->name, sizeof(e->name), "%s", name);
			return true;
		}
	}
	i = take_entry(l, now_ms);
	l->pool[i] = (struct learned_entry){.addr = *addr, .rule = rule, .expires_ms = expires,
					    .next = l->buckets[b]};
	snprintf(l->pool[i].name, sizeof(l->pool[i].name), "%s", name);
	l->buckets[b] = i;
	l->count++;
	return true;
}

const struct learned_entry *learned_first(const struct learned *l, const struct inet_addr *addr)
{
	for (uint32_t i = l->buckets[bucket_of(addr)]; i != NONE; i = l->pool[i].next)
		if (inet_equal(&l->pool[i].addr, addr))
			return &l->pool[i];
	return NULL;
}

const struct learned_entry *learned_next(const struct learned *l, const struct learned_entry *e)
{
	for (uint32_t i = e->next; i != NONE; i = l->pool[i].next)
		if (inet_equal(&l->pool[i].addr, &e->addr))
			return &l->pool[i];
	return NULL;
}

/*
 * Call @fn on every entry in use (freed ones are on no chain), by a walk of the buckets;
 * @fn may unlink the entry it is given.
 */
static void walk(struct learned *l, void (*fn)(struct learned *l, uint32_t i, void *ctx),
		 void *ctx)
{
	for (uint32_t b = 0; b < LEARNED_BUCKETS; b++) {
		uint32_t i = l->buckets[b];

		while (i != NONE) {
			uint32_t next = l->pool[i].next;

			fn(l, i, ctx);
			i = next;
		}
	}
}

struct remap_ctx {
	long (*map)(void *ctx, uint32_t rule);
	void *ctx;
};

static void remap_one(struct learned *l, uint32_t i, void *ctx)
{
	struct remap_ctx *rc = ctx;
	long to = rc->map(rc->ctx, l->pool[i].rule);

	if (to < 0)
		unlink_entry(l, i);
	else
		l->pool[i].rule = (uint32_t)to;
}

void learned_remap(struct learned *l, long (*map)(void *ctx, uint32_t rule), void *ctx)
{
	struct remap_ctx rc = {map, ctx};

	walk(l, remap_one, &rc);
}

struct each_ctx {
	uint64_t now_ms;
	void (*fn)(const struct learned_entry *e, void *ctx);
	void *ctx;
};

static void each_one(struct learned *l, uint32_t i, void *ctx)
{
	struct each_ctx *ec = ctx;

	if (l->pool[i].expires_ms <= ec->now_ms)
		unlink_entry(l, i);
	else
		ec->fn(&l->pool[i], ec->ctx);
}

void learned_each(struct learned *l, uint64_t now_ms,
		  void (*fn)(const struct learned_entry *e, void *ctx), void *ctx)
{
	struct each_ctx ec = {now_ms, fn, ctx};

	walk(l, each_one, &ec);
}

size_t learned_count(const struct learned *l)
{
	return l->count;
}

