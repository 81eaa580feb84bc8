// SPDX-License-Identifier: MIT
/* dns_proxy.c — DNS for the VM: the gateway's port 53 forwarded to the host's resolvers */
#include "backend/linux/dns_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "os/random.h"
#include "proto/addr.h"
#include "proto/byteorder.h"
#include "proto/dns_msg.h"
#include "proto/wire.h"

#define RESOLV_CONF "/etc/resolv.conf"

/*
 * UDP queries waiting for an upstream answer, per instance. A glibc stub sends at most
 * two queries at once per lookup (A and AAAA); 256 covers a VM resolving over a hundred
 * names at the same moment. Beyond that a query is dropped and the VM's stub retries.
 */
#define DNS_PENDING_MAX 256
/*
 * How long one upstream may take before the query goes to the next one (or is given
 * up). A cached answer takes under a millisecond from a local stub, a recursive miss
 * rarely a second; glibc's resolver waits 5 s per try, so a 2 s retry still answers
 * within the VM's first try.
 */
#define DNS_TRY_TIMEOUT_MS 2000
/* Queries kept for a retry on the next server; real queries are under 300 bytes. */
#define DNS_QUERY_SAVE_MAX 512
/* Datagrams read per wakeup, so one busy client cannot hold the loop for long. */
#define DNS_UDP_BATCH 32
/* Concurrent TCP connections per instance: TCP is the rare fallback for truncated answers. */
#define DNS_TCP_MAX 16
/* RFC 7766 6.2.3 suggests idle timeouts of seconds; 10 s keeps a stub's connection reuse. */
#define DNS_TCP_IDLE_MS 10000
/* Bytes buffered per direction of a TCP connection; the relay streams, so any size works. */
#define DNS_TCP_BUF 4096

struct dns_proxy;

/**
 * struct dns_pending - one UDP query sent upstream, waiting for its answer
 * @used: the slot is taken
 * @client: who asked
 * @client_id: the query's ID as the client sent it (restored in the answer)
 * @upstream_id: the ID used upstream, random and unique among pending queries
 * @server: index of the upstream server asked last
 * @deadline_ms: when to try the next server or give up (CLOCK_MONOTONIC)
 * @query_len: length of @query, 0 when it was too long to keep
 * @query: the query as sent upstream, for a retry
 */
struct dns_pending {
	bool used;
	struct sockaddr_in client;
	uint16_t client_id, upstream_id;
	unsigned server;
	uint64_t deadline_ms;
	size_t query_len;
	uint8_t query[DNS_QUERY_SAVE_MAX];
};

/**
 * struct dns_tcp_conn - a client's TCP connection spliced to an upstream one
 *
 * DNS over TCP frames each message with a 2-byte length, the same on both sides, so the
 * bytes are relayed as they are: IDs, framing and pipelining are the two ends' business.
 */
struct dns_tcp_conn {
	struct dns_proxy *proxy;
	bool used;
	int client_fd, upstream_fd;
	struct loop_source client_src, upstream_src;
	uint32_t client_events, upstream_events;
	bool connecting;                 /* upstream connect() in progress */
	bool client_eof, upstream_eof;   /* no more bytes from that side */
	bool client_shut, upstream_shut; /* we shut down writing to that side */
	bool upstream_parked;            /* out of the loop: hung up, answer not yet delivered */
	size_t to_upstream_len, to_client_len;
	uint64_t deadline_ms;
	uint8_t to_upstream[DNS_TCP_BUF], to_client[DNS_TCP_BUF];
};

struct dns_proxy {
	const struct config *cfg;
	struct loop *loop;
	struct sockaddr_in servers[MAX_DNS_SERVERS];
	unsigned server_count;
	int udp_fd, tcp_fd, upstream_fd;
	struct loop_source udp_src, tcp_src, upstream_src;
	struct loop_timer timer; /* armed only while something waits */
	uint32_t gateway, subnet, subnet_mask; /* host order */
	struct dns_pending pending[DNS_PENDING_MAX];
	struct dns_tcp_conn tcp[DNS_TCP_MAX];
	uint8_t buf[65536]; /* one datagram, the largest UDP can carry */
};

