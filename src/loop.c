// SPDX-License-Identifier: MIT
/* loop.c — the event loop: epoll over the file descriptors of every module */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Events handled per epoll_wait(); the loop has at most a handful of sources. */
#define LOOP_MAX_EVENTS 16

struct loop {
	int epfd;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l);
}

static int loop_ctl(struct loop *l, int op, struct loop_source *src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};

	return epoll_ctl(l->epfd, op, src->fd, &ev) < 0 ? -errno : 0;
}

int loop_add(struct loop *l, struct loop_source *src, uint32_t events)
{
	return loop_ctl(l, EPOLL_CTL_ADD, src, events);
}

int loop_modify(struct loop *l, struct loop_source *src, uint32_t events)
{
	return loop_ctl(l, EPOLL_CTL_MOD, src, events);
}

void loop_remove(struct loop *l, struct loop_source *src)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int n = epoll_wait(l->epfd, events, LOOP_MAX_EVENTS, timeout_ms);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct loop_source *src = events[i].data.ptr;

		src->on_event(src, events[i].events);
	}
	return n;
}
