// SPDX-License-Identifier: MIT
/* flows.c — the VM's connections a name rule let through: open until they end, their server name checked */
#include "guard/flows.h"

#include <stdlib.h>
#include <string.h>

/* Buckets of the flow hash: as many as flows. */
#define FLOW_BUCKETS FLOWS_MAX
#define NONE UINT32_MAX

_Static_assert((FLOW_BUCKETS & (FLOW_BUCKETS - 1)) == 0, "a power of two");

/**
 * struct flows - a chained hash of flows by their ends, in one pool
 * @buckets: the first flow of each chain (NONE: empty)
 * @pool: FLOWS_MAX flows; a free one is on the @free_head list
 * @used: pool entries ever handed out (beyond them the pool is untouched)
 * @count: flows in use
 * @release: what frees a flow's name check, with @release_ctx
 */
struct flows {
	uint32_t buckets[FLOW_BUCKETS];
	struct flow *pool;
	uint32_t free_head;
	uint32_t used;
	size_t count;
	void (*release)(void *ctx, struct flow *fl);
	void *release_ctx;
};

static uint32_t bucket_of(uint8_t proto, const struct inet_addr *dst, uint16_t sport,
			  uint16_t dport)
{
	uint64_t hi, lo, key;

	memcpy(&hi, dst->b, 8);
	memcpy(&lo, dst->b + 8, 8);
	key = (lo ^ hi * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)sport << 16 | dport) << 8 ^ proto;
	key *= 0x9e3779b97f4a7c15ull; /* Fibonacci hashing */
	return (uint32_t)(key >> 32) & (FLOW_BUCKETS - 1);
}

struct flows *flows_new(void (*release)(void *ctx, struct flow *fl), void *ctx)
{
	struct flows *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	f->pool = calloc(FLOWS_MAX, sizeof(*f->pool));
	if (!f->pool) {
		free(f);
		return NULL;
	}
	memset(f->buckets, 0xff, sizeof(f->buckets));
	f->free_head = NONE;
	f->used = 0;
	f->count = 0;
	f->release = release;
	f->release_ctx = ctx;
	return f;
}

/* A flow goes: what it holds of a name check goes with it, whichever way it goes. */
static void release_check(struct flows *f, struct flow *fl)
{
	if (fl->nc && f->release)
		f->release(f->release_ctx, fl);
	fl->nc = NULL;
}

void flows_free(struct flows *f)
{
	if (!f)
		return;
	for (uint32_t i = 0; i < f->used; i++)
		release_check(f, &f->pool[i]);
	free(f->pool);
	free(f);
}

bool flows_expired(const struct flow *fl, uint64_t now_ms)
{
	unsigned s = fl->proto != 6 ? FLOW_UDP_S
		     : (fl->tcp & FLOW_TCP_RST) ||
				     ((fl->tcp & FLOW_TCP_FIN_VM) && (fl->tcp & FLOW_TCP_FIN_HOST))
			     ? FLOW_TCP_CLOSED_S
		     : (fl->tcp & FLOW_TCP_ANSWERED) ? FLOW_TCP_ESTABLISHED_S
						    : FLOW_TCP_OPENING_S;

	return now_ms >= fl->last_ms + (uint64_t)s * 1000;
}

static void unlink_flow(struct flows *f, uint32_t i)
{
	struct flow *fl = &f->pool[i];
	uint32_t *link = &f->buckets[bucket_of(fl->proto, &fl->dst, fl->sport, fl->dport)];

	while (*link != i)
		link = &f->pool[*link].next;
	*link = fl->next;
	release_check(f, fl);
	fl->next = f->free_head;
	f->free_head = i;
	f->count--;
}

void flows_remove(struct flows *f, struct flow *fl)
{
	unlink_flow(f, (uint32_t)(fl - f->pool));
}

/* Flows in use: the ones on a chain (a freed one is on the free list only). */
static bool in_use(const struct flows *f, uint32_t i)
{
	const struct flow *fl = &f->pool[i];

	for (uint32_t k = f->buckets[bucket_of(fl->proto, &fl->dst, fl->sport, fl->dport)];
	     k != NONE; k = f->pool[k].next)
		if (k == i)
			return true;
	return false;
}

/* Room for one more: an unused flow, a freed one, the timed-out ones, else the oldest. */
static uint32_t take_flow(struct flows *f, uint64_t now_ms)
{
	uint32_t i, oldest = NONE;

	if (f->free_head == NONE && f->used < FLOWS_MAX)
		return f->used++;
	if (f->free_head == NONE) {
		for (i = 0; i < f->used; i++) {
			if (flows_expired(&f->pool[i], now_ms))
				unlink_flow(f, i);
			else if (oldest == NONE || f->pool[i].last_ms < f->pool[oldest].last_ms)
				oldest = i;
		}
		if (f->free_head == NONE)
			unlink_flow(f, oldest);
	}
	i = f->free_head;
	f->free_head = f->pool[i].next;
	return i;
}

struct flow *flows_find(struct flows *f, uint8_t proto, const struct inet_addr *dst,
			uint16_t sport, uint16_t dport, uint64_t now_ms)
{
	for (uint32_t i = f->buckets[bucket_of(proto, dst, sport, dport)]; i != NONE;
	     i = f->pool[i].next) {
		struct flow *fl = &f->pool[i];

		if (fl->sport != sport || fl->dport != dport || fl->proto != proto ||
		    !inet_equal(&fl->dst, dst))
			continue;
		if (flows_expired(fl, now_ms)) {
			unlink_flow(f, i);
			return NULL;
		}
		return fl;
	}
	return NULL;
}

struct flow *flows_add(struct flows *f, uint8_t proto, const struct inet_addr *dst,
		       uint16_t sport, uint16_t dport, uint32_t rule, uint64_t now_ms)
{
	uint32_t b = bucket_of(proto, dst, sport, dport), i = take_flow(f, now_ms);

	f->pool[i] = (struct flow){.dst = *dst, .sport = sport, .dport = dport, .proto = proto,
				   .rule = rule, .last_ms = now_ms, .next = f->buckets[b]};
	f->buckets[b] = i;
	f->count++;
	return &f->pool[i];
}

void flows_remap(struct flows *f, long (*map)(void *ctx, uint32_t rule), void *ctx)
{
	for (uint32_t i = 0; i < f->used; i++) {
		long to;

		if (!in_use(f, i))
			continue;
		to = map(ctx, f->pool[i].rule);
		if (to < 0)
			unlink_flow(f, i);
		else
			f->pool[i].rule = (uint32_t)to;
	}
}

void flows_remove_if(struct flows *f, bool (*gone)(void *ctx, const struct flow *fl), void *ctx)
{
	for (uint32_t i = 0; i < f->used; i++)
		if (in_use(f, i) && gone(ctx, &f->pool[i]))
			unlink_flow(f, i);
}

void flows_expire(struct flows *f, uint64_t now_ms)
{
	for (uint32_t i = 0; i < f->used; i++)
		if (in_use(f, i) && flows_expired(&f->pool[i], now_ms))
			unlink_flow(f, i);
}

size_t flows_count(const struct flows *f)
{
	return f->count;
}
