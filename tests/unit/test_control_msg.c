// SPDX-License-Identifier: MIT
/* test_control_msg.c — unit tests for app/control_msg.c: the control socket's requests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/control_msg.h"

static struct control_request ok(const char *line)
{
	struct control_request req;
	char err[300] = "";

	if (!control_request_parse(line, strlen(line), &req, err, sizeof(err)))
		fail_msg("%s: %s", line, err);
	return req;
}

static void refused(const char *line, size_t len, const char *why)
{
	struct control_request req;
	char err[300] = "";

	assert_false(control_request_parse(line, len, &req, err, sizeof(err)));
	if (!strstr(err, why))
		fail_msg("\"%.*s\": \"%s\" does not say \"%s\"", (int)len, line, err, why);
}

static void commands(void **state)
{
	struct control_request r;

	(void)state;
	assert_int_equal(ok("{\"cmd\":\"stats\"}").cmd, CONTROL_STATS);
	assert_int_equal(ok(" {\"cmd\": \"rules\"}\r").cmd, CONTROL_RULES);
	assert_int_equal(ok("{\"cmd\":\"names\",\"extra\":1}").cmd, CONTROL_NAMES);
	r = ok("{\"cmd\":\"rule-add\",\"verdict\":\"allow\",\"rule\":\"tcp:GitHub.com:443\"}");
	assert_int_equal(r.cmd, CONTROL_RULE_ADD);
	assert_true(r.rule.allow && r.rule.is_name);
	assert_string_equal(r.rule.name.name, "github.com");
	r = ok("{\"cmd\":\"rule-del\",\"verdict\":\"block\",\"rule\":\"10.0.0.0/8\"}");
	assert_int_equal(r.cmd, CONTROL_RULE_DEL);
	assert_false(r.rule.allow);
}

static void bad_requests_say_why(void **state)
{
	static const char nul[] = "{\"cmd\":\"stats\"}\0";
	char big[CONTROL_LINE_MAX + 2];

	(void)state;
	refused("{nope", 5, "not JSON");
	refused("{\"cmd\":\"stats\"", 14, "not JSON");
	refused("{\"cmd\":\"stats\"} {}", 18, "more after the object");
	refused(nul, sizeof(nul) - 1, "NUL");
	refused("[1,2]", 5, "a JSON object");
	refused("{}", 2, "no \"cmd\"");
	refused("{\"cmd\":7}", 9, "no \"cmd\"");
	refused("{\"cmd\":\"reboot\"}", 16, "unknown command \"reboot\"");
	refused("{\"cmd\":\"rule-add\",\"rule\":\"1.2.3.4\"}", 35, "\"verdict\" must be");
	refused("{\"cmd\":\"rule-add\",\"verdict\":\"maybe\",\"rule\":\"1.2.3.4\"}", 53,
		"\"verdict\" must be");
	refused("{\"cmd\":\"rule-add\",\"verdict\":\"allow\"}", 36, "\"rule\" must be a string");
	refused("{\"cmd\":\"rule-add\",\"verdict\":\"allow\",\"rule\":\"10.0.0.1/8\"}", 56,
		"rule: \"10.0.0.1/8\": 10.0.0.1 has host bits set");
	memset(big, ' ', sizeof(big));
	refused(big, sizeof(big), "longer than 4096");
}

static void operators_commands(void **state)
{
	struct control_request r;

	(void)state;
	assert_int_equal(ok("{\"cmd\":\"flows\"}").cmd, CONTROL_FLOWS);
	assert_int_equal(ok("{\"cmd\":\"metrics\"}").cmd, CONTROL_METRICS);
	assert_int_equal(ok("{\"cmd\":\"reload\"}").cmd, CONTROL_RELOAD);
	assert_int_equal(ok("{\"cmd\":\"pcap-stop\"}").cmd, CONTROL_PCAP_STOP);
	r = ok("{\"cmd\":\"pcap-start\",\"file\":\"/var/tmp/vm 1.pcap\"}");
	assert_int_equal(r.cmd, CONTROL_PCAP_START);
	assert_string_equal(r.file, "/var/tmp/vm 1.pcap");
	refused("{\"cmd\":\"pcap-start\"}", 20, "\"file\" must be a string");
	refused("{\"cmd\":\"pcap-start\",\"file\":7}", 29, "\"file\" must be a string");
	refused("{\"cmd\":\"pcap-start\",\"file\":\"x.pcap\"}", 36, "an absolute path");
	refused("{\"cmd\":\"pcap-start\",\"file\":\"\"}", 30, "an absolute path");
	/* a NUL inside the string would cut the path short: refused */
	refused("{\"cmd\":\"pcap-start\",\"file\":\"/a\\u0000b\"}", 39, "an absolute path");
}

static void long_paths_are_refused(void **state)
{
	char line[CONTROL_LINE_MAX];
	int n;

	(void)state;
	n = snprintf(line, sizeof(line), "{\"cmd\":\"pcap-start\",\"file\":\"/");
	memset(line + n, 'a', CONTROL_PATH_MAX);
	n += CONTROL_PATH_MAX;
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\"}");
	refused(line, (size_t)n, "longer than 1023 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commands),
		cmocka_unit_test(operators_commands),
		cmocka_unit_test(long_paths_are_refused),
		cmocka_unit_test(bad_requests_say_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
