// SPDX-License-Identifier: MIT
/* test_control.c — unit tests of app/control.c: requests handed to the handler, descriptors running out */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/control.h"
#include "core/clock.h"

static unsigned applied;

/* The service's side: every request answered with what it asked, counted. */
static void apply(void *ctx, const struct control_request *req, struct control_answer *ans)
{
	(void)ctx;
	applied++;
	if (req->cmd == CONTROL_RULES) {
		snprintf(ans->error, sizeof(ans->error), "rules refused here");
		return;
	}
	ans->key = "stats";
	ans->value = json_object_new_int(42);
}

struct fixture {
	struct loop *loop;
	struct control *control;
	char path[108];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct control_handler handler = {.apply = apply};
	char err[300];

	f->loop = loop_new();
	snprintf(f->path, sizeof(f->path), "/tmp/svm-test-control-%d", (int)getpid());
	f->control = control_open(f->loop, f->path, &handler, err, sizeof(err));
	assert_non_null(f->control);
	applied = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	control_close(f->control);
	loop_free(f->loop);
	free(f);
	return 0;
}

static int client(const struct fixture *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Run the loop until @fd has a whole line to read (bounded: 3 s). */
static void read_answer(struct fixture *f, int fd, char *buf, size_t size)
{
	size_t have = 0;
	uint64_t until = clock_mono_ms() + 3000;

	while (clock_mono_ms() < until && !memchr(buf, '\n', have)) {
		ssize_t n;

		loop_run_once(f->loop, 50);
		n = recv(fd, buf + have, size - 1 - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		buf[have] = '\0';
	}
	assert_non_null(memchr(buf, '\n', have));
}

static void requests_go_to_the_handler(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);
	char buf[512] = "";

	assert_int_equal(write(fd, "{\"cmd\":\"stats\"}\n", 16), 16);
	read_answer(f, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true,\"stats\":42}\n");
	assert_int_equal(write(fd, "{\"cmd\":\"rules\"}\n", 16), 16);
	read_answer(f, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":false,\"error\":\"rules refused here\"}\n");
	/* a bad request never reaches the handler */
	assert_int_equal(write(fd, "{\"cmd\":\"nope\"}\n", 15), 15);
	read_answer(f, fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"ok\":false"));
	assert_int_equal(applied, 2);
	close(fd);
}

/* Clients that connect and say nothing cannot lock the control socket out (issue 19, 10). */
static void idle_clients_make_room(void **state)
{
	struct fixture *f = *state;
	int idle[8], fd;
	char buf[512] = "";

	for (int i = 0; i < 8; i++) {
		idle[i] = client(f);
		loop_run_once(f->loop, 100); /* accepted, one by one: the first is the oldest */
	}
	fd = client(f);
	assert_int_equal(write(fd, "{\"cmd\":\"stats\"}\n", 16), 16);
	read_answer(f, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true,\"stats\":42}\n");
	assert_int_equal(recv(idle[0], buf, sizeof(buf), MSG_DONTWAIT), 0); /* closed */
	assert_int_equal(recv(idle[1], buf, sizeof(buf), MSG_DONTWAIT), -1); /* still there */
	for (int i = 0; i < 8; i++)
		close(idle[i]);
	close(fd);
}

/*
 * With no descriptor left, a waiting connection keeps the listener readable: the control
 * socket stops watching it for a while instead of being woken for it turn after turn, and
 * serves the connection once descriptors are back.
 */
static void out_of_descriptors_pauses_accepting(void **state)
{
	struct fixture *f = *state;
	struct rlimit was, low;
	int fds[64], n = 0, fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char buf[512] = "";

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	low = was;
	low.rlim_cur = (rlim_t)fd + 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < 64 && (fds[n] = dup(0)) >= 0) /* the holes below the limit filled */
		n++;
	assert_int_equal(errno, EMFILE);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);

	assert_int_equal(loop_run_once(f->loop, 1000), 1); /* the accept that fails */
	assert_int_equal(control_accept_pauses(f->control), 1);
	for (int i = 0; i < 5; i++) /* nothing to do now: no turn is spent on the listener */
		assert_int_equal(loop_run_once(f->loop, 0), 0);
	assert_int_equal(control_accept_pauses(f->control), 1);

	while (n > 0)
		close(fds[--n]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	assert_int_equal(write(fd, "{\"cmd\":\"stats\"}\n", 16), 16);
	read_answer(f, fd, buf, sizeof(buf)); /* within 3 s: the pause is 1 s */
	assert_string_equal(buf, "{\"ok\":true,\"stats\":42}\n");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(requests_go_to_the_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(idle_clients_make_room, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_descriptors_pauses_accepting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
