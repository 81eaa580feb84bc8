// SPDX-License-Identifier: MIT
/* ula.c — a Unique Local IPv6 /64 derived from what names a network (RFC 4193 3.2.2) */
#include "proto/ula.h"

#include <string.h>

#include "proto/sha1.h"

void ula_prefix(const void *seed, size_t len, struct inet_prefix *out)
{
	uint8_t d[SHA1_DIGEST_LEN];

	sha1(seed, len, d);
	memset(out, 0, sizeof(*out));
	out->addr.b[0] = 0xfd;                 /* fc00::/7 with L = 1: locally assigned */
	memcpy(out->addr.b + 1, d + 15, 5);    /* Global ID: the digest's low 40 bits */
	memcpy(out->addr.b + 6, d + 13, 2);    /* Subnet ID */
	out->len = 64;
}
