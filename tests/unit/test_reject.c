// SPDX-License-Identifier: MIT
/* test_reject.c — unit tests for proto/reject.c: the RSTs and ICMP errors a refused packet gets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/byteorder.h"
#include "proto/checksum.h"
#include "proto/ipv4_frame.h"
#include "proto/ip_frame.h"
#include "proto/reject.h"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0xa8, 0x40, 0x01};

static struct frame_view offending(uint8_t *buf, uint8_t flags, size_t payload)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = 0xc0a84002,
				 .dst_ip = 0xcb007109, .src_port = 40000, .dst_port = 443};
	struct tcp_fields f = {.seq = 1000, .ack = 5000, .flags = flags, .window = 100};
	struct frame_view v;

	memset(buf + IPV4_TCP_PAYLOAD_OFFSET, 'x', payload);
	assert_int_equal(frame_parse(&v, buf, ipv4_tcp_frame(buf, payload, &ends, &f)), DROP_NONE);
	return v;
}

static void tcp_checksum_ok(const struct frame_view *v)
{
	uint64_t sum = checksum_pseudo_ipv4(v->ip, IPPROTO_TCP_, (uint16_t)v->l4_len);

	assert_int_equal(checksum_final(checksum_add(sum, v->l4, v->l4_len)), 0);
	assert_int_equal(checksum_final(checksum_add(0, v->ip, v->ip_hdr_len)), 0);
}

static void resets_to_the_sender(void **state)
{
	uint8_t in[256], out[REJECT_FRAME_MAX];
	struct frame_view v = offending(in, TCP_SYN, 0), r;
	size_t len = reject_reset_sender(&v, out);

	(void)state;
	assert_int_equal(frame_parse(&r, out, len), DROP_NONE);
	assert_memory_equal(r.dst_mac, vm_mac, 6);
	assert_memory_equal(r.src_mac, gw_mac, 6);
	assert_int_equal(inet_v4(&r.ip_src), 0xcb007109);
	assert_int_equal(inet_v4(&r.ip_dst), 0xc0a84002);
	assert_int_equal(r.src_port, 443);
	assert_int_equal(r.dst_port, 40000);
	/* a SYN acknowledges nothing: RST|ACK acknowledging the SYN */
	assert_int_equal(r.l4[13], TCP_RST | TCP_ACK);
	assert_int_equal(be32(r.l4 + 8), 1001);
	tcp_checksum_ok(&r);
	/* a segment that acknowledges: RST with that sequence number */
	v = offending(in, TCP_ACK | TCP_PSH, 10);
	assert_int_equal(frame_parse(&r, out, reject_reset_sender(&v, out)), DROP_NONE);
	assert_int_equal(r.l4[13], TCP_RST);
	assert_int_equal(be32(r.l4 + 4), 5000);
	/* a reset is never answered */
	v = offending(in, TCP_RST, 0);
	assert_int_equal(reject_reset_sender(&v, out), 0);
}

static void resets_to_the_receiver(void **state)
{
	uint8_t in[256], out[REJECT_FRAME_MAX];
	struct frame_view v = offending(in, TCP_ACK, 20), r;

	(void)state;
	assert_int_equal(frame_parse(&r, out, reject_reset_receiver(&v, out)), DROP_NONE);
	assert_memory_equal(r.src_mac, vm_mac, 6);
	assert_int_equal(inet_v4(&r.ip_dst), 0xcb007109);
	assert_int_equal(r.dst_port, 443);
	assert_int_equal(r.l4[13], TCP_RST);
	assert_int_equal(be32(r.l4 + 4), 1000); /* as if the segment had never been sent */
	tcp_checksum_ok(&r);
}

