/* SPDX-License-Identifier: MIT */
/* slirp_fds.h — libslirp's sockets, watched as one descriptor: the user back-end's port */
#ifndef SVM_BACKEND_USER_SLIRP_FDS_H
#define SVM_BACKEND_USER_SLIRP_FDS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

/**
 * struct slirp_fds - the sockets slirp asked to be watched, in a loop never run
 * @set: the loop: its descriptor (loop_fd()) is readable when one of them is ready
 * @pfds: what the last slirp_pollfds_fill() asked for, @count of them (@cap allocated);
 *        slirp_fds_poll_now() fills in their revents
 * @by_fd: what @set watches now, by descriptor number (@by_fd_cap entries)
 *
 * libslirp says anew before each wait which sockets it wants watched for what
 * (slirp_pollfds_fill()); the set is brought in line with it, changing only what changed.
 */
struct slirp_fds {
	struct loop *set;
	struct pollfd *pfds;
	unsigned count, cap;
	struct slirp_watched *by_fd;
	unsigned by_fd_cap;
	unsigned generation;
};

int slirp_fds_init(struct slirp_fds *f, char *err, size_t err_size);
void slirp_fds_fini(struct slirp_fds *f);

/** slirp_fds_fd() - the descriptor to watch for all of them */
int slirp_fds_fd(const struct slirp_fds *f);

/** slirp_fds_watch() - watch @fd for reading always (not one of slirp's). Return: 0 or -errno. */
int slirp_fds_watch(struct slirp_fds *f, int fd);

/** slirp_fds_forget() - @fd is closing (libslirp's unregister_poll_fd): out of the set */
void slirp_fds_forget(struct slirp_fds *f, int fd);

/** slirp_fds_begin() - a new fill starts: forget the last one's list */
void slirp_fds_begin(struct slirp_fds *f);

/** slirp_fds_add() - libslirp's SlirpAddPollCb: watch @fd for @events (SLIRP_POLL_*) */
int slirp_fds_add(int fd, int events, void *opaque);

/** slirp_fds_end() - the fill is over: the set watches exactly what it asked for */
void slirp_fds_end(struct slirp_fds *f);

/** slirp_fds_settle() - slirp served its sockets (or the bell was drained): loop_settle() */
void slirp_fds_settle(struct slirp_fds *f);

/** slirp_fds_poll_now() - which of the filled sockets are ready, without waiting; poll()'s result */
int slirp_fds_poll_now(struct slirp_fds *f);

/** slirp_fds_revents() - libslirp's SlirpGetREventsCb: what socket @idx is ready for */
int slirp_fds_revents(int idx, void *opaque);

#endif
