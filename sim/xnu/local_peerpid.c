// SPDX-License-Identifier: MIT
/* local_peerpid.c — XNU's LOCAL_PEERPID on Linux: the last process that used the peer's socket */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/unix_diag.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "kq.h"

/*
 * XNU (xnu-11417.101.15), bsd/kern/uipc_usrreq.c, uipc_ctloutput(), LOCAL_PEERPID:
 * ENOTCONN when the socket has no peer any more (a datagram socketpair whose other end
 * closed is disconnected: unp_detach() -> unp_drop() -> unp_disconnect()); otherwise the
 * peer socket's so->last_pid. That is the process that created it (socreate_internal())
 * until another process uses it: so_update_last_owner_locked() runs on send, receive,
 * poll/select and kevent registration (uipc_socket.c), so after a hypervisor has used its
 * end, LOCAL_PEERPID names the hypervisor, not the launcher that made the pair.
 *
 * Linux keeps no such field. The model: the pair's creator (SO_PEERCRED) while it still
 * holds the peer's socket, else the first live process that holds it (/proc/PID/fd) —
 * the one that uses it now, as far as anything outside XNU can tell. Whether the peer is
 * open is sock_diag's UNIX_DIAG_PEER (inode 0: closed), asked in the socket's network
 * namespace. Linked with -Wl,--wrap=getsockopt (sim/xnu/meson.build).
 */

int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/* A netlink sock_diag socket in @fd's network namespace (ours if we may not enter it). */
static int diag_socket(int fd)
{
	int theirs = ioctl(fd, SIOCGSKNS), ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nl = -1;

	if (theirs >= 0 && ours >= 0 && setns(theirs, CLONE_NEWNET) == 0) {
		nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (setns(ours, CLONE_NEWNET) < 0)
			abort(); /* a thread in another namespace: nothing after this is right */
	} else {
		nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	}
	if (theirs >= 0)
		__real_close(theirs);
	if (ours >= 0)
		__real_close(ours);
	return nl;
}

/* The inode of @fd's peer socket (0: closed). Return: 0, or -1 when the kernel would not say. */
static int peer_inode(int fd, uint32_t *peer)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} ask = {
		.nlh = {.nlmsg_len = sizeof(ask), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1},
		.req = {.sdiag_family = AF_UNIX, .udiag_show = UDIAG_SHOW_PEER,
			.udiag_cookie = {~0U, ~0U}},
	};
	char buf[8192]; /* one unix_diag_msg and an attribute: far less */
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct stat st;
	ssize_t n;
	int nl, found = -1;

	if (fstat(fd, &st) < 0)
		return -1;
	ask.req.udiag_ino = (uint32_t)st.st_ino;
	nl = diag_socket(fd);
	if (nl < 0)
		return -1;
	if (send(nl, &ask, sizeof(ask), 0) == (ssize_t)sizeof(ask) &&
	    (n = recv(nl, buf, sizeof(buf), 0)) > 0 && NLMSG_OK(nlh, (size_t)n) &&
	    nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
		struct unix_diag_msg *msg = NLMSG_DATA(nlh);
		struct nlattr *a = (struct nlattr *)(msg + 1);
		int left = (int)nlh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*msg));

		*peer = 0;
		found = 0;
		while (left >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left) {
			if (a->nla_type == UNIX_DIAG_PEER)
				memcpy(peer, a + 1, sizeof(*peer));
			left -= NLA_ALIGN(a->nla_len);
			a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
		}
	}
	__real_close(nl);
	return found;
}

/* Whether process @pid has socket inode @ino open. */
static bool holds(pid_t pid, uint32_t ino)
{
	char dir[64], link[64], want[32];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%u]", ino);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		char path[sizeof(dir) + 260];
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(d);
	return found;
}

/* The model of the peer socket's last_pid (see above); 0 when nobody can be found. */
static pid_t last_user(int fd, uint32_t peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	pid_t found = 0;
	struct dirent *e;
	DIR *d;

	if (__real_getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0 &&
	    holds(cred.pid, peer))
		return cred.pid;
	d = opendir("/proc");
	if (!d)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 0 && pid != getpid() && holds(pid, peer))
			found = pid;
	}
	closedir(d);
	return found ? found : cred.pid;
}

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	uint32_t peer;
	pid_t pid;

	if (level != SOL_LOCAL || name != LOCAL_PEERPID)
		return __real_getsockopt(fd, level, name, val, len);
	if (!val || !len || *len < sizeof(pid_t)) {
		errno = EINVAL;
		return -1;
	}
	if (peer_inode(fd, &peer) < 0) {
		errno = EOPNOTSUPP; /* not a unix socket, or the kernel would not say */
		return -1;
	}
	if (peer == 0) {
		errno = ENOTCONN;
		return -1;
	}
	pid = last_user(fd, peer);
	memcpy(val, &pid, sizeof(pid));
	*len = sizeof(pid);
	return 0;
}
