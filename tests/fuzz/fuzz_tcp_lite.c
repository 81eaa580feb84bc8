// SPDX-License-Identifier: MIT
/* fuzz_tcp_lite.c — libFuzzer target: tcp_lite's server half of TCP against a VM the input plays */
/*
 * Input: commands, each a byte and its arguments (see step()): the VM sends a segment (a SYN
 * with any options, a well-behaved one with data and perhaps a FIN, an ACK of what it got,
 * or one whose sequence numbers, flags, window, options and data are all the input's), the
 * owner consumes, writes, closes, resets or frees, or the clock moves and the timer ticks.
 * Checks, beyond "no crash, no sanitizer report" (its buffers are malloc'd at their exact
 * sizes, so a byte past either is ASan's): every segment sent carries the owner's bytes at
 * their own sequence numbers, no more than the peer's MSS and never past what was written;
 * the window it advertises is the room left in rx; rx holds exactly the in-order bytes the
 * VM sent, in order; snd_una <= snd_nxt and nothing is acknowledged that was not received.
 */
#include <string.h>

#include "fuzz_promise.h"
#include "proto/byteorder.h"
#include "proto/frame.h"
#include "proto/ipv4_frame.h"
#include "responder/tcp_lite.h"

#define VM_IP 0xc0a84032u
#define GATEWAY 0xc0a84001u
#define OUR_MSS 1460

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

/* The owner's byte at offset @i of what it wrote: a pattern, so that any segment is checked. */
static uint8_t owner_byte(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + 1);
}

/* The state of one run. */
static struct {
	struct tcp_lite c;
	uint64_t now;
	uint64_t written;  /* bytes the owner handed over since the connection began */
	uint32_t vm_seq;   /* the VM's next sequence number, as it believes */
	uint32_t vm_ack;   /* the next byte the VM expects from us */
	uint8_t frame[2048];
} st;

static void emitted(void *ctx, struct tcp_lite *c, const struct tcp_fields *tcp,
		    const uint8_t *data, size_t len)
{
	(void)ctx;
	promise(c == &st.c);
	promise(c->state == TCP_LITE_SYN_RCVD || c->state == TCP_LITE_OPEN);
	promise(tcp->window == TCP_LITE_RX - c->rx_len);
	promise(len <= c->mss && c->mss <= OUR_MSS && c->mss > 0);
	if (len) {
		/* data: the owner's bytes at their place in the stream (our SYN takes iss) */
		uint64_t off = (uint32_t)(tcp->seq - c->iss - 1);

		promise(!(tcp->flags & (TCP_SYN | TCP_RST)));
		promise(off + len <= st.written);
		for (size_t k = 0; k < len; k++)
			promise(data[k] == owner_byte(off + k));
	}
	if (tcp->flags & TCP_SYN)
		promise(tcp->seq == c->iss && len == 0);
	if (tcp->flags & TCP_ACK)
		st.vm_ack = tcp->seq + (uint32_t)len + !!(tcp->flags & (TCP_SYN | TCP_FIN));
}

static const struct tcp_lite_ops ops = {.emit = emitted};

/*
 * A segment from the VM: @opt_len bytes of TCP options then @len of data, from @d; the data
 * offset patched to take the options (frame_parse() does not check sums).
 */
static bool vm_segment(const struct tcp_fields *t, const uint8_t *d, size_t opt_len, size_t len,
		       struct frame_view *v)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = VM_IP,
				 .dst_ip = GATEWAY, .src_port = 40000, .dst_port = 53};
	struct tcp_fields f = *t;
	size_t n;

	f.mss = 0;
	memcpy(st.frame + IPV4_TCP_PAYLOAD_OFFSET, d, opt_len + len);
	n = ipv4_tcp_frame(st.frame, opt_len + len, &ends, &f);
	st.frame[ETH_HDR_LEN + IPV4_HDR_LEN + 12] = (uint8_t)((TCP_MIN_HDR_LEN + opt_len) / 4 << 4);
	return frame_parse(v, st.frame, n) == DROP_NONE && v->l4 && v->ip_proto == IPPROTO_TCP_;
}

/* The connection takes a segment: a SYN opens a free one; rx grows only by in-order data. */
static void deliver(const struct frame_view *v)
{
	uint32_t rcv_before = st.c.rcv_nxt;
	size_t rx_before = st.c.rx_len;
	bool fin_before = st.c.peer_fin;
	uint32_t seq = be32(v->l4 + 4);
	uint8_t flags = v->l4[13];

	if (st.c.state == TCP_LITE_FREE) {
		if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
			return;
		st.written = 0;
		st.vm_seq = seq + 1;
		promise(tcp_lite_accept(&st.c, v, (uint32_t)(st.now * 2654435761u), OUR_MSS, &ops,
					NULL));
		return;
	}
	tcp_lite_input(&st.c, v, st.now);
	if (st.c.state == TCP_LITE_DONE)
		return;
	promise(st.c.rx_len <= TCP_LITE_RX && st.c.tx_len <= TCP_LITE_TX);
	if (st.c.rcv_nxt != rcv_before) {
		uint32_t took = st.c.rcv_nxt - rcv_before - (st.c.peer_fin && !fin_before);

		promise(seq == rcv_before);
		promise(took <= v->payload_len && st.c.rx_len == rx_before + took);
		promise(memcmp(st.c.rx + rx_before, v->payload, took) == 0);
	} else {
		promise(st.c.rx_len == rx_before);
	}
}

