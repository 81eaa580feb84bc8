// SPDX-License-Identifier: MIT
/* tap.c — the Linux back-end "tap": a TAP per VM on a shared bridge with NAT */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/linux/bridge_owner.h"
#include "backend/linux/host_watch.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/stats.h"
#include "hostnet/linux/forward.h"
#include "hostnet/linux/nat.h"
#include "hostnet/linux/netlink.h"
#include "hostnet/port_claim.h"
#include "proto/offload.h"

extern const struct backend_ops backend_tap;

#define TUN_PATH "/dev/net/tun"
#define TAP_NAME_PREFIX "svm"
#define TAP_NAME_PATTERN TAP_NAME_PREFIX "%d"

/*
 * How long an instance starting up waits for another one settling the same bridge: each
 * holds the bridge's lock for one round of netlink requests, 1-3 ms here; 200 instances
 * started at once wait 0.4 s at worst.
 */
#define BRIDGE_LOCK_WAIT_MS 5000

/*
 * Repairs: the events of one change come in a burst (a deleted bridge: its own and one per
 * port, all within 1 ms here), so the check waits REPAIR_SETTLE_MS for the rest, plus up
 * to REPAIR_SPREAD_MS chosen by the TAP's index, so that of many instances on one bridge
 * one repairs first and the others find it done (a read instead of a transaction each).
 * A repair that fails (the lock held by another repairer, a race with another change) is
 * tried again, every REPAIR_RETRY_MS, until REPAIR_GIVE_UP_MS: then the host side is lost.
 */
#define REPAIR_SETTLE_MS 20
#define REPAIR_SPREAD_MS 50
#define REPAIR_RETRY_MS 100
#define REPAIR_LOCK_RETRY_MS 5
#define REPAIR_GIVE_UP_MS 5000

/*
 * What the TAP may hand us: checksums left to us (either family) and IPv4 TSO packets,
 * which we cut for the VM (offload_split.c) or, with --vm-offload, hand to it whole. IPv6
 * TSO (TUN_F_TSO6) is not taken: krunkit's guest takes GUEST_TSO4 only (libkrun's
 * COMPAT_NET_FEATURES), and a VM's socket says nothing of what it negotiated, so the
 * host's kernel cuts IPv6 TCP for the VM at its MTU — what --vm-offload promises a VM is
 * no more than that. The VM's own IPv6 TSO packets (GSO_TCP6) are taken all the same: a
 * TAP takes every GSO type it is written, whatever TUNSETOFFLOAD said. ECN-marked TSO and
 * UDP fragmentation offload are not taken: the kernel then segments those itself, as it
 * does for a TAP without offload.
 */
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4)

/*
 * UDP segmentation offload (Linux 6.2; Debian 12's headers predate it): a kernel whose
 * TAP takes TUN_F_USO4|TUN_F_USO6 (only both at once) also takes the GSO_UDP_L4 packets we
 * write, so joined UDP datagrams are only written where the kernel says so. We ask for it
 * once, to learn, and then take it back: what the host sends us its kernel cuts.
 */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* The largest packet a TAP with IPv4 TSO hands over: an IPv4 datagram in an Ethernet frame. */
#define TAP_PACKET_MAX (ETH_HDR_LEN + UINT16_MAX)

/**
 * struct tap - the TAP back-end and its port
 * @backend: what the rest sees (its port is @port)
 * @offload: frames go with a virtio_net_hdr (IFF_VNET_HDR): joined and split packets
 * @packet: with @offload, where a large packet from the host is read whole
 * @packet_cap: its size
 * @join_udp: the kernel takes joined UDP datagrams (TUN_F_USO4)
 * @whole: the VM takes large packets (--vm-offload): the host's go to it whole, not cut
 * @split: the packet being cut into the VM's frames, while @port.rx_pending
 * @joined: scratch for the frames joined by one write
 * @setup: what it serves
 * @nl: rtnetlink, for repairs and counters
 * @index: the TAP's ifindex
 * @watch: events about the bridge, the TAP and the NAT table
 * @failing_since: when a repair first failed (0: none is failing)
 * @failure: why the host side is lost, once it is (backend.failure points here)
 */
