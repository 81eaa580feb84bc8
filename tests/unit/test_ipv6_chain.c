// SPDX-License-Identifier: MIT
/* test_ipv6_chain.c — unit tests of src/proto/ipv6_chain.c: IPv6 header chains, good and bad */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/frame.h"
#include "proto/ipv6_chain.h"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* A frame being written: Ethernet, the IPv6 header, then headers appended one by one. */
struct pkt {
	uint8_t b[2048];
	size_t len;
	uint8_t *last_next; /* the Next Header byte the next header's type goes into */
};

static void start(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->b, "\x33\x33\x00\x00\x00\x01", 6);
	memcpy(p->b + 6, vm_mac, 6);
	put_be16(p->b + 12, ETHERTYPE_IPV6);
	p->b[14] = 0x60;
	p->b[21] = 64;
	p->b[22 + 0] = 0xfe, p->b[22 + 1] = 0x80, p->b[22 + 15] = 1;   /* src fe80::1 */
	p->b[38 + 0] = 0x20, p->b[38 + 1] = 0x01, p->b[38 + 15] = 2;   /* dst 2001::2 */
	p->last_next = p->b + 20;
	p->len = 14 + 40;
}

/* An extension header of type @nh, @len bytes (a multiple of 8; AH: of 4) with @fill after
 * its first two bytes. */
static uint8_t *ext(struct pkt *p, uint8_t nh, size_t len)
{
	uint8_t *h = p->b + p->len;

	*p->last_next = nh;
	memset(h, 0, len);
	h[1] = nh == IPPROTO_AH_ ? (uint8_t)(len / 4 - 2) : (uint8_t)(len / 8 - 1);
	p->last_next = h;
	p->len += len;
	return h;
}

static uint8_t *frag(struct pkt *p, uint16_t offset, bool more)
{
	uint8_t *h = ext(p, IPPROTO_FRAGMENT_, 8);

	h[1] = 0;
	put_be16(h + 2, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	return h;
}

static uint8_t *upper(struct pkt *p, uint8_t proto, size_t len)
{
	uint8_t *h = p->b + p->len;

	*p->last_next = proto;
	memset(h, 0, len);
	if (proto == IPPROTO_UDP_ && len >= 8) {
		put_be16(h, 1000);
		put_be16(h + 2, 53);
		put_be16(h + 4, (uint16_t)len);
	}
	if (proto == IPPROTO_TCP_ && len >= 20)
		h[12] = 5 << 4;
	if (proto == IPPROTO_ICMPV6_)
		h[0] = ICMPV6_ND_RA;
	p->len += len;
	p->last_next = NULL;
	return h;
}

static enum drop_reason parse(struct pkt *p, struct frame_view *v)
{
	put_be16(p->b + 18, (uint16_t)(p->len - 54));
	return frame_parse(v, p->b, p->len);
}

static void plain_upper_layers(void **state)
{
	struct frame_view v;
	struct pkt p;

	(void)state;
	start(&p);
	upper(&p, IPPROTO_UDP_, 12);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_non_null(v.ip6);
	assert_null(v.ip);
	assert_int_equal(v.ip_proto, IPPROTO_UDP_);
	assert_int_equal(v.ip_hdr_len, 40);
	assert_int_equal(v.dst_port, 53);
	assert_int_equal(v.payload_len, 4);
	assert_int_equal(v.ip_ttl, 64);
	assert_int_equal(v.ip_src.b[0], 0xfe);
	assert_false(inet_is_v4(&v.ip_src));

	start(&p);
	upper(&p, IPPROTO_ICMPV6_, 16);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.icmp_type, ICMPV6_ND_RA);

	/* ICMP (IPv4's) inside IPv6 is an unknown protocol: no type read */
	start(&p);
	upper(&p, IPPROTO_ICMP_, 8)[0] = 8;
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.icmp_type, 0);
	assert_non_null(v.l4);
}

