// SPDX-License-Identifier: MIT
/* slirp_fds.c — libslirp's sockets, watched as one descriptor: the user back-end's port */
#include "backend/user/slirp_fds.h"

#include <errno.h>
#include <libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/**
 * struct slirp_watched - one descriptor in the set
 * @src: its source in the set (never dispatched: the set is never run)
 * @events: the LOOP_* it is watched for (0: not in the set)
 * @seen: the generation of the last fill that asked for it
 * @always: not one of slirp's (the back-end's pipe): stays whatever the fills say
 */
struct slirp_watched {
	struct loop_source src;
	uint32_t events;
	unsigned seen;
	bool always;
};

static void never_dispatched(struct loop_source *src, uint32_t events)
{
	(void)src;
	(void)events;
}

int slirp_fds_init(struct slirp_fds *f, char *err, size_t err_size)
{
	*f = (struct slirp_fds){.set = loop_new()};
	if (!f->set) {
		snprintf(err, err_size, "user: out of memory");
		return -1;
	}
	return 0;
}

void slirp_fds_fini(struct slirp_fds *f)
{
	for (unsigned fd = 0; fd < f->by_fd_cap; fd++)
		if (f->by_fd[fd].events && f->set)
			loop_remove(f->set, &f->by_fd[fd].src);
	loop_free(f->set);
	free(f->pfds);
	free(f->by_fd);
	*f = (struct slirp_fds){0};
}

int slirp_fds_fd(const struct slirp_fds *f)
{
	return loop_fd(f->set);
}

static struct slirp_watched *entry(struct slirp_fds *f, int fd)
{
	if (fd < 0)
		return NULL;
	if ((unsigned)fd >= f->by_fd_cap) {
		unsigned cap = f->by_fd_cap ? f->by_fd_cap : 64;
		struct slirp_watched *more;

		while (cap <= (unsigned)fd)
			cap *= 2;
		more = realloc(f->by_fd, cap * sizeof(*more));
		if (!more)
			return NULL;
		memset(more + f->by_fd_cap, 0, (cap - f->by_fd_cap) * sizeof(*more));
		f->by_fd = more;
		f->by_fd_cap = cap;
	}
	return &f->by_fd[fd];
}

/* Watch @fd for @events (0: not at all), changing the set only if it changes. */
static int set_events(struct slirp_fds *f, struct slirp_watched *w, int fd, uint32_t events)
{
	int r = 0;

	if (w->events == events)
		return 0;
	if (!events)
		loop_remove(f->set, &w->src);
	else if (!w->events) {
		w->src = (struct loop_source){.fd = fd, .on_event = never_dispatched};
		r = loop_add(f->set, &w->src, events);
	} else
		r = loop_modify(f->set, &w->src, events);
	w->events = r < 0 ? 0 : events;
	return r;
}

int slirp_fds_watch(struct slirp_fds *f, int fd)
{
	struct slirp_watched *w = entry(f, fd);

	if (!w)
		return -ENOMEM;
	w->always = true;
	return set_events(f, w, fd, LOOP_IN);
}

void slirp_fds_forget(struct slirp_fds *f, int fd)
{
	if (fd >= 0 && (unsigned)fd < f->by_fd_cap && !f->by_fd[fd].always)
		set_events(f, &f->by_fd[fd], fd, 0);
}

void slirp_fds_begin(struct slirp_fds *f)
{
	f->count = 0;
	f->generation++;
}

int slirp_fds_add(int fd, int events, void *opaque)
{
	struct slirp_fds *f = opaque;
	short ev = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
			   ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
			   ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));

	if (f->count == f->cap) {
		unsigned cap = f->cap ? 2 * f->cap : 32;
		struct pollfd *more = realloc(f->pfds, cap * sizeof(*more));

		if (!more)
			return -1; /* slirp then gets no revents for it: polled again next time */
		f->pfds = more;
		f->cap = cap;
	}
	f->pfds[f->count] = (struct pollfd){.fd = fd, .events = ev};
	return (int)f->count++;
}

void slirp_fds_end(struct slirp_fds *f)
{
	for (unsigned i = 0; i < f->count; i++) {
		struct pollfd *p = &f->pfds[i];
		struct slirp_watched *w = entry(f, p->fd);
		uint32_t want = ((p->events & (POLLIN | POLLPRI)) ? LOOP_IN : 0) |
				((p->events & POLLOUT) ? LOOP_OUT : 0);

		if (!w || w->always)
			continue;
		/* a socket slirp only wants errors of is watched for reading: errors show as such */
		set_events(f, w, p->fd, want ? want : LOOP_IN);
		w->seen = f->generation;
	}
	for (unsigned fd = 0; fd < f->by_fd_cap; fd++) {
		struct slirp_watched *w = &f->by_fd[fd];

		if (w->events && !w->always && w->seen != f->generation)
			set_events(f, w, (int)fd, 0);
	}
}

void slirp_fds_settle(struct slirp_fds *f)
{
	loop_settle(f->set);
}

int slirp_fds_poll_now(struct slirp_fds *f)
{
	return f->count ? poll(f->pfds, f->count, 0) : 0;
}

int slirp_fds_revents(int idx, void *opaque)
{
	struct slirp_fds *f = opaque;
	short re;

	if (idx < 0 || (unsigned)idx >= f->count)
		return 0;
	re = f->pfds[idx].revents;
	return ((re & POLLIN) ? SLIRP_POLL_IN : 0) | ((re & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((re & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((re & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((re & POLLHUP) ? SLIRP_POLL_HUP : 0);
}
