// SPDX-License-Identifier: MIT
/* proc_exit.c — XNU's exit order on Linux: NOTE_EXIT is posted before the zombie can be waited for */
#include <errno.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kq.h"

/*
 * XNU's proc_exit() (bsd/kern/kern_exit.c, xnu-11417.101.15) posts NOTE_EXIT
 * (proc_knote(p, NOTE_EXIT | ...)) and only afterwards marks the process SZOMB and
 * signals its parent; from proc_prepareexit() on, EVFILT_PROC refuses it (ESRCH). A
 * waitpid(WNOHANG) made as soon as either is seen can therefore find nothing to reap
 * (libuv dropped WNOHANG on kqueue for this: libuv#3521). Linux's pidfd fires only once
 * the zombie exists, so the simulation plays the worst case on purpose: the first
 * waitpid(WNOHANG) of a process whose exit it reported finds no zombie; the next one, or
 * any wait that blocks, reaps it. Linked with -Wl,--wrap=waitpid (sim/xnu/meson.build).
 *
 * Processes whose exit was reported and not yet asked for: a loop watches two at most
 * (run's hypervisor, the socketpair's creator); 8 leaves room for the tests.
 */
#define EXIT_WINDOW_MAX 8

pid_t __real_waitpid(pid_t pid, int *status, int options);
pid_t __wrap_waitpid(pid_t pid, int *status, int options);

static pthread_mutex_t window_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t window[EXIT_WINDOW_MAX];

void proc_exit_window_open(pid_t pid)
{
	int free_slot = -1;

	pthread_mutex_lock(&window_lock);
	for (int i = 0; i < EXIT_WINDOW_MAX; i++) {
		if (window[i] == pid)
			free_slot = -2;
		else if (!window[i] && free_slot == -1)
			free_slot = i;
	}
	if (free_slot >= 0)
		window[free_slot] = pid;
	pthread_mutex_unlock(&window_lock);
}

/* Whether @pid's exit was reported and not yet waited for; the window closes either way. */
static bool window_take(pid_t pid)
{
	bool open = false;

	pthread_mutex_lock(&window_lock);
	for (int i = 0; i < EXIT_WINDOW_MAX && !open; i++) {
		if (window[i] == pid) {
			window[i] = 0;
			open = true;
		}
	}
	pthread_mutex_unlock(&window_lock);
	return open;
}

pid_t __wrap_waitpid(pid_t pid, int *status, int options)
{
	if (pid > 0 && window_take(pid) && (options & WNOHANG))
		return 0; /* the process is not SZOMB yet */
	return __real_waitpid(pid, status, options);
}