struct tap {
	struct backend backend;
	struct frame_port port;
	char name[IF_NAMESIZE];
	const struct backend_setup *setup;
	struct netlink *nl;
	int index;
	struct host_watch watch;
	uint64_t failing_since;
	char failure[512];
	struct claimed_forward *forwards;
	char owner_tag[FORWARD_TAG_LEN];
	bool offload;
	bool join_udp;
	bool whole;
	uint8_t *packet;
	size_t packet_cap;
	struct packet_splitter split;
	struct joined_packet joined;
};

static void give_up(struct tap *t, const char *why);

static int read_error(struct frame_port *p, struct frame_batch *b, unsigned n)
{
	int err = errno;

	b->count = n;
	if (err == EBADFD) { /* what a deleted TAP's descriptor says from then on */
		struct tap *t = container_of(p, struct tap, port);
		char why[128];

		snprintf(why, sizeof(why), "tap: %s was deleted under the running VM", t->name);
		give_up(t, why);
		return (int)n;
	}
	return n ? (int)n : -err;
}

/* Without offload: one read() per frame, straight into the batch. */
static int tap_recv_plain(struct frame_port *p, struct frame_batch *b)
{
	unsigned n = 0;

	while (n < b->cap) {
		ssize_t r = read(p->fd, b->data[n], b->frame_cap);

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return read_error(p, b, n);
		}
		b->len[n++] = (uint32_t)r;
	}
	b->count = n;
	return (int)n;
}

static struct offload_info offload_of(const struct virtio_net_hdr *vh)
{
	return (struct offload_info){
		.gso = vh->gso_type == VIRTIO_NET_HDR_GSO_NONE    ? GSO_NONE
		       : vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? GSO_TCP4
		       : vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV6 ? GSO_TCP6
								  : GSO_OTHER,
		.needs_csum = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_size = vh->gso_size,
		.hdr_len = vh->hdr_len,
		.csum_start = vh->csum_start,
		.csum_offset = vh->csum_offset,
	};
}

/*
 * For a VM that takes large packets: each packet read whole into its slot, its header
 * checked against it (offload_check()), and handed over as it is, described.
 */
static int tap_recv_whole(struct tap *t, struct frame_batch *b)
{
	struct frame_port *p = &t->port;
	size_t max_frame = (size_t)t->setup->vm->mtu + ETH_HDR_LEN;
	unsigned n = 0;

	while (n < b->cap) {
		struct virtio_net_hdr vh;
		struct iovec iov[2] = {{&vh, sizeof(vh)}, {b->data[n], b->frame_cap}};
		enum drop_reason why;
		uint32_t len;
		ssize_t r = readv(p->fd, iov, 2);

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return read_error(p, b, n);
		}
		len = (uint32_t)((size_t)r > sizeof(vh) ? (size_t)r - sizeof(vh) : 0);
		b->offload[n] = offload_of(&vh);
		if (len >= b->frame_cap) {
			b->offload[n] = (struct offload_info){.gso = GSO_NONE};
			b->len[n++] = (uint32_t)b->frame_cap; /* the relay counts it */
			continue;
		}
		why = offload_check(b->data[n], &len, max_frame, &b->offload[n]);
		/* never asked for (TAP_OFFLOADS): a VM is promised IPv4 TSO only */
		if (why == DROP_NONE && b->offload[n].gso == GSO_TCP6)
			why = DROP_GSO_TYPE;
		if (why != DROP_NONE) {
			stats_drop(p->stats, why, "host->vm", NULL);
			continue;
		}
		b->len[n++] = len;
	}
	b->count = n;
	return (int)n;
}

/*
 * With offload: a frame that needs nothing lands in the batch as before; a large packet
 * spills over into t->packet and is cut into frames, as many as the batch takes; the
 * rest waits in t->split (rx_pending) for the next call.
 */
