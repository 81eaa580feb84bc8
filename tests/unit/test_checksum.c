// SPDX-License-Identifier: MIT
/* test_checksum.c — unit tests of src/checksum.c against the plain RFC 1071 byte-pair sum */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "proto/checksum.h"

/* RFC 1071's reference: big-endian 16-bit words, one at a time */
static uint16_t reference(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* every length up to 300 at every alignment, random bytes and all-ones (carries) */
static void test_matches_reference(void **state)
{
	static uint8_t buf[400];

	(void)state;
	srand(7);
	for (int fill = 0; fill < 2; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = fill ? 0xff : (uint8_t)rand();
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len <= 300; len++)
				assert_int_equal(checksum_final(checksum_add(0, buf + off, len)),
						 reference(buf + off, len, 0));
	}
}

/* a sum continued piece by piece (even pieces, odd last) equals the sum of the whole */
static void test_pieces(void **state)
{
	static uint8_t buf[1500];
	uint64_t sum = 0;
	size_t at = 0, pieces[] = {12, 20, 32, 2, 1000, 433};

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		sum = checksum_add(sum, buf + at, pieces[i]);
		at += pieces[i];
	}
	assert_int_equal(checksum_final(sum), reference(buf, at, 0));
}

/* RFC 1071 §3's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
static void test_rfc1071_example(void **state)
{
	const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(checksum_fold(checksum_add(0, data, sizeof(data))), 0xddf2);
	assert_int_equal(checksum_final(checksum_add(0, data, sizeof(data))), 0x220d);
}

/* the pseudo-header: 10.0.0.1 -> 10.0.0.2, TCP, length 20 */
static void test_pseudo_header(void **state)
{
	uint8_t ip[20] = {0x45, [9] = 6, [12] = 10, 0, 0, 1, 10, 0, 0, 2};
	const uint8_t pseudo[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 20};

	(void)state;
	assert_int_equal(checksum_final(checksum_pseudo_ipv4(ip, 6, 20)),
			 reference(pseudo, sizeof(pseudo), 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_reference),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_pseudo_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
