// SPDX-License-Identifier: MIT
/* test_offload.c — unit tests of src/offload_join.c and src/offload_split.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/checksum.h"
#include "proto/offload.h"

#define MSS 1448
#define TCP_HDR 32 /* with the timestamp option, as Linux sends */
#define HDRS (ETH_HDR_LEN + 20 + TCP_HDR)
#define MAX_FRAMES 64
#define FRAME_MAX (1500 + ETH_HDR_LEN)

#define ACK 0x10
#define PSH 0x08
#define FIN 0x01
#define SYN 0x02
#define CWR 0x80

static uint8_t frames_buf[MAX_FRAMES][FRAME_MAX + 16];
static struct frame_ref frames[MAX_FRAMES];
static struct joined_packet merged;

/* segment options: what a test changes from the defaults of a bulk transfer */
struct seg {
	size_t data_len;
	uint8_t flags;
	uint32_t seq;
	uint16_t ip_id;
	bool no_df;
	uint32_t ack;
	size_t pad_to; /* Ethernet padding up to this frame length */
};

static uint8_t data_byte(uint32_t seq)
{
	return (uint8_t)(seq * 7 + (seq >> 8));
}

/* build_frame() - an IPv4 TCP segment from 192.168.64.2:40000 to 198.19.0.1:5201 */
static void build_frame(unsigned i, const struct seg *s)
{
	uint8_t *f = frames_buf[i], *ip = f + ETH_HDR_LEN, *tcp = ip + 20;
	const uint8_t head[] = {0x02, 0x73, 0x76, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00,
				0x12, 0x34, 0x56, 0x08, 0x00};
	size_t ip_len = 20 + TCP_HDR + s->data_len;

	memset(f, 0, FRAME_MAX + 16);
	memcpy(f, head, sizeof(head));
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)ip_len);
	put_be16(ip + 4, s->ip_id);
	put_be16(ip + 6, s->no_df ? 0 : 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){192, 168, 64, 2, 198, 19, 0, 1}, 8);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, 20)));
	put_be16(tcp, 40000);
	put_be16(tcp + 2, 5201);
	put_be32(tcp + 4, s->seq);
	put_be32(tcp + 8, s->ack ? s->ack : 0x11223344);
	tcp[12] = (TCP_HDR / 4) << 4;
	tcp[13] = s->flags;
	put_be16(tcp + 14, 501);
	memcpy(tcp + 20, (uint8_t[]){1, 1, 8, 10, 0, 0, 0, 42, 0, 0, 0, 7}, 12);
	for (size_t k = 0; k < s->data_len; k++)
		tcp[TCP_HDR + k] = data_byte(s->seq + (uint32_t)k);
	put_be16(tcp + 16, checksum_final(checksum_add(
				   checksum_pseudo_ipv4(ip, 6, (uint16_t)(TCP_HDR + s->data_len)),
				   tcp, TCP_HDR + s->data_len)));
	frames[i] = (struct frame_ref){f, (uint32_t)(ETH_HDR_LEN + ip_len), NULL};
	if (s->pad_to > frames[i].len)
		frames[i].len = (uint32_t)s->pad_to;
}

/* build_udp() - a UDP datagram 192.168.64.2:40000 -> 198.19.0.1:@dport, IP ID @id, no DF */
static void build_udp(unsigned i, size_t data_len, uint16_t id, uint16_t dport, bool no_csum)
{
	uint8_t *f = frames_buf[i], *ip = f + ETH_HDR_LEN, *udp = ip + 20;
	size_t udp_len = UDP_HDR_LEN + data_len;

	build_frame(i, &(struct seg){.data_len = 0, .flags = ACK, .ip_id = id, .no_df = true});
	ip[9] = 17;
	put_be16(ip + 2, (uint16_t)(20 + udp_len));
	put_be16(ip + 10, 0);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, 20)));
	memset(udp, 0, udp_len);
	put_be16(udp, 40000);
	put_be16(udp + 2, dport);
	put_be16(udp + 4, (uint16_t)udp_len);
	for (size_t k = 0; k < data_len; k++)
		udp[UDP_HDR_LEN + k] = data_byte((uint32_t)(i * 5000 + k));
	if (!no_csum) {
		uint16_t c = checksum_final(checksum_add(checksum_pseudo_ipv4(ip, 17, (uint16_t)udp_len),
							 udp, udp_len));

		put_be16(udp + 6, c ? c : 0xffff);
	}
	frames[i] = (struct frame_ref){f, (uint32_t)(ETH_HDR_LEN + 20 + udp_len), NULL};
}

