// SPDX-License-Identifier: MIT
/* test_xnu_kqueue.c — unit tests of sim/xnu: the simulated kqueue keeps XNU's rules, not epoll's */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Each test names the XNU function (bsd/kern/kern_event.c, kern_exit.c, kern_sig.c,
 * xnu-11417.101.15) whose behaviour it holds the simulation to. Only in the darwin-loop
 * build (-Dsim_os=darwin).
 */

static const struct timespec zero = {0, 0};
/* Long enough for the simulation's thread to have posted what a write made ready. */
static const struct timespec settle = {0, 200 * 1000000L};

static int add(int kq, uintptr_t ident, int16_t filter, uint16_t flags, uint32_t fflags)
{
	struct kevent ch;

	EV_SET(&ch, ident, filter, flags, fflags, 0, NULL);
	return kevent(kq, &ch, 1, NULL, 0, NULL);
}

static int events(int kq, struct kevent *ev, int n, const struct timespec *timeout)
{
	return kevent(kq, NULL, 0, ev, n, timeout);
}

/* filt_kqueue(), filt_kqprocess(), knote_process(): a kqueue in a kqueue is readable while
 * it counts knotes — a knote whose source was drained counts until a scan drops it */
static void nested_kqueue_is_readable_until_scanned(void **state)
{
	int inner = kqueue(), outer = kqueue(), p[2];
	struct kevent ev[4];
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(add(inner, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0), 0);
	assert_int_equal(add(outer, (uintptr_t)inner, EVFILT_READ, EV_ADD, 0), 0);
	assert_int_equal(events(outer, ev, 4, &zero), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(events(outer, ev, 4, &settle), 1);
	assert_int_equal((int)ev[0].ident, inner);
	assert_int_equal(read(p[0], &c, 1), 1); /* drained, the inner kqueue never scanned */
	assert_int_equal(events(outer, ev, 4, &zero), 1); /* what epoll would not say */
	assert_int_equal(events(inner, ev, 4, &zero), 0); /* the scan drops the stale knote */
	assert_int_equal(events(outer, ev, 4, &zero), 0);
	/* and it comes back with the next byte */
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(events(outer, ev, 4, &settle), 1);
	close(p[0]);
	close(p[1]);
	close(outer);
	close(inner);
}

/* knote_process(): a level knote is queued again while ready; EV_CLEAR only on new data */
static void ev_clear_reports_changes_only(void **state)
{
	int kq = kqueue(), p[2];
	struct kevent ev[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(add(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(events(kq, ev, 2, &settle), 1);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(events(kq, ev, 2, &zero), 0); /* still readable, but nothing new */
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(events(kq, ev, 2, &settle), 1);
	assert_int_equal(add(kq, (uintptr_t)p[0], EVFILT_READ, EV_DELETE, 0), 0);
	assert_int_equal(add(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0), 0); /* level */
	assert_int_equal(events(kq, ev, 2, &zero), 1);
	assert_int_equal(events(kq, ev, 2, &zero), 1);
	close(p[0]);
	close(p[1]);
	close(kq);
}

/* knote_process(), knote_drop(): EV_ONESHOT is reported once, then the knote is gone;
 * knote_fdclose(): closing a descriptor drops its knotes */
static void oneshot_and_close_drop_the_knote(void **state)
{
	int kq = kqueue(), p[2];
	struct kevent ev[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(add(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(events(kq, ev, 2, &settle), 1);
	assert_int_equal(events(kq, ev, 2, &zero), 0);
	errno = 0;
	assert_int_equal(add(kq, (uintptr_t)p[0], EVFILT_READ, EV_DELETE, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(add(kq, (uintptr_t)p[1], EVFILT_WRITE, EV_ADD, 0), 0);
	close(p[1]);
	errno = 0;
	assert_int_equal(add(kq, (uintptr_t)p[1], EVFILT_WRITE, EV_DELETE, 0), -1);
	assert_int_equal(errno, ENOENT);
	close(p[0]);
	close(kq);
}

/* kevent_internal(): a change with EV_RECEIPT is answered in the output, and a call whose
 * output holds answers does not scan the queue */
static void receipts_do_not_scan(void **state)
{
	int kq = kqueue(), p[2];
	struct kevent ch[2], ev[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	EV_SET(&ch[0], (uintptr_t)p[0], EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, NULL);
	EV_SET(&ch[1], (uintptr_t)p[0], EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	assert_int_equal(kevent(kq, ch, 2, ev, 2, NULL), 2);
	assert_true(ev[0].flags & EV_ERROR);
	assert_int_equal(ev[0].data, 0);
	assert_int_equal(ev[1].data, ENOENT);
	assert_int_equal(events(kq, ev, 2, &zero), 1); /* the readable pipe was left queued */
	close(p[0]);
	close(p[1]);
	close(kq);
}

/* filt_userattach(), filt_usertouch(), filt_userprocess(): NOTE_TRIGGER fires once with
 * EV_CLEAR, and on every scan without */
static void user_events_trigger(void **state)
{
	int kq = kqueue();
	struct kevent ev[2];

	(void)state;
	assert_int_equal(add(kq, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0), 0);
	assert_int_equal(add(kq, 2, EVFILT_USER, EV_ADD, 0), 0);
	assert_int_equal(events(kq, ev, 2, &zero), 0);
	assert_int_equal(add(kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 5), 0);
	assert_int_equal(events(kq, ev, 2, &zero), 1);
	assert_int_equal(ev[0].ident, 1);
	assert_int_equal(ev[0].fflags, 5);
	assert_int_equal(events(kq, ev, 2, &zero), 0);
	assert_int_equal(add(kq, 2, EVFILT_USER, 0, NOTE_TRIGGER), 0);
	assert_int_equal(events(kq, ev, 2, &zero), 1);
	assert_int_equal(events(kq, ev, 2, &zero), 1);
	close(kq);
}

/* proc_exit() posts NOTE_EXIT before SZOMB (kern_exit.c); filt_proc() adds EV_EOF and
 * EV_ONESHOT; filt_procattach() refuses an exited process with ESRCH */
static void note_exit_comes_before_the_zombie(void **state)
{
	int kq = kqueue(), status = 0;
	struct kevent ev[2];
	pid_t child = fork();

	(void)state;
	if (child == 0) {
		struct timespec nap = {0, 100 * 1000000L};

		nanosleep(&nap, NULL);
		_exit(3);
	}
	assert_int_equal(add(kq, (uintptr_t)child, EVFILT_PROC, EV_ADD, NOTE_EXIT), 0);
	assert_int_equal(events(kq, ev, 2, NULL), 1);
	assert_true(ev[0].fflags & NOTE_EXIT);
	assert_true((ev[0].flags & (EV_EOF | EV_ONESHOT)) == (EV_EOF | EV_ONESHOT));
	assert_int_equal(waitpid(child, &status, WNOHANG), 0); /* not a zombie yet */
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(WEXITSTATUS(status), 3);

	child = fork();
	if (child == 0)
		_exit(4);
	while (kill(child, 0) == 0 && add(kq, (uintptr_t)child, EVFILT_PROC, EV_ADD, NOTE_EXIT) == 0) {
		struct timespec nap = {0, 1000000L};

		add(kq, (uintptr_t)child, EVFILT_PROC, EV_DELETE, 0);
		nanosleep(&nap, NULL);
	}
	assert_int_equal(errno, ESRCH);
	assert_int_equal(waitpid(child, &status, WNOHANG), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	close(kq);
}

/* filt_sigattach() (EV_CLEAR), filt_signal(): deliveries are counted until reported */
static void signals_are_counted(void **state)
{
	int kq = kqueue();
	struct kevent ev[2];

	(void)state;
	assert_int_equal(add(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0), 0);
	signal(SIGUSR1, SIG_IGN); /* XNU counts an ignored signal too */
	raise(SIGUSR1);
	assert_int_equal(events(kq, ev, 2, &settle), 1);
	assert_int_equal(ev[0].ident, SIGUSR1);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(events(kq, ev, 2, &zero), 0);
	assert_int_equal(add(kq, SIGUSR1, EVFILT_SIGNAL, EV_DELETE, 0), 0);
	signal(SIGUSR1, SIG_DFL);
	close(kq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_kqueue_is_readable_until_scanned),
		cmocka_unit_test(ev_clear_reports_changes_only),
		cmocka_unit_test(oneshot_and_close_drop_the_knote),
		cmocka_unit_test(receipts_do_not_scan),
		cmocka_unit_test(user_events_trigger),
		cmocka_unit_test(note_exit_comes_before_the_zombie),
		cmocka_unit_test(signals_are_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
