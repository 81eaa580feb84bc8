/* SPDX-License-Identifier: MIT */
/* sha1.h — SHA-1 (RFC 3174), for RFC 4193's Unique Local prefixes: a spread, not a secret */
#ifndef SVM_PROTO_SHA1_H
#define SVM_PROTO_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

/**
 * sha1() - the SHA-1 digest of @len bytes at @data (RFC 3174)
 *
 * Only where a standard names it (RFC 4193 3.2.2 derives a Unique Local prefix's Global ID
 * from it): SHA-1 is broken for collisions and must not guard anything.
 */
void sha1(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN]);

#endif
