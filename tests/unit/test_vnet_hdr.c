// SPDX-License-Identifier: MIT
/* test_vnet_hdr.c — unit tests of src/proto/vnet_hdr.c and src/proto/offload_check.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/checksum.h"
#include "proto/offload.h"
#include "proto/vnet_hdr.h"

#define MTU 1500
#define MAX_FRAME (MTU + ETH_HDR_LEN)
#define TCP_HDR 32 /* with timestamps, as Linux sends */
#define HDRS (ETH_HDR_LEN + 20 + TCP_HDR)
#define MSS (MTU - 20 - TCP_HDR)

static uint8_t pkt[OFFLOAD_FRAME_MAX + 64];
static uint8_t seg[MAX_FRAME + 64];

enum csum { CSUM_PARTIAL, CSUM_WHOLE, CSUM_WRONG };

static uint8_t data_byte(size_t k)
{
	return (uint8_t)(k * 13 + (k >> 9));
}

static void set_tcp_csum(uint8_t *f, size_t len, enum csum c)
{
	uint8_t *ip = f + ETH_HDR_LEN, *tcp = ip + 20;
	uint16_t l4 = (uint16_t)(len - ETH_HDR_LEN - 20);

	put_be16(tcp + 16, 0);
	if (c == CSUM_PARTIAL)
		put_be16(tcp + 16, checksum_fold(checksum_pseudo_ipv4(ip, 6, l4)));
	else
		put_be16(tcp + 16, checksum_final(checksum_add(checksum_pseudo_ipv4(ip, 6, l4), tcp,
							       l4)) ^ (c == CSUM_WRONG ? 0x0101 : 0));
}

/* An IPv4 TCP packet 192.168.64.2:40000 -> 198.19.0.1:5201 of @data bytes, DF, ACK. */
static size_t build_tcp(uint8_t *f, size_t data, uint8_t flags, enum csum c)
{
	const uint8_t head[] = {0x02, 0x73, 0x76, 0, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 8, 0};
	uint8_t *ip = f + ETH_HDR_LEN, *tcp = ip + 20;
	size_t len = HDRS + data;

	memset(f, 0, HDRS);
	memcpy(f, head, sizeof(head));
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(len - ETH_HDR_LEN));
	put_be16(ip + 4, 77);
	put_be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){192, 168, 64, 2, 198, 19, 0, 1}, 8);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, 20)));
	put_be16(tcp, 40000);
	put_be16(tcp + 2, 5201);
	put_be32(tcp + 4, 1000);
	put_be32(tcp + 8, 0x11223344);
	tcp[12] = (TCP_HDR / 4) << 4;
	tcp[13] = flags;
	put_be16(tcp + 14, 501);
	memcpy(tcp + 20, (uint8_t[]){1, 1, 8, 10, 0, 0, 0, 42, 0, 0, 0, 7}, 12);
	for (size_t k = 0; k < data; k++)
		tcp[TCP_HDR + k] = data_byte(k);
	set_tcp_csum(f, len, c);
	return len;
}

/* The same as UDP, port 53 -> @dport, @data bytes; @csum false: no checksum (0). */
static size_t build_udp(uint8_t *f, size_t data, bool csum)
{
	uint8_t *ip = f + ETH_HDR_LEN, *udp = ip + 20;
	size_t len = ETH_HDR_LEN + 20 + UDP_HDR_LEN + data;

	build_tcp(f, 0, 0x10, CSUM_WHOLE);
	ip[9] = 17;
	put_be16(ip + 2, (uint16_t)(len - ETH_HDR_LEN));
	put_be16(ip + 10, 0);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, 20)));
	put_be16(udp, 40000);
	put_be16(udp + 2, 53);
	put_be16(udp + 4, (uint16_t)(len - ETH_HDR_LEN - 20));
	put_be16(udp + 6, 0);
	for (size_t k = 0; k < data; k++)
		udp[UDP_HDR_LEN + k] = data_byte(k);
	if (csum)
		put_be16(udp + 6, checksum_fold(checksum_pseudo_ipv4(ip, 17, (uint16_t)(len - 34))));
	return len;
}

