// SPDX-License-Identifier: MIT
/* fuzz_vnet_hdr.c — libFuzzer target: a VM's virtio-net header and its packet, or a krunkit VM's headerless frame */
/*
 * Input: a control byte, then
 *   bit 0 = 0: a 12-byte virtio_net_hdr_v1 and the frame after it, as --vm-offload=vnet-hdr
 *              reads them (vnet_hdr_read());
 *   bit 0 = 1: a frame alone, as --vm-offload=on reads it (offload_infer());
 *   bits 1-2:  the MTU: 1500, 576, 9000 or 65521.
 * Whatever is taken must keep the promises the back-ends rely on: within the bytes given;
 * a GSO packet TCP of the family its type names (GSO_TCP4: IPv4, GSO_TCP6: IPv6 with TCP
 * right after the fixed header) with its segments within the MTU and a gso_size that is not
 * 0; a partial checksum's offsets at the packet's own TCP/UDP checksum; cut as the host's
 * kernel cuts it (or, IPv6, sock-vmnet for libslirp), the segments give back its data in
 * order with whole checksums; a partial checksum
 * that holds the pseudo-header sum completes to a right one; and the header written for it
 * reads back the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/checksum.h"
#include "proto/offload.h"
#include "proto/vnet_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned mtus[4] = {1500, 576, 9000, 65521};

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_vnet_hdr: %s\n", what);
		abort();
	}
}

static bool ip_checksum_ok(const uint8_t *f)
{
	if (be16(f + 12) == ETHERTYPE_IPV6)
		return true; /* none in IPv6 */
	return checksum_final(checksum_add(0, f + ETH_HDR_LEN,
					   (size_t)(f[ETH_HDR_LEN] & 0xf) * 4)) == 0;
}

static bool is_ipv6(const uint8_t *f)
{
	return be16(f + 12) == ETHERTYPE_IPV6;
}

static bool l4_checksum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HDR_LEN;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, l4_len = len - ETH_HDR_LEN - ihl;

	if (is_ipv6(f)) {
		l4_len = len - ETH_HDR_LEN - IPV6_HDR_LEN;
		uint64_t pseudo = checksum_pseudo_ipv6(ip, ip[6], (uint32_t)l4_len);

		return checksum_final(checksum_add(pseudo, ip + IPV6_HDR_LEN, l4_len)) == 0;
	}
	return checksum_final(checksum_add(checksum_pseudo_ipv4(ip, ip[9], (uint16_t)l4_len),
					   ip + ihl, l4_len)) == 0;
}

/* The promises of a packet that was taken, described by @info. */
static void promises(uint8_t *pkt, uint32_t len, uint32_t given, size_t max_frame,
		     const struct offload_info *info)
{
	static uint8_t seg[65536 + 64];
	struct packet_splitter s;
	size_t got = 0, n;

	check(len <= given, "a length beyond the bytes given");
	if (!offload_any(info)) {
		check(len <= max_frame, "a plain frame longer than the MTU");
		return;
	}
	check((len >= ETH_HDR_LEN + IPV4_HDR_LEN && be16(pkt + 12) == ETHERTYPE_IPV4) ||
		      (len >= ETH_HDR_LEN + IPV6_HDR_LEN && is_ipv6(pkt) &&
		       be16(pkt + ETH_HDR_LEN + 4) == len - ETH_HDR_LEN - IPV6_HDR_LEN &&
		       info->csum_start == ETH_HDR_LEN + IPV6_HDR_LEN),
	      "offloaded, not IPv4 nor IPv6 of its length without extension headers");
	check(info->hdr_len <= len && info->hdr_len > info->csum_start, "hdr_len outside");
	check(info->needs_csum, "GSO without a partial checksum");
	check((size_t)info->csum_start + info->csum_offset + 2 <= len, "csum offsets outside");
	check(info->csum_offset == 16 || info->csum_offset == 6, "csum_offset elsewhere");
	if (info->gso == GSO_NONE) {
		check(len <= max_frame, "a plain frame longer than the MTU");
	} else {
		check(is_ipv6(pkt) ? info->gso == GSO_TCP6 && pkt[ETH_HDR_LEN + 6] == IPPROTO_TCP_
				   : info->gso == GSO_TCP4 && pkt[ETH_HDR_LEN + 9] == IPPROTO_TCP_,
		      "GSO not TCP of its family");
		check(info->gso_size > 0 && info->hdr_len + (size_t)info->gso_size <= max_frame,
		      "segments beyond the MTU");
		check(len > info->hdr_len + (size_t)info->gso_size, "one segment kept as GSO");
		/* cut as the host cuts it: the data back, in order, whole checksums, MTU-sized */
		check(packet_split_start(&s, pkt, len, info, max_frame) == DROP_NONE,
		      "the splitter refuses what was taken");
		while ((n = packet_split_next(&s, seg, sizeof(seg))) > 0) {
			check(n <= max_frame, "a segment beyond the MTU");
			check(ip_checksum_ok(seg) && l4_checksum_ok(seg, n),
			      "a segment with a wrong checksum");
			check(memcmp(seg + info->hdr_len, pkt + info->hdr_len + got,
				     n - info->hdr_len) == 0,
			      "a segment's data is not the packet's");
			got += n - info->hdr_len;
		}
		check(got == len - info->hdr_len, "the segments lost data");
	}
	if (offload_partial_ok(pkt, len, info)) {
		offload_finish_csum(pkt, len, info);
		check(l4_checksum_ok(pkt, len), "a completed checksum is wrong");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[OFFLOAD_FRAME_MAX + 64], copy[OFFLOAD_FRAME_MAX + 64];
	size_t max_frame;
	struct offload_info info, again;
	uint8_t hdr[VNET_HDR_LEN];
	uint32_t len, given, len2;
	enum drop_reason why;
	bool infer;

	if (size < 1)
		return 0;
	infer = data[0] & 1;
	max_frame = mtus[(data[0] >> 1) & 3] + ETH_HDR_LEN;
	data++, size--;
	if (!infer) {
		if (size < VNET_HDR_LEN)
			return 0;
		memcpy(hdr, data, VNET_HDR_LEN);
		data += VNET_HDR_LEN;
		size -= VNET_HDR_LEN;
	}
	if (size > OFFLOAD_FRAME_MAX)
		size = OFFLOAD_FRAME_MAX;
	/* the fuzzer's bytes are read only: the packet is a copy, exactly as long */
	memcpy(pkt, data, size);
	given = len = (uint32_t)size;
	why = infer ? offload_infer(pkt, &len, max_frame, &info)
		    : vnet_hdr_read(hdr, pkt, &len, max_frame, &info);
	check(why < DROP__COUNT, "a reason out of range");
	if (why != DROP_NONE)
		return 0;
	memcpy(copy, pkt, len);
	/* the header written for it reads back as the same description */
	if (offload_any(&info)) {
		vnet_hdr_write(hdr, &info);
		len2 = len;
		check(vnet_hdr_read(hdr, copy, &len2, max_frame, &again) == DROP_NONE,
		      "a written header does not read back");
		check(len2 == len && again.gso == info.gso && again.needs_csum == info.needs_csum &&
			      again.hdr_len == info.hdr_len && again.csum_start == info.csum_start &&
			      again.csum_offset == info.csum_offset &&
			      (info.gso == GSO_NONE || again.gso_size == info.gso_size),
		      "a written header reads back otherwise");
	}
	promises(pkt, len, given, max_frame, &info);
	return 0;
}
