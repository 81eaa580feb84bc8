// SPDX-License-Identifier: MIT
/* test_frame.c — unit tests of src/frame.c: every layer, every bad length */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/checksum.h"
#include "proto/frame.h"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* Ethernet + IPv4 header (20 bytes, no options) + @l4_len bytes, lengths consistent. */
static size_t build_ipv4(uint8_t *f, uint8_t proto, size_t l4_len)
{
	memset(f, 0, 14 + 20 + l4_len);
	memset(f, 0xff, 6);
	memcpy(f + 6, vm_mac, 6);
	put_be16(f + 12, ETHERTYPE_IPV4);
	f[14] = 0x45;
	put_be16(f + 16, (uint16_t)(20 + l4_len));
	f[22] = 64;
	f[23] = proto;
	put_be32(f + 26, 0xc0a84032);
	put_be32(f + 30, 0xcb007102);
	return 14 + 20 + l4_len;
}

static void runt_ethernet(void **state)
{
	struct frame_view v;
	uint8_t f[13] = {0};

	(void)state;
	assert_int_equal(frame_parse(&v, f, sizeof(f)), DROP_RUNT);
	assert_int_equal(frame_parse(&v, f, 0), DROP_RUNT);
}

static void unknown_ethertype_parses_only_ethernet(void **state)
{
	struct frame_view v;
	uint8_t f[60] = {0};

	(void)state;
	put_be16(f + 12, 0x88cc); /* LLDP */
	assert_int_equal(frame_parse(&v, f, sizeof(f)), DROP_NONE);
	assert_int_equal(v.ethertype, 0x88cc);
	assert_null(v.ip);
	assert_null(v.arp);
}

static void udp_ports_and_payload(void **state)
{
	struct frame_view v;
	uint8_t f[100];
	size_t len = build_ipv4(f, IPPROTO_UDP_, 8 + 5);

	(void)state;
	put_be16(f + 34, 68);
	put_be16(f + 36, 67);
	put_be16(f + 38, 13);
	memcpy(f + 42, "hello", 5);
	assert_int_equal(frame_parse(&v, f, len), DROP_NONE);
	assert_int_equal(inet_v4(&v.ip_src), 0xc0a84032);
	assert_int_equal(inet_v4(&v.ip_dst), 0xcb007102);
	assert_int_equal(v.src_port, 68);
	assert_int_equal(v.dst_port, 67);
	assert_int_equal(v.payload_len, 5);
	assert_memory_equal(v.payload, "hello", 5);
	/* trailing Ethernet padding is not payload */
	assert_int_equal(frame_parse(&v, f, len + 10), DROP_NONE);
	assert_int_equal(v.payload_len, 5);
}

static void udp_length_beyond_packet_is_malformed(void **state)
{
	struct frame_view v;
	uint8_t f[100];
	size_t len = build_ipv4(f, IPPROTO_UDP_, 8);

	(void)state;
	put_be16(f + 38, 200);
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
	put_be16(f + 38, 4);
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
}

static void ipv4_header_checks(void **state)
{
	struct frame_view v;
	uint8_t f[100];
	size_t len = build_ipv4(f, IPPROTO_ICMP_, 8);

	(void)state;
	assert_int_equal(frame_parse(&v, f, len), DROP_NONE);
	assert_int_equal(v.icmp_type, 0);
	f[14] = 0x65; /* version 6 */
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
	f[14] = 0x44; /* IHL 4 */
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
	f[14] = 0x4f; /* IHL 15 = 60 bytes > total length */
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
	f[14] = 0x45;
	put_be16(f + 16, 29); /* total length beyond the frame */
	assert_int_equal(frame_parse(&v, f, 14 + 28), DROP_IP_MALFORMED);
	assert_int_equal(frame_parse(&v, f, 14 + 19), DROP_RUNT);
}

static void tcp_data_offset_checks(void **state)
{
	struct frame_view v;
	uint8_t f[100];
	size_t len = build_ipv4(f, IPPROTO_TCP_, 20);

	(void)state;
	f[34 + 12] = 5 << 4;
	assert_int_equal(frame_parse(&v, f, len), DROP_NONE);
	assert_int_equal(v.payload_len, 0);
	f[34 + 12] = 6 << 4; /* 24-byte header in 20 bytes */
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
	f[34 + 12] = 4 << 4;
	assert_int_equal(frame_parse(&v, f, len), DROP_IP_MALFORMED);
	len = build_ipv4(f, IPPROTO_TCP_, 10);
	assert_int_equal(frame_parse(&v, f, len), DROP_RUNT);
}

static void later_fragment_has_no_ports(void **state)
{
	struct frame_view v;
	uint8_t f[100];
	size_t len = build_ipv4(f, IPPROTO_UDP_, 16);

	(void)state;
	put_be16(f + 20, 0x0002); /* offset 16 bytes */
	assert_int_equal(frame_parse(&v, f, len), DROP_NONE);
	assert_int_equal(v.ip_frag_offset, 2);
	assert_null(v.l4);
	assert_int_equal(v.dst_port, 0);
	put_be16(f + 20, 0x2000); /* first fragment: MF set, ports present */
	put_be16(f + 34, 1234);
	put_be16(f + 36, 53);
	put_be16(f + 38, 1000); /* the whole datagram's length, beyond this fragment */
	assert_int_equal(frame_parse(&v, f, len), DROP_NONE);
	assert_true(v.ip_more_fragments);
	assert_int_equal(v.dst_port, 53);
}

static void arp_forms(void **state)
{
	struct frame_view v;
	uint8_t f[60] = {0};

	(void)state;
	put_be16(f + 12, ETHERTYPE_ARP);
	put_be16(f + 14, 1);
	put_be16(f + 16, ETHERTYPE_IPV4);
	f[18] = 6;
	f[19] = 4;
	put_be16(f + 20, ARP_OP_REQUEST);
	memcpy(f + 22, vm_mac, 6);
	put_be32(f + 28, 0xc0a84032);
	put_be32(f + 38, 0xc0a84001);
	assert_int_equal(frame_parse(&v, f, 42), DROP_NONE);
	assert_int_equal(v.arp_op, ARP_OP_REQUEST);
	assert_memory_equal(v.arp_sha, vm_mac, 6);
	assert_int_equal(be32(v.arp_tpa), 0xc0a84001);
	assert_int_equal(frame_parse(&v, f, 41), DROP_RUNT);
	f[18] = 8; /* hardware address length other than Ethernet's */
	assert_int_equal(frame_parse(&v, f, 42), DROP_ARP_MALFORMED);
}

static void checksum_of_known_header(void **state)
{
	/* RFC 1071 example header from Wikipedia's IPv4 checksum article */
	const uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	(void)state;
	assert_int_equal(checksum_final(checksum_add(0, hdr, sizeof(hdr))), 0xb861);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runt_ethernet),
		cmocka_unit_test(unknown_ethertype_parses_only_ethernet),
		cmocka_unit_test(udp_ports_and_payload),
		cmocka_unit_test(udp_length_beyond_packet_is_malformed),
		cmocka_unit_test(ipv4_header_checks),
		cmocka_unit_test(tcp_data_offset_checks),
		cmocka_unit_test(later_fragment_has_no_ports),
		cmocka_unit_test(arp_forms),
		cmocka_unit_test(checksum_of_known_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
