// SPDX-License-Identifier: MIT
/* test_loop.c — unit tests of the loop (src/core/loop.h, on Linux src/os/linux/loop_epoll.c) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"

/* A source on an eventfd with a count: always readable, so every wait reports it. */
struct counted {
	struct loop_source src;
	struct loop *loop;
	struct counted *victim; /* removed by this source's callback */
	unsigned calls;
};

static void on_counted(struct loop_source *src, uint32_t events)
{
	struct counted *c = container_of(src, struct counted, src);

	assert_true(events & LOOP_IN);
	c->calls++;
	if (c->victim && c->victim->src.fd >= 0) {
		loop_remove(c->loop, &c->victim->src);
		close(c->victim->src.fd);
		c->victim->src.fd = -1;
	}
}

static void counted_init(struct counted *c, struct loop *l)
{
	*c = (struct counted){.loop = l,
			      .src = {.fd = eventfd(1, EFD_NONBLOCK), .on_event = on_counted}};
	assert_true(c->src.fd >= 0);
	assert_int_equal(loop_add(l, &c->src, LOOP_IN), 0);
}

/*
 * A source removed by a callback earlier in the same batch gets none of the batch's
 * events: its struct may already be free, or be another connection's.
 */
static void removed_source_gets_no_stale_event(void **state)
{
	struct loop *l = loop_new();
	struct counted a, b;

	(void)state;
	counted_init(&a, l);
	counted_init(&b, l);
	a.victim = &b;
	b.victim = &a;
	assert_int_equal(loop_run_once(l, 0), 2); /* both were ready in one batch */
	/* whichever ran first removed the other, which then must not have run */
	assert_int_equal(a.calls + b.calls, 1);
	if (a.src.fd >= 0)
		close(a.src.fd);
	if (b.src.fd >= 0)
		close(b.src.fd);
	loop_free(l);
}

struct ticking {
	struct loop_timer t;
	struct loop *loop;
	unsigned fired;
	bool rearm_now;
};

static void on_tick(struct loop_timer *t)
{
	struct ticking *k = container_of(t, struct ticking, t);

	k->fired++;
	if (k->rearm_now)
		loop_timer_arm(k->loop, t, clock_mono_ms()); /* due at once: next turn, not now */
}

static void timers_fire_once_and_bound_the_wait(void **state)
{
	struct loop *l = loop_new();
	struct ticking soon = {.t.on_expire = on_tick, .loop = l};
	struct ticking later = {.t.on_expire = on_tick, .loop = l};
	uint64_t t0 = clock_mono_ms();

	(void)state;
	loop_timer_arm(l, &soon.t, t0 + 30);
	loop_timer_arm(l, &later.t, t0 + 10000);
	assert_true(loop_timer_armed(&soon.t));
	/* nothing but the timers: the wait ends at the first deadline, not at "forever" */
	loop_run_once(l, -1);
	assert_true(clock_mono_ms() >= t0 + 30);
	assert_true(clock_mono_ms() < t0 + 5000);
	assert_int_equal(soon.fired, 1);
	assert_false(loop_timer_armed(&soon.t));
	assert_int_equal(later.fired, 0);
	loop_timer_disarm(l, &later.t);
	assert_false(loop_timer_armed(&later.t));
	loop_free(l);
}

static void timer_rearmed_by_its_callback_waits_for_the_next_turn(void **state)
{
	struct loop *l = loop_new();
	struct ticking k = {.t.on_expire = on_tick, .loop = l, .rearm_now = true};

	(void)state;
	loop_timer_arm(l, &k.t, clock_mono_ms());
	loop_run_once(l, 0);
	assert_int_equal(k.fired, 1); /* no spinning inside one turn */
	loop_run_once(l, 0);
	assert_int_equal(k.fired, 2);
	k.rearm_now = false;
	loop_run_once(l, 0);
	assert_int_equal(k.fired, 3);
	assert_false(loop_timer_armed(&k.t));
	loop_free(l);
}