/* a bulk flow: @n full segments from sequence 1000, IDs counting from 100 */
static void build_flow(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		build_frame(i, &(struct seg){.data_len = MSS, .flags = ACK,
					     .seq = 1000 + i * MSS, .ip_id = (uint16_t)(100 + i)});
}

/* the joined packet as the host would receive it: headers, then every payload */
static size_t joined_packet(uint8_t *out)
{
	size_t len = merged.info.hdr_len;

	memcpy(out, merged.hdr, len);
	for (unsigned k = 0; k < merged.frames; k++) {
		memcpy(out + len, merged.payload[k].iov_base, merged.payload[k].iov_len);
		len += merged.payload[k].iov_len;
	}
	return len;
}

/* the joined packet, checksum completed, must be a valid TCP packet */
static void assert_packet_valid(uint8_t *pkt, size_t len)
{
	uint8_t *ip = pkt + ETH_HDR_LEN;
	size_t tcp_len = len - ETH_HDR_LEN - 20;

	assert_int_equal(be16(ip + 2), len - ETH_HDR_LEN);
	assert_int_equal(checksum_final(checksum_add(0, ip, 20)), 0);
	/* what the host does with NEEDS_CSUM: sum from csum_start, store at csum_offset */
	put_be16(pkt + merged.info.csum_start + merged.info.csum_offset,
		 checksum_final(checksum_add(0, pkt + merged.info.csum_start,
					     len - merged.info.csum_start)));
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv4(ip, 6, (uint16_t)tcp_len),
						     ip + 20, tcp_len)),
			 0);
}

/* cut @pkt with @info; the frames must equal frames[first..first+count) byte for byte */
static void assert_splits_into(const uint8_t *pkt, size_t len, const struct offload_info *info,
			       unsigned first, unsigned count)
{
	struct packet_splitter s;
	uint8_t out[FRAME_MAX];
	unsigned i = 0;
	size_t n;

	assert_int_equal(packet_split_start(&s, pkt, len, info, FRAME_MAX), DROP_NONE);
	while ((n = packet_split_next(&s, out, sizeof(out))) > 0) {
		assert_true(i < count);
		assert_int_equal(n, frames[first + i].len);
		assert_memory_equal(out, frames[first + i].data, n);
		i++;
	}
	assert_int_equal(i, count);
	assert_true(s.done);
}

/* segments of a bulk flow join, and cutting the result gives back the very same frames */
static void test_join_and_split_round_trip(void **state)
{
	static uint8_t pkt[70000];
	size_t len;

	(void)state;
	build_flow(10);
	assert_int_equal(packet_join(frames, 10, true, &merged), 10);
	assert_true(merged.info.gso == GSO_TCP4 && merged.info.needs_csum);
	assert_int_equal(merged.info.gso_size, MSS);
	assert_int_equal(merged.info.hdr_len, HDRS);
	assert_int_equal(merged.info.csum_start, ETH_HDR_LEN + 20);
	assert_int_equal(merged.info.csum_offset, 16);
	len = joined_packet(pkt);
	assert_int_equal(len, HDRS + 10 * MSS);
	assert_packet_valid(pkt, len);
	assert_splits_into(pkt, len, &merged.info, 0, 10);
}

/* a run ends at a short segment (included) and at a push (included) */
static void test_run_ends_at_short_or_push(void **state)
{
	(void)state;
	build_flow(6);
	build_frame(2, &(struct seg){.data_len = 500, .flags = ACK, .seq = 1000 + 2 * MSS,
				     .ip_id = 102});
	assert_int_equal(packet_join(frames, 6, true, &merged), 3);

	build_flow(6);
	build_frame(3, &(struct seg){.data_len = MSS, .flags = ACK | PSH, .seq = 1000 + 3 * MSS,
				     .ip_id = 103});
	assert_int_equal(packet_join(frames, 6, true, &merged), 4);
	assert_int_equal(merged.hdr[ETH_HDR_LEN + 20 + 13], ACK | PSH);
	/* a push on the first segment: nothing joins it */
	assert_int_equal(packet_join(frames + 3, 3, true, &merged), 1);
}

