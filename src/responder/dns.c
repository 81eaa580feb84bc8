// SPDX-License-Identifier: MIT
/* dns.c — the VM's DNS, answered on the frame path: its queries to the gateway, relayed upstream */
#include "responder/dns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "proto/byteorder.h"
#include "proto/dns_msg.h"
#include "proto/ip_frame.h"
#include "responder/tcp_lite.h"

/*
 * UDP queries of this VM waiting for an answer. A glibc stub has at most two out per lookup
 * (A and AAAA); 64 covers a VM resolving 30 names at the same moment. Beyond that a query is
 * dropped (dns-busy) and the VM's stub retries; only this VM's queries are at stake.
 */
#define DNS_PENDING_MAX 64
/*
 * How long one upstream may take before the query goes to the next one (or is given up). A
 * cached answer takes under a millisecond from a local stub, a recursive miss rarely a
 * second; glibc waits 5 s per try, so a 2 s retry still answers within the VM's first try.
 */
#define DNS_TRY_TIMEOUT_MS 2000
/* Queries kept for a retry on the next server; real queries are under 300 bytes. */
#define DNS_QUERY_SAVE_MAX 512
/* DNS-over-TCP connections of this VM: TCP is the fallback for truncated answers. */
#define DNS_TCP_MAX 8
/* RFC 7766 6.2.3 suggests idle timeouts of seconds; 10 s keeps a stub's connection reuse. */
#define DNS_TCP_IDLE_MS 10000
/* The largest UDP answer read from upstream: what a datagram can carry. */
#define DNS_UDP_MAX 65535

struct dns_server;

/**
 * struct dns_query - one UDP query sent upstream, waiting for its answer
 * @h: its own upstream socket (-1: the slot is free)
 * @vm_ip: who asked (the VM's address), @vm_port its port
 * @gw_ip: the gateway's address it asked (answers come from it: IPv4's, or IPv6's global or
 *         link-local one)
 * @vm_id: the query's ID as the VM sent it (restored in the answer)
 * @up_id: the ID used upstream, random
 * @server: index of the upstream server asked
 * @deadline_ms: when to try the next server or give up
 * @question: what was asked: an answer must ask the same
 * @len: length of @msg, 0 when it was too long to keep for a retry
 */
struct dns_query {
	int h;
	struct inet_addr vm_ip, gw_ip;
	uint16_t vm_port;
	uint16_t vm_id, up_id;
	unsigned server;
	uint64_t deadline_ms;
	struct dns_question question;
	size_t len;
	uint8_t msg[DNS_QUERY_SAVE_MAX];
};

/**
 * struct dns_conn - a DNS-over-TCP connection from the VM, relayed to one upstream
 * @tcp: the VM's side, spoken in frames
 * @h: the upstream connection (-1 until the first byte needs it)
 * @up_connected: @h is connected (it was writable once)
 * @up_eof: the upstream said all it will
 * @up_shut: we told the upstream we will send no more (the VM half-closed)
 * @idle_ms: when an idle connection is closed
 * @answer: while answers are learned from: the answer being read from the upstream's stream (2-byte
 *          length, then the message), @answer_len long, @answer_have read; @len_have bytes
 *          of its length read into @len_bytes
 */
struct dns_conn {
	struct dns_server *owner;
	struct tcp_lite tcp;
	int h;
	bool up_connected, up_eof, up_shut;
	uint64_t idle_ms;
	uint8_t *answer;
	uint32_t answer_len, answer_have;
	uint8_t len_bytes[2];
	uint8_t len_have;
};

/**
 * struct dns_server - the DNS responder of one VM
 * @servers: the upstream resolvers, in order
 * @next_id: IDs when the system has no randomness yet: never one twice in a row (only when
 *           @random fails, early in boot)
 * @frame: where answers and segments for the VM are built
 */
struct dns_server {
	struct responder resp;
	const uint8_t *vm_mac;
	unsigned vm_mtu;
	const struct dns_config *cfg;
	struct dns_io *io;
	uint8_t gateway_mac[6];
	uint32_t gateway;
	struct inet_addr gateways[3]; /* what it answers as: IPv4's, IPv6's global and link-local */
	size_t gateway_count;
	struct inet_addr servers[MAX_DNS_SERVERS];
	unsigned server_count;
	struct dns_query queries[DNS_PENDING_MAX];
	struct dns_conn conns[DNS_TCP_MAX];
	uint16_t next_id;
	uint64_t armed_ms;
	uint8_t *frame;
	size_t frame_cap;
	uint8_t buf[DNS_UDP_MAX];
};

