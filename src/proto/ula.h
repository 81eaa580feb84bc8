/* SPDX-License-Identifier: MIT */
/* ula.h — a Unique Local IPv6 /64 derived from what names a network (RFC 4193 3.2.2) */
#ifndef SVM_PROTO_ULA_H
#define SVM_PROTO_ULA_H

#include <stddef.h>

#include "proto/addr.h"

/**
 * ula_prefix() - the /64 of a network named by @seed: fd00::/8, a 40-bit Global ID and a
 * 16-bit Subnet ID
 * @seed: what tells this network from every other: the host's identity and the network's
 *        own name (the caller's choice; the same seed always gives the same prefix)
 * @len: its length
 * @out: the prefix, /64
 *
 * RFC 4193 3.2.2 takes the Global ID from the low 40 bits of a SHA-1 digest over a time and
 * an EUI-64, so that two sites are unlikely to pick the same one; here the digest is over
 * @seed instead, so that the prefix stays the same across restarts (the VMs keep their
 * addresses) and still differs between hosts and networks. The Subnet ID is the digest's
 * 16 bits before the Global ID.
 */
void ula_prefix(const void *seed, size_t len, struct inet_prefix *out);

/** ula_is_unique_local() - whether @a is inside fc00::/7 (RFC 4193 3.1) */
static inline bool ula_is_unique_local(const struct inet_addr *a)
{
	return (a->b[0] & 0xfe) == 0xfc;
}

#endif
