// SPDX-License-Identifier: MIT
/* process.c — processes on macOS: identity from sysctl, a watcher for the parent's death */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/event.h>
#include <sys/sysctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/process.h"

/* The start time of a kinfo_proc, in microseconds since the epoch. */
static int64_t start_of(const struct kinfo_proc *kp)
{
	return (int64_t)kp->kp_proc.p_starttime.tv_sec * 1000000 + kp->kp_proc.p_starttime.tv_usec;
}

int process_start_time(int64_t pid, int64_t *start)
{
	int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid};
	struct kinfo_proc kp;
	size_t len = sizeof(kp);

	if (pid <= 0 || sysctl(mib, 4, &kp, &len, NULL, 0) < 0)
		return pid <= 0 ? -ESRCH : -errno;
	/* no such process: the kernel answers with nothing; a zombie has ended */
	if (len == 0 || kp.kp_proc.p_pid != (pid_t)pid || kp.kp_proc.p_stat == SZOMB)
		return -ESRCH;
	*start = start_of(&kp);
	return 0;
}

int process_identity_self(struct process_identity *id)
{
	size_t len = BOOT_ID_SIZE;
	int r;

	*id = (struct process_identity){.pid = getpid()}; /* no PID namespaces: pid_ns 0 */
	r = process_start_time(id->pid, &id->start_time);
	if (r < 0)
		return r;
	/* a new uuid every boot: what Linux's boot_id is */
	if (sysctlbyname("kern.bootsessionuuid", id->boot_id, &len, NULL, 0) < 0)
		return -errno;
	id->boot_id[BOOT_ID_SIZE - 1] = '\0';
	return 0;
}

/*
 * watch_parent() - the watcher process: when @parent (sock-vmnet) exits, send @sig to
 * @child (the hypervisor); when the child exits first, just end. Only system calls.
 */
static _Noreturn void watch_parent(pid_t parent, pid_t child, int sig)
{
	struct kevent ch[2], ev;
	int kq, max = getdtablesize();

	setsid(); /* out of the terminal's process group: a ^C is for the others */
	for (int fd = 0; fd < max; fd++)
		close(fd); /* above all the VM socket: the watcher must not keep it open */
	kq = kqueue();
	EV_SET(&ch[0], parent, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	EV_SET(&ch[1], child, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, NULL);
	if (kq < 0 || kevent(kq, &ch[1], 1, NULL, 0, NULL) < 0)
		_exit(0); /* the child is gone (or cannot be watched): nothing to do */
	if (kevent(kq, &ch[0], 1, NULL, 0, NULL) < 0) {
		kill(child, sig); /* the parent died already */
		_exit(0);
	}
	while (kevent(kq, NULL, 0, &ev, 1, NULL) < 0 && errno == EINTR)
		;
	if ((pid_t)ev.ident == parent)
		kill(child, sig);
	_exit(0);
}

/*
 * No PR_SET_PDEATHSIG on macOS: the child forks a watcher (twice, so that it belongs to
 * launchd and leaves no zombie behind in the hypervisor) that watches both with
 * EVFILT_PROC — sock-vmnet is not the watcher's parent, and EVFILT_PROC takes any process
 * of the same user.
 */
int process_set_parent_death_signal(int sig, pid_t parent)
{
	pid_t child = getpid(), mid;
	int status = 1;

	if (getppid() != parent)
		return -1;
	mid = fork();
	if (mid < 0)
		return -1;
	if (mid == 0) {
		pid_t watcher = fork();

		if (watcher == 0)
			watch_parent(parent, child, sig);
		_exit(watcher < 0 ? 1 : 0);
	}
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && getppid() == parent ? 0 : -1;
}

void process_reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++) /* fails harmlessly for SIGKILL and SIGSTOP */
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void process_forbid_new_privileges(void)
{
	/* macOS has no no_new_privs: what --user gives up stays given up (privileges.c checks) */
}
