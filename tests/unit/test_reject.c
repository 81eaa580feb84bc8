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
	struct frame_view v, r;
	size_t len;

	(void)state;
	memcpy(in + IPV4_UDP_PAYLOAD_OFFSET, "query", 5);
	assert_int_equal(frame_parse(&v, in, ipv4_udp_frame(in, 5, &ends, 0)), DROP_NONE);
	len = reject_icmp_prohibited(&v, gw_mac, 0xc0a84001, out);
	assert_int_equal(frame_parse(&r, out, len), DROP_NONE);
	assert_int_equal(inet_v4(&r.ip_src), 0xc0a84001);
	assert_int_equal(inet_v4(&r.ip_dst), 0xc0a84002);
	assert_int_equal(r.icmp_type, 3);
	assert_int_equal(r.icmp_code, ICMP_CODE_ADMIN_PROHIBITED);
	assert_memory_equal(r.l4 + 8, v.ip, 20 + 8); /* its header and first 8 bytes */
	assert_int_equal(checksum_final(checksum_add(0, r.l4, r.l4_len)), 0);
	/* an ICMP error about an ICMP error: never */
	assert_int_equal(reject_icmp_prohibited(&r, gw_mac, 0xc0a84001, in), 0);
	/* nor about a broadcast or multicast, whatever its Ethernet address (fuzz_reject) */
	ends.dst_ip = 0xffffffff;
	assert_int_equal(frame_parse(&v, in, ipv4_udp_frame(in, 5, &ends, 0)), DROP_NONE);
	assert_int_equal(reject_icmp_prohibited(&v, gw_mac, 0xc0a84001, out), 0);
	ends.dst_ip = 0xe00000fb;
	assert_int_equal(frame_parse(&v, in, ipv4_udp_frame(in, 5, &ends, 0)), DROP_NONE);
	assert_int_equal(reject_icmp_prohibited(&v, gw_mac, 0xc0a84001, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resets_to_the_sender),
		cmocka_unit_test(resets_to_the_receiver),
		cmocka_unit_test(icmp_prohibited_quotes_the_packet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