static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HDR_LEN;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint16_t l4 = (uint16_t)(len - ETH_HDR_LEN - ihl);

	return checksum_final(checksum_add(0, ip, ihl)) == 0 &&
	       checksum_final(checksum_add(checksum_pseudo_ipv4(ip, ip[9], l4), ip + ihl, l4)) == 0;
}

/* A header as a VM would write it (little-endian fields). */
static void hdr(uint8_t h[VNET_HDR_LEN], uint8_t flags, uint8_t type, uint16_t hdr_len,
		uint16_t gso_size, uint16_t start, uint16_t off)
{
	uint16_t v[5] = {hdr_len, gso_size, start, off, 0};

	h[0] = flags;
	h[1] = type;
	for (int i = 0; i < 5; i++) {
		h[2 + 2 * i] = (uint8_t)v[i];
		h[3 + 2 * i] = (uint8_t)(v[i] >> 8);
	}
}

static enum drop_reason read_gso(uint8_t flags, uint8_t type, uint16_t gso_size, uint16_t start,
				 uint16_t off, uint32_t len, struct offload_info *info)
{
	uint8_t h[VNET_HDR_LEN];

	hdr(h, flags, type, HDRS, gso_size, start, off);
	return vnet_hdr_read(h, pkt, &len, MAX_FRAME, info);
}

/* What Linux hands a TAP and libkrun's PR passes on: a 64 KiB TSO packet. */
static void test_a_tso_packet_is_read_and_written_back_the_same(void **state)
{
	uint32_t len = (uint32_t)build_tcp(pkt, 65535 - 20 - TCP_HDR, 0x18, CSUM_PARTIAL);
	struct offload_info info;
	uint8_t h[VNET_HDR_LEN], back[VNET_HDR_LEN];

	(void)state;
	hdr(h, VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0 /* a hint only */, MSS, 34, 16);
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_int_equal(len, ETH_HDR_LEN + 65535);
	assert_int_equal(info.gso, GSO_TCP4);
	assert_true(info.needs_csum);
	assert_int_equal(info.gso_size, MSS);
	assert_int_equal(info.hdr_len, HDRS); /* the packet's own, not the hint */
	assert_int_equal(info.csum_start, 34);
	assert_int_equal(info.csum_offset, 16);
	vnet_hdr_write(back, &info);
	hdr(h, VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, HDRS, MSS, 34, 16);
	h[10] = 1; /* num_buffers: 1 */
	assert_memory_equal(back, h, VNET_HDR_LEN);
}

static void test_a_plain_frame_gets_an_empty_header_with_one_buffer(void **state)
{
	uint8_t h[VNET_HDR_LEN], want[VNET_HDR_LEN] = {[10] = 1};
	struct offload_info info;
	uint32_t len = (uint32_t)build_tcp(pkt, 100, 0x10, CSUM_WHOLE);

	(void)state;
	vnet_hdr_write(h, NULL);
	assert_memory_equal(h, want, VNET_HDR_LEN);
	/* and read back: nothing asked, num_buffers ignored */
	h[10] = 7;
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_false(offload_any(&info));
	/* DATA_VALID means nothing from a VM: taken, ignored */
	h[0] = VNET_F_DATA_VALID;
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_false(offload_any(&info));
	/* a plain frame longer than the MTU is still oversize */
	len = (uint32_t)build_tcp(pkt, MSS + 1, 0x10, CSUM_WHOLE);
	h[0] = 0;
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_OVERSIZE);
}

