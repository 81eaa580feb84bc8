// SPDX-License-Identifier: MIT
/* test_http_head.c — unit tests of proto/http_head.c: request heads read strictly, chunked bodies */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/http_head.h"

static enum http_head_result parse(const char *text, struct http_head *h)
{
	return http_head_parse((const uint8_t *)text, strlen(text), h);
}

/* Every proper prefix of @text is MORE (or NOT_HTTP/MALFORMED exactly where the whole is). */
static void prefixes_agree(const char *text, enum http_head_result whole)
{
	struct http_head h;

	for (size_t i = 0; i < strlen(text); i++) {
		enum http_head_result r = http_head_parse((const uint8_t *)text, i, &h);

		if (r != HTTP_HEAD_MORE && r != whole)
			fail_msg("prefix %zu of \"%s\": %d, whole: %d", i, text, r, whole);
	}
}

static void plain_request(void **state)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nHost: Allowed.Test:8080\r\n"
				  "User-Agent: x\r\n\r\n";
	struct http_head h;

	(void)state;
	assert_int_equal(parse(req, &h), HTTP_HEAD_COMPLETE);
	assert_int_equal(h.len, strlen(req));
	assert_string_equal(h.host, "allowed.test");
	assert_string_equal(h.target_host, "");
	assert_int_equal(h.body, HTTP_BODY_NONE);
	assert_false(h.switches);
	prefixes_agree(req, HTTP_HEAD_COMPLETE);
}

static void pipelined_requests_end_at_the_first_head(void **state)
{
	static const char two[] = "GET /a HTTP/1.1\nHost: a.test\n\nGET /b HTTP/1.1\nHost: b.test\n\n";
	struct http_head h;

	(void)state;
	assert_int_equal(parse(two, &h), HTTP_HEAD_COMPLETE);
	assert_int_equal(h.len, strlen("GET /a HTTP/1.1\nHost: a.test\n\n"));
	assert_string_equal(h.host, "a.test");
	assert_int_equal(http_head_parse((const uint8_t *)two + h.len, strlen(two) - h.len, &h),
			 HTTP_HEAD_COMPLETE);
	assert_string_equal(h.host, "b.test");
}