/* ---- timer: armed only while something waits ------------------------------------------ */

static void rearm_timer(struct dns_proxy *p)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		if (p->pending[i].used && (!next || p->pending[i].deadline_ms < next))
			next = p->pending[i].deadline_ms;
	for (unsigned i = 0; i < DNS_TCP_MAX; i++)
		if (p->tcp[i].used && (!next || p->tcp[i].deadline_ms < next))
			next = p->tcp[i].deadline_ms;
	if (!next)
		loop_timer_disarm(p->loop, &p->timer);
	else if (next != p->timer.deadline_ms)
		loop_timer_arm(p->loop, &p->timer, next);
}

/* ---- UDP --------------------------------------------------------------------------------- */

static bool upstream_id_in_use(const struct dns_proxy *p, uint16_t id)
{
	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		if (p->pending[i].used && p->pending[i].upstream_id == id)
			return true;
	return false;
}

static uint16_t new_upstream_id(const struct dns_proxy *p)
{
	uint16_t id = 0;

	/* random IDs make forged answers hard to match (RFC 5452); a few tries find a free one */
	for (int tries = 0; tries < 16; tries++) {
		if (os_random(&id, sizeof(id)) < 0)
			id = (uint16_t)(clock_mono_ms() * 2654435761u >> 7);
		if (!upstream_id_in_use(p, id))
			break;
	}
	return id;
}

static void send_upstream(struct dns_proxy *p, struct dns_pending *q, const uint8_t *msg,
			  size_t len)
{
	if (sendto(p->upstream_fd, msg, len, MSG_DONTWAIT,
		   (const struct sockaddr *)&p->servers[q->server],
		   sizeof(p->servers[q->server])) < 0)
		log_debug("dns: upstream %s: %s", inet_ntoa(p->servers[q->server].sin_addr),
			  strerror(errno));
	q->deadline_ms = clock_mono_ms() + DNS_TRY_TIMEOUT_MS;
}

/* No upstream at all: answer SERVFAIL at once rather than let the VM wait. */
static void answer_servfail(struct dns_proxy *p, uint8_t *msg, size_t len,
			    const struct sockaddr_in *client)
{
	msg[2] = (uint8_t)(0x80 | (msg[2] & 0x79)); /* QR, keep opcode and RD */
	msg[3] = 0x80 | 2;                          /* RA, RCODE=SERVFAIL */
	sendto(p->udp_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)client, sizeof(*client));
}

/*
 * Only the VMs' subnet is served: the socket is bound to an address of the host, and a
 * resolver that answers anyone who can route to it is an open resolver (an amplifier).
 */
static bool client_allowed(const struct dns_proxy *p, const struct sockaddr_in *client)
{
	return client->sin_family == AF_INET &&
	       (ntohl(client->sin_addr.s_addr) & p->subnet_mask) == p->subnet;
}

static void on_query(struct dns_proxy *p, uint8_t *msg, size_t len,
		     const struct sockaddr_in *client)
{
	struct dns_pending *q = NULL;

	if (len < DNS_HEADER_LEN || (msg[2] & 0x80) || !client_allowed(p, client))
		return; /* too short, an answer (nothing to forward), or not from the VMs' subnet */
	if (p->server_count == 0) {
		answer_servfail(p, msg, len, client);
		return;
	}
	for (unsigned i = 0; i < DNS_PENDING_MAX && !q; i++)
		if (!p->pending[i].used)
			q = &p->pending[i];
	if (!q) {
		log_debug("dns: %d queries pending, one dropped", DNS_PENDING_MAX);
		return;
	}
	*q = (struct dns_pending){.used = true, .client = *client};
	q->client_id = be16(msg);
	q->upstream_id = new_upstream_id(p);
	put_be16(msg, q->upstream_id);
	if (len <= sizeof(q->query)) {
		memcpy(q->query, msg, len);
		q->query_len = len;
	}
	send_upstream(p, q, msg, len);
}

