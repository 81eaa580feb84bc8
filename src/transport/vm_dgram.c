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
#include "proto/offload.h"
#include "proto/vnet_hdr.h"
#include "transport/vm_transport.h"

/* vfkit/krunkit send this 4-byte datagram first on a --socket connection (no header). */
static const char vfkit_hello[4] = {'V', 'F', 'K', 'T'};

/*
 * --vm-offload: packets joined for the VM per send call, and the pieces of one call's
 * datagrams (a header and a frame each, or a header, a joined packet's headers and its
 * frames' data). A relay batch is 64 frames: 64 of 1448 bytes make 2 joined packets of
 * 44 + 20, so 16 joins cover any batch; a call that runs out sends what it made and the
 * rest goes in the next.
 */
#define DGRAM_JOINS 16
#define DGRAM_IOV (2 * OS_BATCH_MAX + DGRAM_JOINS * (JOIN_MAX + 2))

/**
 * struct vm_dgram - the VM's datagram socket
 * @offload: --vm-offload
 * @max_frame: MTU + Ethernet header: the segments of the VM's large packets must fit it
 * @hdrs: with VM_OFFLOAD_VNET_HDR, the header of each datagram of a send call
 * @iov: the pieces of a send call's datagrams
 * @msg_frames: how many frames each datagram of a send call holds (joined: several)
 * @msg_segs: the segments a large one stands for (0: not large), for the counters
 * @joined: packets joined for the VM in a send call
 */
struct vm_dgram {
	struct frame_port port;
	bool connected;   /* false for --socket until the first peer sends */
	char path[UNIX_PATH_SIZE]; /* --socket: unlinked at close */
	struct sock_msg msgs[OS_BATCH_MAX];
	struct sockaddr_un peer;
	enum vm_offload offload;
	size_t max_frame;
	uint8_t hdrs[OS_BATCH_MAX][VNET_HDR_LEN];
	struct iovec iov[DGRAM_IOV];
	unsigned msg_frames[OS_BATCH_MAX], msg_segs[OS_BATCH_MAX];
	struct joined_packet joined[DGRAM_JOINS];
};

/* The bytes before a frame in a datagram: the virtio-net header, or none. */
static size_t head_len(const struct vm_dgram *d)
{
	return d->offload == VM_OFFLOAD_VNET_HDR ? VNET_HDR_LEN : 0;
}

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

/*
 * take_offload() - what a frame of an offloading VM needs (its header read and checked, or
 * inferred, krunkit), into @info. Return: false when it is refused (counted).
 */
static bool take_offload(struct vm_dgram *d, uint8_t *frame, uint32_t *len, size_t frame_cap,
			 struct offload_info *info)
{
	enum drop_reason why;

	*info = (struct offload_info){.gso = GSO_NONE};
	if (d->offload == VM_OFFLOAD_OFF || *len >= frame_cap)
		return true; /* an overlong one: the relay counts it */
	why = d->offload == VM_OFFLOAD_VNET_HDR
		      ? vnet_hdr_read(frame - VNET_HDR_LEN, frame, len, d->max_frame, info)
		      : offload_infer(frame, len, d->max_frame, info);
	if (why != DROP_NONE) {
		stats_drop(d->port.stats, why, "vm->host", NULL);
		return false;
	}
	return true;
}

static int dgram_recv(struct frame_port *p, struct frame_batch *b)
{
	struct vm_dgram *d = container_of(p, struct vm_dgram, port);
	unsigned cap = b->cap < OS_BATCH_MAX ? b->cap : OS_BATCH_MAX;
	size_t head = head_len(d);
	unsigned out = 0;
	int n;

	if (!d->connected)
		cap = 1; /* one at a time until the peer is known */
	/* with a header, it lands in the headroom right before the frame's buffer */
	for (unsigned i = 0; i < cap; i++)
		d->msgs[i] = (struct sock_msg){
			.data = b->data[i] - head,
			.size = b->frame_cap + head,
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

		if (len == sizeof(vfkit_hello) &&
		    !memcmp(b->data[i] - head, vfkit_hello, sizeof(vfkit_hello)))
			continue;
		/* A truncated datagram keeps a length one past the largest frame: the guard
		 * drops it as oversize without reading past the buffer. */
		if (d->msgs[i].truncated)
			len = (uint32_t)(b->frame_cap + head);
		if (len < head) {
			stats_drop(p->stats, DROP_RUNT, "vm->host", NULL);
			continue;
		}
		len -= (uint32_t)head;
		if (!take_offload(d, b->data[i], &len, b->frame_cap, &b->offload[out]))
			continue;
		if (out != (unsigned)i)
			memcpy(b->data[out], b->data[i], len);
		b->len[out++] = len;
	}
	b->count = out;
	return (int)out;
}

