// SPDX-License-Identifier: MIT
/* test_expose_spec.c — unit tests for app/expose_spec.c: --expose's SPEC, read and written back */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/expose_spec.h"

static struct expose ok(const char *text)
{
	struct expose e;
	char err[200];

	if (!expose_spec_parse(text, &e, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	return e;
}

static void refused(const char *text, const char *why)
{
	struct expose e;
	char err[200] = "";

	assert_false(expose_spec_parse(text, &e, err, sizeof(err)));
	if (!strstr(err, why))
		fail_msg("%s: \"%s\" does not say \"%s\"", text, err, why);
}

static void specs(void **state)
{
	struct expose e;
	char text[EXPOSE_SPEC_TEXT_LEN];

	(void)state;
	e = ok("2222:22"); /* softnet's form keeps its meaning: tcp, every address */
	assert_int_equal(e.bind, 0);
	assert_int_equal(e.host_lo, 2222);
	assert_int_equal(e.vm_lo, 22);
	assert_int_equal(e.proto, 6);
	e = ok("127.0.0.1:8080:80/tcp");
	assert_int_equal(e.bind, 0x7f000001);
	assert_string_equal(expose_spec_format(&e, text, sizeof(text)), "127.0.0.1:8080:80/tcp");
	e = ok("5000-5009:6000-6009/udp");
	assert_int_equal(e.proto, 17);
	assert_int_equal(expose_ports(&e), 10);
	assert_string_equal(expose_spec_format(&e, text, sizeof(text)), "5000-5009:6000-6009/udp");
}

static void bad_specs_say_why(void **state)
{
	(void)state;
	refused("8080", "want HOST_PORT:VM_PORT");
	refused("1:2:3:4", "too many ':'");
	refused("8080-8082:80", "differ in number");
	refused("8080:80/sctp", "neither /tcp nor /udp");
	refused("1.2.3:8080:80", "not an IPv4 address");
	refused("0:80", "\"0\" is not a port");
	refused("8080:99999", "\"99999\" is not a port");
	refused("9000-8000:80-81", "\"9000-8000\" is not a port");
	refused("1-2000:1-2000", "more than 1024 ports");
}

static void overlaps(void **state)
{
	struct expose a = ok("8080-8090:80-90"), b = ok("8085:22"), c = ok("8085:22/udp"),
		      d = ok("127.0.0.1:8085:22"), e = ok("10.0.0.1:8085:22");

	(void)state;
	assert_true(expose_overlaps(&a, &b));
	assert_false(expose_overlaps(&a, &c)); /* another protocol */
	assert_true(expose_overlaps(&a, &d));  /* every address includes 127.0.0.1 */
	assert_false(expose_overlaps(&d, &e)); /* two addresses of their own */
	assert_true(expose_same(&b, &b));
	assert_false(expose_same(&b, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(specs),
		cmocka_unit_test(bad_specs_say_why),
		cmocka_unit_test(overlaps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