/* RFC 9112 2.2: servers skip empty lines before the request line; so does the check. */
static void leading_empty_lines_are_skipped(void **state)
{
	static const char req[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	struct http_head h;

	(void)state;
	assert_int_equal(parse(req, &h), HTTP_HEAD_COMPLETE);
	assert_string_equal(h.host, "evil.test");
	assert_int_equal(h.len, strlen(req));
	prefixes_agree(req, HTTP_HEAD_COMPLETE);
	assert_int_equal(parse("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
	assert_int_equal(parse("\rGET / HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
}

/* RFC 9112 3.2.2: the absolute-form's authority is what the server serves, not Host. */
static void absolute_and_authority_forms_name_their_host(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("GET http://Evil.Test/x HTTP/1.1\r\nHost: allowed.test\r\n\r\n", &h),
			 HTTP_HEAD_COMPLETE);
	assert_string_equal(h.target_host, "evil.test");
	assert_string_equal(h.host, "allowed.test");
	assert_int_equal(parse("GET https://evil.test:8443?q HTTP/1.1\r\nHost: a.test\r\n\r\n", &h),
			 HTTP_HEAD_COMPLETE);
	assert_string_equal(h.target_host, "evil.test");
	assert_int_equal(parse("CONNECT evil.test:443 HTTP/1.1\r\nHost: allowed.test\r\n\r\n", &h),
			 HTTP_HEAD_COMPLETE);
	assert_string_equal(h.target_host, "evil.test");
	assert_true(h.switches);
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: a.test\r\n\r\n", &h), HTTP_HEAD_COMPLETE);
	assert_string_equal(h.target_host, "");
	/* what servers disagree on is refused */
	assert_int_equal(parse("GET http://allowed.test@evil.test/ HTTP/1.1\r\n", &h),
			 HTTP_HEAD_MALFORMED);
	assert_int_equal(parse("GET http://[::1]/ HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
	assert_int_equal(parse("GET http://10.0.0.1/ HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
	assert_int_equal(parse("GET evil.test HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
	assert_int_equal(parse("CONNECT evil.test HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
	assert_int_equal(parse("GET * HTTP/1.1\r\n", &h), HTTP_HEAD_MALFORMED);
}

static void fields_servers_disagree_on_are_refused(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a.test\r\n\r\n",
		"GET / HTTP/1.1\r\nX: y\r\n Host: b.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test\rHost: b.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test\r\nX: a\001b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: 192.168.1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test:99999\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1, 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		("POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
		 "Content-Length: 3\r\n\r\n"),
		"POST / HTTP/1.0\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.2\r\nHost: a.test\r\n\r\n",
		"GET /  HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: a.test\r\n\r\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &h) != HTTP_HEAD_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(h.why);
		prefixes_agree(bad[i], HTTP_HEAD_MALFORMED);
	}
}

static void bodies_are_framed(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 12\r\n\r\n", &h),
			 HTTP_HEAD_COMPLETE);
	assert_int_equal(h.body, HTTP_BODY_LENGTH);
	assert_int_equal(h.body_len, 12);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a.test\r\ntransfer-encoding: Chunked\r\n\r\n",
			       &h),
			 HTTP_HEAD_COMPLETE);
	assert_int_equal(h.body, HTTP_BODY_CHUNKED);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\n\r\n", &h),
			 HTTP_HEAD_COMPLETE);
	assert_true(h.switches);
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: y\r\n\r\n", &h), HTTP_HEAD_COMPLETE);
	assert_string_equal(h.host, ""); /* no Host: complete, and nothing to judge it by */
}

static void other_protocols_are_not_http(void **state)
{
	static const char *const other[] = {
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "\x16\x03\x01\x02",
		"get / HTTP/1.1\r\n", "GET\t/ HTTP/1.1\r\n", "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (parse(other[i], &h) != HTTP_HEAD_NOT_HTTP)
			fail_msg("taken for HTTP: %s", other[i]);
	assert_int_equal(parse("GE", &h), HTTP_HEAD_MORE);
	assert_int_equal(parse("PROPFIND / HTTP/1.1\r\nHost: a.test\r\n\r\n", &h),
			 HTTP_HEAD_COMPLETE);
}

static void a_head_too_long_is_not_read(void **state)
{
	static char req[HTTP_HEAD_MAX + 200];
	struct http_head h;
	size_t n;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a.test\r\nX: ");
	memset(req + n, 'x', sizeof(req) - n - 6);
	memcpy(req + sizeof(req) - 6, "\r\n\r\n", 5);
	assert_int_equal(parse(req, &h), HTTP_HEAD_TOO_LONG);
	assert_int_equal(http_head_parse((const uint8_t *)req, HTTP_HEAD_MAX, &h),
			 HTTP_HEAD_TOO_LONG);
	assert_int_equal(http_head_parse((const uint8_t *)req, HTTP_HEAD_MAX - 1, &h),
			 HTTP_HEAD_MORE);
}

/* Fed whole, then byte by byte: the body ends at the same byte. */
static void chunked_ends_where_it_ends(void **state)
{
	static const char body[] = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
	static const char after[] = "GET / HTTP/1.1\r\n";
	char all[sizeof(body) + sizeof(after)];
	struct http_chunked c = {0};
	size_t used = 0, total = 0;
	enum http_chunked_result r = HTTP_CHUNKED_MORE;

	(void)state;
	snprintf(all, sizeof(all), "%s%s", body, after);
	assert_int_equal(http_chunked_feed(&c, (const uint8_t *)all, strlen(all), &used),
			 HTTP_CHUNKED_DONE);
	assert_int_equal(used, strlen(body));
	c = (struct http_chunked){0};
	for (size_t i = 0; i < strlen(all) && r == HTTP_CHUNKED_MORE; i++) {
		r = http_chunked_feed(&c, (const uint8_t *)all + i, 1, &used);
		total += r == HTTP_CHUNKED_DONE ? used : 1;
	}
	assert_int_equal(r, HTTP_CHUNKED_DONE);
	assert_int_equal(total, strlen(body));
}

static void chunked_framing_servers_disagree_on_is_refused(void **state)
{
	static const char *const bad[] = {
		"5\nhello\r\n0\r\n\r\n",            /* a bare LF ends the size line */
		"5\r\nhello\n0\r\n\r\n",            /* ... or the data */
		"5\r\nhelloX\r\n0\r\n\r\n",         /* more data than the size says */
		"x\r\n",                            /* no size */
		"1234567890123456\r\n",             /* a size no body has */
		"0\r\nTrailer x\r\n\r\n",           /* a trailer line without a colon is no name */
		"5\r\nhello\r\n0\r\n\r",            /* not malformed yet: the CR may be followed */
	};
	struct http_chunked c;
	size_t used;

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(bad) / sizeof(bad[0]); i++) {
		c = (struct http_chunked){0};
		if (http_chunked_feed(&c, (const uint8_t *)bad[i], strlen(bad[i]), &used) !=
		    HTTP_CHUNKED_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
	}
	c = (struct http_chunked){0};
	assert_int_equal(http_chunked_feed(&c, (const uint8_t *)bad[6], strlen(bad[6]), &used),
			 HTTP_CHUNKED_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_request),
		cmocka_unit_test(pipelined_requests_end_at_the_first_head),
		cmocka_unit_test(leading_empty_lines_are_skipped),
		cmocka_unit_test(absolute_and_authority_forms_name_their_host),
		cmocka_unit_test(fields_servers_disagree_on_are_refused),
		cmocka_unit_test(bodies_are_framed),
		cmocka_unit_test(other_protocols_are_not_http),
		cmocka_unit_test(a_head_too_long_is_not_read),
		cmocka_unit_test(chunked_ends_where_it_ends),
		cmocka_unit_test(chunked_framing_servers_disagree_on_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
