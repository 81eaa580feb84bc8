// SPDX-License-Identifier: MIT
/* fake_dns_io.c — resolvers and a clock played by a test: the DNS responder's io, in memory */
#include "fake_dns_io.h"

#include <errno.h>
#include <string.h>

static struct fake_dns_io *of(struct dns_io *io)
{
	return container_of(io, struct fake_dns_io, io);
}

static int open_socket(struct dns_io *io, const struct inet_addr *server, bool tcp)
{
	struct fake_dns_io *f = of(io);

	for (int h = 0; h < FAKE_HANDLES; h++) {
		if (f->s[h].open)
			continue;
		f->s[h] = (struct fake_socket){.open = true, .tcp = tcp, .connected = !tcp,
					       .server = *server};
		f->opened++;
		return h;
	}
	return -EMFILE;
}

static int udp_open(struct dns_io *io, const struct inet_addr *server)
{
	return open_socket(io, server, false);
}

static int tcp_open(struct dns_io *io, const struct inet_addr *server)
{
	return open_socket(io, server, true);
}

static long fake_send(struct dns_io *io, int h, const void *buf, size_t len)
{
	struct fake_socket *s = &of(io)->s[h];

	if (!s->connected)
		return -EAGAIN;
	if (s->shut)
		return -EPIPE;
	if (len > sizeof(s->sent) - s->sent_len)
		len = sizeof(s->sent) - s->sent_len;
	memcpy(s->sent + s->sent_len, buf, len);
	s->sent_len += len;
	return (long)len;
}

static long fake_recv(struct dns_io *io, int h, void *buf, size_t len)
{
	struct fake_socket *s = &of(io)->s[h];
	size_t n;

	if (!s->tcp) {
		if (!s->ndatagrams)
			return -EAGAIN;
		n = s->datagrams[0];
		memcpy(buf, s->inbox, n < len ? n : len);
		memmove(s->inbox, s->inbox + n, s->in_len - n);
		s->in_len -= n;
		memmove(s->datagrams, s->datagrams + 1, --s->ndatagrams * sizeof(s->datagrams[0]));
		return (long)(n < len ? n : len);
	}
	if (!s->in_len)
		return s->eof ? 0 : -EAGAIN;
	n = s->in_len < len ? s->in_len : len;
	memcpy(buf, s->inbox, n);
	memmove(s->inbox, s->inbox + n, s->in_len - n);
	s->in_len -= n;
	return (long)n;
}

static void fake_shutdown_write(struct dns_io *io, int h)
{
	of(io)->s[h].shut = true;
}

static void fake_watch(struct dns_io *io, int h, uint32_t events)
{
	of(io)->s[h].watched = events;
}

static void fake_close(struct dns_io *io, int h)
{
	of(io)->s[h].open = false;
}

static void fake_arm(struct dns_io *io, uint64_t deadline)
{
	of(io)->deadline = deadline;
}

static uint64_t fake_now(struct dns_io *io)
{
	return of(io)->now;
}

static bool fake_random(struct dns_io *io, uint32_t *out)
{
	struct fake_dns_io *f = of(io);

	if (f->random_fails)
		return false;
	f->seed = f->seed * 1664525u + 1013904223u;
	*out = f->seed;
	return true;
}

static const struct dns_io_ops fake_ops = {
	.udp_open = udp_open,
	.tcp_open = tcp_open,
	.send = fake_send,
	.recv = fake_recv,
	.shutdown_write = fake_shutdown_write,
	.watch = fake_watch,
	.close = fake_close,
	.arm = fake_arm,
	.now_ms = fake_now,
	.random = fake_random,
};

void fake_dns_io_init(struct fake_dns_io *f)
{
	memset(f, 0, sizeof(*f));
	f->io.ops = &fake_ops;
	f->now = 1000000;
	f->seed = 12345;
}

void fake_dns_answer(struct fake_dns_io *f, int h, const void *data, size_t len)
{
	struct fake_socket *s = &f->s[h];

	if (!s->open || len > sizeof(s->inbox) - s->in_len ||
	    (!s->tcp && s->ndatagrams == sizeof(s->datagrams) / sizeof(s->datagrams[0])))
		return;
	memcpy(s->inbox + s->in_len, data, len);
	s->in_len += len;
	if (!s->tcp)
		s->datagrams[s->ndatagrams++] = len;
	if (s->watched & LOOP_IN)
		f->io.on_event(f->io.ctx, h, LOOP_IN);
}

void fake_dns_close(struct fake_dns_io *f, int h)
{
	struct fake_socket *s = &f->s[h];

	if (!s->open || !s->tcp)
		return;
	s->eof = true;
	if (s->watched & LOOP_IN)
		f->io.on_event(f->io.ctx, h, LOOP_IN | LOOP_HUP);
}

void fake_dns_connected(struct fake_dns_io *f, int h)
{
	struct fake_socket *s = &f->s[h];

	if (!s->open || s->connected)
		return;
	s->connected = true;
	if (s->watched & LOOP_OUT)
		f->io.on_event(f->io.ctx, h, LOOP_OUT);
}

void fake_dns_advance(struct fake_dns_io *f, uint64_t ms)
{
	f->now += ms;
	if (f->deadline && f->deadline <= f->now) {
		f->deadline = 0;
		f->io.on_timer(f->io.ctx);
	}
}

int fake_dns_last(const struct fake_dns_io *f)
{
	int last = -1;

	for (int h = 0; h < FAKE_HANDLES; h++)
		if (f->s[h].open)
			last = h;
	return last;
}