static void on_udp(struct loop_source *src, uint32_t events)
{
	struct dns_proxy *p = container_of(src, struct dns_proxy, udp_src);

	(void)events;
	for (int n = 0; n < DNS_UDP_BATCH; n++) {
		struct sockaddr_in client;
		socklen_t alen = sizeof(client);
		ssize_t len = recvfrom(p->udp_fd, p->buf, sizeof(p->buf), MSG_DONTWAIT,
				       (struct sockaddr *)&client, &alen);

		if (len < 0)
			break;
		on_query(p, p->buf, (size_t)len, &client);
	}
	rearm_timer(p);
}

static void on_upstream_answer(struct loop_source *src, uint32_t events)
{
	struct dns_proxy *p = container_of(src, struct dns_proxy, upstream_src);

	(void)events;
	for (int n = 0; n < DNS_UDP_BATCH; n++) {
		struct sockaddr_in from;
		socklen_t alen = sizeof(from);
		ssize_t len = recvfrom(p->upstream_fd, p->buf, sizeof(p->buf), MSG_DONTWAIT,
				       (struct sockaddr *)&from, &alen);
		uint16_t id;

		if (len < 0)
			break;
		if (len < DNS_HEADER_LEN)
			continue;
		id = be16(p->buf);
		for (unsigned i = 0; i < DNS_PENDING_MAX; i++) {
			struct dns_pending *q = &p->pending[i];
			const struct sockaddr_in *asked = &p->servers[q->server];

			/* only the server asked, from port 53, with the ID it was given */
			if (!q->used || q->upstream_id != id ||
			    from.sin_addr.s_addr != asked->sin_addr.s_addr ||
			    from.sin_port != asked->sin_port)
				continue;
			put_be16(p->buf, q->client_id);
			sendto(p->udp_fd, p->buf, (size_t)len, MSG_DONTWAIT,
			       (const struct sockaddr *)&q->client, sizeof(q->client));
			q->used = false;
			break;
		}
	}
	rearm_timer(p);
}

/* ---- TCP --------------------------------------------------------------------------------- */

static void tcp_close(struct dns_tcp_conn *c)
{
	struct dns_proxy *p = c->proxy;

	if (c->client_fd >= 0) {
		loop_remove(p->loop, &c->client_src);
		close(c->client_fd);
	}
	if (c->upstream_fd >= 0) {
		if (!c->upstream_parked)
			loop_remove(p->loop, &c->upstream_src);
		close(c->upstream_fd);
	}
	c->used = false;
	c->client_fd = c->upstream_fd = -1;
}

static void tcp_update_events(struct dns_tcp_conn *c)
{
	struct dns_proxy *p = c->proxy;
	uint32_t cl = 0, up = 0;

	if (!c->client_eof && c->to_upstream_len < DNS_TCP_BUF)
		cl |= LOOP_IN;
	if (c->to_client_len)
		cl |= LOOP_OUT;
	if (c->connecting || c->to_upstream_len)
		up |= LOOP_OUT;
	if (!c->connecting && !c->upstream_eof && c->to_client_len < DNS_TCP_BUF)
		up |= LOOP_IN;
	if (cl != c->client_events && loop_modify(p->loop, &c->client_src, cl) == 0)
		c->client_events = cl;
	if (c->upstream_parked) {
		if (!(up & LOOP_IN) || loop_add(p->loop, &c->upstream_src, up) < 0)
			return;
		c->upstream_parked = false;
		c->upstream_events = up;
	} else if (up != c->upstream_events && loop_modify(p->loop, &c->upstream_src, up) == 0) {
		c->upstream_events = up;
	}
}

/* Move bytes from @fd into @buf (which holds *@len). Return: false on error. */
static bool tcp_fill(int fd, uint8_t *buf, size_t *len, bool *eof)
{
	ssize_t n = read(fd, buf + *len, DNS_TCP_BUF - *len);

	if (n == 0)
		*eof = true;
	else if (n > 0)
		*len += (size_t)n;
	else if (errno != EAGAIN && errno != EINTR)
		return false;
	return true;
}

