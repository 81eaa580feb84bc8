// SPDX-License-Identifier: MIT
/* user.c — the back-end "user": a userspace NAT (libslirp) in the process, no root, no TAP, no bridge */
#include <errno.h>
#include <libslirp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/user/slirp_fds.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/stats.h"
#include "hostnet/port_claim.h"
#include "os/socket.h"
#include "proto/byteorder.h"
#include "proto/offload.h"
#include "proto/wire.h"

extern const struct backend_ops backend_user;

/*
 * Frames slirp made for the VM, kept until the relay takes them: 512 KiB, ~340 frames of
 * 1514 bytes — more than slirp makes in one pass over its sockets (one TCP window per
 * connection, 64 KiB = 45 frames). At MTU 65520 at least 8 frames. More than that, with the
 * VM not taking them, is dropped and counted (host-busy); TCP sends it again.
 */
#define USER_QUEUE_BYTES (512u << 10)
#define USER_QUEUE_MIN_FRAMES 8

/*
 * What slirp_pollfds_fill() asks for when none of its timers is due: it caps any timeout at
 * 1 s (slirp.c, slirp_update_timeout), 2 ms or 500 ms while TCP timers or UDP sockets
 * wait. Taken as "no timer", so that an idle instance never wakes: the bench's idle sample
 * showed 1 wakeup a second before.
 */
#define SLIRP_NOTHING_DUE_MS 1000u

/*
 * libslirp's MAC for its own addresses: 52:55 and the IPv4 address (slirp/src/slirp.c,
 * special_ethaddr + arp_input): the gateway's MAC, as the VM sees it.
 */
static void slirp_mac_of(uint32_t addr, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x55;
	mac[2] = (uint8_t)(addr >> 24);
	mac[3] = (uint8_t)(addr >> 16);
	mac[4] = (uint8_t)(addr >> 8);
	mac[5] = (uint8_t)addr;
}

/**
 * struct user - the back-end
 * @slirp: libslirp's stack
 * @fds: its sockets, watched in a loop of their own whose descriptor is the port's
 * @bell: a pipe in that loop, written when frames wait that no socket event announces
 *        (made by a timer, or by the VM's own frames)
 * @queue: frames for the VM: [len u32][frame] records in a byte ring
 * @poll_timer: slirp's next timeout (its TCP timers), armed only while it asks for one
 * @timers: the timers libslirp made (timer_new), in a list
 * @seg: one frame of the VM's MTU: a segment of a VM's IPv6 TSO packet, cut for libslirp
 */
struct user {
	struct backend backend;
	struct frame_port port;
	const struct backend_setup *setup;
	struct loop *loop;
	Slirp *slirp;
	struct slirp_fds fds;
	int bell[2];
	bool rung;
	uint8_t *queue;
	size_t queue_cap, q_head, q_len;
	struct loop_timer poll_timer;
	struct user_timer *timers;
	struct claimed_forward *forwards; /* held: -1 where slirp's own socket holds it */
	uint8_t *seg;
};

/**
 * struct user_timer - a libslirp timer on the loop
 * @cb: libslirp's callback, with @cb_opaque
 */
struct user_timer {
	struct loop_timer t;
	SlirpTimerCb cb;
	void *cb_opaque;
	struct user *owner;
	struct user_timer *next;
};

/* ---- frames for the VM ------------------------------------------------------------------ */

static void ring_bell(struct user *u)
{
	if (!u->rung && write(u->bell[1], "", 1) == 1)
		u->rung = true;
}

static void clear_bell(struct user *u)
{
	char buf[16];

	if (!u->rung)
		return;
	while (read(u->bell[0], buf, sizeof(buf)) > 0) {
	}
	u->rung = false;
}

/* Copy @n bytes to the ring, @off bytes after its head: one or two pieces. */
static void queue_write(struct user *u, size_t off, const void *src, size_t n)
{
	size_t pos = (u->q_head + off) % u->queue_cap, first = u->queue_cap - pos;

	if (first >= n) {
		memcpy(u->queue + pos, src, n);
	} else {
		memcpy(u->queue + pos, src, first);
		memcpy(u->queue, (const uint8_t *)src + first, n - first);
	}
}

