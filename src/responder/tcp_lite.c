// SPDX-License-Identifier: MIT
/* tcp_lite.c — the server side of one TCP connection, spoken in frames: for sock-vmnet's own services */
#include "responder/tcp_lite.h"

#include <stdlib.h>
#include <string.h>

#include "proto/byteorder.h"

#define TCP_DEFAULT_MSS 536 /* RFC 9293 3.7.1: what a peer without the option takes */
#define TCP_OPT_END 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2

/* Sequence-space comparisons (RFC 9293 3.4): modulo 2^32. */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/** struct segment - the fields of a segment from the peer */
struct segment {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	const uint8_t *data;
	size_t len;
};

static struct segment read_segment(const struct frame_view *v)
{
	const uint8_t *th = v->l4;

	return (struct segment){
		.seq = be32(th + 4),
		.ack = be32(th + 8),
		.flags = th[13],
		.window = be16(th + 14),
		.data = v->payload,
		.len = v->payload_len,
	};
}

/* The MSS option of a SYN (RFC 9293 3.7.1), or the default. */
static uint16_t peer_mss(const struct frame_view *v)
{
	const uint8_t *opt = v->l4 + TCP_MIN_HDR_LEN, *end = v->payload;

	while (opt < end && *opt != TCP_OPT_END) {
		if (*opt == TCP_OPT_NOP) {
			opt++;
			continue;
		}
		if (end - opt < 2 || opt[1] < 2 || opt[1] > end - opt)
			break;
		if (opt[0] == TCP_OPT_MSS && opt[1] == 4 && be16(opt + 2) > 0)
			return be16(opt + 2);
		opt += opt[1];
	}
	return TCP_DEFAULT_MSS;
}

static uint16_t rx_room(const struct tcp_lite *c)
{
	return (uint16_t)(TCP_LITE_RX - c->rx_len);
}

/* FIN sent and acknowledged: the sequence number after it has been acknowledged. */
static bool fin_acked(const struct tcp_lite *c)
{
	return c->fin_sent && c->snd_una == c->snd_nxt;
}

/* Bytes of @tx already sent (the FIN, when out, is a sequence number but no byte of @tx). */
static size_t sent_data(const struct tcp_lite *c)
{
	return (size_t)(c->snd_nxt - c->snd_una) - (c->fin_sent && !fin_acked(c) ? 1 : 0);
}

static void emit(struct tcp_lite *c, uint32_t seq, uint8_t flags, const uint8_t *data,
		 size_t len)
{
	struct tcp_fields f = {.seq = seq, .ack = c->rcv_nxt, .flags = flags,
			       .window = rx_room(c)};

	c->ops->emit(c->ctx, c, &f, data, len);
}

static void send_ack(struct tcp_lite *c)
{
	emit(c, c->snd_nxt, TCP_ACK, NULL, 0);
}

static void arm(struct tcp_lite *c, uint64_t now_ms)
{
	if (!c->rto_at)
		c->rto_at = now_ms + c->rto_ms;
}

/*
 * output() - send what the peer's window allows: data from @tx, then the FIN once the owner
 * closed and every byte went out. @probe: send one byte even into a closed window (the
 * retransmission timer's window probe).
 */
static void output(struct tcp_lite *c, uint64_t now_ms, bool probe)
{
	if (c->state != TCP_LITE_OPEN)
		return;
	for (;;) {
		size_t sent = sent_data(c), in_flight = c->snd_nxt - c->snd_una;
		size_t window = c->snd_wnd > in_flight ? c->snd_wnd - in_flight : 0;
		size_t seg = c->tx_len - sent;

		if (probe && !window && seg)
			window = 1;
		probe = false;
		if (seg > c->mss)
			seg = c->mss;
		if (seg > window)
			seg = window;
		if (seg) {
			bool last = sent + seg == c->tx_len;

			emit(c, c->snd_nxt, TCP_ACK | (last ? TCP_PSH : 0), c->tx + sent, seg);
			c->snd_nxt += (uint32_t)seg;
			arm(c, now_ms);
			continue;
		}
		if (c->fin_wanted && !c->fin_sent && sent == c->tx_len) {
			emit(c, c->snd_nxt, TCP_FIN | TCP_ACK, NULL, 0);
			c->snd_nxt++;
			c->fin_sent = true;
			arm(c, now_ms);
		}
		return;
	}
}

