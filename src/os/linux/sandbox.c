// SPDX-License-Identifier: MIT
/* sandbox.c — Linux: setuid keeping named capabilities, and a seccomp allow-list (libseccomp) */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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
 * back-end of a Linux build, found by running the integration suites of the tap, user and
 * vmnet (simulated) back-ends with the filter logging instead of killing, and the e2e
 * suite (a QEMU guest). Names, not numbers: libseccomp resolves them for the architecture
 * it builds the filter for, and one an architecture lacks (open on arm64) is left out.
 * kill, tgkill, clone, clone3 and socket are not here: sandbox_confine() allows them only
 * on certain arguments.
 */
static const char *const allowed[] = {
	/* the loop: epoll, signals as a descriptor, timers; a pidfd for whoever holds the VM's
	 * end of the socket (the peer watch: it follows a hand-over) */
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "epoll_create1",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "signalfd4", "pidfd_open",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "clock_nanosleep", "nanosleep",
	/* descriptors: frames, files, pipes and eventfds (writer threads, libslirp, the sim) */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"close", "fcntl", "dup", "dup3", "pipe2", "eventfd2", "poll", "ppoll", "select",
	"pselect6", "ioctl", "lseek",
	/* sockets: the VM's, the DNS proxy's upstreams, libslirp's NAT, netlink (bridge,
	 * links, nftables: the tap back-end's repairs and forwards), the control socket */
	"recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "bind", "connect",
	"listen", "accept", "accept4", "getsockname", "getpeername", "setsockopt", "getsockopt",
	"shutdown", "socketpair",
	/* files: the lease database (SQLite: WAL, locks, fsync), the policy file read again,
	 * metrics written then renamed, captures and audit rotated, /proc read for the lease
	 * owners' identity, a capture's libpcap dlopen()ed when `ctl pcap start` asks */
	"openat", "open", "newfstatat", "fstat", "stat", "lstat", "statx", "fstatfs", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "fsync", "fdatasync",
	"ftruncate", "fallocate", "flock", "rename", "renameat", "renameat2", "unlink",
	"unlinkat", "fchmod", "fchown", "getcwd", "umask",
	/* memory: malloc, SQLite's -shm mapping, thread stacks, malloc_trim */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* threads: the capture and audit writers, the vmnet simulation's queues */
	"futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "sched_yield",
	"sched_getaffinity", "membarrier",
	/* identity: ours (the lease owner), the hypervisor's end, random numbers */
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getrandom",
	"uname", "sysinfo", "prlimit64", "getrlimit",
	/* the end: the hypervisor reaped, exit */
	"wait4", "waitid", "exit", "exit_group",
};

#ifdef SVM_SANITIZER
/* ThreadSanitizer's and AddressSanitizer's runtimes after setup: their background thread,
 * the reports (symbolised from /proc/self/maps), the shadow memory's upkeep. */
static const char *const allowed_sanitizers[] = {
	"prctl", "sched_getparam", "sched_getscheduler", "getrusage", "mincore",
	"process_vm_readv", "personality", "arch_prctl",
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

/* A test of the first argument (libseccomp's SCMP_A0() leaves datum_b to C's zeroing,
 * which clang's -Wmissing-field-initializers refuses) */
static struct scmp_arg_cmp arg0(enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	return (struct scmp_arg_cmp){.arg = 0, .op = op, .datum_a = a, .datum_b = b};
}

/*
 * The calls allowed on certain arguments only:
 * - clone: threads (CLONE_THREAD) and nothing else: no fork, no new namespace. clone3
 *   passes its flags in memory, which seccomp cannot read: it fails with ENOSYS, and
 *   glibc's pthread_create() falls back to clone.
 * - kill: to this process and to the hypervisor (@lim->child); tgkill: to this process's
 *   threads (raise(), abort()).
 * - socket: the four families in use (unix, IPv4, IPv6, netlink); no raw packets, no
 *   AF_ALG, no vsock, no Bluetooth...
 */
static int allow_some(scmp_filter_ctx ctx, const struct sandbox_limits *lim)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
	scmp_datum_t self = (scmp_datum_t)getpid();

	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     arg0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
			     arg0(SCMP_CMP_EQ, self, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			     arg0(SCMP_CMP_EQ, self, 0)) < 0)
		return -1;
	if (lim->child > 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
			     arg0(SCMP_CMP_EQ, (scmp_datum_t)lim->child, 0)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     arg0(SCMP_CMP_EQ, (scmp_datum_t)families[i], 0)) < 0)
			return -1;
	return 4; /* clone, kill, tgkill, socket (clone3 fails: not counted) */
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
