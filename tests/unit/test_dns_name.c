// SPDX-License-Identifier: MIT
/* test_dns_name.c — unit tests for proto/dns_name.c: names and patterns of name rules */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dns_name.h"

static void normalize_ok(const char *in, const char *want)
{
	char out[DNS_NAME_TEXT_LEN], why[128] = "";

	if (!dns_name_normalize(in, out, why, sizeof(why)))
		fail_msg("\"%s\" refused: %s", in, why);
	assert_string_equal(out, want);
}

static void normalize_refused(const char *in, const char *why_part)
{
	char out[DNS_NAME_TEXT_LEN], why[128] = "";

	assert_false(dns_name_normalize(in, out, why, sizeof(why)));
	if (!strstr(why, why_part))
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", in, why, why_part);
}

static void names_are_lower_case_without_the_root_dot(void **state)
{
	(void)state;
	normalize_ok("GitHub.COM.", "github.com");
	normalize_ok("xn--bcher-kva.example", "xn--bcher-kva.example");
	normalize_ok("a-b.c_d.example", "a-b.c_d.example");
	normalize_ok("localhost", "localhost");
}

static void malformed_names_are_refused_with_the_reason(void **state)
{
	char long_label[80], long_name[300];

	(void)state;
	normalize_refused("", "empty name");
	normalize_refused(".", "empty name");
	normalize_refused("a..b", "empty label");
	normalize_refused("-a.com", "starts or ends with '-'");
	normalize_refused("a-.com", "starts or ends with '-'");
	normalize_refused("exa mple.com", "' ' is not a letter");
	normalize_refused("bücher.example", "ASCII form (xn--");
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com");
	normalize_refused(long_label, "longer than 63");
	for (int i = 0; i < 127; i++)
		memcpy(long_name + 2 * i, "a.", 2);
	strcpy(long_name + 254, "a");
	normalize_refused(long_name, "longer than 253");
}

static struct dns_pattern pattern(const char *text)
{
	struct dns_pattern p;
	char why[128];

	if (!dns_pattern_parse(text, &p, why, sizeof(why)))
		fail_msg("\"%s\": %s", text, why);
	return p;
}

static void wildcards_match_below_never_the_apex(void **state)
{
	struct dns_pattern exact = pattern("GitHub.com."), below = pattern("*.githubusercontent.com");
	char why[128], text[DNS_NAME_TEXT_LEN + 2];
	struct dns_pattern p;

	(void)state;
	assert_true(dns_pattern_match(&exact, "github.com"));
	assert_false(dns_pattern_match(&exact, "api.github.com"));
	assert_false(dns_pattern_match(&exact, "notgithub.com"));
	assert_true(dns_pattern_match(&below, "raw.githubusercontent.com"));
	assert_true(dns_pattern_match(&below, "a.b.githubusercontent.com"));
	assert_false(dns_pattern_match(&below, "githubusercontent.com"));
	assert_false(dns_pattern_match(&below, "evilgithubusercontent.com"));
	dns_pattern_format(&below, text, sizeof(text));
	assert_string_equal(text, "*.githubusercontent.com");
	assert_false(dns_pattern_parse("a.*.com", &p, why, sizeof(why)));
	assert_non_null(strstr(why, "first label"));
	assert_false(dns_pattern_parse("*", &p, why, sizeof(why)));
	assert_false(dns_pattern_parse("*.", &p, why, sizeof(why)));
}

static void names_are_told_from_addresses(void **state)
{
	(void)state;
	assert_true(dns_name_looks_like("github.com"));
	assert_true(dns_name_looks_like("*.example.net"));
	assert_true(dns_name_looks_like("1e100.net"));
	assert_false(dns_name_looks_like("10.0.0.0/8"));
	assert_false(dns_name_looks_like("203.0.113.7"));
	assert_false(dns_name_looks_like("@host"));
	assert_false(dns_name_looks_like(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_lower_case_without_the_root_dot),
		cmocka_unit_test(malformed_names_are_refused_with_the_reason),
		cmocka_unit_test(wildcards_match_below_never_the_apex),
		cmocka_unit_test(names_are_told_from_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
