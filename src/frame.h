/* SPDX-License-Identifier: MIT */
/* frame.h — bounds-checked views of Ethernet, ARP, IPv4, UDP, TCP and ICMP headers */
#ifndef SVM_FRAME_H
#define SVM_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "drop_reason.h"

#define ETH_ALEN_ 6
#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_IPV6 0x86dd

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_IPV4_LEN 28

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

#define UDP_HDR_LEN 8
#define TCP_MIN_HDR_LEN 20
#define ICMP_MIN_LEN 4

/**
 * struct frame_view - what frame_parse() found in one Ethernet frame
 *
 * Pointers point into the caller's buffer and are NULL when the layer is absent.
 * Every pointer is valid for the length that the layer's header needs; l4_len and
 * payload_len give what follows. Multi-byte fields are read with be16()/be32().
 */
struct frame_view {
	const uint8_t *data;
	size_t len;

	const uint8_t *dst_mac;
	const uint8_t *src_mac;
	uint16_t ethertype; /* the outer one: a tagged frame keeps ETHERTYPE_VLAN here */

	const uint8_t *l3;
	size_t l3_len;

	/* ARP (Ethernet/IPv4 form only) */
	const uint8_t *arp;
	uint16_t arp_op;
	const uint8_t *arp_sha, *arp_spa, *arp_tha, *arp_tpa;

	/* IPv4 */
	const uint8_t *ip;
	size_t ip_hdr_len;
	size_t ip_total_len; /* from the header; never more than l3_len */
	uint8_t ip_proto;
	uint32_t ip_src, ip_dst; /* host byte order */
	bool ip_more_fragments;
	uint16_t ip_frag_offset; /* in 8-byte units */

	/* Layer 4: only in a first (or only) fragment */
	const uint8_t *l4;
	size_t l4_len;
	uint16_t src_port, dst_port; /* UDP and TCP */
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload; /* UDP payload or TCP segment data */
	size_t payload_len;
};

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool mac_is_broadcast(const uint8_t *mac)
{
	static const uint8_t bcast[ETH_ALEN_] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	return memcmp(mac, bcast, ETH_ALEN_) == 0;
}

static inline bool mac_equal(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, ETH_ALEN_) == 0;
}

/**
 * frame_parse() - find the headers of an Ethernet frame, checking every length
 * @v: filled in; valid layers get non-NULL pointers
 * @data: the frame, starting at the destination MAC
 * @len: its length in bytes
 *
 * Parsing stops at the first layer that is not understood (an unknown ethertype,
 * a VLAN tag, an IPv4 protocol other than UDP/TCP/ICMP); that is not an error, the
 * deeper pointers are simply NULL. A layer whose lengths do not add up is an error.
 *
 * Return: DROP_NONE, or DROP_RUNT / DROP_ARP_MALFORMED / DROP_IP_MALFORMED.
 */
enum drop_reason frame_parse(struct frame_view *v, const uint8_t *data, size_t len);

/**
 * ip_checksum() - the Internet checksum (RFC 1071) of a buffer
 * @data: bytes to sum
 * @len: their number
 * @sum: a partial sum to start from (0, or a pseudo-header's sum)
 *
 * Return: the one's-complement checksum, ready to store big-endian.
 */
uint16_t ip_checksum(const void *data, size_t len, uint32_t sum);

/**
 * frame_summary() - one line describing a frame, for debug logs
 * @v: a parsed frame
 * @buf: output
 * @size: its size
 *
 * Return: @buf.
 */
char *frame_summary(const struct frame_view *v, char *buf, size_t size);

#endif
