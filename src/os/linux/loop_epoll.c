// SPDX-License-Identifier: MIT
/* loop_epoll.c — the event loop on Linux: epoll, with signalfd for signals and pidfd for exits */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "core/loop_timers.h"

/* Events handled per epoll_wait(); the loop has at most a handful of sources. */
#define LOOP_MAX_EVENTS 16

/**
 * struct loop - an epoll set and the timers
 * @batch: while events are dispatched, the batch epoll_wait() returned...
 * @batch_left: ...and the index of the first one not dispatched yet: loop_remove() clears
 *              the source from what is left, so an event never reaches a source removed
 *              earlier in the same batch (nor a new one that took its place)
 */
struct loop {
	int epfd;
	struct loop_timers timers;
	struct epoll_event *batch;
	int batch_left, batch_count;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l);
}

struct loop_timers *loop_timers_of(struct loop *l)
{
	return &l->timers;
}

int loop_fd(const struct loop *l)
{
	return l->epfd;
}

void loop_settle(struct loop *set)
{
	/* a nested epoll drops what is no longer ready whenever it is polled (ep_eventpoll_poll) */
	(void)set;
}

static uint32_t to_epoll(uint32_t events)
{
	return (events & LOOP_IN ? EPOLLIN : 0) | (events & LOOP_OUT ? EPOLLOUT : 0);
}

static uint32_t from_epoll(uint32_t events)
{
	return (events & EPOLLIN ? LOOP_IN : 0) | (events & EPOLLOUT ? LOOP_OUT : 0) |
	       (events & EPOLLERR ? LOOP_ERR : 0) | (events & (EPOLLHUP | EPOLLRDHUP) ? LOOP_HUP : 0);
}

static int loop_ctl(struct loop *l, int op, struct loop_source *src, uint32_t events)
{
	struct epoll_event ev = {.events = to_epoll(events), .data.ptr = src};

	return epoll_ctl(l->epfd, op, src->fd, &ev) < 0 ? -errno : 0;
}

int loop_add(struct loop *l, struct loop_source *src, uint32_t events)
{
	return loop_ctl(l, EPOLL_CTL_ADD, src, events);
}

int loop_modify(struct loop *l, struct loop_source *src, uint32_t events)
{
	return loop_ctl(l, EPOLL_CTL_MOD, src, events);
}

void loop_remove(struct loop *l, struct loop_source *src)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	for (int i = l->batch_left; l->batch && i < l->batch_count; i++)
		if (l->batch[i].data.ptr == src)
			l->batch[i].data.ptr = NULL;
}

/* ---- signals: a signalfd over the blocked signals ------------------------------------ */

static void on_signalfd(struct loop_source *src, uint32_t events)
{
	struct loop_signals *s = container_of(src, struct loop_signals, impl);
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si))
		s->on_signal(s, (int)si.ssi_signo);
}

int loop_watch_signals(struct loop *l, struct loop_signals *s, const int *signals,
		       unsigned count)
{
	sigset_t set;
	int fd, r;

	sigemptyset(&set);
	for (unsigned i = 0; i < count; i++)
		sigaddset(&set, signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	s->impl = (struct loop_source){.fd = fd, .on_event = on_signalfd};
	r = loop_add(l, &s->impl, LOOP_IN);
	if (r < 0) {
		close(fd);
		s->impl.fd = -1;
	}
	return r;
}

void loop_unwatch_signals(struct loop *l, struct loop_signals *s)
{
	if (s->impl.fd < 0 || !s->impl.on_event)
		return;
	loop_remove(l, &s->impl);
	close(s->impl.fd);
	s->impl.fd = -1;
}

/* ---- processes: a pidfd is readable once its process has exited ---------------------- */

static void on_pidfd(struct loop_source *src, uint32_t events)
{
	struct loop_process *p = container_of(src, struct loop_process, impl);

	(void)events;
	p->on_exit(p);
}

int loop_watch_process(struct loop *l, struct loop_process *p, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), r;

	if (fd < 0)
		return -errno;
	p->pid = pid;
	p->impl = (struct loop_source){.fd = fd, .on_event = on_pidfd};
	r = loop_add(l, &p->impl, LOOP_IN);
	if (r < 0) {
		close(fd);
		p->impl.fd = -1;
	}
	return r;
}

void loop_unwatch_process(struct loop *l, struct loop_process *p)
{
	if (p->impl.fd < 0 || !p->impl.on_event)
		return;
	loop_remove(l, &p->impl);
	close(p->impl.fd);
	p->impl.fd = -1;
}

/* ---- running ----------------------------------------------------------------------------- */

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int n = epoll_wait(l->epfd, events, LOOP_MAX_EVENTS,
			   loop_timers_wait_ms(&l->timers, timeout_ms, clock_mono_ms()));

	if (n < 0)
		return -errno;
	l->batch = events;
	l->batch_count = n;
	for (int i = 0; i < n; i++) {
		struct loop_source *src = events[i].data.ptr;

		l->batch_left = i + 1;
		if (src)
			src->on_event(src, from_epoll(events[i].events));
	}
	l->batch = NULL;
	if (l->timers.head)
		loop_timers_expire(&l->timers, clock_mono_ms());
	return n;
}
