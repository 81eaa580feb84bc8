/* SPDX-License-Identifier: MIT */
/* socket.h — what sockets offer beyond POSIX, each OS its own way: batches, buffers, peers */
#ifndef SVM_OS_SOCKET_H
#define SVM_OS_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Most datagrams one os_recv_batch()/os_send_batch() call moves (Linux: one recvmmsg). */
#define OS_BATCH_MAX 256

/**
 * struct sock_msg - one datagram of a batch
 * @data: its bytes (to send), or where it goes (received)
 * @size: its length (to send), or the room at @data (received)
 * @len: received: the datagram's length (at most @size)
 * @truncated: received: the datagram did not fit in @size and was cut
 * @name: received: where to put the sender's address, or NULL
 * @namelen: received: the room at @name, then the address's length
 */
struct sock_msg {
	void *data;
	size_t size;
	uint32_t len;
	bool truncated;
	void *name;
	socklen_t namelen;
};

/**
 * os_recv_batch() - receive up to @n datagrams without blocking
 * Return: how many (at least 1), or -errno (-EAGAIN: none waiting).
 */
int os_recv_batch(int fd, struct sock_msg *msgs, unsigned n);

/**
 * os_send_batch() - send up to @n datagrams on a connected socket without blocking
 * Return: how many the socket took, in order (fewer: the next would block or fail), or
 * -errno when not even the first was taken.
 */
int os_send_batch(int fd, const struct sock_msg *msgs, unsigned n);

/**
 * os_send_batch_dropped() - datagrams os_send_batch() dropped since the last call, and
 * counted as taken: a full AF_UNIX datagram peer answers ENOBUFS on macOS, with nothing
 * to wait for, so after a short bounded retry the frames go. Always 0 on Linux, where a
 * full peer blocks the sender (EAGAIN) and the relay waits.
 */
unsigned os_send_batch_dropped(void);

/**
 * os_socket_buffers() - ask for @rcvbuf/@sndbuf bytes of socket buffer (0: leave as is)
 *
 * Beyond the system's limit where the privilege allows it (Linux: SO_RCVBUFFORCE).
 * Return: 0, or -errno of the first size that could not be set.
 */
int os_socket_buffers(int fd, int rcvbuf, int sndbuf);

/** os_socket() - socket(), non-blocking and close-on-exec. Return: the fd, or -errno. */
int os_socket(int domain, int type, int protocol);

/** os_accept() - accept(), the new socket non-blocking and close-on-exec; or -errno */
int os_accept(int listen_fd);

/** os_pipe() - pipe() with both ends close-on-exec. Return: 0, or -errno. */
int os_pipe(int fds[2]);

/** os_set_nonblock_cloexec() - make a descriptor we were given non-blocking, close-on-exec */
void os_set_nonblock_cloexec(int fd);

/**
 * os_peer_pid() - a process at the other end of a unix socket; 0 when unknown
 *
 * Linux: the one that connected it or made the pair (SO_PEERCRED), for good. macOS: the
 * last one that used the peer's socket (LOCAL_PEERPID): asked again, it may name another.
 * Defined with the peer watch (os/<os>/peer_watch.c).
 */
pid_t os_peer_pid(int fd);

#endif