static int tap_recv_offload(struct tap *t, struct frame_batch *b)
{
	struct frame_port *p = &t->port;
	/* frame_cap holds one byte more (relay_init()), so that an oversize frame shows as one */
	size_t max_frame = b->frame_cap - 1;
	unsigned n = 0;

	while (n < b->cap) {
		struct virtio_net_hdr vh;
		struct iovec iov[3] = {{&vh, sizeof(vh)},
				       {b->data[n], b->frame_cap},
				       {t->packet + b->frame_cap, t->packet_cap - b->frame_cap}};
		struct offload_info info;
		enum drop_reason why;
		const uint8_t *pkt;
		ssize_t r;
		size_t len;

		if (p->rx_pending) {
			b->len[n] = (uint32_t)packet_split_next(&t->split, b->data[n], b->frame_cap);
			n++;
			if (t->split.done) {
				p->rx_pending = false;
				p->stats->split.packets++;
				p->stats->split.frames += t->split.index;
			}
			continue;
		}
		r = readv(p->fd, iov, 3);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return read_error(p, b, n);
		}
		len = (size_t)r > sizeof(vh) ? (size_t)r - sizeof(vh) : 0;
		info = offload_of(&vh);
		if (info.gso == GSO_NONE && !info.needs_csum) {
			/* an overlong frame shows as frame_cap bytes: the relay counts it */
			b->len[n++] = (uint32_t)(len < b->frame_cap ? len : b->frame_cap);
			continue;
		}
		/*
		 * Whole in t->packet: an overlong packet (its rest is there already) and a GSO
		 * one (its segments go to the batch's slots, its own among them). A frame that
		 * only needs its checksum is completed where it is.
		 */
		pkt = b->data[n];
		if (len > b->frame_cap || info.gso != GSO_NONE) {
			memcpy(t->packet, b->data[n], len < b->frame_cap ? len : b->frame_cap);
			pkt = t->packet;
		}
		why = packet_split_start(&t->split, pkt, len, &info, max_frame);
		if (why != DROP_NONE) {
			stats_drop(p->stats, why, "host->vm", NULL);
			continue;
		}
		if (info.gso != GSO_NONE) {
			p->rx_pending = true; /* the loop's next turn starts cutting */
		} else {
			b->len[n] = (uint32_t)packet_split_next(&t->split, b->data[n], b->frame_cap);
			n++;
		}
	}
	b->count = n;
	return (int)n;
}

static int tap_recv(struct frame_port *p, struct frame_batch *b)
{
	struct tap *t = container_of(p, struct tap, port);

	if (t->whole)
		return tap_recv_whole(t, b);
	return t->offload ? tap_recv_offload(t, b) : tap_recv_plain(p, b);
}

/* The TAP's header for a packet @info describes. */
static struct virtio_net_hdr vh_of(const struct offload_info *info)
{
	return (struct virtio_net_hdr){
		.flags = info->needs_csum ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0,
		.gso_type = info->gso == GSO_TCP4   ? VIRTIO_NET_HDR_GSO_TCPV4
			    : info->gso == GSO_TCP6 ? VIRTIO_NET_HDR_GSO_TCPV6
			    : info->gso == GSO_UDP4 ? VIRTIO_NET_HDR_GSO_UDP_L4
						    : VIRTIO_NET_HDR_GSO_NONE,
		.hdr_len = info->hdr_len,
		.gso_size = info->gso == GSO_NONE ? 0 : info->gso_size,
		.csum_start = info->needs_csum ? info->csum_start : 0,
		.csum_offset = info->needs_csum ? info->csum_offset : 0,
	};
}

/*
 * tap_write() - write one frame, or frames joined into one packet, to the TAP
 * Return: 0, or -errno of the write.
 */
static int tap_write(struct tap *t, const struct frame_ref *frames, unsigned n,
		     unsigned *taken)
{
	struct virtio_net_hdr vh = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	struct iovec iov[2 + JOIN_MAX] = {{&vh, sizeof(vh)}};
	unsigned joined = packet_join(frames, n, t->join_udp, &t->joined);
	int count;

	if (frames[0].offload) /* the VM's own large packet (--vm-offload): its header as it is */
		vh = vh_of(frames[0].offload);
	if (joined > 1) {
		const struct offload_info *info = &t->joined.info;

		vh = vh_of(info);
		iov[1] = (struct iovec){t->joined.hdr, info->hdr_len};
		memcpy(&iov[2], t->joined.payload, joined * sizeof(iov[0]));
		count = 2 + (int)joined;
	} else {
		iov[1] = (struct iovec){frames[0].data, frames[0].len};
		count = 2;
	}
	*taken = joined;
	if (writev(t->port.fd, iov, count) < 0)
		return -errno;
	if (joined > 1) {
		t->port.stats->joined.packets++;
		t->port.stats->joined.frames += joined;
	}
	return 0;
}

