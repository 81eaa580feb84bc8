// SPDX-License-Identifier: MIT
/* test_dns_proxy.c — unit tests of backend/linux/dns_proxy.c: which upstream resolvers are used */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/linux/dns_proxy.h"

static char path[64];

static void write_conf(const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/svm-test-resolv-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void resolv_conf_ipv4_servers_in_order(void **state)
{
	uint32_t out[3] = {0};

	(void)state;
	write_conf("# generated\n"
		   "search example.org\n"
		   "nameserver 127.0.0.53\n"
		   "options edns0 trust-ad\n"
		   "nameserver 2001:db8::1\n"
		   "  nameserver\t192.0.2.53  # trailing words\n"
		   "nameserver 192.168.64.1\n" /* the gateway: would loop */
		   "nameserver not-an-address\n"
		   "nameserver 198.51.100.53\n"
		   "nameserver 198.51.100.54\n");
	assert_int_equal(dns_resolv_conf_servers(path, 0xc0a84001, out, 3), 3);
	assert_int_equal(out[0], 0x7f000035);
	assert_int_equal(out[1], 0xc0000235);
	assert_int_equal(out[2], 0xc6336435);
	unlink(path);
}

static void resolv_conf_missing_or_empty(void **state)
{
	uint32_t out[3];

	(void)state;
	assert_int_equal(dns_resolv_conf_servers("/nonexistent/resolv.conf", 0, out, 3), 0);
	write_conf("");
	assert_int_equal(dns_resolv_conf_servers(path, 0, out, 3), 0);
	unlink(path);
	/* a line longer than the read buffer does not confuse the next one */
	write_conf(
		"search "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		"nameserver 10.0.0.1\n");
	assert_int_equal(dns_resolv_conf_servers(path, 0, out, 3), 1);
	assert_int_equal(out[0], 0x0a000001);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolv_conf_ipv4_servers_in_order),
		cmocka_unit_test(resolv_conf_missing_or_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
