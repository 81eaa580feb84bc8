/* SPDX-License-Identifier: MIT */
/* offload.h — large packets: the VM's TCP segments joined (GRO), the host's packets split (GSO) */
#ifndef SVM_OFFLOAD_H
#define SVM_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "frame.h"
#include "frame_port.h"

/*
 * A VM on a datagram socket sends and receives frames no bigger than its MTU, but the
 * host's kernel spends most of its per-packet cost (bridge, conntrack, NAT, routing,
 * the receiver's TCP) once per packet whatever its size. So frames of one TCP flow are
 * joined into one large packet on the way to the host, and large packets from the host
 * are split into MTU-sized frames on the way to the VM — the work a NIC's LRO/TSO does.
 * The description of such a packet is the offload_info below (Linux: virtio_net_hdr).
 */

/** Most frames joined into one packet: a 64 KiB IPv4 packet of 1448-byte segments is 46. */
#define TCP_COALESCE_MAX 64

/**
 * struct offload_info - what a large or checksum-less packet needs done
 * @gso_tcp4: an IPv4 TCP packet to be cut into segments of @gso_size data bytes
 * @needs_csum: the checksum at @csum_start + @csum_offset holds only the pseudo-header
 *              sum; the sum from @csum_start to the end is still to be added
 * @gso_size: data bytes per segment
 * @hdr_len: Ethernet + IP + TCP header bytes
 */
struct offload_info {
	bool gso_tcp4;
	bool needs_csum;
	uint16_t gso_size;
	uint16_t hdr_len;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/**
 * struct tcp_merged - frames of one TCP flow joined into one packet
 * @frames: how many frames, from the first, were joined (1: send the first as it is)
 * @info: how the joined packet is to be segmented and checksummed
 * @hdr: the joined packet's Ethernet, IP and TCP headers (the first frame's, lengths and
 *       checksums rewritten); @info.hdr_len bytes
 * @payload: the data of each joined frame, in order; the packet is @hdr followed by these
 */
struct tcp_merged {
	unsigned frames;
	struct offload_info info;
	uint8_t hdr[ETH_HDR_LEN + 60 + 60];
	struct iovec payload[TCP_COALESCE_MAX];
};

/**
 * tcp_coalesce() - join the frames at the head of a list that continue one TCP flow
 * @frames: frames that passed the guard, in the order the VM sent them
 * @n: their number
 * @m: filled in when more than one frame joins
 *
 * The rules are those of Linux's GRO, so that the joined packet, cut again by the host,
 * gives back the same segments: IPv4 without options or fragments; the same MACs, TOS,
 * TTL, addresses, ports, ACK number, window and TCP options; consecutive sequence
 * numbers; only ACK (and PSH on the last) set; every segment as long as the first but
 * the last. Each frame's IP and TCP checksums are verified first, so a damaged segment
 * is never hidden inside a packet whose checksum is computed anew.
 *
 * Return: the number of frames joined into @m (2..TCP_COALESCE_MAX), or 1 when the
 * first frame goes alone and unchanged (@m untouched).
 */
unsigned tcp_coalesce(const struct frame_ref *frames, unsigned n, struct tcp_merged *m);

/**
 * struct packet_splitter - a packet from the host being made into frames for the VM
 *
 * A GSO packet becomes one frame per segment; any other packet becomes one frame, its
 * checksum completed if the host left it to us.
 * @pkt: the packet (Ethernet frame), not owned
 * @len: its length
 * @info: what the host asked for
 * @ip_hdr_len: IPv4 header bytes (GSO only)
 * @next: offset in @pkt of the next segment's data (GSO) or 0 before the only frame
 * @index: segments produced so far
 * @done: nothing left
 */
struct packet_splitter {
	const uint8_t *pkt;
	size_t len;
	struct offload_info info;
	size_t ip_hdr_len;
	size_t next;
	unsigned index;
	bool done;
};

/**
 * packet_split_start() - check a packet the host handed over and prepare to cut it
 *
 * A packet that asks for nothing passes unchanged; one that only needs its checksum
 * gets it (any protocol); a GSO packet must be IPv4 TCP with its headers complete.
 * @s: the splitter
 * @pkt: the packet, starting at the Ethernet header
 * @len: its length
 * @info: its offload description
 * @max_frame: the longest frame the VM takes (MTU + Ethernet header)
 *
 * Return: DROP_NONE, or DROP_OVERSIZE (segments would not fit the VM's MTU) or
 * DROP_IP_MALFORMED (headers and offload description disagree).
 */
enum drop_reason packet_split_start(struct packet_splitter *s, const uint8_t *pkt, size_t len,
				 const struct offload_info *info, size_t max_frame);

/**
 * packet_split_next() - write the next frame of the packet
 * @s: the splitter, after packet_split_start()
 * @out: where the frame goes; for a packet that is not GSO, may be the packet itself
 * @out_cap: its size; at least the @max_frame given to packet_split_start()
 *
 * Each frame carries complete IP and TCP checksums; sequence numbers, IP IDs and flags
 * (FIN and PSH on the last segment only, CWR on the first only) are those the host's
 * kernel would have produced.
 *
 * Return: the frame's length, or 0 when the packet is used up.
 */
size_t packet_split_next(struct packet_splitter *s, uint8_t *out, size_t out_cap);

#endif
