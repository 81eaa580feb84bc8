// SPDX-License-Identifier: MIT
/* fuzz_server_name.c — libFuzzer target: the names a connection's first bytes ask for (TLS SNI, HTTP/1 heads) */
/*
 * Input: the first bytes a VM's TCP connection sends, as the name check reads them: as a TLS
 * ClientHello (proto/server_name.c) and as HTTP/1 request heads (proto/http_head.c).
 * Checks, beyond "no crash, no sanitizer report": a name found is a valid, normalized host
 * name (normalizing it again changes nothing, and it is not an address); every answer is
 * stable: once a prefix gets any answer but "more", the whole gets the same one with the same
 * names and lengths — the check may decide as soon as it can; a complete head is never longer
 * than its input or HTTP_HEAD_MAX; a chunked body read whole or in two pieces ends at the
 * same byte.
 */
#include <string.h>

#include "proto/dns_name.h"
#include "proto/http_head.h"
#include "proto/server_name.h"
#include "fuzz_promise.h"

static void check_name(const char *name)
{
	char again[DNS_NAME_TEXT_LEN], why[128];

	promise(dns_name_looks_like(name));
	promise(dns_name_normalize(name, again, why, sizeof(why)));
	promise(strcmp(again, name) == 0);
}

static void tls(const uint8_t *data, size_t size, size_t cut)
{
	char name[DNS_NAME_TEXT_LEN], prefix_name[DNS_NAME_TEXT_LEN];
	enum server_name_result whole = tls_server_name(data, size, name);
	enum server_name_result part = tls_server_name(data, cut, prefix_name);

	if (whole == SERVER_NAME_FOUND)
		check_name(name);
	if (part != SERVER_NAME_MORE) {
		promise(part == whole);
		if (part == SERVER_NAME_FOUND)
			promise(strcmp(prefix_name, name) == 0);
	}
}

static void http(const uint8_t *data, size_t size, size_t cut)
{
	struct http_head whole, part;
	enum http_head_result w = http_head_parse(data, size, &whole);
	enum http_head_result p = http_head_parse(data, cut, &part);

	if (w == HTTP_HEAD_COMPLETE) {
		promise(whole.len <= size && whole.len <= HTTP_HEAD_MAX);
		if (whole.host[0])
			check_name(whole.host);
		if (whole.target_host[0])
			check_name(whole.target_host);
	}
	if (p == HTTP_HEAD_MORE)
		return;
	promise(p == w);
	if (p == HTTP_HEAD_COMPLETE) {
		promise(part.len == whole.len && part.body == whole.body &&
			part.body_len == whole.body_len && part.switches == whole.switches);
		promise(strcmp(part.host, whole.host) == 0);
		promise(strcmp(part.target_host, whole.target_host) == 0);
	}
}

static void chunked(const uint8_t *data, size_t size, size_t cut)
{
	struct http_chunked one = {0}, two = {0};
	size_t used_one = 0, used_two = 0;
	enum http_chunked_result r1 = http_chunked_feed(&one, data, size, &used_one), r2;

	r2 = http_chunked_feed(&two, data, cut, &used_two);
	if (r2 == HTTP_CHUNKED_MORE) {
		r2 = http_chunked_feed(&two, data + cut, size - cut, &used_two);
		used_two += cut;
	}
	promise(r1 == r2);
	if (r1 == HTTP_CHUNKED_DONE)
		promise(used_one == used_two && used_one <= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? (size_t)data[0] * size / 256 : 0;

	tls(data, size, cut);
	http(data, size, cut);
	chunked(data, size, cut);
	return 0;
}
