/* SPDX-License-Identifier: MIT */
/* sandbox.h — after setup: a new identity keeping named privileges, a system-call allow-list */
#ifndef SVM_OS_SANDBOX_H
#define SVM_OS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * What a process that gave up root may keep (on the thread that switched identity: the
 * loop's). Linux: capabilities; macOS has none to keep (sandbox_become() refuses them).
 */
enum sandbox_keep {
	SANDBOX_KEEP_NET_ADMIN = 1u << 0, /* links, bridges, nftables of the host (CAP_NET_ADMIN) */
	SANDBOX_KEEP_KILL = 1u << 1,      /* signal the hypervisor we started as root (CAP_KILL) */
};

/**
 * sandbox_become() - switch this process to @uid and @gid for good (the only group: @gid),
 * keeping @keep (enum sandbox_keep) on the calling thread and nothing on the others
 * (where the OS cannot keep them, see sandbox_can_keep(): nothing is kept)
 * Return: 0, or -1 with @err saying why (the switch may then be half done: exit).
 */
int sandbox_become(uid_t uid, gid_t gid, unsigned keep, char *err, size_t err_size);

/** sandbox_can_keep() - whether sandbox_become() can keep @keep on this OS */
bool sandbox_can_keep(unsigned keep);

/**
 * sandbox_kept() - what the calling thread holds of enum sandbox_keep now (effective), for
 * the log; 0 on an OS without capabilities
 */
unsigned sandbox_kept(void);

/**
 * struct sandbox_limits - the few system calls allowed only on certain arguments
 * @child: the hypervisor started by `sock-vmnet run` (0: none): kill() may reach it, and
 *         this process, and no one else
 */
struct sandbox_limits {
	pid_t child;
};

/**
 * sandbox_confine() - from now on only the system calls a running instance makes, for
 * every thread of the process and every thread it starts; any other ends the process
 * (and the kernel logs it). No exec may grant privileges either (no_new_privs).
 * Return: how many system calls are allowed (some on certain arguments only); 0 when this
 * OS has no such thing (nothing done: see sandbox_kind()); -1 with @err.
 */
int sandbox_confine(const struct sandbox_limits *limits, char *err, size_t err_size);

/** sandbox_kind() - what sandbox_confine() installs here, for the log ("seccomp"), or NULL */
const char *sandbox_kind(void);

#endif