static void queue_put(struct user *u, const uint8_t *frame, uint32_t len)
{
	size_t need = sizeof(len) + len;

	if (u->q_len + need > u->queue_cap) {
		stats_drop(u->port.stats, DROP_HOST_BUSY, "host->vm", NULL);
		return;
	}
	queue_write(u, u->q_len, &len, sizeof(len));
	queue_write(u, u->q_len + sizeof(len), frame, len);
	u->q_len += need;
}

static void queue_read(struct user *u, size_t off, void *dst, size_t n)
{
	size_t pos = (u->q_head + off) % u->queue_cap, first = u->queue_cap - pos;

	if (first >= n) {
		memcpy(dst, u->queue + pos, n);
	} else {
		memcpy(dst, u->queue + pos, first);
		memcpy((uint8_t *)dst + first, u->queue, n - first);
	}
}

/* libslirp: a frame for the guest (the VM). */
static ssize_t on_send_packet(const void *buf, size_t len, void *opaque)
{
	struct user *u = opaque;

	if (len > (size_t)u->setup->vm->mtu + ETH_HDR_LEN) {
		stats_drop(u->port.stats, DROP_OVERSIZE, "host->vm", NULL);
		return (ssize_t)len;
	}
	queue_put(u, buf, (uint32_t)len);
	return (ssize_t)len;
}

/* ---- libslirp's sockets and timers ------------------------------------------------------- */

/*
 * After anything slirp did: watch the sockets it wants watched now, arm its timeout, and
 * make the port readable if frames wait (unless the relay is told otherwise: user_send).
 */
static void settle(struct user *u)
{
	uint32_t timeout = UINT32_MAX;

	slirp_fds_begin(&u->fds);
	slirp_pollfds_fill(u->slirp, &timeout, slirp_fds_add, &u->fds);
	slirp_fds_end(&u->fds);
	if (timeout < SLIRP_NOTHING_DUE_MS)
		loop_timer_arm(u->loop, &u->poll_timer, clock_mono_ms() + timeout);
	else
		loop_timer_disarm(u->loop, &u->poll_timer);
	if (u->q_len && !u->port.rx_pending)
		ring_bell(u);
	slirp_fds_settle(&u->fds); /* what slirp read and wrote no longer makes the port ready */
}

/* Let slirp serve its sockets that are ready now (and its own timers). */
static void serve_sockets(struct user *u)
{
	int err = slirp_fds_poll_now(&u->fds);

	slirp_pollfds_poll(u->slirp, err < 0, slirp_fds_revents, &u->fds);
	settle(u);
}

static void on_poll_timer(struct loop_timer *t)
{
	serve_sockets(container_of(t, struct user, poll_timer));
}

static void on_slirp_timer(struct loop_timer *t)
{
	struct user_timer *ut = container_of(t, struct user_timer, t);
	struct user *u = ut->owner;

	ut->cb(ut->cb_opaque);
	settle(u);
}

static void *on_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct user *u = opaque;
	struct user_timer *ut = calloc(1, sizeof(*ut));

	if (!ut)
		return NULL;
	*ut = (struct user_timer){.t = {.on_expire = on_slirp_timer}, .cb = cb,
				  .cb_opaque = cb_opaque, .owner = u, .next = u->timers};
	u->timers = ut;
	return ut;
}

static void on_timer_free(void *timer, void *opaque)
{
	struct user *u = opaque;

	for (struct user_timer **p = &u->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = (*p)->next;
			loop_timer_disarm(u->loop, &((struct user_timer *)timer)->t);
			free(timer);
			return;
		}
}

/* @expire_ms is on clock_get_ns()'s clock, the monotonic one: the loop's. */
static void on_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct user *u = opaque;

	loop_timer_arm(u->loop, &((struct user_timer *)timer)->t,
		       expire_ms > 0 ? (uint64_t)expire_ms : 1);
}

static int64_t on_clock_get_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	log_debug("user: slirp: %s", msg);
}