static int tap_send(struct frame_port *p, const struct frame_ref *frames, unsigned n)
{
	struct tap *t = container_of(p, struct tap, port);
	unsigned sent = 0;

	while (sent < n) {
		unsigned taken = 1;
		int r = t->offload ? tap_write(t, frames + sent, n - sent, &taken)
				   : (write(p->fd, frames[sent].data, frames[sent].len) < 0 ? -errno
											 : 0);

		if (r == -EINTR)
			continue;
		if (r == -EAGAIN || r == -ENOBUFS)
			break;
		for (unsigned i = 0; r < 0 && i < taken; i++) /* EINVAL, EMSGSIZE...: these only */
			stats_drop(p->stats, p->refuse_reason, p->name, NULL);
		sent += taken;
	}
	return (int)sent;
}

static void tap_expose_release(struct backend *b, const struct expose *e);

static void tap_free(struct tap *t)
{
	while (t->forwards)
		tap_expose_release(&t->backend, &t->forwards->e);
	host_watch_stop(&t->watch);
	netlink_close(t->nl);
	/* not persistent: closing the last descriptor removes the TAP */
	if (t->port.fd >= 0) {
		close(t->port.fd);
		log_debug("tap removed name=%s", t->name);
	}
	free(t->packet);
	free(t);
}

static void tap_close(struct backend *b)
{
	tap_free(container_of(b, struct tap, backend));
}

/* What the kernel dropped on its way to us: the TAP's queue was full (a slow VM). */
static void tap_read_counters(struct backend *b, struct stats *stats)
{
	struct tap *t = container_of(b, struct tap, backend);
	struct netlink_link link;

	if (netlink_link_get(t->nl, NULL, t->index, &link) == 0)
		stats->drops[DROP_HOST_QUEUE] = link.tx_dropped;
}

static int tap_create(struct tap *t, char *err, size_t err_size)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | (t->offload ? IFF_VNET_HDR : 0)};
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
	/* without it the host's kernel cuts large packets itself: slower, still correct */
	if (t->offload) {
		t->join_udp = ioctl(fd, TUNSETOFFLOAD,
				    (unsigned long)(TAP_OFFLOADS | TUN_F_USO4 | TUN_F_USO6)) == 0;
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS) < 0)
			log_info("tap: the kernel takes no offloads (%s): large packets are cut by it",
				 strerror(errno));
	}
	return fd;
}

/* The bridge's name is the network: instances on one bridge share its pool. */
static void tap_identify(const struct backend_setup *setup, struct backend_info *info)
{
	snprintf(info->network_id, sizeof(info->network_id), "%s", setup->backend->bridge);
	snprintf(info->network_desc, sizeof(info->network_desc), "bridge %s", setup->backend->bridge);
}

/* What settle_links() had to do besides NETLINK_MADE_*. */
#define MADE_ATTACHED 0x100u /* put the TAP on the bridge (again) */

/**
 * settle_links() - the bridge with the gateway address, served by our lease database, and
 * the TAP up on it: made or repaired, whatever is missing
 * @t: the TAP
 * @lock_wait_ms: how long to wait for another instance settling the same bridge
 * @made: set to the NETLINK_MADE_* and MADE_ATTACHED it had to do
 *
 * One instance at a time per bridge (bridge_lock()), so that two with different lease
 * databases cannot both take an empty bridge.
 * Return: 0; 1 if the lock stayed taken; -1 with @err set (naming the option at fault).
 */
