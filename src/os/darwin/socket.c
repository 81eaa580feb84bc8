// SPDX-License-Identifier: MIT
/* socket.c — sockets on macOS: recvmsg_x/sendmsg_x batches, a bounded ENOBUFS retry, SO_NOSIGPIPE */
#include <errno.h>
#include <fcntl.h>
#include <os/availability.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "os/socket.h"

/*
 * XNU's batch calls (private, in libSystem since 10.11, used by Apple's own networking):
 * our own declaration of their documented-in-source layout. Used from macOS 14 on, the
 * brief's floor for them; weakly imported, so a system without them takes one call per
 * frame instead.
 */
struct msghdr_x {
	void *msg_name;
	socklen_t msg_namelen;
	struct iovec *msg_iov;
	int msg_iovlen;
	void *msg_control;
	socklen_t msg_controllen;
	int msg_flags;
	size_t msg_datalen; /* received: the datagram's length */
};
extern ssize_t recvmsg_x(int s, const struct msghdr_x *msgp, unsigned cnt, int flags)
	__attribute__((weak_import)) API_AVAILABLE(macos(14.0));
extern ssize_t sendmsg_x(int s, const struct msghdr_x *msgp, unsigned cnt, int flags)
	__attribute__((weak_import)) API_AVAILABLE(macos(14.0));

/*
 * A full AF_UNIX datagram receiver answers ENOBUFS, and nothing tells when it has room
 * again (the sender's own buffer is empty, so it polls writable). socket_vmnet-like helpers
 * first retried without bound, which stalled every other flow (HTTP/2 keepalives broke);
 * 10 tries 50 µs apart — 0.5 ms per call at most — then dropping is what they settled on.
 */
#define ENOBUFS_TRIES 10
#define ENOBUFS_WAIT_NS 50000

static unsigned long dropped_frames;

unsigned os_send_batch_dropped(void)
{
	unsigned n = (unsigned)dropped_frames;

	dropped_frames = 0;
	return n;
}

static bool have_batch_calls(void)
{
	if (__builtin_available(macOS 14.0, *))
		return recvmsg_x != NULL && sendmsg_x != NULL;
	return false;
}

static int recv_one(int fd, struct sock_msg *m)
{
	struct iovec iov = {m->data, m->size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_name = m->name,
			    .msg_namelen = m->name ? m->namelen : 0};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	m->len = (uint32_t)n;
	m->truncated = mh.msg_flags & MSG_TRUNC;
	m->namelen = mh.msg_namelen;
	return 1;
}

static int recv_batch_x(int fd, struct sock_msg *msgs, unsigned n) API_AVAILABLE(macos(14.0))
{
	struct msghdr_x mh[OS_BATCH_MAX];
	struct iovec iov[OS_BATCH_MAX];
	ssize_t got;

	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){msgs[i].data, msgs[i].size};
		mh[i] = (struct msghdr_x){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	got = recvmsg_x(fd, mh, n, MSG_DONTWAIT);
	if (got < 0)
		return -errno;
	for (ssize_t i = 0; i < got; i++) {
		/* a datagram longer than its buffer fills it: the caller's buffers hold one byte
		 * more than the largest frame, so such a length shows as oversize anyway */
		msgs[i].len = (uint32_t)mh[i].msg_datalen;
		msgs[i].truncated = (mh[i].msg_flags & MSG_TRUNC) || mh[i].msg_datalen >= msgs[i].size;
		msgs[i].namelen = 0;
	}
	return (int)got;
}

int os_recv_batch(int fd, struct sock_msg *msgs, unsigned n)
{
	int got = 0;

	if (n > OS_BATCH_MAX)
		n = OS_BATCH_MAX;
	if (n > 1 && !msgs[0].name && have_batch_calls()) {
		if (__builtin_available(macOS 14.0, *))
			return recv_batch_x(fd, msgs, n);
	}
	while ((unsigned)got < n) {
		int r = recv_one(fd, &msgs[got]);

		if (r < 0)
			return got ? got : r;
		got++;
	}
	return got;
}

/* Datagrams from @msgs the socket takes now: sendmsg_x, or one sendmsg() each. */
static int send_some(int fd, const struct sock_msg *msgs, unsigned n)
{
	if (n > 1 && have_batch_calls()) {
		if (__builtin_available(macOS 14.0, *)) {
			struct msghdr_x mh[OS_BATCH_MAX];
			struct iovec iov[OS_BATCH_MAX];
			ssize_t sent;

			for (unsigned i = 0; i < n; i++) {
				iov[i] = (struct iovec){msgs[i].data, msgs[i].size};
				mh[i] = (struct msghdr_x){.msg_iov = &iov[i], .msg_iovlen = 1};
			}
			sent = sendmsg_x(fd, mh, n, MSG_DONTWAIT);
			return sent < 0 ? -errno : (int)sent;
		}
	}
	return send(fd, msgs[0].data, msgs[0].size, MSG_DONTWAIT) < 0 ? -errno : 1;
}

int os_send_batch(int fd, const struct sock_msg *msgs, unsigned n)
{
	const struct timespec wait = {0, ENOBUFS_WAIT_NS};
	unsigned sent = 0, tries = 0;

	if (n > OS_BATCH_MAX)
		n = OS_BATCH_MAX;
	while (sent < n) {
		int r = send_some(fd, msgs + sent, n - sent);

		if (r > 0) {
			sent += (unsigned)r;
			continue;
		}
		if (r == -EINTR)
			continue;
		if (r != -ENOBUFS)
			return sent ? (int)sent : r;
		if (tries++ < ENOBUFS_TRIES) {
			nanosleep(&wait, NULL);
			continue;
		}
		/* the VM did not make room in 0.5 ms: what is left of this call is dropped */
		dropped_frames += n - sent;
		return (int)n;
	}
	return (int)sent;
}

int os_socket_buffers(int fd, int rcvbuf, int sndbuf)
{
	/* no privileged variant: kern.ipc.maxsockbuf (8 MiB by default) is the limit */
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		return -errno;
	if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		return -errno;
	return 0;
}

void os_set_nonblock_cloexec(int fd)
{
	int one = 1;

	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* no MSG_NOSIGNAL on every call here: a socket that never raises SIGPIPE */
	setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one)); /* fails on a non-socket */
}

int os_socket(int domain, int type, int protocol)
{
	int fd = socket(domain, type, protocol);

	if (fd < 0)
		return -errno;
	os_set_nonblock_cloexec(fd);
	return fd;
}

int os_accept(int listen_fd)
{
	int fd = accept(listen_fd, NULL, NULL);

	if (fd < 0)
		return -errno;
	os_set_nonblock_cloexec(fd);
	return fd;
}

int os_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -errno;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}