static void check_send_side(void)
{
	const struct tcp_lite *c = &st.c;

	if (c->state != TCP_LITE_OPEN && c->state != TCP_LITE_SYN_RCVD)
		return;
	promise((int32_t)(c->snd_nxt - c->snd_una) >= 0);
	/* what is sent is at most what was written, and a SYN and a FIN */
	promise((uint64_t)(uint32_t)(c->snd_nxt - c->iss) <= st.written + 2);
	/* the bytes not acknowledged yet are the last ones written */
	if (c->state == TCP_LITE_OPEN)
		promise((uint64_t)(uint32_t)(c->snd_una - c->iss - 1) + c->tx_len <=
			st.written + 1);
}

/* One command; returns how many bytes of the input it used. */
static size_t step(const uint8_t *d, size_t n)
{
	uint8_t cmd = d[0], arg = n > 1 ? d[1] : 0;
	struct tcp_fields t = {.seq = st.vm_seq, .ack = st.vm_ack, .flags = TCP_ACK,
			       .window = 65535};
	struct frame_view v;
	size_t used = 2, len, opt = 0;
	uint8_t buf[1500];

	if (n < 2)
		return n;
	switch (cmd % 9) {
	case 0: /* a SYN with the input's options (a multiple of 4 bytes) */
		opt = (size_t)(arg & 0x0f) * 4 > n - used ? 0 : (size_t)(arg & 0x0f) * 4;
		t = (struct tcp_fields){.seq = (uint32_t)(arg * 40503u), .flags = TCP_SYN,
					.window = (uint16_t)(arg * 257)};
		if (vm_segment(&t, d + used, opt, 0, &v))
			deliver(&v);
		return used + opt;
	case 1: /* in-order data from the VM, perhaps with its FIN */
		len = (size_t)arg * 7 % 1400;
		if (len > n - used)
			len = n - used;
		t.flags |= (arg & 1) ? TCP_FIN : TCP_PSH;
		if (vm_segment(&t, d + used, 0, len, &v))
			deliver(&v);
		st.vm_seq += (uint32_t)len + (arg & 1);
		return used + len;
	case 2: /* an ACK of what the VM got, its window from the input */
		t.window = (uint16_t)(arg << 6);
		if (vm_segment(&t, buf, 0, 0, &v))
			deliver(&v);
		return used;
	case 3: { /* anything: seq, ack, flags, window, options and data from the input */
		if (n < 12)
			return n;
		t = (struct tcp_fields){.seq = st.vm_seq + (uint32_t)(int16_t)be16(d + 2),
					.ack = (d[1] & 1) ? be32(d + 4) : st.vm_ack + d[4] - 128,
					.flags = d[8], .window = be16(d + 9)};
		opt = (size_t)(d[11] & 0x0f) * 4;
		len = (size_t)(d[11] >> 4) * 97;
		used = 12;
		if (opt > n - used)
			opt = 0;
		if (len > n - used - opt)
			len = n - used - opt;
		if (vm_segment(&t, d + used, opt, len, &v))
			deliver(&v);
		return used + opt + len;
	}
	case 4: /* the owner reads */
		if (st.c.state == TCP_LITE_OPEN || st.c.state == TCP_LITE_SYN_RCVD)
			tcp_lite_consume(&st.c, (size_t)arg * 37, st.now);
		return used;
	case 5: /* the owner writes */
		if (st.c.state == TCP_LITE_OPEN || st.c.state == TCP_LITE_SYN_RCVD) {
			size_t want = (size_t)arg * 131 + 1, took;

			if (want > sizeof(buf))
				want = sizeof(buf);
			for (size_t k = 0; k < want; k++)
				buf[k] = owner_byte(st.written + k);
			promise(tcp_lite_tx_room(&st.c) <= TCP_LITE_TX);
			st.written += want; /* (before: emit checks against it) */
			took = tcp_lite_write(&st.c, buf, want, st.now);
			promise(took <= want);
			st.written -= want - took;
		}
		return used;
	case 6: /* the owner closes, or resets */
		if (st.c.state == TCP_LITE_OPEN || st.c.state == TCP_LITE_SYN_RCVD) {
			if (arg & 1)
				tcp_lite_reset(&st.c);
			else
				tcp_lite_close(&st.c, st.now);
		}
		return used;
	case 7: /* time passes; the timer */
		st.now += (uint64_t)arg * 50;
		if (st.c.state != TCP_LITE_FREE)
			tcp_lite_tick(&st.c, st.now);
		return used;
	default: /* the owner lets a finished connection go */
		if (st.c.state != TCP_LITE_FREE && (tcp_lite_finished(&st.c) || (arg & 1)))
			tcp_lite_free(&st.c);
		return used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&st, 0, sizeof(st));
	st.now = 1000;
	while (size) {
		size_t used = step(data, size);

		if (used > size)
			used = size;
		data += used;
		size -= used;
		check_send_side();
	}
	if (st.c.state != TCP_LITE_FREE)
		tcp_lite_free(&st.c);
	return 0;
}