static int settle_links(struct tap *t, unsigned lock_wait_ms, unsigned *made, char *err,
			size_t err_size)
{
	const struct backend_setup *setup = t->setup;
	struct netlink_link bridge, tap;
	char why[400];
	int lock = bridge_lock(setup->backend->bridge, lock_wait_ms), r = -1;

	*made = 0;
	if (lock == -EBUSY)
		return 1;
	if (lock < 0) {
		snprintf(err, err_size, "--bridge: cannot lock \"%s\": %s", setup->backend->bridge,
			 strerror(-lock));
		return -1;
	}
	if (netlink_bridge_ensure(t->nl, setup->backend->bridge, inet_v4(&setup->net4->gateway),
				  setup->net4->subnet.len, &bridge, made, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "--bridge: %s", why);
		goto out;
	}
	if (setup->net6->enabled &&
	    netlink_bridge_ensure6(t->nl, bridge.ifindex, setup->backend->bridge,
				   &setup->net6->prefix, &setup->net6->gateway,
				   &setup->net6->gateway_ll, made, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "--ipv6-prefix: %s", why);
		goto out;
	}
	if (bridge_owner_check(t->nl, &bridge, t->index, TAP_NAME_PREFIX, setup->backend->lease_db, err,
			       err_size) < 0)
		goto out;
	r = netlink_link_get(t->nl, NULL, t->index, &tap);
	if (r < 0) {
		snprintf(err, err_size, "tap: %s is gone: %s", t->name, strerror(-r));
		r = -1;
		goto out;
	}
	if (tap.master != bridge.ifindex || !tap.up) {
		r = netlink_link_attach(t->nl, t->index, bridge.ifindex, setup->vm->mtu, err, err_size);
		if (r < 0)
			goto out;
		*made |= MADE_ATTACHED;
	}
	memcpy(t->backend.info.gateway_mac, bridge.mac, sizeof(bridge.mac));
	t->watch.bridge_index = bridge.ifindex;
	r = 0;
out:
	bridge_unlock(lock);
	return r;
}

static int settle_nat(struct tap *t, bool *changed, char *err, size_t err_size)
{
	const struct backend_setup *setup = t->setup;
	bool changed6 = false;

	if (nat_ensure(setup->backend->bridge, inet_v4(&setup->net4->subnet.addr),
		       setup->net4->subnet.len, changed, err, err_size) < 0)
		return -1;
	if (setup->net6->enabled &&
	    nat6_ensure(setup->backend->bridge, &setup->net6->prefix, &changed6, err, err_size) < 0)
		return -1;
	*changed = *changed || changed6;
	return 0;
}

/* One line for a repair: what this instance had to make again. */
static void log_repair(const struct tap *t, unsigned made, bool nat)
{
	log_info("repaired bridge=%s tap=%s:%s%s%s%s%s%s", t->setup->backend->bridge, t->name,
		 made & NETLINK_MADE_BRIDGE ? " bridge created again;" : "",
		 made & NETLINK_MADE_GATEWAY ? " gateway address restored;" : "",
		 made & NETLINK_MADE_GATEWAY6 ? " IPv6 gateway addresses restored;" : "",
		 made & NETLINK_MADE_UP ? " bridge brought up;" : "",
		 made & MADE_ATTACHED ? " tap attached again;" : "",
		 nat ? " NAT table " NAT_TABLE " restored;" : "");
}

/* The host side is lost for good: the service ends the instance with @why. */
static void give_up(struct tap *t, const char *why)
{
	snprintf(t->failure, sizeof(t->failure), "%s", why);
	t->backend.failure = t->failure;
	host_watch_stop(&t->watch);
}

/*
 * Something we depend on changed: settle again. Another instance may have repaired it
 * already (then there is nothing to do); a failed repair is retried for a while.
 */
static void on_host_change(struct host_watch *w, unsigned what)
{
	struct tap *t = container_of(w, struct tap, watch);
	char err[512];
	unsigned made = 0;
	bool nat = false;
	int r = 0;

	if (what & HOST_WATCH_TAP_GONE) {
		snprintf(err, sizeof(err), "tap: %s was deleted under the running VM", t->name);
		give_up(t, err);
		return;
	}
	if (what & HOST_WATCH_LINKS)
		r = settle_links(t, 0, &made, err, sizeof(err));
	if (r == 0 && (what & HOST_WATCH_NAT))
		r = settle_nat(t, &nat, err, sizeof(err));
	if (made || nat)
		log_repair(t, made, nat);
	if (r == 0) {
		t->failing_since = 0;
		return;
	}
	if (!t->failing_since)
		t->failing_since = clock_mono_ms();
	if (clock_mono_ms() - t->failing_since >= REPAIR_GIVE_UP_MS) {
		if (r > 0)
			snprintf(err, sizeof(err), "--bridge: another instance kept the lock of "
				 "\"%s\" for %d ms", t->setup->backend->bridge, REPAIR_GIVE_UP_MS);
		give_up(t, err);
		return;
	}
	if (r < 0)
		log_debug("repair failed, trying again: %s", err);
	host_watch_recheck(w, what, r > 0 ? REPAIR_LOCK_RETRY_MS : REPAIR_RETRY_MS);
}

