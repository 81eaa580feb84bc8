// SPDX-License-Identifier: MIT
/* peer_watch.c — asks macOS about the VM's end of a socketpair: open, and whose (LOCAL_PEERPID) */
#include "os/peer_watch_os.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "os/socket.h"

/*
 * Is the other end of our connected AF_UNIX socket still open? XNU disconnects a socket
 * whose datagram peer closes (unp_drop), and LOCAL_PEERPID asks the peer's socket: on a
 * disconnected socket it fails with ENOTCONN. (Unverified on a Mac: see README.)
 */
static enum peer_state peer_socket_state(int fd)
{
	pid_t pid;
	socklen_t len = sizeof(pid);

	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0)
		return PEER_ALIVE;
	return errno == ENOTCONN ? PEER_GONE : PEER_UNKNOWN;
}

/* Nothing to keep: LOCAL_PEERPID asks the socket itself. */
struct peer_probe *peer_probe_open(int vm_fd)
{
	(void)vm_fd;
	return NULL;
}

enum peer_state peer_probe_state(struct peer_probe *p, int vm_fd)
{
	(void)p;
	return peer_socket_state(vm_fd);
}

void peer_probe_close(struct peer_probe *p)
{
	(void)p;
}

/*
 * LOCAL_PEERPID names the last process that used the peer's socket, not its creator:
 * XNU's uipc_ctloutput() returns the peer socket's so->last_pid, which
 * so_update_last_owner_locked() sets on every send, receive, poll and kevent
 * registration (bsd/kern/uipc_socket.c). Right after socketpair() that is the creator;
 * once the hypervisor has used its end, the hypervisor.
 */
pid_t os_peer_pid(int fd)
{
	pid_t pid = 0;
	socklen_t len = sizeof(pid);

	return getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0 ? pid : 0;
}
