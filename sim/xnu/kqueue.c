// SPDX-License-Identifier: MIT
/* kqueue.c — the simulated kqueue(2) and kevent(2): the queue, its scan, and registration */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kq.h"

int __wrap_close(int fd);

pthread_mutex_t kq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kq *registry; /* every simulated kqueue, under kq_lock */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

struct kq *kq_find(int fd)
{
	struct kq *kq;

	for (kq = registry; kq && kq->fd != fd; kq = kq->next)
		;
	return kq;
}

/* ---- the queue: knote_enqueue(), knote_activate() ---------------------------------------- */

void kq_enqueue(struct knote *kn)
{
	struct kq *kq = kn->kq;
	uint64_t one = 1;

	if (!kn->active || kn->disabled || kn->suppressed || kn->queued)
		return;
	kn->queued = true;
	kn->qnext = NULL;
	if (kq->qtail)
		kq->qtail->qnext = kn;
	else
		kq->qhead = kn;
	kq->qtail = kn;
	/* knote_enqueue(): only the empty-to-non-empty transition wakes (kqfile_wakeup()) */
	if (kq->count++ == 0 && write(kq->fd, &one, sizeof(one)) < 0) {
		/* a full counter is readable already */
	}
}

void kq_activate(struct knote *kn)
{
	kn->active = true;
	kq_enqueue(kn);
}

static void dequeue(struct knote *kn)
{
	struct kq *kq = kn->kq;
	struct knote **p = &kq->qhead, *prev = NULL;

	if (!kn->queued)
		return;
	while (*p != kn) {
		prev = *p;
		p = &(*p)->qnext;
	}
	*p = kn->qnext;
	if (kq->qtail == kn)
		kq->qtail = prev;
	kn->queued = false;
	kq->count--;
}

/* ---- watches: the thread's epoll set -------------------------------------------------------- */

struct watch *kq_watch_add(struct kq *kq, enum watch_kind kind, int fd, uint32_t events)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = {.events = events | EPOLLET};

	if (!w)
		return NULL;
	*w = (struct watch){.kind = kind, .fd = fd, .next = kq->watches};
	ev.data.ptr = w;
	if (events && epoll_ctl(kq->ep, EPOLL_CTL_ADD, fd, &ev) < 0 &&
	    (errno != EEXIST || epoll_ctl(kq->ep, EPOLL_CTL_MOD, fd, &ev) < 0)) {
		free(w);
		return NULL;
	}
	kq->watches = w;
	return w;
}