static uint64_t now_ms(const struct dns_server *s)
{
	return s->io->ops->now_ms(s->io);
}

/* Whoever the relay put in the env learns from answers (the name rules): is anyone there? */
static bool learning(const struct dns_server *s)
{
	return s->resp.env && s->resp.env->learn_answer;
}

/* An answer, whole, on its way to the VM: given to the env's learn_answer. */
static void learn(struct dns_server *s, const uint8_t *msg, size_t len)
{
	if (learning(s))
		s->resp.env->learn_answer(s->resp.env->ctx, msg, len);
}

static uint32_t random32(struct dns_server *s)
{
	uint32_t r;

	if (s->io->ops->random(s->io, &r))
		return r;
	return (uint32_t)s->next_id++ * 40503u; /* a permutation of the 16-bit IDs */
}

/* ---- to the VM -------------------------------------------------------------------------- */

static struct ip_ends ends_to_vm(const struct dns_server *s, const struct inet_addr *vm_ip,
				 const struct inet_addr *gw_ip, uint16_t vm_port)
{
	return (struct ip_ends){.src_mac = s->gateway_mac, .dst_mac = s->vm_mac, .src = *gw_ip,
				.dst = *vm_ip, .src_port = DNS_PORT, .dst_port = vm_port};
}

/*
 * The upstream's bytes on their way to the VM over TCP, read as messages for learn():
 * each a 2-byte length and that many bytes (RFC 1035 4.2.2). A message's buffer is taken
 * when its length is known and given back when it is whole.
 */
static void read_answers(struct dns_server *s, struct dns_conn *c, const uint8_t *data,
			 size_t n)
{
	while (n) {
		size_t take;

		if (c->len_have < 2) {
			c->len_bytes[c->len_have++] = *data++;
			n--;
			if (c->len_have == 2) {
				c->answer_len = be16(c->len_bytes);
				c->answer_have = 0;
				c->answer = c->answer_len ? malloc(c->answer_len) : NULL;
				if (!c->answer_len)
					c->len_have = 0;
			}
			continue;
		}
		take = c->answer_len - c->answer_have < n ? c->answer_len - c->answer_have : n;
		if (c->answer)
			memcpy(c->answer + c->answer_have, data, take);
		c->answer_have += (uint32_t)take;
		data += take;
		n -= take;
		if (c->answer_have == c->answer_len) {
			if (c->answer)
				learn(s, c->answer, c->answer_len);
			free(c->answer);
			c->answer = NULL;
			c->len_have = 0;
		}
	}
}

/*
 * An answer to the VM over UDP. One that does not fit in a frame of the VM's MTU is cut to
 * its header and question with TC set: the VM asks again over TCP (RFC 1035 4.2.1).
 */
static void answer_vm_udp(struct dns_server *s, const struct inet_addr *vm_ip,
			  const struct inet_addr *gw_ip, uint16_t vm_port, const uint8_t *msg,
			  size_t len)
{
	struct ip_ends ends = ends_to_vm(s, vm_ip, gw_ip, vm_port);
	size_t room = s->frame_cap - 1 - ip_udp_payload_offset(&ends);
	uint8_t *payload = s->frame + ip_udp_payload_offset(&ends);

	if (len > room) {
		struct dns_reader r;
		struct dns_question q;

		if (!dns_reader_init(&r, msg, len) || !dns_next_question(&r, &q) || r.off > room)
			return;
		memcpy(payload, msg, r.off);
		put_be16(payload + 2, be16(payload + 2) | DNS_FLAG_TC);
		put_be16(payload + 4, 1);
		memset(payload + 6, 0, 6); /* no answer, authority or additional records */
		len = r.off;
	} else {
		memcpy(payload, msg, len);
	}
	s->resp.env->send_to_vm(s->resp.env->ctx, s->frame, ip_udp_frame(s->frame, len, &ends));
}

/* No resolver to ask: SERVFAIL at once rather than let the VM wait. */
static void answer_servfail(struct dns_server *s, const struct frame_view *v, size_t question_end)
{
	uint8_t msg[DNS_QUERY_SAVE_MAX];

	if (question_end > sizeof(msg))
		return;
	memcpy(msg, v->payload, question_end);
	put_be16(msg + 2, (uint16_t)((be16(msg + 2) & 0x7900) | DNS_FLAG_QR | 0x0080 |
				     DNS_RCODE_SERVFAIL)); /* QR, opcode and RD kept, RA */
	put_be16(msg + 4, 1);
	memset(msg + 6, 0, 6);
	answer_vm_udp(s, &v->ip_src, &v->ip_dst, v->src_port, msg, question_end);
}

