// SPDX-License-Identifier: MIT
/* test_rulebook.c — unit tests for app/rulebook.c: the rules in force by origin, reloads that fail */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/rulebook.h"
#include "test_config.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct fixture {
	struct config cfg;
	struct guard guard;
	struct rulebook rb;
	char path[64];
};

static struct policy_rule rule(const char *text, bool allow)
{
	struct policy_rule r;
	char why[300];

	if (!policy_rule_parse(text, allow, &r, why, sizeof(why)))
		fail_msg("%s: %s", text, why);
	return r;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The non-built-in entries as "origin:line:verdict rule;..." */
static const char *listing(const struct rulebook *rb, char *out, size_t size)
{
	const struct policy *p = guard_policy(rb->guard);
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < policy_entry_count(p); i++) {
		const struct policy_entry *e = policy_entry(p, i);
		char text[POLICY_RULE_TEXT_LEN];
		uint32_t line;
		enum rule_origin o = rulebook_origin(rb, i, &line);

		assert_int_equal(o == RULE_BUILTIN, e->builtin);
		if (o == RULE_BUILTIN)
			continue;
		n += (size_t)snprintf(out + n, size - n, "%s:%u:%s %s;", rule_origin_name(o), line,
				      e->rule.allow ? "allow" : "block",
				      policy_rule_format(&e->rule, text, sizeof(text)));
	}
	return out;
}

