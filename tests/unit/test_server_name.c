// SPDX-License-Identifier: MIT
/* test_server_name.c — unit tests for proto/server_name.c: the SNI of TLS ClientHellos */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/server_name.h"

/*
 * tests/data/client-hello-github.com.bin and client-hello-no-sni.bin: what Python 3.11's
 * ssl module (OpenSSL 3.0, Debian 12) sends first, from
 * ctx.wrap_bio(MemoryBIO(), out, server_hostname="GitHub.com" | None).do_handshake().
 */
static size_t load(const char *name, uint8_t *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static enum server_name_result find(const uint8_t *d, size_t n, char *name)
{
	return tls_server_name(d, n, name);
}

static void sni_of_a_real_client_hello_and_every_prefix_wants_more(void **state)
{
	uint8_t hello[2048];
	size_t n = load("client-hello-github.com.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	assert_int_equal(find(hello, n, name), SERVER_NAME_FOUND);
	assert_string_equal(name, "github.com");
	for (size_t i = 1; i < n; i++)
		assert_int_equal(find(hello, i, name), SERVER_NAME_MORE);
}

static void client_hello_without_sni_has_no_name(void **state)
{
	uint8_t hello[2048];
	size_t n = load("client-hello-no-sni.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	assert_int_equal(find(hello, n, name), SERVER_NAME_ABSENT);
}

/* The same handshake message in records of @first and then the rest of the bytes. */
static size_t split_into_two_records(const uint8_t *in, size_t n, size_t first, uint8_t *out)
{
	size_t body = n - 5;

	memcpy(out, in, 3);
	out[3] = (uint8_t)(first >> 8);
	out[4] = (uint8_t)first;
	memcpy(out + 5, in + 5, first);
	memcpy(out + 5 + first, in, 3);
	out[5 + first + 3] = (uint8_t)((body - first) >> 8);
	out[5 + first + 4] = (uint8_t)(body - first);
	memcpy(out + 10 + first, in + 5 + first, body - first);
	return n + 5;
}

static void client_hello_in_two_records(void **state)
{
	uint8_t hello[2048], two[2100];
	size_t n = load("client-hello-github.com.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	for (size_t first = 1; first < n - 5; first += 37) {
		size_t m = split_into_two_records(hello, n, first, two);

		assert_int_equal(find(two, m, name), SERVER_NAME_FOUND);
		assert_string_equal(name, "github.com");
		for (size_t i = 1; i < m; i += 11)
			assert_int_equal(find(two, i, name), SERVER_NAME_MORE);
	}
}

static void broken_tls_is_malformed(void **state)
{
	uint8_t hello[2048];
	size_t n = load("client-hello-github.com.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	hello[5] = 2; /* a ServerHello */
	assert_int_equal(find(hello, n, name), SERVER_NAME_MALFORMED);
	hello[5] = 1;
	hello[3] = hello[4] = 0; /* an empty record */
	assert_int_equal(find(hello, n, name), SERVER_NAME_MALFORMED);
	hello[3] = 0x50; /* 20 KiB: longer than a record may be */
	assert_int_equal(find(hello, n, name), SERVER_NAME_MALFORMED);
}

/* Not a TLS handshake record: not read here (HTTP is proto/http_head.c's). */
static void other_protocols_are_not_tls(void **state)
{
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	assert_int_equal(find((const uint8_t *)"SSH-2.0-OpenSSH_9.2\r\n", 21, name),
			 SERVER_NAME_OTHER);
	assert_int_equal(find((const uint8_t *)"GET / HTTP/1.1\r\n", 16, name), SERVER_NAME_OTHER);
	assert_int_equal(find((const uint8_t *)"", 0, name), SERVER_NAME_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sni_of_a_real_client_hello_and_every_prefix_wants_more),
		cmocka_unit_test(client_hello_without_sni_has_no_name),
		cmocka_unit_test(client_hello_in_two_records),
		cmocka_unit_test(broken_tls_is_malformed),
		cmocka_unit_test(other_protocols_are_not_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