/* ---- the timer: the earliest of every deadline --------------------------------------------- */

static void rearm(struct dns_server *s)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		if (s->queries[i].h >= 0 && (!next || s->queries[i].deadline_ms < next))
			next = s->queries[i].deadline_ms;
	for (unsigned i = 0; i < DNS_TCP_MAX; i++) {
		const struct dns_conn *c = &s->conns[i];

		if (c->tcp.state == TCP_LITE_FREE)
			continue;
		if (!next || c->idle_ms < next)
			next = c->idle_ms;
		if (c->tcp.rto_at && c->tcp.rto_at < next)
			next = c->tcp.rto_at;
	}
	if (next != s->armed_ms) {
		s->armed_ms = next;
		s->io->ops->arm(s->io, next);
	}
}

/* ---- UDP ------------------------------------------------------------------------------------- */

static void query_free(struct dns_server *s, struct dns_query *q)
{
	if (q->h >= 0)
		s->io->ops->close(s->io, q->h);
	q->h = -1;
}

/* Send @q to its server on a socket of its own. Return: false when no socket could be had. */
static bool query_send(struct dns_server *s, struct dns_query *q, const uint8_t *msg, size_t len)
{
	int h = s->io->ops->udp_open(s->io, &s->servers[q->server]);

	if (h < 0) {
		log_debug("dns: no socket for the upstream: %s", strerror(-h));
		return false;
	}
	q->h = h;
	q->deadline_ms = now_ms(s) + DNS_TRY_TIMEOUT_MS;
	if (s->io->ops->send(s->io, h, msg, len) < 0)
		log_debug("dns: upstream %u refused the query", q->server);
	s->io->ops->watch(s->io, h, LOOP_IN);
	return true;
}

static enum drop_reason on_udp_query(struct dns_server *s, const struct frame_view *v)
{
	struct dns_query *q = NULL;
	struct dns_reader r;
	struct dns_question question;
	uint8_t *msg;

	if (!dns_reader_init(&r, v->payload, v->payload_len) || (r.hdr.flags & DNS_FLAG_QR) ||
	    r.hdr.qdcount != 1 || !dns_next_question(&r, &question))
		return DROP_DNS_MALFORMED;
	if (!s->server_count) {
		answer_servfail(s, v, r.off);
		return DROP_NONE;
	}
	for (unsigned i = 0; i < DNS_PENDING_MAX && !q; i++)
		if (s->queries[i].h < 0)
			q = &s->queries[i];
	if (!q)
		return DROP_DNS_BUSY;
	*q = (struct dns_query){.h = -1, .vm_ip = v->ip_src, .gw_ip = v->ip_dst,
				.vm_port = v->src_port,
				.vm_id = r.hdr.id, .question = question};
	q->up_id = (uint16_t)random32(s);
	/* the query as it goes upstream: the VM's, with our ID; kept for the next server */
	msg = v->payload_len <= sizeof(q->msg) ? q->msg : s->buf;
	memcpy(msg, v->payload, v->payload_len);
	put_be16(msg, q->up_id);
	if (msg == q->msg)
		q->len = v->payload_len;
	if (!query_send(s, q, msg, v->payload_len))
		return DROP_DNS_BUSY;
	rearm(s);
	return DROP_NONE;
}

/* An answer on @q's socket: relayed if it is the answer to @q, else ignored. */
static void on_udp_answer(struct dns_server *s, struct dns_query *q)
{
	for (int n = 0; n < 8; n++) { /* a few forged or stray datagrams do not hold it up */
		long len = s->io->ops->recv(s->io, q->h, s->buf, sizeof(s->buf));
		struct dns_reader r;
		struct dns_question question;

		if (len <= 0)
			return;
		if (!dns_reader_init(&r, s->buf, (size_t)len) || !(r.hdr.flags & DNS_FLAG_QR) ||
		    r.hdr.id != q->up_id)
			continue;
		/* the same question; a server that answers an error without it may say so */
		if (r.hdr.qdcount ? !dns_next_question(&r, &question) ||
					    !dns_question_equal(&question, &q->question)
				  : DNS_RCODE(r.hdr.flags) == 0)
			continue;
		put_be16(s->buf, q->vm_id);
		learn(s, s->buf, (size_t)len);
		answer_vm_udp(s, &q->vm_ip, &q->gw_ip, q->vm_port, s->buf, (size_t)len);
		query_free(s, q);
		rearm(s);
		return;
	}
}

