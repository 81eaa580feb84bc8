// SPDX-License-Identifier: MIT
/* server_name.c — the server a TLS ClientHello asks for: its server_name (SNI) */
#include "proto/server_name.h"

#include <stdbool.h>
#include <string.h>

#include "proto/byteorder.h"
#include "proto/dns_name.h"

#define TLS_RECORD_HANDSHAKE 0x16
#define TLS_RECORD_HDR_LEN 5
#define TLS_RECORD_MAX 16384 /* RFC 8446 5.1: a plaintext record's fragment */
#define TLS_HANDSHAKE_CLIENT_HELLO 1
#define TLS_HANDSHAKE_HDR_LEN 4
#define TLS_EXT_SERVER_NAME 0
#define TLS_SNI_HOST_NAME 0

/* A name from the wire: a valid host name, lower case; an IP literal is not a name. */
static enum server_name_result take_name(const char *text, size_t len,
					 char name[DNS_NAME_TEXT_LEN])
{
	char copy[DNS_NAME_TEXT_LEN], why[96];

	if (len == 0 || len >= sizeof(copy))
		return SERVER_NAME_MALFORMED;
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (!dns_name_looks_like(copy) || !dns_name_normalize(copy, name, why, sizeof(why)))
		return SERVER_NAME_MALFORMED;
	return SERVER_NAME_FOUND;
}

/* ---- TLS ---------------------------------------------------------------------------------- */

/* A bounded reader over the ClientHello's body. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static bool skip(struct cursor *c, size_t n)
{
	if (c->left < n)
		return false;
	c->p += n;
	c->left -= n;
	return true;
}

static bool read_len(struct cursor *c, size_t bytes, size_t *out)
{
	if (c->left < bytes)
		return false;
	*out = bytes == 1 ? c->p[0] : be16(c->p);
	return skip(c, bytes);
}

/* Skip a vector with a @bytes-long length in front. */
static bool skip_vector(struct cursor *c, size_t bytes)
{
	size_t n;

	return read_len(c, bytes, &n) && skip(c, n);
}

/* The server_name extension's body (RFC 6066 3): a list; the host_name entry counts. */
static enum server_name_result read_sni(struct cursor ext, char name[DNS_NAME_TEXT_LEN])
{
	size_t list;

	if (!read_len(&ext, 2, &list) || list != ext.left)
		return SERVER_NAME_MALFORMED;
	while (ext.left) {
		size_t n;
		uint8_t type = ext.p[0];

		if (!skip(&ext, 1) || !read_len(&ext, 2, &n) || n > ext.left)
			return SERVER_NAME_MALFORMED;
		if (type == TLS_SNI_HOST_NAME)
			return take_name((const char *)ext.p, n, name);
		skip(&ext, n);
	}
	return SERVER_NAME_ABSENT;
}

static enum server_name_result read_client_hello(struct cursor c, char name[DNS_NAME_TEXT_LEN])
{
	size_t extensions;

	/* version, random, session id, cipher suites, compression methods */
	if (!skip(&c, 2 + 32) || !skip_vector(&c, 1) || !skip_vector(&c, 2) || !skip_vector(&c, 1))
		return SERVER_NAME_MALFORMED;
	if (c.left == 0)
		return SERVER_NAME_ABSENT; /* no extensions at all */
	if (!read_len(&c, 2, &extensions) || extensions != c.left)
		return SERVER_NAME_MALFORMED;
	while (c.left) {
		uint16_t type;
		size_t n;

		if (c.left < 4)
			return SERVER_NAME_MALFORMED;
		type = be16(c.p);
		skip(&c, 2);
		if (!read_len(&c, 2, &n) || n > c.left)
			return SERVER_NAME_MALFORMED;
		if (type == TLS_EXT_SERVER_NAME)
			return read_sni((struct cursor){c.p, n}, name);
		skip(&c, n);
	}
	return SERVER_NAME_ABSENT;
}

/*
 * The handshake message, put together from the records' fragments: the common case is one
 * record; a client may split it (RFC 8446 5.1 allows it), and a record may end mid-segment.
 */
static enum server_name_result tls(const uint8_t *data, size_t len, char name[DNS_NAME_TEXT_LEN])
{
	uint8_t hello[TLS_HANDSHAKE_HDR_LEN + SERVER_NAME_HELLO_MAX];
	size_t have = 0, need = TLS_HANDSHAKE_HDR_LEN, off = 0;

	while (have < need) {
		size_t rec_len, avail, used = 0;

		if (len - off < TLS_RECORD_HDR_LEN)
			return SERVER_NAME_MORE;
		if (data[off] != TLS_RECORD_HANDSHAKE || data[off + 1] != 3)
			return SERVER_NAME_MALFORMED;
		rec_len = be16(data + off + 3);
		if (rec_len == 0 || rec_len > TLS_RECORD_MAX)
			return SERVER_NAME_MALFORMED;
		off += TLS_RECORD_HDR_LEN;
		avail = rec_len < len - off ? rec_len : len - off; /* of this record, here */
		while (used < avail && have < need) {
			size_t take = avail - used < need - have ? avail - used : need - have;

			memcpy(hello + have, data + off + used, take);
			have += take;
			used += take;
			if (need == TLS_HANDSHAKE_HDR_LEN && have == TLS_HANDSHAKE_HDR_LEN) {
				size_t body = (size_t)hello[1] << 16 | (size_t)hello[2] << 8 | hello[3];

				if (hello[0] != TLS_HANDSHAKE_CLIENT_HELLO ||
				    body > SERVER_NAME_HELLO_MAX)
					return SERVER_NAME_MALFORMED;
				need += body;
			}
		}
		if (have >= need)
			break;
		if (avail < rec_len)
			return SERVER_NAME_MORE; /* the record goes on in bytes not here yet */
		off += rec_len;
	}
	return read_client_hello((struct cursor){hello + TLS_HANDSHAKE_HDR_LEN,
						 need - TLS_HANDSHAKE_HDR_LEN},
				 name);
}

enum server_name_result tls_server_name(const uint8_t *data, size_t len,
					char name[DNS_NAME_TEXT_LEN])
{
	if (len == 0)
		return SERVER_NAME_MORE;
	if (data[0] != TLS_RECORD_HANDSHAKE)
		return SERVER_NAME_OTHER;
	return tls(data, len, name);
}
