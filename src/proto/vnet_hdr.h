/* SPDX-License-Identifier: MIT */
/* vnet_hdr.h — the virtio-net header a VM's datagrams carry (virtio 1.x, 12 bytes): read, checked, written */
#ifndef SVM_PROTO_VNET_HDR_H
#define SVM_PROTO_VNET_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "proto/drop_reason.h"
#include "proto/offload.h"

/*
 * struct virtio_net_hdr_v1 (virtio 1.1 §5.1.6 "Device Operation", Linux
 * include/uapi/linux/virtio_net.h), little-endian: what a VERSION_1 device puts in front
 * of every packet, and what libkrun's unixgram back-end passes on the socket with
 * NET_FLAG_INCLUDE_VNET_HEADER (PR #493/#530, not merged) and vmnet with
 * vmnet_enable_virtio_header_key (macOS 15.4; Apple points at §5.1.6 and names no size).
 *
 *   off size field        sock-vmnet
 *   0   u8   flags        1 NEEDS_CSUM, 2 DATA_VALID; any other bit refused
 *   1   u8   gso_type     0 NONE, 1 TCPV4, 4 TCPV6; UDP (3), UDP_L4 (5) and the ECN bit
 *                         (0x80) refused
 *   2   le16 hdr_len      a hint: replaced by the packet's own header length
 *   4   le16 gso_size     data bytes per segment (the MSS)
 *   6   le16 csum_start   where the TCP/UDP header begins, from the Ethernet header
 *   8   le16 csum_offset  16 (TCP) or 6 (UDP): the checksum field in that header
 *   10  le16 num_buffers  ignored when read; written 1 (virtio: "MUST set num_buffers to 1
 *                         if VIRTIO_NET_F_MRG_RXBUF has not been negotiated")
 */
#define VNET_HDR_LEN 12

#define VNET_F_NEEDS_CSUM 0x01
#define VNET_F_DATA_VALID 0x02
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN 0x80

/**
 * vnet_hdr_read() - a VM's header and the frame after it, checked against each other
 * @hdr: the VNET_HDR_LEN bytes
 * @frame: the frame
 * @len: its length (cut to its IP length when padded, see offload_check())
 * @max_frame: MTU + Ethernet header
 * @info: filled in
 *
 * The header's own rules (flags, types), then offload_check()'s. A header that lies about
 * its packet is refused with the reason: what the kernel's virtio_net_hdr_to_skb() refuses
 * (an unknown GSO type, gso_size 0, checksum offsets past the packet, hdr_len past it) and
 * what it would let through to segmentation time (a type the packet is not, offsets at
 * another place than its checksum, segments longer than the MTU).
 * Return: DROP_NONE; DROP_VNET_FLAGS, DROP_GSO_TYPE, DROP_GSO_SIZE, DROP_CSUM_OFFLOAD,
 * DROP_IP_MALFORMED or DROP_OVERSIZE.
 */
enum drop_reason vnet_hdr_read(const uint8_t hdr[VNET_HDR_LEN], const uint8_t *frame,
			       uint32_t *len, size_t max_frame, struct offload_info *info);

/**
 * vnet_hdr_write() - the header for a packet that @info describes (NULL: a plain one)
 * @hdr: VNET_HDR_LEN bytes
 * @info: a description offload_check() passed, or NULL
 */
void vnet_hdr_write(uint8_t hdr[VNET_HDR_LEN], const struct offload_info *info);

#endif
