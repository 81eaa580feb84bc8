// SPDX-License-Identifier: MIT
/* test_vm_stream.c — unit tests of src/vm_stream.c: length framing over a unix stream socket */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/frame.h"
#include "core/stats.h"
#include "transport/vm_transport.h"

#define MTU 1500
#define MAX_FRAME (MTU + ETH_HDR_LEN)

struct fixture {
	int peer;                 /* the hypervisor's end */
	struct frame_port *port;  /* ours */
	struct frame_batch batch;
	struct stats stats;       /* what the port counts (the relay's in real use) */
	struct vm_config cfg;
	char dir[64];             /* --listen tests: a private directory */
	char path[108];
};

static int setup_batch(struct fixture *f, unsigned cap)
{
	return frame_batch_init(&f->batch, cap, MAX_FRAME + 1);
}

/* A SOCK_STREAM socketpair; our end goes to vm_stream_open() as --fd. */
static int setup_fd(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];
	char err[256] = "";

	if (!f || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	f->peer = sv[1];
	f->cfg = (struct vm_config){.transport = VM_FD_STREAM, .fd = sv[0], .mtu = MTU};
	f->port = vm_stream_open(&f->cfg, err, sizeof(err));
	if (!f->port || setup_batch(f, 8) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup_listen(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->peer = -1;
	strcpy(f->dir, "/tmp/svm-stream-XXXXXX");
	if (!mkdtemp(f->dir) || setup_batch(f, 8) < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/vm.sock", f->dir);
	f->cfg = (struct vm_config){.transport = VM_LISTEN_STREAM, .fd = -1, .path = f->path,
				    .mtu = MTU};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->port)
		f->port->close(f->port);
	if (f->peer >= 0)
		close(f->peer);
	frame_batch_free(&f->batch);
	if (f->dir[0]) {
		unlink(f->path);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* A frame whose bytes say which frame it is: @len bytes, seeded by @seq. */
static void fill_frame(uint8_t *buf, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 131 + i * 7);
}

static bool check_frame(const uint8_t *buf, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(seq * 131 + i * 7))
			return false;
	return true;
}

static uint32_t fixed_len; /* the benches: every frame this long */

static uint32_t frame_len(uint32_t seq)
{
	if (fixed_len)
		return fixed_len;
	return 1 + (seq * 397) % MAX_FRAME; /* 1 .. MAX_FRAME, varied */
}

/* Append header + frame @seq to @out; return the bytes written. */
static size_t put_framed(uint8_t *out, uint32_t len, uint32_t seq)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	fill_frame(out + 4, len, seq);
	return 4 + len;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		assert_true(r > 0);
		p += r;
		len -= (size_t)r;
	}
}

/* Read exactly @len bytes (blocking, bounded by a 5 s poll each). */
static void read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		assert_int_equal(poll(&pfd, 1, 5000), 1);
		r = read(fd, p, len);
		assert_true(r > 0);
		p += r;
		len -= (size_t)r;
	}
}

/*
 * Whether @fd turns readable within a second. A --listen port's descriptor is a set's
 * (loop_fd()): in the darwin-loop build a simulated kqueue, whose knotes a thread of its
 * own activates a moment after the peer wrote, where XNU would have at once.
 */
static bool readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 1000) == 1;
}

/* Whether @fd is not readable now. */
static bool quiet(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 0;
}

static void recv_one_frame(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4 + 64];

	assert_int_equal(f->port->recv(f->port, &f->batch), 0); /* nothing yet */
	write_all(f->peer, buf, put_framed(buf, 60, 1));
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_int_equal(f->batch.count, 1);
	assert_int_equal(f->batch.len[0], 60);
	assert_true(check_frame(f->batch.data[0], 60, 1));
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
}

