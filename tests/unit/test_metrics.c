// SPDX-License-Identifier: MIT
/* test_metrics.c — unit tests for app/metrics.c: the exposition's shape, its labels, the file */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/metrics.h"
#include "core/loop.h"
#include "test_config.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/*
 * Every sample belongs to the family the # TYPE line before it declared, each family is
 * declared once, and every sample carries the VM's labels.
 */
static void check_shape(const char *text, const char *labels)
{
	char *copy = strdup(text), *save = NULL, family[128] = "";
	char seen[64][128];
	int families = 0;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (sscanf(line, "# TYPE sock_vmnet_%127s", family) == 1) {
			for (int i = 0; i < families; i++)
				if (strcmp(seen[i], family) == 0)
					fail_msg("family %s declared twice", family);
			strcpy(seen[families++], family);
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "sock_vmnet_%127[a-z_]{", name), 1);
		if (strcmp(name, family) != 0)
			fail_msg("sample \"%s\" outside its family (%s)", line, family);
		if (strncmp(strchr(line, '{') + 1, labels, strlen(labels)) != 0)
			fail_msg("sample \"%s\" without %s", line, labels);
	}
	free(copy);
}

static void text_of_a_running_vm(void **state)
{
	struct config cfg;
	struct guard g;
	struct stats st = {0};
	struct rulebook rb;
	struct policy_rule r;
	char why[200], *text;
	const struct policy *p;

	(void)state;
	test_config(&cfg, MAC);
	assert_true(policy_rule_parse("tcp:github.com:443", true, &r, why, sizeof(why)));
	cfg.policy.rules = &r;
	cfg.policy.count = 1;
	assert_int_equal(guard_init(&g, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL), 0);
	assert_int_equal(rulebook_init(&rb, &g, &cfg.policy, NULL, NULL), 0);
	p = guard_policy(&g);
	(*policy_hits(p, rb.builtins)) += 3;
	(*policy_hits(p, 0)) += 2;
	st.vm_to_host.frames = 10;
	st.drops[DROP_POLICY_BLOCK] = 4;
	text = metrics_render(&(struct metrics_view){.mac = "52:54:00:12:34:56", .name = "vm-1",
						     .backend = "tap", .start_unix = 1700000000,
						     .stats = &st, .guard = &g, .rules = &rb});
	assert_non_null(text);
	check_shape(text, "mac=\"52:54:00:12:34:56\",name=\"vm-1\"");
	assert_non_null(strstr(text, "sock_vmnet_frames_total{mac=\"52:54:00:12:34:56\",name=\"vm-1\","
				     "direction=\"vm_to_host\"} 10\n"));
	assert_non_null(strstr(text, ",reason=\"policy-block\"} 4\n"));
	assert_non_null(strstr(text, ",verdict=\"allow\",rule=\"tcp:github.com:443\","
				     "origin=\"command-line\"} 3\n"));
	assert_non_null(strstr(text, ",verdict=\"allow\",origin=\"command-line\"} 3\n"));
	assert_non_null(strstr(text, "sock_vmnet_start_time_seconds{mac=\"52:54:00:12:34:56\","
				     "name=\"vm-1\"} 1700000000\n"));
	assert_non_null(strstr(text, ",backend=\"tap\",version=\"" SVM_VERSION "\"} 1\n"));
	assert_non_null(strstr(text, ",verdict=\"allow\",rule=\"0.0.0.0/0\",origin=\"builtin\"} 2\n"));
	/* a rule that never decided has no series of its own */
	assert_null(strstr(text, "rule=\"10.0.0.0/8\""));
	free(text);
	text = metrics_render(&(struct metrics_view){.mac = "52:54:00:12:34:56", .stats = &st});
	check_shape(text, "mac=\"52:54:00:12:34:56\"");
	assert_null(strstr(text, "name="));
	free(text);
	rulebook_fini(&rb);
	guard_fini(&g);
}

static void activity_moves_with_every_counted_frame(void **state)
{
	struct stats st = {0};
	uint64_t a = metrics_activity(&st);

	(void)state;
	st.drops[DROP_IPV6]++;
	assert_int_not_equal(metrics_activity(&st), a);
	a = metrics_activity(&st);
	st.host_to_vm.frames++;
	assert_int_not_equal(metrics_activity(&st), a);
	a = metrics_activity(&st);
	st.host_to_vm.bytes += 100; /* bytes move with frames: not needed */
	assert_int_equal(metrics_activity(&st), a);
}

static struct stats file_stats;

static void view(void *ctx, struct metrics_view *v)
{
	(void)ctx;
	*v = (struct metrics_view){.mac = "52:54:00:12:34:56", .stats = &file_stats};
}

static void file_written_atomically_on_change_only(void **state)
{
	char dir[] = "/tmp/test_metrics.XXXXXX", path[128], err[200], buf[512];
	struct loop *loop = loop_new();
	struct metrics *m;
	struct stat a, b;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.prom", dir);
	m = metrics_open(loop, path, 1, view, NULL, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(metrics_writes(m), 1);
	assert_int_equal(stat(path, &a), 0);
	metrics_note(m, metrics_activity(&file_stats), false); /* nothing moved: no timer */
	assert_int_equal(loop_run_once(loop, 0), 0);
	file_stats.vm_to_host.frames = 7;
	metrics_note(m, metrics_activity(&file_stats), false);
	/* not before the interval has passed since the last write */
	assert_int_equal(loop_run_once(loop, 100), 0);
	assert_int_equal(metrics_writes(m), 1);
	for (int i = 0; i < 20 && metrics_writes(m) == 1; i++)
		loop_run_once(loop, 100);
	assert_int_equal(metrics_writes(m), 2);
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_ino != b.st_ino); /* a new file renamed over the old */
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f) && !strstr(buf, "direction=\"vm_to_host\"} 7")) {
	}
	assert_non_null(strstr(buf, "} 7"));
	fclose(f);
	metrics_close(m);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left */
	m = metrics_open(loop, "/nonexistent/dir/vm.prom", 1, view, NULL, err, sizeof(err));
	assert_null(m);
	assert_string_equal(err, "cannot write \"/nonexistent/dir/vm.prom\": No such file or directory");
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_of_a_running_vm),
		cmocka_unit_test(activity_moves_with_every_counted_frame),
		cmocka_unit_test(file_written_atomically_on_change_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
