// SPDX-License-Identifier: MIT
/* claims.c — the IPv6 addresses the VM holds: claimed by duplicate address detection, the least used given up */
#include "guard/claims.h"

static int find(const struct claims *c, const struct inet_addr *a)
{
	if (c->last < c->count && inet_equal(&c->addr[c->last], a))
		return (int)c->last;
	for (unsigned i = 0; i < c->count; i++)
		if (inet_equal(&c->addr[i], a))
			return (int)i;
	return -1;
}

bool claims_use(struct claims *c, const struct inet_addr *a, uint64_t now_ms)
{
	int i = find(c, a);

	if (i < 0)
		return false;
	c->used_ms[i] = now_ms;
	c->last = (unsigned)i;
	return true;
}

bool claims_has(const struct claims *c, const struct inet_addr *a)
{
	return find(c, a) >= 0;
}

bool claims_add(struct claims *c, const struct inet_addr *a, uint64_t now_ms,
		struct inet_addr *evicted)
{
	unsigned slot = c->count, oldest = 0;
	bool full = c->count == CLAIMS_MAX;

	if (claims_use(c, a, now_ms))
		return false;
	if (full) {
		for (unsigned i = 1; i < c->count; i++)
			if (c->used_ms[i] < c->used_ms[oldest])
				oldest = i;
		*evicted = c->addr[oldest];
		slot = oldest;
	} else {
		c->count++;
	}
	c->addr[slot] = *a;
	c->used_ms[slot] = now_ms;
	return full;
}

bool claims_remove(struct claims *c, const struct inet_addr *a)
{
	int i = find(c, a);

	if (i < 0)
		return false;
	c->count--;
	c->addr[i] = c->addr[c->count];
	c->used_ms[i] = c->used_ms[c->count];
	c->last = 0;
	return true;
}