/* what must not be joined: a gap, another ACK, SYN/FIN, IDs that do not count up */
static void test_not_joined(void **state)
{
	(void)state;
	build_flow(3);
	build_frame(1, &(struct seg){.data_len = MSS, .flags = ACK, .seq = 1000 + 2 * MSS,
				     .ip_id = 101});
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);

	build_flow(3);
	build_frame(1, &(struct seg){.data_len = MSS, .flags = ACK, .seq = 1000 + MSS,
				     .ip_id = 101, .ack = 99});
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);

	build_flow(3);
	build_frame(1, &(struct seg){.data_len = MSS, .flags = ACK | FIN, .seq = 1000 + MSS,
				     .ip_id = 101});
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);

	build_flow(3);
	build_frame(0, &(struct seg){.data_len = MSS, .flags = SYN | ACK, .seq = 1000,
				     .ip_id = 100});
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);

	/* without DF the IDs must count up; with DF they may stay */
	for (unsigned i = 0; i < 3; i++)
		build_frame(i, &(struct seg){.data_len = MSS, .flags = ACK,
					     .seq = 1000 + i * MSS, .ip_id = 100, .no_df = true});
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);
	for (unsigned i = 0; i < 3; i++)
		build_frame(i, &(struct seg){.data_len = MSS, .flags = ACK,
					     .seq = 1000 + i * MSS, .ip_id = 100});
	assert_int_equal(packet_join(frames, 3, true, &merged), 3);
}

/* a damaged segment is never joined: it goes alone, for the host to drop */
static void test_bad_checksum_not_joined(void **state)
{
	(void)state;
	build_flow(4);
	frames_buf[2][HDRS + 10] ^= 0x40; /* one payload bit */
	assert_int_equal(packet_join(frames, 4, true, &merged), 2);
	assert_int_equal(packet_join(frames + 2, 2, true, &merged), 1);

	build_flow(2);
	frames_buf[0][ETH_HDR_LEN + 8] = 63; /* the first's TTL: its IP checksum is wrong */
	frames_buf[1][ETH_HDR_LEN + 8] = 63;
	put_be16(frames_buf[1] + ETH_HDR_LEN + 10, 0);
	put_be16(frames_buf[1] + ETH_HDR_LEN + 10,
		 checksum_final(checksum_add(0, frames_buf[1] + ETH_HDR_LEN, 20)));
	assert_int_equal(packet_join(frames, 2, true, &merged), 1);
}

/* at most 64 KiB of IP packet: 45 segments of 1448 bytes */
static void test_size_limit(void **state)
{
	(void)state;
	build_flow(50);
	assert_int_equal(packet_join(frames, 50, true, &merged), 45);
	assert_int_equal(packet_join(frames + 45, 5, true, &merged), 5);
}

/* Ethernet padding is not data: a 1-byte segment padded to 60 bytes carries 1 byte */
static void test_padding_is_not_data(void **state)
{
	static uint8_t pkt[200];

	(void)state;
	build_frame(0, &(struct seg){.data_len = 1, .flags = ACK, .seq = 5, .ip_id = 1,
				     .pad_to = 60});
	build_frame(1, &(struct seg){.data_len = 1, .flags = ACK, .seq = 6, .ip_id = 2,
				     .pad_to = 60});
	assert_int_equal(packet_join(frames, 2, true, &merged), 2);
	assert_int_equal(merged.payload[0].iov_len, 1);
	assert_int_equal(merged.payload[1].iov_len, 1);
	assert_packet_valid(pkt, joined_packet(pkt));
}

