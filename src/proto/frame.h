/* SPDX-License-Identifier: MIT */
/* frame.h — bounds-checked views of Ethernet, ARP, IPv4, UDP, TCP and ICMP headers */
#ifndef SVM_PROTO_FRAME_H
#define SVM_PROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/byteorder.h"
#include "proto/drop_reason.h"
#include "proto/wire.h"

struct offload_info;

/**
 * struct frame_ref - a frame to send: a view into some buffer
 * @offload: NULL for a frame with whole checksums within the MTU; else a large packet or a
 *           partial checksum (proto/offload.h), from a VM or a host side that offloads. A
 *           port that completes the checksum in place clears its needs_csum, so that a frame
 *           sent again (the port was full) is not summed twice.
 */
struct frame_ref {
	uint8_t *data;
	uint32_t len;
	struct offload_info *offload;
};
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
	struct inet_addr ip_src, ip_dst;
	bool ip_more_fragments;
	uint16_t ip_frag_offset; /* in 8-byte units */

	/* Layer 4: only in a first (or only) fragment */
	const uint8_t *l4;
	size_t l4_len;
	uint16_t src_port, dst_port; /* UDP and TCP */
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload; /* UDP payload or TCP segment data */
	size_t payload_len;

	/* set by the relay, not by frame_parse(): as in struct frame_ref */
	const struct offload_info *offload;
};

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
 * frame_summary() - one line describing a frame, for debug logs
 * @v: a parsed frame
 * @buf: output
 * @size: its size
 *
 * Return: @buf.
 */
char *frame_summary(const struct frame_view *v, char *buf, size_t size);

#endif