static void test_a_header_that_lies_is_refused_with_its_reason(void **state)
{
	uint32_t len = (uint32_t)build_tcp(pkt, 20000, 0x10, CSUM_PARTIAL);
	struct offload_info info;
	const uint8_t N = VNET_F_NEEDS_CSUM;

	(void)state;
	/* flags and types the kernel knows but sock-vmnet does not take */
	assert_int_equal(read_gso(N | 4, 1, MSS, 34, 16, len, &info), DROP_VNET_FLAGS);
	assert_int_equal(read_gso(N, 1 | VNET_GSO_ECN, MSS, 34, 16, len, &info), DROP_VNET_FLAGS);
	assert_int_equal(read_gso(0, 1, MSS, 34, 16, len, &info), DROP_VNET_FLAGS);
	for (uint8_t t = 2; t < 8; t++)
		assert_int_equal(read_gso(N, t, MSS, 34, 16, len, &info), DROP_GSO_TYPE);
	/* gso_size 0 (the kernel's rule), or segments past the MTU */
	assert_int_equal(read_gso(N, 1, 0, 34, 16, len, &info), DROP_GSO_SIZE);
	assert_int_equal(read_gso(N, 1, MSS + 1, 34, 16, len, &info), DROP_GSO_SIZE);
	assert_int_equal(read_gso(N, 1, MSS, 34, 16, len, &info), DROP_NONE);
	/* checksum offsets anywhere but at the TCP checksum, past the packet too */
	assert_int_equal(read_gso(N, 1, MSS, 33, 16, len, &info), DROP_CSUM_OFFLOAD);
	assert_int_equal(read_gso(N, 1, MSS, 34, 6, len, &info), DROP_CSUM_OFFLOAD);
	assert_int_equal(read_gso(N, 1, MSS, 34, 60000, len, &info), DROP_CSUM_OFFLOAD);
	assert_int_equal(read_gso(N, 1, MSS, 65000, 16, len, &info), DROP_CSUM_OFFLOAD);
	assert_int_equal(read_gso(N, 0, 0, 34, 16000, len, &info), DROP_CSUM_OFFLOAD);
	/* hdr_len past the packet (the kernel's rule) */
	{
		uint8_t h[VNET_HDR_LEN];
		uint32_t l = len;

		hdr(h, N, 1, (uint16_t)(len + 1), MSS, 34, 16);
		assert_int_equal(vnet_hdr_read(h, pkt, &l, MAX_FRAME, &info), DROP_CSUM_OFFLOAD);
	}
}

static void test_a_gso_type_the_packet_is_not_is_refused(void **state)
{
	struct offload_info info;
	uint32_t len;
	const uint8_t N = VNET_F_NEEDS_CSUM;

	(void)state;
	/* TCPV4 on UDP, on a fragment, on ARP, with SYN; a partial checksum on ICMP */
	len = (uint32_t)build_udp(pkt, 3000, true);
	assert_int_equal(read_gso(N, 1, MSS, 34, 6, len, &info), DROP_GSO_TYPE);
	len = (uint32_t)build_tcp(pkt, 3000, 0x10, CSUM_PARTIAL);
	put_be16(pkt + ETH_HDR_LEN + 6, 0x2000); /* MF */
	assert_int_equal(read_gso(N, 1, MSS, 34, 16, len, &info), DROP_GSO_TYPE);
	len = (uint32_t)build_tcp(pkt, 3000, 0x02, CSUM_PARTIAL);
	assert_int_equal(read_gso(N, 1, MSS, 34, 16, len, &info), DROP_GSO_TYPE);
	len = (uint32_t)build_tcp(pkt, 3000, 0x10, CSUM_PARTIAL);
	put_be16(pkt + 12, ETHERTYPE_ARP);
	assert_int_equal(read_gso(N, 1, MSS, 34, 16, len, &info), DROP_GSO_TYPE);
	assert_int_equal(read_gso(N, 0, 0, 34, 16, len, &info), DROP_CSUM_OFFLOAD);
	len = (uint32_t)build_tcp(pkt, 100, 0x10, CSUM_PARTIAL);
	pkt[ETH_HDR_LEN + 9] = 1;
	assert_int_equal(read_gso(N, 0, 0, 34, 2, len, &info), DROP_CSUM_OFFLOAD);
	/* the IPv4 length says more than the frame holds */
	len = (uint32_t)build_tcp(pkt, 3000, 0x10, CSUM_PARTIAL);
	assert_int_equal(read_gso(N, 1, MSS, 34, 16, len - 1, &info), DROP_IP_MALFORMED);
}