static void expire_queries(struct dns_server *s, uint64_t now)
{
	for (unsigned i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_query *q = &s->queries[i];

		if (q->h < 0 || q->deadline_ms > now)
			continue;
		s->io->ops->close(s->io, q->h);
		q->h = -1;
		/* the next server, if the query was kept; else the VM's stub will ask again */
		if (q->len && q->server + 1 < s->server_count) {
			q->server++;
			query_send(s, q, q->msg, q->len);
		}
	}
}

/* ---- TCP ------------------------------------------------------------------------------------- */

static void emit_segment(void *ctx, struct tcp_lite *t, const struct tcp_fields *f,
			 const uint8_t *data, size_t len)
{
	struct dns_server *s = ctx;
	struct ip_ends ends = ends_to_vm(s, &t->peer_ip, &t->local_ip, t->peer_port);

	if (ip_tcp_payload_offset(&ends) + len > s->frame_cap)
		return;
	if (len) /* a segment without data (SYN-ACK, ACK, FIN) may come with no @data at all */
		memcpy(s->frame + ip_tcp_payload_offset(&ends), data, len);
	s->resp.env->send_to_vm(s->resp.env->ctx, s->frame, ip_tcp_frame(s->frame, len, &ends, f));
}

static const struct tcp_lite_ops tcp_ops = {.emit = emit_segment};

static void conn_free(struct dns_server *s, struct dns_conn *c)
{
	if (c->h >= 0)
		s->io->ops->close(s->io, c->h);
	tcp_lite_free(&c->tcp);
	c->h = -1;
	free(c->answer);
	c->answer = NULL;
	c->len_have = 0;
}

static struct dns_conn *conn_find(struct dns_server *s, const struct frame_view *v)
{
	for (unsigned i = 0; i < DNS_TCP_MAX; i++) {
		struct dns_conn *c = &s->conns[i];

		if (c->tcp.state != TCP_LITE_FREE && inet_equal(&c->tcp.peer_ip, &v->ip_src) &&
		    c->tcp.peer_port == v->src_port && inet_equal(&c->tcp.local_ip, &v->ip_dst))
			return c;
	}
	return NULL;
}

static void refuse(struct dns_server *s, const struct frame_view *v)
{
	struct tcp_fields rst;
	struct ip_ends ends = ends_to_vm(s, &v->ip_src, &v->ip_dst, v->src_port);

	if (tcp_lite_refuse(v, &rst))
		s->resp.env->send_to_vm(s->resp.env->ctx, s->frame,
					ip_tcp_frame(s->frame, 0, &ends, &rst));
}

/*
 * pump() - move what can move, both ways, and wind the connection down when both sides are
 * done: the VM's bytes to the upstream (connecting it at the first byte), the upstream's to
 * the VM as its window and our buffer allow, the VM's half-close passed on only after every
 * byte it sent, and our FIN only after every byte of the answer (a client that shuts its
 * side down after its query still gets the whole answer).
 */
static void pump(struct dns_server *s, struct dns_conn *c)
{
	struct tcp_lite *t = &c->tcp;
	uint64_t now = now_ms(s);
	uint32_t want = 0;

	if (t->state == TCP_LITE_OPEN && c->h < 0 && (t->rx_len || t->peer_fin)) {
		c->h = s->io->ops->tcp_open(s->io, &s->servers[0]);
		if (c->h < 0) {
			tcp_lite_reset(t);
			return;
		}
	}
	if (c->h >= 0 && c->up_connected && t->rx_len) {
		long n = s->io->ops->send(s->io, c->h, t->rx, t->rx_len);

		if (n > 0)
			tcp_lite_consume(t, (size_t)n, now);
		else if (n < 0 && n != -EAGAIN)
			c->up_eof = true;
	}
	if (c->h >= 0 && c->up_connected && t->peer_fin && !t->rx_len && !c->up_shut) {
		s->io->ops->shutdown_write(s->io, c->h);
		c->up_shut = true;
	}
	while (c->h >= 0 && c->up_connected && !c->up_eof && tcp_lite_tx_room(t)) {
		size_t room = tcp_lite_tx_room(t);
		long n = s->io->ops->recv(s->io, c->h, s->buf, room < sizeof(s->buf) ? room : sizeof(s->buf));

		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			c->up_eof = true;
			break;
		}
		tcp_lite_write(t, s->buf, (size_t)n, now);
		if (learning(s))
			read_answers(s, c, s->buf, (size_t)n);
	}
	if (c->up_eof && !t->fin_wanted)
		tcp_lite_close(t, now);
	if (c->h >= 0) {
		if (!c->up_connected || (t->rx_len && !c->up_shut))
			want |= LOOP_OUT;
		if (c->up_connected && !c->up_eof && tcp_lite_tx_room(t))
			want |= LOOP_IN;
		s->io->ops->watch(s->io, c->h, want);
	}
}

