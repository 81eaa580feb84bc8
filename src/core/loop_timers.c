// SPDX-License-Identifier: MIT
/* loop_timers.c — the armed timers of a loop: arming, the next deadline, expiry */
#include "core/loop_timers.h"

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_ms)
{
	struct loop_timers *list = loop_timers_of(l);

	loop_timer_disarm(l, t);
	t->deadline_ms = deadline_ms ? deadline_ms : 1;
	t->armed_seq = ++list->seq;
	t->next = list->head;
	list->head = t;
}

void loop_timer_disarm(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **p = &loop_timers_of(l)->head;

	if (!t->deadline_ms)
		return;
	while (*p && *p != t)
		p = &(*p)->next;
	if (*p)
		*p = t->next;
	t->deadline_ms = 0;
	t->next = NULL;
}

int loop_timers_wait_ms(const struct loop_timers *t, int timeout_ms, uint64_t now_ms)
{
	uint64_t first = 0;

	for (const struct loop_timer *i = t->head; i; i = i->next)
		if (!first || i->deadline_ms < first)
			first = i->deadline_ms;
	if (!first)
		return timeout_ms;
	if (first <= now_ms)
		return 0;
	if (first - now_ms > INT32_MAX)
		return timeout_ms;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms < first - now_ms)
		return timeout_ms;
	return (int)(first - now_ms);
}

void loop_timers_expire(struct loop_timers *t, uint64_t now_ms)
{
	uint64_t before = t->seq;

	/*
	 * A callback may arm or disarm any timer, this one included: take one expired timer
	 * off the list at a time and start over, so no stale pointer is ever followed. Timers
	 * armed during this pass wait for the next one, so a callback cannot spin the loop.
	 */
	for (;;) {
		struct loop_timer **p = &t->head, *due;

		while (*p && ((*p)->deadline_ms > now_ms || (*p)->armed_seq > before))
			p = &(*p)->next;
		if (!*p)
			return;
		due = *p;
		*p = due->next;
		due->deadline_ms = 0;
		due->next = NULL;
		due->on_expire(due);
	}
}