/* Write what @buf holds to @fd. Return: false on error. */
static bool tcp_drain(int fd, uint8_t *buf, size_t *len)
{
	ssize_t n = send(fd, buf, *len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	memmove(buf, buf + n, *len - (size_t)n);
	*len -= (size_t)n;
	return true;
}

/* One side said all it had and the other has it all: pass the end of stream on. */
static void tcp_pass_eof(struct dns_tcp_conn *c)
{
	if (c->client_eof && !c->to_upstream_len && !c->upstream_shut && !c->connecting) {
		shutdown(c->upstream_fd, SHUT_WR);
		c->upstream_shut = true;
	}
	if (c->upstream_eof && !c->to_client_len && !c->client_shut) {
		shutdown(c->client_fd, SHUT_WR);
		c->client_shut = true;
	}
}

static void tcp_event(struct dns_tcp_conn *c, bool from_client, uint32_t events)
{
	struct dns_proxy *p = c->proxy;
	bool ok = true;

	if (!from_client && c->connecting && (events & (LOOP_OUT | LOOP_ERR | LOOP_HUP))) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->upstream_fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			log_debug("dns: tcp upstream %s: %s",
				  inet_ntoa(p->servers[0].sin_addr), strerror(err));
			tcp_close(c);
			rearm_timer(p);
			return;
		}
		c->connecting = false;
	}
	if (from_client) {
		if (events & LOOP_IN)
			ok = tcp_fill(c->client_fd, c->to_upstream, &c->to_upstream_len,
				      &c->client_eof);
		if (ok && (events & LOOP_OUT))
			ok = tcp_drain(c->client_fd, c->to_client, &c->to_client_len);
		/* the client's end is shut both ways (or reset): nothing more can reach it */
		if (events & (LOOP_ERR | LOOP_HUP))
			ok = false;
	} else if (!c->connecting) {
		if (events & LOOP_IN)
			ok = tcp_fill(c->upstream_fd, c->to_client, &c->to_client_len,
				      &c->upstream_eof);
		if (ok && (events & LOOP_OUT))
			ok = tcp_drain(c->upstream_fd, c->to_upstream, &c->to_upstream_len);
		if (events & LOOP_ERR)
			ok = false;
	}
	/* bytes that just arrived may be sent on at once */
	if (ok && c->to_upstream_len && !c->connecting)
		ok = tcp_drain(c->upstream_fd, c->to_upstream, &c->to_upstream_len);
	if (ok && c->to_client_len)
		ok = tcp_drain(c->client_fd, c->to_client, &c->to_client_len);
	if (ok)
		tcp_pass_eof(c);
	/* done once the upstream has said all it will and the client has all of it */
	if (!ok || (c->upstream_eof && !c->to_client_len)) {
		tcp_close(c);
		rearm_timer(p);
		return;
	}
	c->deadline_ms = clock_mono_ms() + DNS_TCP_IDLE_MS;
	tcp_update_events(c);
	/*
	 * A hung-up upstream keeps reporting LOOP_HUP whatever we ask for: while we are not
	 * reading it (its answer waits for the client), take it out of the loop.
	 */
	if (!from_client && (events & LOOP_HUP) && !(c->upstream_events & LOOP_IN) &&
	    !c->upstream_parked) {
		loop_remove(p->loop, &c->upstream_src);
		c->upstream_parked = true;
	}
	rearm_timer(p);
}

static void on_tcp_client(struct loop_source *src, uint32_t events)
{
	tcp_event(container_of(src, struct dns_tcp_conn, client_src), true, events);
}

static void on_tcp_upstream(struct loop_source *src, uint32_t events)
{
	tcp_event(container_of(src, struct dns_tcp_conn, upstream_src), false, events);
}

