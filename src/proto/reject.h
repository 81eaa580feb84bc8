/* SPDX-License-Identifier: MIT */
/* reject.h — answers that make a refused packet fail at once: TCP resets, ICMP "prohibited" */
#ifndef SVM_PROTO_REJECT_H
#define SVM_PROTO_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

/* ICMP destination unreachable, "communication administratively prohibited" (RFC 1812 5.2.7.1) */
#define ICMP_CODE_ADMIN_PROHIBITED 13

/*
 * How much of an offending IPv6 packet an ICMPv6 error quotes: as much as fits in IPv6's
 * minimum MTU (RFC 4443 2.4 (c)), 1280 less the error's own 48 bytes of headers.
 */
#define REJECT_QUOTE6_MAX (IPV6_MIN_MTU - IPV6_HDR_LEN - 8)

/* Room enough for any answer built here: the largest is an ICMPv6 error's. */
#define REJECT_FRAME_MAX (ETH_HDR_LEN + IPV6_HDR_LEN + 8 + REJECT_QUOTE6_MAX)

/**
 * reject_reset_sender() - a TCP RST to whoever sent @v, as from its destination
 * @v: a TCP segment (parsed, with its TCP header), of either family
 * @out: the answer, REJECT_FRAME_MAX bytes
 *
 * RFC 9293 3.10.7.1: if @v acknowledges something, the reset's sequence number is that
 * acknowledgement; otherwise it is a RST|ACK acknowledging @v. Return: the answer's length,
 * or 0 when @v is itself a reset (never answered).
 */
size_t reject_reset_sender(const struct frame_view *v, uint8_t *out);

/**
 * reject_reset_receiver() - a TCP RST to @v's destination, as from its sender, as if @v had
 * never been sent (its sequence number is @v's)
 * Return: the answer's length, or 0 for a reset.
 */
size_t reject_reset_receiver(const struct frame_view *v, uint8_t *out);

/**
 * reject_reset_receiver_at() - reject_reset_receiver() with the sequence number @seq: where
 * the receiver's next byte is (RFC 5961 3.2: a reset is taken only exactly there)
 */
size_t reject_reset_receiver_at(const struct frame_view *v, uint32_t seq, uint8_t *out);

/**
 * reject_icmp_prohibited() - "administratively prohibited" about @v, from a router: ICMP
 * destination unreachable code 13 (RFC 1812 5.2.7.1), or ICMPv6 destination unreachable
 * code 1 (RFC 4443 3.1)
 * @v: an IP packet (not itself an ICMP error, not a non-first fragment)
 * @router_mac: the router's MAC, the answer's Ethernet source
 * @router: its address, the answer's source, of @v's family
 * @out: the answer, REJECT_FRAME_MAX bytes
 *
 * Return: the answer's length, or 0 for a packet that must not get one (RFC 1812 4.3.2.7,
 * RFC 4443 2.4 (e): an ICMP error, a fragment other than the first, a broadcast or multicast).
 */
size_t reject_icmp_prohibited(const struct frame_view *v, const uint8_t router_mac[6],
			      const struct inet_addr *router, uint8_t *out);

#endif
