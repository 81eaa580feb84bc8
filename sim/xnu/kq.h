/* SPDX-License-Identifier: MIT */
/* kq.h — the simulated kqueue's insides: knotes, their queue, and the thread that activates them */
#ifndef SVM_SIM_XNU_KQ_H
#define SVM_SIM_XNU_KQ_H

/*
 * A kqueue as XNU's bsd/kern/kern_event.c (xnu-11417.101.15) keeps one, on Linux:
 *
 * - A knote is *activated* when its source becomes ready (knote_post(): the filter's
 *   f_event says so) and is then *queued*; it leaves the queue only when a kevent() call
 *   with room for events *scans* the queue (knote_process(), through knote_suppress()).
 *   Nothing deactivates a queued knote whose source stopped being ready meanwhile: it
 *   stays counted (kq_count) until the next scan drops it. This is what a naive
 *   emulation gets wrong, and what makes a kqueue inside a kqueue readable until scanned.
 * - Activation happens when the source changes, not when someone asks: here a thread of
 *   the kqueue's own wakes when a source of its epoll set (every source, edge-triggered:
 *   EPOLLET reports each wakeup of a source, as XNU's KNOTE() is called on each) changes,
 *   and activates the knotes at once, as knote_post() does in the context of the event;
 *   every kevent() call does the same first. Both take the events under the lock, so no
 *   activation arrives late. What the simulation cannot do is activate a knote whose
 *   source was consumed before the thread got to it (epoll drops an event whose source is
 *   no longer ready): there it is more forgiving than XNU, never stricter.
 * - Signals are read from a signalfd by the thread that calls kevent() (the loop's), which
 *   sees the signals sent to it as well as the process's.
 * - A kqueue's own descriptor is an eventfd, written on the queue's transition from empty
 *   to non-empty (knote_enqueue()'s wakeup, kqfile_wakeup()): an outer kqueue's knote on
 *   it is activated then, and its filter asks the inner queue's count (filt_kqueue(),
 *   filt_kqprocess()).
 *
 * Locking: one lock, kq_lock, guards every simulated kqueue, its knotes and its watches
 * (XNU has a kqlock per kqueue; one here keeps nesting, close() and fork() simple, and the
 * loop it serves runs on one thread anyway). Watches are freed only with their kqueue, so
 * an epoll event the thread took before a knote went never points at freed memory. Code
 * here closes descriptors with __real_close(): close() itself is wrapped (kqueue.c).
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/event.h>

struct kq;

/* What an epoll registration of the kqueue's thread stands for. */
enum watch_kind {
	WATCH_FD,     /* a descriptor: @rd and @wr are its EVFILT_READ and EVFILT_WRITE knotes */
	WATCH_NESTED, /* another kqueue's descriptor: @rd is the EVFILT_READ knote on it */
	WATCH_PROC,   /* a pidfd: @rd is the EVFILT_PROC knote */
};

struct knote;

/**
 * struct watch - one descriptor in the kqueue's epoll set
 * @dead: its knotes are gone; kept until the kqueue goes (the thread may hold an event)
 */
struct watch {
	enum watch_kind kind;
	int fd;
	struct knote *rd, *wr;
	struct kq *inner;
	bool dead;
	struct watch *next;
};

/**
 * struct knote - one registered event, as XNU's struct knote
 * @flags: EV_ONESHOT, EV_CLEAR, EV_DISPATCH as registered, EV_EOF and EV_ONESHOT as a
 *         filter added them (filt_proc() on NOTE_EXIT)
 * @sfflags, @sdata: what the caller registered (EVFILT_USER hands them back)
 * @active, @queued, @disabled, @suppressed: KN_ACTIVE, KN_QUEUED, KN_DISABLED,
 *         KN_SUPPRESSED of XNU's kn_status
 * @hook: the filter's own state: signals counted (filt_signal()), a trigger pending
 *        (filt_usertouch()), the process exited (filt_proc())
 * @watch: WATCH_FD, WATCH_NESTED and WATCH_PROC knotes: their epoll registration
 */
