// SPDX-License-Identifier: MIT
/* datapath.c — the relay: VM transport → guard → services or back-end, and back */
#include "datapath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/*
 * How long a batch may wait for a port that takes no frames (a VM that stopped reading,
 * a full socket buffer) before it is dropped and counted as vm-busy/host-busy. Meanwhile
 * the other side is not read, so the kernel queues push back on the sender; 100 ms is
 * below TCP's minimum retransmission timeout (200 ms), so a stall costs one RTO at most.
 */
#define BLOCKED_TIMEOUT_MS 100

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool relay_blocked(const struct relay *r)
{
	return r->out_sent < r->out_count;
}

/* Tell epoll (and a port with an epoll set of its own) which events @p's side waits for. */
static void watch_port(struct datapath *dp, struct frame_port *p, struct loop_source *src,
		       uint32_t *now, uint32_t want)
{
	if (want == *now)
		return;
	if (p->watch) {
		p->watch(p, want);
		if (!!want != !!*now && loop_modify(dp->loop, src, want ? EPOLLIN : 0) < 0)
			return;
	} else if (loop_modify(dp->loop, src, want) < 0) {
		return;
	}
	*now = want;
}

/* Watch each fd for reading unless its outgoing relay is blocked, for writing if it is. */
static void update_events(struct datapath *dp)
{
	uint32_t vm = (relay_blocked(&dp->to_host) ? 0 : EPOLLIN) |
		      (relay_blocked(&dp->to_vm) || dp->vm->tx_pending ? EPOLLOUT : 0);
	uint32_t host = (relay_blocked(&dp->to_vm) ? 0 : EPOLLIN) |
			(relay_blocked(&dp->to_host) || dp->host->tx_pending ? EPOLLOUT : 0);

	watch_port(dp, dp->vm, &dp->vm_src, &dp->vm_events, vm);
	watch_port(dp, dp->host, &dp->host_src, &dp->host_events, host);
}

static void port_gone(struct datapath *dp, struct frame_port *p, int err)
{
	if (p == dp->vm && err == -EPIPE) {
		if (!dp->vm_gone)
			log_info("vm gone: its socket was closed");
		dp->vm_gone = true;
	} else {
		log_error("%s: %s", p->name, strerror(-err));
		dp->failed = true;
	}
}

/* Write what waits in @r; on a short write keep the rest for EPOLLOUT. */
static void relay_flush(struct datapath *dp, struct relay *r)
{
	unsigned before = r->out_sent;
	int n;

	if (!relay_blocked(r))
		return;
	n = r->to->send(r->to, r->out + r->out_sent, r->out_count - r->out_sent);
	if (n < 0) {
		port_gone(dp, r->to, n);
		r->out_sent = r->out_count = 0;
		return;
	}
	r->out_sent += (unsigned)n;
	for (unsigned i = before; i < r->out_sent; i++) {
		r->counters->frames++;
		r->counters->bytes += r->out[i].len;
	}
	if (relay_blocked(r)) {
		if (!r->blocked_since_ms)
			r->blocked_since_ms = now_ms();
	} else {
		r->out_sent = r->out_count = 0;
		r->blocked_since_ms = 0;
	}
}

static void answer_dhcp(struct datapath *dp, const struct frame_view *v)
{
	enum drop_reason why = DROP_NONE;
	size_t len = dhcp_server_handle(dp->dhcp, v, dp->reply, dp->reply_cap, &why);

	if (why != DROP_NONE) {
		stats_drop(dp->stats, why, "vm->host", v);
		return;
	}
	dp->stats->dhcp.frames++;
	dp->stats->dhcp.bytes += v->len;
	guard_set_vm_address(&dp->guard, dhcp_server_vm_address(dp->dhcp));
	if (len) {
		struct frame_ref ref = {dp->reply, (uint32_t)len};
		int n = dp->vm->send(dp->vm, &ref, 1);

		if (n < 0)
			port_gone(dp, dp->vm, n);
		else if (n == 0)
			stats_drop(dp->stats, DROP_VM_BUSY, "host->vm", NULL);
	}
}

/* Read one batch from @r->from, judge each frame, and send what passes. */
static void relay_pump_once(struct datapath *dp, struct relay *r)
{
	struct frame_batch *b = &r->batch;
	bool from_vm = r->from == dp->vm;
	int n = r->from->recv(r->from, b);

	if (n < 0) {
		r->from->rx_pending = false;
		port_gone(dp, r->from, n);
		return;
	}
	for (unsigned i = 0; i < b->count; i++) {
		struct frame_view v = {0};
		enum guard_action action = GUARD_DROP;
		/* a frame that filled the buffer (MTU + 14 + 1) was cut: judge its length only */
		enum drop_reason why = b->len[i] >= b->frame_cap
					       ? DROP_OVERSIZE
					       : frame_parse(&v, b->data[i], b->len[i]);

		if (why == DROP_NONE)
			action = from_vm ? guard_vm_frame(&dp->guard, &v, &why)
					 : guard_host_frame(&dp->guard, &v, &why);
		switch (action) {
		case GUARD_PASS:
			r->out[r->out_count++] = (struct frame_ref){b->data[i], b->len[i]};
			break;
		case GUARD_DHCP:
			answer_dhcp(dp, &v);
			break;
		case GUARD_DROP:
			stats_drop(dp->stats, why, r->direction, v.dst_mac ? &v : NULL);
			break;
		}
	}
	relay_flush(dp, r);
}

