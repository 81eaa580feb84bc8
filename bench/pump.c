// SPDX-License-Identifier: MIT
/* pump.c — benchmark "hypervisor": copies frames between a VM-side TAP and a datagram socketpair given to a program */
#include "copy_opts.h"
#include "framecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Seconds the program gets to exit after we pass on SIGTERM, before SIGKILL. Measured:
 * SIGTERM to the pump until pump and sock-vmnet had both exited took 66-81 ms (3 tries,
 * tearing down its TAP and nftables state); 5 s leaves a loaded machine 60 times that.
 */
#define PUMP_STOP_GRACE_S 5

/**
 * struct pump_opts - the command line.
 * @copy: the TAP (@copy.tap.name is NULL in sink mode), batch, send buffer, --stats.
 * @child_fd: descriptor number the program receives its socket end on.
 * @argv: the program and its arguments.
 */
struct pump_opts {
	struct copy_opts copy;
	int child_fd;
	char **argv;
};

/**
 * usage() - Print the usage text.
 * @f: where to.
 */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: pump [--netns NS] [--tap NAME] [--mtu N] [--mac MAC] [--fd N] [--batch N]\n"
		"            [--sndbuf BYTES] [--offload=krunkit|vnet-hdr] [--stats] -- PROGRAM [ARG...]\n"
		"       pump --sink [--fd N] [--stats] -- PROGRAM [ARG...]\n"
		"Creates TAP NAME (default vm%%d, in namespace NS if given), runs PROGRAM with one end of an\n"
		"AF_UNIX SOCK_DGRAM socketpair on descriptor N (default 3) and copies frames between the\n"
		"TAP and the socket, one Ethernet frame per datagram, until PROGRAM exits. --sink opens no\n"
		"TAP and discards what PROGRAM sends. --offload: the TAP has a virtio-net header and\n"
		"offloads (TSO4, checksums), and the socket carries krunkit's headerless large frames or\n"
		"the header too. Exits with PROGRAM's status.\n");
}

/**
 * parse() - Parse the command line.
 * @argc: argument count.
 * @argv: arguments.
 * @o: receives the options.
 *
 * Return: 0, or -1 after a message on stderr.
 */
static int parse(int argc, char **argv, struct pump_opts *o)
{
	bool sink = false;
	unsigned long v;
	int i, r;

	*o = (struct pump_opts){.child_fd = 3};
	copy_opts_init(&o->copy, "vm%d");
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *val;

		if ((val = copy_opt_value(argc, argv, &i, "--netns"))) {
			o->copy.tap.netns = val;
		} else if ((val = copy_opt_value(argc, argv, &i, "--mac"))) {
			if (!fc_parse_mac(val, o->copy.tap.mac))
				goto bad;
			o->copy.tap.set_mac = true;
		} else if ((val = copy_opt_value(argc, argv, &i, "--fd"))) {
			if (!fc_parse_uint(val, 3, 1023, &v))
				goto bad;
			o->child_fd = (int)v;
		} else if (strcmp(argv[i], "--sink") == 0) {
			sink = true;
		} else if ((r = copy_opt_parse(argc, argv, &i, &o->copy, usage)) < 0) {
			goto bad;
		} else if (r == 0) {
			fprintf(stderr, "pump: unknown option %s\n", argv[i]);
			usage(stderr);
			return -1;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "pump: no program given after --\n");
		usage(stderr);
		return -1;
	}
	o->argv = argv + i + 1;
	if (sink)
		o->copy.tap.name = NULL;
	return 0;
bad:
	fprintf(stderr, "pump: bad value in %s\n", argv[i]);
	return -1;
}

/**
 * spawn() - Fork and exec the program with the socket end @fd as descriptor @o->child_fd.
 * @o: options.
 * @fd: the program's end of the socketpair.
 * @mask: signal mask to restore in the child.
 *
 * Return: the child's pid, or -1.
 */