/*
 * The host side set up the first time, under the watch: settled twice at most. The events
 * of our own changes say nothing new, unless something else changed meanwhile, which the
 * second round repairs. Either way no timer is left armed for them (an idle instance has
 * none). Return: 0, or -1 with @err.
 */
static int settle_first(struct tap *t, char *err, size_t err_size)
{
	unsigned made, what = HOST_WATCH_LINKS | HOST_WATCH_NAT;
	bool nat_changed;
	int r;

	for (int round = 0; what && round < 2; round++) {
		r = (what & HOST_WATCH_LINKS) ? settle_links(t, BRIDGE_LOCK_WAIT_MS, &made, err,
							     err_size)
					      : 0;
		if (r > 0)
			snprintf(err, err_size,
				 "--bridge: another instance held the lock of \"%s\" for %d s",
				 t->setup->backend->bridge, BRIDGE_LOCK_WAIT_MS / 1000);
		if (r != 0 || ((what & HOST_WATCH_NAT) &&
			       settle_nat(t, &nat_changed, err, err_size) < 0))
			return -1;
		what = host_watch_drain(&t->watch);
		if (what & HOST_WATCH_TAP_GONE) {
			snprintf(err, err_size, "tap: %s was deleted while it was set up", t->name);
			return -1;
		}
	}
	if (what)
		host_watch_recheck(&t->watch, what, t->watch.settle_ms);
	return 0;
}

static struct backend *tap_open(const struct backend_setup *setup, struct loop *loop, char *err,
				size_t err_size)
{
	struct tap *t = calloc(1, sizeof(*t));
	char why[300];

	if (!t) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	t->port.fd = -1;
	t->setup = setup;
	t->offload = setup->backend->offload;
	t->whole = setup->vm->offload != VM_OFFLOAD_OFF; /* options.c: only with --offload=on */
	if (t->offload) {
		/* the frame slot of a batch (MTU + 15), then the rest of a 64 KiB packet */
		size_t frame_cap = (size_t)setup->vm->mtu + ETH_HDR_LEN + 1;

		t->packet_cap = (frame_cap > TAP_PACKET_MAX ? frame_cap : TAP_PACKET_MAX) + 1;
		t->packet = malloc(t->packet_cap);
		if (!t->packet) {
			snprintf(err, err_size, "out of memory");
			goto fail;
		}
	}
	t->nl = netlink_open(err, err_size);
	if (!t->nl)
		goto fail;
	t->port.fd = tap_create(t, err, err_size);
	if (t->port.fd < 0)
		goto fail;
	t->index = (int)if_nametoindex(t->name);
	if (t->index == 0) {
		snprintf(err, err_size, "tap: \"%s\" vanished: %s", t->name, strerror(errno));
		goto fail;
	}
	/* watching first: a change while we settle is seen */
	t->watch = (struct host_watch){
		.bridge = setup->backend->bridge,
		.tap_index = t->index,
		.gateway = inet_v4(&setup->net4->gateway),
		.gateway6 = {setup->net6->enabled ? &setup->net6->gateway : NULL,
			     setup->net6->enabled ? &setup->net6->gateway_ll : NULL},
		.on_change = on_host_change,
		.settle_ms = REPAIR_SETTLE_MS + (unsigned)t->index % REPAIR_SPREAD_MS,
	};
	if (host_watch_start(&t->watch, loop, err, err_size) < 0)
		goto fail;
	if (settle_first(t, err, err_size) < 0)
		goto fail;
	/*
	 * Forwards of instances that died go before this VM can get an address: the dead VM's
	 * may be handed out again, and its forwards must not follow it to someone else.
	 */
	if (forward_prune(why, sizeof(why)) < 0)
		log_warn("expose: forwards of ended instances stay: %s", why);
	log_info("tap ready name=%s bridge=%s mtu=%u offload=%s%s", t->name, setup->backend->bridge,
		 setup->vm->mtu, !t->offload ? "off" : t->join_udp ? "tcp,udp" : "tcp",
		 t->whole ? " vm_offload=whole" : "");
	t->port = (struct frame_port){
		.name = t->name,
		.fd = t->port.fd,
		.recv = tap_recv,
		.send = tap_send,
		.frame_max = t->whole ? TAP_PACKET_MAX : 0,
	};
	t->backend.ops = &backend_tap;
	t->backend.port = &t->port;
	tap_identify(setup, &t->backend.info);
	t->backend.info.offloads = !t->offload ? 0
				   : BACKEND_OFFLOAD_TCP4 | (t->join_udp ? BACKEND_OFFLOAD_UDP4 : 0);
	return &t->backend;
fail:
	tap_free(t);
	return NULL;
}