static int setup(void **state)
{
	static struct policy_rule cmdline[2];
	struct fixture *fx = calloc(1, sizeof(*fx));
	int fd;

	test_config(&fx->cfg, MAC);
	cmdline[0] = rule("10.1.0.0/16", true);
	cmdline[1] = rule("tcp::25", false);
	fx->cfg.policy.rules = cmdline;
	fx->cfg.policy.count = 2;
	assert_int_equal(guard_init(&fx->guard, &fx->cfg.vm, &fx->cfg.net4, &fx->cfg.net6,
				    &fx->cfg.policy, NULL),
			 0);
	strcpy(fx->path, "/tmp/test_rulebook.XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	close(fd);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	rulebook_fini(&fx->rb);
	guard_fini(&fx->guard);
	unlink(fx->path);
	free(fx);
	return 0;
}

static void origins_are_listed_apart(void **state)
{
	struct fixture *fx = *state;
	struct policy_file file;
	char err[400], out[2000];
	struct policy_rule gh = rule("tcp:github.com:443", true);

	write_file(fx->path, "# file\nallow 10.2.0.0/16\n\nblock 10.2.3.0/24\n");
	assert_true(policy_file_load(fx->path, &file, err, sizeof(err)));
	assert_int_equal(rulebook_init(&fx->rb, &fx->guard, &fx->cfg.policy, fx->path, &file), 0);
	policy_file_free(&file);
	assert_string_equal(listing(&fx->rb, out, sizeof(out)),
			    "command-line:0:allow 10.1.0.0/16;command-line:0:block tcp:0.0.0.0/0:25;"
			    "file:2:allow 10.2.0.0/16;file:4:block 10.2.3.0/24;");
	assert_int_equal(rulebook_add(&fx->rb, &gh), 0);
	assert_int_equal(rulebook_add(&fx->rb, &gh), -EEXIST);
	/* a rule the file or the command line has is in force already */
	gh = rule("udp::53", false);
	assert_int_equal(rulebook_add(&fx->rb, &gh), 0);
	assert_int_equal(rulebook_add(&fx->rb, &gh), -EEXIST);
	gh = rule("udp::53", true); /* the other verdict is another rule */
	assert_int_equal(rulebook_add(&fx->rb, &gh), 0);
	assert_int_equal(rulebook_del(&fx->rb, &gh), 0);
	gh = rule("10.2.0.0/16", true);
	assert_int_equal(rulebook_add(&fx->rb, &gh), -EEXIST);
	gh = rule("10.1.0.0/16", true);
	assert_int_equal(rulebook_add(&fx->rb, &gh), -EEXIST);
	assert_string_equal(listing(&fx->rb, out, sizeof(out)),
			    "command-line:0:allow 10.1.0.0/16;command-line:0:block tcp:0.0.0.0/0:25;"
			    "file:2:allow 10.2.0.0/16;file:4:block 10.2.3.0/24;"
			    "ctl:0:allow tcp:github.com:443;ctl:0:block udp:0.0.0.0/0:53;");
	/* the guard judges by it: 10.2.x is let through, 10.2.3.x not */
	struct inet_addr in = inet_from_v4(0x0a020101), out_ = inet_from_v4(0x0a020301);

	assert_true(policy_allows(guard_policy(&fx->guard), &in, 17, 53, POLICY_PORT_KNOWN));
	assert_false(policy_allows(guard_policy(&fx->guard), &out_, 17, 53, POLICY_PORT_KNOWN));
}

static void del_from_whichever_origin(void **state)
{
	struct fixture *fx = *state;
	char out[2000];
	struct policy_rule smtp = rule("tcp::25", false), gone = rule("10.9.0.0/16", true);

	assert_int_equal(rulebook_init(&fx->rb, &fx->guard, &fx->cfg.policy, NULL, NULL), 0);
	assert_int_equal(rulebook_del(&fx->rb, &smtp), 0);
	assert_int_equal(rulebook_del(&fx->rb, &smtp), -ENOENT);
	assert_int_equal(rulebook_del(&fx->rb, &gone), -ENOENT);
	assert_string_equal(listing(&fx->rb, out, sizeof(out)), "command-line:0:allow 10.1.0.0/16;");
}

static void reload_with_an_error_keeps_the_rules(void **state)
{
	struct fixture *fx = *state;
	char err[400], out[2000], before[2000], want[500];
	uint64_t generation;

	write_file(fx->path, "allow 10.3.0.0/16\n");
	assert_int_equal(rulebook_init(&fx->rb, &fx->guard, &fx->cfg.policy, fx->path, NULL), 0);
	assert_int_equal(rulebook_reload(&fx->rb, err, sizeof(err)), 1);
	listing(&fx->rb, before, sizeof(before));
	generation = fx->rb.generation;
	write_file(fx->path, "allow 10.4.0.0/16\nallow 10.4.0.1/16\n");
	assert_int_equal(rulebook_reload(&fx->rb, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: \"10.4.0.1/16\"", fx->path);
	assert_memory_equal(err, want, strlen(want));
	assert_string_equal(listing(&fx->rb, out, sizeof(out)), before);
	assert_int_equal(fx->rb.generation, generation);
	assert_int_equal(fx->rb.reloads, 1);
	assert_int_equal(fx->rb.reload_errors, 1);
	unlink(fx->path);
	assert_int_equal(rulebook_reload(&fx->rb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_string_equal(listing(&fx->rb, out, sizeof(out)), before);
}

static void counts_carry_over_a_reload(void **state)
{
	struct fixture *fx = *state;
	char err[400];
	const struct policy *p;

	write_file(fx->path, "allow 10.5.0.0/16\n");
	assert_int_equal(rulebook_init(&fx->rb, &fx->guard, &fx->cfg.policy, fx->path, NULL), 0);
	assert_int_equal(rulebook_reload(&fx->rb, err, sizeof(err)), 1);
	p = guard_policy(&fx->guard);
	(*policy_hits(p, fx->rb.builtins))++; /* the command line's first rule decided once */
	write_file(fx->path, "allow 10.5.0.0/16\nblock 10.6.0.0/16\n");
	assert_int_equal(rulebook_reload(&fx->rb, err, sizeof(err)), 2);
	assert_int_equal(*policy_hits(guard_policy(&fx->guard), fx->rb.builtins), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(origins_are_listed_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(del_from_whichever_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_with_an_error_keeps_the_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(counts_carry_over_a_reload, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
