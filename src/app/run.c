// SPDX-License-Identifier: MIT
/* run.c — "sock-vmnet run": start the hypervisor on a socketpair and serve its VM */
#include "app/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/options.h"
#include "app/service.h"
#include "core/log.h"
#include "os/process.h"
#include "os/socket.h"
#include "transport/vm_transport.h"

/* Exit statuses for a command that could not be started, as POSIX shells use them. */
#define RUN_EXIT_USAGE 2
#define RUN_EXIT_NOT_EXECUTABLE 126
#define RUN_EXIT_NOT_FOUND 127

/*
 * Signal the hypervisor gets when sock-vmnet dies without cleaning up (SIGKILL, crash):
 * the one service_run() sends when it ends first, so the hypervisor can shut down
 * cleanly either way (QEMU quits on SIGTERM).
 */
#define RUN_PARENT_DEATH_SIGNAL SIGTERM

/* The same buffers on both ends as vm_dgram.c asks for (see the measurement there). */
static void set_buffers(int fd)
{
	os_socket_buffers(fd, VM_SOCKET_RCVBUF, VM_SOCKET_SNDBUF); /* best effort */
}

/**
 * child_exec() - in the forked child: set up the VM socket and exec the hypervisor
 * @vm_end: the hypervisor's end of the socketpair (close-on-exec, like every fd we made)
 * @fd_number: where the hypervisor expects it (--vm-fd-number)
 * @err_fd: close-on-exec pipe to the parent; gets errno if exec fails
 * @parent: our parent's pid, to notice that it died before PR_SET_PDEATHSIG took hold
 * @cmd: the command, NULL-terminated
 *
 * Only async-signal-safe calls: the parent may be anything after fork().
 */
static _Noreturn void child_exec(int vm_end, int fd_number, int err_fd, pid_t parent,
				 char **cmd)
{
	int e;

	if (process_set_parent_death_signal(RUN_PARENT_DEATH_SIGNAL, parent) < 0)
		_exit(RUN_EXIT_NOT_EXECUTABLE);
	process_reset_signals();
	/* keep the error pipe out of the way of @fd_number */
	if (err_fd <= fd_number) {
		int moved = fcntl(err_fd, F_DUPFD_CLOEXEC, fd_number + 1);

		if (moved >= 0)
			err_fd = moved;
	}
	/* dup2() clears close-on-exec on the copy; a same-number dup2 would not */
	if (vm_end != fd_number ? dup2(vm_end, fd_number) < 0 : fcntl(fd_number, F_SETFD, 0) < 0)
		goto fail;
	execvp(cmd[0], cmd);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0) {
		/* the parent reports a plain failure then */
	}
	_exit(RUN_EXIT_NOT_FOUND);
}

/**
 * spawn() - fork and exec @cmd with @vm_end at fd @fd_number
 * @exec_errno: set to the errno of a failed exec (0 when it started)
 * Return: the child's pid, or -1 (fork failed; errno says why).
 */
