/* SPDX-License-Identifier: MIT */
/* offload.h — large packets: the VM's TCP segments joined (GRO), the host's packets split (GSO) */
#ifndef SVM_PROTO_OFFLOAD_H
#define SVM_PROTO_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "proto/frame.h"

/*
 * A VM on a datagram socket sends and receives frames no bigger than its MTU, but the
 * host's kernel spends most of its per-packet cost (bridge, conntrack, NAT, routing,
 * the receiver's TCP) once per packet whatever its size. So frames of one TCP flow are
 * joined into one large packet on the way to the host, and large packets from the host
 * are split into MTU-sized frames on the way to the VM — the work a NIC's LRO/TSO does.
 * The description of such a packet is the offload_info below (Linux: virtio_net_hdr).
 */

/**
 * Most frames joined into one packet: Linux's UDP GRO limit (UDP_GRO_CNT_MAX); a 64 KiB IPv4
 * packet of 1448-byte TCP segments is 45.
 */
#define JOIN_MAX 64

/** enum gso_kind - what a large packet is to be cut into */
enum gso_kind {
	GSO_NONE,  /* not a large packet */
	GSO_TCP4,  /* IPv4 TCP segments of gso_size data bytes */
	GSO_UDP4,  /* IPv4 UDP datagrams of gso_size data bytes (Linux: UDP_L4, "USO") */
	GSO_TCP6,  /* IPv6 TCP segments (no extension headers) of gso_size data bytes */
	GSO_OTHER, /* anything else: refused */
};

/**
 * struct offload_info - what a large or checksum-less packet needs done
 * @gso: whether, and into what, the packet is to be cut
 * @needs_csum: the checksum at @csum_start + @csum_offset holds only the pseudo-header
 *              sum; the sum from @csum_start to the end is still to be added
 * @gso_size: data bytes per segment
 * @hdr_len: Ethernet + IP + TCP/UDP header bytes
 */
