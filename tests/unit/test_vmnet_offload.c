// SPDX-License-Identifier: MIT
/* test_vmnet_offload.c — unit tests of src/backend/vmnet/vmnet_offload.c (vmnet's TSO and checksums) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/byteorder.h"
#include "proto/checksum.h"
#include "vmnet/vmnet_offload.h"

#define MAX_FRAME (1500 + ETH_HDR_LEN)
#define TCP_HDR 32
#define MSS (1500 - 20 - TCP_HDR)

static uint8_t pkt[ETH_HDR_LEN + 65535];

static uint8_t data_byte(size_t k)
{
	return (uint8_t)(k * 13 + (k >> 7));
}

enum csum_state { CSUM_FULL, CSUM_PARTIAL, CSUM_GARBAGE };

/* build_tcp() - 192.168.64.1:80 -> 192.168.64.2:40000 with @data_len bytes from sequence @seq */
static size_t build_tcp(uint8_t *f, size_t data_len, uint32_t seq, uint16_t id,
			enum csum_state csum)
{
	uint8_t *ip = f + ETH_HDR_LEN, *tcp = ip + 20;
	size_t l4_len = TCP_HDR + data_len;
	const uint8_t head[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x73, 0x76,
				0x00, 0x00, 0x01, 0x08, 0x00};

	memset(f, 0, ETH_HDR_LEN + 20 + l4_len);
	memcpy(f, head, sizeof(head));
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + l4_len));
	put_be16(ip + 4, id);
	put_be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP_;
	memcpy(ip + 12, (uint8_t[]){192, 168, 64, 1, 192, 168, 64, 2}, 8);
	put_be16(tcp, 80);
	put_be16(tcp + 2, 40000);
	put_be32(tcp + 4, seq);
	put_be32(tcp + 8, 0x01020304);
	tcp[12] = (TCP_HDR / 4) << 4;
	tcp[13] = 0x10; /* ACK */
	put_be16(tcp + 14, 502);
	memcpy(tcp + 20, (uint8_t[]){1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 12);
	for (size_t k = 0; k < data_len; k++)
		tcp[TCP_HDR + k] = data_byte(seq + k);
	if (csum == CSUM_FULL) {
		put_be16(ip + 10, checksum_final(checksum_add(0, ip, 20)));
		put_be16(tcp + 16, checksum_final(checksum_add(
					   checksum_pseudo_ipv4(ip, IPPROTO_TCP_, (uint16_t)l4_len), tcp,
					   l4_len)));
	} else if (csum == CSUM_PARTIAL) {
		put_be16(tcp + 16, checksum_fold(checksum_pseudo_ipv4(ip, IPPROTO_TCP_, (uint16_t)l4_len)));
	} else {
		put_be16(tcp + 16, 0xbeef);
	}
	return ETH_HDR_LEN + 20 + l4_len;
}

static void assert_checksums_valid(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HDR_LEN;
	size_t l4_len = len - ETH_HDR_LEN - 20;

	assert_int_equal(checksum_fold(checksum_add(0, ip, 20)), 0xffff);
	assert_int_equal(checksum_fold(checksum_add(checksum_pseudo_ipv4(ip, ip[9], (uint16_t)l4_len),
						    ip + 20, l4_len)),
			 0xffff);
}

static void test_large_tcp_packet_is_cut_at_the_mss(void **state)
{
	const size_t data = 8000;
	size_t len = build_tcp(pkt, data, 5000, 7, CSUM_GARBAGE), n, got = 0;
	uint8_t frame[MAX_FRAME + 1];
	struct offload_info info;
	struct packet_splitter s;

	(void)state;
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_NONE);
	assert_int_equal(info.gso, GSO_TCP4);
	assert_int_equal(info.gso_size, MSS);
	assert_int_equal(info.hdr_len, ETH_HDR_LEN + 20 + TCP_HDR);
	assert_int_equal(packet_split_start(&s, pkt, len, &info, MAX_FRAME), DROP_NONE);
	while ((n = packet_split_next(&s, frame, sizeof(frame))) > 0) {
		const uint8_t *tcp = frame + ETH_HDR_LEN + 20;

		assert_true(n <= MAX_FRAME);
		assert_checksums_valid(frame, n);
		assert_int_equal(be32(tcp + 4), 5000 + got);
		for (size_t k = 0; k < n - (ETH_HDR_LEN + 20 + TCP_HDR); k++)
			assert_int_equal(tcp[TCP_HDR + k], data_byte(5000 + got + k));
		got += n - (ETH_HDR_LEN + 20 + TCP_HDR);
	}
	assert_int_equal(got, data);
	assert_int_equal(s.index, (data + MSS - 1) / MSS);
}

