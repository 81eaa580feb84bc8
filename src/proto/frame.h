/* SPDX-License-Identifier: MIT */
/* frame.h — bounds-checked views of Ethernet, ARP, IPv4, IPv6, UDP, TCP, ICMP and ICMPv6 headers */
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
/* What an IPv6 header chain held (struct frame_view.ip6_flags), set by ipv6_chain_walk(). */
#define IP6_EXT_HBH 0x001u           /* a Hop-by-Hop Options header (first, RFC 8200 4.3) */
#define IP6_EXT_DSTOPTS 0x002u       /* a Destination Options header */
#define IP6_EXT_ROUTING 0x004u       /* a Routing header */
#define IP6_EXT_FRAGMENT 0x008u      /* a Fragment header (an atomic fragment too) */
#define IP6_EXT_AH 0x010u            /* an Authentication Header */
#define IP6_EXT_OTHER 0x020u         /* Mobility, HIP, Shim6 or an experimental header */
#define IP6_ROUTING_ACTIVE 0x040u    /* a Routing header with segments left: source routing */
#define IP6_OPT_ROUTER_ALERT 0x080u  /* Hop-by-Hop Router Alert (RFC 2711: MLD carries it) */
#define IP6_OPT_OTHER 0x100u         /* an option other than padding (and Router Alert) */

/**
 * struct frame_view - what frame_parse() found in one Ethernet frame
 *
 * Pointers point into the caller's buffer and are NULL when the layer is absent.
 * Every pointer is valid for the length that the layer's header needs; l4_len and
 * payload_len give what follows. Multi-byte fields are read with be16()/be32().
 *
 * The IP fields after @ip hold for both families: @ip is the IPv4 header only, @ip6 the
 * IPv6 one; @ip_hdr_len is where the upper layer starts (IPv6: its extension headers
 * included), @ip_proto the upper-layer protocol (IPv6: the last Next Header of the chain),
 * @ip_frag_offset and @ip_more_fragments those of the IPv4 header or the IPv6 Fragment
 * header.
 */
struct frame_view {
	const uint8_t *data;
	size_t len;

	const uint8_t *dst_mac;
	const uint8_t *src_mac;
	uint16_t ethertype; /* the outer one: a tagged frame keeps ETHERTYPE_VLAN here */
	uint16_t arp_op;    /* (ARP's, below: here to fill the padding) */

	const uint8_t *l3;
	size_t l3_len;

	/* ARP (Ethernet/IPv4 form only) */
	const uint8_t *arp;
	const uint8_t *arp_sha, *arp_spa, *arp_tha, *arp_tpa;

	/* IPv4 (@ip), IPv6 (@ip6), and what both have (small fields together: the view is
	 * zeroed for every frame, so it stays as small as IPv4 alone made it, 208 bytes) */
	const uint8_t *ip;
	const uint8_t *ip6;
	size_t ip_hdr_len;
	size_t ip_total_len; /* from the header; never more than l3_len */
	uint8_t ip_proto;
	uint8_t ip_ttl; /* TTL, or IPv6's hop limit */
	bool ip_more_fragments;
	uint8_t ip6_ext_count;   /* IPv6: extension headers before the upper layer */
	uint16_t ip_frag_offset; /* in 8-byte units */
	uint16_t ip6_flags;      /* IPv6: IP6_* above */
	struct inet_addr ip_src, ip_dst;

	/* Layer 4: only in a first (or only) fragment */
	const uint8_t *l4;
	size_t l4_len;
	uint16_t src_port, dst_port; /* UDP and TCP */
	uint8_t icmp_type, icmp_code; /* ICMP, or ICMPv6 */
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
 * a VLAN tag, an IP protocol other than UDP/TCP/ICMP/ICMPv6); that is not an error, the
 * deeper pointers are simply NULL. A layer whose lengths do not add up is an error. An
 * IPv6 header chain is walked to its upper-layer header (ipv6_chain_walk()).
 *
 * Return: DROP_NONE, or DROP_RUNT / DROP_ARP_MALFORMED / DROP_IP_MALFORMED, or for IPv6
 * DROP_IP6_MALFORMED and the chain's reasons (DROP_IP6_CHAIN_*, DROP_IP6_FRAG_UPPER).
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

/** frame_ip_header() - the IP header of @v, IPv4's or IPv6's (NULL when it has none) */
static inline const uint8_t *frame_ip_header(const struct frame_view *v)
{
	return v->ip ? v->ip : v->ip6;
}

/**
 * frame_parse_l4() - the upper layer of an IP packet, @l4_len bytes at @l4 (frame.c;
 * ipv6_chain.c calls it at the end of the chain)
 * @malformed: the reason for lengths that do not add up (IPv4's or IPv6's)
 * Return: DROP_NONE, DROP_RUNT or @malformed.
 */
enum drop_reason frame_parse_l4(struct frame_view *v, const uint8_t *l4, size_t l4_len,
				enum drop_reason malformed);

#endif
