/* SPDX-License-Identifier: MIT */
/* vmnet_offload.h — vmnet's TSO and checksum offload, fed to proto/offload as the TAP's are */
#ifndef SVM_VMNET_VMNET_OFFLOAD_H
#define SVM_VMNET_VMNET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/drop_reason.h"
#include "proto/offload.h"

/**
 * vmnet_rx_offload() - what a packet vmnet handed over needs to become the VM's frames
 * @pkt: the packet (its TCP/UDP checksum field may be rewritten)
 * @len: its length
 * @max_frame: the longest frame the VM takes (MTU + Ethernet header)
 * @partial_csum: vmnet's checksum offload is on
 * @info: filled in for packet_split_start()
 *
 * vmnet describes nothing (its virtio header, macOS 15.4's vmnet_enable_virtio_header_key,
 * is not asked for: it excludes checksum offload): a packet longer than @max_frame is a TSO
 * packet, which must be IPv4 TCP and is cut at the VM's MSS (MTU less the headers); with
 * checksum offload a TCP or UDP checksum may hold only the pseudo-header sum, so every one
 * is completed anew (vmnet verified what it received; Apple: "if any checksum verification
 * fails, the packet is dropped") — the split code then writes complete checksums whatever
 * vmnet left in the field. The IPv4 header checksum is made anew too.
 *
 * Return: DROP_NONE, or DROP_OVERSIZE (a large packet that is not IPv4 TCP).
 */
enum drop_reason vmnet_rx_offload(uint8_t *pkt, size_t len, size_t max_frame, bool partial_csum,
				  struct offload_info *info);

/**
 * vmnet_tx_checksum() - complete the TCP or UDP checksum of a joined packet
 *
 * packet_join() leaves the pseudo-header sum, for a kernel that finishes it. vmnet's
 * checksum offload is documented to compute checksums "as necessary", which does not say
 * whether it overwrites one that is there: sock-vmnet hands it complete ones.
 */
void vmnet_tx_checksum(struct joined_packet *m);

#endif