static void test_a_packet_of_one_segment_and_padding_are_plain(void **state)
{
	uint8_t h[VNET_HDR_LEN];
	struct offload_info info;
	uint32_t len = (uint32_t)build_tcp(pkt, MSS, 0x10, CSUM_PARTIAL);

	(void)state;
	assert_int_equal(read_gso(VNET_F_NEEDS_CSUM, 1, MSS, 34, 16, len, &info), DROP_NONE);
	assert_int_equal(info.gso, GSO_NONE); /* as the kernel does: one segment is no GSO */
	assert_true(info.needs_csum);
	/* a short frame padded to 60: its partial checksum must not take the padding in */
	len = (uint32_t)build_tcp(pkt, 0, 0x10, CSUM_PARTIAL);
	hdr(h, VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	len = 70;
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_int_equal(len, HDRS);
	/* a UDP partial checksum */
	len = (uint32_t)build_udp(pkt, 500, true);
	hdr(h, VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 6);
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	offload_finish_csum(pkt, len, &info);
	assert_true(tcp_csum_ok(pkt, len));
}

/* krunkit: no header; a large frame is TSO, a checksum holding the pseudo-sum is partial */
static void test_krunkit_frames_are_inferred(void **state)
{
	struct offload_info info;
	uint32_t len;

	(void)state;
	len = (uint32_t)build_tcp(pkt, 1000, 0x18, CSUM_WHOLE);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_false(offload_any(&info));
	len = (uint32_t)build_tcp(pkt, 1000, 0x18, CSUM_PARTIAL);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(info.needs_csum);
	assert_int_equal(info.gso, GSO_NONE);
	len = (uint32_t)build_udp(pkt, 200, false); /* UDP without a checksum stays so */
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_false(offload_any(&info));
	len = (uint32_t)build_udp(pkt, 200, true);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(info.needs_csum);
	assert_int_equal(info.csum_offset, 6);

	len = (uint32_t)build_tcp(pkt, 60000, 0x18, CSUM_PARTIAL);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_int_equal(info.gso, GSO_TCP4);
	assert_int_equal(info.gso_size, MSS); /* the MSS the MTU allows: the guest's is lost */
	assert_int_equal(info.hdr_len, HDRS);
	/* a whole checksum is made partial, for the host to cut */
	len = (uint32_t)build_tcp(pkt, 60000, 0x18, CSUM_WHOLE);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(offload_partial_ok(pkt, len, &info));
	len = (uint32_t)build_tcp(pkt, 60000, 0x18, CSUM_WRONG);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_CSUM_OFFLOAD);
	len = (uint32_t)build_udp(pkt, 3000, true);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_GSO_TYPE);
	len = (uint32_t)build_tcp(pkt, 3000, 0x12, CSUM_PARTIAL); /* SYN */
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_GSO_TYPE);
	len = (uint32_t)build_tcp(pkt, 3000, 0x10, CSUM_PARTIAL);
	len += 2; /* padded: a large frame is exactly its IPv4 packet */
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_GSO_TYPE);
}

/*
 * The translation is what the host's kernel cuts by: the packet described by what was
 * read, cut as the TAP cuts it, gives segments of the MTU with whole checksums and the data
 * in order; completed whole instead, its checksum is right.
 */
static void test_a_read_packet_cuts_into_the_vms_segments(void **state)
{
	size_t data = 40000, got = 0;
	uint32_t len = (uint32_t)build_tcp(pkt, data, 0x18, CSUM_PARTIAL);
	struct packet_splitter s;
	struct offload_info info;
	unsigned n = 0;

	(void)state;
	assert_int_equal(read_gso(VNET_F_NEEDS_CSUM, 1, MSS, 34, 16, len, &info), DROP_NONE);
	assert_int_equal(packet_split_start(&s, pkt, len, &info, MAX_FRAME), DROP_NONE);
	for (size_t l; (l = packet_split_next(&s, seg, sizeof(seg))) > 0; n++) {
		assert_true(l <= MAX_FRAME);
		assert_true(tcp_csum_ok(seg, l));
		for (size_t k = 0; k < l - HDRS; k++)
			assert_int_equal(seg[HDRS + k], data_byte(got + k));
		got += l - HDRS;
	}
	assert_int_equal(got, data);
	assert_int_equal(n, (data + MSS - 1) / MSS);
	offload_finish_csum(pkt, len, &info);
	assert_true(tcp_csum_ok(pkt, len));
}

/* ---- IPv6 --------------------------------------------------------------------------- */

#define HDRS6 (ETH_HDR_LEN + IPV6_HDR_LEN + TCP_HDR)
#define MSS6 (MTU - IPV6_HDR_LEN - TCP_HDR)
#define START6 (ETH_HDR_LEN + IPV6_HDR_LEN)

