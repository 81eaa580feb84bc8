// SPDX-License-Identifier: MIT
/* peer_watch.c — notices that the VM's end of a socketpair has gone, even when no frame flows */
#include "os/peer_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "os/socket.h"

enum peer_state { PEER_ALIVE, PEER_GONE, PEER_UNKNOWN };

/**
 * struct peer_watch - the creator of the VM socketpair, watched
 * @creator: its exit, in the loop
 * @diag: a NETLINK_SOCK_DIAG socket in the namespace of @vm_fd's socket
 * @vm_fd: our end of the socketpair
 */
struct peer_watch {
	struct loop_process creator;
	struct loop *loop;
	struct mnl_socket *diag;
	int vm_fd;
	bool watching;
	void (*on_gone)(void *ctx);
	void *ctx;
};

struct diag_answer {
	bool have_peer;
	uint32_t peer_ino;
};

static int diag_attr_cb(const struct nlattr *attr, void *data)
{
	struct diag_answer *a = data;

	if (mnl_attr_get_type(attr) == UNIX_DIAG_PEER &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
		a->have_peer = true;
		a->peer_ino = mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct unix_diag_msg), diag_attr_cb, data);
	return MNL_CB_OK;
}

/*
 * sock_diag answers only for sockets of its own network namespace, and the hypervisor may
 * have made the socketpair in another one than ours: open the diag socket in the VM
 * socket's namespace (SIOCGSKNS), while we still have the privilege to enter it.
 */
static struct mnl_socket *open_diag(int fd)
{
	struct mnl_socket *nl = NULL;
	int theirs = ioctl(fd, SIOCGSKNS);
	int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (theirs >= 0 && ours >= 0 && setns(theirs, CLONE_NEWNET) == 0) {
		nl = mnl_socket_open(NETLINK_SOCK_DIAG);
		if (setns(ours, CLONE_NEWNET) < 0) {
			log_error("cannot return to our network namespace: %s", strerror(errno));
			abort();
		}
	} else {
		nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	}
	if (theirs >= 0)
		close(theirs);
	if (ours >= 0)
		close(ours);
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		nl = NULL;
	}
	return nl;
}

/*
 * Is the other end of our connected AF_UNIX socket still open? sock_diag (UNIX_DIAG_PEER)
 * says: a closed peer reports inode 0. PEER_UNKNOWN when the kernel cannot tell.
 */
static enum peer_state peer_socket_state(struct mnl_socket *diag, int fd)
{
	char buf[8192]; /* one unix_diag_msg with one attribute: far less */
	struct diag_answer answer = {0};
	struct nlmsghdr *nlh;
	struct unix_diag_req *req;
	struct stat st;
	unsigned seq = (unsigned)time(NULL);
	ssize_t n;
	int r = -1;

	if (!diag || fstat(fd, &st) < 0)
		return PEER_UNKNOWN;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_UNIX;
	req->udiag_ino = (uint32_t)st.st_ino;
	req->udiag_show = UDIAG_SHOW_PEER;
	req->udiag_cookie[0] = req->udiag_cookie[1] = ~0U; /* no cookie: look up by inode */
	if (mnl_socket_sendto(diag, nlh, nlh->nlmsg_len) < 0)
		return PEER_UNKNOWN;
	n = mnl_socket_recvfrom(diag, buf, sizeof(buf));
	if (n > 0)
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(diag), diag_cb, &answer);
	if (r < 0 || !answer.have_peer)
		return PEER_UNKNOWN;
	return answer.peer_ino == 0 ? PEER_GONE : PEER_ALIVE;
}

static void stop(struct peer_watch *w)
{
	if (w->diag) {
		mnl_socket_close(w->diag);
		w->diag = NULL;
	}
	if (w->watching)
		loop_unwatch_process(w->loop, &w->creator);
	w->watching = false;
}

static void creator_exited(struct loop_process *p)
{
	struct peer_watch *w = container_of(p, struct peer_watch, creator);
	enum peer_state state = peer_socket_state(w->diag, w->vm_fd);

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
				 .creator.on_exit = creator_exited};
	w->diag = open_diag(vm_fd);
	if (peer_socket_state(w->diag, vm_fd) == PEER_GONE) {
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
