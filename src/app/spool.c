// SPDX-License-Identifier: MIT
/* spool.c — records handed from the loop to a writer thread, so the frame path never waits for a file */
#include "app/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/socket.h"

/*
 * The ring: a single producer (the loop) and a single consumer (the writer thread), each
 * owning one position. Positions only grow; a record is a header (its length) and its
 * bytes, 8-aligned. A record that would not fit before the ring's end leaves a pad there
 * and starts at the beginning.
 */
#define REC_HDR 8u
#define REC_PAD UINT32_MAX
#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

struct spool {
	uint8_t *ring;
	size_t size;
	_Atomic uint64_t head; /* written by the loop: where the next record goes */
	_Atomic uint64_t tail; /* written by the writer: the first record not yet taken */
	uint64_t reserved;     /* the loop's: the head the reserved record will move to */
	_Atomic int sleeping;  /* the writer waits on the pipe */
	_Atomic int stopping;
	_Atomic uint64_t lost, written;
	int wake[2]; /* the writer's doorbell: [0] polled by it, [1] written by the loop */
	struct spool_sink sink;
	pthread_t thread;
};

static void ring_write_hdr(struct spool *s, uint64_t pos, uint32_t len)
{
	memcpy(s->ring + (pos & (s->size - 1)), &len, sizeof(len));
}

void *spool_reserve(struct spool *s, uint32_t len)
{
	uint64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&s->tail, memory_order_acquire);
	size_t need = ALIGN8(REC_HDR + (size_t)len), off = head & (s->size - 1);
	size_t pad = off + need > s->size ? s->size - off : 0;

	if (need > s->size / 2 || head + pad + need - tail > s->size) {
		atomic_fetch_add_explicit(&s->lost, 1, memory_order_relaxed);
		return NULL;
	}
	if (pad) {
		ring_write_hdr(s, head, REC_PAD); /* published with the record, by spool_commit() */
		head += pad;
	}
	ring_write_hdr(s, head, len);
	s->reserved = head + need;
	return s->ring + (head & (s->size - 1)) + REC_HDR;
}

void spool_commit(struct spool *s)
{
	atomic_store_explicit(&s->head, s->reserved, memory_order_release);
}

void spool_kick(struct spool *s)
{
	if (atomic_load(&s->head) == atomic_load(&s->tail))
		return;
	if (atomic_exchange(&s->sleeping, 0)) {
		uint8_t one = 1;

		/* the pipe full means the writer has a wake-up waiting already */
		if (write(s->wake[1], &one, 1) < 0) {
		}
	}
}

uint64_t spool_lost(const struct spool *s)
{
	return atomic_load_explicit(&s->lost, memory_order_relaxed);
}

uint64_t spool_written(const struct spool *s)
{
	return atomic_load_explicit(&s->written, memory_order_relaxed);
}

/* Take every record committed so far. */
static void drain(struct spool *s)
{
	uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);

	while (tail != head) {
		size_t off = tail & (s->size - 1);
		uint32_t len;

		memcpy(&len, s->ring + off, sizeof(len));
		if (len == REC_PAD) {
			tail += s->size - off;
		} else {
			if (s->sink.write(s->sink.ctx, s->ring + off + REC_HDR, len))
				atomic_fetch_add_explicit(&s->written, 1, memory_order_relaxed);
			else
				atomic_fetch_add_explicit(&s->lost, 1, memory_order_relaxed);
			tail += ALIGN8(REC_HDR + (size_t)len);
		}
		atomic_store_explicit(&s->tail, tail, memory_order_release);
		if (tail == head)
			head = atomic_load_explicit(&s->head, memory_order_acquire);
	}
}

static void *writer(void *arg)
{
	struct spool *s = arg;

	for (;;) {
		struct pollfd p = {.fd = s->wake[0], .events = POLLIN};
		uint8_t buf[64];

		drain(s);
		if (s->sink.flush)
			s->sink.flush(s->sink.ctx);
		if (atomic_load(&s->stopping)) {
			drain(s); /* what came between the last drain and the stop */
			if (s->sink.flush)
				s->sink.flush(s->sink.ctx);
			return NULL;
		}
		atomic_store(&s->sleeping, 1);
		/* a record committed before the flag was seen: no kick will come for it */
		if (atomic_load(&s->head) != atomic_load(&s->tail) && atomic_exchange(&s->sleeping, 0))
			continue;
		while (poll(&p, 1, -1) < 0 && errno == EINTR) {
		}
		while (read(s->wake[0], buf, sizeof(buf)) > 0) {
		}
		atomic_store(&s->sleeping, 0);
	}
}

struct spool *spool_new(size_t ring_bytes, const struct spool_sink *sink, char *err,
			size_t err_size)
{
	struct spool *s = calloc(1, sizeof(*s));
	int r;

	if (!s || (ring_bytes & (ring_bytes - 1)) || !(s->ring = malloc(ring_bytes))) {
		snprintf(err, err_size, "out of memory");
		free(s);
		return NULL;
	}
	s->size = ring_bytes;
	s->sink = *sink;
	r = os_pipe(s->wake);
	if (r == 0 && (fcntl(s->wake[0], F_SETFL, O_NONBLOCK) < 0 ||
		       fcntl(s->wake[1], F_SETFL, O_NONBLOCK) < 0))
		r = -errno;
	if (r == 0)
		r = -pthread_create(&s->thread, NULL, writer, s);
	if (r < 0) {
		snprintf(err, err_size, "cannot start a writer thread: %s", strerror(-r));
		if (s->wake[0] > 0) {
			close(s->wake[0]);
			close(s->wake[1]);
		}
		free(s->ring);
		free(s);
		return NULL;
	}
	return s;
}

void spool_free(struct spool *s)
{
	uint8_t one = 1;

	if (!s)
		return;
	atomic_store(&s->stopping, 1);
	if (write(s->wake[1], &one, 1) < 0) {
		/* full: the writer has a wake-up waiting */
	}
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	free(s->ring);
	free(s);
}
