// SPDX-License-Identifier: MIT
/* fuzz_vm_stream.c — libFuzzer target: the VM's length-framed stream, against a reference framing */
/*
 * Input: one byte that picks the MTU, then the bytes a hypervisor sends on a stream socket
 * (4-byte big-endian length, frame, ...), which the target writes in pieces whose sizes
 * come from the input too, calling the port's recv between the pieces.
 * Checks, beyond "no crash, no sanitizer report": the frames received are exactly those a
 * plain reading of the stream finds, in order, byte for byte, up to the first bad length
 * (0 or over MTU + 14) or the end; after a bad length the port says the peer is gone
 * (-EPIPE) and delivers nothing more.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/frame_port.h"
#include "core/log.h"
#include "core/stats.h"
#include "proto/byteorder.h"
#include "transport/vm_transport.h"
#include "fuzz_promise.h"

#define BATCH 4

/**
 * struct reference - the stream read plainly, frame by frame
 * @stream: every byte the hypervisor sends
 * @len: how many of them it has sent so far
 * @pos: where the next frame's header starts
 * @max_frame: MTU + 14, the longest valid length
 */
struct reference {
	const uint8_t *stream;
	size_t len, pos;
	size_t max_frame;
};

/* Whether the header at @pos is all there and its length is 0 or too large. */
static bool reference_bad(const struct reference *ref)
{
	uint32_t n;

	if (ref->len - ref->pos < 4)
		return false;
	n = be32(ref->stream + ref->pos);
	return n == 0 || n > ref->max_frame;
}

/* The next complete frame of what was sent; false when there is none (yet). */
static bool reference_next(struct reference *ref, const uint8_t **frame, uint32_t *len)
{
	uint32_t n;

	if (ref->len - ref->pos < 4 || reference_bad(ref))
		return false;
	n = be32(ref->stream + ref->pos);
	if (ref->len - ref->pos - 4 < n)
		return false;
	*frame = ref->stream + ref->pos + 4;
	*len = n;
	ref->pos += 4 + n;
	return true;
}

/*
 * Receive what the port has and compare it with the reference, frame by frame.
 * Return: true when the port said the peer is gone (-EPIPE).
 */
static bool drain(struct frame_port *p, struct frame_batch *b, struct reference *ref)
{
	for (;;) {
		int n = p->recv(p, b);

		for (unsigned i = 0; i < b->count; i++) {
			const uint8_t *want;
			uint32_t want_len;

			promise(reference_next(ref, &want, &want_len));
			promise(b->len[i] == want_len && memcmp(b->data[i], want, want_len) == 0);
		}
		if (n < 0) {
			promise(n == -EPIPE);
			return true;
		}
		if (b->count < b->cap)
			return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned mtus[] = {576, 1500, 9000, 65521};
	struct stats stats = {0};
	struct vm_config cfg = {.transport = VM_FD_STREAM};
	struct frame_batch b;
	struct frame_port *p;
	struct reference ref;
	uint8_t *stream;
	size_t stream_len = 0;
	char err[200];
	int sv[2];
	bool gone = false;

	if (size < 2)
		return 0;
	log_set_quiet(true);
	cfg.mtu = mtus[data[0] & 3];
	/* the stream proper: every other input byte (from the second on) */
	stream = malloc(size);
	promise(stream);
	for (size_t i = 1; i < size; i += 2)
		stream[stream_len++] = data[i];
	ref = (struct reference){.stream = stream, .max_frame = cfg.mtu + ETH_HDR_LEN};
	promise(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	cfg.fd = sv[0];
	p = vm_stream_open(&cfg, err, sizeof(err));
	promise(p && frame_batch_init(&b, BATCH, cfg.mtu + ETH_HDR_LEN + 1) == 0);
	p->stats = &stats;
	/* the pieces: each size byte (the odd input bytes) writes 1..256 bytes of the stream */
	for (size_t k = 2; ref.len < stream_len && !gone; k += 2) {
		size_t piece = k < size ? (size_t)data[k] + 1 : stream_len - ref.len;

		if (piece > stream_len - ref.len)
			piece = stream_len - ref.len;
		/* refused only once the port has hung up after a bad length */
		if (send(sv[1], stream + ref.len, piece, MSG_NOSIGNAL) != (ssize_t)piece)
			promise(reference_bad(&ref));
		ref.len += piece;
		gone = drain(p, &b, &ref);
		/* frames before a bad length come first; the next call says the peer is gone */
		if (!gone && reference_bad(&ref))
			gone = drain(p, &b, &ref);
		promise(gone == reference_bad(&ref));
	}
	if (!gone) {
		shutdown(sv[1], SHUT_WR);
		promise(drain(p, &b, &ref)); /* end of stream: the VM is gone */
	}
	/* everything the reference reads was delivered, and nothing else */
	{
		const uint8_t *f;
		uint32_t l;

		promise(!reference_next(&ref, &f, &l));
	}
	frame_batch_free(&b);
	p->close(p);
	close(sv[1]);
	free(stream);
	return 0;
}