bool tcp_lite_accept(struct tcp_lite *c, const struct frame_view *v, uint32_t iss,
		     uint16_t our_mss, const struct tcp_lite_ops *ops, void *ctx)
{
	struct segment s = read_segment(v);
	uint16_t mss = peer_mss(v);

	*c = (struct tcp_lite){
		.peer_ip = v->ip_src,
		.peer_port = v->src_port,
		.local_ip = v->ip_dst,
		.iss = iss,
		.snd_una = iss,
		.snd_nxt = iss + 1, /* the SYN */
		.snd_wnd = s.window,
		.mss = mss < our_mss ? mss : our_mss,
		.rcv_nxt = s.seq + 1,
		.rto_ms = TCP_LITE_RTO_MS,
		.ops = ops,
		.ctx = ctx,
	};
	c->rx = malloc(TCP_LITE_RX);
	c->tx = malloc(TCP_LITE_TX);
	if (!c->rx || !c->tx) {
		tcp_lite_free(c);
		return false;
	}
	c->state = TCP_LITE_SYN_RCVD;
	c->ops->emit(c->ctx, c,
		     &(struct tcp_fields){.seq = iss, .ack = c->rcv_nxt, .flags = TCP_SYN | TCP_ACK,
					  .window = rx_room(c), .mss = our_mss},
		     NULL, 0);
	return true;
}

/* An acceptable ACK moves @snd_una on and frees what it covers. */
static void take_ack(struct tcp_lite *c, const struct segment *s, uint64_t now_ms)
{
	size_t data;

	if (!seq_lt(c->snd_una, s->ack) || !seq_le(s->ack, c->snd_nxt)) {
		if (s->ack == c->snd_una)
			c->snd_wnd = s->window; /* a window update */
		return;
	}
	data = (size_t)(s->ack - c->snd_una);
	if (c->fin_sent && s->ack == c->snd_nxt)
		data--; /* the FIN is no byte of @tx */
	if (data > c->tx_len)
		data = c->tx_len;
	memmove(c->tx, c->tx + data, c->tx_len - data);
	c->tx_len -= data;
	c->snd_una = s->ack;
	c->snd_wnd = s->window;
	c->retries = 0;
	c->rto_ms = TCP_LITE_RTO_MS;
	c->rto_at = c->snd_una == c->snd_nxt ? 0 : now_ms + c->rto_ms;
}

/* In-order data (and a FIN after it) into @rx; anything else gets the ACK it needs. */
static void take_data(struct tcp_lite *c, const struct segment *s)
{
	size_t take;

	if (!s->len && !(s->flags & TCP_FIN))
		return;
	if (s->seq != c->rcv_nxt || c->peer_fin) {
		send_ack(c); /* out of order or a retransmission: say where we are */
		return;
	}
	take = s->len < rx_room(c) ? s->len : rx_room(c);
	memcpy(c->rx + c->rx_len, s->data, take);
	c->rx_len += take;
	c->rcv_nxt += (uint32_t)take;
	if (take == s->len && (s->flags & TCP_FIN)) {
		c->peer_fin = true;
		c->rcv_nxt++;
	}
	send_ack(c);
}

