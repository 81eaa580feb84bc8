// SPDX-License-Identifier: MIT
/* backend_tap.c — Linux back-end: a TAP per VM on a shared bridge with NAT */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "nat.h"
#include "netlink.h"

#define TUN_PATH "/dev/net/tun"
#define TAP_NAME_PATTERN "svm%d"

struct tap {
	struct frame_port port;
	char name[IF_NAMESIZE];
};

static int tap_recv(struct frame_port *p, struct frame_batch *b)
{
	unsigned n = 0;

	while (n < b->cap) {
		ssize_t r = read(p->fd, b->data[n], b->frame_cap);

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			b->count = n;
			return n ? (int)n : -errno;
		}
		b->len[n++] = (uint32_t)r;
	}
	b->count = n;
	return (int)n;
}

static int tap_send(struct frame_port *p, const struct frame_ref *frames, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		if (write(p->fd, frames[sent].data, frames[sent].len) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS)
				break;
			p->refused++; /* EINVAL, EMSGSIZE...: this frame only */
		}
		sent++;
	}
	return (int)sent;
}

static void tap_close(struct frame_port *p)
{
	struct tap *t = container_of(p, struct tap, port);

	/* not persistent: closing the last descriptor removes the TAP */
	close(p->fd);
	log_debug("tap removed name=%s", t->name);
	free(t);
}

static int tap_create(struct tap *t, char *err, size_t err_size)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, err_size, "tap: cannot open %s: %s", TUN_PATH, strerror(errno));
		return -1;
	}
	strcpy(ifr.ifr_name, TAP_NAME_PATTERN); /* the kernel picks the number */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, err_size, "tap: cannot create a TAP: %s", strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(t->name, ifr.ifr_name, IF_NAMESIZE);
	t->name[IF_NAMESIZE - 1] = '\0';
	return fd;
}

struct frame_port *backend_open(const struct config *cfg, char *err, size_t err_size)
{
	struct tap *t = calloc(1, sizeof(*t));
	struct netlink *nl = NULL;
	int bridge, tap_index, fd = -1;

	if (!t) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	nl = netlink_open(err, err_size);
	if (!nl)
		goto fail;
	bridge = netlink_bridge_ensure(nl, cfg->bridge, cfg->gateway, cfg->prefix_len, err,
				       err_size);
	if (bridge < 0 || nat_ensure(cfg->bridge, cfg->subnet, cfg->prefix_len, err, err_size) < 0)
		goto fail;
	fd = tap_create(t, err, err_size);
	if (fd < 0)
		goto fail;
	tap_index = (int)if_nametoindex(t->name);
	if (tap_index == 0) {
		snprintf(err, err_size, "tap: \"%s\" vanished: %s", t->name, strerror(errno));
		goto fail;
	}
	if (netlink_link_attach(nl, tap_index, bridge, cfg->mtu, err, err_size) < 0)
		goto fail;
	netlink_close(nl);
	log_info("tap ready name=%s bridge=%s mtu=%u", t->name, cfg->bridge, cfg->mtu);
	t->port = (struct frame_port){
		.name = t->name,
		.fd = fd,
		.recv = tap_recv,
		.send = tap_send,
		.close = tap_close,
	};
	return &t->port;
fail:
	if (fd >= 0)
		close(fd);
	netlink_close(nl);
	free(t);
	return NULL;
}
