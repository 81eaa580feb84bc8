// SPDX-License-Identifier: MIT
/* unix_listener.c — a unix stream socket listening at a path: born 0600, never taken from a live owner */
#include "transport/unix_listener.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "os/socket.h"

/* A socket file at @path: true if a server answers there (a live instance). */
static bool socket_in_use(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = os_socket(AF_UNIX, SOCK_STREAM, 0);
	bool live;

	if (fd < 0)
		return false;
	strcpy(addr.sun_path, path);
	/* EAGAIN: its queue is full, so it is alive too */
	live = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

int unix_listener_open(struct unix_listener *l, const char *path, const char *option, int backlog,
		       char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old_mask;
	int fd, r;

	*l = (struct unix_listener){.fd = -1};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, err_size, "%s: \"%s\" is too long for a socket path", option, path);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "%s: \"%s\" exists and is not a socket", option, path);
			return -1;
		}
		if (socket_in_use(path)) {
			snprintf(err, err_size, "%s: \"%s\" is in use: another process listens there",
				 option, path);
			return -1;
		}
		unlink(path);
	}
	fd = os_socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		snprintf(err, err_size, "%s: socket(): %s", option, strerror(-fd));
		return -1;
	}
	strcpy(addr.sun_path, path);
	old_mask = umask(0177); /* born 0600: no window in which others may connect */
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, backlog) < 0 || lstat(path, &st) < 0) {
		snprintf(err, err_size, "%s: cannot listen on \"%s\": %s", option, path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	strcpy(l->path, path);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

void unix_listener_close(struct unix_listener *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	if (l->path[0] && lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	l->fd = -1;
	l->path[0] = '\0';
}
