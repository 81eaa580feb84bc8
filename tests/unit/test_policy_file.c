// SPDX-License-Identifier: MIT
/* test_policy_file.c — unit tests for app/policy_file.c: --policy's lines read and refused */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/policy_file.h"

static void parsed(const char *text, struct policy_file *f)
{
	char err[400] = "";

	if (!policy_file_parse(text, strlen(text), f, err, sizeof(err)))
		fail_msg("\"%s\": %s", text, err);
}

static void refused(const char *text, size_t len, const char *why)
{
	struct policy_file f;
	char err[400] = "";

	assert_false(policy_file_parse(text, len, &f, err, sizeof(err)));
	policy_file_free(&f);
	if (strcmp(err, why) != 0)
		fail_msg("\"%.*s\": \"%s\" is not \"%s\"", (int)len, text, err, why);
}

static const char *text_of(const struct policy_file *f, size_t i, char *buf)
{
	return policy_rule_format(&f->rules[i], buf, POLICY_RULE_TEXT_LEN);
}

static void rules_lines_comments(void **state)
{
	struct policy_file f;
	char buf[POLICY_RULE_TEXT_LEN];

	(void)state;
	parsed("# the build VM\n"
	       "block 0.0.0.0/0\r\n"
	       "\n"
	       "   \t\n"
	       "allow tcp:github.com:443, tcp:*.github.com:443   # GitHub\n"
	       "\tallow\t@host#no space before the comment\n"
	       "block udp::53",
	       &f);
	assert_int_equal(f.count, 5);
	assert_false(f.rules[0].allow);
	assert_string_equal(text_of(&f, 0, buf), "0.0.0.0/0");
	assert_int_equal(f.lines[0], 2);
	assert_true(f.rules[1].allow && f.rules[1].is_name);
	assert_string_equal(text_of(&f, 1, buf), "tcp:github.com:443");
	assert_string_equal(text_of(&f, 2, buf), "tcp:*.github.com:443");
	assert_int_equal(f.lines[1], 5);
	assert_int_equal(f.lines[2], 5);
	assert_true(f.rules[3].is_gateway);
	assert_int_equal(f.lines[3], 6);
	assert_int_equal(f.lines[4], 7); /* the last line needs no newline */
	policy_file_free(&f);
	parsed("", &f);
	assert_int_equal(f.count, 0);
	policy_file_free(&f);
	parsed("# only a comment\n\n", &f);
	assert_int_equal(f.count, 0);
	policy_file_free(&f);
}

static void errors_name_the_line(void **state)
{
	static const char nul[] = "allow 1.2.3.4\nblock 5.6\0.7.8\n";
	char big[POLICY_FILE_LINE_MAX + 20];

	(void)state;
	refused("allow 10.0.0.0/8\n\nallow 10.0.0.1/8\n", 35,
		"3: \"10.0.0.1/8\": 10.0.0.1 has host bits set beyond /8 (the network is "
		"10.0.0.0/8)");
	refused("permit 1.2.3.4\n", 15,
		"1: \"permit 1.2.3.4\": a line is \"allow RULE\" or \"block RULE\"");
	refused("allow\n", 6, "1: \"allow\": a line is \"allow RULE\" or \"block RULE\"");
	refused("allowx 1.2.3.4\n", 15,
		"1: \"allowx 1.2.3.4\": a line is \"allow RULE\" or \"block RULE\"");
	refused("allow ,\n", 8, "1: an empty rule");
	refused("allow 1.2.3.4, ,5.6.7.8\n", 24, "1: an empty rule");
	refused(nul, sizeof(nul) - 1, "2: a NUL byte");
	memset(big, 'a', sizeof(big));
	memcpy(big, "allow ", 6);
	refused(big, sizeof(big), "1: longer than 1024 bytes");
}

static void too_many_rules(void **state)
{
	size_t cap = (POLICY_MAX_RULES + 1) * 20, len = 0;
	char *text = malloc(cap);

	(void)state;
	for (int i = 0; i <= POLICY_MAX_RULES; i++)
		len += (size_t)snprintf(text + len, cap - len, "block 10.%d.%d.0/24\n", i / 256,
					i % 256);
	refused(text, len, "4097: more than 4096 rules");
	free(text);
}

static void load_names_the_file(void **state)
{
	char path[] = "/tmp/test_policy_file.XXXXXX", err[500], want[600];
	struct policy_file f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "allow 1.2.3.4\nblock udp:x:99999\n", 32), 32);
	close(fd);
	assert_false(policy_file_load(path, &f, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: \"udp:x:99999\"", path);
	assert_memory_equal(err, want, strlen(want));
	assert_null(f.rules);
	unlink(path);
	assert_false(policy_file_load(path, &f, err, sizeof(err)));
	snprintf(want, sizeof(want), "\"%s\": No such file or directory", path);
	assert_string_equal(err, want);
	assert_false(policy_file_load("/tmp", &f, err, sizeof(err)));
	assert_string_equal(err, "\"/tmp\": not a regular file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_lines_comments),
		cmocka_unit_test(errors_name_the_line),
		cmocka_unit_test(too_many_rules),
		cmocka_unit_test(load_names_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
