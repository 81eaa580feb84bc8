// SPDX-License-Identifier: MIT
/* test_ndp_msg.c — unit tests of src/proto/ndp_msg.c and ip_frame.c: ND read, checked, written */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/checksum.h"
#include "proto/ip_frame.h"
#include "proto/ndp_msg.h"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0xa8, 0x40, 0x01};

static struct inet_addr addr(const char *text)
{
	struct inet_addr a;

	assert_true(inet_parse(text, &a));
	return a;
}

/* An ICMPv6 checksum that holds: the sum over pseudo-header and message is 0. */
static void assert_icmp6_checksum(const struct frame_view *v)
{
	assert_int_equal(checksum_final(checksum_add(
				 checksum_pseudo_ipv6(v->ip6, IPPROTO_ICMPV6_, (uint32_t)v->l4_len),
				 v->l4, v->l4_len)),
			 0);
}

static uint8_t frame[512];

/* A Neighbor Solicitation from @src to @dst for @target, with @sllao (or none). */
static struct frame_view ns(const char *src, const char *dst, const char *target,
			    const uint8_t *sllao)
{
	struct ip_ends e = {.src_mac = vm_mac, .dst_mac = gw_mac, .src = addr(src),
			    .dst = addr(dst)};
	struct inet_addr t = addr(target);
	uint8_t *body = frame + IPV6_ICMP_BODY_OFFSET;
	struct frame_view v;
	size_t len = 20;

	memset(body, 0, 4);
	memcpy(body + 4, t.b, 16);
	if (sllao) {
		body[20] = ND_OPT_SLLAO, body[21] = 1;
		memcpy(body + 22, sllao, 6);
		len += 8;
	}
	assert_int_equal(frame_parse(&v, frame, ipv6_icmp_frame(frame, len, &e, ICMPV6_ND_NS, 0,
								  ND_HOP_LIMIT)),
			 DROP_NONE);
	assert_icmp6_checksum(&v);
	return v;
}

static void neighbor_solicitations(void **state)
{
	struct frame_view v;
	struct ndp_msg m;

	(void)state;
	v = ns("fe80::1", "ff02::1:ff00:1", "fd00::1", vm_mac);
	assert_int_equal(ndp_parse(&v, &m), DROP_NONE);
	assert_int_equal(m.type, ICMPV6_ND_NS);
	assert_memory_equal(m.sllao, vm_mac, 6);
	assert_true(inet_equal(&m.target, &(struct inet_addr){{0xfd, [15] = 1}}));

	/* DAD: from ::, to the target's solicited-node group, no source link-layer address */
	v = ns("::", "ff02::1:ff00:1", "fd00::1", NULL);
	assert_int_equal(ndp_parse(&v, &m), DROP_NONE);
	v = ns("::", "ff02::1:ff00:1", "fd00::1", vm_mac);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
	v = ns("::", "ff02::1", "fd00::1", NULL);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);

	/* a multicast target, a hop limit that crossed a router, a code, a cut message */
	v = ns("fe80::1", "ff02::1:ff00:1", "ff02::1", NULL);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
	v = ns("fe80::1", "ff02::1:ff00:1", "fd00::1", NULL);
	frame[21] = 254;
	assert_int_equal(frame_parse(&v, frame, 14 + 40 + 24), DROP_NONE);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
	frame[21] = 255;
	frame[55] = 1;
	assert_int_equal(frame_parse(&v, frame, 14 + 40 + 24), DROP_NONE);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
	frame[55] = 0;
	put_be16(frame + 18, 20);
	assert_int_equal(frame_parse(&v, frame, 14 + 40 + 20), DROP_NONE);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
}

static void options_must_fit(void **state)
{
	struct frame_view v;
	struct ndp_msg m;

	(void)state;
	v = ns("fe80::1", "ff02::1:ff00:1", "fd00::1", vm_mac);
	frame[14 + 40 + 24 + 1] = 0; /* a zero length */
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
	frame[14 + 40 + 24 + 1] = 2; /* beyond the message */
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
	frame[14 + 40 + 24 + 1] = 1;
	assert_int_equal(ndp_parse(&v, &m), DROP_NONE);
}

