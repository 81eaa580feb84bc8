/* SPDX-License-Identifier: MIT */
/* control.h — the control socket (--control): requests and answers as JSON lines, on the loop */
#ifndef SVM_APP_CONTROL_H
#define SVM_APP_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "app/control_msg.h"
#include "core/loop.h"

/**
 * struct control_handler - who carries out the requests (the service)
 * @apply: carry out @req, a checked request, and fill @ans (zeroed before the call)
 * @ctx: its first argument
 *
 * The control socket itself reads lines, checks them and writes answers: it changes
 * nothing on its own.
 */
struct control_handler {
	void (*apply)(void *ctx, const struct control_request *req, struct control_answer *ans);
	void *ctx;
};

struct control;

/**
 * control_open() - listen at @path (unix stream, mode 0600) and answer in @loop
 * @loop: the loop
 * @path: --control
 * @handler: who carries out the requests
 * @err: why not, one line naming --control
 * @err_size: its size
 *
 * A live socket or any other file at @path is refused; a stale socket file is replaced.
 * Return: the control socket, or NULL.
 */
struct control *control_open(struct loop *loop, const char *path,
			     const struct control_handler *handler, char *err, size_t err_size);

/**
 * control_accept_pauses() - how often accepting was paused because the process had no
 * descriptor left (EMFILE/ENFILE): the listener is not watched for a second each time
 */
uint64_t control_accept_pauses(const struct control *c);

/** control_close() - close every client and the socket, and remove its file */
void control_close(struct control *c);

#endif