/* Sockets are watched by what slirp_pollfds_fill() says each time: nothing to do here. */
static void on_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* A socket slirp is about to close leaves the set first (its number may come back). */
static void on_unregister_poll_fd(int fd, void *opaque)
{
	struct user *u = opaque;

	slirp_fds_forget(&u->fds, fd);
}

/*
 * libslirp calls this from inside its own calls (sbdrop(), in slirp_input() and
 * slirp_pollfds_poll()): filling the poll set there would renumber the sockets it is
 * walking and may free expired ones under it. Every call into libslirp is followed by
 * settle() anyway, so there is nothing left to do here.
 */
static void on_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb slirp_callbacks = {
	.send_packet = on_send_packet,
	.guest_error = on_guest_error,
	.clock_get_ns = on_clock_get_ns,
	.timer_new = on_timer_new,
	.timer_free = on_timer_free,
	.timer_mod = on_timer_mod,
	.register_poll_fd = on_register_poll_fd,
	.unregister_poll_fd = on_unregister_poll_fd,
	.notify = on_notify,
};

/* ---- the port ----------------------------------------------------------------------------- */

static int user_recv(struct frame_port *p, struct frame_batch *b)
{
	struct user *u = container_of(p, struct user, port);
	unsigned n = 0;

	clear_bell(u);
	if (!p->rx_pending)
		serve_sockets(u); /* settles the set */
	else
		slirp_fds_settle(&u->fds); /* the bell was drained */
	while (n < b->cap && u->q_len) {
		uint32_t len;

		queue_read(u, 0, &len, sizeof(len));
		/* a frame longer than a batch slot shows as frame_cap bytes: the relay counts it */
		queue_read(u, sizeof(len), b->data[n], len < b->frame_cap ? len : b->frame_cap);
		b->len[n++] = len < b->frame_cap ? len : (uint32_t)b->frame_cap;
		u->q_head = (u->q_head + sizeof(len) + len) % u->queue_cap;
		u->q_len -= sizeof(len) + len;
	}
	p->rx_pending = u->q_len > 0;
	b->count = n;
	return (int)n;
}

/*
 * libslirp takes the gateway's address for the host's loopback and connects to any other
 * address as it is (socket.c, sotranslate_out; older releases took the whole subnet for the
 * loopback). Another address of the VM's own subnet names nobody on this network — no other
 * VM is there — so it goes nowhere, whatever the policy allows: not out to whatever that
 * subnet is on the host's networks, not to the host's loopback. The same for another
 * address of the IPv6 prefix than the gateway's (libslirp's vhost6: it answers for the
 * gateway's global and link-local addresses, ip6.h in6_equal_router).
 */
static bool to_another_of_the_subnet(const struct user *u, const uint8_t *f, uint32_t len)
{
	const struct net6_config *net6 = u->setup->net6;
	struct inet_addr dst6;
	uint32_t dst;

	if (len >= ETH_HDR_LEN + IPV6_HDR_LEN && be16(f + 12) == ETHERTYPE_IPV6) {
		memcpy(dst6.b, f + ETH_HDR_LEN + 24, 16);
		return net6->enabled && inet6_in_prefix64(&dst6, &net6->prefix.addr) &&
		       !inet_equal(&dst6, &net6->gateway);
	}
	if (len < ETH_HDR_LEN + 20 || be16(f + 12) != ETHERTYPE_IPV4)
		return false;
	dst = be32(f + ETH_HDR_LEN + 16);
	return (dst & u->setup->net4->mask) == inet_v4(&u->setup->net4->subnet.addr) &&
	       dst != inet_v4(&u->setup->net4->gateway);
}

/*
 * An ICMPv6 echo request to anyone but libslirp itself: libslirp 4.7 carries none ("external
 * icmpv6 not supported yet", ip6_icmp.c icmp6_input), so it is refused here, counted, rather
 * than logged by libslirp for every ping.
 */
