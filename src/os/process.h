/* SPDX-License-Identifier: MIT */
/* process.h — processes as the OS knows them: identity across pid reuse, and exec hygiene */
#ifndef SVM_OS_PROCESS_H
#define SVM_OS_PROCESS_H

#include <stdint.h>
#include <sys/types.h>

#define BOOT_ID_SIZE 40

/**
 * struct process_identity - a process, told apart from any later one with the same pid
 * @pid: 0 for nobody
 * @start_time: when it started, in the OS's own unit (Linux: clock ticks after boot,
 *              /proc/PID/stat field 22)
 * @boot_id: this boot of the machine (Linux: /proc/sys/kernel/random/boot_id)
 * @pid_ns: its PID namespace (Linux: the inode of /proc/self/ns/pid); 0 where the OS has
 *          none: every process is then in ours
 */
struct process_identity {
	int64_t pid;
	int64_t start_time;
	char boot_id[BOOT_ID_SIZE];
	int64_t pid_ns;
};

/**
 * process_identity_self() - this process
 * Return: 0, or -errno when the OS would not say.
 */
int process_identity_self(struct process_identity *id);

/**
 * process_start_time() - when process @pid (in our PID namespace) started
 * Return: 0 with @start set; -ESRCH when there is no such process or it has ended (a
 * zombie counts as ended); another -errno when the OS would not say.
 */
int process_start_time(int64_t pid, int64_t *start);

/**
 * process_set_parent_death_signal() - have @sig sent to us when our parent dies, and
 * check that it has not died already (@parent is who it should be)
 * Return: 0, or -1 when the parent is gone or the OS cannot do it. Async-signal-safe.
 */
int process_set_parent_death_signal(int sig, pid_t parent);

/**
 * process_reset_signals() - every signal to its default action, none blocked: for a child
 * about to exec, which must not inherit what sock-vmnet set up. Async-signal-safe.
 */
void process_reset_signals(void);

/** process_forbid_new_privileges() - no exec may grant privileges from now on (best effort) */
void process_forbid_new_privileges(void);

#endif
