// SPDX-License-Identifier: MIT
/* audit_flows.c — the flows the VM opened or tried, as the audit and `ctl flows` list them */
#include "app/audit_flows.h"

#include <stdlib.h>
#include <string.h>

#include "guard/flows.h"
#include "proto/wire.h"

#define NONE UINT32_MAX
#define BUCKETS AUDIT_FLOWS_MAX
#define FIRST_CAP 64

_Static_assert((BUCKETS & (BUCKETS - 1)) == 0, "a power of two");

/*
 * A refused flow, and a flow of neither TCP nor UDP (ICMP echo, other protocols), is
 * forgotten after 30 s without a packet: a retried refusal within that time is the same
 * attempt, not a new line in the audit.
 */
#define AUDIT_SHORT_S FLOW_TCP_CLOSED_S

/**
 * struct audit_flows - a chained hash with an LRU list through one growing array
 * @buckets: first entry of each chain
 * @pool: @cap entries, @used of them handed out; free ones on @free_head
 * @lru_head: the most recently seen; @lru_tail the least
 */
struct audit_flows {
	uint32_t buckets[BUCKETS];
	struct audit_flow *pool;
	uint32_t cap, used, free_head, count;
	uint32_t lru_head, lru_tail;
};

static uint32_t bucket_of(uint8_t proto, const struct inet_addr *dst, uint16_t sport,
			  uint16_t dport)
{
	uint64_t hi, lo, key;

	memcpy(&hi, dst->b, 8);
	memcpy(&lo, dst->b + 8, 8);
	key = (hi * 0x9e3779b97f4a7c15ull) ^ lo ^ ((uint64_t)sport << 16 | dport);

	key ^= (uint64_t)proto << 56;
	key *= 0x9e3779b97f4a7c15ull; /* Fibonacci hashing */
	return (uint32_t)(key >> 32) & (BUCKETS - 1);
}

struct audit_flows *audit_flows_new(void)
{
	struct audit_flows *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	memset(t->buckets, 0xff, sizeof(t->buckets));
	t->free_head = t->lru_head = t->lru_tail = NONE;
	return t;
}

void audit_flows_free(struct audit_flows *t)
{
	if (!t)
		return;
	free(t->pool);
	free(t);
}

bool audit_flows_expired(const struct audit_flow *fl, uint64_t now_ms)
{
	unsigned s;

	if (fl->refused || (fl->proto != IPPROTO_TCP_ && fl->proto != IPPROTO_UDP_))
		s = AUDIT_SHORT_S;
	else if (fl->proto == IPPROTO_UDP_)
		s = FLOW_UDP_S;
	else if ((fl->tcp & AUDIT_TCP_RST) ||
		 ((fl->tcp & AUDIT_TCP_FIN_VM) && (fl->tcp & AUDIT_TCP_FIN_HOST)))
		s = FLOW_TCP_CLOSED_S;
	else
		s = fl->tcp & AUDIT_TCP_ANSWERED ? FLOW_TCP_ESTABLISHED_S : FLOW_TCP_OPENING_S;
	return now_ms >= fl->last_ms + (uint64_t)s * 1000;
}

static void lru_unlink(struct audit_flows *t, uint32_t i)
{
	struct audit_flow *fl = &t->pool[i];

	if (fl->prev != NONE)
		t->pool[fl->prev].next = fl->next;
	else
		t->lru_head = fl->next;
	if (fl->next != NONE)
		t->pool[fl->next].prev = fl->prev;
	else
		t->lru_tail = fl->prev;
}

static void lru_push_front(struct audit_flows *t, uint32_t i)
{
	struct audit_flow *fl = &t->pool[i];

	fl->prev = NONE;
	fl->next = t->lru_head;
	if (t->lru_head != NONE)
		t->pool[t->lru_head].prev = i;
	t->lru_head = i;
	if (t->lru_tail == NONE)
		t->lru_tail = i;
}

static void forget(struct audit_flows *t, uint32_t i)
{
	struct audit_flow *fl = &t->pool[i];
	uint32_t *link = &t->buckets[bucket_of(fl->proto, &fl->dst, fl->sport, fl->dport)];

	while (*link != i)
		link = &t->pool[*link].hnext;
	*link = fl->hnext;
	lru_unlink(t, i);
	fl->hnext = t->free_head;
	t->free_head = i;
	t->count--;
}

struct audit_flow *audit_flows_find(struct audit_flows *t, uint8_t proto,
				    const struct inet_addr *dst,
				    uint16_t sport, uint16_t dport, uint64_t now_ms)
{
	for (uint32_t i = t->buckets[bucket_of(proto, dst, sport, dport)]; i != NONE;
	     i = t->pool[i].hnext) {
		struct audit_flow *fl = &t->pool[i];

		if (!inet_equal(&fl->dst, dst) || fl->sport != sport || fl->dport != dport ||
		    fl->proto != proto)
			continue;
		if (audit_flows_expired(fl, now_ms)) {
			forget(t, i);
			return NULL;
		}
		return fl;
	}
	return NULL;
}

/* An entry to use: a free one, a new one, or the one idle longest. NONE: out of memory. */
static uint32_t take_entry(struct audit_flows *t)
{
	uint32_t i = t->free_head;

	if (i != NONE) {
		t->free_head = t->pool[i].hnext;
		return i;
	}
	if (t->used == t->cap && t->cap < AUDIT_FLOWS_MAX) {
		uint32_t cap = t->cap ? t->cap * 2 : FIRST_CAP;
		struct audit_flow *more = realloc(t->pool, cap * sizeof(*more));

		if (more) {
			t->pool = more;
			t->cap = cap;
		}
	}
	if (t->used < t->cap)
		return t->used++;
	if (t->lru_tail == NONE)
		return NONE;
	i = t->lru_tail;
	forget(t, i);
	t->free_head = t->pool[i].hnext;
	return i;
}

struct audit_flow *audit_flows_add(struct audit_flows *t, uint8_t proto,
				   const struct inet_addr *dst,
				   uint16_t sport, uint16_t dport, uint64_t now_ms)
{
	uint32_t i = take_entry(t), b;
	struct audit_flow *fl;

	if (i == NONE)
		return NULL;
	fl = &t->pool[i];
	*fl = (struct audit_flow){.dst = *dst, .sport = sport, .dport = dport, .proto = proto,
				  .first_ms = now_ms, .last_ms = now_ms};
	b = bucket_of(proto, dst, sport, dport);
	fl->hnext = t->buckets[b];
	t->buckets[b] = i;
	lru_push_front(t, i);
	t->count++;
	return fl;
}

void audit_flows_touch(struct audit_flows *t, struct audit_flow *fl, uint64_t now_ms)
{
	uint32_t i = (uint32_t)(fl - t->pool);

	fl->last_ms = now_ms;
	if (t->lru_head != i) {
		lru_unlink(t, i);
		lru_push_front(t, i);
	}
}

void audit_flows_each(const struct audit_flows *t, uint64_t now_ms,
		      void (*fn)(const struct audit_flow *fl, void *ctx), void *ctx)
{
	for (uint32_t i = t->lru_head; i != NONE; i = t->pool[i].next)
		if (!audit_flows_expired(&t->pool[i], now_ms))
			fn(&t->pool[i], ctx);
}

size_t audit_flows_count(const struct audit_flows *t)
{
	return t->count;
}
