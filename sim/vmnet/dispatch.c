// SPDX-License-Identifier: MIT
/* dispatch.c — the simulation's libdispatch: a serial queue is a thread and a FIFO of blocks */
#include <dispatch/dispatch.h>

#include <Block.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

enum object_kind { OBJ_QUEUE = 0x51554555, OBJ_SEMAPHORE = 0x53454d41 };

struct queued_block {
	dispatch_block_t block;
	struct queued_block *next;
};

/**
 * struct dispatch_queue_s - a serial queue
 * @refs: references: the creator's, and one per queued block (libdispatch keeps a queue
 *        alive while it has work, so a released queue still runs what was queued)
 * @head: the blocks in order; @tail the last
 */
struct dispatch_queue_s {
	enum object_kind kind;
	atomic_int refs;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct queued_block *head, *tail;
	pthread_t thread;
	char label[48];
};

struct dispatch_semaphore_s {
	enum object_kind kind;
	atomic_int refs;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	long value;
};

static void queue_free(struct dispatch_queue_s *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->work);
	free(q);
}

/* The queue's thread: run blocks in order; end once nobody holds the queue any more. */
static void *queue_main(void *arg)
{
	struct dispatch_queue_s *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct queued_block *item;

		while (!q->head && atomic_load(&q->refs) > 0)
			pthread_cond_wait(&q->work, &q->lock);
		item = q->head;
		if (!item)
			break; /* released and drained */
		q->head = item->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->lock);
		item->block();
		Block_release(item->block);
		free(item);
		pthread_mutex_lock(&q->lock);
		atomic_fetch_sub(&q->refs, 1);
	}
	pthread_mutex_unlock(&q->lock);
	queue_free(q);
	return NULL;
}

dispatch_queue_t dispatch_queue_create(const char *label, dispatch_queue_attr_t attr)
{
	struct dispatch_queue_s *q = calloc(1, sizeof(*q));
	pthread_attr_t ta;

	(void)attr; /* every queue here is serial */
	if (!q)
		return NULL;
	q->kind = OBJ_QUEUE;
	atomic_init(&q->refs, 1);
	snprintf(q->label, sizeof(q->label), "%s", label ? label : "");
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&q->thread, &ta, queue_main, q) != 0) {
		pthread_attr_destroy(&ta);
		queue_free(q);
		return NULL;
	}
	pthread_attr_destroy(&ta);
	return q;
}

void dispatch_async(dispatch_queue_t q, dispatch_block_t block)
{
	struct queued_block *item = malloc(sizeof(*item));

	if (!item)
		sim_fatal("dispatch_async: out of memory");
	*item = (struct queued_block){.block = Block_copy(block)};
	pthread_mutex_lock(&q->lock);
	atomic_fetch_add(&q->refs, 1);
	if (q->tail)
		q->tail->next = item;
	else
		q->head = item;
	q->tail = item;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->lock);
}

dispatch_semaphore_t dispatch_semaphore_create(long value)
{
	struct dispatch_semaphore_s *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (!s || value < 0) {
		free(s);
		return NULL;
	}
	s->kind = OBJ_SEMAPHORE;
	atomic_init(&s->refs, 1);
	s->value = value;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* dispatch_time() counts on it */
	pthread_cond_init(&s->changed, &ca);
	pthread_condattr_destroy(&ca);
	return s;
}

long dispatch_semaphore_signal(dispatch_semaphore_t s)
{
	pthread_mutex_lock(&s->lock);
	s->value++;
	pthread_cond_signal(&s->changed);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

long dispatch_semaphore_wait(dispatch_semaphore_t s, dispatch_time_t timeout)
{
	struct timespec until = {.tv_sec = (time_t)(timeout / NSEC_PER_SEC),
				 .tv_nsec = (long)(timeout % NSEC_PER_SEC)};
	int r = 0;

	pthread_mutex_lock(&s->lock);
	while (s->value == 0 && r != ETIMEDOUT)
		r = timeout == DISPATCH_TIME_FOREVER
			    ? pthread_cond_wait(&s->changed, &s->lock)
			    : pthread_cond_timedwait(&s->changed, &s->lock, &until);
	if (s->value > 0)
		s->value--, r = 0;
	pthread_mutex_unlock(&s->lock);
	return r == ETIMEDOUT ? 1 : 0;
}

dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta)
{
	struct timespec now;

	if (when == DISPATCH_TIME_FOREVER)
		return when;
	if (when == DISPATCH_TIME_NOW) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		when = (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
	}
	return when + (uint64_t)delta;
}

void dispatch_retain(void *object)
{
	if (*(enum object_kind *)object == OBJ_QUEUE)
		atomic_fetch_add(&((struct dispatch_queue_s *)object)->refs, 1);
	else
		atomic_fetch_add(&((struct dispatch_semaphore_s *)object)->refs, 1);
}

void dispatch_release(void *object)
{
	if (*(enum object_kind *)object == OBJ_QUEUE) {
		struct dispatch_queue_s *q = object;

		/* the thread sees the last reference go and ends (and frees) by itself */
		pthread_mutex_lock(&q->lock);
		atomic_fetch_sub(&q->refs, 1);
		pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->lock);
		return;
	}
	if (atomic_fetch_sub(&((struct dispatch_semaphore_s *)object)->refs, 1) == 1) {
		struct dispatch_semaphore_s *s = object;

		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->changed);
		free(s);
	}
}
