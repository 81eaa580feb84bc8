// SPDX-License-Identifier: MIT
/* peer_watch_common.c — the peer watch of every OS: the creator's exit, then the OS is asked */
#include "os/peer_watch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "os/peer_watch_os.h"
#include "os/socket.h"

/**
 * struct peer_watch - the process that holds the VM's end of the socketpair, watched
 * @creator: its exit, in the loop (the pair's creator first; on macOS then whoever
 *           LOCAL_PEERPID names: the last process that used the VM's end)
 * @loop: the loop it is watched in
 * @probe: what the OS keeps to ask about the VM's end (peer_watch_os.h)
 * @vm_fd: our end of the socketpair
 * @watching: @creator is in the loop
 * @on_gone: called once the VM's end is known to be closed
 * @ctx: for @on_gone
 */
struct peer_watch {
	struct loop_process creator;
	struct loop *loop;
	struct peer_probe *probe;
	int vm_fd;
	bool watching;
	void (*on_gone)(void *ctx);
	void *ctx;
};

static void stop(struct peer_watch *w)
{
	peer_probe_close(w->probe);
	w->probe = NULL;
	if (w->watching)
		loop_unwatch_process(w->loop, &w->creator);
	w->watching = false;
}

/*
 * The VM's end is still open after the process we watched exited: ask again who holds
 * it. On macOS LOCAL_PEERPID names the last process that used the peer's socket (XNU
 * uipc_ctloutput() returns so->last_pid, which so_update_last_owner_locked() moves to
 * every process that sends, receives, polls or registers a kevent on it): a launcher that
 * made the pair and left names the hypervisor now, and its exit is the one to wait for.
 * Linux's SO_PEERCRED names the creator for good: the same pid comes back, and the watch
 * ends (a failing send tells then). Return: whether a new process is watched.
 */
static bool watch_next_holder(struct peer_watch *w, pid_t gone)
{
	pid_t next = os_peer_pid(w->vm_fd);
	int r;

	if (next <= 0 || next == gone || next == getpid())
		return false;
	r = loop_watch_process(w->loop, &w->creator, next);
	if (r < 0) {
		log_debug("cannot watch pid=%d, the last user of the VM's end: %s", (int)next,
			  strerror(-r));
		return false;
	}
	w->watching = true;
	log_debug("pid=%d exited; the VM's end is still open, last used by pid=%d: watching it",
		  (int)gone, (int)next);
	return true;
}

static void creator_exited(struct loop_process *p)
{
	struct peer_watch *w = container_of(p, struct peer_watch, creator);
	enum peer_state state = peer_probe_state(w->probe, w->vm_fd);
	pid_t gone = p->pid;

	if (w->watching)
		loop_unwatch_process(w->loop, &w->creator);
	w->watching = false;
	if (state == PEER_GONE) {
		stop(w);
		log_info("vm gone: its socket was closed (pid=%d exited)", (int)gone);
		w->on_gone(w->ctx);
	} else if (!watch_next_holder(w, gone)) {
		stop(w);
		log_debug("pid=%d exited; the VM end is still open", (int)gone);
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
	w->probe = peer_probe_open(vm_fd);
	if (peer_probe_state(w->probe, vm_fd) == PEER_GONE) {
		log_info("vm gone: its socket is already closed");
		stop(w);
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
	stop(w);
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