/*
 * add_datagram() - the next datagram of a send call, for the frames at the head of @frames:
 * a large packet or partial checksum as it came (its checksum completed for a VM without a
 * header), consecutive TCP segments joined into one, or a frame as it is
 * Return: the frames it holds; 0 when the call has no room left for one more.
 */
static unsigned add_datagram(struct vm_dgram *d, const struct frame_ref *frames, unsigned n,
			     unsigned k, unsigned *iovs, unsigned *joins)
{
	struct iovec *v = &d->iov[*iovs];
	struct offload_info *info = frames[0].offload;
	unsigned m = 1, c = 0;
	size_t len = frames[0].len;

	if (*iovs + JOIN_MAX + 2 > DGRAM_IOV)
		return 0;
	if (!info && *joins < DGRAM_JOINS)
		m = packet_join(frames, n, false, &d->joined[*joins]);
	if (m > 1) {
		struct joined_packet *j = &d->joined[(*joins)++];

		info = &j->info;
		if (!head_len(d))
			joined_checksum(j); /* no header: the VM takes whole checksums only */
		len = j->info.hdr_len;
		if (head_len(d)) {
			vnet_hdr_write(d->hdrs[k], info);
			v[c++] = (struct iovec){d->hdrs[k], VNET_HDR_LEN};
		}
		v[c++] = (struct iovec){j->hdr, j->info.hdr_len};
		for (unsigned i = 0; i < m; i++) {
			v[c++] = j->payload[i];
			len += j->payload[i].iov_len;
		}
	} else {
		if (info && !head_len(d) && info->needs_csum) {
			offload_finish_csum(frames[0].data, frames[0].len, info);
			info->needs_csum = false; /* not summed again if it is sent again */
		}
		if (head_len(d)) {
			vnet_hdr_write(d->hdrs[k], info && offload_any(info) ? info : NULL);
			v[c++] = (struct iovec){d->hdrs[k], VNET_HDR_LEN};
		}
		v[c++] = (struct iovec){frames[0].data, frames[0].len};
	}
	d->msgs[k] = (struct sock_msg){.iov = v, .iovcnt = c};
	d->msg_frames[k] = m;
	d->msg_segs[k] = info ? offload_segments(info, len) : 0;
	*iovs += c;
	return m;
}

/* --vm-offload: one call's datagrams made and sent. Return: frames taken, or -errno. */
static int send_offload(struct vm_dgram *d, const struct frame_ref *frames, unsigned n)
{
	unsigned k = 0, taken = 0, iovs = 0, joins = 0, done = 0;
	int r;

	while (taken < n && k < OS_BATCH_MAX) {
		unsigned m = add_datagram(d, frames + taken, n - taken, k, &iovs, &joins);

		if (m == 0)
			break;
		taken += m;
		k++;
	}
	r = os_send_batch(d->port.fd, d->msgs, k);
	if (r < 0)
		return r;
	for (int i = 0; i < r; i++) {
		done += d->msg_frames[i];
		if (d->msg_segs[i]) {
			d->port.stats->to_vm.packets++;
			d->port.stats->to_vm.frames += d->msg_segs[i];
		}
	}
	return (int)done;
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

		if (d->offload != VM_OFFLOAD_OFF) {
			r = send_offload(d, frames + sent, n - sent);
		} else {
			for (unsigned i = 0; i < chunk; i++)
				d->msgs[i] = (struct sock_msg){.data = frames[sent + i].data,
							       .size = frames[sent + i].len};
			r = os_send_batch(p->fd, d->msgs, chunk);
		}
		if (r < 0) {
			if (r == -EAGAIN || r == -ENOBUFS || r == -EINTR)
				break;
			if (is_gone(-r))
				return -EPIPE;
			/* this one datagram is refused (EMSGSIZE...): skip it, keep the rest */
			r = d->offload != VM_OFFLOAD_OFF ? (int)d->msg_frames[0] : 1;
			for (int i = 0; i < r; i++)
				stats_drop(p->stats, p->refuse_reason, p->name, NULL);
		}
		if (r == 0)
			break;
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
	d->offload = cfg->offload;
	d->max_frame = (size_t)cfg->mtu + ETH_HDR_LEN;
	d->port = (struct frame_port){
		.name = "vm",
		.fd = fd,
		.recv = dgram_recv,
		.send = dgram_send,
		.close = dgram_close,
		.frame_max = cfg->offload != VM_OFFLOAD_OFF ? OFFLOAD_FRAME_MAX : 0,
	};
	return &d->port;
}