static bool unsupported_echo6(const struct user *u, const uint8_t *f, uint32_t len)
{
	const struct net6_config *net6 = u->setup->net6;
	const uint8_t *ip6 = f + ETH_HDR_LEN;
	struct inet_addr dst6;

	if (len < ETH_HDR_LEN + IPV6_HDR_LEN + 4 || be16(f + 12) != ETHERTYPE_IPV6 ||
	    ip6[6] != IPPROTO_ICMPV6_ || ip6[IPV6_HDR_LEN] != ICMPV6_ECHO_REQUEST)
		return false;
	memcpy(dst6.b, ip6 + 24, 16);
	return !inet_equal(&dst6, &net6->gateway) && !inet_equal(&dst6, &net6->gateway_ll);
}

/* A Neighbor Advertisement (no extension headers: the guard let it through as one). */
static bool is_advertisement(const uint8_t *f, uint32_t len)
{
	return len >= ETH_HDR_LEN + IPV6_HDR_LEN + 4 && be16(f + 12) == ETHERTYPE_IPV6 &&
	       f[ETH_HDR_LEN + 6] == IPPROTO_ICMPV6_ &&
	       f[ETH_HDR_LEN + IPV6_HDR_LEN] == ICMPV6_ND_NA;
}

/*
 * Every frame of the VM goes into slirp at once; what it answers (the next TCP segments for
 * the ACKs it was given, an ARP reply) waits in the queue, and the relay, told by
 * rx_pending, takes it on the same turn of the loop: no bell to ring and hear again. For
 * TCP host→VM at MTU 1500 that was one pipe write, one read and one more wakeup per batch
 * of the VM's ACKs.
 */
/* A VM's IPv6 TSO packet (checked: offload_check()) to libslirp as segments of its MSS. */
static void input_segments(struct user *u, const uint8_t *pkt, size_t len,
			   const struct offload_info *o)
{
	size_t max_frame = (size_t)u->setup->vm->mtu + ETH_HDR_LEN, n;
	struct packet_splitter s;

	if (packet_split_start(&s, pkt, len, o, max_frame) != DROP_NONE) {
		stats_drop(u->port.stats, DROP_GSO_TYPE, "vm->host", NULL);
		return;
	}
	while ((n = packet_split_next(&s, u->seg, max_frame)) > 0)
		slirp_input(u->slirp, u->seg, (int)n);
}

static int user_send(struct frame_port *p, const struct frame_ref *frames, unsigned n)
{
	struct user *u = container_of(p, struct user, port);

	bool advertised = false;

	for (unsigned i = 0; i < n; i++) {
		struct offload_info *o = frames[i].offload;

		if (to_another_of_the_subnet(u, frames[i].data, frames[i].len)) {
			stats_drop(p->stats, DROP_POLICY_BLOCK, "vm->host", NULL);
		} else if (unsupported_echo6(u, frames[i].data, frames[i].len)) {
			stats_drop(p->stats, DROP_HOST_WRITE, "vm->host", NULL);
		} else {
			/* --vm-offload: libslirp checks every checksum, and takes a large IPv4
			 * segment whole; IPv6 ones past its MTU it refuses (ip6_input(): "ip_pl >
			 * if_mtu" answers Packet Too Big), so those are cut here */
			if (o && o->gso == GSO_TCP6) {
				input_segments(u, frames[i].data, frames[i].len, o);
				continue;
			}
			if (o && o->needs_csum) {
				offload_finish_csum(frames[i].data, frames[i].len, o);
				o->needs_csum = false;
			}
			advertised = advertised || is_advertisement(frames[i].data, frames[i].len);
			slirp_input(u->slirp, frames[i].data, (int)frames[i].len);
		}
	}
	/*
	 * libslirp holds what it has for an IPv6 address whose MAC it is asking for (if.c,
	 * if_encap6) and sends it only from if_start(), which runs at the end of its poll: the
	 * VM's answer (a Neighbor Advertisement) would otherwise leave it waiting for the next
	 * socket event, or its 1 s expiry.
	 */
	if (advertised)
		serve_sockets(u);
	if (u->q_len)
		p->rx_pending = true;
	if (n && !advertised)
		settle(u);
	return (int)n;
}

/* ---- port forwarding: slirp's hostfwd ---------------------------------------------------- */

static int user_expose_reserve(struct backend *b, const struct expose *e, char *err,
			       size_t err_size)
{
	struct user *u = container_of(b, struct user, backend);

	return claimed_forward_add(&u->forwards, e, err, err_size) ? 0 : -1;
}

