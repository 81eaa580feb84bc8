// SPDX-License-Identifier: MIT
/* fuzz_offload.c — libFuzzer target: joining the VM's TCP/UDP frames and cutting host packets */
/*
 * Input: a control byte, then
 *   bit 0 = 0: frames from the VM, each as a 2-byte big-endian length and its bytes (at most
 *              16). Every run packet_join() joins is cut again with packet_split_*(): the
 *              segments must come back as the VM sent them (the IP ID aside when DF allows
 *              the host to renumber it), each within the MTU and with valid checksums.
 *   bit 0 = 1: a packet from the host: 8 bytes of offload description (a byte of flags:
 *              bits 0-1 enum gso_kind (3 is GSO_TCP6: a VM's, cut for libslirp), bit 2
 *              needs_csum; a byte unused; gso_size,
 *              csum_start, csum_offset, big-endian), then the packet. Every frame cut from
 *              it must fit the VM's MTU; GSO segments must carry valid checksums.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/checksum.h"
#include "proto/offload.h"

#define MAX_FRAME (1500 + ETH_HDR_LEN)
#define MAX_INPUT_FRAMES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_offload: %s\n", what);
		abort();
	}
}

/* the IP header (IPv4) and TCP/UDP checksums of a frame the splitter produced */
static bool frame_checksums_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HDR_LEN;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, l4_len = len - ETH_HDR_LEN - ihl;

	if (be16(f + 12) == ETHERTYPE_IPV6) { /* TCP right after the fixed header (GSO_TCP6) */
		uint64_t pseudo;

		l4_len = len - ETH_HDR_LEN - IPV6_HDR_LEN;
		pseudo = checksum_pseudo_ipv6(ip, ip[6], (uint32_t)l4_len);
		return be16(ip + 4) == l4_len &&
		       checksum_final(checksum_add(pseudo, ip + IPV6_HDR_LEN, l4_len)) == 0;
	}
	return checksum_final(checksum_add(0, ip, ihl)) == 0 &&
	       checksum_final(checksum_add(checksum_pseudo_ipv4(ip, ip[9], (uint16_t)l4_len),
					   ip + ihl, l4_len)) == 0;
}

static void join_and_cut(const uint8_t *data, size_t size)
{
	static uint8_t bufs[MAX_INPUT_FRAMES][MAX_FRAME], packet[70000], out[MAX_FRAME];
	static struct joined_packet m;
	struct frame_ref frames[MAX_INPUT_FRAMES];
	unsigned n = 0;

	while (size >= 2 && n < MAX_INPUT_FRAMES) {
		size_t len = (size_t)(data[0] << 8 | data[1]);

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len > MAX_FRAME)
			len = MAX_FRAME;
		memcpy(bufs[n], data, len); /* exact-size copies: ASan sees any overread */
		frames[n] = (struct frame_ref){bufs[n], (uint32_t)len, NULL};
		n++;
		data += len;
		size -= len;
	}
	for (unsigned at = 0; at < n;) {
		unsigned joined = packet_join(frames + at, n - at, true, &m);
		struct packet_splitter s;
		size_t len = m.info.hdr_len, got;
		unsigned k = 0;

		check(joined >= 1 && joined <= n - at, "joined more frames than given");
		if (joined == 1) {
			at++;
			continue;
		}
		memcpy(packet, m.hdr, len);
		for (unsigned i = 0; i < joined; i++) {
			memcpy(packet + len, m.payload[i].iov_base, m.payload[i].iov_len);
			len += m.payload[i].iov_len;
		}
		check(packet_split_start(&s, packet, len, &m.info, MAX_FRAME) == DROP_NONE,
		      "a joined packet the splitter refuses");
		while ((got = packet_split_next(&s, out, sizeof(out))) > 0) {
			const uint8_t *orig = frames[at + k].data;
			size_t ip_len = (size_t)(orig[16] << 8 | orig[17]);

			check(k < joined, "cut into more segments than were joined");
			check(got == ETH_HDR_LEN + ip_len, "a segment of another length");
			check(frame_checksums_ok(out, got), "a segment with a wrong checksum");
			/*
			 * All bytes but the IP ID and the two checksums (valid both, but a sum
			 * has two forms, 0x0000 and 0xffff): Ethernet, IP up to the ID, IP from
			 * the flags to the addresses, TCP/UDP up to its checksum and on after it
			 * (joined frames have 20-byte IP headers)
			 */
			size_t sum_at = ETH_HDR_LEN + 20 + (orig[23] == 6 ? 16 : 6);

			check(memcmp(out, orig, 18) == 0 && memcmp(out + 20, orig + 20, 4) == 0 &&
				      memcmp(out + 26, orig + 26, sum_at - 26) == 0 &&
				      memcmp(out + sum_at + 2, orig + sum_at + 2, got - sum_at - 2) == 0,
			      "a segment that differs from the one the VM sent");
			check((orig[20] & 0x40) || memcmp(out + 18, orig + 18, 2) == 0,
			      "an IP ID renumbered without DF");
			k++;
		}
		check(k == joined, "cut into fewer segments than were joined");
		at += joined;
	}
}

static void cut(const uint8_t *data, size_t size)
{
	static uint8_t packet[70000], out[MAX_FRAME];
	struct offload_info info;
	struct packet_splitter s;
	size_t got;

	if (size < 8 || size - 8 > sizeof(packet))
		return;
	info = (struct offload_info){
		.gso = (enum gso_kind)(data[0] & 3),
		.needs_csum = data[0] & 4,
		.gso_size = (uint16_t)(data[2] << 8 | data[3]),
		.csum_start = (uint16_t)(data[4] << 8 | data[5]),
		.csum_offset = (uint16_t)(data[6] << 8 | data[7]),
	};
	memcpy(packet, data + 8, size - 8);
	if (packet_split_start(&s, packet, size - 8, &info, MAX_FRAME) != DROP_NONE)
		return;
	for (unsigned i = 0; (got = packet_split_next(&s, out, sizeof(out))) > 0; i++) {
		check(got <= MAX_FRAME, "a frame beyond the VM's MTU");
		check(info.gso == GSO_NONE || frame_checksums_ok(out, got), "a segment with a bad checksum");
		check(i < 70000, "no end to the segments");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		cut(data + 1, size - 1);
	else
		join_and_cut(data + 1, size - 1);
	return 0;
}
