/* SPDX-License-Identifier: MIT */
/* loop_timers.h — the armed timers of a loop: for the OS implementations of loop.h only */
#ifndef SVM_CORE_LOOP_TIMERS_H
#define SVM_CORE_LOOP_TIMERS_H

#include "core/loop.h"

/** struct loop_timers - the armed timers, a short unsorted list (a handful per instance) */
struct loop_timers {
	struct loop_timer *head;
	uint64_t seq; /* counts arms */
};

/** loop_timers_of() - the timer list of @l (each OS's loop provides it) */
struct loop_timers *loop_timers_of(struct loop *l);

/**
 * loop_timers_wait_ms() - how long the loop may wait: the earlier of @timeout_ms and the
 * first deadline
 * Return: milliseconds, or -1 for no limit at all.
 */
int loop_timers_wait_ms(const struct loop_timers *t, int timeout_ms, uint64_t now_ms);

/** loop_timers_expire() - call every timer whose deadline is at or before @now_ms */
void loop_timers_expire(struct loop_timers *t, uint64_t now_ms);

#endif