static void test_partial_checksum_of_a_small_frame_is_completed(void **state)
{
	size_t len = build_tcp(pkt, 700, 1, 9, CSUM_PARTIAL);
	uint8_t frame[MAX_FRAME + 1];
	struct offload_info info;
	struct packet_splitter s;

	(void)state;
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_NONE);
	assert_int_equal(info.gso, GSO_NONE);
	assert_true(info.needs_csum);
	assert_int_equal(info.csum_start, ETH_HDR_LEN + 20);
	assert_int_equal(info.csum_offset, 16);
	assert_int_equal(packet_split_start(&s, pkt, len, &info, MAX_FRAME), DROP_NONE);
	assert_int_equal(packet_split_next(&s, frame, sizeof(frame)), len);
	assert_checksums_valid(frame, len); /* the IPv4 header's was 0: made anew too */
}

/* An IPv6 TCP segment from vmnet with only its pseudo-header sum: completed as an IPv4 one. */
static void test_partial_checksum_of_an_ipv6_frame_is_completed(void **state)
{
	uint8_t *ip6 = pkt + ETH_HDR_LEN, *tcp = ip6 + 40, frame[MAX_FRAME + 1];
	size_t l4_len = TCP_HDR + 333, len = ETH_HDR_LEN + 40 + l4_len;
	struct offload_info info;
	struct packet_splitter s;

	(void)state;
	memset(pkt, 0, len);
	put_be16(pkt + 12, 0x86dd);
	ip6[0] = 0x60;
	put_be16(ip6 + 4, (uint16_t)l4_len);
	ip6[6] = IPPROTO_TCP_;
	ip6[7] = 64;
	ip6[8] = 0xfd;
	ip6[23] = 1;
	ip6[24] = 0xfd;
	ip6[39] = 2;
	tcp[12] = (TCP_HDR / 4) << 4;
	for (size_t k = 0; k < l4_len - TCP_HDR; k++)
		tcp[TCP_HDR + k] = data_byte(k);
	put_be16(tcp + 16, checksum_fold(checksum_pseudo_ipv6(ip6, IPPROTO_TCP_, (uint32_t)l4_len)));
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_NONE);
	assert_true(info.needs_csum);
	assert_int_equal(info.csum_start, ETH_HDR_LEN + 40);
	assert_int_equal(info.csum_offset, 16);
	assert_int_equal(packet_split_start(&s, pkt, len, &info, MAX_FRAME), DROP_NONE);
	assert_int_equal(packet_split_next(&s, frame, sizeof(frame)), len);
	assert_int_equal(checksum_fold(checksum_add(checksum_pseudo_ipv6(frame + ETH_HDR_LEN,
									 IPPROTO_TCP_,
									 (uint32_t)l4_len),
						    frame + ETH_HDR_LEN + 40, l4_len)),
			 0xffff);
}

static void test_without_checksum_offload_frames_pass_untouched(void **state)
{
	size_t len = build_tcp(pkt, 700, 1, 9, CSUM_GARBAGE);
	uint8_t copy[MAX_FRAME];
	struct offload_info info;

	(void)state;
	memcpy(copy, pkt, len);
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, false, &info), DROP_NONE);
	assert_false(info.needs_csum);
	assert_int_equal(info.gso, GSO_NONE);
	assert_memory_equal(pkt, copy, len);
}

static void test_udp_without_checksum_stays_so(void **state)
{
	size_t len = build_tcp(pkt, 100, 1, 9, CSUM_FULL);
	uint8_t *ip = pkt + ETH_HDR_LEN;
	struct offload_info info;

	(void)state;
	ip[9] = IPPROTO_UDP_;
	put_be16(ip + 20 + 4, (uint16_t)(len - ETH_HDR_LEN - 20));
	put_be16(ip + 20 + 6, 0);
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_NONE);
	assert_false(info.needs_csum);
	assert_int_equal(be16(ip + 20 + 6), 0);
}