static pid_t spawn(const struct pump_opts *o, int fd, const sigset_t *mask)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid != 0) {
		if (pid < 0)
			perror("pump: fork");
		return pid;
	}
	/* the program must not outlive the pump: nobody else holds its socket's other end */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (fd == o->child_fd) {
		if (fcntl(fd, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(fd, o->child_fd) < 0) {
		perror("pump: dup2");
		_exit(127);
	}
	execvp(o->argv[0], o->argv);
	fprintf(stderr, "pump: exec %s: %s\n", o->argv[0], strerror(errno));
	_exit(127);
}

/**
 * print_stats() - Print the frame counters of both directions on stderr.
 * @p: the pair.
 */
static void print_stats(const struct fc_pair *p)
{
	fprintf(stderr,
		"pump: tap->sock frames=%llu bytes=%llu dropped=%llu calls=%llu; "
		"sock->tap frames=%llu bytes=%llu dropped=%llu calls=%llu; cpu_us=%llu\n",
		(unsigned long long)p->to_sock.frames, (unsigned long long)p->to_sock.bytes,
		(unsigned long long)p->to_sock.dropped, (unsigned long long)p->to_sock.calls,
		(unsigned long long)p->to_tap.frames, (unsigned long long)p->to_tap.bytes,
		(unsigned long long)p->to_tap.dropped, (unsigned long long)p->to_tap.calls,
		(unsigned long long)fc_cpu_us());
}

/**
 * exit_code() - The exit code a shell would report for a wait status.
 * @status: the status from waitpid().
 *
 * Return: the exit status, or 128 + the signal that ended the child.
 */
static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/**
 * supervise() - Wait for the child to exit, passing on stop signals and copy-thread failures.
 * @child: the program.
 * @p: the pair, for the statistics.
 * @stats: print them.
 * @set: the blocked signals to wait for.
 *
 * Return: the exit code for the pump.
 */
static int supervise(pid_t child, const struct fc_pair *p, bool stats, const sigset_t *set)
{
	struct timespec grace = {.tv_sec = PUMP_STOP_GRACE_S};
	bool stopping = false, failed = false;

	for (;;) {
		int status, sig;

		sig = stopping ? sigtimedwait(set, NULL, &grace) : sigwaitinfo(set, NULL);
		if (sig < 0 && errno == EAGAIN) {
			fprintf(stderr, "pump: program did not stop in %d s, killing it\n", PUMP_STOP_GRACE_S);
			kill(child, SIGKILL);
			stopping = false;
			continue;
		}
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			pid_t r = waitpid(child, &status, WNOHANG);

			if (r != child)
				continue;
			if (stats)
				print_stats(p);
			return failed ? 1 : exit_code(status);
		}
		if (sig == SIGUSR1)
			failed = true;
		if (!stopping) {
			kill(child, sig == SIGUSR1 ? SIGTERM : sig);
			stopping = true;
		}
	}
}

int main(int argc, char **argv)
{
	static struct fc_pair pair;
	struct pump_opts o;
	sigset_t set, old;
	char ifname[IF_NAMESIZE] = "";
	int sv[2];
	pid_t child;

	if (parse(argc, argv, &o) < 0)
		return 2;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);

	pair.tap_fd = -1;
	if (o.copy.tap.name) {
		pair.tap_fd = fc_tap_open(&o.copy.tap, ifname);
		if (pair.tap_fd < 0)
			return 1;
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("pump: socketpair");
		return 1;
	}
	if (fc_sock_tune(sv[0], o.copy.sndbuf) < 0)
		return 1;

	child = spawn(&o, sv[1], &old);
	if (child < 0)
		return 1;
	close(sv[1]);

	pair.sock_fd = sv[0];
	/* a sink does not know the program's MTU: take the largest (only touched pages cost) */
	pair.frame_max = FC_FRAME_MAX(o.copy.tap.mtu > 0 ? o.copy.tap.mtu : o.copy.tap.name ? 1500 : FC_MAX_MTU);
	pair.offload = o.copy.tap.offload;
	if (pair.offload) /* large packets whatever the MTU */
		pair.frame_max = FC_OFFLOAD_FRAME_MAX;
	pair.batch = o.copy.batch;
	if (fc_start(&pair) < 0) {
		kill(child, SIGTERM);
		return 1;
	}
	return supervise(child, &pair, o.copy.stats, &set);
}
