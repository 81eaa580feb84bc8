// SPDX-License-Identifier: MIT
/* test_ready.c — unit tests for app/ready.c: the ready record's line, written once, the fd closed */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/ready.h"
#include "proto/addr.h"
#include "test_config.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void line_and_close(void **state)
{
	struct config cfg;
	struct backend_info info = {.network_id = "svmnet0",
				    .offloads = BACKEND_OFFLOAD_TCP4 | BACKEND_OFFLOAD_UDP4};
	struct ready_info r = {.backend = "tap", .info = &info, .vm = &cfg.vm, .net4 = &cfg.net4,
			       .net6 = &cfg.net6, .control = "/run/vm.ctl", .name = "vm-1"};
	char buf[1024], want[1024];
	int fds[2];
	ssize_t n;

	(void)state;
	test_config(&cfg, MAC);
	cfg.vm.mtu = 9000;
	cfg.net6.enabled = true;
	assert_true(inet6_cidr_parse("fd12:3456:789a:1::/64", &cfg.net6.prefix));
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(ready_write(fds[1], &r), 0);
	assert_int_equal(fcntl(fds[1], F_GETFD), -1); /* closed */
	n = read(fds[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want),
		 "{\"ready\":true,\"pid\":%d,\"version\":\"%s\",\"name\":\"vm-1\",\"backend\":\"tap\","
		 "\"network\":\"svmnet0\",\"mac\":\"52:54:00:12:34:56\",\"mtu\":9000,"
		 "\"gateway\":\"192.168.64.1\",\"subnet\":\"192.168.64.0/24\","
		 "\"ipv6_prefix\":\"fd12:3456:789a:1::/64\",\"offloads\":[\"tcp\",\"udp\"],\"control\":\"/run/vm.ctl\"}\n",
		 (int)getpid(), SVM_VERSION);
	assert_string_equal(buf, want);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 0); /* one line, then the end */
	close(fds[0]);
}

static void nulls_and_a_reader_gone(void **state)
{
	struct config cfg;
	struct backend_info info = {.network_id = "user:192.168.64.0/24"};
	struct ready_info r = {.backend = "user", .info = &info, .vm = &cfg.vm, .net4 = &cfg.net4};
	char *line;
	int fds[2];

	(void)state;
	test_config(&cfg, MAC);
	line = ready_line(&r);
	assert_non_null(strstr(line, "\"name\":null"));
	assert_non_null(strstr(line, "\"offloads\":[]"));
	assert_non_null(strstr(line, "\"control\":null"));
	free(line);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(ready_write(fds[1], &r), -EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_and_close),
		cmocka_unit_test(nulls_and_a_reader_gone),
	};
	signal(SIGPIPE, SIG_IGN); /* as the service's loop has it */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
