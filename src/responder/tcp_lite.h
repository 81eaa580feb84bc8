/* SPDX-License-Identifier: MIT */
/* tcp_lite.h — the server side of one TCP connection, spoken in frames: for sock-vmnet's own services */
#ifndef SVM_RESPONDER_TCP_LITE_H
#define SVM_RESPONDER_TCP_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"
#include "proto/ip_frame.h"

/*
 * A service that sock-vmnet answers itself on the frame path (DNS over TCP to the gateway)
 * needs the server half of TCP and no more: one connection accepted from a SYN, in-order
 * data only (a segment out of order is dropped and the last ACK repeated, so the peer
 * retransmits), go-back-N retransmission on a timer, no window scaling, no SACK, no
 * timestamps, no TIME_WAIT. The peer is the VM, one hop away on the same host.
 *
 * Buffers: TCP_LITE_RX of received bytes the service has not consumed (also the window we
 * advertise) and TCP_LITE_TX of bytes to send, unacknowledged ones included. A DNS query
 * is at most a few hundred bytes; an answer larger than TCP_LITE_TX waits in the service's
 * upstream socket until the VM acknowledges what was sent.
 */
#define TCP_LITE_RX 4096
#define TCP_LITE_TX 16384

/*
 * Retransmission: the first retransmit after 200 ms (Linux's TCP_RTO_MIN: the VM is one
 * hop away, its real RTT is microseconds), doubling; after 6 the connection is reset
 * (200 ms * (2^6 - 1) = 12.6 s).
 */
#define TCP_LITE_RTO_MS 200
#define TCP_LITE_RETRIES 6

enum tcp_lite_state {
	TCP_LITE_FREE,     /* no connection */
	TCP_LITE_SYN_RCVD, /* SYN answered, waiting for the ACK of ours */
	TCP_LITE_OPEN,     /* data may flow (either side may have sent its FIN) */
	TCP_LITE_DONE,     /* finished or reset: the owner frees it */
};

struct tcp_lite;

/**
 * struct tcp_lite_ops - what a connection needs of its owner
 * @emit: send one segment to the peer: @tcp's fields, @len bytes of @data
 */
struct tcp_lite_ops {
	void (*emit)(void *ctx, struct tcp_lite *c, const struct tcp_fields *tcp,
		     const uint8_t *data, size_t len);
};

/**
 * struct tcp_lite - one connection
 * @state: see enum tcp_lite_state
 * @peer_ip: the peer's address (either family); @peer_port its port
 * @local_ip: ours, as the peer addressed it (the gateway's IPv4 or one of its IPv6 ones)
 * @iss: our initial sequence number
 * @snd_una: the oldest byte not acknowledged; @snd_nxt the next to send
 * @snd_wnd: the peer's window (bytes from @snd_una it takes)
 * @mss: the largest segment the peer takes (its MSS option, at most ours)
 * @rcv_nxt: the next byte expected from the peer
 * @peer_fin: the peer sent its FIN (and it was in order)
 * @fin_wanted: the owner closed: a FIN follows the last byte of @tx
 * @fin_sent: our FIN went out (it takes sequence number @snd_nxt - 1 when sent)
 * @rx: bytes received in order, not consumed yet
 * @tx: bytes from @snd_una on: sent but unacknowledged, then not yet sent
 * @rto_at: when to retransmit (0: nothing in flight)
 */
struct tcp_lite {
	enum tcp_lite_state state;
	struct inet_addr peer_ip;
	uint16_t peer_port;
	struct inet_addr local_ip;
	uint32_t iss, snd_una, snd_nxt;
	uint32_t snd_wnd;
	uint16_t mss;
	uint32_t rcv_nxt;
	bool peer_fin, fin_wanted, fin_sent;
	uint8_t *rx;
	size_t rx_len;
	uint8_t *tx;
	size_t tx_len;
	uint64_t rto_at;
	unsigned rto_ms, retries;
	const struct tcp_lite_ops *ops;
	void *ctx;
};

/**
 * tcp_lite_accept() - take a connection from the peer's SYN
 * @c: a free connection
 * @v: the SYN (a parsed TCP segment from the peer, SYN without ACK)
 * @iss: our initial sequence number (random)
 * @our_mss: the largest segment we take (the VM's MTU less 40, less 60 in IPv6)
 * @ops: how segments go out; @ctx for them
 *
 * Answers SYN-ACK. Return: false when the buffers cannot be had (nothing sent).
 */
bool tcp_lite_accept(struct tcp_lite *c, const struct frame_view *v, uint32_t iss,
		     uint16_t our_mss, const struct tcp_lite_ops *ops, void *ctx);

/**
 * tcp_lite_input() - a segment from the peer on this connection
 * @now_ms: monotonic time (the retransmission timer)
 *
 * An RST ends the connection (TCP_LITE_DONE). Acknowledged bytes leave @tx; in-order data
 * is appended to @rx (as much as fits: the rest is retransmitted by the peer); a FIN in
 * order sets @peer_fin. Whatever the peer's ACK and window now allow is sent.
 */
void tcp_lite_input(struct tcp_lite *c, const struct frame_view *v, uint64_t now_ms);

/** tcp_lite_consume() - the owner used the first @n bytes of @rx; the window opens */
void tcp_lite_consume(struct tcp_lite *c, size_t n, uint64_t now_ms);

/**
 * tcp_lite_write() - queue bytes for the peer
 * Return: how many were taken (fewer than @len when @tx is full: try again later).
 */
size_t tcp_lite_write(struct tcp_lite *c, const uint8_t *data, size_t len, uint64_t now_ms);

/** tcp_lite_tx_room() - how many bytes tcp_lite_write() takes now */
size_t tcp_lite_tx_room(const struct tcp_lite *c);

/** tcp_lite_close() - a FIN follows the queued bytes */
void tcp_lite_close(struct tcp_lite *c, uint64_t now_ms);

/** tcp_lite_reset() - send RST and end the connection at once */
void tcp_lite_reset(struct tcp_lite *c);

/** tcp_lite_tick() - retransmit what is due; after TCP_LITE_RETRIES, reset */
void tcp_lite_tick(struct tcp_lite *c, uint64_t now_ms);

/** tcp_lite_free() - release the buffers; the connection is TCP_LITE_FREE again */
void tcp_lite_free(struct tcp_lite *c);

/** tcp_lite_finished() - both FINs are through (ours acknowledged): nothing left to do */
bool tcp_lite_finished(const struct tcp_lite *c);

/**
 * tcp_lite_refuse() - the RST that answers a segment belonging to no connection (RFC 9293
 * 3.10.7.1): its fields, for the owner to emit
 * Return: false when the segment is itself an RST (never answered).
 */
bool tcp_lite_refuse(const struct frame_view *v, struct tcp_fields *rst);

#endif