static void test_large_packets_that_are_not_tcp_are_oversize(void **state)
{
	size_t len = build_tcp(pkt, 3000, 1, 9, CSUM_FULL);
	struct offload_info info;

	(void)state;
	pkt[ETH_HDR_LEN + 9] = IPPROTO_UDP_;
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_OVERSIZE);
	build_tcp(pkt, 3000, 1, 9, CSUM_FULL);
	put_be16(pkt + 12, ETHERTYPE_ARP);
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_OVERSIZE);
	build_tcp(pkt, 3000, 1, 9, CSUM_FULL);
	put_be16(pkt + ETH_HDR_LEN + 2, 1000); /* the IPv4 length disagrees */
	assert_int_equal(vmnet_rx_offload(pkt, len, MAX_FRAME, true, &info), DROP_OVERSIZE);
}

static void test_joined_packet_gets_a_complete_checksum_across_odd_lengths(void **state)
{
	enum { SEGS = 3, DATA = 1001 };
	static uint8_t bufs[SEGS][MAX_FRAME];
	struct frame_ref frames[SEGS];
	static struct joined_packet m;
	uint8_t *whole = malloc(65536);
	size_t len;

	(void)state;
	for (unsigned i = 0; i < SEGS; i++)
		frames[i] = (struct frame_ref){bufs[i], (uint32_t)build_tcp(bufs[i], DATA, 1 + i * DATA,
								     (uint16_t)(20 + i), CSUM_FULL), NULL};
	assert_int_equal(packet_join(frames, SEGS, false, &m), SEGS);
	vmnet_tx_checksum(&m);
	len = m.info.hdr_len;
	memcpy(whole, m.hdr, len);
	for (unsigned i = 0; i < SEGS; i++) {
		memcpy(whole + len, m.payload[i].iov_base, m.payload[i].iov_len);
		len += m.payload[i].iov_len;
	}
	assert_int_equal(len, ETH_HDR_LEN + 20 + TCP_HDR + SEGS * DATA);
	assert_checksums_valid(whole, len);
	free(whole);
}

/* --vm-offload: vmnet's TSO packet goes to the VM whole, its checksum made partial, described */
static void test_a_large_packet_for_a_vm_that_offloads_stays_whole(void **state)
{
	uint32_t len = (uint32_t)build_tcp(pkt, 30000, 5000, 7, CSUM_GARBAGE);
	struct offload_info info;

	(void)state;
	assert_int_equal(vmnet_rx_whole(pkt, &len, MAX_FRAME, true, &info), DROP_NONE);
	assert_int_equal(len, ETH_HDR_LEN + 20 + TCP_HDR + 30000);
	assert_int_equal(info.gso, GSO_TCP4);
	assert_int_equal(info.gso_size, MSS);
	assert_true(info.needs_csum);
	assert_true(offload_partial_ok(pkt, len, &info));
	offload_finish_csum(pkt, len, &info); /* what the VM's port does without a header */
	assert_checksums_valid(pkt, len);
	/* a small frame: partial as vmnet_rx_offload() makes it */
	len = (uint32_t)build_tcp(pkt, 700, 1, 9, CSUM_GARBAGE);
	assert_int_equal(vmnet_rx_whole(pkt, &len, MAX_FRAME, true, &info), DROP_NONE);
	assert_int_equal(info.gso, GSO_NONE);
	assert_true(info.needs_csum);
	offload_finish_csum(pkt, len, &info);
	assert_checksums_valid(pkt, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_tcp_packet_is_cut_at_the_mss),
		cmocka_unit_test(test_partial_checksum_of_a_small_frame_is_completed),
		cmocka_unit_test(test_partial_checksum_of_an_ipv6_frame_is_completed),
		cmocka_unit_test(test_without_checksum_offload_frames_pass_untouched),
		cmocka_unit_test(test_udp_without_checksum_stays_so),
		cmocka_unit_test(test_large_packets_that_are_not_tcp_are_oversize),
		cmocka_unit_test(test_joined_packet_gets_a_complete_checksum_across_odd_lengths),
		cmocka_unit_test(test_a_large_packet_for_a_vm_that_offloads_stays_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
