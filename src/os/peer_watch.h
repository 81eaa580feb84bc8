/* SPDX-License-Identifier: MIT */
/* peer_watch.h — notices that the VM's end of a socketpair has gone, even when no frame flows */
#ifndef SVM_OS_PEER_WATCH_H
#define SVM_OS_PEER_WATCH_H

#include "core/loop.h"

struct peer_watch;

/**
 * peer_watch_start() - watch the VM's end of our connected AF_UNIX socket
 * @loop: the loop to watch in
 * @vm_fd: our end
 * @on_gone: called once the VM's end is known to be closed (perhaps before this returns)
 * @ctx: for @on_gone
 *
 * A SOCK_DGRAM socket gets no hang-up when its peer closes, so the process that created
 * the socketpair is watched instead: when it exits, the OS is asked whether the VM's end
 * is still open. If it is, the OS is asked who holds it now (os_peer_pid()): macOS names
 * the last process that used it (the hypervisor a launcher handed it to), which is
 * watched in turn. Linux names the creator for good: the watch goes idle, and a send
 * fails with ECONNREFUSED when the VM goes.
 *
 * Return: the watch, or NULL when there is nothing to watch (we made the pair ourselves,
 * or the OS cannot tell): then only a failing send tells.
 */
struct peer_watch *peer_watch_start(struct loop *loop, int vm_fd, void (*on_gone)(void *ctx),
				    void *ctx);
void peer_watch_stop(struct peer_watch *w);

#endif
