// SPDX-License-Identifier: MIT
/* loop_kqueue.c — the event loop on macOS: kqueue, with EVFILT_SIGNAL and EVFILT_PROC sources */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "core/loop_timers.h"

/* Events handled per kevent(); the loop has at most a handful of sources. */
#define LOOP_MAX_EVENTS 16
/*
 * Processes that had exited before they could be watched, held for the next turn: a loop
 * watches two at most (run's hypervisor, the socketpair's creator); 4 leaves room.
 */
#define LOOP_GONE_MAX 4
/*
 * loop_settle(): events per scan, and scans at most. A scan takes LOOP_SETTLE_EVENTS
 * knotes and queues the ready ones again behind the rest (kqfile_end_processing()), so
 * each full scan is followed by another; 16 rounds reach 1024 knotes, more than a set
 * holds (libslirp's sockets, --listen's two, the vmnet port's two).
 */
#define LOOP_SETTLE_EVENTS 64
#define LOOP_SETTLE_ROUNDS 16

/**
 * struct loop - a kqueue and the timers
 * @batch: while events are dispatched, the batch kevent() returned...
 * @batch_left: ...and the index of the first one not dispatched yet: removing a source
 *              clears it from what is left (as the epoll loop does)
 * @watched: the signals loop_watch_signals() took, and @saved their former actions
 * @gone: watched processes that no longer existed when asked: their exit is reported on
 *        the next turn (Linux's pidfd reports a zombie; EVFILT_PROC refuses it, ESRCH)
 */
struct loop {
	int kq;
	struct loop_timers timers;
	struct kevent *batch;
	int batch_left, batch_count;
	sigset_t watched;
	struct sigaction saved[NSIG];
	struct loop_process *gone[LOOP_GONE_MAX];
	unsigned gone_count;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->kq = kqueue();
	if (l->kq < 0) {
		free(l);
		return NULL;
	}
	/* kqueue descriptors are not inherited across fork, but they survive exec: close it */
	fcntl(l->kq, F_SETFD, FD_CLOEXEC);
	sigemptyset(&l->watched);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->kq);
	free(l);
}

struct loop_timers *loop_timers_of(struct loop *l)
{
	return &l->timers;
}

int loop_fd(const struct loop *l)
{
	return l->kq;
}

/*
 * A kqueue's knote stays queued, and counted, until a kevent() that asks for events scans
 * it (knote_suppress() in knote_process(); a call with no room for events scans nothing,
 * kevent_internal()); a kqueue inside a kqueue is readable while it counts any
 * (filt_kqueue(), filt_kqprocess()). So a set is scanned without waiting: knotes whose
 * source was consumed are dropped, the ready ones queued again. The events themselves are
 * not for anyone: the owner reads its sources itself.
 */
void loop_settle(struct loop *set)
{
	static const struct timespec no_wait = {0, 0};
	struct kevent ev[LOOP_SETTLE_EVENTS];

	for (int round = 0; round < LOOP_SETTLE_ROUNDS; round++)
		if (kevent(set->kq, NULL, 0, ev, LOOP_SETTLE_EVENTS, &no_wait) < LOOP_SETTLE_EVENTS)
			break;
}

/* Clear @src from the rest of the batch being dispatched. */
static void scrub_batch(struct loop *l, const void *src)
{
	for (int i = l->batch_left; l->batch && i < l->batch_count; i++)
		if (l->batch[i].udata == src)
			l->batch[i].udata = NULL;
}

/*
 * apply() - register @src for exactly @events: EVFILT_READ and EVFILT_WRITE added or
 * deleted, each change answered on its own (EV_RECEIPT); deleting one that is not there
 * is not an error. Without either filter kqueue reports nothing, not even an end of file
 * (epoll reports ERR and HUP unasked): a source the relay stops reading is quiet.
 */
static int apply(struct loop *l, struct loop_source *src, uint32_t events)
{
	struct kevent ch[2], res[2];
	int n;

	EV_SET(&ch[0], src->fd, EVFILT_READ, (events & LOOP_IN ? EV_ADD | EV_ENABLE : EV_DELETE) |
	       EV_RECEIPT, 0, 0, src);
	EV_SET(&ch[1], src->fd, EVFILT_WRITE, (events & LOOP_OUT ? EV_ADD | EV_ENABLE : EV_DELETE) |
	       EV_RECEIPT, 0, 0, src);
	n = kevent(l->kq, ch, 2, res, 2, NULL);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if ((res[i].flags & EV_ERROR) && res[i].data != 0 && res[i].data != ENOENT)
			return -(int)res[i].data;
	return 0;
}

int loop_add(struct loop *l, struct loop_source *src, uint32_t events)
{
	return apply(l, src, events);
}

int loop_modify(struct loop *l, struct loop_source *src, uint32_t events)
{
	return apply(l, src, events);
}

void loop_remove(struct loop *l, struct loop_source *src)
{
	apply(l, src, 0);
	scrub_batch(l, src);
}

/* ---- signals: EVFILT_SIGNAL records a signal even while its action is SIG_IGN ------------ */

/* The source's marker: signals and processes are dispatched by filter, not through it. */
static void kernel_source(struct loop_source *src, uint32_t events)
{
	(void)src;
	(void)events;
}