static void fixed_header_checks(void **state)
{
	struct frame_view v;
	struct pkt p;

	(void)state;
	start(&p);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(frame_parse(&v, p.b, 14 + 39), DROP_RUNT);
	put_be16(p.b + 18, 0); /* a jumbogram's payload length */
	assert_int_equal(frame_parse(&v, p.b, p.len), DROP_IP6_MALFORMED);
	put_be16(p.b + 18, 9); /* beyond the frame */
	assert_int_equal(frame_parse(&v, p.b, p.len), DROP_IP6_MALFORMED);
	put_be16(p.b + 18, 8);
	p.b[14] = 0x40; /* version 4 under the IPv6 ethertype */
	assert_int_equal(frame_parse(&v, p.b, p.len), DROP_IP6_MALFORMED);
	p.b[14] = 0x60;
	assert_int_equal(frame_parse(&v, p.b, p.len), DROP_NONE);
	/* an IPv4-mapped destination would read as IPv4 */
	memcpy(p.b + 38, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x08\x08\x08\x08", 16);
	assert_int_equal(frame_parse(&v, p.b, p.len), DROP_IP6_MALFORMED);
	p.b[38 + 10] = 0;
	assert_int_equal(frame_parse(&v, p.b, p.len), DROP_NONE);
	/* Ethernet padding after the payload is not the payload */
	assert_int_equal(frame_parse(&v, p.b, p.len + 10), DROP_NONE);
	assert_int_equal(v.ip_total_len, 48);
	assert_int_equal(v.payload_len, 0);
}

static void options_are_recorded(void **state)
{
	struct frame_view v;
	struct pkt p;
	uint8_t *h;

	(void)state;
	start(&p);
	h = ext(&p, IPPROTO_HOPOPTS_, 8);
	h[2] = 5, h[3] = 2; /* router alert */
	h[6] = 0, h[7] = 0; /* two Pad1 */
	upper(&p, IPPROTO_ICMPV6_, 8)[0] = ICMPV6_MLD2_REPORT;
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip6_flags, IP6_EXT_HBH | IP6_OPT_ROUTER_ALERT);
	assert_int_equal(v.ip6_ext_count, 1);
	assert_int_equal(v.ip_hdr_len, 48);
	assert_int_equal(v.icmp_type, ICMPV6_MLD2_REPORT);

	/* router alert means nothing in a destination options header */
	start(&p);
	h = ext(&p, IPPROTO_DSTOPTS_, 8);
	h[2] = 5, h[3] = 2;
	h[6] = 1, h[7] = 0; /* PadN of 0 bytes */
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip6_flags, IP6_EXT_DSTOPTS | IP6_OPT_OTHER);

	/* an option running past its header */
	start(&p);
	h = ext(&p, IPPROTO_DSTOPTS_, 8);
	h[2] = 0x1e, h[3] = 5;
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_IP6_MALFORMED);

	/* a jumbo payload option */
	start(&p);
	h = ext(&p, IPPROTO_HOPOPTS_, 8);
	h[2] = 0xc2, h[3] = 4;
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_IP6_MALFORMED);
}

static void order_and_routing(void **state)
{
	struct frame_view v;
	struct pkt p;

	(void)state;
	/* hop-by-hop after another header */
	start(&p);
	ext(&p, IPPROTO_DSTOPTS_, 8);
	ext(&p, IPPROTO_HOPOPTS_, 8);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_ORDER);

	/* a routing header with segments left, behind hop-by-hop */
	start(&p);
	ext(&p, IPPROTO_HOPOPTS_, 8);
	ext(&p, IPPROTO_ROUTING_, 24)[3] = 1;
	upper(&p, IPPROTO_TCP_, 20);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip6_flags, IP6_EXT_HBH | IP6_EXT_ROUTING | IP6_ROUTING_ACTIVE);
	assert_int_equal(v.ip_hdr_len, 40 + 8 + 24);
	assert_int_equal(v.ip_proto, IPPROTO_TCP_);

	/* an authentication header counts in 4-byte units */
	start(&p);
	ext(&p, IPPROTO_AH_, 12);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip_hdr_len, 52);

	/* ESP ends what can be read: its payload is the upper layer, without ports */
	start(&p);
	ext(&p, IPPROTO_DSTOPTS_, 8);
	upper(&p, IPPROTO_ESP_, 32);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip_proto, IPPROTO_ESP_);
	assert_int_equal(v.dst_port, 0);
}

