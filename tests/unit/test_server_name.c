// SPDX-License-Identifier: MIT
/* test_server_name.c — unit tests for proto/server_name.c: TLS SNI and HTTP Host from first bytes */
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

static enum server_name_result find(const uint8_t *d, size_t n, char *name,
				    enum server_name_kind *kind)
{
	return server_name_find(d, n, name, kind);
}

static void sni_of_a_real_client_hello_and_every_prefix_wants_more(void **state)
{
	uint8_t hello[2048];
	size_t n = load("client-hello-github.com.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];
	enum server_name_kind kind;

	(void)state;
	assert_int_equal(find(hello, n, name, &kind), SERVER_NAME_FOUND);
	assert_int_equal(kind, SERVER_NAME_TLS);
	assert_string_equal(name, "github.com");
	for (size_t i = 1; i < n; i++)
		assert_int_equal(find(hello, i, name, &kind), SERVER_NAME_MORE);
}

static void client_hello_without_sni_has_no_name(void **state)
{
	uint8_t hello[2048];
	size_t n = load("client-hello-no-sni.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];
	enum server_name_kind kind;

	(void)state;
	assert_int_equal(find(hello, n, name, &kind), SERVER_NAME_ABSENT);
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
	enum server_name_kind kind;

	(void)state;
	for (size_t first = 1; first < n - 5; first += 37) {
		size_t m = split_into_two_records(hello, n, first, two);

		assert_int_equal(find(two, m, name, &kind), SERVER_NAME_FOUND);
		assert_string_equal(name, "github.com");
		for (size_t i = 1; i < m; i += 11)
			assert_int_equal(find(two, i, name, &kind), SERVER_NAME_MORE);
	}
}

static void broken_tls_is_malformed(void **state)
{
	uint8_t hello[2048];
	size_t n = load("client-hello-github.com.bin", hello, sizeof(hello));
	char name[DNS_NAME_TEXT_LEN];
	enum server_name_kind kind;

	(void)state;
	hello[5] = 2; /* a ServerHello */
	assert_int_equal(find(hello, n, name, &kind), SERVER_NAME_MALFORMED);
	hello[5] = 1;
	hello[3] = hello[4] = 0; /* an empty record */
	assert_int_equal(find(hello, n, name, &kind), SERVER_NAME_MALFORMED);
	hello[3] = 0x50; /* 20 KiB: longer than a record may be */
	assert_int_equal(find(hello, n, name, &kind), SERVER_NAME_MALFORMED);
}

static enum server_name_result http(const char *req, char *name)
{
	enum server_name_kind kind = SERVER_NAME_TLS;
	enum server_name_result r = find((const uint8_t *)req, strlen(req), name, &kind);

	if (r != SERVER_NAME_OTHER && r != SERVER_NAME_MORE)
		assert_int_equal(kind, SERVER_NAME_HTTP);
	return r;
}

static void http_host_header(void **state)
{
	const char *req = "GET /x HTTP/1.1\r\nUser-Agent: t\r\nhOsT:  Example.COM:8080 \r\n\r\n";
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	assert_int_equal(http(req, name), SERVER_NAME_FOUND);
	assert_string_equal(name, "example.com");
	for (size_t i = 1; i < strlen(req) - 4; i++) {
		char part[128];

		memcpy(part, req, i);
		part[i] = '\0';
		if (i < 43) /* before the Host line is whole */
			assert_int_equal(http(part, name), SERVER_NAME_MORE);
	}
	assert_int_equal(http("POST / HTTP/1.0\r\n\r\n", name), SERVER_NAME_ABSENT);
	assert_int_equal(http("GET / HTTP/1.1\nHost: a.test\n\n", name), SERVER_NAME_FOUND);
	assert_int_equal(http("GET / HTTP/1.1\r\nHost: 203.0.113.7\r\n\r\n", name),
			 SERVER_NAME_MALFORMED);
	assert_int_equal(http("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", name),
			 SERVER_NAME_MALFORMED);
	assert_int_equal(http("GET / HTTP/1.1\r\nHost: \r\n\r\n", name), SERVER_NAME_MALFORMED);
}

static void other_protocols_are_not_judged(void **state)
{
	char name[DNS_NAME_TEXT_LEN];

	(void)state;
	assert_int_equal(http("SSH-2.0-OpenSSH_9.2\r\n", name), SERVER_NAME_OTHER);
	assert_int_equal(http("GETX / HTTP/1.1\r\n", name), SERVER_NAME_OTHER);
	assert_int_equal(http("G", name), SERVER_NAME_MORE);
	assert_int_equal(http("OPTIONS", name), SERVER_NAME_MORE);
	assert_int_equal(http("\x01\x02", name), SERVER_NAME_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sni_of_a_real_client_hello_and_every_prefix_wants_more),
		cmocka_unit_test(client_hello_without_sni_has_no_name),
		cmocka_unit_test(client_hello_in_two_records),
		cmocka_unit_test(broken_tls_is_malformed),
		cmocka_unit_test(http_host_header),
		cmocka_unit_test(other_protocols_are_not_judged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
