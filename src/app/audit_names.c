// SPDX-License-Identifier: MIT
/* audit_names.c — which name the VM asked for to get an address: every DNS answer it was given, cached */
#include "app/audit_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit_flows.h"
#include "guard/learned.h"
#include "proto/byteorder.h"
#include "proto/dns_msg.h"

_Static_assert((AUDIT_NAMES_SLOTS & (AUDIT_NAMES_SLOTS - 1)) == 0, "a power of two");

struct slot {
	struct inet_addr addr;
	uint64_t expires_ms;
	char name[AUDIT_NAME_TEXT];
};

struct audit_names {
	struct slot *slots; /* taken on the first answer */
};

static uint32_t slot_of(const struct inet_addr *addr)
{
	uint64_t hi, lo;

	memcpy(&hi, addr->b, 8);
	memcpy(&lo, addr->b + 8, 8);
	return (uint32_t)(((hi ^ lo) * 0x9e3779b97f4a7c15ull) >> 32) & (AUDIT_NAMES_SLOTS - 1);
}

struct audit_names *audit_names_new(void)
{
	return calloc(1, sizeof(struct audit_names));
}

void audit_names_free(struct audit_names *n)
{
	if (!n)
		return;
	free(n->slots);
	free(n);
}

void audit_names_learn(struct audit_names *n, const uint8_t *msg, size_t len, uint64_t now_ms)
{
	struct dns_reader r;
	struct dns_question q;
	struct dns_rr rr;

	if (!dns_reader_init(&r, msg, len) || !(r.hdr.flags & DNS_FLAG_QR) ||
	    DNS_RCODE(r.hdr.flags) != 0 || r.hdr.qdcount != 1 || !dns_next_question(&r, &q))
		return;
	if (!n->slots && !(n->slots = calloc(AUDIT_NAMES_SLOTS, sizeof(*n->slots))))
		return;
	for (unsigned i = 0; i < r.hdr.ancount && dns_next_rr(&r, &rr); i++) {
		uint32_t ttl = rr.ttl;
		struct inet_addr addr;
		struct slot *s;

		if (rr.rclass != DNS_CLASS_IN)
			continue;
		if (rr.type == DNS_TYPE_A && rr.rdlen == 4)
			addr = inet_from_v4(be32(rr.rdata));
		else if (rr.type == DNS_TYPE_AAAA && rr.rdlen == 16)
			memcpy(addr.b, rr.rdata, 16);
		else
			continue;
		ttl = ttl < LEARNED_TTL_FLOOR_S ? LEARNED_TTL_FLOOR_S
		      : ttl > LEARNED_TTL_CAP_S ? LEARNED_TTL_CAP_S
						: ttl;
		s = &n->slots[slot_of(&addr)];
		s->addr = addr;
		s->expires_ms = now_ms + (uint64_t)ttl * 1000;
		snprintf(s->name, sizeof(s->name), "%.*s", (int)sizeof(s->name) - 1, q.name);
	}
}

const char *audit_names_find(const struct audit_names *n, const struct inet_addr *addr,
			     uint64_t now_ms)
{
	const struct slot *s;

	if (!n->slots)
		return NULL;
	s = &n->slots[slot_of(addr)];
	return inet_equal(&s->addr, addr) && s->expires_ms > now_ms && s->name[0] ? s->name : NULL;
}