static void long_and_truncated_chains(void **state)
{
	struct frame_view v;
	struct pkt p;

	(void)state;
	start(&p);
	for (int i = 0; i < IPV6_EXT_MAX; i++)
		ext(&p, IPPROTO_DSTOPTS_, 8);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip6_ext_count, IPV6_EXT_MAX);

	start(&p);
	for (int i = 0; i <= IPV6_EXT_MAX; i++)
		ext(&p, IPPROTO_DSTOPTS_, 8);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_LONG);

	/* a header whose length runs past the payload */
	start(&p);
	ext(&p, IPPROTO_HOPOPTS_, 8)[1] = 3;
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_TRUNCATED);

	/* the chain ends with an extension header and nothing after it */
	start(&p);
	ext(&p, IPPROTO_HOPOPTS_, 8);
	ext(&p, IPPROTO_DSTOPTS_, 8);
	*p.last_next = IPPROTO_ROUTING_;
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_TRUNCATED);

	/* a fragment header cut short */
	start(&p);
	ext(&p, IPPROTO_HOPOPTS_, 8);
	*p.last_next = IPPROTO_FRAGMENT_;
	p.len += 4;
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_TRUNCATED);
}

static void fragments(void **state)
{
	struct frame_view v;
	struct pkt p;

	(void)state;
	/* a first fragment with the whole chain and its upper-layer header */
	start(&p);
	ext(&p, IPPROTO_HOPOPTS_, 8);
	frag(&p, 0, true);
	upper(&p, IPPROTO_ICMPV6_, 24);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_true(v.ip_more_fragments);
	assert_int_equal(v.ip_frag_offset, 0);
	assert_int_equal(v.icmp_type, ICMPV6_ND_RA);
	assert_true(v.ip6_flags & IP6_EXT_FRAGMENT);

	/* RFC 7112: a first fragment that ends inside the chain ... */
	start(&p);
	frag(&p, 0, true);
	ext(&p, IPPROTO_DSTOPTS_, 8);
	*p.last_next = IPPROTO_ICMPV6_;
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_TRUNCATED);
	/* ... or before the upper-layer header is whole */
	start(&p);
	frag(&p, 0, true);
	upper(&p, IPPROTO_TCP_, 16);
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_TRUNCATED);
	start(&p);
	frag(&p, 0, true);
	upper(&p, IPPROTO_TCP_, 20)[12] = 8 << 4; /* options cut off */
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_TRUNCATED);

	/* a later fragment: data only, no ports */
	start(&p);
	frag(&p, 100, false);
	upper(&p, IPPROTO_UDP_, 40);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_int_equal(v.ip_frag_offset, 100);
	assert_null(v.l4);
	assert_int_equal(v.dst_port, 0);
	assert_int_equal(v.ip_proto, IPPROTO_UDP_);

	/* a later fragment naming an extension header, or starting inside TCP's header */
	start(&p);
	frag(&p, 10, false);
	ext(&p, IPPROTO_DSTOPTS_, 8);
	upper(&p, IPPROTO_ICMPV6_, 16);
	assert_int_equal(parse(&p, &v), DROP_IP6_FRAG_UPPER);
	start(&p);
	frag(&p, 1, false);
	upper(&p, IPPROTO_TCP_, 20);
	assert_int_equal(parse(&p, &v), DROP_IP6_FRAG_UPPER);
	start(&p);
	frag(&p, 3, false);
	upper(&p, IPPROTO_TCP_, 20);
	assert_int_equal(parse(&p, &v), DROP_NONE);

	/* a second fragment header is out of order; after a later fragment's it is data */
	start(&p);
	frag(&p, 0, true);
	frag(&p, 0, true);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_IP6_CHAIN_ORDER);
	start(&p);
	frag(&p, 4, true);
	*p.last_next = IPPROTO_UDP_;
	p.len += 16;
	assert_int_equal(parse(&p, &v), DROP_NONE);

	/* an atomic fragment (RFC 6946) is a whole packet */
	start(&p);
	frag(&p, 0, false);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	assert_false(v.ip_more_fragments);
	assert_int_equal(v.dst_port, 53);
}

static void summary_names_the_family(void **state)
{
	struct frame_view v;
	struct pkt p;
	char line[200];

	(void)state;
	start(&p);
	upper(&p, IPPROTO_UDP_, 8);
	assert_int_equal(parse(&p, &v), DROP_NONE);
	frame_summary(&v, line, sizeof(line));
	assert_non_null(strstr(line, "ipv6 proto=17 src=[fe80::1]:1000 dst=[2001::2]:53"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_upper_layers),
		cmocka_unit_test(fixed_header_checks),
		cmocka_unit_test(options_are_recorded),
		cmocka_unit_test(order_and_routing),
		cmocka_unit_test(long_and_truncated_chains),
		cmocka_unit_test(fragments),
		cmocka_unit_test(summary_names_the_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
