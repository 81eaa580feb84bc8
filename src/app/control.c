// SPDX-License-Identifier: MIT
/* control.c — the control socket (--control): requests and answers as JSON lines, on the loop */
#include "app/control.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "os/socket.h"
#include "transport/unix_listener.h"

/*
 * Bounds that keep a client from costing the VM anything:
 * - clients at once: 8 (a person, a script, a monitor, with room); a ninth connection takes
 *   the place of the client idle the longest (nothing to write to it), so clients that
 *   connect and say nothing cannot lock `ctl` out;
 * - requests answered per client and turn of the loop: 16, the rest on the next turns (a
 *   rule change compiles the policy: ~1 ms at 1000 rules);
 * - answers waiting for a client that does not read: 8 MiB (a `names` of 16384 entries is
 *   ~2.5 MB); beyond, it is disconnected.
 */
#define CONTROL_CLIENTS_MAX 8
#define CONTROL_REQUESTS_PER_TURN 16
#define CONTROL_OUT_MAX (8u << 20)
#define CONTROL_BACKLOG 8

/*
 * Out of descriptors (EMFILE/ENFILE), a pending connection stays pending and the listener
 * stays readable: accepting is paused this long instead of spinning (OpenBSD's
 * control_accept() pauses 1 s the same way); the backlog keeps the callers waiting.
 */
#define CONTROL_ACCEPT_PAUSE_MS 1000

struct control;

/**
 * struct control_client - one connection
 * @in: bytes read and not yet answered; @in_len of them
 * @discarding: the current line is too long: everything up to its newline is dropped
 * @out: answers not yet written; @out_len of them, @out_cap allocated
 * @active_ms: when it last sent or was sent anything (or connected)
 */
struct control_client {
	struct control *owner;
	struct loop_source src;
	uint32_t watching;
	char in[CONTROL_LINE_MAX + 1];
	size_t in_len;
	bool discarding;
	char *out;
	size_t out_len, out_cap;
	uint64_t active_ms;
};

/**
 * struct control - the control socket
 * @more: armed when requests were left for the next turn
 * @resume: armed while accepting is paused: the process ran out of descriptors
 * @paused: how often accepting was paused for that
 */
struct control {
	struct loop *loop;
	struct control_handler handler;
	struct unix_listener listener;
	struct loop_source listen_src;
	struct control_client *clients[CONTROL_CLIENTS_MAX];
	struct loop_timer more;
	struct loop_timer resume;
	uint64_t paused;
};

static void client_close(struct control_client *cl)
{
	struct control *c = cl->owner;

	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	loop_remove(c->loop, &cl->src);
	close(cl->src.fd);
	free(cl->out);
	free(cl);
}

/* Queue @text and a newline. Return: false when the client has too much waiting: gone. */
static bool client_queue(struct control_client *cl, const char *text)
{
	size_t len = strlen(text), need = cl->out_len + len + 1;

	if (need > CONTROL_OUT_MAX) {
		log_info("control: a client that does not read its answers is disconnected");
		client_close(cl);
		return false;
	}
	if (need > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 4096;
		char *more;

		while (cap < need)
			cap *= 2;
		more = realloc(cl->out, cap);
		if (!more) {
			client_close(cl);
			return false;
		}
		cl->out = more;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, text, len);
	cl->out[cl->out_len + len] = '\n';
	cl->out_len = need;
	return true;
}

/* Queue {"ok":true, @key: @value} (takes @value), or {"ok":false,"error":@error}. */
static bool answer(struct control_client *cl, const char *key, json_object *value,
		   const char *error)
{
	json_object *o = json_object_new_object();
	bool alive;

	json_object_object_add(o, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	else if (key)
		json_object_object_add(o, key, value);
	alive = client_queue(cl, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return alive;
}

/*
 * One request line: checked here, carried out by the handler (the service), answered here.
 * Return: false when the client is gone.
 */
static bool serve_line(struct control_client *cl, const char *line, size_t len)
{
	const struct control_handler *h = &cl->owner->handler;
	struct control_request req;
	struct control_answer ans = {0};

	if (!control_request_parse(line, len, &req, ans.error, sizeof(ans.error)))
		return answer(cl, NULL, NULL, ans.error);
	h->apply(h->ctx, &req, &ans);
	if (ans.error[0]) {
		json_object_put(ans.value);
		return answer(cl, NULL, NULL, ans.error);
	}
	return answer(cl, ans.key, ans.value, NULL);
}

/* What to wait for: answers to write; more requests only once the waiting ones are served. */
static void client_watch(struct control_client *cl)
{
	bool lines = memchr(cl->in, '\n', cl->in_len) != NULL;
	uint32_t want = (cl->out_len ? LOOP_OUT : 0) | (lines ? 0 : LOOP_IN);

	if (want != cl->watching) {
		loop_modify(cl->owner->loop, &cl->src, want);
		cl->watching = want;
	}
	if (lines)
		loop_timer_arm(cl->owner->loop, &cl->owner->more, clock_mono_ms());
}

/*
 * Answer the complete lines read (at most CONTROL_REQUESTS_PER_TURN). A line longer than
 * CONTROL_LINE_MAX gets one error answer, and the rest of it up to its newline is dropped.
 * Return: false when the client is gone.
 */
static bool serve_lines(struct control_client *cl)
{
	for (int served = 0; served < CONTROL_REQUESTS_PER_TURN;) {
		char *nl = memchr(cl->in, '\n', cl->in_len);
		size_t used;

		if (!nl) {
			if (cl->in_len <= CONTROL_LINE_MAX)
				break;
			/* too long: say so once, then drop it up to its end */
			if (!cl->discarding) {
				cl->discarding = true;
				if (!answer(cl, NULL, NULL, "a request longer than 4096 bytes"))
					return false;
			}
			cl->in_len = 0;
			break;
		}
		used = (size_t)(nl - cl->in) + 1;
		if (cl->discarding) {
			cl->discarding = false;
		} else {
			served++;
			if (!serve_line(cl, cl->in, used - 1))
				return false;
		}
		memmove(cl->in, cl->in + used, cl->in_len - used);
		cl->in_len -= used;
	}
	return true;
}

static bool client_write(struct control_client *cl)
{
	while (cl->out_len) {
		ssize_t n = write(cl->src.fd, cl->out, cl->out_len);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			client_close(cl);
			return false;
		}
		memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
		cl->out_len -= (size_t)n;
	}
	return true;
}

static void on_client(struct loop_source *src, uint32_t events)
{
	struct control_client *cl = container_of(src, struct control_client, src);

	if ((events & LOOP_IN) && cl->in_len < sizeof(cl->in)) {
		ssize_t n = read(src->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(cl);
			return;
		}
		if (n > 0) {
			cl->in_len += (size_t)n;
			cl->active_ms = clock_mono_ms();
		}
		if (!serve_lines(cl))
			return;
	} else if (events & (LOOP_ERR | LOOP_HUP) && !(events & LOOP_OUT)) {
		client_close(cl);
		return;
	}
	if (!client_write(cl))
		return;
	client_watch(cl);
}

/* Requests left from an earlier turn. */
static void on_more(struct loop_timer *t)
{
	struct control *c = container_of(t, struct control, more);

	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = c->clients[i];

		if (cl && serve_lines(cl) && client_write(cl))
			client_watch(cl);
	}
}