static void on_tcp_accept(struct loop_source *src, uint32_t events)
{
	struct dns_proxy *p = container_of(src, struct dns_proxy, tcp_src);
	struct dns_tcp_conn *c = NULL;
	struct sockaddr_in client;
	socklen_t alen = sizeof(client);
	int fd, up;

	(void)events;
	fd = accept4(p->tcp_fd, (struct sockaddr *)&client, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!client_allowed(p, &client)) {
		close(fd);
		return;
	}
	for (unsigned i = 0; i < DNS_TCP_MAX && !c; i++)
		if (!p->tcp[i].used)
			c = &p->tcp[i];
	if (!c || p->server_count == 0) {
		log_debug("dns: tcp connection refused: %s",
			  c ? "no upstream server" : "too many connections");
		close(fd);
		return;
	}
	up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0 ||
	    (connect(up, (const struct sockaddr *)&p->servers[0], sizeof(p->servers[0])) < 0 &&
	     errno != EINPROGRESS)) {
		log_debug("dns: tcp upstream %s: %s", inet_ntoa(p->servers[0].sin_addr),
			  strerror(errno));
		if (up >= 0)
			close(up);
		close(fd);
		return;
	}
	*c = (struct dns_tcp_conn){
		.proxy = p,
		.used = true,
		.client_fd = fd,
		.upstream_fd = up,
		.client_src = {.fd = fd, .on_event = on_tcp_client},
		.upstream_src = {.fd = up, .on_event = on_tcp_upstream},
		.client_events = LOOP_IN,
		.upstream_events = LOOP_OUT,
		.connecting = true,
		.deadline_ms = clock_mono_ms() + DNS_TCP_IDLE_MS,
	};
	if (loop_add(p->loop, &c->client_src, LOOP_IN) < 0) {
		close(fd);
		close(up);
		c->used = false;
		return;
	}
	if (loop_add(p->loop, &c->upstream_src, LOOP_OUT) < 0) {
		c->upstream_fd = -1;
		close(up);
		tcp_close(c);
		return;
	}
	rearm_timer(p);
}

/* ---- timeouts ------------------------------------------------------------------------------ */

static void on_timer(struct loop_timer *t)
{
	struct dns_proxy *p = container_of(t, struct dns_proxy, timer);
	uint64_t now = clock_mono_ms();

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_pending *q = &p->pending[i];

		if (!q->used || q->deadline_ms > now)
			continue;
		if (q->query_len && q->server + 1 < p->server_count) {
			q->server++;
			send_upstream(p, q, q->query, q->query_len);
		} else {
			q->used = false; /* every server tried: the VM's stub will ask again */
		}
	}
	for (unsigned i = 0; i < DNS_TCP_MAX; i++)
		if (p->tcp[i].used && p->tcp[i].deadline_ms <= now)
			tcp_close(&p->tcp[i]);
	rearm_timer(p);
}

/* ---- setup -------------------------------------------------------------------------------- */

static void add_server(struct dns_proxy *p, uint32_t addr)
{
	if (p->server_count == MAX_DNS_SERVERS || addr == p->gateway || addr == 0)
		return; /* the gateway is us: forwarding to it would loop */
	p->servers[p->server_count++] = (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons(DNS_PORT),
		.sin_addr.s_addr = htonl(addr),
	};
}

size_t dns_resolv_conf_servers(const char *path, uint32_t skip, uint32_t *out, size_t max)
{
	FILE *f = fopen(path, "re");
	char line[256];
	size_t n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char word[16], value[64];
		uint32_t addr;

		/* "nameserver ADDR"; IPv6 servers and anything unparsable are left out */
		if (sscanf(line, " %15s %63s", word, value) == 2 &&
		    strcmp(word, "nameserver") == 0 && ipv4_parse(value, &addr) && addr != skip &&
		    addr != 0)
			out[n++] = addr;
	}
	fclose(f);
	return n;
}

