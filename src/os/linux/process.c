// SPDX-License-Identifier: MIT
/* process.c — processes on Linux: identity from /proc, parent-death signal, exec hygiene */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/process.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

/*
 * Read the start time (field 22) of a /proc/PID/stat. A zombie (state Z or X) has ended
 * even though its entry stays until its parent reaps it: it reads as -ESRCH.
 */
static int read_start_time(const char *stat_path, int64_t *start)
{
	char buf[1024], *p;
	ssize_t n;
	int fd = open(stat_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 ? -ESRCH : -errno; /* ESRCH: it ended while we read */
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* end of field 2, comm, which may hold anything */
	if (!p || p[1] != ' ')
		return -EIO;
	if (p[2] == 'Z' || p[2] == 'X') /* field 3, state */
		return -ESRCH;
	/* fields 3..21 follow, then 22 = starttime */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	errno = 0;
	*start = strtoll(p, NULL, 10);
	return errno ? -errno : 0;
}

static int read_boot_id(char out[BOOT_ID_SIZE])
{
	ssize_t n;
	int fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, out, BOOT_ID_SIZE - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int process_identity_self(struct process_identity *id)
{
	char link[32];
	struct stat st;
	ssize_t n;
	int r;

	*id = (struct process_identity){0};
	/* the pid as our /proc shows it, which is what others will look up */
	n = readlink("/proc/self", link, sizeof(link) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	link[n] = '\0';
	id->pid = strtoll(link, NULL, 10);
	r = read_start_time("/proc/self/stat", &id->start_time);
	if (r < 0)
		return r;
	r = read_boot_id(id->boot_id);
	if (r < 0)
		return r;
	if (stat("/proc/self/ns/pid", &st) == 0)
		id->pid_ns = (int64_t)st.st_ino;
	return id->pid > 0 ? 0 : -EIO;
}

int process_start_time(int64_t pid, int64_t *start)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRId64 "/stat", pid);
	return read_start_time(path, start);
}

int process_set_parent_death_signal(int sig, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, sig) < 0 || getppid() != parent)
		return -1;
	return 0;
}

/*
 * glibc's sigaction() refuses the two real-time signals it keeps for itself (32 and 33),
 * yet an "ignore" inherited on them would survive exec and break thread cancellation in
 * the hypervisor, so the kernel is asked directly. The layout is the kernel's own
 * (handler, flags, restorer, 64-bit mask), as on x86-64 and arm64.
 */
void process_reset_signals(void)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = {.handler = SIG_DFL};
	sigset_t none;

	for (int sig = 1; sig <= 64; sig++) /* fails harmlessly for SIGKILL and SIGSTOP */
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void process_forbid_new_privileges(void)
{
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
