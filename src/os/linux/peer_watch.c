// SPDX-License-Identifier: MIT
/* peer_watch.c — asks Linux about the VM's end of a socketpair: open (sock_diag), whose (SO_PEERCRED) */
#include "os/peer_watch_os.h"

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

/* On Linux the probe is a NETLINK_SOCK_DIAG socket in the namespace of the VM socket. */
struct peer_probe {
	struct mnl_socket *diag;
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

struct peer_probe *peer_probe_open(int vm_fd)
{
	struct mnl_socket *diag = open_diag(vm_fd);
	struct peer_probe *p;

	if (!diag)
		return NULL;
	p = malloc(sizeof(*p));
	if (!p) {
		mnl_socket_close(diag);
		return NULL;
	}
	p->diag = diag;
	return p;
}

enum peer_state peer_probe_state(struct peer_probe *p, int vm_fd)
{
	return peer_socket_state(p ? p->diag : NULL, vm_fd);
}

void peer_probe_close(struct peer_probe *p)
{
	if (!p)
		return;
	mnl_socket_close(p->diag);
	free(p);
}

/* The peer's pid as the socket recorded it when it was connected (the pair's creator). */
pid_t os_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
}
