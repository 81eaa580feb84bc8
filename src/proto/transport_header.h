/* SPDX-License-Identifier: MIT */
/* transport_header.h — UDP and TCP headers written, for frames of either IP family */
#ifndef SVM_PROTO_TRANSPORT_HEADER_H
#define SVM_PROTO_TRANSPORT_HEADER_H

#include <stddef.h>
#include <stdint.h>

/* Where a transport header keeps its checksum. */
#define UDP_CSUM_OFFSET 6
#define TCP_CSUM_OFFSET 16

/**
 * struct tcp_fields - the TCP header of one segment
 * @seq: sequence number
 * @ack: acknowledgement number (with TCP_ACK in @flags)
 * @flags: TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST, TCP_PSH
 * @window: the receive window (no scaling)
 * @mss: with TCP_SYN: the MSS option's value (0: none)
 */
struct tcp_fields {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint16_t mss;
};

/**
 * tcp_header_len() - the length of the header tcp_header_put() writes for @tcp: 20 bytes,
 * 24 with an MSS option
 */
size_t tcp_header_len(const struct tcp_fields *tcp);

/**
 * udp_header_put() - a UDP header, its checksum 0 (the caller's family computes it)
 * @udp: where it goes
 * @src_port: source port
 * @dst_port: destination port
 * @udp_len: header and payload
 */
void udp_header_put(uint8_t *udp, uint16_t src_port, uint16_t dst_port, size_t udp_len);

/**
 * tcp_header_put() - a TCP header of tcp_header_len() bytes, its checksum 0 (the caller's
 * family computes it): no options but a SYN's MSS, no urgent pointer
 * @th: where it goes
 * @src_port: source port
 * @dst_port: destination port
 * @tcp: the other fields
 */
void tcp_header_put(uint8_t *th, uint16_t src_port, uint16_t dst_port,
		    const struct tcp_fields *tcp);

#endif
