/* SPDX-License-Identifier: MIT */
/* server_name.h — the name a TCP connection's first bytes ask for: TLS SNI or the HTTP/1 Host */
#ifndef SVM_PROTO_SERVER_NAME_H
#define SVM_PROTO_SERVER_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/dns_msg.h"

/* What the first bytes a client sent say about the server it wants. */
enum server_name_result {
	SERVER_NAME_MORE,      /* a TLS ClientHello or an HTTP request, not complete yet */
	SERVER_NAME_FOUND,     /* the name is in @name */
	SERVER_NAME_ABSENT,    /* a complete ClientHello without server_name, a request without Host */
	SERVER_NAME_OTHER,     /* neither TLS nor HTTP/1: nothing to check */
	SERVER_NAME_MALFORMED, /* starts as one of them and breaks its rules */
};

enum server_name_kind {
	SERVER_NAME_TLS,  /* TLS ClientHello, server_name extension (RFC 6066 3) */
	SERVER_NAME_HTTP, /* HTTP/1.x request, Host header (RFC 9112 3.2) */
};

/**
 * server_name_find() - read the server's name from the first bytes of a connection
 * @data: the bytes the client sent, from the first on, in order
 * @len: how many
 * @name: set with SERVER_NAME_FOUND: the name, lower case, no trailing dot, port removed
 * @kind: set when the protocol is known (every result but SERVER_NAME_OTHER)
 *
 * A ClientHello may come in several TLS records and the records in several segments: the
 * handshake message is put together from the records (up to SERVER_NAME_HELLO_MAX);
 * SERVER_NAME_MORE
 * means "call again with more bytes". A name that is not a valid host name (an IP literal,
 * stray characters) counts as malformed.
 */
enum server_name_result server_name_find(const uint8_t *data, size_t len,
					 char name[DNS_NAME_TEXT_LEN], enum server_name_kind *kind);

/* The largest ClientHello read (its handshake body); a larger one is malformed here. */
#define SERVER_NAME_HELLO_MAX 16384

#endif