void tcp_lite_input(struct tcp_lite *c, const struct frame_view *v, uint64_t now_ms)
{
	struct segment s = read_segment(v);

	if (c->state != TCP_LITE_SYN_RCVD && c->state != TCP_LITE_OPEN)
		return;
	if (s.flags & TCP_RST) {
		/* only an RST in the window ends the connection (RFC 5961 3.2, loosely) */
		if (seq_le(c->rcv_nxt, s.seq) && seq_lt(s.seq, c->rcv_nxt + TCP_LITE_RX))
			c->state = TCP_LITE_DONE;
		return;
	}
	if (s.flags & TCP_SYN) {
		/* the peer did not get our SYN-ACK: again; any other SYN gets our ACK */
		if (c->state == TCP_LITE_SYN_RCVD && s.seq + 1 == c->rcv_nxt)
			c->ops->emit(c->ctx, c,
				     &(struct tcp_fields){.seq = c->iss, .ack = c->rcv_nxt,
							  .flags = TCP_SYN | TCP_ACK,
							  .window = rx_room(c), .mss = c->mss},
				     NULL, 0);
		else
			send_ack(c);
		return;
	}
	if (!(s.flags & TCP_ACK))
		return;
	if (c->state == TCP_LITE_SYN_RCVD) {
		if (s.ack != c->iss + 1) {
			tcp_lite_reset(c);
			return;
		}
		c->state = TCP_LITE_OPEN;
		c->snd_una = s.ack;
		c->snd_wnd = s.window;
	} else {
		take_ack(c, &s, now_ms);
	}
	take_data(c, &s);
	output(c, now_ms, false);
}

void tcp_lite_consume(struct tcp_lite *c, size_t n, uint64_t now_ms)
{
	bool was_small = rx_room(c) < c->mss;

	if (n > c->rx_len)
		n = c->rx_len;
	memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= n;
	/* a window that had nearly closed opens: tell the peer, or it waits for a probe */
	if (c->state == TCP_LITE_OPEN && was_small && rx_room(c) >= c->mss)
		send_ack(c);
	output(c, now_ms, false);
}

size_t tcp_lite_tx_room(const struct tcp_lite *c)
{
	return c->fin_wanted ? 0 : TCP_LITE_TX - c->tx_len;
}

size_t tcp_lite_write(struct tcp_lite *c, const uint8_t *data, size_t len, uint64_t now_ms)
{
	size_t take = len < tcp_lite_tx_room(c) ? len : tcp_lite_tx_room(c);

	memcpy(c->tx + c->tx_len, data, take);
	c->tx_len += take;
	output(c, now_ms, false);
	return take;
}

void tcp_lite_close(struct tcp_lite *c, uint64_t now_ms)
{
	c->fin_wanted = true;
	output(c, now_ms, false);
}

void tcp_lite_reset(struct tcp_lite *c)
{
	if (c->state == TCP_LITE_SYN_RCVD || c->state == TCP_LITE_OPEN)
		emit(c, c->snd_nxt, TCP_RST | TCP_ACK, NULL, 0);
	c->state = TCP_LITE_DONE;
}

void tcp_lite_tick(struct tcp_lite *c, uint64_t now_ms)
{
	if (c->state != TCP_LITE_OPEN || !c->rto_at || now_ms < c->rto_at)
		return;
	if (c->retries >= TCP_LITE_RETRIES) {
		tcp_lite_reset(c);
		return;
	}
	c->retries++;
	c->rto_ms *= 2;
	c->rto_at = 0;
	/* go back to the oldest unacknowledged byte (and the FIN after the data, again) */
	if (c->fin_sent && !fin_acked(c))
		c->fin_sent = false;
	c->snd_nxt = c->snd_una;
	output(c, now_ms, true);
	if (c->snd_una != c->snd_nxt)
		arm(c, now_ms);
}

bool tcp_lite_finished(const struct tcp_lite *c)
{
	return c->state == TCP_LITE_DONE || (c->peer_fin && fin_acked(c));
}

void tcp_lite_free(struct tcp_lite *c)
{
	free(c->rx);
	free(c->tx);
	*c = (struct tcp_lite){.state = TCP_LITE_FREE};
}

bool tcp_lite_refuse(const struct frame_view *v, struct tcp_fields *rst)
{
	struct segment s = read_segment(v);

	if (s.flags & TCP_RST)
		return false;
	if (s.flags & TCP_ACK) {
		*rst = (struct tcp_fields){.seq = s.ack, .flags = TCP_RST};
	} else {
		uint32_t len = (uint32_t)s.len + !!(s.flags & TCP_SYN) + !!(s.flags & TCP_FIN);

		*rst = (struct tcp_fields){.ack = s.seq + len, .flags = TCP_RST | TCP_ACK};
	}
	return true;
}
