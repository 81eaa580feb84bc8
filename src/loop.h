/* SPDX-License-Identifier: MIT */
/* loop.h — the event loop: epoll over the file descriptors of every module */
#ifndef SVM_LOOP_H
#define SVM_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "container_of.h"

struct loop;

/**
 * struct loop_source - one file descriptor a module wants to hear about
 * @fd: the descriptor
 * @on_event: called with the epoll events that fired; embed the source in the module's
 *            own struct and get back to it with container_of()
 */
struct loop_source {
	int fd;
	void (*on_event)(struct loop_source *src, uint32_t events);
};



struct loop *loop_new(void);
void loop_free(struct loop *l);

/** loop_add() - watch @src->fd for @events (EPOLLIN, EPOLLOUT, ...). Return: 0 or -errno. */
int loop_add(struct loop *l, struct loop_source *src, uint32_t events);
/** loop_modify() - change the events watched on @src. Return: 0 or -errno. */
int loop_modify(struct loop *l, struct loop_source *src, uint32_t events);
/** loop_remove() - stop watching @src */
void loop_remove(struct loop *l, struct loop_source *src);

/**
 * loop_run_once() - wait up to @timeout_ms (-1: forever) and dispatch what fired
 * Return: the number of sources dispatched, or -errno (-EINTR is not an error).
 */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