static pid_t spawn(char **cmd, int vm_end, int fd_number, int *exec_errno)
{
	pid_t parent = getpid(), pid;
	int pipefd[2], e = 0;
	ssize_t n;

	*exec_errno = 0;
	e = os_pipe(pipefd);
	if (e < 0) {
		errno = -e;
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec(vm_end, fd_number, pipefd[1], parent, cmd);
	close(pipefd[1]);
	if (pid < 0) {
		e = errno;
		close(pipefd[0]);
		errno = e;
		return -1;
	}
	/* EOF: exec succeeded and closed the pipe; an int: why it failed */
	do {
		n = read(pipefd[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(e)) {
		*exec_errno = e ? e : ENOEXEC;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return pid;
}

static int exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}

/*
 * krunkit_offloads() - whether @cmd gives krunkit a virtio-net device on fd @fd_number with
 * offloading on: "--device virtio-net,type=unixgram,fd=N,mac=…,offloading=on" (krunkit's
 * docs/usage.md; src/virtio.rs parses the option list, "offloading" taking on/off and
 * true/false). Such a guest sends TSO4 packets and partial checksums with no header on
 * the socket (src/virtio.rs COMPAT_NET_FEATURES: CSUM, HOST_TSO4, …), which only
 * --vm-offload=on takes.
 */
bool krunkit_offloads(char *const *cmd, int fd_number)
{
	char want_fd[24];

	snprintf(want_fd, sizeof(want_fd), "fd=%d", fd_number);
	for (; *cmd; cmd++) {
		const char *p = *cmd;
		bool ours = false, offloading = false;

		if (strncmp(p, "virtio-net,", 11) != 0)
			continue;
		for (p += 11; *p;) {
			size_t n = strcspn(p, ",");

			if (n == strlen(want_fd) && strncmp(p, want_fd, n) == 0)
				ours = true;
			else if ((n == 13 && strncmp(p, "offloading=on", n) == 0) ||
				 (n == 15 && strncmp(p, "offloading=true", n) == 0))
				offloading = true;
			else if (n > 11 && strncmp(p, "offloading=", 11) == 0)
				offloading = false;
			p += n + (p[n] == ',');
		}
		if (ours && offloading)
			return true;
	}
	return false;
}

/* Whether the options before "--" (argv[1] to @sep) say --vm-offload themselves. */
static bool vm_offload_given(char **argv, int sep)
{
	for (int i = 1; i < sep; i++)
		if (strncmp(argv[i], "--vm-offload", 12) == 0)
			return true;
	return false;
}

/* argv index of the first "--", or -1. */
static int find_separator(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return -1;
}

/* run_parsed() - what `run` does once its options are read: the hypervisor, then the service */
static int run_parsed(struct config *cfg, int argc, char **argv, int sep)
{
	int sv[2], exec_errno, wstatus = 0, status;
	pid_t pid;

	if (sep < 0) {
		fprintf(stderr, "sock-vmnet: run: missing \"--\" before the hypervisor command "
				"(sock-vmnet run [options] -- COMMAND...)\n");
		return RUN_EXIT_USAGE;
	}
	if (sep == argc - 1) {
		fprintf(stderr, "sock-vmnet: run: no hypervisor command after \"--\"\n");
		return RUN_EXIT_USAGE;
	}
	if (!vm_offload_given(argv, sep) && krunkit_offloads(argv + sep + 1, cfg->vm.fd_number)) {
		if (cfg->backend.offload) {
			cfg->vm.offload = VM_OFFLOAD_ON;
			log_info("run: krunkit's virtio-net on fd %d has offloading on: --vm-offload=on",
				 cfg->vm.fd_number);
		} else {
			log_warn("run: krunkit's virtio-net on fd %d has offloading on, but --offload=off:"
				 " its large packets will be dropped", cfg->vm.fd_number);
		}
	}
	/* an inherited SIG_IGN would reap the child before service.c can collect it */
	signal(SIGCHLD, SIG_DFL);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) {
		fprintf(stderr, "sock-vmnet: run: socketpair: %s\n", strerror(errno));
		return 1;
	}
	/* close-on-exec: the child's dup2() to its fd number is the only copy that survives */
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	fcntl(sv[1], F_SETFD, FD_CLOEXEC);
	set_buffers(sv[0]);
	set_buffers(sv[1]);
	/* fork before service_run() blocks signals and opens anything else */
	pid = spawn(argv + sep + 1, sv[1], cfg->vm.fd_number, &exec_errno);
	close(sv[1]);
	if (pid < 0 || exec_errno) {
		close(sv[0]);
		if (pid < 0) {
			fprintf(stderr, "sock-vmnet: run: fork: %s\n", strerror(errno));
			return 1;
		}
		if (exec_errno == ENOENT) {
			fprintf(stderr, "sock-vmnet: run: \"%s\": command not found\n", argv[sep + 1]);
			return RUN_EXIT_NOT_FOUND;
		}
		fprintf(stderr, "sock-vmnet: run: cannot run \"%s\": %s\n", argv[sep + 1],
			strerror(exec_errno));
		return RUN_EXIT_NOT_EXECUTABLE;
	}
	cfg->vm.fd = sv[0];
	cfg->vm.transport = VM_FD_DGRAM;
	status = service_run(cfg, pid, &wstatus);
	/* a helper that failed says so (its error is logged) rather than echo the SIGTERM it sent */
	return status != 0 ? status : exit_code(wstatus);
}

int run_main(int argc, char **argv)
{
	int sep = find_separator(argc, argv), status = RUN_EXIT_USAGE;
	struct config cfg;
	char err[512];

	/* options first, so "run --help" works and option errors are named as such */
	switch (options_parse(sep < 0 ? argc : sep, argv, false, &cfg, err, sizeof(err))) {
	case OPTIONS_EXIT_OK:
		status = 0;
		break;
	case OPTIONS_ERROR:
		fprintf(stderr, "sock-vmnet: run: %s\n", err);
		status = RUN_EXIT_USAGE;
		break;
	case OPTIONS_OK:
		status = run_parsed(&cfg, argc, argv, sep);
		break;
	}
	/* every way out frees what the options hold (LeakSanitizer, make asan, checks it) */
	options_free(&cfg);
	return status;
}
