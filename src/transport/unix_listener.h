/* SPDX-License-Identifier: MIT */
/* unix_listener.h — a unix stream socket listening at a path: born 0600, never taken from a live owner */
#ifndef SVM_TRANSPORT_UNIX_LISTENER_H
#define SVM_TRANSPORT_UNIX_LISTENER_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

/*
 * The longest path a sockaddr_un holds, its NUL included: 104 bytes on macOS (XNU
 * bsd/sys/un.h, char sun_path[104]), 108 on Linux. Every check and buffer of a socket
 * path uses it: a path that fits one OS's sun_path overflows the other's.
 */
#define UNIX_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

/**
 * struct unix_listener - a listening socket and the file it is bound to
 * @fd: the listening socket, non-blocking and close-on-exec (-1: none)
 * @path: where it is bound
 * @dev, @ino: that file, so that only it is removed at the end (not one a later
 *             instance bound at the same path)
 */
struct unix_listener {
	int fd;
	char path[UNIX_PATH_SIZE];
	dev_t dev;
	ino_t ino;
};

/**
 * unix_listener_open() - bind and listen at @path, mode 0600 from birth
 * @l: filled in
 * @path: the path
 * @option: the option that names it, for messages ("--listen")
 * @backlog: listen()'s backlog
 * @err: why not, one line naming @option
 * @err_size: its size
 *
 * A stale socket file (no one listens there any more) is replaced; a live socket or any
 * other file is refused. Return: 0, or -1 with @err set.
 */
int unix_listener_open(struct unix_listener *l, const char *path, const char *option, int backlog,
		       char *err, size_t err_size);

/** unix_listener_close() - close it and remove its file, if that is still ours */
void unix_listener_close(struct unix_listener *l);

#endif