/* Every split point: header and body arrive a byte at a time, one recv per byte. */
static void recv_byte_by_byte(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[3 * (4 + 100)];
	size_t len = 0;
	unsigned got = 0;

	for (uint32_t seq = 0; seq < 3; seq++)
		len += put_framed(buf + len, 98 + seq, seq);
	for (size_t i = 0; i < len; i++) {
		int n;

		write_all(f->peer, buf + i, 1);
		n = f->port->recv(f->port, &f->batch);
		assert_true(n >= 0 && n <= 1);
		if (n == 1) {
			assert_int_equal(f->batch.len[0], 98 + got);
			assert_true(check_frame(f->batch.data[0], 98 + got, got));
			got++;
		}
	}
	assert_int_equal(got, 3);
}

/*
 * More frames than a batch holds: each call delivers a full batch and the socket stays
 * readable for the rest (nothing complete is ever left behind in a read-ahead buffer).
 */
static void recv_more_than_a_batch(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[21 * (4 + 64)];
	size_t len = 0;
	uint32_t seq = 0;

	for (uint32_t i = 0; i < 21; i++)
		len += put_framed(buf + len, 60 + i % 4, i);
	write_all(f->peer, buf, len);
	for (int round = 0; round < 3; round++) {
		assert_true(readable(f->port->fd));
		assert_int_equal(f->port->recv(f->port, &f->batch), 8);
		for (unsigned i = 0; i < 8; i++, seq++) {
			assert_int_equal(f->batch.len[i], 60 + seq % 4);
			assert_true(check_frame(f->batch.data[i], 60 + seq % 4, seq));
		}
		if (seq == 16)
			break;
	}
	assert_true(readable(f->port->fd));
	assert_int_equal(f->port->recv(f->port, &f->batch), 5);
	assert_true(quiet(f->port->fd));
}

static void recv_largest_frame(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[4 + MAX_FRAME];

	write_all(f->peer, buf, put_framed(buf, MAX_FRAME, 9));
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_int_equal(f->batch.len[0], MAX_FRAME);
	assert_true(check_frame(f->batch.data[0], MAX_FRAME, 9));
}

/* A bad length: the frames before it are delivered, then the VM is gone for good. */
static void bad_length(struct fixture *f, uint32_t bad)
{
	uint8_t buf[2 * (4 + 64)];
	size_t len = put_framed(buf, 64, 1);
	char drain[64];

	buf[len] = (uint8_t)(bad >> 24);
	buf[len + 1] = (uint8_t)(bad >> 16);
	buf[len + 2] = (uint8_t)(bad >> 8);
	buf[len + 3] = (uint8_t)bad;
	write_all(f->peer, buf, len + 4);
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_true(check_frame(f->batch.data[0], 64, 1));
	assert_int_equal(f->port->recv(f->port, &f->batch), -EPIPE);
	assert_int_equal(f->port->recv(f->port, &f->batch), -EPIPE);
	/* the connection was shut down: the hypervisor sees EOF */
	fcntl(f->peer, F_SETFL, O_NONBLOCK);
	assert_int_equal(read(f->peer, drain, sizeof(drain)), 0);
}

static void recv_bad_length_zero(void **state)
{
	bad_length(*state, 0);
}

static void recv_bad_length_too_big(void **state)
{
	bad_length(*state, MAX_FRAME + 1);
}

static void recv_bad_length_huge(void **state)
{
	bad_length(*state, 0xffffffffu);
}

static void recv_eof(void **state)
{
	struct fixture *f = *state;

	shutdown(f->peer, SHUT_WR);
	assert_int_equal(f->port->recv(f->port, &f->batch), -EPIPE);
}

static void recv_eof_mid_frame(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4 + 64];

	write_all(f->peer, buf, put_framed(buf, 64, 1) - 10);
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	shutdown(f->peer, SHUT_WR);
	assert_int_equal(f->port->recv(f->port, &f->batch), -EPIPE);
}

/* Read @n framed frames from the hypervisor's end and check them. */
static void expect_framed(int fd, uint32_t first_seq, unsigned n)
{
	static uint8_t buf[MAX_FRAME];

	for (unsigned i = 0; i < n; i++) {
		uint8_t hdr[4];
		uint32_t len, seq = first_seq + i;

		read_all(fd, hdr, 4);
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		assert_int_equal(len, frame_len(seq));
		read_all(fd, buf, len);
		assert_true(check_frame(buf, len, seq));
	}
}

