// SPDX-License-Identifier: MIT
/* fuzz_reject.c — libFuzzer target: the resets and ICMP errors built from a refused VM packet */
/*
 * Input: four bytes of a sequence number (reject_reset_receiver_at()'s), then an Ethernet
 * frame as the VM might send it.
 * Checks, beyond "no crash, no sanitizer report": every answer fits REJECT_FRAME_MAX, parses,
 * carries valid checksums and goes where it must (a reset to the sender comes from the
 * address and port it wrote to; one to the receiver from the sender's); a reset is never
 * answered; an ICMP error quotes the packet's own header and first bytes, comes from the
 * router, and is never sent about an ICMP error, a later fragment, multicast or broadcast.
 */
#include <string.h>

#include "fuzz_promise.h"
#include "proto/byteorder.h"
#include "proto/checksum.h"
#include "proto/frame.h"
#include "proto/reject.h"
#include "proto/tcp_segment.h"

#define ROUTER 0xc0a84001u

static const uint8_t router_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

/* An answer parses, fits and its IPv4 header sums right. */
static void check_frame(const uint8_t *out, size_t len, struct frame_view *a)
{
	promise(len <= REJECT_FRAME_MAX);
	promise(frame_parse(a, out, len) == DROP_NONE && a->ip && a->l4);
	promise(checksum_fold(checksum_add(0, a->ip, a->ip_hdr_len)) == 0xffff);
}

static void check_reset(const struct frame_view *v, const uint8_t *out, size_t len, bool to_sender,
			uint32_t seq)
{
	struct frame_view a;

	promise(!(v->l4[13] & TCP_RST));
	check_frame(out, len, &a);
	promise(a.ip_proto == IPPROTO_TCP_ && (a.l4[13] & TCP_RST) && a.payload_len == 0);
	promise(tcp_segment_checksums_ok(&a));
	if (to_sender) {
		promise(inet_equal(&a.ip_src, &v->ip_dst) && inet_equal(&a.ip_dst, &v->ip_src));
		promise(a.src_port == v->dst_port && a.dst_port == v->src_port);
		promise(mac_equal(a.dst_mac, v->src_mac));
	} else {
		promise(inet_equal(&a.ip_src, &v->ip_src) && inet_equal(&a.ip_dst, &v->ip_dst));
		promise(a.src_port == v->src_port && a.dst_port == v->dst_port);
		promise(be32(a.l4 + 4) == seq);
	}
}

static void check_icmp(const struct frame_view *v, const uint8_t *out, size_t len)
{
	struct frame_view a;
	size_t quoted;
	uint32_t dst = inet_v4(&v->ip_dst);

	promise(!v->ip_frag_offset && !mac_is_multicast(v->dst_mac));
	promise((dst >> 28) != 0xe && dst != 0xffffffffu);
	promise(!(v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->icmp_type != 0 && v->icmp_type != 8 &&
		  v->icmp_type != 13 && v->icmp_type != 14));
	check_frame(out, len, &a);
	promise(a.ip_proto == IPPROTO_ICMP_ && a.icmp_type == 3 && a.icmp_code == 13);
	promise(inet_v4(&a.ip_src) == ROUTER && inet_equal(&a.ip_dst, &v->ip_src));
	promise(mac_equal(a.src_mac, router_mac) && mac_equal(a.dst_mac, v->src_mac));
	promise(checksum_fold(checksum_add(0, a.l4, (size_t)a.ip_total_len - a.ip_hdr_len)) ==
		0xffff);
	quoted = (size_t)a.ip_total_len - a.ip_hdr_len - 8;
	promise(quoted <= (size_t)v->ip_hdr_len + 8 && quoted <= v->ip_total_len);
	promise(memcmp(a.l4 + 8, v->ip, quoted) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[REJECT_FRAME_MAX];
	const struct inet_addr router = inet_from_v4(ROUTER);
	struct frame_view v;
	uint32_t seq;
	size_t len;

	if (size < 4)
		return 0;
	seq = be32(data);
	if (frame_parse(&v, data + 4, size - 4) != DROP_NONE || !v.ip)
		return 0;
	if (v.ip_proto == IPPROTO_TCP_ && v.l4) {
		if ((len = reject_reset_sender(&v, out)))
			check_reset(&v, out, len, true, 0);
		else
			promise(v.l4[13] & TCP_RST);
		if ((len = reject_reset_receiver(&v, out)))
			check_reset(&v, out, len, false, be32(v.l4 + 4));
		if ((len = reject_reset_receiver_at(&v, seq, out)))
			check_reset(&v, out, len, false, seq);
	}
	if ((len = reject_icmp_prohibited(&v, router_mac, &router, out)))
		check_icmp(&v, out, len);
	return 0;
}
