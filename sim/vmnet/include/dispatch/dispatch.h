/* SPDX-License-Identifier: MIT */
/* dispatch.h — the simulation's stand-in for libdispatch: serial queues and semaphores on pthreads */
#ifndef SVM_SIM_DISPATCH_H
#define SVM_SIM_DISPATCH_H

/*
 * Only what sock-vmnet's vmnet back-end and the simulated vmnet use, with libdispatch's
 * names and meanings (serial queues run one block at a time, in order, on a thread of
 * their own; a semaphore wait returns non-zero on timeout). Debian 12 has no libdispatch.
 */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_queue_attr_s *dispatch_queue_attr_t;
typedef struct dispatch_semaphore_s *dispatch_semaphore_t;
typedef uint64_t dispatch_time_t;
typedef void (^dispatch_block_t)(void);

#define DISPATCH_QUEUE_SERIAL ((dispatch_queue_attr_t)0)
#define DISPATCH_TIME_NOW ((dispatch_time_t)0)
#define DISPATCH_TIME_FOREVER (~(dispatch_time_t)0)
#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC 1000000000ull
#endif
#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC 1000000ull
#endif

dispatch_queue_t dispatch_queue_create(const char *label, dispatch_queue_attr_t attr);
/** dispatch_async() - run a copy of @block on @queue's thread, after what is queued there */
void dispatch_async(dispatch_queue_t queue, dispatch_block_t block);

dispatch_semaphore_t dispatch_semaphore_create(long value);
long dispatch_semaphore_signal(dispatch_semaphore_t sema);
/** dispatch_semaphore_wait() - 0 once signalled, non-zero when @timeout passed first */
long dispatch_semaphore_wait(dispatch_semaphore_t sema, dispatch_time_t timeout);
/** dispatch_time() - @delta nanoseconds after @when (DISPATCH_TIME_NOW: now) */
dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta);

/**
 * dispatch_release() - drop a reference to a queue or semaphore; a queue still runs
 * what was queued before it goes away, as libdispatch's does
 */
void dispatch_release(void *object);
void dispatch_retain(void *object);

#ifdef __cplusplus
}
#endif

#endif