static void advertisements_written_and_read_back(void **state)
{
	struct ip_ends e = {.src_mac = gw_mac, .dst_mac = vm_mac, .src = addr("fe80::1"),
			    .dst = addr("ff02::1")};
	struct inet_addr dns = addr("fd12:3456:789a:1::1");
	struct ndp_ra ra = {.hop_limit = 64, .router_lifetime = 9000, .sllao = gw_mac,
			    .mtu = 1500, .prefix = {addr("fd12:3456:789a:1::"), 64},
			    .valid = 2592000, .preferred = 604800, .rdnss = &dns,
			    .rdnss_lifetime = 9000};
	struct inet_addr target = addr("fd12:3456:789a:1::1");
	struct frame_view v;
	struct ndp_msg m;
	size_t len = ndp_build_ra(frame, &e, &ra);
	const uint8_t *o;

	(void)state;
	assert_true(len <= NDP_RA_FRAME_MAX);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_icmp6_checksum(&v);
	assert_int_equal(ndp_parse(&v, &m), DROP_NONE);
	assert_int_equal(m.type, ICMPV6_ND_RA);
	assert_memory_equal(m.sllao, gw_mac, 6);
	assert_int_equal(be16(v.l4 + 6), 9000);
	o = v.l4 + 16 + 8; /* after the SLLAO: MTU, then the prefix, then RDNSS */
	assert_int_equal(o[0], ND_OPT_MTU);
	assert_int_equal(be32(o + 4), 1500);
	o += 8;
	assert_int_equal(o[0], ND_OPT_PREFIX);
	assert_int_equal(o[2], 64);
	assert_int_equal(o[3], ND_PIO_ON_LINK | ND_PIO_AUTONOMOUS);
	assert_int_equal(be32(o + 4), 2592000);
	assert_memory_equal(o + 16, ra.prefix.addr.b, 16);
	o += 32;
	assert_int_equal(o[0], ND_OPT_RDNSS);
	assert_int_equal(o[1], 3);
	assert_int_equal(be32(o + 4), 9000);
	assert_memory_equal(o + 8, dns.b, 16);
	assert_int_equal(o + 24 - v.l4, v.l4_len);

	/* an RA from an address that is not link-local is refused by every host */
	e.src = addr("fd12:3456:789a:1::1");
	len = ndp_build_ra(frame, &e, &ra);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);

	e.src = target;
	len = ndp_build_na(frame, &e, &target, ND_NA_ROUTER | ND_NA_OVERRIDE, gw_mac);
	assert_true(len <= NDP_NA_FRAME_MAX);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_icmp6_checksum(&v);
	assert_int_equal(ndp_parse(&v, &m), DROP_NONE);
	assert_int_equal(m.na_flags, ND_NA_ROUTER | ND_NA_OVERRIDE);
	assert_memory_equal(m.tllao, gw_mac, 6);
	assert_true(inet_equal(&m.target, &target));
	/* solicited, to a group: no receiver takes it */
	len = ndp_build_na(frame, &e, &target, ND_NA_SOLICITED, gw_mac);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_int_equal(ndp_parse(&v, &m), DROP_NDP_MALFORMED);
}

static void udp_and_tcp_frames_of_either_family(void **state)
{
	struct ip_ends e6 = {.src_mac = gw_mac, .dst_mac = vm_mac, .src = addr("fd00::1"),
			     .dst = addr("fd00::2"), .src_port = 53, .dst_port = 40000};
	struct ip_ends e4 = {.src_mac = gw_mac, .dst_mac = vm_mac, .src = addr("192.168.64.1"),
			     .dst = addr("192.168.64.2"), .src_port = 53, .dst_port = 40000};
	struct tcp_fields f = {.seq = 1, .ack = 2, .flags = TCP_ACK, .window = 100};
	struct frame_view v;
	size_t len;

	(void)state;
	memcpy(frame + ip_udp_payload_offset(&e6), "hello", 5);
	len = ip_udp_frame(frame, 5, &e6);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_non_null(v.ip6);
	assert_int_equal(v.payload_len, 5);
	assert_memory_equal(v.payload, "hello", 5);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv6(v.ip6, IPPROTO_UDP_, 13),
						     v.l4, 13)),
			 0);
	memcpy(frame + ip_udp_payload_offset(&e4), "hello", 5);
	len = ip_udp_frame(frame, 5, &e4);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_non_null(v.ip);
	assert_int_equal(v.payload_len, 5);

	memcpy(frame + ip_tcp_payload_offset(&e6), "abc", 3);
	len = ip_tcp_frame(frame, 3, &e6, &f);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_int_equal(v.ip_proto, IPPROTO_TCP_);
	assert_int_equal(v.payload_len, 3);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv6(v.ip6, IPPROTO_TCP_, 23),
						     v.l4, 23)),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(neighbor_solicitations),
		cmocka_unit_test(options_must_fit),
		cmocka_unit_test(advertisements_written_and_read_back),
		cmocka_unit_test(udp_and_tcp_frames_of_either_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