/* slirp stops forwarding @f: the ports are held again by our own sockets (best effort). */
static void unforward(struct user *u, struct claimed_forward *f, bool hold_again)
{
	struct in_addr host = {htonl(f->e.bind)};

	if (!f->to)
		return;
	for (unsigned i = 0; i < expose_ports(&f->e); i++) {
		slirp_remove_hostfwd(u->slirp, f->e.proto == 17, host, f->e.host_lo + (int)i);
		if (hold_again)
			f->held[i] = port_claim(&f->e, (uint16_t)(f->e.host_lo + i));
	}
	f->to = 0;
}

static int user_expose_apply(struct backend *b, const struct expose *e, uint32_t vm_addr,
			     char *err, size_t err_size)
{
	struct user *u = container_of(b, struct user, backend);
	struct claimed_forward *f = claimed_forward_find(u->forwards, e);
	struct in_addr host = {htonl(e->bind)}, guest = {htonl(vm_addr)};
	int r = 0;

	if (!f || f->to == vm_addr)
		return 0;
	unforward(u, f, !vm_addr);
	for (unsigned i = 0; vm_addr && i < expose_ports(e); i++) {
		if (f->held[i] >= 0) { /* hand the port over to slirp's own socket */
			close(f->held[i]);
			f->held[i] = -1;
		}
		if (slirp_add_hostfwd(u->slirp, e->proto == 17, host, e->host_lo + (int)i, guest,
				      e->vm_lo + (int)i) < 0 && r == 0) {
			snprintf(err, err_size, "slirp cannot forward host port %u: %s",
				 e->host_lo + i, strerror(errno));
			r = -1;
		}
	}
	if (vm_addr)
		f->to = vm_addr;
	settle(u);
	return r;
}

static void user_expose_release(struct backend *b, const struct expose *e)
{
	struct user *u = container_of(b, struct user, backend);
	struct claimed_forward *f = claimed_forward_take(&u->forwards, e);

	if (!f)
		return;
	unforward(u, f, false);
	claimed_forward_free(f);
	settle(u);
}

/* ---- the back-end ------------------------------------------------------------------------ */

/* One network per VM (slirp's is the process's own): named by its subnet. */
static void user_identify(const struct backend_setup *setup, struct backend_info *info)
{
	char net[IPV4_TEXT_LEN];

	ipv4_format(inet_v4(&setup->net4->subnet.addr), net);
	snprintf(info->network_id, sizeof(info->network_id), "user:%s/%u", net,
		 setup->net4->subnet.len);
	snprintf(info->network_desc, sizeof(info->network_desc), "userspace NAT %s/%u", net,
		 setup->net4->subnet.len);
}

static void user_free(struct user *u)
{
	while (u->forwards)
		user_expose_release(&u->backend, &u->forwards->e);
	if (u->slirp)
		slirp_cleanup(u->slirp); /* frees its timers through on_timer_free */
	while (u->timers)
		on_timer_free(u->timers, u);
	if (u->loop)
		loop_timer_disarm(u->loop, &u->poll_timer);
	slirp_fds_fini(&u->fds);
	if (u->bell[0] >= 0) {
		close(u->bell[0]);
		close(u->bell[1]);
	}
	free(u->queue);
	free(u->seg);
	free(u);
}

static void user_close(struct backend *b)
{
	user_free(container_of(b, struct user, backend));
}