/* After anything happened on @c: the idle deadline, and the end of a finished connection. */
static void conn_settle(struct dns_server *s, struct dns_conn *c)
{
	if (c->tcp.state == TCP_LITE_DONE || tcp_lite_finished(&c->tcp)) {
		conn_free(s, c);
		return;
	}
	c->idle_ms = now_ms(s) + DNS_TCP_IDLE_MS;
}

static enum drop_reason on_tcp_segment(struct dns_server *s, const struct frame_view *v)
{
	struct dns_conn *c = conn_find(s, v);
	uint8_t flags = v->l4[13];

	if (!c && (flags & TCP_SYN) && !(flags & (TCP_ACK | TCP_RST))) {
		for (unsigned i = 0; i < DNS_TCP_MAX && !c; i++)
			if (s->conns[i].tcp.state == TCP_LITE_FREE)
				c = &s->conns[i];
		if (!c) {
			refuse(s, v);
			return DROP_DNS_BUSY;
		}
		*c = (struct dns_conn){.owner = s, .h = -1};
		if (!tcp_lite_accept(&c->tcp, v, random32(s),
				     (uint16_t)(s->vm_mtu - (v->ip6 ? IPV6_HDR_LEN : IPV4_HDR_LEN) -
						TCP_MIN_HDR_LEN),
				     &tcp_ops, s))
			return DROP_DNS_BUSY;
	} else if (!c) {
		refuse(s, v); /* no such connection (any more): as a closed port would */
		return DROP_NONE;
	} else {
		tcp_lite_input(&c->tcp, v, now_ms(s));
		pump(s, c);
	}
	conn_settle(s, c);
	rearm(s);
	return DROP_NONE;
}

/* ---- events ------------------------------------------------------------------------------ */

static void on_event(void *ctx, int h, uint32_t events)
{
	struct dns_server *s = ctx;

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		if (s->queries[i].h == h) {
			on_udp_answer(s, &s->queries[i]);
			return;
		}
	for (unsigned i = 0; i < DNS_TCP_MAX; i++) {
		struct dns_conn *c = &s->conns[i];

		if (c->tcp.state == TCP_LITE_FREE || c->h != h)
			continue;
		if ((events & LOOP_ERR) && !c->up_connected) {
			log_debug("dns: tcp upstream: the connection failed");
			tcp_lite_reset(&c->tcp);
		} else {
			if (events & LOOP_OUT)
				c->up_connected = true;
			if (events & LOOP_ERR)
				c->up_eof = true; /* reset by the upstream: what it sent is all */
			pump(s, c);
		}
		conn_settle(s, c);
		rearm(s);
		return;
	}
}

static void on_timer(void *ctx)
{
	struct dns_server *s = ctx;
	uint64_t now = now_ms(s);

	s->armed_ms = 0;
	expire_queries(s, now);
	for (unsigned i = 0; i < DNS_TCP_MAX; i++) {
		struct dns_conn *c = &s->conns[i];

		if (c->tcp.state == TCP_LITE_FREE)
			continue;
		if (c->idle_ms <= now) {
			tcp_lite_reset(&c->tcp);
			conn_free(s, c);
			continue;
		}
		tcp_lite_tick(&c->tcp, now);
		if (c->tcp.state == TCP_LITE_DONE)
			conn_free(s, c);
	}
	rearm(s);
}

/* ---- the responder -------------------------------------------------------------------------- */

static enum drop_reason dns_handle(struct responder *r, const struct frame_view *v)
{
	struct dns_server *s = container_of(r, struct dns_server, resp);

	if (!v->payload)
		return DROP_DNS_MALFORMED;
	return v->ip_proto == IPPROTO_UDP_ ? on_udp_query(s, v) : on_tcp_segment(s, v);
}

