// SPDX-License-Identifier: MIT
/* peer_watch.c — notices on macOS that the VM's end of a socketpair has gone: LOCAL_PEERPID, EVFILT_PROC */
#include "os/peer_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "os/socket.h"

enum peer_state { PEER_ALIVE, PEER_GONE, PEER_UNKNOWN };

/**
 * struct peer_watch - the creator of the VM socketpair, watched (EVFILT_PROC)
 * @vm_fd: our end of the socketpair
 */
struct peer_watch {
	struct loop_process creator;
	struct loop *loop;
	int vm_fd;
	bool watching;
	void (*on_gone)(void *ctx);
	void *ctx;
};

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

static void stop(struct peer_watch *w)
{
	if (w->watching)
		loop_unwatch_process(w->loop, &w->creator);
	w->watching = false;
}

static void creator_exited(struct loop_process *p)
{
	struct peer_watch *w = container_of(p, struct peer_watch, creator);
	enum peer_state state = peer_socket_state(w->vm_fd);

	stop(w);
	if (state == PEER_GONE) {
		log_info("vm gone: its socket was closed (creator pid=%d exited)", (int)p->pid);
		w->on_gone(w->ctx);
	} else {
		log_debug("socketpair creator pid=%d exited; the VM end is still open", (int)p->pid);
	}
}

struct peer_watch *peer_watch_start(struct loop *loop, int vm_fd, void (*on_gone)(void *ctx),
				    void *ctx)
{
	struct peer_watch *w = calloc(1, sizeof(*w));
	pid_t creator;
	int r;

	if (!w)
		return NULL;
	*w = (struct peer_watch){.loop = loop, .vm_fd = vm_fd, .on_gone = on_gone, .ctx = ctx,
				 .creator.on_exit = creator_exited, .creator.impl.fd = -1};
	if (peer_socket_state(vm_fd) == PEER_GONE) {
		log_info("vm gone: its socket is already closed");
		free(w);
		on_gone(ctx);
		return NULL;
	}
	creator = os_peer_pid(vm_fd);
	if (creator <= 0 || creator == getpid())
		goto none;
	r = loop_watch_process(loop, &w->creator, creator);
	if (r < 0) {
		log_debug("cannot watch socketpair creator pid=%d: %s", (int)creator, strerror(-r));
		goto none;
	}
	w->watching = true;
	return w;
none:
	free(w);
	return NULL;
}

void peer_watch_stop(struct peer_watch *w)
{
	if (!w)
		return;
	stop(w);
	free(w);
}