/* ---- port forwarding: nftables DNAT (forward.c) ------------------------------------------- */

static int tap_expose_reserve(struct backend *b, const struct expose *e, char *err,
			      size_t err_size)
{
	struct tap *t = container_of(b, struct tap, backend);

	if (!t->owner_tag[0]) {
		/* the first forward: this instance's tag */
		if (forward_owner_tag(t->owner_tag, sizeof(t->owner_tag)) < 0) {
			snprintf(err, err_size, "cannot tell who this process is");
			return -1;
		}
	}
	return claimed_forward_add(&t->forwards, e, err, err_size) ? 0 : -1;
}

static int tap_expose_apply(struct backend *b, const struct expose *e, uint32_t vm_addr,
			    char *err, size_t err_size)
{
	struct tap *t = container_of(b, struct tap, backend);
	struct claimed_forward *f = claimed_forward_find(t->forwards, e);

	if (!f || f->to == vm_addr)
		return 0;
	if (f->to && forward_del(e, t->owner_tag, err, err_size) < 0)
		return -1;
	f->to = 0;
	if (!vm_addr)
		return 0;
	/* an instance killed since this one started may have left rules for these ports */
	if (forward_prune(err, err_size) < 0)
		log_warn("expose: forwards of ended instances stay: %s", err);
	if (forward_add(t->setup->backend->bridge, e, vm_addr, t->owner_tag, err, err_size) < 0)
		return -1;
	f->to = vm_addr;
	port_claim_reset_waiting(e, f->held);
	return 0;
}

static void tap_expose_release(struct backend *b, const struct expose *e)
{
	struct tap *t = container_of(b, struct tap, backend);
	struct claimed_forward *f = claimed_forward_take(&t->forwards, e);
	char why[300];

	if (f && f->to && forward_del(e, t->owner_tag, why, sizeof(why)) < 0)
		log_warn("expose: %s", why);
	claimed_forward_free(f);
}

/* CAP_NET_ADMIN (linux/capability.h: 12) in this process's effective set, per /proc. */
#define CAP_NET_ADMIN_BIT 12

static bool has_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long caps = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	fclose(f);
	return found && (caps >> CAP_NET_ADMIN_BIT & 1);
}

/* A TAP, a bridge and NAT need CAP_NET_ADMIN (root has it) and /dev/net/tun. */
static bool tap_usable(char *why, size_t why_size)
{
	int fd;

	if (!has_net_admin()) {
		snprintf(why, why_size, "no CAP_NET_ADMIN (uid %u)", (unsigned)geteuid());
		return false;
	}
	fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_size, "cannot open %s: %s", TUN_PATH, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

const struct backend_ops backend_tap = {
	.name = "tap",
	.identify = tap_identify,
	.open = tap_open,
	.close = tap_close,
	.read_counters = tap_read_counters,
	.usable = tap_usable,
	/* its bridge, TAP and NAT table repaired (host_watch), its forwards made when the VM
	 * gets its address, all of it removed at exit: netlink and nftables */
	.keep = SANDBOX_KEEP_NET_ADMIN,
	.expose_reserve = tap_expose_reserve,
	.expose_apply = tap_expose_apply,
	.expose_release = tap_expose_release,
};
