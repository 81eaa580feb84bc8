/* SPDX-License-Identifier: MIT */
/* http_head.h — an HTTP/1 request's head read strictly: where it ends, what it names, its body's framing */
#ifndef SVM_PROTO_HTTP_HEAD_H
#define SVM_PROTO_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/dns_msg.h"

/*
 * The longest head read (request line, fields, the empty line that ends them). nginx takes
 * up to 4 buffers of 8 KiB by default (large_client_header_buffers), Apache 8 KiB a line;
 * browsers and package managers send well under 2 KiB. A longer head is not judged: the
 * connection is refused.
 */
#define HTTP_HEAD_MAX 16384

/* Empty lines skipped before a request line (RFC 9112 2.2: "at least one"): a few. */
#define HTTP_EMPTY_LINES_MAX 4

enum http_head_result {
	HTTP_HEAD_MORE,      /* a request head so far: call again with more bytes */
	HTTP_HEAD_COMPLETE,  /* the whole head: see struct http_head */
	HTTP_HEAD_NOT_HTTP,  /* does not start as an HTTP/1.0 or 1.1 request */
	HTTP_HEAD_MALFORMED, /* starts as one and breaks a rule: struct http_head.why */
	HTTP_HEAD_TOO_LONG,  /* no end within HTTP_HEAD_MAX */
};

/* How the request's body is framed (RFC 9112 6.3): what comes after it is the next request. */
enum http_body {
	HTTP_BODY_NONE,    /* neither Content-Length nor Transfer-Encoding: no body */
	HTTP_BODY_LENGTH,  /* Content-Length: @body_len bytes */
	HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked (struct http_chunked reads it) */
};

/**
 * struct http_head - a request head, complete and well-formed
 * @len: its bytes, the empty lines before it and the one that ends it included
 * @host: the Host field's name, lower case, port removed ("" without a Host field)
 * @target_host: the name of an absolute-form target (http://NAME/...) or of CONNECT's
 *               authority-form target: servers take it over Host (RFC 9112 3.2.2); ""
 *               for origin-form ("/...") and "*"
 * @body: how the body is framed
 * @body_len: with HTTP_BODY_LENGTH, its length
 * @switches: CONNECT, or an Upgrade field: if the server agrees, what follows is not HTTP
 * @why: with HTTP_HEAD_MALFORMED, what is wrong (a fixed phrase)
 */
struct http_head {
	size_t len;
	char host[DNS_NAME_TEXT_LEN];
	char target_host[DNS_NAME_TEXT_LEN];
	enum http_body body;
	uint64_t body_len;
	bool switches;
	const char *why;
};

/**
 * http_head_parse() - read the head of the request that @data starts with
 * @data: the client's bytes from the start of a request on, in order
 * @len: how many
 * @head: filled in (@why also with HTTP_HEAD_MALFORMED)
 *
 * Strict where servers differ, so that what is judged here is what any server reads:
 * CRLF or LF line ends (a bare CR is refused), no whitespace before a field's colon, no
 * folded lines, no control characters, exactly one Host, a Content-Length of digits only,
 * Transfer-Encoding only as "chunked" and never with a Content-Length, a target's name
 * only as a host name (an IP literal or userinfo is refused), HTTP/1.0 or HTTP/1.1. The
 * answer for a prefix of a request is MORE or the answer for the whole (never COMPLETE
 * early): the head ends at its empty line.
 */
enum http_head_result http_head_parse(const uint8_t *data, size_t len, struct http_head *head);

/**
 * struct http_chunked - a chunked body (RFC 9112 7.1) read as it goes by, byte by byte
 *
 * Zeroed: at the first chunk's size. Only CRLF ends its lines (servers differ on a bare
 * LF, so it is refused here).
 */
struct http_chunked {
	uint8_t state;
	uint8_t digits;
	uint64_t left;
	size_t trailer;
};

enum http_chunked_result {
	HTTP_CHUNKED_MORE,      /* every byte given belongs to the body; it goes on */
	HTTP_CHUNKED_DONE,      /* the body ended after *used bytes; the rest is the next request */
	HTTP_CHUNKED_MALFORMED, /* the framing is broken */
};

/* The longest chunk-size line with its extensions, and all trailer fields together. */
#define HTTP_CHUNK_LINE_MAX 4096
#define HTTP_TRAILER_MAX 8192

/**
 * http_chunked_feed() - the next @len bytes of a chunked body
 * @c: its state
 * @data: the bytes
 * @len: how many
 * @used: with HTTP_CHUNKED_DONE, how many of them were the body's
 */
enum http_chunked_result http_chunked_feed(struct http_chunked *c, const uint8_t *data,
					   size_t len, size_t *used);

#endif