static void send_frames(void **state)
{
	struct fixture *f = *state;
	static uint8_t data[5][MAX_FRAME];
	struct frame_ref refs[5];

	for (uint32_t i = 0; i < 5; i++) {
		refs[i] = (struct frame_ref){data[i], frame_len(i)};
		fill_frame(data[i], refs[i].len, i);
	}
	assert_int_equal(f->port->send(f->port, refs, 5), 5);
	expect_framed(f->peer, 0, 5);
}

/* Read what the hypervisor's end has queued, without waiting, onto @acc. */
static void drain(int fd, uint8_t *acc, size_t cap, size_t *len)
{
	ssize_t r;

	while (*len < cap && (r = recv(fd, acc + *len, cap - *len, MSG_DONTWAIT)) > 0)
		*len += (size_t)r;
}

/* Check that @acc holds frames @first.. in order, intact; return how many. */
static unsigned parse_stream(const uint8_t *acc, size_t len, uint32_t first)
{
	size_t off = 0;
	unsigned n = 0;

	while (off + 4 <= len) {
		uint32_t flen = (uint32_t)acc[off] << 24 | (uint32_t)acc[off + 1] << 16 |
				(uint32_t)acc[off + 2] << 8 | acc[off + 3];

		assert_int_equal(flen, frame_len(first + n));
		if (off + 4 + flen > len)
			break;
		assert_true(check_frame(acc + off + 4, flen, first + n));
		off += 4 + flen;
		n++;
	}
	return n;
}

/*
 * A socket that fills up: send() comes back short, a frame the socket took in part
 * counts as sent and its tail goes first next time; the stream stays intact.
 */
