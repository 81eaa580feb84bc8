// SPDX-License-Identifier: MIT
/* socket.c — sockets on Linux: recvmmsg/sendmmsg batches, forced buffers, close-on-exec */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "os/socket.h"

int os_recv_batch(int fd, struct sock_msg *msgs, unsigned n)
{
	struct mmsghdr mh[OS_BATCH_MAX];
	struct iovec iov[OS_BATCH_MAX];
	int got;

	if (n > OS_BATCH_MAX)
		n = OS_BATCH_MAX;
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){msgs[i].data, msgs[i].size};
		mh[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1,
						    .msg_name = msgs[i].name,
						    .msg_namelen = msgs[i].name ? msgs[i].namelen : 0}};
	}
	got = recvmmsg(fd, mh, n, MSG_DONTWAIT, NULL);
	if (got < 0)
		return -errno;
	for (int i = 0; i < got; i++) {
		msgs[i].len = mh[i].msg_len;
		msgs[i].truncated = mh[i].msg_hdr.msg_flags & MSG_TRUNC;
		msgs[i].namelen = mh[i].msg_hdr.msg_namelen;
	}
	return got;
}

int os_send_batch(int fd, const struct sock_msg *msgs, unsigned n)
{
	struct mmsghdr mh[OS_BATCH_MAX];
	struct iovec iov[OS_BATCH_MAX];
	int sent;

	if (n > OS_BATCH_MAX)
		n = OS_BATCH_MAX;
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){msgs[i].data, msgs[i].size};
		mh[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	sent = sendmmsg(fd, mh, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	return sent < 0 ? -errno : sent;
}

unsigned os_send_batch_dropped(void)
{
	return 0; /* a full peer blocks (EAGAIN): nothing is dropped here */
}

static int set_buffer(int fd, int force_opt, int opt, int size)
{
	/* root may exceed net.core.[rw]mem_max with the FORCE variant */
	if (size <= 0 || setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) == 0 ||
	    setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size)) == 0)
		return 0;
	return -errno;
}

int os_socket_buffers(int fd, int rcvbuf, int sndbuf)
{
	int r = set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
	int s = set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf);

	return r < 0 ? r : s;
}

int os_socket(int domain, int type, int protocol)
{
	int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);

	return fd < 0 ? -errno : fd;
}

int os_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int os_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
}

void os_set_nonblock_cloexec(int fd)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}
