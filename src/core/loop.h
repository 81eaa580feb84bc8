/* SPDX-License-Identifier: MIT */
/* loop.h — the event loop: descriptors, timers, signals and processes, dispatched on one thread */
#ifndef SVM_CORE_LOOP_H
#define SVM_CORE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/container_of.h"

/*
 * The loop's own event flags; each OS's implementation (os/linux/loop_epoll.c: epoll,
 * signalfd, pidfd) translates them. Readiness is level-triggered: a source stays ready
 * until what made it ready is consumed.
 */
#define LOOP_IN 0x1u  /* readable (or: a connection waits to be accepted) */
#define LOOP_OUT 0x2u /* writable */
#define LOOP_ERR 0x4u /* an error is pending (reported whether asked for or not) */
#define LOOP_HUP 0x8u /* the other end hung up (reported whether asked for or not) */

struct loop;

/**
 * struct loop_source - one file descriptor a module wants to hear about
 * @fd: the descriptor
 * @on_event: called with the LOOP_* events that fired; embed the source in the module's
 *            own struct and get back to it with container_of()
 */
struct loop_source {
	int fd;
	void (*on_event)(struct loop_source *src, uint32_t events);
};

/**
 * struct loop_timer - a deadline on the monotonic clock (clock_mono_ms())
 * @on_expire: called once when the deadline has passed; re-arm from it to repeat
 * @deadline_ms: when (0 while not armed)
 * @next: the loop's list of armed timers
 * @armed_seq: when it was armed, so that a timer re-armed by a callback waits for the
 *             loop's next turn
 *
 * No descriptor and no wake-up while no timer is armed: the loop's wait simply ends
 * at the earliest deadline.
 */
struct loop_timer {
	void (*on_expire)(struct loop_timer *t);
	uint64_t deadline_ms;
	struct loop_timer *next;
	uint64_t armed_seq;
};

/**
 * struct loop_signals - signals delivered as events instead of to handlers
 * @on_signal: called once per delivered signal, on the loop's thread
 * @impl: the implementation's own source (a signalfd on Linux)
 */
struct loop_signals {
	void (*on_signal)(struct loop_signals *s, int signo);
	struct loop_source impl;
};

/**
 * struct loop_process - the end of a process, as an event
 * @on_exit: called once when @pid has exited (a child is not reaped: waitpid() it)
 * @pid: the process
 * @impl: the implementation's own source (a pidfd on Linux)
 */
struct loop_process {
	void (*on_exit)(struct loop_process *p);
	pid_t pid;
	struct loop_source impl;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

/** loop_add() - watch @src->fd for @events (LOOP_IN, LOOP_OUT). Return: 0 or -errno. */
int loop_add(struct loop *l, struct loop_source *src, uint32_t events);
/** loop_modify() - change the events watched on @src. Return: 0 or -errno. */
int loop_modify(struct loop *l, struct loop_source *src, uint32_t events);
/** loop_remove() - stop watching @src */
void loop_remove(struct loop *l, struct loop_source *src);

/**
 * loop_fd() - a descriptor that is readable while any source of @l is ready
 *
 * So that a module can gather several descriptors of its own into one loop that it never
 * runs and have the main loop watch them as one (--listen's listener and client). Its
 * owner calls loop_settle() after consuming what the sources reported.
 */
int loop_fd(const struct loop *l);

/**
 * loop_settle() - a set whose sources its owner has just consumed (read, drained,
 * accepted) outside any run: loop_fd() is readable from now on only while one is ready
 *
 * Call it at the end of every operation of the set's owner that consumed what its
 * sources reported. epoll rechecks a nested epoll's ready list whenever it is polled, so
 * on Linux this does nothing. A kqueue keeps a knote queued until a scan drops it, and a
 * kqueue inside a kqueue is readable while it holds one, stale or not (XNU
 * filt_kqueue(), knote_process()): a set nobody scans would wake the loop that watches
 * it on every turn. The sources of a set are level-triggered (loop_add()), so a scan
 * loses nothing: what is still ready is queued again.
 */
void loop_settle(struct loop *set);

/** loop_timer_arm() - (re)arm @t for @deadline_ms on the monotonic clock */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_ms);
/** loop_timer_disarm() - forget @t if it is armed */
void loop_timer_disarm(struct loop *l, struct loop_timer *t);
/** loop_timer_armed() - whether @t waits for its deadline */
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->deadline_ms != 0;
}

/**
 * loop_watch_signals() - take delivery of @signals (SIGINT, SIGTERM...) as events
 *
 * They no longer run handlers or their default action while the watch is on. SIGPIPE is
 * ignored from then on: a write to a closed socket is an error return, never a kill.
 * Return: 0 or -errno.
 */
int loop_watch_signals(struct loop *l, struct loop_signals *s, const int *signals,
		       unsigned count);
void loop_unwatch_signals(struct loop *l, struct loop_signals *s);

/** loop_watch_process() - call @p->on_exit when @pid exits. Return: 0 or -errno. */
int loop_watch_process(struct loop *l, struct loop_process *p, pid_t pid);
void loop_unwatch_process(struct loop *l, struct loop_process *p);

/**
 * loop_run_once() - wait for events up to @timeout_ms (-1: no limit but the timers'),
 * dispatch what fired, then the timers that expired
 * Return: the number of sources dispatched, or -errno (-EINTR is not an error).
 */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
