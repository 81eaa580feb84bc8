// SPDX-License-Identifier: MIT
/* sandbox.c — Linux: setuid keeping named capabilities, and a seccomp allow-list (libseccomp) */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/sandbox.h"

/* The sanitizers' runtimes (ThreadSanitizer, AddressSanitizer, UBSan) make system calls of
 * their own after setup: their group of the list is compiled in only with them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SVM_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(undefined_behavior_sanitizer)
#define SVM_SANITIZER 1
#endif
#endif

/*
 * The allow-list: every system call a running instance makes after setup, by every
 * back-end of a Linux build. Found by running the integration suites of the tap, user and
 * vmnet (simulated) back-ends under strace (the calls of every thread after the filter's
 * seccomp() returned), with the paths those runs do not reach added (each said below),
 * and proven by running the suites with the filter on: a call missing here ends the
 * test's sock-vmnet with SIGSYS. Names, not numbers: libseccomp resolves them for the
 * architecture it builds the filter for, and one an architecture lacks is left out.
 * clone, clone3, kill, tgkill, socket and ioctl are not here: allow_some() allows them on
 * certain arguments only.
 */
static const char *const allowed[] = {
	/* the loop: epoll; signals blocked (read from a signalfd); the pidfd of whoever holds
	 * the VM's end now (the peer watch follows a hand-over); the lease database's busy
	 * waits and the simulation's queues sleep; the clock where the vDSO cannot read it */
	"epoll_wait", "epoll_ctl", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn",
	"restart_syscall", "pidfd_open", "clock_nanosleep", "clock_gettime", "gettimeofday",
	/* descriptors: frames, files, the writer threads' pipes, libslirp's and glib's polls,
	 * sim/xnu's eventfds (the darwin-loop test build) */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "fcntl", "lseek",
	"pipe2", "eventfd2", "poll", "pselect6",
	/* sockets: the VM's, the DNS proxy's upstreams, libslirp's NAT and forwards, netlink
	 * (the tap back-end's repairs and forwards: links, addresses, nftables), the control
	 * socket's clients */
	"recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "bind", "connect",
	"listen", "accept", "accept4", "getsockname", "getpeername", "setsockopt", "getsockopt",
	"shutdown",
	/* files: the lease database (SQLite: WAL, fcntl locks, fdatasync), the policy file
	 * read again, the metrics written then renamed, captures and the audit rotated, a
	 * capture begun by ctl (libpcap dlopen()ed), /proc read for the lease owners'
	 * identity, the sockets removed at exit */
	"openat", "newfstatat", "readlink", "fdatasync", "ftruncate", "rename", "unlink",
	"fchmod", "umask",
	/* memory: malloc, SQLite's -shm mapping, libpcap's mapping, thread stacks */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* threads: the capture and audit writers (begun by ctl too), the simulation's queues */
	"futex", "set_robust_list", "rseq", "exit",
	/* who we are (the lease owner's identity, raise()), random numbers (DNS ids, DHCP),
	 * glibc's qsort() asking for the memory size (sysinfo) */
	"getpid", "gettid", "getuid", "geteuid", "getrandom", "sysinfo",
	/* the end: the hypervisor of run reaped, exit */
	"wait4", "exit_group",
	/*
	 * The same calls by the names of architectures without the older ones (arm64 has no
	 * epoll_wait, poll, rename, unlink, readlink): libseccomp skips the names this one
	 * lacks, so each has its own spelling. Not run there yet.
	 */
	"epoll_pwait", "ppoll", "renameat", "renameat2", "unlinkat", "readlinkat",
};

#ifdef SVM_SIM_XNU
/*
 * The darwin-loop test build (-Dsim_os=darwin, never shipped): sim/xnu's kqueue makes its
 * EVFILT_SIGNAL a signalfd updated as signals are added and deleted, and its LOCAL_PEERPID
 * looks for the socket's holder in /proc/PID/fd and asks sock_diag in the socket's network
 * namespace (setns, which fails without privilege: it then asks in ours).
 */
static const char *const allowed_sim_xnu[] = {
	"signalfd4", "setns", "getdents64",
};
#endif

#ifdef SVM_SANITIZER
/*
 * The sanitizers' runtimes after setup, found as the main list was (strace, and the
 * filter logging instead of killing) over the vmnet simulation's suite under
 * ThreadSanitizer and the tap suite under AddressSanitizer + UBSan:
 * - ThreadSanitizer's background thread sleeps (nanosleep), reads /proc/self's memory
 *   use (fstat) and the CPUs (sched_getaffinity);
 * - LeakSanitizer, at exit: its tracer is a clone() of the process that is no thread
 *   (allow_some() does not limit clone in these builds), made dumpable and allowed to trace
 *   (prctl), which runs on a stack of its own (sigaltstack), watches its parent (getppid),
 *   stops every thread (ptrace), lists them (open, getdents) and is waited for;
 *   sched_yield while it waits. A tracer killed by the filter would leave the process
 *   spinning at exit: an AddressSanitizer run of the suite shows it.
 * A report's stack is symbolised by llvm-symbolizer, a program run by fork and exec: the
 * exec is not allowed (the forked child dies of it), so the frames may come as a module and
 * an offset only; --sandbox=off for named ones.
 */
