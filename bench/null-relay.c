// SPDX-License-Identifier: MIT
/* null-relay.c — benchmark baseline: copies frames between a datagram socket and a bridged TAP, nothing more */
#include "copy_opts.h"
#include "framecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/**
 * struct relay_opts - the command line.
 * @copy: the TAP (with the bridge to attach to), batch, send buffer, --stats.
 * @fd: the inherited socketpair end.
 * @one_thread: --one-thread
 */
struct relay_opts {
	struct copy_opts copy;
	int fd;
	bool one_thread;
};

/**
 * usage() - Print the usage text.
 * @f: where to.
 */
static void usage(FILE *f)
{
	fprintf(f, "usage: null-relay --fd=N --bridge NAME [--tap NAME] [--mtu N] [--batch N]\n"
		   "                  [--sndbuf BYTES] [--offload=vnet-hdr] [--one-thread] [--stats]\n"
		   "Creates TAP NAME (default nr%%d) on bridge NAME and copies Ethernet frames between it\n"
		   "and the AF_UNIX SOCK_DGRAM socket on descriptor N, one frame per datagram, with no\n"
		   "inspection: the cost of the topology alone. A thread each way, or with --one-thread\n"
		   "both in one loop (a single-threaded forwarder's shape). Runs until SIGTERM or the\n"
		   "peer goes.\n");
}

/**
 * parse() - Parse the command line.
 * @argc: argument count.
 * @argv: arguments.
 * @o: receives the options.
 *
 * Return: 0, or -1 after a message on stderr.
 */
static int parse(int argc, char **argv, struct relay_opts *o)
{
	unsigned long v;

	*o = (struct relay_opts){.fd = -1};
	copy_opts_init(&o->copy, "nr%d");
	for (int i = 1; i < argc; i++) {
		const char *val;
		int r;

		if ((val = copy_opt_value(argc, argv, &i, "--fd"))) {
			if (!fc_parse_uint(val, 0, 1023, &v))
				goto bad;
			o->fd = (int)v;
		} else if ((val = copy_opt_value(argc, argv, &i, "--bridge"))) {
			o->copy.tap.bridge = val;
		} else if (strcmp(argv[i], "--one-thread") == 0) {
			o->one_thread = true;
		} else if ((r = copy_opt_parse(argc, argv, &i, &o->copy, usage)) < 0) {
			goto bad;
		} else if (r == 0) {
			fprintf(stderr, "null-relay: unknown option %s\n", argv[i]);
			usage(stderr);
			return -1;
		}
		continue;
bad:
		fprintf(stderr, "null-relay: bad value in %s\n", argv[i]);
		return -1;
	}
	if (o->fd < 0 || !o->copy.tap.bridge) {
		fprintf(stderr, "null-relay: --fd and --bridge are required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct fc_pair pair;
	struct relay_opts o;
	char ifname[IF_NAMESIZE];
	sigset_t set;
	int sig;

	if (parse(argc, argv, &o) < 0)
		return 2;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (fcntl(o.fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "null-relay: descriptor %d: %s\n", o.fd, strerror(errno));
		return 1;
	}
	pair.tap_fd = fc_tap_open(&o.copy.tap, ifname);
	if (pair.tap_fd < 0 || fc_sock_tune(o.fd, o.copy.sndbuf) < 0)
		return 1;
	pair.sock_fd = o.fd;
	pair.frame_max = FC_FRAME_MAX(o.copy.tap.mtu > 0 ? o.copy.tap.mtu : 1500);
	pair.offload = o.copy.tap.offload;
	if (pair.offload) /* large packets whatever the MTU */
		pair.frame_max = FC_OFFLOAD_FRAME_MAX;
	pair.batch = o.copy.batch;
	pair.one_thread = o.one_thread;
	if (fc_start(&pair) < 0)
		return 1;

	do
		sig = sigwaitinfo(&set, NULL);
	while (sig < 0);
	if (o.copy.stats)
		fprintf(stderr,
			"null-relay: %s sock->tap frames=%llu dropped=%llu calls=%llu; "
			"tap->sock frames=%llu dropped=%llu calls=%llu; cpu_us=%llu\n",
			ifname, (unsigned long long)pair.to_tap.frames, (unsigned long long)pair.to_tap.dropped,
			(unsigned long long)pair.to_tap.calls, (unsigned long long)pair.to_sock.frames,
			(unsigned long long)pair.to_sock.dropped, (unsigned long long)pair.to_sock.calls,
			(unsigned long long)fc_cpu_us());
	return sig == SIGUSR1 ? 1 : 0;
}