/*
 * relay_pump() - read and relay one batch, and go on while the port holds frames it
 * has read already (they would not make its descriptor readable again) and the other
 * side takes them. Bounded by what the port holds: one large packet.
 */
static void relay_pump(struct datapath *dp, struct relay *r)
{
	do
		relay_pump_once(dp, r);
	while (r->from->rx_pending && !relay_blocked(r) && !dp->failed);
}

static void on_port_event(struct datapath *dp, struct frame_port *p, uint32_t events)
{
	struct relay *in = p == dp->vm ? &dp->to_host : &dp->to_vm;
	struct relay *out = p == dp->vm ? &dp->to_vm : &dp->to_host;

	/* any event may mean room: a --listen port's fd is an epoll set, only ever readable */
	if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) || relay_blocked(out)) {
		relay_flush(dp, out);
		if (out->from->rx_pending && !relay_blocked(out))
			relay_pump(dp, out);
	}
	/* the tail of a frame the port took in part: nothing else would ever write it */
	if (p->tx_pending && !relay_blocked(out)) {
		int n = p->send(p, NULL, 0);

		if (n < 0)
			port_gone(dp, p, n);
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !relay_blocked(in))
		relay_pump(dp, in);
	if (p == dp->vm && (events & EPOLLHUP) && !(events & EPOLLIN))
		port_gone(dp, p, -EPIPE); /* stream transports hang up; dgram never does */
	update_events(dp);
}

static void on_vm_event(struct loop_source *src, uint32_t events)
{
	struct datapath *dp = container_of(src, struct datapath, vm_src);

	on_port_event(dp, dp->vm, events);
}

static void on_host_event(struct loop_source *src, uint32_t events)
{
	struct datapath *dp = container_of(src, struct datapath, host_src);

	on_port_event(dp, dp->host, events);
}

int datapath_timeout_ms(const struct datapath *dp)
{
	uint64_t oldest = 0, now;

	for (const struct relay *r = &dp->to_host; r <= &dp->to_vm; r++)
		if (r->blocked_since_ms && (!oldest || r->blocked_since_ms < oldest))
			oldest = r->blocked_since_ms;
	if (!oldest)
		return -1;
	now = now_ms();
	return now >= oldest + BLOCKED_TIMEOUT_MS ? 0 : (int)(oldest + BLOCKED_TIMEOUT_MS - now);
}

void datapath_expire(struct datapath *dp)
{
	uint64_t now = now_ms();

	for (struct relay *r = &dp->to_host; r <= &dp->to_vm; r++) {
		if (!r->blocked_since_ms || now < r->blocked_since_ms + BLOCKED_TIMEOUT_MS)
			continue;
		for (unsigned i = r->out_sent; i < r->out_count; i++)
			stats_drop(dp->stats, r->busy_reason, r->direction, NULL);
		r->out_sent = r->out_count = 0;
		r->blocked_since_ms = 0;
		if (r->from->rx_pending)
			relay_pump(dp, r);
	}
	update_events(dp);
}

static void relay_init(struct relay *r, struct frame_port *from, struct frame_port *to,
		       struct direction_counters *counters, enum drop_reason busy,
		       const char *direction)
{
	r->from = from;
	r->to = to;
	r->counters = counters;
	r->busy_reason = busy;
	r->direction = direction;
}

int datapath_init(struct datapath *dp, struct loop *loop, const struct config *cfg,
		  struct frame_port *vm, struct frame_port *host, struct dhcp_server *dhcp,
		  struct stats *stats)
{
	/* MTU + header, and one byte more so that an oversize frame shows as such */
	size_t frame_cap = (size_t)cfg->mtu + ETH_HDR_LEN + 1;
	int r;

	*dp = (struct datapath){.loop = loop, .vm = vm, .host = host, .dhcp = dhcp,
				.stats = stats};
	guard_init(&dp->guard, cfg);
	relay_init(&dp->to_host, vm, host, &stats->vm_to_host, DROP_HOST_BUSY, "vm->host");
	relay_init(&dp->to_vm, host, vm, &stats->host_to_vm, DROP_VM_BUSY, "host->vm");
	vm->stats = host->stats = stats;
	vm->refuse_reason = DROP_VM_WRITE;
	host->refuse_reason = DROP_HOST_WRITE;
	dp->reply_cap = frame_cap;
	dp->reply = malloc(dp->reply_cap);
	if (!dp->reply || frame_batch_init(&dp->to_host.batch, DATAPATH_BATCH, frame_cap) < 0 ||
	    frame_batch_init(&dp->to_vm.batch, DATAPATH_BATCH, frame_cap) < 0) {
		datapath_fini(dp);
		return -ENOMEM;
	}
	dp->vm_src = (struct loop_source){.fd = vm->fd, .on_event = on_vm_event};
	dp->host_src = (struct loop_source){.fd = host->fd, .on_event = on_host_event};
	dp->vm_events = dp->host_events = EPOLLIN;
	r = loop_add(loop, &dp->vm_src, EPOLLIN);
	if (r == 0)
		r = loop_add(loop, &dp->host_src, EPOLLIN);
	if (r < 0)
		datapath_fini(dp);
	return r;
}

void datapath_fini(struct datapath *dp)
{
	if (dp->loop) {
		loop_remove(dp->loop, &dp->vm_src);
		loop_remove(dp->loop, &dp->host_src);
	}
	frame_batch_free(&dp->to_host.batch);
	frame_batch_free(&dp->to_vm.batch);
	free(dp->reply);
	dp->reply = NULL;
}