static void set_l4_csum6(uint8_t *f, size_t len, uint8_t proto, size_t off, enum csum c)
{
	uint8_t *ip6 = f + ETH_HDR_LEN, *l4 = f + START6;
	uint32_t l4_len = (uint32_t)(len - START6);

	put_be16(l4 + off, 0);
	if (c == CSUM_PARTIAL)
		put_be16(l4 + off, checksum_fold(checksum_pseudo_ipv6(ip6, proto, l4_len)));
	else
		put_be16(l4 + off,
			 checksum_final(checksum_add(checksum_pseudo_ipv6(ip6, proto, l4_len), l4,
						     l4_len)) ^
				 (c == CSUM_WRONG ? 0x0101 : 0));
}

/*
 * The IPv4 packet of build_tcp() as IPv6: fd00:5356::2 -> 2001:db8:100::2, the same TCP
 * header and @data bytes after the fixed header.
 */
static size_t build_tcp6(uint8_t *f, size_t data, uint8_t flags, enum csum c)
{
	uint8_t *ip6 = f + ETH_HDR_LEN, *tcp = f + START6;
	uint8_t tcp_hdr[TCP_HDR];
	size_t len = HDRS6 + data;

	build_tcp(f, 0, flags, CSUM_WHOLE);
	memcpy(tcp_hdr, f + ETH_HDR_LEN + 20, TCP_HDR);
	put_be16(f + 12, ETHERTYPE_IPV6);
	memset(ip6, 0, IPV6_HDR_LEN);
	ip6[0] = 0x60;
	put_be16(ip6 + 4, (uint16_t)(len - START6));
	ip6[6] = 6;
	ip6[7] = 64;
	memcpy(ip6 + 8, (uint8_t[]){0xfd, 0, 0x53, 0x56, [15] = 2}, 16);
	memcpy(ip6 + 24, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0x01, 0, [15] = 2}, 16);
	memcpy(tcp, tcp_hdr, TCP_HDR);
	for (size_t k = 0; k < data; k++)
		tcp[TCP_HDR + k] = data_byte(k);
	set_l4_csum6(f, len, 6, 16, c);
	return len;
}

/* An IPv6 UDP datagram of @data bytes, its checksum as @c says. */
static size_t build_udp6(uint8_t *f, size_t data, enum csum c)
{
	uint8_t *ip6 = f + ETH_HDR_LEN, *udp = f + START6;
	size_t len = START6 + UDP_HDR_LEN + data;

	build_tcp6(f, 0, 0x10, CSUM_WHOLE);
	ip6[6] = 17;
	put_be16(ip6 + 4, (uint16_t)(len - START6));
	put_be16(udp, 40000);
	put_be16(udp + 2, 53);
	put_be16(udp + 4, (uint16_t)(len - START6));
	for (size_t k = 0; k < data; k++)
		udp[UDP_HDR_LEN + k] = data_byte(k);
	set_l4_csum6(f, len, 17, 6, c);
	return len;
}

/* @f's TCP or UDP checksum over IPv6 is whole and right. */
static bool csum6_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip6 = f + ETH_HDR_LEN;
	uint32_t l4 = (uint32_t)(len - START6);
	uint64_t pseudo = checksum_pseudo_ipv6(ip6, ip6[6], l4);

	return checksum_final(checksum_add(pseudo, f + START6, l4)) == 0;
}

/* The packet with an 8-byte Destination Options header (PadN) between IPv6 and TCP. */
static size_t with_dstopts(uint8_t *f, size_t len)
{
	uint8_t *ip6 = f + ETH_HDR_LEN;

	memmove(f + START6 + 8, f + START6, len - START6);
	memcpy(f + START6, (uint8_t[]){ip6[6], 0, 1, 4, 0, 0, 0, 0}, 8);
	ip6[6] = 60;
	put_be16(ip6 + 4, (uint16_t)(be16(ip6 + 4) + 8));
	return len + 8;
}

static enum drop_reason read6(uint8_t flags, uint8_t type, uint16_t gso_size, uint16_t start,
			      uint16_t off, uint32_t *len, struct offload_info *info)
{
	uint8_t h[VNET_HDR_LEN];

	hdr(h, flags, type, HDRS6, gso_size, start, off);
	return vnet_hdr_read(h, pkt, len, MAX_FRAME, info);
}