/* libslirp's network: the VM's, with libslirp's own DHCP and DNS off */
static void slirp_config_of(const struct backend_setup *setup, SlirpConfig *sc)
{
	uint32_t gateway = inet_v4(&setup->net4->gateway);

	*sc = (SlirpConfig){
		.version = 4,
		.restricted = 0,
		.in_enabled = true,
		.vnetwork = {htonl(inet_v4(&setup->net4->subnet.addr))},
		.vnetmask = {htonl(setup->net4->mask)},
		.vhost = {htonl(gateway)},
		/*
		 * IPv6: libslirp's NAT66 (its sockets, the host's IPv6) with the prefix as its
		 * network and the gateway as its own address; its NDP answers nothing the VM
		 * asks (sock-vmnet's responder does, on the frame path) and its periodic RAs
		 * are refused by the guard (only sock-vmnet's own RAs reach the VM). Its RA timer
		 * is the one wake-up an idle IPv6 instance has: every 200-600 s (ip6_icmp.c,
		 * NDP_Interval), which libslirp offers no way to turn off.
		 */
		.in6_enabled = setup->net6->enabled,
		.vdhcp_start = {htonl(gateway + 1)},
		/*
		 * Not the gateway: with its DNS on, libslirp sends its name server's address to
		 * the host's resolver (older releases: on every port). Its DNS is off and the VM's
		 * DNS never gets there (sock-vmnet answers it); 0.0.0.0, outside the subnet, makes
		 * sure nothing the VM sends is taken for it.
		 */
		.vnameserver = {0},
		.if_mtu = setup->vm->mtu,
		.if_mru = setup->vm->mtu,
		.disable_host_loopback = false,
		.disable_dns = true,  /* sock-vmnet answers the gateway's DNS itself */
		.disable_dhcp = true, /* and its DHCP */
	};
	if (setup->net6->enabled) {
		memcpy(&sc->vprefix_addr6, setup->net6->prefix.addr.b, 16);
		sc->vprefix_len = setup->net6->prefix.len;
		memcpy(&sc->vhost6, setup->net6->gateway.b, 16);
		memcpy(&sc->vnameserver6, setup->net6->gateway.b, 16); /* its DNS is off anyway */
	}
}

static struct backend *user_open(const struct backend_setup *setup, struct loop *loop, char *err,
				 size_t err_size)
{
	struct user *u = calloc(1, sizeof(*u));
	uint32_t gateway = inet_v4(&setup->net4->gateway);
	SlirpConfig sc;
	size_t frame = sizeof(uint32_t) + (size_t)setup->vm->mtu + ETH_HDR_LEN;

	slirp_config_of(setup, &sc);
	if (!u) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	u->setup = setup;
	u->bell[0] = u->bell[1] = -1;
	u->poll_timer.on_expire = on_poll_timer;
	u->queue_cap = USER_QUEUE_BYTES > USER_QUEUE_MIN_FRAMES * frame
			       ? USER_QUEUE_BYTES
			       : USER_QUEUE_MIN_FRAMES * frame;
	u->queue = malloc(u->queue_cap);
	u->seg = malloc(frame);
	if (!u->queue || !u->seg || os_pipe(u->bell) < 0 ||
	    slirp_fds_init(&u->fds, err, err_size) < 0) {
		if (!err[0])
			snprintf(err, err_size, "user: out of memory");
		goto fail;
	}
	os_set_nonblock_cloexec(u->bell[0]);
	os_set_nonblock_cloexec(u->bell[1]);
	if (slirp_fds_watch(&u->fds, u->bell[0]) < 0) {
		snprintf(err, err_size, "user: cannot watch its own pipe");
		goto fail;
	}
	u->loop = loop;
	u->slirp = slirp_new(&sc, &slirp_callbacks, u);
	if (!u->slirp) {
		snprintf(err, err_size, "user: libslirp refused the network (--start-addr, "
			 "--subnet-mask or --mtu %u)", setup->vm->mtu);
		goto fail;
	}
	u->port = (struct frame_port){
		.name = "user",
		.fd = slirp_fds_fd(&u->fds),
		.recv = user_recv,
		.send = user_send,
	};
	u->backend.ops = &backend_user;
	u->backend.port = &u->port;
	user_identify(setup, &u->backend.info);
	slirp_mac_of(gateway, u->backend.info.gateway_mac);
	settle(u);
	log_info("user ready libslirp=%s mtu=%u", slirp_version_string(), setup->vm->mtu);
	return &u->backend;
fail:
	user_free(u);
	return NULL;
}

const struct backend_ops backend_user = {
	.name = "user",
	.identify = user_identify,
	.open = user_open,
	.close = user_close,
	.expose_reserve = user_expose_reserve,
	.expose_apply = user_expose_apply,
	.expose_release = user_expose_release,
};
