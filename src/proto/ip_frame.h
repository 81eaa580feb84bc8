/* SPDX-License-Identifier: MIT */
/* ip_frame.h — whole Ethernet/IP frames of either family written around a payload, checksummed */
#ifndef SVM_PROTO_IP_FRAME_H
#define SVM_PROTO_IP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/ipv4_frame.h"
#include "proto/wire.h"

/*
 * The hop limit of what sock-vmnet sends as the gateway: Linux's default (net.ipv6.conf.
 * *.hop_limit 64), as IPv4's TTL. Neighbor Discovery is sent with ND_HOP_LIMIT (255).
 */
#define IPV6_DEFAULT_HOP_LIMIT 64

/**
 * struct ip_ends - who a frame goes from and to, in either family (both addresses of one)
 * @src_mac: Ethernet source
 * @dst_mac: Ethernet destination
 * @src: IP source
 * @dst: IP destination
 * @src_port: UDP/TCP source port
 * @dst_port: UDP/TCP destination port
 */
struct ip_ends {
	const uint8_t *src_mac, *dst_mac;
	struct inet_addr src, dst;
	uint16_t src_port, dst_port;
};

/* Where a payload goes in the frames built below (TCP: no options but a SYN's MSS). */
#define IPV6_UDP_PAYLOAD_OFFSET (ETH_HDR_LEN + IPV6_HDR_LEN + UDP_HDR_LEN)
#define IPV6_TCP_PAYLOAD_OFFSET (ETH_HDR_LEN + IPV6_HDR_LEN + TCP_MIN_HDR_LEN)
/* ICMPv6: type, code and checksum, then the body (RFC 4443 2.1) */
#define ICMPV6_HDR_LEN 4
#define IPV6_ICMP_BODY_OFFSET (ETH_HDR_LEN + IPV6_HDR_LEN + ICMPV6_HDR_LEN)

/** ip_udp_payload_offset() - where ip_udp_frame() wants the payload for @e's family */
static inline size_t ip_udp_payload_offset(const struct ip_ends *e)
{
	return inet_is_v4(&e->src) ? IPV4_UDP_PAYLOAD_OFFSET : IPV6_UDP_PAYLOAD_OFFSET;
}

/** ip_tcp_payload_offset() - where ip_tcp_frame() wants the payload for @e's family */
static inline size_t ip_tcp_payload_offset(const struct ip_ends *e)
{
	return inet_is_v4(&e->src) ? IPV4_TCP_PAYLOAD_OFFSET : IPV6_TCP_PAYLOAD_OFFSET;
}

/**
 * ip_udp_frame() - Ethernet, IP and UDP headers around a payload already in place
 * @frame: the frame; the payload is at ip_udp_payload_offset()
 * @payload_len: its length
 * @ends: addresses and ports (IPv4: ipv4_udp_frame() with TOS 0)
 * Return: the frame's length.
 */
size_t ip_udp_frame(uint8_t *frame, size_t payload_len, const struct ip_ends *ends);

/**
 * ip_tcp_frame() - a TCP segment around the payload already in place (ipv4_tcp_frame()'s
 * rules: a SYN carries an MSS option and no payload)
 * Return: the frame's length.
 */
size_t ip_tcp_frame(uint8_t *frame, size_t payload_len, const struct ip_ends *ends,
		    const struct tcp_fields *tcp);

/**
 * ipv6_icmp_frame() - an ICMPv6 message: headers written around its body, already in place
 * @frame: the frame; the body (what follows type, code and checksum) is at
 *         IPV6_ICMP_BODY_OFFSET
 * @body_len: its length
 * @ends: addresses (ports unused)
 * @type: ICMPv6 type
 * @code: ICMPv6 code
 * @hop_limit: IPV6_DEFAULT_HOP_LIMIT, or ND_HOP_LIMIT for Neighbor Discovery
 * Return: the frame's length.
 */
size_t ipv6_icmp_frame(uint8_t *frame, size_t body_len, const struct ip_ends *ends,
		       uint8_t type, uint8_t code, uint8_t hop_limit);

/**
 * ipv6_multicast_mac() - the Ethernet address of IPv6 multicast group @group: 33:33 and its
 * last 32 bits (RFC 2464 7)
 */
void ipv6_multicast_mac(const struct inet_addr *group, uint8_t mac[6]);

#endif
