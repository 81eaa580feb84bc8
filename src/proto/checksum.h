/* SPDX-License-Identifier: MIT */
/* checksum.h — the Internet checksum (RFC 1071), summed in vectorizable 32-bit words */
#ifndef SVM_PROTO_CHECKSUM_H
#define SVM_PROTO_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/**
 * checksum_add() - add bytes to a running one's-complement sum
 * @sum: the sum so far (0 to start)
 * @data: the bytes
 * @len: their number; must be even unless this is the last piece of the sum
 *
 * The sum is kept in the machine's byte order (RFC 1071 §2(B): byte order does not
 * matter until the end); checksum_fold() turns it into a big-endian value.
 *
 * Return: the new sum.
 */
uint64_t checksum_add(uint64_t sum, const void *data, size_t len);

/**
 * checksum_fold() - fold a running sum to 16 bits, not complemented
 * @sum: from checksum_add()
 *
 * This is what a TCP checksum field holds while its computation is left to someone
 * else (a pseudo-header sum, CHECKSUM_PARTIAL in Linux).
 *
 * Return: the value to store big-endian (put_be16()).
 */
uint16_t checksum_fold(uint64_t sum);

/** checksum_final() - the checksum itself: the folded sum, complemented, for put_be16() */
static inline uint16_t checksum_final(uint64_t sum)
{
	return (uint16_t)~checksum_fold(sum);
}

/**
 * checksum_pseudo_ipv4() - the sum of an IPv4 pseudo-header (RFC 793 §3.1)
 * @ip: the IPv4 header, for its source and destination addresses
 * @proto: the protocol number
 * @l4_len: the length of the layer-4 header and data
 *
 * Return: a running sum to continue with checksum_add().
 */
uint64_t checksum_pseudo_ipv4(const uint8_t *ip, uint8_t proto, uint16_t l4_len);

/**
 * checksum_pseudo_ipv6() - the sum of an IPv6 pseudo-header (RFC 8200 8.1)
 * @ip6: the IPv6 header, for its source and destination addresses (a Routing header's
 *       final destination is not looked for: nothing here sends one)
 * @proto: the upper-layer protocol
 * @l4_len: the upper-layer packet's length
 *
 * Return: a running sum to continue with checksum_add().
 */
uint64_t checksum_pseudo_ipv6(const uint8_t *ip6, uint8_t proto, uint32_t l4_len);

#endif