static int bound_socket(int type, uint32_t addr, char *why, size_t why_size)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(DNS_PORT),
		.sin_addr.s_addr = htonl(addr),
	};
	int one = 1, fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(why, why_size, "%s", strerror(errno));
		return -1;
	}
	/* every instance on the bridge binds the same gateway:53; any of them may answer */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, DNS_TCP_MAX) < 0)) {
		snprintf(why, why_size, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int watch(struct dns_proxy *p, struct loop_source *src, int fd,
		 void (*on_event)(struct loop_source *, uint32_t))
{
	*src = (struct loop_source){.fd = fd, .on_event = on_event};
	return loop_add(p->loop, src, LOOP_IN);
}

/* Stop watching (if it was watched) and close a descriptor of the proxy's own. */
static void unwatch(struct dns_proxy *p, struct loop_source *src, int fd)
{
	if (fd < 0)
		return;
	if (src->on_event)
		loop_remove(p->loop, src);
	close(fd);
}

struct dns_proxy *dns_proxy_new(const struct config *cfg, struct loop *loop, char *err,
				size_t err_size)
{
	struct dns_proxy *p = calloc(1, sizeof(*p));
	char gw[IPV4_TEXT_LEN], why[128], list[MAX_DNS_SERVERS * IPV4_TEXT_LEN + 8] = "";

	if (!p) {
		snprintf(err, err_size, "dns: out of memory");
		return NULL;
	}
	p->cfg = cfg;
	p->loop = loop;
	p->gateway = inet_v4(&cfg->net4.gateway);
	p->subnet = inet_v4(&cfg->net4.subnet.addr);
	p->subnet_mask = cfg->net4.mask;
	p->timer.on_expire = on_timer;
	p->udp_fd = p->tcp_fd = p->upstream_fd = -1;
	for (unsigned i = 0; i < DNS_TCP_MAX; i++)
		p->tcp[i].client_fd = p->tcp[i].upstream_fd = -1;
	for (size_t i = 0; i < cfg->dns.count; i++)
		if (inet_is_v4(&cfg->dns.servers[i]))
			add_server(p, inet_v4(&cfg->dns.servers[i]));
	if (cfg->dns.count == 0) {
		uint32_t found[MAX_DNS_SERVERS];
		size_t n =
			dns_resolv_conf_servers(RESOLV_CONF, p->gateway, found, MAX_DNS_SERVERS);

		for (size_t i = 0; i < n; i++)
			add_server(p, found[i]);
	}
	for (unsigned i = 0; i < p->server_count; i++) {
		char a[IPV4_TEXT_LEN];

		ipv4_format(ntohl(p->servers[i].sin_addr.s_addr), a);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "", a);
	}
	if (p->server_count == 0)
		log_warn("dns: no IPv4 resolver in --dns or %s: the VM's queries get SERVFAIL",
			 RESOLV_CONF);

	ipv4_format(p->gateway, gw);
	p->udp_fd = bound_socket(SOCK_DGRAM, p->gateway, why, sizeof(why));
	if (p->udp_fd >= 0)
		p->tcp_fd = bound_socket(SOCK_STREAM, p->gateway, why, sizeof(why));
	if (p->tcp_fd < 0) {
		/* something else holds port 53 without SO_REUSEPORT: it answers the VMs, not us */
		log_warn("dns: cannot serve %s:53 (%s): the VM's queries go to whatever holds it",
			 gw, why);
		if (p->udp_fd >= 0)
			close(p->udp_fd);
		p->udp_fd = -1;
		return p;
	}
	p->upstream_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->upstream_fd < 0 || watch(p, &p->udp_src, p->udp_fd, on_udp) < 0 ||
	    watch(p, &p->tcp_src, p->tcp_fd, on_tcp_accept) < 0 ||
	    watch(p, &p->upstream_src, p->upstream_fd, on_upstream_answer) < 0) {
		snprintf(err, err_size, "dns: cannot set up: %s", strerror(errno));
		dns_proxy_free(p);
		return NULL;
	}
	log_info("dns ready listen=%s:53 upstream=%s", gw, p->server_count ? list : "none");
	return p;
}

void dns_proxy_free(struct dns_proxy *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < DNS_TCP_MAX; i++)
		if (p->tcp[i].used)
			tcp_close(&p->tcp[i]);
	unwatch(p, &p->udp_src, p->udp_fd);
	unwatch(p, &p->tcp_src, p->tcp_fd);
	unwatch(p, &p->upstream_src, p->upstream_fd);
	loop_timer_disarm(p->loop, &p->timer);
	free(p);
}
