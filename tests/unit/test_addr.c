// SPDX-License-Identifier: MIT
/* test_addr.c — unit tests of src/addr.c: MAC, IPv4 and prefix parsing */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/addr.h"

static void macs(void **state)
{
	uint8_t mac[6];
	char text[MAC_TEXT_LEN];

	(void)state;
	assert_true(mac_parse("52:54:00:AB:cd:ef", mac));
	mac_format(mac, text);
	assert_string_equal(text, "52:54:00:ab:cd:ef");
	assert_true(mac_parse("52-54-00-ab-cd-ef", mac));
	assert_false(mac_parse("52:54:00:ab:cd", mac));
	assert_false(mac_parse("52:54:00:ab:cd:ef:", mac));
	assert_false(mac_parse("5:54:00:ab:cd:ef", mac));
	assert_false(mac_parse("52:54:00:ab:cd:eg", mac));
	assert_false(mac_parse("", mac));
}

static void ipv4_addresses(void **state)
{
	uint32_t a;
	char text[IPV4_TEXT_LEN];

	(void)state;
	assert_true(ipv4_parse("192.168.64.1", &a));
	assert_int_equal(a, 0xc0a84001);
	ipv4_format(a, text);
	assert_string_equal(text, "192.168.64.1");
	assert_true(ipv4_parse("0.0.0.0", &a));
	assert_true(ipv4_parse("255.255.255.255", &a));
	assert_false(ipv4_parse("256.0.0.1", &a));
	assert_false(ipv4_parse("1.2.3", &a));
	assert_false(ipv4_parse("1.2.3.4.5", &a));
	assert_false(ipv4_parse("1.2.3.4 ", &a));
	assert_false(ipv4_parse("1..3.4", &a));
	assert_false(ipv4_parse("0001.2.3.4", &a));
	assert_false(ipv4_parse("-1.2.3.4", &a));
}

static void prefixes(void **state)
{
	uint32_t net;
	unsigned len;

	(void)state;
	assert_int_equal(ipv4_mask_prefix_len(0xffffff00), 24);
	assert_int_equal(ipv4_mask_prefix_len(0), 0);
	assert_int_equal(ipv4_mask_prefix_len(0xffffffff), 32);
	assert_int_equal(ipv4_mask_prefix_len(0xff00ff00), -1);
	assert_true(ipv4_cidr_parse("10.1.2.3/8", &net, &len));
	assert_int_equal(net, 0x0a000000);
	assert_int_equal(len, 8);
	assert_true(ipv4_cidr_parse("10.1.2.3", &net, &len));
	assert_int_equal(len, 32);
	assert_false(ipv4_cidr_parse("10.1.2.3/33", &net, &len));
	assert_false(ipv4_cidr_parse("10.1.2.3/", &net, &len));
	assert_false(ipv4_cidr_parse("10.1.2.3/-1", &net, &len));
	assert_false(ipv4_cidr_parse("10.1.2/8", &net, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(macs),
		cmocka_unit_test(ipv4_addresses),
		cmocka_unit_test(prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