/* a GSO packet from the host: FIN and PSH only on the last segment, CWR only on the first */
static void test_split_flags(void **state)
{
	static uint8_t pkt[70000];
	struct offload_info info = {.gso = GSO_TCP4, .needs_csum = true, .gso_size = MSS,
				    .hdr_len = HDRS, .csum_start = 34, .csum_offset = 16};
	size_t len = HDRS + 3 * MSS - 100;

	(void)state;
	build_frame(0, &(struct seg){.data_len = MSS, .flags = ACK | CWR, .seq = 1, .ip_id = 9});
	build_frame(1, &(struct seg){.data_len = MSS, .flags = ACK, .seq = 1 + MSS, .ip_id = 10});
	build_frame(2, &(struct seg){.data_len = MSS - 100, .flags = ACK | PSH | FIN,
				     .seq = 1 + 2 * MSS, .ip_id = 11});
	/* the packet as the kernel hands it over: flags of the whole, one header */
	memcpy(pkt, frames[0].data, HDRS);
	pkt[ETH_HDR_LEN + 20 + 13] = ACK | CWR | PSH | FIN;
	for (unsigned i = 0; i < 3; i++)
		memcpy(pkt + HDRS + i * MSS, frames[i].data + HDRS, frames[i].len - HDRS);
	assert_splits_into(pkt, len, &info, 0, 3);
}

/* UDP datagrams of one flow join (datagram boundaries kept by gso_size) and cut back */
static void test_udp_join_and_split_round_trip(void **state)
{
	static uint8_t pkt[70000];
	size_t len;

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		build_udp(i, 1200, (uint16_t)(7 + i), 443, false);
	build_udp(4, 300, 11, 443, false);
	assert_int_equal(packet_join(frames, 5, true, &merged), 5);
	assert_int_equal(merged.info.gso, GSO_UDP4);
	assert_int_equal(merged.info.gso_size, 1200);
	assert_int_equal(merged.info.hdr_len, ETH_HDR_LEN + 20 + UDP_HDR_LEN);
	assert_int_equal(merged.info.csum_offset, 6);
	len = joined_packet(pkt);
	assert_int_equal(be16(pkt + ETH_HDR_LEN + 20 + 4), len - ETH_HDR_LEN - 20);
	assert_int_equal(checksum_final(checksum_add(0, pkt + ETH_HDR_LEN, 20)), 0);
	assert_splits_into(pkt, len, &merged.info, 0, 5);
}

/* UDP is joined only where the host takes it, never without a checksum or across flows */
static void test_udp_not_joined(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 3; i++)
		build_udp(i, 1200, (uint16_t)(7 + i), 443, false);
	assert_int_equal(packet_join(frames, 3, false, &merged), 1);
	assert_int_equal(packet_join(frames, 3, true, &merged), 3);
	build_udp(1, 1200, 8, 443, true);
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);
	build_udp(1, 1200, 8, 444, false);
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);
	build_udp(1, 1300, 8, 443, false); /* longer than the first */
	assert_int_equal(packet_join(frames, 3, true, &merged), 1);
}

/* a checksum left to us (UDP from the host) is completed, nothing else changes */
static void test_complete_checksum(void **state)
{
	uint8_t pkt[ETH_HDR_LEN + 20 + 8 + 5] = {[12] = 0x08, 0x00, 0x45, [16] = 0, 33,
						 [23] = 17, [26] = 10, 0, 0, 1, 10, 0, 0, 2};
	uint8_t *ip = pkt + ETH_HDR_LEN, *udp = ip + 20, out[FRAME_MAX];
	struct offload_info info = {.needs_csum = true, .csum_start = 34, .csum_offset = 6};
	struct packet_splitter s;

	(void)state;
	put_be16(udp + 4, 13);
	memcpy(udp + 8, "hello", 5);
	put_be16(udp + 6, checksum_fold(checksum_pseudo_ipv4(ip, 17, 13)));
	assert_int_equal(packet_split_start(&s, pkt, sizeof(pkt), &info, FRAME_MAX), DROP_NONE);
	assert_int_equal(packet_split_next(&s, out, sizeof(out)), sizeof(pkt));
	assert_int_equal(packet_split_next(&s, out, sizeof(out)), 0);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv4(out + 14, 17, 13),
						     out + 34, 13)),
			 0);
	assert_memory_equal(out, pkt, 40); /* headers but the checksum */
	/* in place, into the packet's own buffer */
	assert_int_equal(packet_split_start(&s, pkt, sizeof(pkt), &info, FRAME_MAX), DROP_NONE);
	assert_int_equal(packet_split_next(&s, pkt, sizeof(pkt)), sizeof(pkt));
	assert_memory_equal(out, pkt, sizeof(pkt));
}