static const char *const allowed_sanitizers[] = {
	"nanosleep", "fstat", "sched_getaffinity",
	"clone", "prctl", "sigaltstack", "getppid", "ptrace", "open", "getdents", "getdents64",
	"sched_yield",
};
#endif

/*
 * Each name of @names allowed whatever its arguments; names this architecture lacks
 * skipped. Return: how many were allowed, or -1.
 */
static int allow_all(scmp_filter_ctx ctx, const char *const *names, size_t count)
{
	int allowed_here = 0;

	for (size_t i = 0; i < count; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return -1;
		allowed_here++;
	}
	return allowed_here;
}

/* A test of argument @n (libseccomp's SCMP_A0() leaves datum_b to C's zeroing, which
 * clang's -Wmissing-field-initializers refuses) */
static struct scmp_arg_cmp arg(unsigned n, enum scmp_compare op, scmp_datum_t a,
			       scmp_datum_t b)
{
	return (struct scmp_arg_cmp){.arg = n, .op = op, .datum_a = a, .datum_b = b};
}

/* The requests ioctl() may make: bytes waiting (libslirp, sim/xnu), an interface's name
 * from its index (glibc's if_indextoname(), for a netlink address event) */
static const unsigned long ioctls[] = {
	FIONREAD, SIOCGIFNAME,
#ifdef SVM_SIM_XNU
	SIOCGSKNS, /* sim/xnu's LOCAL_PEERPID: the socket's network namespace */
#endif
};

/* The sockets socket() may make: families, and for netlink the protocol */
static const struct {
	int family, protocol; /* protocol -1: any */
} sockets[] = {
	{AF_UNIX, -1}, {AF_INET, -1}, {AF_INET6, -1},
	{AF_NETLINK, NETLINK_ROUTE},     /* links, addresses (the tap back-end's repairs) */
	{AF_NETLINK, NETLINK_NETFILTER}, /* nftables (forwards, the NAT table restored) */
	{AF_NETLINK, NETLINK_SOCK_DIAG}, /* the peer watch's probe */
};

/*
 * The calls allowed on certain arguments only:
 * - clone: threads (CLONE_THREAD) and nothing else: no fork, no new namespace. clone3
 *   passes its flags in memory, which seccomp cannot read: it fails with ENOSYS, and
 *   glibc's pthread_create() falls back to clone.
 * - kill: to this process and to the hypervisor (@lim->child); tgkill: to this process's
 *   threads (raise(), abort()).
 * - socket: the families and netlink protocols above; no raw or packet sockets, no
 *   AF_ALG, no vsock, no other netlink (no audit, no kernel uevents)
 * - ioctl: the requests above only (no TIOCSTI into a terminal on stderr, no TUNSETIFF)
 * Return: how many system calls they allow (clone3 not counted), or -1.
 */
static int allow_some(scmp_filter_ctx ctx, const struct sandbox_limits *lim)
{
	scmp_datum_t self = (scmp_datum_t)getpid();

#ifndef SVM_SANITIZER /* (LeakSanitizer's tracer: see allowed_sanitizers) */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     arg(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0)
		return -1;
#endif
#ifndef SVM_SANITIZER /* (LeakSanitizer's tracer needs it: see allowed_sanitizers) */
	/*
	 * prctl: refused (EPERM) rather than fatal. The fresh-Debian CI saw the filter kill an
	 * instance on `ctl pcap start` (audit: syscall 157, uid nobody; not reproduced on the
	 * build machine): a library asking for a thread's or a mapping's name is best-effort,
	 * and every option that could matter (NO_NEW_PRIVS, SECCOMP, capabilities, dumpable)
	 * fails closed with EPERM.
	 */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 0) < 0)
		return -1;
#endif
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
			     arg(0, SCMP_CMP_EQ, self, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			     arg(0, SCMP_CMP_EQ, self, 0)) < 0)
		return -1;
	if (lim->child > 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
			     arg(0, SCMP_CMP_EQ, (scmp_datum_t)lim->child, 0)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
		struct scmp_arg_cmp family = arg(0, SCMP_CMP_EQ, (scmp_datum_t)sockets[i].family, 0);
		int r = sockets[i].protocol < 0
				? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, family)
				: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, family,
						   arg(2, SCMP_CMP_EQ,
						       (scmp_datum_t)sockets[i].protocol, 0));

		if (r < 0)
			return -1;
	}
	/* the request is an int to the kernel: its upper half is not compared */
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     arg(1, SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i])) < 0)
			return -1;
#ifdef SVM_SANITIZER
	return 4; /* kill, tgkill, socket, ioctl (clone: in allowed_sanitizers) */
#else
	return 5; /* clone, kill, tgkill, socket, ioctl */
