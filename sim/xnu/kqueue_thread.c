// SPDX-License-Identifier: MIT
/* kqueue_thread.c — the simulated kqueue's thread: knotes activated when their source changes */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kq.h"

/*
 * Events taken per epoll_wait() of a harvest: a kqueue of the loop holds a handful of
 * sources, libslirp's set a few dozen; a harvest goes on until fewer come.
 */
#define KQ_HARVEST_EVENTS 64

void kq_harvest(struct kq *kq)
{
	struct epoll_event ev[KQ_HARVEST_EVENTS];
	int n;

	do {
		n = epoll_wait(kq->ep, ev, KQ_HARVEST_EVENTS, 0);
		for (int i = 0; i < n; i++)
			knote_post(kq, ev[i].data.ptr, ev[i].events);
	} while (n == KQ_HARVEST_EVENTS);
}

/*
 * XNU calls knote_post() in the context of the event (a socket's sowakeup(), a process's
 * exit), so a knote is activated when its source changes, whoever looks later. This
 * thread stands for those contexts: it wakes when the kqueue's epoll set has news and
 * posts them, under the lock.
 */
static void *thread_main(void *arg)
{
	struct kq *kq = arg;

	for (;;) {
		struct epoll_event ev;
		bool stop;

		if (epoll_wait(kq->tep, &ev, 1, -1) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&kq_lock);
		stop = kq->stopping;
		if (!stop)
			kq_harvest(kq);
		pthread_mutex_unlock(&kq_lock);
		if (stop)
			break; /* @ctl is written only to stop us: it is never drained */
	}
	return NULL;
}

int kq_thread_start(struct kq *kq)
{
	sigset_t all, old;
	int e;

	/* signals are for the thread that watches them (signalfd), never for this one */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&kq->thread, NULL, thread_main, kq);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

void kq_thread_stop(struct kq *kq)
{
	uint64_t one = 1;

	if (write(kq->ctl, &one, sizeof(one)) < 0) {
		/* a full counter wakes the thread as well */
	}
	pthread_join(kq->thread, NULL);
}
