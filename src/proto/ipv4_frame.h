/* SPDX-License-Identifier: MIT */
/* ipv4_frame.h — whole Ethernet/IPv4/UDP and TCP frames written around a payload, checksummed */
#ifndef SVM_PROTO_IPV4_FRAME_H
#define SVM_PROTO_IPV4_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/transport_header.h"
#include "proto/wire.h"

/**
 * struct ipv4_ends - who a frame goes from and to
 * @src_mac: Ethernet source
 * @dst_mac: Ethernet destination
 * @src_ip: IPv4 source, host order
 * @dst_ip: IPv4 destination, host order
 * @src_port: UDP/TCP source port
 * @dst_port: UDP/TCP destination port
 */
struct ipv4_ends {
	const uint8_t *src_mac, *dst_mac;
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
};

/* Where the payload goes in a frame built by ipv4_udp_frame(). */
#define IPV4_UDP_PAYLOAD_OFFSET ETH_IPV4_UDP_HDR_LEN

/**
 * ipv4_udp_frame() - Ethernet, IPv4 and UDP headers around a payload already in place
 * @frame: the frame; the payload is at IPV4_UDP_PAYLOAD_OFFSET
 * @payload_len: its length
 * @ends: addresses and ports
 * @tos: the IPv4 TOS byte (0x10, "low delay", for DHCP as ISC dhcpd and dnsmasq send it)
 *
 * Return: the frame's length.
 */
size_t ipv4_udp_frame(uint8_t *frame, size_t payload_len, const struct ipv4_ends *ends,
		      uint8_t tos);

/* Where the payload goes in a frame built by ipv4_tcp_frame() (no options but MSS on SYN). */
#define IPV4_TCP_PAYLOAD_OFFSET (ETH_HDR_LEN + IPV4_HDR_LEN + TCP_MIN_HDR_LEN)

/**
 * ipv4_tcp_frame() - a TCP segment: headers written around the payload already in place
 * @frame: the frame; the payload is at IPV4_TCP_PAYLOAD_OFFSET (a SYN carries none: its MSS
 *         option takes those bytes)
 * @payload_len: its length
 * @ends: addresses and ports
 * @tcp: the TCP header's fields
 *
 * Return: the frame's length.
 */
size_t ipv4_tcp_frame(uint8_t *frame, size_t payload_len, const struct ipv4_ends *ends,
		      const struct tcp_fields *tcp);

/* An ICMP error: type, code, 4 unused bytes, then the body (RFC 792). */
#define ICMP_HDR_LEN 8
/* Where the body goes in a frame built by ipv4_icmp_frame(). */
#define IPV4_ICMP_PAYLOAD_OFFSET (ETH_HDR_LEN + IPV4_HDR_LEN + ICMP_HDR_LEN)

/**
 * ipv4_icmp_frame() - an ICMP error message: headers written around the body already in place
 * @frame: the frame; the body (the offending datagram's header and first bytes) is at
 *         IPV4_ICMP_PAYLOAD_OFFSET
 * @body_len: its length
 * @ends: addresses (ports unused)
 * @type: ICMP type
 * @code: ICMP code
 *
 * Return: the frame's length.
 */
size_t ipv4_icmp_frame(uint8_t *frame, size_t body_len, const struct ipv4_ends *ends,
		       uint8_t type, uint8_t code);

#endif