/* what the host hands over and we refuse: segments too big, headers that do not add up */
static void test_split_refuses(void **state)
{
	static uint8_t pkt[70000];
	struct offload_info info = {.gso = GSO_TCP4, .gso_size = MSS, .hdr_len = HDRS};
	struct packet_splitter s;

	(void)state;
	build_flow(2);
	memcpy(pkt, frames[0].data, frames[0].len);
	memcpy(pkt + frames[0].len, frames[1].data + HDRS, MSS);
	info.gso_size = 1500;
	assert_int_equal(packet_split_start(&s, pkt, HDRS + 2 * MSS, &info, FRAME_MAX),
			 DROP_OVERSIZE);
	info.gso_size = 0;
	assert_int_equal(packet_split_start(&s, pkt, HDRS + 2 * MSS, &info, FRAME_MAX),
			 DROP_IP_MALFORMED);
	info.gso_size = MSS;
	assert_int_equal(packet_split_start(&s, pkt, HDRS, &info, FRAME_MAX), DROP_IP_MALFORMED);
	pkt[ETH_HDR_LEN + 9] = 17; /* UDP */
	assert_int_equal(packet_split_start(&s, pkt, HDRS + 2 * MSS, &info, FRAME_MAX),
			 DROP_IP_MALFORMED);
	/* a checksum position beyond the packet */
	info = (struct offload_info){.needs_csum = true, .csum_start = 60, .csum_offset = 16};
	assert_int_equal(packet_split_start(&s, pkt, 70, &info, FRAME_MAX), DROP_IP_MALFORMED);
	/* a plain packet longer than the VM's frames */
	info = (struct offload_info){0};
	assert_int_equal(packet_split_start(&s, pkt, FRAME_MAX + 1, &info, FRAME_MAX),
			 DROP_OVERSIZE);
}

/* random packets: joining and cutting never reads or writes out of bounds (ASan) */
static void test_random_frames(void **state)
{
	static uint8_t pkt[70000];
	uint8_t out[FRAME_MAX];

	(void)state;
	srand(11);
	for (int round = 0; round < 2000; round++) {
		unsigned n = 1 + (unsigned)rand() % 8;
		struct packet_splitter s;
		struct offload_info info;

		build_flow(n);
		for (unsigned i = 0; i < n; i++) {
			frames[i].len = (uint32_t)rand() % (frames[i].len + 1);
			if (rand() % 2)
				frames_buf[i][rand() % HDRS] = (uint8_t)rand();
		}
		for (unsigned at = 0; at < n;)
			at += packet_join(frames + at, n - at, true, &merged);
		info = (struct offload_info){.gso = (enum gso_kind)(rand() % 4), .needs_csum = rand() % 2,
					     .gso_size = (uint16_t)(rand() % 2000),
					     .csum_start = (uint16_t)(rand() % 100),
					     .csum_offset = (uint16_t)(rand() % 40)};
		if (packet_split_start(&s, frames_buf[0], frames[0].len, &info, FRAME_MAX) ==
		    DROP_NONE)
			for (int k = 0; k < 100 && packet_split_next(&s, out, sizeof(out)); k++)
				;
		(void)pkt;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_and_split_round_trip),
		cmocka_unit_test(test_run_ends_at_short_or_push),
		cmocka_unit_test(test_not_joined),
		cmocka_unit_test(test_bad_checksum_not_joined),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_padding_is_not_data),
		cmocka_unit_test(test_split_flags),
		cmocka_unit_test(test_udp_join_and_split_round_trip),
		cmocka_unit_test(test_udp_not_joined),
		cmocka_unit_test(test_complete_checksum),
		cmocka_unit_test(test_split_refuses),
		cmocka_unit_test(test_random_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
