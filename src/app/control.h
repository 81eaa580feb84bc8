/* SPDX-License-Identifier: MIT */
/* control.h — the control socket (--control): requests and answers as JSON lines, on the loop */
#ifndef SVM_APP_CONTROL_H
#define SVM_APP_CONTROL_H

#include <stddef.h>

#include "app/exposes.h"
#include "core/loop.h"
#include "core/stats.h"
#include "guard/guard.h"

/**
 * struct control_target - what the control socket shows and changes
 * @guard: the rules, their counters and the learned names (changed in place)
 * @stats: the counters of `stats`
 * @exposes: the port forwards (`exposes`, `expose add|del`)
 * @refresh_stats: (optional) bring @stats up to date first (the back-end's own counters)
 * @ctx: its argument
 */
struct control_target {
	struct guard *guard;
	struct stats *stats;
	struct exposes *exposes;
	void (*refresh_stats)(void *ctx);
	void *ctx;
};

struct control;

/**
 * control_open() - listen at @path (unix stream, mode 0600) and answer in @loop
 * @loop: the loop
 * @path: --control
 * @target: what requests act on; must outlive the control socket
 * @err: why not, one line naming --control
 * @err_size: its size
 *
 * A live socket or any other file at @path is refused; a stale socket file is replaced.
 * Return: the control socket, or NULL.
 */
struct control *control_open(struct loop *loop, const char *path,
			     const struct control_target *target, char *err, size_t err_size);

/** control_close() - close every client and the socket, and remove its file */
void control_close(struct control *c);

#endif