int loop_watch_signals(struct loop *l, struct loop_signals *s, const int *signals,
		       unsigned count)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN};

	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 0; i < count; i++) {
		struct kevent ch;

		EV_SET(&ch, signals[i], EVFILT_SIGNAL, EV_ADD, 0, 0, &s->impl);
		if (kevent(l->kq, &ch, 1, NULL, 0, NULL) < 0)
			return -errno;
		/* ignored, not blocked: kqueue(2) records ignored signals (but SIGCHLD) */
		sigaction(signals[i], &ignore, &l->saved[signals[i]]);
		sigaddset(&l->watched, signals[i]);
	}
	s->impl = (struct loop_source){.fd = l->kq, .on_event = kernel_source};
	return 0;
}

void loop_unwatch_signals(struct loop *l, struct loop_signals *s)
{
	if (s->impl.fd < 0 || !s->impl.on_event)
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		struct kevent ch;

		if (!sigismember(&l->watched, sig))
			continue;
		EV_SET(&ch, sig, EVFILT_SIGNAL, EV_DELETE, 0, 0, NULL);
		kevent(l->kq, &ch, 1, NULL, 0, NULL);
		sigaction(sig, &l->saved[sig], NULL);
		sigdelset(&l->watched, sig);
	}
	scrub_batch(l, &s->impl);
	s->impl.fd = -1;
}

/* ---- processes: EVFILT_PROC NOTE_EXIT, on any process we may signal -------------------- */

int loop_watch_process(struct loop *l, struct loop_process *p, pid_t pid)
{
	struct kevent ch;

	p->pid = pid;
	p->impl = (struct loop_source){.fd = (int)pid, .on_event = kernel_source};
	EV_SET(&ch, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, &p->impl);
	if (kevent(l->kq, &ch, 1, NULL, 0, NULL) == 0)
		return 0;
	if (errno != ESRCH || l->gone_count == LOOP_GONE_MAX) {
		int e = errno;

		p->impl.fd = -1;
		return -e;
	}
	l->gone[l->gone_count++] = p; /* it has exited already: say so on the next turn */
	return 0;
}

void loop_unwatch_process(struct loop *l, struct loop_process *p)
{
	struct kevent ch;

	if (p->impl.fd < 0 || !p->impl.on_event)
		return;
	EV_SET(&ch, p->pid, EVFILT_PROC, EV_DELETE, 0, 0, NULL);
	kevent(l->kq, &ch, 1, NULL, 0, NULL); /* ENOENT once it has exited: the knote went */
	for (unsigned i = 0; i < l->gone_count; i++) {
		if (l->gone[i] == p) {
			l->gone[i] = l->gone[--l->gone_count];
			break;
		}
	}
	scrub_batch(l, &p->impl);
	p->impl.fd = -1;
}

/* ---- running ----------------------------------------------------------------------------- */

static uint32_t loop_events_of(const struct kevent *ev)
{
	uint32_t e = ev->filter == EVFILT_READ ? LOOP_IN : LOOP_OUT;

	if (ev->flags & EV_EOF)
		e |= LOOP_HUP | (ev->fflags ? LOOP_ERR : 0); /* fflags: the socket's error */
	return e;
}

/* One kernel event: a descriptor's (read and write merged by the caller), a signal, an exit. */
static void dispatch_one(struct kevent *ev, uint32_t merged)
{
	struct loop_source *src = ev->udata;

	if (ev->filter == EVFILT_SIGNAL) {
		struct loop_signals *s = container_of(src, struct loop_signals, impl);

		for (intptr_t i = 0; i < (ev->data > 0 ? ev->data : 1); i++)
			s->on_signal(s, (int)ev->ident);
	} else if (ev->filter == EVFILT_PROC) {
		struct loop_process *p = container_of(src, struct loop_process, impl);

		if (ev->fflags & NOTE_EXIT)
			p->on_exit(p);
	} else {
		src->on_event(src, merged);
	}
}

/* Report the processes that were gone when they were to be watched. */
static void report_gone(struct loop *l)
{
	while (l->gone_count) {
		struct loop_process *p = l->gone[--l->gone_count];

		p->on_exit(p);
	}
}

static struct timespec *wait_time(struct loop *l, int timeout_ms, struct timespec *ts)
{
	int ms = l->gone_count ? 0 : loop_timers_wait_ms(&l->timers, timeout_ms, clock_mono_ms());

	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000;
	return ts;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct kevent events[LOOP_MAX_EVENTS];
	uint32_t merged[LOOP_MAX_EVENTS];
	struct timespec ts;
	int n = kevent(l->kq, NULL, 0, events, LOOP_MAX_EVENTS, wait_time(l, timeout_ms, &ts));

	if (n < 0)
		return -errno;
	/* kqueue reports reading and writing apart: one call per source, as epoll makes it */
	for (int i = 0; i < n; i++) {
		bool fd_event = events[i].filter == EVFILT_READ || events[i].filter == EVFILT_WRITE;

		merged[i] = fd_event ? loop_events_of(&events[i]) : 0;
		for (int j = 0; fd_event && j < i; j++) {
			if (events[j].udata == events[i].udata && merged[j]) {
				merged[j] |= merged[i];
				events[i].udata = NULL;
				break;
			}
		}
	}
	l->batch = events;
	l->batch_count = n;
	for (int i = 0; i < n; i++) {
		l->batch_left = i + 1;
		if (events[i].udata)
			dispatch_one(&events[i], merged[i]);
	}
	l->batch = NULL;
	report_gone(l);
	if (l->timers.head)
		loop_timers_expire(&l->timers, clock_mono_ms());
	return n;
}