/* A Linux guest's IPv6 TSO packet (HOST_TSO6), as its header says, read and written back. */
static void test_an_ipv6_tso_packet_is_read_and_written_back_the_same(void **state)
{
	uint32_t len = (uint32_t)build_tcp6(pkt, 65536 - IPV6_HDR_LEN - TCP_HDR, 0x18,
					    CSUM_PARTIAL);
	struct offload_info info;
	uint8_t h[VNET_HDR_LEN], back[VNET_HDR_LEN];

	(void)state;
	assert_true(len <= OFFLOAD_FRAME_MAX);
	assert_int_equal(read6(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, MSS6, START6, 16, &len, &info),
			 DROP_NONE);
	assert_int_equal(len, ETH_HDR_LEN + 65536);
	assert_int_equal(info.gso, GSO_TCP6);
	assert_true(info.needs_csum);
	assert_int_equal(info.gso_size, MSS6);
	assert_int_equal(info.hdr_len, HDRS6);
	assert_int_equal(info.csum_start, START6);
	assert_int_equal(info.csum_offset, 16);
	assert_int_equal(offload_segments(&info, len), (len - HDRS6 + MSS6 - 1) / MSS6);
	assert_true(offload_partial_ok(pkt, len, &info));
	vnet_hdr_write(back, &info);
	hdr(h, VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, HDRS6, MSS6, START6, 16);
	h[10] = 1;
	assert_memory_equal(back, h, VNET_HDR_LEN);
	offload_finish_csum(pkt, len, &info);
	assert_true(csum6_ok(pkt, len));
}

static void test_an_ipv6_header_that_lies_is_refused_with_its_reason(void **state)
{
	const uint8_t N = VNET_F_NEEDS_CSUM, T6 = VNET_GSO_TCPV6;
	uint32_t full = (uint32_t)build_tcp6(pkt, 20000, 0x10, CSUM_PARTIAL), len;
	struct offload_info info;

#define READ6(f, t, size, start, off) (len = full, read6(f, t, size, start, off, &len, &info))
	(void)state;
	assert_int_equal(READ6(N, T6, MSS6, START6, 16), DROP_NONE);
	/* the type of the other family, either way */
	assert_int_equal(READ6(N, VNET_GSO_TCPV4, MSS6, START6, 16), DROP_GSO_TYPE);
	assert_int_equal(READ6(0, T6, MSS6, START6, 16), DROP_VNET_FLAGS);
	assert_int_equal(READ6(N, T6 | VNET_GSO_ECN, MSS6, START6, 16), DROP_VNET_FLAGS);
	/* gso_size 0, or segments past the MTU (an IPv6 header is 20 bytes longer) */
	assert_int_equal(READ6(N, T6, 0, START6, 16), DROP_GSO_SIZE);
	assert_int_equal(READ6(N, T6, MSS6 + 1, START6, 16), DROP_GSO_SIZE);
	assert_int_equal(READ6(N, T6, MSS, START6, 16), DROP_GSO_SIZE);
	/* the checksum anywhere but at TCP's: IPv4's start, UDP's offset, past the packet */
	assert_int_equal(READ6(N, T6, MSS6, 34, 16), DROP_CSUM_OFFLOAD);
	assert_int_equal(READ6(N, T6, MSS6, START6, 6), DROP_CSUM_OFFLOAD);
	assert_int_equal(READ6(N, 0, 0, START6, 6), DROP_CSUM_OFFLOAD);
	assert_int_equal(READ6(N, T6, MSS6, 65000, 16), DROP_CSUM_OFFLOAD);
	/* a payload length past the frame */
	len = full - 1;
	assert_int_equal(read6(N, T6, MSS6, START6, 16, &len, &info), DROP_IP_MALFORMED);
	/* TCPV6 with SYN; on UDP; a partial checksum on ICMPv6 */
	full = (uint32_t)build_tcp6(pkt, 3000, 0x02, CSUM_PARTIAL);
	assert_int_equal(READ6(N, T6, MSS6, START6, 16), DROP_GSO_TYPE);
	full = (uint32_t)build_udp6(pkt, 3000, CSUM_PARTIAL);
	assert_int_equal(READ6(N, T6, MSS6, START6, 6), DROP_GSO_TYPE);
	pkt[ETH_HDR_LEN + 6] = 58;
	assert_int_equal(READ6(N, 0, 0, START6, 2), DROP_CSUM_OFFLOAD);
	/* extension headers: not offloadable, refused when the header claims it */
	full = (uint32_t)with_dstopts(pkt, build_tcp6(pkt, 3000, 0x10, CSUM_PARTIAL));
	assert_int_equal(READ6(N, T6, MSS6, START6 + 8, 16), DROP_GSO_TYPE);
	assert_int_equal(READ6(N, 0, 0, START6 + 8, 16), DROP_CSUM_OFFLOAD);
	assert_int_equal(READ6(0, 0, 0, 0, 0), DROP_OVERSIZE); /* nothing claimed: a frame */
	full = (uint32_t)with_dstopts(pkt, build_tcp6(pkt, 100, 0x10, CSUM_WHOLE));
	assert_int_equal(READ6(0, 0, 0, 0, 0), DROP_NONE);
#undef READ6
}

