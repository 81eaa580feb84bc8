// SPDX-License-Identifier: MIT
/* fuzz_server_name.c — libFuzzer target: the server name in a connection's first bytes (TLS SNI, HTTP Host) */
/*
 * Input: the first bytes a VM's TCP connection sends, as the SNI/Host check sees them.
 * Checks, beyond "no crash, no sanitizer report": a name found is a valid, normalized host
 * name (normalizing it again changes nothing, and it is not an address); and the answer is
 * stable: once a prefix of the input gets any answer but "more", the whole input gets the
 * same answer and the same name — the check may decide as soon as it can.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns_name.h"
#include "proto/server_name.h"
#include "fuzz_promise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[DNS_NAME_TEXT_LEN], prefix_name[DNS_NAME_TEXT_LEN], again[DNS_NAME_TEXT_LEN];
	char why[128];
	enum server_name_kind kind, prefix_kind;
	enum server_name_result whole = server_name_find(data, size, name, &kind);
	size_t cut = size ? (size_t)data[0] * size / 256 : 0;
	enum server_name_result part = server_name_find(data, cut, prefix_name, &prefix_kind);

	if (whole == SERVER_NAME_FOUND) {
		promise(dns_name_looks_like(name));
		promise(dns_name_normalize(name, again, why, sizeof(why)));
		promise(strcmp(again, name) == 0);
	}
	if (part != SERVER_NAME_MORE) {
		promise(part == whole);
		if (part == SERVER_NAME_FOUND)
			promise(strcmp(prefix_name, name) == 0);
		if (part != SERVER_NAME_OTHER)
			promise(prefix_kind == kind);
	}
	return 0;
}
