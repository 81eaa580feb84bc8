/* SPDX-License-Identifier: MIT */
/* server_name.h — the server a TLS ClientHello asks for: its server_name (SNI) */
#ifndef SVM_PROTO_SERVER_NAME_H
#define SVM_PROTO_SERVER_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/dns_msg.h"

/* What a connection's first bytes say about the server it wants (HTTP: proto/http_head.h). */
enum server_name_result {
	SERVER_NAME_MORE,      /* a TLS ClientHello, not complete yet */
	SERVER_NAME_FOUND,     /* the name is in @name */
	SERVER_NAME_ABSENT,    /* a complete ClientHello without server_name */
	SERVER_NAME_OTHER,     /* not a TLS handshake record */
	SERVER_NAME_MALFORMED, /* starts as one and breaks its rules */
};

/**
 * tls_server_name() - the server_name (RFC 6066 3) of the ClientHello a connection starts with
 * @data: the bytes the client sent, from the first on, in order
 * @len: how many
 * @name: set with SERVER_NAME_FOUND: the name, lower case, no trailing dot
 *
 * A ClientHello may come in several TLS records and the records in several segments: the
 * handshake message is put together from the records (up to SERVER_NAME_HELLO_MAX);
 * SERVER_NAME_MORE means "call again with more bytes". A name that is not a valid host name
 * (an IP literal, stray characters) counts as malformed.
 */
enum server_name_result tls_server_name(const uint8_t *data, size_t len,
					char name[DNS_NAME_TEXT_LEN]);

/* The largest ClientHello read (its handshake body); a larger one is malformed here. */
#define SERVER_NAME_HELLO_MAX 16384

#endif