#endif
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The filter's rules into @ctx. Return: how many system calls they allow, or -1. */
static int build_filter(scmp_filter_ctx ctx, const struct sandbox_limits *limits)
{
	int n, r;

	/* no_new_privs (libseccomp's default, said anyway) and every thread, now and later */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0)
		return -1;
	n = allow_all(ctx, allowed, COUNT(allowed));
	r = n < 0 ? -1 : allow_some(ctx, limits);
	if (r < 0)
		return -1;
	n += r;
#ifdef SVM_SIM_XNU
	r = allow_all(ctx, allowed_sim_xnu, COUNT(allowed_sim_xnu));
	if (r < 0)
		return -1;
	n += r;
#endif
#ifdef SVM_SANITIZER
	r = allow_all(ctx, allowed_sanitizers, COUNT(allowed_sanitizers));
	if (r < 0)
		return -1;
	n += r;
#endif
	return n;
}

int sandbox_confine(const struct sandbox_limits *limits, char *err, size_t err_size)
{
	/*
	 * A call outside the list kills the whole process (not only the thread: a lone dead
	 * thread would leave the others running half a service). The kernel logs it (audit
	 * type 1326, "comm=sock-vmnet ... syscall=N": kill_process is in
	 * /proc/sys/kernel/seccomp/actions_logged by default) — SECCOMP_FILTER_FLAG_LOG is
	 * not needed for that; it would log clone3's ENOSYS as well, at every thread started.
	 */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int n, r;

	if (!ctx) {
		snprintf(err, err_size, "--sandbox: cannot build the seccomp filter: out of memory");
		return -1;
	}
	n = build_filter(ctx, limits);
	if (n < 0) {
		snprintf(err, err_size, "--sandbox: cannot build the seccomp filter");
	} else if ((r = seccomp_load(ctx)) < 0) {
		snprintf(err, err_size, "--sandbox: the kernel refused the seccomp filter: %s "
			 "(--sandbox=off runs without it)", strerror(-r));
		n = -1;
	}
	seccomp_release(ctx);
	return n;
}

const char *sandbox_kind(void)
{
	return "seccomp";
}

/* enum sandbox_keep's bits, in order */
static const int keep_caps[] = {CAP_NET_ADMIN, CAP_KILL};
#define KEEP_COUNT COUNT(keep_caps)

/* The calling thread's capability sets, both 32-bit halves (version 3). */
static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};

	return (int)syscall(SYS_capget, &head, data);
}

static int caps_set(uint64_t effective, uint64_t permitted)
{
	struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {
		{.effective = (uint32_t)effective, .permitted = (uint32_t)permitted},
		{.effective = (uint32_t)(effective >> 32), .permitted = (uint32_t)(permitted >> 32)},
	};

	return (int)syscall(SYS_capset, &head, data);
}

static uint64_t caps_of(unsigned keep)
{
	uint64_t caps = 0;

	for (size_t i = 0; i < KEEP_COUNT; i++)
		if (keep & (1u << i))
			caps |= 1ull << keep_caps[i];
	return caps;
}

bool sandbox_can_keep(unsigned keep)
{
	(void)keep;
	return true;
}

unsigned sandbox_kept(void)
{
	struct __user_cap_data_struct data[2];
	uint64_t eff;
	unsigned kept = 0;

	if (caps_get(data) < 0)
		return 0;
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
	for (size_t i = 0; i < KEEP_COUNT; i++)
		if (eff & (1ull << keep_caps[i]))
			kept |= 1u << i;
	return kept;
}

/*
 * Nothing kept may come back through an exec either: every other capability leaves the
 * bounding set, while this thread is still root (that takes CAP_SETPCAP). The bounding
 * set is per thread too: the writer threads keep theirs, and hold nothing through it.
 */
static int drop_bounding(uint64_t keep)
{
	for (int cap = 0; cap <= 63; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1; /* EINVAL: a capability this kernel does not have */
	}
	return 0;
}

int sandbox_become(uid_t uid, gid_t gid, unsigned keep, char *err, size_t err_size)
{
	uint64_t caps = caps_of(keep);

	/*
	 * PR_SET_KEEPCAPS belongs to the calling thread: glibc's setuid() switches every
	 * thread, and only this one keeps its permitted set through it; the others (the
	 * writer threads, the simulation's queues) end with no capability at all.
	 */
	if ((uid != 0 && drop_bounding(caps) < 0) ||
	    prctl(PR_SET_KEEPCAPS, caps ? 1 : 0, 0, 0, 0) < 0 || setgroups(1, &gid) < 0 ||
	    setgid(gid) < 0 || setuid(uid) < 0) {
		snprintf(err, err_size, "cannot switch to uid %u gid %u: %s", (unsigned)uid,
			 (unsigned)gid, strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (uid == 0)
		return 0; /* --user=root: asked to stay root */
	if (caps && caps_set(caps, caps) < 0) {
		snprintf(err, err_size, "cannot keep capabilities 0x%llx: %s",
			 (unsigned long long)caps, strerror(errno));
		return -1;
	}
	/* As root, setuid() sets the real, effective and saved IDs alike: no way back. Checked. */
	if (setuid(0) == 0) {
		snprintf(err, err_size, "could switch back to root after the switch");
		return -1;
	}
	return 0;
}