struct offload_info {
	enum gso_kind gso;
	bool needs_csum;
	uint16_t gso_size;
	uint16_t hdr_len;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/*
 * The longest frame of a VM whose hypervisor offloads (krunkit's offloading=on): libkrun's
 * buffer of 65562 bytes holds a 12-byte virtio_net_hdr_v1 and the frame (libkrun
 * src/devices/src/virtio/net/mod.rs MAX_BUFFER_SIZE; unixgram.rs sets macOS's SO_SNDBUF to
 * 65550, "it determines the maximum frame size"). An IPv4 TSO packet is at most 14 + 65535;
 * an IPv6 one 14 + 65536 (Linux's GSO_MAX_SIZE counts the IPv6 header), which fits.
 */
#define OFFLOAD_FRAME_MAX 65550

/** offload_any() - whether @info asks for anything: a large packet, or a partial checksum */
static inline bool offload_any(const struct offload_info *info)
{
	return info->gso != GSO_NONE || info->needs_csum;
}

/** offload_segments() - the segments a GSO packet of @len bytes stands for (0: not GSO) */
static inline unsigned offload_segments(const struct offload_info *info, size_t len)
{
	if (info->gso == GSO_NONE || !info->gso_size || len <= info->hdr_len)
		return 0;
	return (unsigned)((len - info->hdr_len + info->gso_size - 1) / info->gso_size);
}

/**
 * offload_check() - check a packet against the description that came with it
 * @frame: the packet, from its Ethernet header
 * @len: its length; a frame padded beyond its IP length is cut to it (a checksum left to
 *       the host would take the padding in)
 * @max_frame: the longest frame of the link (MTU + Ethernet header): the segments of a GSO
 *             packet must fit it, and a packet that asks for nothing
 * @info: the description (gso, needs_csum, gso_size, csum_start, csum_offset); hdr_len is
 *        set from the packet's own headers (a sender's hdr_len is only a hint), and a GSO
 *        packet whose data fits one segment becomes a plain one
 *
 * The rules are those of Linux's virtio_net_hdr_to_skb() (include/linux/virtio_net.h), and
 * stricter: GSO only of TCP, IPv4 (GSO_TCP4) or IPv6 (GSO_TCP6) as the type says, not
 * ECN-marked, with a partial checksum, no SYN, RST or URG, a gso_size other than 0 whose
 * segments fit the MTU, the IP length that of the frame; a partial checksum only of an
 * unfragmented IPv4 TCP or UDP packet, or an IPv6 one whose TCP or UDP header follows the
 * fixed header (no extension headers, see offload_check.c), at exactly its TCP (16) or
 * UDP (6) checksum field.
 * Return: DROP_NONE; DROP_GSO_TYPE, DROP_GSO_SIZE, DROP_CSUM_OFFLOAD, DROP_IP_MALFORMED or
 * DROP_OVERSIZE.
 */
enum drop_reason offload_check(const uint8_t *frame, uint32_t *len, size_t max_frame,
			       struct offload_info *info);

/**
 * offload_infer() - what a VM whose hypervisor drops the virtio-net header meant (krunkit)
 * @frame: the frame (a whole checksum of a large packet is turned into a partial one)
 * @len: its length (cut to its IP length when its checksum is left partial)
 * @max_frame: MTU + Ethernet header
 * @info: filled in
 *
 * libkrun's unixgram back-end strips the guest's header (unixgram.rs write_frame(): it sends
 * from hdr_len on), so with offloading=on a frame longer than the MTU is a TSO packet of
 * IPv4 TCP (krunkit's guest has HOST_TSO4), or of IPv6 TCP (a libkrun guest given
 * HOST_TSO6, krun_add_net_unixgram()'s NET_ALL_FEATURES), whose segment size was lost: it is
 * cut at the MSS the MTU allows, as vmnet cuts (vmnet_offload.c). And any TCP or UDP
 * checksum of either family may be
 * partial (the guest has CSUM): one that holds exactly the pseudo-header sum is taken as
 * partial. Nothing is lost by that when it was in fact whole: a whole checksum equal to the
 * pseudo-header sum is what completing that sum gives again.
 * Return: as offload_check(); a large packet that is not TCP is DROP_GSO_TYPE, one
 * whose checksum is neither partial nor whole DROP_CSUM_OFFLOAD.
 */
enum drop_reason offload_infer(uint8_t *frame, uint32_t *len, size_t max_frame,
			       struct offload_info *info);

/**
 * offload_finish_csum() - store the whole TCP/UDP checksum a partial one stood for
 * @frame: a packet that passed offload_check() (or offload_infer())
 * @len: its length
 * @info: its description; nothing is done unless needs_csum
 *
 * The sum from csum_start to the end, the field's pseudo-header sum included, as Linux's
 * skb_checksum_help() makes it; UDP's 0 is stored as 0xffff (RFC 768).
 */
void offload_finish_csum(uint8_t *frame, size_t len, const struct offload_info *info);

/**
 * offload_partial_ok() - whether a partial checksum holds exactly the pseudo-header sum of
 * its IPv4 or IPv6 packet, so that completing it gives the right checksum
 * @frame: a packet that passed offload_check() with needs_csum
 * @len: its length
 * @info: its description
 */
bool offload_partial_ok(const uint8_t *frame, size_t len, const struct offload_info *info);

/**
 * struct joined_packet - frames of one TCP or UDP flow joined into one packet
 * @frames: how many frames, from the first, were joined
 * @info: how the joined packet is to be cut and checksummed
 * @hdr: the joined packet's Ethernet, IP and TCP/UDP headers (the first frame's, lengths
 *       and checksums rewritten); @info.hdr_len bytes
 * @payload: the data of each joined frame, in order; the packet is @hdr followed by these
 */
struct joined_packet {
	unsigned frames;
	struct offload_info info;
	uint8_t hdr[ETH_HDR_LEN + 60 + 60];
	struct iovec payload[JOIN_MAX];
};

/**
 * packet_join() - join the frames at the head of a list that continue one flow
 * @frames: frames that passed the guard, in the order the VM sent them
 * @n: their number
 * @join_udp: UDP datagrams may be joined too (the host takes GSO_UDP4)
 * @m: filled in when more than one frame joins
 *
 * The rules are those of Linux's GRO, so that the joined packet, cut again by the host,
 * gives back the same frames: IPv4 without options or fragments; the same MACs, TOS,
 * TTL, addresses and ports; IP IDs counting up (or DF set); every segment as long as the
 * first but the last. TCP: the same ACK number, window, urgent pointer and options,
 * consecutive sequence numbers, only ACK (and PSH on the last) set. UDP: a checksum
 * present. Each frame's IP and TCP/UDP checksums are verified first, so a damaged frame
 * is never hidden inside a packet whose checksum is computed anew.
 *
 * Return: the number of frames joined into @m (2..JOIN_MAX), or 1 when the first frame
 * goes alone and unchanged (@m untouched).
 */
unsigned packet_join(const struct frame_ref *frames, unsigned n, bool join_udp,
		     struct joined_packet *m);

/**
 * joined_checksum() - complete the TCP or UDP checksum of a joined packet, for a receiver
 * that does not (vmnet, a VM whose hypervisor passes no virtio-net header)
 * @m: what packet_join() made: its checksum field holds the pseudo-header sum
 */
void joined_checksum(struct joined_packet *m);

/**
 * struct packet_splitter - a packet from the host being made into frames for the VM
 *
 * A GSO packet becomes one frame per segment; any other packet becomes one frame, its
 * checksum completed if the host left it to us.
 * @pkt: the packet (Ethernet frame), not owned
 * @len: its length
 * @info: what the host asked for
 * @ip_hdr_len: IP header bytes (GSO only)
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
 * gets it (any protocol); a GSO packet must be IPv4 TCP or UDP, or IPv6 TCP right after
 * the fixed header (a VM's GSO_TCP6, cut for libslirp), with its headers complete.
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
 * Each frame carries complete IP and TCP/UDP checksums; lengths, sequence numbers, IP IDs
 * and flags (FIN and PSH on the last segment only, CWR on the first only) are those the
 * host's kernel would have produced. A checksum that comes out 0 is sent as 0xffff, its
 * other form (RFC 768: for UDP, 0 means "none"), as Linux does (CSUM_MANGLED_0).
 *
 * Return: the frame's length, or 0 when the packet is used up.
 */
size_t packet_split_next(struct packet_splitter *s, uint8_t *out, size_t out_cap);

#endif
