/* SPDX-License-Identifier: MIT */
/* claims.h — the IPv6 addresses the VM holds: claimed by duplicate address detection, the least used given up */
#ifndef SVM_GUARD_CLAIMS_H
#define SVM_GUARD_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/addr.h"

/*
 * IPv6 addresses one VM may hold at once (a claim is its duplicate address detection for
 * one: responder/ndp.c). Privacy addresses rotate: Linux, macOS and Windows make a new
 * temporary address every day (Linux temp_prefered_lft 86400 s) and keep each for 7 days
 * (temp_valid_lft 604800 s), so a VM up for a week holds 7 temporary addresses beside its
 * stable one and its link-local one: 9. 16 leaves room for a second stable address (DHCPv6,
 * a manual one) and for an OS that regenerates early (RFC 8981 3.4: on a new prefix or
 * after a DAD failure), while it keeps one VM from taking a large share of the shared
 * table (and of the other VMs' first-come addresses). Beyond it the one used least
 * recently goes: a deprecated temporary address, whose last connections have ended.
 */
#define CLAIMS_MAX 16

/**
 * struct claims - the VM's IPv6 addresses and when each was last used
 * @addr: the addresses, @count of them
 * @used_ms: when each last carried a frame (or was claimed)
 * @last: the slot that matched last (tried first: one flow's frames come together)
 */
struct claims {
	struct inet_addr addr[CLAIMS_MAX];
	uint64_t used_ms[CLAIMS_MAX];
	unsigned count;
	unsigned last;
};

/** claims_use() - whether @a is one of @c's, and if so it was used at @now_ms */
bool claims_use(struct claims *c, const struct inet_addr *a, uint64_t now_ms);

/** claims_has() - whether @a is one of @c's (nothing else changes) */
bool claims_has(const struct claims *c, const struct inet_addr *a);

/**
 * claims_add() - @a is the VM's from now on (claimed at @now_ms)
 * @evicted: set to the address that made room, when @c was full
 * Return: true when one was evicted (the caller lets it go in the shared table).
 */
bool claims_add(struct claims *c, const struct inet_addr *a, uint64_t now_ms,
		struct inet_addr *evicted);

/** claims_remove() - @a is no longer the VM's. Return: whether it was */
bool claims_remove(struct claims *c, const struct inet_addr *a);

#endif
