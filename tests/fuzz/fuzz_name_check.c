// SPDX-License-Identifier: MIT
/* fuzz_name_check.c — libFuzzer target: a checked flow's segments against a model server's stream */
/*
 * Input: a sequence of events on one TCP flow let through by the name allowed.test alone:
 *   op byte: bits 0-1 what: 0 a VM segment, 1 a VM segment lost after the guard (the server
 *            never gets what went on), 2 the server acknowledges what it has, 3 an older
 *            acknowledgement of the server's (a number up to what it has);
 *   then for 0/1: a 2-byte sequence offset from the first byte, a length byte, that many
 *   payload bytes; for 3: a 2-byte offset.
 * The model server takes bytes as a TCP receiver does (in order; out-of-order ones queued, the
 * first copy of a position kept). Checks, beyond "no crash, no sanitizer report": what the
 * server has received, read as its application would (HTTP/1 requests framed by their bodies,
 * or a TLS ClientHello), never holds a request or a ClientHello for a name other than
 * allowed.test, nor anything that is not TLS or HTTP/1, nor a head servers could read
 * differently; and the bytes the check sends on are always the VM's, in sequence.
 * The server's acknowledgements are the server's: one for bytes it never got would come from
 * a third party forging the server's packets into the host's NAT mapping (an on-path
 * attacker, who could change the traffic itself); the check takes them as they come.
 */
#include <stdbool.h>
#include <string.h>

#include "guard/name_check.h"
#include "proto/http_head.h"
#include "proto/server_name.h"
#include "fuzz_promise.h"

#define ISN 0xfffff000u /* near the wrap: sequence arithmetic must hold across it */
#define STREAM_MAX 65536

static uint8_t srv[STREAM_MAX];
static bool have[STREAM_MAX];
static size_t rcv_nxt;

static bool allowed(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "allowed.test") == 0;
}

/* The server's TCP receives @len bytes at sequence @seq. */
static void deliver(uint32_t seq, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t pos = seq + (uint32_t)i - ISN;

		if (pos >= STREAM_MAX || pos < rcv_nxt || have[pos])
			continue;
		have[pos] = true;
		srv[pos] = data[i];
	}
	while (rcv_nxt < STREAM_MAX && have[rcv_nxt])
		rcv_nxt++;
}

/* What the server's application reads: every complete unit must be one the check allows. */
static void check_stream(void)
{
	size_t off = 0;
	struct http_head h;

	if (!rcv_nxt)
		return;
	if (srv[0] == 0x16) {
		char name[DNS_NAME_TEXT_LEN];
		enum server_name_result r = tls_server_name(srv, rcv_nxt, name);

		/* a part of it (the rest lost on the way) or all of it, as judged */
		promise(r == SERVER_NAME_MORE ||
			(r == SERVER_NAME_FOUND && strcmp(name, "allowed.test") == 0));
		return;
	}
	while (off < rcv_nxt) {
		enum http_head_result r = http_head_parse(srv + off, rcv_nxt - off, &h);

		if (r == HTTP_HEAD_MORE)
			return; /* a head not complete: the server waits too */
		promise(r == HTTP_HEAD_COMPLETE);
		promise(!h.switches);
		promise(h.host[0] || h.target_host[0]);
		promise(!h.host[0] || strcmp(h.host, "allowed.test") == 0);
		promise(!h.target_host[0] || strcmp(h.target_host, "allowed.test") == 0);
		off += h.len;
		if (h.body == HTTP_BODY_LENGTH) {
			if (h.body_len >= rcv_nxt - off)
				return;
			off += h.body_len;
		} else if (h.body == HTTP_BODY_CHUNKED) {
			struct http_chunked c = {0};
			size_t used;
			enum http_chunked_result cr = http_chunked_feed(&c, srv + off, rcv_nxt - off,
									&used);

			promise(cr != HTTP_CHUNKED_MALFORMED);
			if (cr == HTTP_CHUNKED_MORE)
				return;
			off += used;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct name_check_judge judge = {allowed, NULL, false};
	struct name_check *c = name_check_new(ISN);
	size_t i = 0;

	promise(c);
	memset(have, 0, sizeof(have));
	rcv_nxt = 0;
	while (i + 3 <= size) {
		uint8_t op = data[i];
		uint32_t seq = ISN + (uint32_t)(data[i + 1] | data[i + 2] << 8);
		size_t len;
		struct name_check_verdict v;

		i += 3;
		if ((op & 3) == 2) {
			name_check_acked(c, ISN + (uint32_t)rcv_nxt);
			continue;
		}
		if ((op & 3) == 3) {
			uint32_t upto = seq - ISN < rcv_nxt ? seq - ISN : (uint32_t)rcv_nxt;

			name_check_acked(c, ISN + upto);
			continue;
		}
		if (i >= size)
			break;
		len = data[i++];
		if (!len || i + len > size)
			break;
		v = name_check_segment(c, seq, data + i, len, &judge);
		if (!(op & 1)) { /* not lost: what goes on reaches the server */
			if (v.action == NAME_CHECK_PASS)
				deliver(seq, data + i, len);
			else if (v.action == NAME_CHECK_RELEASE)
				deliver(v.seq, v.bytes, v.len);
		}
		if (v.action == NAME_CHECK_RELEASE)
			promise(v.len > 0 && v.len <= NAME_CHECK_HOLD_MAX);
		i += len;
		check_stream();
	}
	name_check_free(c);
	return 0;
}
