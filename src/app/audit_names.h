/* SPDX-License-Identifier: MIT */
/* audit_names.h — which name the VM asked for to get an address: every DNS answer it was given, cached */
#ifndef SVM_APP_AUDIT_NAMES_H
#define SVM_APP_AUDIT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

/*
 * Addresses remembered: 4096 slots, direct-mapped by address (a newer answer takes an
 * older one's slot): a cache for the audit's "name" field, which the guard's learned table
 * (names that rules name) does not cover. 4096 × 80 bytes, taken on the first answer.
 * An address is kept for its TTL, held between 60 s and one hour (guard/learned.h's bounds).
 */
#define AUDIT_NAMES_SLOTS 4096

struct audit_names;

/** audit_names_new() - an empty cache (NULL: out of memory) */
struct audit_names *audit_names_new(void);
void audit_names_free(struct audit_names *n);

/**
 * audit_names_learn() - read a DNS answer the VM is given (any bytes: a malformed one is
 * ignored): each A record in it becomes the question's name until its TTL ends
 */
void audit_names_learn(struct audit_names *n, const uint8_t *msg, size_t len, uint64_t now_ms);

/** audit_names_find() - the name @addr (an A or AAAA answer's) was given for, or NULL */
const char *audit_names_find(const struct audit_names *n, const struct inet_addr *addr,
			     uint64_t now_ms);

#endif