/*
 * All places taken: the client idle the longest (no answer waiting for it) makes room.
 * Return: its slot, or -1 when every client is being answered.
 */
static int evict_idle(struct control *c)
{
	int oldest = -1;

	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		const struct control_client *cl = c->clients[i];

		if (cl && !cl->out_len &&
		    (oldest < 0 || cl->active_ms < c->clients[oldest]->active_ms))
			oldest = i;
	}
	if (oldest >= 0) {
		log_info("control: the client idle the longest is closed for a new one");
		client_close(c->clients[oldest]);
	}
	return oldest;
}

/* Descriptors may be back: accept again. */
static void on_resume(struct loop_timer *t)
{
	struct control *c = container_of(t, struct control, resume);

	loop_modify(c->loop, &c->listen_src, LOOP_IN);
}

static void on_accept(struct loop_source *src, uint32_t events)
{
	struct control *c = container_of(src, struct control, listen_src);
	struct control_client *cl;
	int fd = os_accept(src->fd), slot = -1;

	(void)events;
	if (fd == -EMFILE || fd == -ENFILE) {
		c->paused++;
		log_warn("control: out of file descriptors: not accepting for %d ms (paused=%llu)",
			 CONTROL_ACCEPT_PAUSE_MS, (unsigned long long)c->paused);
		loop_modify(c->loop, &c->listen_src, 0);
		loop_timer_arm(c->loop, &c->resume, clock_mono_ms() + CONTROL_ACCEPT_PAUSE_MS);
		return;
	}
	if (fd < 0)
		return;
	for (int i = 0; i < CONTROL_CLIENTS_MAX && slot < 0; i++)
		if (!c->clients[i])
			slot = i;
	if (slot < 0)
		slot = evict_idle(c);
	cl = slot >= 0 ? calloc(1, sizeof(*cl)) : NULL;
	if (!cl) {
		static const char busy[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

		if (write(fd, busy, sizeof(busy) - 1) < 0) {
			/* it will see the connection close all the same */
		}
		close(fd);
		return;
	}
	*cl = (struct control_client){.owner = c, .src = {.fd = fd, .on_event = on_client},
				      .watching = LOOP_IN, .active_ms = clock_mono_ms()};
	if (loop_add(c->loop, &cl->src, LOOP_IN) < 0) {
		close(fd);
		free(cl);
		return;
	}
	c->clients[slot] = cl;
}

struct control *control_open(struct loop *loop, const char *path,
			     const struct control_handler *handler, char *err, size_t err_size)
{
	struct control *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		snprintf(err, err_size, "--control: out of memory");
		return NULL;
	}
	c->loop = loop;
	c->handler = *handler;
	c->more.on_expire = on_more;
	c->resume.on_expire = on_resume;
	if (unix_listener_open(&c->listener, path, "--control", CONTROL_BACKLOG, err, err_size) < 0) {
		free(c);
		return NULL;
	}
	c->listen_src = (struct loop_source){.fd = c->listener.fd, .on_event = on_accept};
	r = loop_add(loop, &c->listen_src, LOOP_IN);
	if (r < 0) {
		snprintf(err, err_size, "--control: %s", strerror(-r));
		unix_listener_close(&c->listener);
		free(c);
		return NULL;
	}
	log_info("control ready socket=%s", path);
	return c;
}

uint64_t control_accept_pauses(const struct control *c)
{
	return c->paused;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i])
			client_close(c->clients[i]);
	loop_timer_disarm(c->loop, &c->more);
	loop_timer_disarm(c->loop, &c->resume);
	loop_remove(c->loop, &c->listen_src);
	unix_listener_close(&c->listener);
	free(c);
}