static void icmp_prohibited_quotes_the_packet(void **state)
{
	uint8_t in[256], out[REJECT_FRAME_MAX];
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = 0xc0a84002,
				 .dst_ip = 0x08080808, .src_port = 5000, .dst_port = 53};
	struct inet_addr router = inet_from_v4(0xc0a84001);
	struct frame_view v, r;
	size_t len;

	(void)state;
	memcpy(in + IPV4_UDP_PAYLOAD_OFFSET, "query", 5);
	assert_int_equal(frame_parse(&v, in, ipv4_udp_frame(in, 5, &ends, 0)), DROP_NONE);
	len = reject_icmp_prohibited(&v, gw_mac, &router, out);
	assert_int_equal(frame_parse(&r, out, len), DROP_NONE);
	assert_int_equal(inet_v4(&r.ip_src), 0xc0a84001);
	assert_int_equal(inet_v4(&r.ip_dst), 0xc0a84002);
	assert_int_equal(r.icmp_type, 3);
	assert_int_equal(r.icmp_code, ICMP_CODE_ADMIN_PROHIBITED);
	assert_memory_equal(r.l4 + 8, v.ip, 20 + 8); /* its header and first 8 bytes */
	assert_int_equal(checksum_final(checksum_add(0, r.l4, r.l4_len)), 0);
	/* an ICMP error about an ICMP error: never */
	assert_int_equal(reject_icmp_prohibited(&r, gw_mac, &router, in), 0);
	/* nor about a broadcast or multicast, whatever its Ethernet address (fuzz_reject) */
	ends.dst_ip = 0xffffffff;
	assert_int_equal(frame_parse(&v, in, ipv4_udp_frame(in, 5, &ends, 0)), DROP_NONE);
	assert_int_equal(reject_icmp_prohibited(&v, gw_mac, &router, out), 0);
	ends.dst_ip = 0xe00000fb;
	assert_int_equal(frame_parse(&v, in, ipv4_udp_frame(in, 5, &ends, 0)), DROP_NONE);
	assert_int_equal(reject_icmp_prohibited(&v, gw_mac, &router, out), 0);
}

static void ipv6_answers(void **state)
{
	uint8_t in[1600], out[REJECT_FRAME_MAX];
	struct ip_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac,
			       .src = {{0xfd, 0x12, [7] = 1, [15] = 0x10}},
			       .dst = {{0x26, 0x06, 0x47, [15] = 1}}, .src_port = 5000, .dst_port = 443};
	struct inet_addr router = {{0xfd, 0x12, [7] = 1, [15] = 1}};
	struct tcp_fields syn = {.seq = 77, .flags = TCP_SYN, .window = 100, .mss = 1440};
	struct frame_view v, r;
	size_t len;

	(void)state;
	/* a reset for a refused SYN, from the server's address */
	assert_int_equal(frame_parse(&v, in, ip_tcp_frame(in, 0, &ends, &syn)), DROP_NONE);
	len = reject_reset_sender(&v, out);
	assert_int_equal(frame_parse(&r, out, len), DROP_NONE);
	assert_non_null(r.ip6);
	assert_true(inet_equal(&r.ip_src, &ends.dst));
	assert_int_equal(r.l4[13], TCP_RST | TCP_ACK);
	assert_int_equal(be32(r.l4 + 8), 78);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv6(r.ip6, IPPROTO_TCP_, 20),
						     r.l4, 20)),
			 0);
	/* ICMPv6 "administratively prohibited", quoting as much as fits in 1280 */
	ends.dst_port = 53;
	memset(in + IPV6_UDP_PAYLOAD_OFFSET, 'x', 1400);
	assert_int_equal(frame_parse(&v, in, ip_udp_frame(in, 1400, &ends)), DROP_NONE);
	len = reject_icmp_prohibited(&v, gw_mac, &router, out);
	assert_int_equal(len, ETH_HDR_LEN + IPV6_MIN_MTU);
	assert_int_equal(frame_parse(&r, out, len), DROP_NONE);
	assert_true(inet_equal(&r.ip_src, &router));
	assert_int_equal(r.icmp_type, ICMPV6_DEST_UNREACH);
	assert_int_equal(r.icmp_code, ICMPV6_CODE_ADMIN_PROHIBITED);
	assert_memory_equal(r.l4 + 8, v.ip6, REJECT_QUOTE6_MAX);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv6(r.ip6, IPPROTO_ICMPV6_,
									  (uint32_t)r.l4_len),
						     r.l4, r.l4_len)),
			 0);
	/* never about an ICMPv6 error, never with the other family's router */
	assert_int_equal(reject_icmp_prohibited(&r, gw_mac, &router, in), 0);
	router = inet_from_v4(0xc0a84001);
	assert_int_equal(reject_icmp_prohibited(&v, gw_mac, &router, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resets_to_the_sender),
		cmocka_unit_test(resets_to_the_receiver),
		cmocka_unit_test(icmp_prohibited_quotes_the_packet),
		cmocka_unit_test(ipv6_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
