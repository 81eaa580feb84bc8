// SPDX-License-Identifier: MIT
/* dns_io.c — the DNS responder's sockets to the resolvers, and its timer, in the event loop */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "os/random.h"
#include "os/socket.h"
#include "proto/wire.h"
#include "responder/dns.h"

/* Sockets at once: every waiting UDP query's and every TCP connection's, with room to spare. */
#define DNS_IO_MAX 128

/**
 * struct io_source - one socket of the responder's in the loop
 * @watched: the events the loop watches it for (0: not in the loop: a hung-up socket
 *           would report LOOP_HUP whatever is asked, so one nobody waits on leaves it)
 */
struct io_source {
	struct loop_source src;
	struct sockets_io *io;
	uint32_t watched;
};

struct sockets_io {
	struct dns_io io;
	struct loop *loop;
	struct loop_timer timer;
	struct io_source *sources[DNS_IO_MAX];
};

static struct sockets_io *of(struct dns_io *io)
{
	return container_of(io, struct sockets_io, io);
}

/* The table's place of socket @fd; @fd -1: a free place. */
static struct io_source **find(struct sockets_io *s, int fd)
{
	for (unsigned i = 0; i < DNS_IO_MAX; i++)
		if (fd < 0 ? !s->sources[i] : s->sources[i] && s->sources[i]->src.fd == fd)
			return &s->sources[i];
	return NULL;
}

static void on_ready(struct loop_source *src, uint32_t events)
{
	struct io_source *is = container_of(src, struct io_source, src);
	struct dns_io *io = &is->io->io;

	io->on_event(io->ctx, src->fd, events);
}

/* A socket connected (or connecting) to @server port 53, with a place in the table. */
static int open_socket(struct dns_io *io, const struct inet_addr *server, int type)
{
	struct sockets_io *s = of(io);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT),
				 .sin_addr.s_addr = htonl(inet_v4(server))};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(DNS_PORT)};
	bool v4 = inet_is_v4(server);
	struct io_source **slot = find(s, -1), *is;
	int fd;

	if (!slot)
		return -EMFILE;
	memcpy(&sa6.sin6_addr, server->b, 16);
	fd = os_socket(v4 ? AF_INET : AF_INET6, type, 0);
	if (fd < 0)
		return fd;
	if (connect(fd, v4 ? (struct sockaddr *)&sa : (struct sockaddr *)&sa6,
		    v4 ? sizeof(sa) : sizeof(sa6)) < 0 &&
	    errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	is = calloc(1, sizeof(*is));
	if (!is) {
		close(fd);
		return -ENOMEM;
	}
	*is = (struct io_source){.src = {.fd = fd, .on_event = on_ready}, .io = s};
	*slot = is;
	return fd;
}

static int udp_open(struct dns_io *io, const struct inet_addr *server)
{
	return open_socket(io, server, SOCK_DGRAM);
}

static int tcp_open(struct dns_io *io, const struct inet_addr *server)
{
	return open_socket(io, server, SOCK_STREAM);
}

static long io_send(struct dns_io *io, int h, const void *buf, size_t len)
{
	ssize_t n = send(h, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)io;
	return n < 0 ? -errno : n;
}

static long io_recv(struct dns_io *io, int h, void *buf, size_t len)
{
	ssize_t n = recv(h, buf, len, MSG_DONTWAIT);

	(void)io;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static void io_shutdown_write(struct dns_io *io, int h)
{
	(void)io;
	shutdown(h, SHUT_WR);
}

static void io_watch(struct dns_io *io, int h, uint32_t events)
{
	struct sockets_io *s = of(io);
	struct io_source **slot = find(s, h);
	struct io_source *is;

	if (!slot || (*slot)->watched == events)
		return;
	is = *slot;
	if (!events)
		loop_remove(s->loop, &is->src);
	else if ((is->watched ? loop_modify : loop_add)(s->loop, &is->src, events) < 0)
		return;
	is->watched = events;
}

static void io_close(struct dns_io *io, int h)
{
	struct sockets_io *s = of(io);
	struct io_source **slot = find(s, h);

	if (!slot)
		return;
	if ((*slot)->watched)
		loop_remove(s->loop, &(*slot)->src);
	close(h);
	free(*slot);
	*slot = NULL;
}

static void on_timer(struct loop_timer *t)
{
	struct sockets_io *s = container_of(t, struct sockets_io, timer);

	s->io.on_timer(s->io.ctx);
}

static void io_arm(struct dns_io *io, uint64_t deadline_ms)
{
	struct sockets_io *s = of(io);

	if (deadline_ms)
		loop_timer_arm(s->loop, &s->timer, deadline_ms);
	else
		loop_timer_disarm(s->loop, &s->timer);
}

static uint64_t io_now(struct dns_io *io)
{
	(void)io;
	return clock_mono_ms();
}

static bool io_random(struct dns_io *io, uint32_t *out)
{
	(void)io;
	return os_random(out, sizeof(*out)) == 0;
}

static const struct dns_io_ops sockets_ops = {
	.udp_open = udp_open,
	.tcp_open = tcp_open,
	.send = io_send,
	.recv = io_recv,
	.shutdown_write = io_shutdown_write,
	.watch = io_watch,
	.close = io_close,
	.arm = io_arm,
	.now_ms = io_now,
	.random = io_random,
};

struct dns_io *dns_io_sockets(struct loop *loop)
{
	struct sockets_io *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->io.ops = &sockets_ops;
	s->loop = loop;
	s->timer.on_expire = on_timer;
	return &s->io;
}

void dns_io_sockets_free(struct dns_io *io)
{
	struct sockets_io *s;

	if (!io)
		return;
	s = of(io);
	for (unsigned i = 0; i < DNS_IO_MAX; i++)
		if (s->sources[i])
			io_close(io, s->sources[i]->src.fd);
	loop_timer_disarm(s->loop, &s->timer);
	free(s);
}
