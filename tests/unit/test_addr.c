// SPDX-License-Identifier: MIT
/* test_addr.c — unit tests of src/addr.c: MAC, IPv4 and prefix parsing */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "proto/addr.h"
#include "proto/sha1.h"
#include "proto/ula.h"

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

static void ipv6_prefixes(void **state)
{
	struct inet_prefix p;
	char text[INET_TEXT_LEN];

	(void)state;
	assert_true(inet6_cidr_parse("2001:db8:100::/64", &p));
	assert_int_equal(p.len, 64);
	assert_false(inet_prefix_host_bits(&p));
	assert_true(inet6_cidr_parse("2001:db8::1", &p));
	assert_int_equal(p.len, 128);
	assert_true(inet6_cidr_parse("2001:db8::1/32", &p));
	assert_true(inet_prefix_host_bits(&p));
	inet_prefix_clear_host_bits(&p);
	inet_format(&p.addr, text);
	assert_string_equal(text, "2001:db8::");
	assert_true(inet6_cidr_parse("2001:db8::/33", &p));
	p.addr.b[4] = 0x80;
	assert_false(inet_prefix_host_bits(&p));
	p.addr.b[4] = 0x40;
	assert_true(inet_prefix_host_bits(&p));
	assert_false(inet6_cidr_parse("2001:db8::/129", &p));
	assert_false(inet6_cidr_parse("2001:db8::/", &p));
	assert_false(inet6_cidr_parse("10.0.0.0/8", &p));
	assert_false(inet6_cidr_parse("::ffff:10.0.0.1", &p)); /* IPv4 in disguise */
	assert_false(inet6_cidr_parse("fe80::1%eth0", &p));
	assert_true(inet6_cidr_parse("2001:db8::/32", &p));
	assert_true(inet_prefix_contains(&p, &(struct inet_addr){{0x20, 0x01, 0x0d, 0xb8, 0xff}}));
	assert_false(inet_prefix_contains(&p, &(struct inet_addr){{0x20, 0x01, 0x0d, 0xb9}}));
	assert_false(inet_prefix_contains(&p, &(struct inet_addr){
						      {[10] = 0xff, [11] = 0xff, [12] = 0x20}}));
}

static void ipv6_link_addresses(void **state)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct inet_addr a, g;
	char text[INET_TEXT_LEN];

	(void)state;
	inet6_link_local_of_mac(mac, &a);
	inet_format(&a, text);
	assert_string_equal(text, "fe80::5054:ff:fe12:3456"); /* what Linux forms from it */
	assert_true(inet6_is_link_local(&a));
	assert_false(inet6_is_multicast(&a));
	inet6_solicited_node(&a, &g);
	inet_format(&g, text);
	assert_string_equal(text, "ff02::1:ff12:3456");
	assert_true(inet6_is_multicast(&g));
	assert_false(inet6_is_multicast(&(struct inet_addr){{[10] = 0xff, [11] = 0xff, [12] = 0xff}}));
}

static void sha1_vectors(void **state)
{
	/* RFC 3174 7.3's test cases 1 and 2, and the empty message */
	static const char *const in[] = {
		"abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", ""};
	static const char *const want[] = {"a9993e364706816aba3e25717850c26c9cd0d89d",
					   "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
					   "da39a3ee5e6b4b0d3255bfef95601890afd80709"};
	static uint8_t million[1000000];
	uint8_t d[SHA1_DIGEST_LEN];
	char hex[2 * SHA1_DIGEST_LEN + 1];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sha1(in[i], strlen(in[i]), d);
		for (int k = 0; k < SHA1_DIGEST_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", d[k]);
		assert_string_equal(hex, want[i]);
	}
	/* test case 3: a million times "a" */
	memset(million, 'a', sizeof(million));
	sha1(million, sizeof(million), d);
	for (int k = 0; k < SHA1_DIGEST_LEN; k++)
		snprintf(hex + 2 * k, 3, "%02x", d[k]);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void unique_local_prefixes(void **state)
{
	struct inet_prefix a, b, c;

	(void)state;
	ula_prefix("host-1/svmnet0", 14, &a);
	ula_prefix("host-1/svmnet0", 14, &b);
	ula_prefix("host-2/svmnet0", 14, &c);
	assert_true(inet_equal(&a.addr, &b.addr)); /* stable */
	assert_false(inet_equal(&a.addr, &c.addr));
	assert_int_equal(a.len, 64);
	assert_int_equal(a.addr.b[0], 0xfd);
	assert_true(ula_is_unique_local(&a.addr));
	assert_false(inet_prefix_host_bits(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(macs),
		cmocka_unit_test(ipv4_addresses),
		cmocka_unit_test(prefixes),
		cmocka_unit_test(ipv6_prefixes),
		cmocka_unit_test(ipv6_link_addresses),
		cmocka_unit_test(sha1_vectors),
		cmocka_unit_test(unique_local_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
