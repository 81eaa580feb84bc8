// SPDX-License-Identifier: MIT
/* vm_dgram.c — VM transport over an AF_UNIX SOCK_DGRAM socket, one frame per datagram */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/stats.h"
#include "transport/unix_listener.h"
#include "os/socket.h"
#include "transport/vm_transport.h"

/* vfkit/krunkit send this 4-byte datagram first on a --socket connection. */
static const char vfkit_hello[4] = {'V', 'F', 'K', 'T'};

struct vm_dgram {
	struct frame_port port;
	bool connected;   /* false for --socket until the first peer sends */
	char path[UNIX_PATH_SIZE]; /* --socket: unlinked at close */
	struct sock_msg msgs[OS_BATCH_MAX];
	struct sockaddr_un peer;
};

static bool is_gone(int e)
{
	return e == ECONNREFUSED || e == ECONNRESET || e == ENOTCONN || e == EPIPE;
}

/* The first datagram from a named peer picks the peer (--socket mode). */
static int adopt_peer(struct vm_dgram *d, const struct sock_msg *m)
{
	char name[sizeof(d->peer.sun_path) + 1] = {0};

	if (m->namelen <= offsetof(struct sockaddr_un, sun_path))
		return -1; /* an unnamed sender cannot be answered */
	if (connect(d->port.fd, (struct sockaddr *)&d->peer, m->namelen) < 0) {
		log_warn("--socket: cannot connect to the first peer: %s", strerror(errno));
		return -1;
	}
	memcpy(name, d->peer.sun_path, m->namelen - offsetof(struct sockaddr_un, sun_path));
	log_info("vm peer connected socket=%s peer=%s", d->path, name[0] ? name : "(abstract)");
	d->connected = true;
	return 0;
}

static int dgram_recv(struct frame_port *p, struct frame_batch *b)
{
	struct vm_dgram *d = container_of(p, struct vm_dgram, port);
	unsigned cap = b->cap < OS_BATCH_MAX ? b->cap : OS_BATCH_MAX;
	unsigned out = 0;
	int n;

	if (!d->connected)
		cap = 1; /* one at a time until the peer is known */
	for (unsigned i = 0; i < cap; i++)
		d->msgs[i] = (struct sock_msg){
			.data = b->data[i],
			.size = b->frame_cap,
			.name = d->connected ? NULL : &d->peer,
			.namelen = d->connected ? 0 : sizeof(d->peer),
		};
	b->count = 0;
	n = os_recv_batch(p->fd, d->msgs, cap);
	if (n < 0) {
		if (n == -EAGAIN || n == -EINTR)
			return 0;
		return is_gone(-n) ? -EPIPE : n;
	}
	if (!d->connected && adopt_peer(d, &d->msgs[0]) < 0)
		n = 0;
	for (int i = 0; i < n; i++) {
		uint32_t len = d->msgs[i].len;

		if (len == sizeof(vfkit_hello) && !memcmp(b->data[i], vfkit_hello, sizeof(vfkit_hello)))
			continue;
		/* A truncated datagram keeps a length one past the largest frame: the guard
		 * drops it as oversize without reading past the buffer. */
		if (d->msgs[i].truncated)
			len = (uint32_t)b->frame_cap;
		if (out != (unsigned)i)
			memcpy(b->data[out], b->data[i], len);
		b->len[out++] = len;
	}
	b->count = out;
	return (int)out;
}

static int dgram_send(struct frame_port *p, const struct frame_ref *frames, unsigned n)
{
	struct vm_dgram *d = container_of(p, struct vm_dgram, port);
	unsigned sent = 0;

	if (!d->connected)
		return (int)n; /* no VM yet: frames for it go nowhere */
	while (sent < n) {
		unsigned chunk = n - sent < OS_BATCH_MAX ? n - sent : OS_BATCH_MAX;
		int r;

		for (unsigned i = 0; i < chunk; i++)
			d->msgs[i] = (struct sock_msg){.data = frames[sent + i].data,
						       .size = frames[sent + i].len};
		r = os_send_batch(p->fd, d->msgs, chunk);
		if (r < 0) {
			if (r == -EAGAIN || r == -ENOBUFS || r == -EINTR)
				break;
			if (is_gone(-r))
				return -EPIPE;
			/* this one frame is refused (EMSGSIZE...): skip it, keep the rest */
			stats_drop(p->stats, p->refuse_reason, p->name, NULL);
			r = 1;
		}
		sent += (unsigned)r; /* a short count: the next call says why it stopped */
	}
	/* macOS: frames a full VM socket would not take after the bounded retry */
	for (unsigned i = os_send_batch_dropped(); i > 0; i--)
		stats_drop(p->stats, DROP_VM_BUSY, "host->vm", NULL);
	return (int)sent;
}

static void dgram_close(struct frame_port *p)
{
	struct vm_dgram *d = container_of(p, struct vm_dgram, port);

	close(p->fd);
	if (d->path[0])
		unlink(d->path);
	free(d);
}

static int bind_socket_path(struct vm_dgram *d, const char *path, char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	int fd = os_socket(AF_UNIX, SOCK_DGRAM, 0);

	if (fd < 0) {
		snprintf(err, err_size, "--socket: socket(): %s", strerror(-fd));
		return -1;
	}
	if (strlen(path) >= sizeof(addr.sun_path)) { /* options.c refuses it already */
		snprintf(err, err_size, "--socket: \"%s\" is longer than a socket path may be", path);
		close(fd);
		return -1;
	}
	strcpy(addr.sun_path, path);
	/* a stale socket file from a dead instance is replaced; any other file is not */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "--socket: \"%s\" exists and is not a socket", path);
			close(fd);
			return -1;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0) {
		snprintf(err, err_size, "--socket: cannot bind \"%s\": %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	strcpy(d->path, path);
	return fd;
}

struct frame_port *vm_dgram_open(const struct vm_config *cfg, char *err, size_t err_size)
{
	struct vm_dgram *d = calloc(1, sizeof(*d));
	int fd, r;

	if (!d) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (cfg->transport == VM_SOCKET_DGRAM) {
		fd = bind_socket_path(d, cfg->path, err, err_size);
		if (fd < 0) {
			free(d);
			return NULL;
		}
	} else {
		fd = cfg->fd;
		d->connected = true;
		os_set_nonblock_cloexec(fd);
	}
	/*
	 * 4 MiB receive / 1 MiB send, as socket_vmnet and vmnet-helper use: the receive
	 * queue absorbs a burst of ~2800 1500-byte frames while the host side is busy.
	 */
	r = os_socket_buffers(fd, VM_SOCKET_RCVBUF, VM_SOCKET_SNDBUF);
	if (r < 0)
		log_warn("vm socket: cannot set its buffers to %d/%d bytes: %s", VM_SOCKET_RCVBUF,
			 VM_SOCKET_SNDBUF, strerror(-r));
	d->port = (struct frame_port){
		.name = "vm",
		.fd = fd,
		.recv = dgram_recv,
		.send = dgram_send,
		.close = dgram_close,
	};
	return &d->port;
}