static void send_partial_writes(void **state)
{
	struct fixture *f = *state;
	enum { N = 400 };
	static uint8_t data[N][MAX_FRAME], acc[N * (4 + MAX_FRAME)];
	struct frame_ref refs[N];
	int small = 4096;
	unsigned sent = 0, shorts = 0;
	size_t len = 0;
	bool pending_seen = false;

	setsockopt(f->port->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (uint32_t i = 0; i < N; i++) {
		refs[i] = (struct frame_ref){data[i], frame_len(i)};
		fill_frame(data[i], refs[i].len, i);
	}
	for (int round = 0; sent < N && round < 10000; round++) {
		int n = f->port->send(f->port, refs + sent, N - sent);

		assert_true(n >= 0 && n <= (int)(N - sent));
		sent += (unsigned)n;
		pending_seen |= f->port->tx_pending; /* a tail kept: the relay must watch EPOLLOUT */
		if (sent < N) {
			/* short: nothing more goes in until the hypervisor reads */
			shorts++;
			assert_int_equal(f->port->send(f->port, refs + sent, N - sent), 0);
			drain(f->peer, acc, sizeof(acc), &len);
		}
	}
	assert_int_equal(sent, N);
	assert_true(shorts > 10);
	/* the tail of the last frame may still be ours: it goes out on the next calls */
	for (int round = 0; round < 100 && parse_stream(acc, len, 0) < N; round++) {
		assert_int_equal(f->port->send(f->port, refs, 0), 0);
		drain(f->peer, acc, sizeof(acc), &len);
	}
	assert_int_equal(parse_stream(acc, len, 0), N);
	assert_true(pending_seen);
	assert_false(f->port->tx_pending);
	drain(f->peer, acc, sizeof(acc), &len);
	assert_int_equal(parse_stream(acc, len, 0), N); /* and nothing more */
}

static void send_refuses_oversize(void **state)
{
	struct fixture *f = *state;
	static uint8_t data[3][MAX_FRAME + 1];
	struct frame_ref refs[3] = {
		{data[0], frame_len(0)}, {data[1], MAX_FRAME + 1}, {data[2], frame_len(1)}};

	fill_frame(data[0], refs[0].len, 0);
	fill_frame(data[2], refs[2].len, 1);
	f->port->stats = &f->stats;
	f->port->refuse_reason = DROP_VM_WRITE;
	assert_int_equal(f->port->send(f->port, refs, 3), 3);
	assert_int_equal(f->stats.drops[DROP_VM_WRITE], 1);
	expect_framed(f->peer, 0, 2);
}

static void send_to_closed_peer(void **state)
{
	struct fixture *f = *state;
	uint8_t data[64] = {0};
	struct frame_ref ref = {data, sizeof(data)};

	close(f->peer);
	f->peer = -1;
	assert_int_equal(f->port->send(f->port, &ref, 1), -EPIPE);
	assert_int_equal(f->port->recv(f->port, &f->batch), -EPIPE);
}

/* --- a writer thread cutting the stream at random places, both directions ------------ */

#define STRESS_FRAMES 20000

struct writer {
	int fd;
	unsigned frames;
	unsigned seed;
	bool random_cuts;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	static uint8_t buf[64 * (4 + MAX_FRAME)];
	size_t len = 0;

	for (uint32_t seq = 0; seq < w->frames; seq++) {
		len += put_framed(buf + len, frame_len(seq), seq);
		if (len > sizeof(buf) - (4 + MAX_FRAME) || seq + 1 == w->frames) {
			size_t off = 0;

			while (off < len) {
				size_t chunk = len - off;

				if (w->random_cuts)
					chunk = 1 + (size_t)rand_r(&w->seed) % (chunk < 3000 ? chunk : 3000);
				write_all(w->fd, buf + off, chunk);
				off += chunk;
			}
			len = 0;
		}
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Receive @frames frames in order with the relay's batch size; return seconds taken. */
static double receive_all(struct fixture *f, unsigned frames, bool check)
{
	unsigned seq = 0;
	double t0 = now_s();
	int idle = 0;

	while (seq < frames && idle < 50) {
		struct pollfd pfd = {.fd = f->port->fd, .events = POLLIN};
		int n;

		if (poll(&pfd, 1, 100) == 0) {
			idle++;
			continue;
		}
		n = f->port->recv(f->port, &f->batch);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++, seq++) {
			assert_int_equal(f->batch.len[i], frame_len(seq));
			if (check)
				assert_true(check_frame(f->batch.data[i], frame_len(seq), seq));
		}
	}
	assert_int_equal(seq, frames);
	return now_s() - t0;
}

static void recv_random_cuts(void **state)
{
	struct fixture *f = *state;
	struct writer w = {.fd = f->peer, .frames = STRESS_FRAMES, .seed = 42, .random_cuts = true};
	pthread_t t;

	frame_batch_free(&f->batch);
	assert_int_equal(frame_batch_init(&f->batch, 64, MAX_FRAME + 1), 0);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	receive_all(f, STRESS_FRAMES, true);
	pthread_join(t, NULL);
}

struct reader {
	int fd;
	unsigned frames;
	unsigned seed;
	bool ok;
	volatile bool done;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	static uint8_t buf[4 + MAX_FRAME];

	r->ok = true;
	for (uint32_t seq = 0; seq < r->frames && r->ok; seq++) {
		uint32_t len;

		/* small, random reads keep the socket filling up and draining */
		for (size_t off = 0, want = 4; off < want;) {
			size_t chunk = 1 + (size_t)rand_r(&r->seed) % 2000;
			ssize_t n = read(r->fd, buf + off, chunk < want - off ? chunk : want - off);

			if (n <= 0) {
				r->ok = false;
				break;
			}
			off += (size_t)n;
			if (off == 4 && want == 4) {
				len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
				      (uint32_t)buf[2] << 8 | buf[3];
				if (len != frame_len(seq)) {
					r->ok = false;
					break;
				}
				want = 4 + len;
			}
		}
		if (r->ok && !check_frame(buf + 4, frame_len(seq), seq))
			r->ok = false;
	}
	r->done = true;
	return NULL;
}

static void send_random_drain(void **state)
{
	struct fixture *f = *state;
	struct reader r = {.fd = f->peer, .frames = STRESS_FRAMES, .seed = 7};
	static uint8_t data[64][MAX_FRAME];
	struct frame_ref refs[64];
	int small = 16384, spins = 0;
	unsigned seq = 0;
	pthread_t t;

	setsockopt(f->port->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	while (seq < STRESS_FRAMES && spins < 100000) {
		unsigned n = STRESS_FRAMES - seq < 64 ? STRESS_FRAMES - seq : 64;
		int taken;

		for (unsigned i = 0; i < n; i++) {
			refs[i] = (struct frame_ref){data[i], frame_len(seq + i)};
			fill_frame(data[i], refs[i].len, seq + i);
		}
		taken = f->port->send(f->port, refs, n);
		assert_true(taken >= 0);
		if (taken == 0) {
			struct pollfd pfd = {.fd = f->port->fd, .events = POLLOUT};

			poll(&pfd, 1, 100);
			spins++;
		}
		seq += (unsigned)taken;
	}
	/* whatever tail is still ours goes out on the next call */
	for (int i = 0; i < 1000 && !r.done; i++) {
		struct pollfd pfd = {.fd = f->port->fd, .events = POLLOUT};

		assert_int_equal(f->port->send(f->port, refs, 0), 0);
		poll(&pfd, 1, 10);
	}
	pthread_join(t, NULL);
	assert_int_equal(seq, STRESS_FRAMES);
	assert_true(r.ok);
}

/*
 * Throughput of full-size frames, for the numbers in vm_stream.c's comment (printed, not
 * asserted: the unit suite must not depend on the machine's speed).
 */
static void bench_recv(void **state)
{
	struct fixture *f = *state;
	unsigned frames = 100000;
	struct writer w = {.fd = f->peer, .frames = frames};
	pthread_t t;
	double s;

	fixed_len = MAX_FRAME;
	frame_batch_free(&f->batch);
	assert_int_equal(frame_batch_init(&f->batch, 64, MAX_FRAME + 1), 0);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	s = receive_all(f, frames, false);
	pthread_join(t, NULL);
	fixed_len = 0;
	printf("bench: recv %u frames of %u bytes in %.3f s: %.2f Mframe/s, %.1f Gbit/s\n",
	       frames, MAX_FRAME, s, frames / s / 1e6, frames * MAX_FRAME * 8.0 / s / 1e9);
}

static void *sink_main(void *arg)
{
	static uint8_t buf[1 << 16];
	int fd = *(int *)arg;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static void bench_send(void **state)
{
	struct fixture *f = *state;
	unsigned frames = 100000, seq = 0;
	static uint8_t data[MAX_FRAME];
	struct frame_ref refs[64];
	pthread_t t;
	double t0, s;

	for (unsigned i = 0; i < 64; i++)
		refs[i] = (struct frame_ref){data, MAX_FRAME};
	assert_int_equal(pthread_create(&t, NULL, sink_main, &f->peer), 0);
	t0 = now_s();
	for (int spins = 0; seq < frames && spins < 100000;) {
		int n = f->port->send(f->port, refs, 64);

		assert_true(n >= 0);
		if (n < 64) {
			struct pollfd pfd = {.fd = f->port->fd, .events = POLLOUT};

			poll(&pfd, 1, 100);
			spins++;
		}
		seq += (unsigned)n;
	}
	s = now_s() - t0;
	shutdown(f->port->fd, SHUT_WR);
	pthread_join(t, NULL);
	printf("bench: send %u frames of %u bytes in %.3f s: %.2f Mframe/s, %.1f Gbit/s\n",
	       seq, MAX_FRAME, s, seq / s / 1e6, seq * MAX_FRAME * 8.0 / s / 1e9);
}

/* --- --listen ---------------------------------------------------------------------------- */

static int connect_client(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static void open_listen(struct fixture *f)
{
	char err[256] = "";

	f->port = vm_stream_open(&f->cfg, err, sizeof(err));
	if (!f->port)
		fail_msg("vm_stream_open: %s", err);
}

static void listen_serves_one_client_at_a_time(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4 + 64], data[64];
	struct frame_ref ref = {data, 64};
	struct stat st;
	int second;
	char c;

	open_listen(f);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* no client yet: nothing comes, and frames for the VM go nowhere */
	assert_true(quiet(f->port->fd));
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	assert_int_equal(f->port->send(f->port, &ref, 1), 1);

	f->peer = connect_client(f->path);
	assert_true(readable(f->port->fd));
	assert_int_equal(f->port->recv(f->port, &f->batch), 0); /* accepts */
	write_all(f->peer, buf, put_framed(buf, 64, 3));
	assert_true(readable(f->port->fd));
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_true(check_frame(f->batch.data[0], 64, 3));
	fill_frame(data, 64, 0);
	assert_int_equal(f->port->send(f->port, &ref, 1), 1);
	read_all(f->peer, buf, 4 + 64);
	assert_int_equal(buf[3], 64);
	assert_true(check_frame(buf + 4, 64, 0));

	/* a second client is refused: it sees EOF; the first one keeps working */
	second = connect_client(f->path);
	assert_true(readable(f->port->fd));
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	assert_true(quiet(f->port->fd));
	assert_int_equal(read(second, &c, 1), 0);
	close(second);
	write_all(f->peer, buf, put_framed(buf, 64, 4));
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_true(check_frame(f->batch.data[0], 64, 4));

	/* the client leaves: the port waits for the next one instead of failing */
	close(f->peer);
	f->peer = -1;
	assert_true(readable(f->port->fd));
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	assert_true(quiet(f->port->fd));
	f->peer = connect_client(f->path);
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	write_all(f->peer, buf, put_framed(buf, 64, 5));
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_true(check_frame(f->batch.data[0], 64, 5));

	f->port->close(f->port);
	f->port = NULL;
	assert_int_equal(lstat(f->path, &st), -1); /* the socket file went with the port */
}

static void listen_bad_length_drops_the_client(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4 + 64] = {0, 0, 0, 0};
	char c;

	open_listen(f);
	f->peer = connect_client(f->path);
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	write_all(f->peer, buf, 4); /* length 0 */
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	assert_int_equal(read(f->peer, &c, 1), 0); /* closed on it */
	close(f->peer);
	f->peer = connect_client(f->path);
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
	write_all(f->peer, buf, put_framed(buf, 64, 6));
	assert_int_equal(f->port->recv(f->port, &f->batch), 1);
	assert_true(check_frame(f->batch.data[0], 64, 6));
}

static void listen_replaces_a_stale_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd); /* the file stays, nobody listens: stale */
	open_listen(f);
	f->peer = connect_client(f->path);
	assert_int_equal(f->port->recv(f->port, &f->batch), 0);
}

static void listen_refuses_a_live_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char err[256] = "";

	strcpy(addr.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_null(vm_stream_open(&f->cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	close(fd);
}

static void listen_refuses_a_regular_file(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct stat st;
	int fd = open(f->path, O_CREAT | O_WRONLY, 0600);

	close(fd);
	assert_null(vm_stream_open(&f->cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "--listen:"));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(recv_one_frame, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_byte_by_byte, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_more_than_a_batch, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_largest_frame, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_bad_length_zero, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_bad_length_too_big, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_bad_length_huge, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_eof, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_eof_mid_frame, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(send_frames, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(send_partial_writes, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(send_refuses_oversize, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(send_to_closed_peer, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(recv_random_cuts, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(send_random_drain, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(bench_recv, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(bench_send, setup_fd, teardown),
		cmocka_unit_test_setup_teardown(listen_serves_one_client_at_a_time, setup_listen,
						teardown),
		cmocka_unit_test_setup_teardown(listen_bad_length_drops_the_client, setup_listen,
						teardown),
		cmocka_unit_test_setup_teardown(listen_replaces_a_stale_socket, setup_listen,
						teardown),
		cmocka_unit_test_setup_teardown(listen_refuses_a_live_socket, setup_listen, teardown),
		cmocka_unit_test_setup_teardown(listen_refuses_a_regular_file, setup_listen,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