void kq_watch_update(struct kq *kq, struct watch *w)
{
	struct epoll_event ev = {.events = EPOLLET};

	if (w->rd)
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (w->wr)
		ev.events |= EPOLLOUT;
	ev.data.ptr = w;
	if (ev.events == EPOLLET) {
		epoll_ctl(kq->ep, EPOLL_CTL_DEL, w->fd, NULL); /* ENOENT once the fd closed */
		w->dead = true;
		return;
	}
	/* EPOLL_CTL_MOD queues the source at once if it is ready: an attach finds it so too */
	if (epoll_ctl(kq->ep, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		epoll_ctl(kq->ep, EPOLL_CTL_ADD, w->fd, &ev);
}

/* ---- registration: kevent_register() ------------------------------------------------------ */

static struct knote *find(struct kq *kq, uintptr_t ident, int16_t filter)
{
	struct knote *kn;

	for (kn = kq->knotes; kn && !(kn->ident == ident && kn->filter == filter); kn = kn->next)
		;
	return kn;
}

/* knote_drop(): out of the queue, detached from its source, freed. */
static void drop(struct knote *kn)
{
	struct kq *kq = kn->kq;

	dequeue(kn);
	for (struct knote **p = &kq->knotes; *p; p = &(*p)->next) {
		if (*p == kn) {
			*p = kn->next;
			break;
		}
	}
	knote_detach(kn);
	free(kn);
}

/* kevent_register() for one change. Return: 0 or the errno it fails with. */
static int register_one(struct kq *kq, const struct kevent *kev)
{
	struct knote *kn = find(kq, kev->ident, kev->filter);
	int e;

	if (kev->flags & EV_DELETE) {
		if (!kn)
			return ENOENT;
		drop(kn);
		return 0;
	}
	if (!kn) {
		if (!(kev->flags & EV_ADD))
			return ENOENT;
		kn = calloc(1, sizeof(*kn));
		if (!kn)
			return ENOMEM;
		*kn = (struct knote){.kq = kq, .ident = kev->ident, .filter = kev->filter,
				     .flags = kev->flags & (EV_ONESHOT | EV_CLEAR | EV_DISPATCH),
				     .sfflags = kev->fflags, .sdata = kev->data, .udata = kev->udata};
		e = knote_attach(kn);
		if (e) {
			free(kn);
			return e;
		}
		kn->next = kq->knotes;
		kq->knotes = kn;
		kq_enqueue(kn); /* knote_attach() marked it active if its source is ready */
	} else {
		/* a knote that exists is touched, whatever the flags say (f_touch) */
		kn->udata = kev->udata;
		if (kev->flags & EV_ADD)
			kn->disabled = false; /* EV_ADD implies EV_ENABLE */
		knote_touch(kn, kev);
	}
	if (kev->flags & EV_DISABLE) {
		kn->disabled = true;
		dequeue(kn);
	} else if (kev->flags & EV_ENABLE) {
		kn->disabled = false;
		kq_enqueue(kn);
	}
	return 0;
}

/* ---- the scan: kqueue_scan(), knote_process(), kqfile_end_processing() ------------------ */

static int scan(struct kq *kq, struct kevent *out, int nevents)
{
	struct knote *suppressed = NULL, *kn;
	int n = 0;
	uint64_t drain;

	while (n < nevents && (kn = kq->qhead) != NULL) {
		/* knote_suppress(): dequeued and deactivated, so new activations show */
		dequeue(kn);
		kn->active = false;
		kn->suppressed = true;
		kn->qnext = suppressed;
		suppressed = kn;
		if (!knote_process(kn, &out[n]))
			continue; /* not fired: stays out of the queue until activated again */
		if (out[n++].flags & EV_ONESHOT) {
			suppressed = kn->qnext;
			drop(kn);
		} else if (kn->flags & EV_DISPATCH) {
			kn->disabled = true;
		} else if (!(kn->flags & EV_CLEAR)) {
			kn->active = true; /* level-triggered: re-activated, queued again below */
		}
	}
	/* kqfile_end_processing(): the suppressed knotes return; the active ones are queued */
	while ((kn = suppressed) != NULL) {
		suppressed = kn->qnext;
		kn->suppressed = false;
		kq_enqueue(kn);
	}
	if (kq->count == 0 && read(kq->fd, &drain, sizeof(drain)) < 0) {
		/* nothing was written since the queue was last empty */
	}
	return n;
}

/* Milliseconds from now until @deadline, rounded up; 0 once it has passed. */
static int ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
	     (deadline->tv_nsec - now.tv_nsec);
	return ns <= 0 ? 0 : (int)((ns + 999999) / 1000000);
}

/*
 * Scan, waiting for a knote up to @timeout (NULL: without limit), kq_lock held (released
 * while waiting). Return: events.
 */
static int scan_wait(struct kq *kq, struct kevent *out, int nevents, const struct timespec *timeout)
{
	struct timespec deadline;
	struct epoll_event ev;
	int n;

	if (timeout) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout->tv_sec;
		deadline.tv_nsec += timeout->tv_nsec;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	for (;;) {
		int ms = timeout ? ms_until(&deadline) : -1;

		if (kq->sigfd >= 0)
			knote_post_signals(kq);
		kq_harvest(kq);
		n = scan(kq, out, nevents);
		if (n > 0 || ms == 0)
			return n;
		/* the queue's eventfd (written when a knote is queued) or a signal wakes us */
		pthread_mutex_unlock(&kq_lock);
		epoll_wait(kq->wep, &ev, 1, ms);
		pthread_mutex_lock(&kq_lock);
	}
}

int kevent(int fd, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
	   int nevents, const struct timespec *timeout)
{
	struct kq *kq;
	int noutputs = 0, error = 0;

	pthread_mutex_lock(&kq_lock);
	kq = kq_find(fd);
	if (!kq) {
		pthread_mutex_unlock(&kq_lock);
		errno = fcntl(fd, F_GETFD) < 0 ? EBADF : EINVAL;
		return -1;
	}
	kq_harvest(kq); /* XNU activates when a source changes: what changed shows now */
	/* kevent_internal(): each change, answered in the output when it fails or asks to be */
	for (int i = 0; i < nchanges && !error; i++) {
		struct kevent kev = changelist[i];
		int e = register_one(kq, &kev);

		if (noutputs < nevents && (e || (kev.flags & EV_RECEIPT))) {
			kev.flags |= EV_ERROR;
			kev.data = e;
			eventlist[noutputs++] = kev;
		} else if (e) {
			error = e;
		}
	}
	/* ...and the queue scanned only when there is room and nothing else was output */
	if (!error && nevents > 0 && noutputs == 0)
		noutputs = scan_wait(kq, eventlist, nevents, timeout);
	pthread_mutex_unlock(&kq_lock);
	if (error) {
		errno = error;
		return -1;
	}
	return noutputs;
}

/* ---- kqueue(), close() and fork() ---------------------------------------------------------- */

/* The descriptors of @kq's own (not @kq->fd, which its owner closes). */
static void close_fds(struct kq *kq)
{
	int fds[] = {kq->ep, kq->tep, kq->wep, kq->ctl, kq->sigfd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			__real_close(fds[i]);
}

static void kq_free(struct kq *kq)
{
	while (kq->knotes)
		drop(kq->knotes);
	while (kq->watches) {
		struct watch *w = kq->watches;

		kq->watches = w->next;
		free(w);
	}
	close_fds(kq);
	free(kq);
}

/*
 * close() of any descriptor, as XNU's close does it for kqueues: knote_fdclose() drops
 * every knote on the descriptor in every kqueue; and a kqueue's own descriptor takes the
 * kqueue with it (kqueue_close()). Linked with -Wl,--wrap=close (sim/xnu/meson.build).
 */
int __wrap_close(int fd)
{
	struct kq *gone = NULL;

	pthread_mutex_lock(&kq_lock);
	for (struct kq *kq = registry; kq; kq = kq->next) {
		for (struct knote *kn = kq->knotes, *next; kn; kn = next) {
			next = kn->next;
			if ((kn->filter == EVFILT_READ || kn->filter == EVFILT_WRITE) &&
			    kn->ident == (uintptr_t)fd)
				drop(kn);
		}
	}
	for (struct kq **p = &registry; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			gone = *p;
			*p = gone->next;
			gone->stopping = true;
			break;
		}
	}
	pthread_mutex_unlock(&kq_lock);
	if (gone) {
		kq_thread_stop(gone);
		pthread_mutex_lock(&kq_lock);
		kq_free(gone);
		pthread_mutex_unlock(&kq_lock);
	}
	return __real_close(fd);
}

/*
 * XNU's fork copies no kqueue descriptor: the child has none of ours (and none of their
 * threads). The lock is held across fork() so that the child's copy of it is free.
 */
static void before_fork(void)
{
	pthread_mutex_lock(&kq_lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&kq_lock);
}

static void after_fork_child(void)
{
	for (struct kq *kq = registry; kq; kq = kq->next) {
		__real_close(kq->fd);
		close_fds(kq);
	}
	registry = NULL; /* the memory stays: the child execs or exits soon */
	pthread_mutex_unlock(&kq_lock);
}

static void at_fork(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* @fd into the epoll set @ep, level-triggered, for reading. Return: 0 or an errno. */
static int watch_level(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? errno : 0;
}

int kqueue(void)
{
	struct kq *kq = calloc(1, sizeof(*kq));
	int e = 0;

	pthread_once(&fork_once, at_fork);
	if (!kq) {
		errno = ENOMEM;
		return -1;
	}
	kq->fd = eventfd(0, EFD_NONBLOCK);
	if (kq->fd < 0) {
		free(kq);
		return -1;
	}
	kq->ep = epoll_create1(EPOLL_CLOEXEC);
	kq->tep = epoll_create1(EPOLL_CLOEXEC);
	kq->wep = epoll_create1(EPOLL_CLOEXEC);
	kq->ctl = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	kq->sigfd = -1;
	sigemptyset(&kq->sigs);
	if (kq->ep < 0 || kq->tep < 0 || kq->wep < 0 || kq->ctl < 0)
		e = errno;
	if (!e)
		e = watch_level(kq->tep, kq->ep);
	if (!e)
		e = watch_level(kq->tep, kq->ctl);
	if (!e)
		e = watch_level(kq->wep, kq->fd);
	if (!e)
		e = kq_thread_start(kq);
	if (e) {
		__real_close(kq->fd);
		kq_free(kq);
		errno = e;
		return -1;
	}
	pthread_mutex_lock(&kq_lock);
	kq->next = registry;
	registry = kq;
	pthread_mutex_unlock(&kq_lock);
	return kq->fd;
}