struct signal_catch {
	struct loop_signals s;
	int last;
};

static void on_sig(struct loop_signals *s, int signo)
{
	container_of(s, struct signal_catch, s)->last = signo;
}

static void signals_arrive_as_events(void **state)
{
	static const int sigs[] = {SIGUSR2};
	struct loop *l = loop_new();
	struct signal_catch c = {.s.on_signal = on_sig};

	(void)state;
	assert_int_equal(loop_watch_signals(l, &c.s, sigs, 1), 0);
	raise(SIGUSR2); /* blocked now: it waits for the loop instead of killing us */
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(c.last, SIGUSR2);
	loop_unwatch_signals(l, &c.s);
	loop_free(l);
}

struct exit_watch {
	struct loop_process p;
	bool exited;
};

static void on_exit_seen(struct loop_process *p)
{
	container_of(p, struct exit_watch, p)->exited = true;
}

static void process_exit_arrives_as_an_event(void **state)
{
	struct loop *l = loop_new();
	struct exit_watch w = {.p.on_exit = on_exit_seen};
	pid_t child = fork();

	(void)state;
	if (child == 0)
		_exit(0);
	assert_int_equal(loop_watch_process(l, &w.p, child), 0);
	for (int i = 0; i < 50 && !w.exited; i++)
		loop_run_once(l, 100);
	assert_true(w.exited);
	assert_int_equal(waitpid(child, NULL, 0), child);
	loop_unwatch_process(l, &w.p);
	loop_free(l);
}

/* A set watched as one descriptor: a pipe its owner drains outside any run of the set. */
struct set_owner {
	struct loop_source src; /* loop_fd(set), in the main loop */
	struct loop *set;
	struct loop_source pipe_src;
	int pipe[2];
	unsigned calls;
};

static void on_set_ready(struct loop_source *src, uint32_t events)
{
	struct set_owner *o = container_of(src, struct set_owner, src);
	char buf[8];

	(void)events;
	o->calls++;
	while (read(o->pipe[0], buf, sizeof(buf)) > 0)
		;
	loop_settle(o->set);
}

/*
 * loop_fd() is readable only while a source of the set is ready, once its owner settles
 * it after consuming: on macOS a kqueue inside a kqueue stays readable until it is
 * scanned (XNU filt_kqueue()), and an unsettled set spins the loop that watches it.
 */
static void a_consumed_set_is_not_reported_again(void **state)
{
	struct loop *l = loop_new();
	struct set_owner o = {.set = loop_new(), .src.on_event = on_set_ready};

	(void)state;
	assert_int_equal(pipe2(o.pipe, O_NONBLOCK), 0);
	o.pipe_src = (struct loop_source){.fd = o.pipe[0]};
	assert_int_equal(loop_add(o.set, &o.pipe_src, LOOP_IN), 0);
	o.src.fd = loop_fd(o.set);
	assert_int_equal(loop_add(l, &o.src, LOOP_IN), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	for (int round = 1; round <= 2; round++) {
		assert_int_equal(write(o.pipe[1], "x", 1), 1);
		for (int i = 0; i < 10 && o.calls < (unsigned)round; i++)
			loop_run_once(l, 100);
		assert_int_equal(o.calls, round);
		loop_run_once(l, 50);
		loop_run_once(l, 50);
		assert_int_equal(o.calls, round); /* drained and settled: not reported again */
	}
	loop_remove(l, &o.src);
	loop_remove(o.set, &o.pipe_src);
	close(o.pipe[0]);
	close(o.pipe[1]);
	loop_free(o.set);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(removed_source_gets_no_stale_event),
		cmocka_unit_test(timers_fire_once_and_bound_the_wait),
		cmocka_unit_test(timer_rearmed_by_its_callback_waits_for_the_next_turn),
		cmocka_unit_test(signals_arrive_as_events),
		cmocka_unit_test(process_exit_arrives_as_an_event),
		cmocka_unit_test(a_consumed_set_is_not_reported_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
