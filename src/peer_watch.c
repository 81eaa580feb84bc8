// SPDX-License-Identifier: MIT
/* peer_watch.c — notices that the VM's end of a socketpair has gone, even when no frame flows */
#include "peer_watch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

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

enum peer_state peer_socket_state(int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct diag_answer answer = {0};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct unix_diag_req *req;
	struct stat st;
	unsigned seq = (unsigned)time(NULL);
	ssize_t n;
	int r = -1;

	if (fstat(fd, &st) < 0)
		return PEER_UNKNOWN;
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl)
		return PEER_UNKNOWN;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_UNIX;
	req->udiag_ino = (uint32_t)st.st_ino;
	req->udiag_show = UDIAG_SHOW_PEER;
	req->udiag_cookie[0] = req->udiag_cookie[1] = ~0U; /* no cookie: look up by inode */
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n > 0)
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), diag_cb, &answer);
out:
	mnl_socket_close(nl);
	if (r < 0 || !answer.have_peer)
		return PEER_UNKNOWN;
	return answer.peer_ino == 0 ? PEER_GONE : PEER_ALIVE;
}

static void creator_exited(struct loop_source *src, uint32_t events)
{
	struct peer_watch *w = container_of(src, struct peer_watch, src);
	enum peer_state state = peer_socket_state(w->vm_fd);

	(void)events;
	peer_watch_stop(w);
	if (state == PEER_GONE) {
		log_info("vm gone: its socket was closed (creator pid=%d exited)", (int)w->creator);
		w->on_gone(w->ctx);
	} else {
		log_debug("socketpair creator pid=%d exited; the VM end is still open", (int)w->creator);
	}
}

bool peer_watch_start(struct peer_watch *w, struct loop *loop, int vm_fd,
		      void (*on_gone)(void *ctx), void *ctx)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int pidfd;

	*w = (struct peer_watch){.loop = loop, .vm_fd = vm_fd, .on_gone = on_gone, .ctx = ctx,
				 .src.fd = -1};
	if (peer_socket_state(vm_fd) == PEER_GONE) {
		log_info("vm gone: its socket is already closed");
		on_gone(ctx);
		return false;
	}
	if (getsockopt(vm_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0 ||
	    cred.pid == getpid())
		return false;
	pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	if (pidfd < 0) {
		log_debug("cannot watch socketpair creator pid=%d: %s", (int)cred.pid,
			  strerror(errno));
		return false;
	}
	w->creator = cred.pid;
	w->src = (struct loop_source){.fd = pidfd, .on_event = creator_exited};
	if (loop_add(loop, &w->src, EPOLLIN) < 0) {
		close(pidfd);
		w->src.fd = -1;
		return false;
	}
	return true;
}

void peer_watch_stop(struct peer_watch *w)
{
	if (w->src.fd < 0)
		return;
	loop_remove(w->loop, &w->src);
	close(w->src.fd);
	w->src.fd = -1;
}
