// SPDX-License-Identifier: MIT
/* rr.c — request/response benchmark like netperf's TCP_RR: 1 byte each way over one TCP connection, back to back */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Round trips kept for the percentiles. At the ~30-60 µs a round trip takes through the
 * benchmark's namespaces, 10 s make 170-330 k of them; 1 M leaves room for a fast path.
 */
#define RR_MAX_SAMPLES (1u << 20)

static void usage(FILE *f)
{
	fprintf(f, "usage: rr --server ADDR PORT\n"
		   "       rr --client ADDR PORT SECONDS\n"
		   "The server echoes every byte it reads on each connection it accepts (one at a\n"
		   "time). The client connects once (TCP_NODELAY), then for SECONDS sends one byte and\n"
		   "waits for it to come back, again and again, and prints one line:\n"
		   "  transactions N per_s R mean_us M median_us D p99_us P\n");
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int addr_of(const char *ip, const char *port, struct sockaddr_in *sa)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)p);
	if (*end || p < 1 || p > 65535 || inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		fprintf(stderr, "rr: bad address %s port %s\n", ip, port);
		return -1;
	}
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Echo every byte of each connection back, one connection at a time, forever. */
static int serve(const struct sockaddr_in *sa)
{
	int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(ls, 4) < 0) {
		perror("rr: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		char buf[64];
		ssize_t n;
		int c = accept(ls, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("rr: accept");
			return 1;
		}
		nodelay(c);
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One connection, 1 byte there and back until @seconds are up; the line of figures. */
static int client(const struct sockaddr_in *sa, double seconds)
{
	uint32_t *ns = malloc(RR_MAX_SAMPLES * sizeof(*ns));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint64_t start, end, t0, sum = 0;
	size_t n = 0, kept;
	char b = 'x';

	if (!ns || fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		perror("rr: connect");
		return 1;
	}
	nodelay(fd);
	start = now_ns();
	end = start + (uint64_t)(seconds * 1e9);
	for (t0 = start; t0 < end; n++) {
		uint64_t t1;

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) {
			perror("rr: round trip");
			return 1;
		}
		t1 = now_ns();
		if (n < RR_MAX_SAMPLES)
			ns[n] = (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
		sum += t1 - t0;
		t0 = t1;
	}
	close(fd);
	kept = n < RR_MAX_SAMPLES ? n : RR_MAX_SAMPLES;
	if (kept == 0) {
		fprintf(stderr, "rr: no round trip in %g s\n", seconds);
		return 1;
	}
	qsort(ns, kept, sizeof(*ns), cmp_u32);
	printf("transactions %zu per_s %.0f mean_us %.1f median_us %.1f p99_us %.1f\n", n,
	       (double)n * 1e9 / (double)(t0 - start), (double)sum / (double)n / 1e3,
	       ns[kept / 2] / 1e3, ns[kept * 99 / 100] / 1e3);
	free(ns);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;

	if (argc == 4 && strcmp(argv[1], "--server") == 0) {
		if (addr_of(argv[2], argv[3], &sa) < 0)
			return 2;
		return serve(&sa);
	}
	if (argc == 5 && strcmp(argv[1], "--client") == 0) {
		double s = strtod(argv[4], NULL);

		if (addr_of(argv[2], argv[3], &sa) < 0 || !(s > 0 && s <= 600)) {
			usage(stderr);
			return 2;
		}
		return client(&sa, s);
	}
	usage(argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
	return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