struct knote {
	struct kq *kq;
	uintptr_t ident;
	int16_t filter;
	uint16_t flags;
	uint32_t sfflags;
	intptr_t sdata;
	void *udata;
	bool active, queued, disabled, suppressed;
	intptr_t hook;
	struct watch *watch;
	struct knote *next;  /* the kqueue's knotes */
	struct knote *qnext; /* the queue, or the suppressed list while a scan runs */
};

/**
 * struct kq - one simulated kqueue
 * @fd: what kqueue() returned: an eventfd, written on each empty-to-non-empty transition
 *      of the queue and emptied when a scan leaves the queue empty
 * @ep: every source, edge-triggered (harvest() takes its events)
 * @tep: what the thread waits on: @ep and @ctl
 * @wep: what a kevent() call waits on: @fd and @sigfd
 * @ctl: an eventfd that wakes the thread (to stop it)
 * @sigfd: the signalfd of every signal an EVFILT_SIGNAL knote watches (-1: none yet)
 * @count: knotes queued (XNU's kq_count)
 */
struct kq {
	int fd, ep, tep, wep, ctl, sigfd;
	sigset_t sigs;
	pthread_t thread;
	struct knote *knotes;
	struct knote *qhead, *qtail;
	unsigned count;
	struct watch *watches;
	bool stopping;
	struct kq *next; /* the registry */
};

/* The lock of every simulated kqueue (see above). */
extern pthread_mutex_t kq_lock;

int __real_close(int fd);

/** kq_enqueue() - knote_enqueue(): queue @kn if it is active, enabled, not queued or suppressed */
void kq_enqueue(struct knote *kn);

/** kq_activate() - knote_activate(): mark @kn active and queue it */
void kq_activate(struct knote *kn);

/** kq_watch_add() - a descriptor into @kq's epoll set (edge-triggered). Return: the watch or NULL. */
struct watch *kq_watch_add(struct kq *kq, enum watch_kind kind, int fd, uint32_t events);

/** kq_watch_update() - the events a WATCH_FD waits for, from its knotes (none: out of the set) */
void kq_watch_update(struct kq *kq, struct watch *w);

/**
 * kq_harvest() - take what @ep says changed and post it (kq_lock held): what the thread
 * does when it wakes, and every kevent() call before it looks at the queue
 */
void kq_harvest(struct kq *kq);

/** kq_find() - the simulated kqueue whose descriptor is @fd, or NULL (kq_lock held) */
struct kq *kq_find(int fd);

/** kq_thread_start() - the thread that activates @kq's knotes. Return: 0 or an errno. */
int kq_thread_start(struct kq *kq);

/** kq_thread_stop() - stop and join it (kq_lock not held: the thread may wait for it) */
void kq_thread_stop(struct kq *kq);

/* ---- the filters (knote_filters.c), each as XNU's filterops ---------------------------- */

/** knote_attach() - f_attach: set @kn up. Return: 0 or the errno EV_ADD fails with. */
int knote_attach(struct knote *kn);

/** knote_touch() - f_touch: an EV_ADD of a knote that exists (@kev: the new registration) */
void knote_touch(struct knote *kn, const struct kevent *kev);

/** knote_detach() - f_detach: the knote goes (its watch, pidfd, signal) */
void knote_detach(struct knote *kn);

/**
 * knote_process() - f_process: is @kn still ready, now that a scan reaches it?
 * Return: true with @ev filled in (and the filter's state reset as it resets it).
 */
bool knote_process(struct knote *kn, struct kevent *ev);

/**
 * knote_post() - f_event for a watch that changed (@events: epoll's), activating what is
 * ready
 */
void knote_post(struct kq *kq, struct watch *w, uint32_t events);

/** knote_post_signals() - the signals the calling thread may read, counted and posted */
void knote_post_signals(struct kq *kq);

/* ---- processes (proc_exit.c) ------------------------------------------------------------ */

/**
 * proc_exit_window_open() - @pid's NOTE_EXIT was reported, or EVFILT_PROC refused it with
 * ESRCH, before XNU would show it as a zombie: its next waitpid(WNOHANG) finds none
 */
void proc_exit_window_open(pid_t pid);

#endif