static void dns_close(struct responder *r)
{
	struct dns_server *s = container_of(r, struct dns_server, resp);

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		query_free(s, &s->queries[i]);
	for (unsigned i = 0; i < DNS_TCP_MAX; i++)
		if (s->conns[i].tcp.state != TCP_LITE_FREE)
			conn_free(s, &s->conns[i]);
	s->io->ops->arm(s->io, 0);
	free(s->frame);
	free(s);
}

/* Whether @a is one of @list's @n addresses. */
static bool listed(const struct inet_addr *a, const struct inet_addr *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (inet_equal(a, &list[i]))
			return true;
	return false;
}

size_t dns_resolv_conf_servers(const char *path, const struct inet_addr *skip, size_t skip_count,
			       struct inet_addr *out, size_t max)
{
	FILE *f = fopen(path, "re");
	char line[256];
	size_t n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char word[16], value[64];
		struct inet_addr addr;

		/*
		 * "nameserver ADDR" of either family; a link-local one with its scope
		 * (fe80::1%eth0) says nothing that reaches it from here, and is left out
		 */
		if (sscanf(line, " %15s %63s", word, value) == 2 &&
		    strcmp(word, "nameserver") == 0 && inet_parse(value, &addr) &&
		    !inet_is_unspecified(&addr) && !listed(&addr, skip, skip_count))
			out[n++] = addr;
	}
	fclose(f);
	return n;
}

/* --dns, or the host's resolvers; never the gateway itself (that would loop). */
static void find_servers(struct dns_server *s, const char *resolv_conf)
{
	struct inet_addr found[MAX_DNS_SERVERS];
	size_t n = 0;

	if (s->cfg->count) {
		for (size_t i = 0; i < s->cfg->count; i++)
			found[n++] = s->cfg->servers[i];
	} else {
		n = dns_resolv_conf_servers(resolv_conf, s->gateways, s->gateway_count, found,
					    MAX_DNS_SERVERS);
	}
	for (size_t i = 0; i < n; i++)
		if (!listed(&found[i], s->gateways, s->gateway_count) &&
		    !inet_is_unspecified(&found[i]))
			s->servers[s->server_count++] = found[i];
}

struct responder *dns_new(const struct dns_setup *setup, char *err, size_t err_size)
{
	struct dns_server *s = calloc(1, sizeof(*s));
	char gw[IPV4_TEXT_LEN], list[MAX_DNS_SERVERS * INET_TEXT_LEN + 8] = "";

	if (!s) {
		snprintf(err, err_size, "dns: out of memory");
		return NULL;
	}
	s->resp = (struct responder){.name = "dns", .handle = dns_handle, .close = dns_close};
	s->cfg = setup->dns;
	s->vm_mac = setup->vm->mac;
	s->vm_mtu = setup->vm->mtu;
	s->io = setup->io;
	s->gateway = inet_v4(&setup->net4->gateway);
	s->gateways[s->gateway_count++] = setup->net4->gateway;
	if (setup->net6 && setup->net6->enabled) {
		s->gateways[s->gateway_count++] = setup->net6->gateway;
		s->gateways[s->gateway_count++] = setup->net6->gateway_ll;
	}
	memcpy(s->gateway_mac, setup->gateway_mac, 6);
	/* a whole frame of the VM's MTU, and the byte the relay's buffers have too */
	s->frame_cap = (size_t)s->vm_mtu + ETH_HDR_LEN + 1;
	s->frame = malloc(s->frame_cap);
	if (!s->frame) {
		snprintf(err, err_size, "dns: out of memory");
		free(s);
		return NULL;
	}
	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		s->queries[i].h = -1;
	for (unsigned i = 0; i < DNS_TCP_MAX; i++)
		s->conns[i].h = -1;
	s->io->on_event = on_event;
	s->io->on_timer = on_timer;
	s->io->ctx = s;
	find_servers(s, setup->resolv_conf ? setup->resolv_conf : "/etc/resolv.conf");
	for (unsigned i = 0; i < s->server_count; i++) {
		char a[INET_TEXT_LEN];

		inet_format(&s->servers[i], a);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "", a);
	}
	ipv4_format(s->gateway, gw);
	if (!s->server_count)
		log_warn("dns: no resolver in --dns or /etc/resolv.conf: the VM's queries get "
			 "SERVFAIL");
	log_info("dns ready listen=%s:53 upstream=%s", gw, s->server_count ? list : "none");
	return &s->resp;
}
