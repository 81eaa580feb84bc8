/* SPDX-License-Identifier: MIT */
/* peer_watch.h — notices that the VM's end of a socketpair has gone, even when no frame flows */
#ifndef SVM_PEER_WATCH_H
#define SVM_PEER_WATCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "loop.h"

struct mnl_socket;

enum peer_state { PEER_ALIVE, PEER_GONE, PEER_UNKNOWN };

/**
 * peer_socket_state() - is the other end of our connected AF_UNIX socket still open?
 * @diag: a NETLINK_SOCK_DIAG socket in the namespace of @fd's socket
 * @fd: our end
 *
 * Asks the kernel (sock_diag, UNIX_DIAG_PEER): a closed peer reports inode 0.
 * Return: PEER_UNKNOWN when the kernel cannot tell (another network namespace...).
 */
enum peer_state peer_socket_state(struct mnl_socket *diag, int fd);

/**
 * struct peer_watch - watches the process that created the VM socketpair
 * @src: the pidfd of that process, in the loop
 * @vm_fd: our end of the socketpair
 * @on_gone: called once the VM's end is known to be closed
 * @ctx: for @on_gone
 *
 * A SOCK_DGRAM socket gets no hang-up when its peer closes, so the creator's exit
 * (pidfd readable) is the moment to ask peer_socket_state(). A creator that exits
 * while the VM end lives on elsewhere leaves the watch idle; a send then fails with
 * ECONNREFUSED when the VM goes.
 */
struct peer_watch {
	struct loop_source src;
	struct loop *loop;
	struct mnl_socket *diag;
	int vm_fd;
	pid_t creator;
	void (*on_gone)(void *ctx);
	void *ctx;
};

/**
 * peer_watch_start() - start watching; calls @on_gone at once if the VM end is closed
 * Return: true when a watch is running (false: nothing to watch, e.g. we made the pair).
 */
bool peer_watch_start(struct peer_watch *w, struct loop *loop, int vm_fd,
		      void (*on_gone)(void *ctx), void *ctx);
void peer_watch_stop(struct peer_watch *w);

#endif