static void test_ipv6_partial_checksums_are_completed_and_padding_cut(void **state)
{
	struct offload_info info;
	uint8_t h[VNET_HDR_LEN];
	uint32_t len;

	(void)state;
	/* one segment's worth under TCPV6 is a plain packet with a partial checksum */
	len = (uint32_t)build_tcp6(pkt, MSS6, 0x10, CSUM_PARTIAL);
	assert_int_equal(read6(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, MSS6, START6, 16, &len, &info),
			 DROP_NONE);
	assert_int_equal(info.gso, GSO_NONE);
	assert_true(info.needs_csum);
	/* a short frame padded to 74 bytes: the payload length says where it ends */
	len = (uint32_t)build_tcp6(pkt, 0, 0x10, CSUM_PARTIAL);
	hdr(h, VNET_F_NEEDS_CSUM, 0, 0, 0, START6, 16);
	len += 8;
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_int_equal(len, HDRS6);
	offload_finish_csum(pkt, len, &info);
	assert_true(csum6_ok(pkt, len));
	/* UDP */
	len = (uint32_t)build_udp6(pkt, 700, CSUM_PARTIAL);
	hdr(h, VNET_F_NEEDS_CSUM, 0, 0, 0, START6, 6);
	assert_int_equal(vnet_hdr_read(h, pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(offload_partial_ok(pkt, len, &info));
	offload_finish_csum(pkt, len, &info);
	assert_true(csum6_ok(pkt, len));
	/* a partial checksum of another address is not the pseudo-header sum */
	len = (uint32_t)build_tcp6(pkt, 500, 0x10, CSUM_PARTIAL);
	assert_int_equal(read6(VNET_F_NEEDS_CSUM, 0, 0, START6, 16, &len, &info), DROP_NONE);
	pkt[ETH_HDR_LEN + 8 + 15] = 3;
	assert_false(offload_partial_ok(pkt, len, &info));
}

/*
 * A VM's IPv6 TSO packet cut as libslirp needs it (it refuses IPv6 past its MTU): segments
 * of the MTU, the payload length each its own, whole checksums, the data in order, FIN and
 * PSH on the last only.
 */
static void test_an_ipv6_tso_packet_cuts_into_the_vms_segments(void **state)
{
	size_t data = 40000, got = 0;
	uint32_t len = (uint32_t)build_tcp6(pkt, data, 0x19, CSUM_PARTIAL);
	struct packet_splitter s;
	struct offload_info info;
	unsigned n = 0;

	(void)state;
	assert_int_equal(read6(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, MSS6, START6, 16, &len, &info),
			 DROP_NONE);
	assert_int_equal(packet_split_start(&s, pkt, len, &info, MAX_FRAME), DROP_NONE);
	for (size_t l; (l = packet_split_next(&s, seg, sizeof(seg))) > 0; n++) {
		bool last = got + (l - HDRS6) == data;

		assert_true(l <= MAX_FRAME);
		assert_int_equal(be16(seg + ETH_HDR_LEN + 4), l - START6);
		assert_true(csum6_ok(seg, l));
		assert_int_equal(be32(seg + START6 + 4), 1000 + got);
		assert_int_equal(seg[START6 + 13], last ? 0x19 : 0x10);
		for (size_t k = 0; k < l - HDRS6; k++)
			assert_int_equal(seg[HDRS6 + k], data_byte(got + k));
		got += l - HDRS6;
	}
	assert_int_equal(got, data);
	assert_int_equal(n, (data + MSS6 - 1) / MSS6);
	/* its header must say what it is: an IPv4 packet is no GSO_TCP6 */
	info.gso = GSO_TCP6;
	len = (uint32_t)build_tcp(pkt, data, 0x18, CSUM_PARTIAL);
	assert_int_equal(packet_split_start(&s, pkt, len, &info, MAX_FRAME), DROP_IP_MALFORMED);
}

/* krunkit's headerless frames, IPv6: partial checksums found, a large TCP frame is TSO6. */
static void test_krunkit_ipv6_frames_are_inferred(void **state)
{
	struct offload_info info;
	uint32_t len;

	(void)state;
	len = (uint32_t)build_tcp6(pkt, 1000, 0x18, CSUM_WHOLE);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_false(offload_any(&info));
	len = (uint32_t)build_tcp6(pkt, 1000, 0x18, CSUM_PARTIAL);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(info.needs_csum);
	assert_int_equal(info.gso, GSO_NONE);
	assert_int_equal(info.csum_start, START6);
	offload_finish_csum(pkt, len, &info);
	assert_true(csum6_ok(pkt, len));
	len = (uint32_t)build_udp6(pkt, 200, CSUM_PARTIAL);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(info.needs_csum);
	assert_int_equal(info.csum_offset, 6);
	/* behind an extension header: as it is, for the guard to judge */
	len = (uint32_t)with_dstopts(pkt, build_tcp6(pkt, 500, 0x18, CSUM_PARTIAL));
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_false(offload_any(&info));

	len = (uint32_t)build_tcp6(pkt, 60000, 0x18, CSUM_PARTIAL);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_int_equal(info.gso, GSO_TCP6);
	assert_int_equal(info.gso_size, MSS6);
	assert_int_equal(info.hdr_len, HDRS6);
	len = (uint32_t)build_tcp6(pkt, 60000, 0x18, CSUM_WHOLE);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_NONE);
	assert_true(offload_partial_ok(pkt, len, &info));
	offload_finish_csum(pkt, len, &info);
	assert_true(csum6_ok(pkt, len));
	len = (uint32_t)build_tcp6(pkt, 60000, 0x18, CSUM_WRONG);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_CSUM_OFFLOAD);
	len = (uint32_t)build_udp6(pkt, 3000, CSUM_PARTIAL);
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_GSO_TYPE);
	len = (uint32_t)with_dstopts(pkt, build_tcp6(pkt, 3000, 0x18, CSUM_PARTIAL));
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_GSO_TYPE);
	len = (uint32_t)build_tcp6(pkt, 3000, 0x10, CSUM_PARTIAL) + 2; /* padded */
	assert_int_equal(offload_infer(pkt, &len, MAX_FRAME, &info), DROP_GSO_TYPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_tso_packet_is_read_and_written_back_the_same),
		cmocka_unit_test(test_a_plain_frame_gets_an_empty_header_with_one_buffer),
		cmocka_unit_test(test_a_header_that_lies_is_refused_with_its_reason),
		cmocka_unit_test(test_a_gso_type_the_packet_is_not_is_refused),
		cmocka_unit_test(test_a_packet_of_one_segment_and_padding_are_plain),
		cmocka_unit_test(test_krunkit_frames_are_inferred),
		cmocka_unit_test(test_a_read_packet_cuts_into_the_vms_segments),
		cmocka_unit_test(test_an_ipv6_tso_packet_is_read_and_written_back_the_same),
		cmocka_unit_test(test_an_ipv6_header_that_lies_is_refused_with_its_reason),
		cmocka_unit_test(test_ipv6_partial_checksums_are_completed_and_padding_cut),
		cmocka_unit_test(test_an_ipv6_tso_packet_cuts_into_the_vms_segments),
		cmocka_unit_test(test_krunkit_ipv6_frames_are_inferred),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
