/* SPDX-License-Identifier: MIT */
/* reject.h — answers that make a refused packet fail at once: TCP resets, ICMP "prohibited" */
#ifndef SVM_PROTO_REJECT_H
#define SVM_PROTO_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

/* ICMP destination unreachable, "communication administratively prohibited" (RFC 1812 5.2.7.1) */
#define ICMP_CODE_ADMIN_PROHIBITED 13

/* Room enough for any answer built here: headers and the offending header's 60 + 8 bytes. */
#define REJECT_FRAME_MAX (ETH_HDR_LEN + IPV4_HDR_LEN + 8 + 60 + 8)

/**
 * reject_reset_sender() - a TCP RST to whoever sent @v, as from its destination
 * @v: a TCP segment (parsed, with its TCP header)
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
 * reject_icmp_prohibited() - ICMP "administratively prohibited" about @v, from a router
 * @v: an IPv4 packet (not itself an ICMP error, not a non-first fragment)
 * @router_mac: the router's MAC, the answer's Ethernet source
 * @router_ip: its address (host order), the answer's source
 * @out: the answer, REJECT_FRAME_MAX bytes
 *
 * Return: the answer's length, or 0 for a packet that must not get one (RFC 1812 4.3.2.7:
 * an ICMP error, a fragment other than the first, a broadcast or multicast).
 */
size_t reject_icmp_prohibited(const struct frame_view *v, const uint8_t router_mac[6],
			      uint32_t router_ip, uint8_t *out);

#endif
