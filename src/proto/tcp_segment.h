/* SPDX-License-Identifier: MIT */
/* tcp_segment.h — a TCP segment checked as a server would, and segments made after one's model */
#ifndef SVM_PROTO_TCP_SEGMENT_H
#define SVM_PROTO_TCP_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

/**
 * tcp_segment_checksums_ok() - whether @v's IPv4 header checksum and TCP checksum are right,
 * as the server's kernel would find them (it drops the segment otherwise)
 * @v: a TCP segment, parsed, not a fragment (IPv6: its TCP checksum only)
 */
bool tcp_segment_checksums_ok(const struct frame_view *v);

/**
 * tcp_segments_build() - @len bytes from sequence number @seq, cut into segments after the
 * model of @tmpl: its Ethernet, IP and TCP headers (options and IPv6 extension headers too)
 * with each segment's sequence number, lengths, IPv4 identification (@tmpl's, counting up),
 * flags (@tmpl's ACK; PSH, and FIN when @fin, on the last) and checksums set
 * @tmpl: a parsed TCP segment (IPv4 or IPv6) of the same connection and direction
 * @seq: the first byte's sequence number
 * @data: the bytes
 * @len: how many (> 0)
 * @mss: the most payload one segment carries (> 0)
 * @fin: the last segment carries FIN
 * @out: where the frames are written, back to back
 * @out_cap: its size
 * @refs: one per frame made
 * @refs_max: how many @refs has
 * Return: the number of frames made; 0 when they do not fit into @out or @refs.
 */
size_t tcp_segments_build(const struct frame_view *tmpl, uint32_t seq, const uint8_t *data,
			  size_t len, size_t mss, bool fin, uint8_t *out, size_t out_cap,
			  struct frame_ref *refs, size_t refs_max);

#endif
