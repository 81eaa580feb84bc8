/* SPDX-License-Identifier: MIT */
/* clock.h — the monotonic clock in milliseconds, the one every timeout is measured on */
#ifndef SVM_CORE_CLOCK_H
#define SVM_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/** clock_mono_ms() - CLOCK_MONOTONIC in milliseconds (never 0 on a running system) */
static inline uint64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
