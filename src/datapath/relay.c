// SPDX-License-Identifier: MIT
/* relay.c — the frame path: VM transport → guard → local responders or back-end, and back */
#include "datapath/relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/offload.h"
#include "proto/reject.h"

/*
 * How long a batch may wait for a port that takes no frames (a VM that stopped reading,
 * a full socket buffer) before it is dropped and counted as vm-busy/host-busy. Meanwhile
 * the other side is not read, so the kernel queues push back on the sender; 100 ms is
 * below TCP's minimum retransmission timeout (200 ms), so a stall costs one RTO at most.
 */
#define BLOCKED_TIMEOUT_MS 100

static bool lane_blocked(const struct lane *l)
{
	return l->out_sent < l->out_count;
}

/* Tell the loop (and a port with a set of its own) which events @p's side waits for. */
static void watch_port(struct relay *r, struct frame_port *p, struct loop_source *src,
		       uint32_t *now, uint32_t want)
{
	if (want == *now)
		return;
	if (p->watch) {
		p->watch(p, want);
		if (!!want != !!*now && loop_modify(r->loop, src, want ? LOOP_IN : 0) < 0)
			return;
	} else if (loop_modify(r->loop, src, want) < 0) {
		return;
	}
	*now = want;
}

/* The oldest blocked batch decides when the expiry timer fires; none: it is disarmed. */
static void update_expiry(struct relay *r)
{
	uint64_t oldest = 0;

	for (int d = 0; d < RELAY_DIRECTIONS; d++) {
		uint64_t since = r->lanes[d].blocked_since_ms;

		if (since && (!oldest || since < oldest))
			oldest = since;
	}
	if (!oldest)
		loop_timer_disarm(r->loop, &r->expiry);
	else if (r->expiry.deadline_ms != oldest + BLOCKED_TIMEOUT_MS)
		loop_timer_arm(r->loop, &r->expiry, oldest + BLOCKED_TIMEOUT_MS);
}

/* Watch each fd for reading unless its outgoing lane is blocked, for writing if it is. */
static void update_events(struct relay *r)
{
	const struct lane *to_host = &r->lanes[TO_HOST], *to_vm = &r->lanes[TO_VM];
	uint32_t vm = (lane_blocked(to_host) ? 0 : LOOP_IN) |
		      (lane_blocked(to_vm) || r->vm->tx_pending ? LOOP_OUT : 0);
	uint32_t host = (lane_blocked(to_vm) ? 0 : LOOP_IN) |
			(lane_blocked(to_host) || r->host->tx_pending ? LOOP_OUT : 0);

	watch_port(r, r->vm, &r->vm_src, &r->vm_events, vm);
	watch_port(r, r->host, &r->host_src, &r->host_events, host);
	update_expiry(r);
}

static void port_gone(struct relay *r, struct frame_port *p, int err)
{
	if (p == r->vm && err == -EPIPE) {
		if (!r->vm_gone)
			log_info("vm gone: its socket was closed");
		r->vm_gone = true;
	} else {
		log_error("%s: %s", p->name, strerror(-err));
		r->failed = true;
	}
}

/* Write what waits in @l; on a short write keep the rest for LOOP_OUT. */
static void lane_flush(struct relay *r, struct lane *l)
{
	unsigned before = l->out_sent;
	int n;

	if (!lane_blocked(l))
		return;
	n = l->to->send(l->to, l->out + l->out_sent, l->out_count - l->out_sent);
	if (n < 0) {
		port_gone(r, l->to, n);
		l->out_sent = l->out_count = 0;
		return;
	}
	l->out_sent += (unsigned)n;
	for (unsigned i = before; i < l->out_sent; i++) {
		l->counters->frames++;
		l->counters->bytes += l->out[i].len;
	}
	if (lane_blocked(l)) {
		if (!l->blocked_since_ms)
			l->blocked_since_ms = clock_mono_ms();
	} else {
		l->out_sent = l->out_count = 0;
		l->blocked_since_ms = 0;
	}
}

/* Tell the observer of a frame sock-vmnet made itself. */
static void observe_made(struct relay *r, enum relay_direction dir, const uint8_t *frame,
			 size_t len)
{
	if (r->observer.seen)
		r->observer.seen(r->observer.ctx,
				 &(struct relay_seen){.dir = dir, .action = GUARD_PASS, .made = true,
						      .data = frame, .len = (uint32_t)len});
}

/* responder_env.send_to_vm: a responder's frame goes to the VM at once, or is lost as busy */
static void send_to_vm(void *ctx, const uint8_t *frame, size_t len)
{
	struct relay *r = ctx;
	struct frame_ref ref = {(uint8_t *)frame, (uint32_t)len, NULL};
	int n = r->vm->send(r->vm, &ref, 1);

	observe_made(r, TO_VM, frame, len);
	if (n < 0)
		port_gone(r, r->vm, n);
	else if (n == 0)
		stats_drop(r->stats, DROP_VM_BUSY, "host->vm", NULL);
}

/* A frame sock-vmnet makes for the host side (a reset): sent now or not at all. */
static void send_to_host(struct relay *r, const uint8_t *frame, size_t len)
{
	struct frame_ref ref = {(uint8_t *)frame, (uint32_t)len, NULL};
	int n = r->host->send(r->host, &ref, 1);

	observe_made(r, TO_HOST, frame, len);
	if (n < 0)
		port_gone(r, r->host, n);
	else if (n == 0)
		stats_drop(r->stats, DROP_HOST_BUSY, "vm->host", NULL);
}

/* Take one answer from the budget of rejects; false when it is spent for now. */
static bool reject_token(struct relay *r)
{
	uint64_t now = r->now_ms;
	uint64_t earned = (now - r->reject_refill_ms) * RELAY_REJECTS_PER_SECOND / 1000;

	if (earned) {
		r->reject_tokens = r->reject_tokens + earned > RELAY_REJECT_BURST
					   ? RELAY_REJECT_BURST
					   : (unsigned)(r->reject_tokens + earned);
		r->reject_refill_ms = now;
	}
	if (!r->reject_tokens)
		return false;
	r->reject_tokens--;
	return true;
}

/*
 * A VM packet the policy refused, with --block-mode=reject: the VM's program learns at once
 * (TCP: a reset from the server's address; else ICMP "administratively prohibited" from the
 * router the VM sent it to), within a budget, so that a flood of refused packets is not
 * answered one for one.
 */
static void reject(struct relay *r, const struct frame_view *v)
{
	uint8_t answer[REJECT_FRAME_MAX];
	struct inet_addr router;
	size_t len;

	if (!guard_rejects(r->guard) || !reject_token(r))
		return;
	router = v->ip6 ? guard_router6(r->guard, &v->ip_src) : inet_from_v4(guard_gateway(r->guard));
	len = v->ip_proto == IPPROTO_TCP_ && v->l4
		      ? reject_reset_sender(v, answer)
		      : reject_icmp_prohibited(v, v->dst_mac, &router, answer);
	if (len)
		send_to_vm(r, answer, len);
}

/*
 * A connection the server-name check refused: reset at both ends (never rate-limited). The
 * server's side is reset where the guard says its next byte is, when it knows (it held
 * bytes back), since a reset elsewhere is not taken (RFC 5961 3.2).
 */
static void reset_both(struct relay *r, const struct frame_view *v)
{
	uint8_t answer[REJECT_FRAME_MAX];
	size_t len = reject_reset_sender(v, answer);
	uint32_t seq;

	if (len)
		send_to_vm(r, answer, len);
	len = guard_reset_seq(r->guard, &seq) ? reject_reset_receiver_at(v, seq, answer)
					      : reject_reset_receiver(v, answer);
	if (len)
		send_to_host(r, answer, len);
}

/* The guard's segments in the frame's place (judged bytes it had held, released). */
static void take_emitted(struct relay *r, struct lane *l)
{
	const struct frame_ref *frames;
	size_t n = guard_emitted(r->guard, &frames);

	memcpy(l->out + l->out_count, frames, n * sizeof(*frames));
	l->out_count += (unsigned)n;
	for (size_t i = 0; i < n; i++) /* what the host gets, as the captures see it */
		observe_made(r, TO_HOST, frames[i].data, frames[i].len);
}

/* A drop, and with --debug which rule decided it when the policy did. */
static void count_drop(struct relay *r, enum drop_reason why, const char *direction,
		       const struct frame_view *v)
{
	char rule[POLICY_RULE_TEXT_LEN], detail[POLICY_RULE_TEXT_LEN + 16] = "";
	const struct policy_entry *e = log_debug_enabled() ? guard_decided_by(r->guard) : NULL;

	if (e) {
		snprintf(detail, sizeof(detail), "rule=\"%s %s%s\"", e->rule.allow ? "allow" : "block",
			 policy_rule_format(&e->rule, rule, sizeof(rule)),
			 e->builtin ? " (built-in)" : "");
	}
	stats_drop_detail(r->stats, why, direction, v, detail);
}

/* responder_env.vm_address: the guard lets the VM use the address it now holds */
static void vm_address(void *ctx, const struct inet_addr *addr)
{
	struct relay *r = ctx;

	guard_set_vm_address(r->guard, addr);
	if (r->on_vm_address)
		r->on_vm_address(r->vm_address_ctx, guard_vm_address(r->guard));
}

/* responder_env.claim_address: the VM's claim of an IPv6 address won */
static bool claim_address(void *ctx, const struct inet_addr *addr, struct inet_addr *evicted)
{
	struct relay *r = ctx;

	guard_set_now(r->guard, clock_mono_ms());
	return guard_claim(r->guard, addr, evicted);
}

/* responder_env.learn_answer: a DNS answer the VM is given, read by the guard's name rules */
static void learn_answer(void *ctx, const uint8_t *msg, size_t len)
{
	struct relay *r = ctx;

	guard_set_now(r->guard, clock_mono_ms());
	guard_learn_answer(r->guard, msg, len);
	if (r->observer.answer)
		r->observer.answer(r->observer.ctx, msg, len);
}

static void answer_locally(struct relay *r, enum local_service service,
			   const struct frame_view *v)
{
	struct responder *resp = r->responders.by_service[service];
	enum drop_reason why = resp ? resp->handle(resp, v) : DROP_LOCAL_UNSERVED;

	if (why != DROP_NONE) {
		stats_drop(r->stats, why, "vm->host", v);
		return;
	}
	resp->counters->frames++;
	resp->counters->bytes += v->len;
}

/* The VM is active: the responders that speak up now and then may do it now (no timers). */
static void responders_vm_active(struct relay *r)
{
	for (int i = 0; i < LOCAL__COUNT; i++) {
		struct responder *resp = r->responders.by_service[i];

		if (resp && resp->vm_active)
			resp->vm_active(resp, r->now_ms);
	}
}

/* Read one batch from @l->from, judge each frame, and send what passes. */
static void lane_pump_once(struct relay *r, struct lane *l)
{
	struct frame_batch *b = &l->batch;
	bool from_vm = l->from == r->vm;
	int n;

	memset(b->offload, 0, b->cap * sizeof(*b->offload));
	n = l->from->recv(l->from, b);

	if (n < 0) {
		l->from->rx_pending = false;
		port_gone(r, l->from, n);
		return;
	}
	r->now_ms = clock_mono_ms();
	guard_set_now(r->guard, r->now_ms);
	if (from_vm) {
		guard_batch_start(r->guard); /* the last batch's segments are all sent */
		if (b->count)
			responders_vm_active(r);
	}
	for (unsigned i = 0; i < b->count; i++) {
		struct frame_view v = {0};
		enum guard_action action = GUARD_DROP;
		enum local_service service = LOCAL_DHCP4;
		/* a frame that filled the buffer (MTU + 14 + 1) was cut: judge its length only */
		enum drop_reason why = b->len[i] >= b->frame_cap
					       ? DROP_OVERSIZE
					       : frame_parse(&v, b->data[i], b->len[i]);
		struct offload_info *o = offload_any(&b->offload[i]) ? &b->offload[i] : NULL;

		v.offload = o;
		/* --ipv6=off: every IPv6 frame is "ipv6", as before IPv6 was served */
		if (why != DROP_NONE && v.ethertype == ETHERTYPE_IPV6 && !guard_ipv6(r->guard))
			why = DROP_IPV6;
		if (why == DROP_NONE)
			action = from_vm ? guard_vm_frame(r->guard, &v, &why, &service)
					 : guard_host_frame(r->guard, &v, &why);
		switch (action) {
		case GUARD_PASS:
			l->out[l->out_count++] = (struct frame_ref){b->data[i], b->len[i], o};
			if (from_vm && o && o->gso != GSO_NONE) { /* the VM's large packet: whole */
				r->stats->from_vm.packets++;
				r->stats->from_vm.frames += offload_segments(o, b->len[i]);
			}
			break;
		case GUARD_LOCAL:
			answer_locally(r, service, &v);
			break;
		case GUARD_DROP:
			count_drop(r, why, l->direction, v.dst_mac ? &v : NULL);
			if (from_vm && (why == DROP_POLICY_BLOCK || why == DROP_FOREIGN_DNS))
				reject(r, &v);
			break;
		case GUARD_RESET:
			count_drop(r, why, l->direction, &v);
			reset_both(r, &v);
			break;
		case GUARD_HOLD:
			break; /* its bytes wait in the guard, to be judged */
		case GUARD_EMIT:
			take_emitted(r, l);
			break;
		}
		if (r->observer.seen)
			r->observer.seen(r->observer.ctx, &(struct relay_seen){
				.dir = from_vm ? TO_HOST : TO_VM, .action = action, .why = why,
				.rule = guard_decided_by(r->guard), .data = b->data[i],
				.len = b->len[i], .v = v.dst_mac ? &v : NULL});
	}
	lane_flush(r, l);
}

/*
 * lane_pump() - read and relay one batch, and go on while the port holds frames it has
 * read already (they would not make its descriptor readable again) and the other side
 * takes them. Bounded by what the port holds: one large packet.
 */
static void lane_pump(struct relay *r, struct lane *l)
{
	do
		lane_pump_once(r, l);
	while (l->from->rx_pending && !lane_blocked(l) && !r->failed);
}

static void on_port_event(struct relay *r, struct frame_port *p, uint32_t events)
{
	struct lane *in = &r->lanes[p == r->vm ? TO_HOST : TO_VM];
	struct lane *out = &r->lanes[p == r->vm ? TO_VM : TO_HOST];

	/* any event may mean room: a --listen port's fd is a set, only ever readable */
	if ((events & (LOOP_OUT | LOOP_ERR | LOOP_HUP)) || lane_blocked(out)) {
		lane_flush(r, out);
		if (out->from->rx_pending && !lane_blocked(out))
			lane_pump(r, out);
	}
	/* the tail of a frame the port took in part: nothing else would ever write it */
	if (p->tx_pending && !lane_blocked(out)) {
		int n = p->send(p, NULL, 0);

		if (n < 0)
			port_gone(r, p, n);
	}
	if ((events & (LOOP_IN | LOOP_ERR | LOOP_HUP)) && !lane_blocked(in)) {
		lane_pump(r, in);
		/* what the other port made of those frames (a userspace stack's answers) */
		if (in->to->rx_pending && !lane_blocked(out))
			lane_pump(r, out);
	}
	if (p == r->vm && (events & LOOP_HUP) && !(events & LOOP_IN))
		port_gone(r, p, -EPIPE); /* stream transports hang up; dgram never does */
	update_events(r);
}

static void on_vm_event(struct loop_source *src, uint32_t events)
{
	struct relay *r = container_of(src, struct relay, vm_src);

	on_port_event(r, r->vm, events);
}

static void on_host_event(struct loop_source *src, uint32_t events)
{
	struct relay *r = container_of(src, struct relay, host_src);

	on_port_event(r, r->host, events);
}

/* Drop the batches that waited too long for a port that will not take them. */
static void on_expiry(struct loop_timer *t)
{
	struct relay *r = container_of(t, struct relay, expiry);
	uint64_t now = clock_mono_ms();

	for (int d = 0; d < RELAY_DIRECTIONS; d++) {
		struct lane *l = &r->lanes[d];

		if (!l->blocked_since_ms || now < l->blocked_since_ms + BLOCKED_TIMEOUT_MS)
			continue;
		for (unsigned i = l->out_sent; i < l->out_count; i++) {
			stats_drop(r->stats, l->busy_reason, l->direction, NULL);
			if (r->observer.seen)
				r->observer.seen(r->observer.ctx, &(struct relay_seen){
					.dir = (enum relay_direction)d, .action = GUARD_DROP,
					.why = l->busy_reason, .data = l->out[i].data,
					.len = l->out[i].len});
		}
		l->out_sent = l->out_count = 0;
		l->blocked_since_ms = 0;
		if (l->from->rx_pending)
			lane_pump(r, l);
	}
	update_events(r);
}

static void lane_init(struct lane *l, struct frame_port *from, struct frame_port *to,
		      struct direction_counters *counters, enum drop_reason busy,
		      const char *direction)
{
	l->from = from;
	l->to = to;
	l->counters = counters;
	l->busy_reason = busy;
	l->direction = direction;
}

int relay_init(struct relay *r, struct loop *loop, unsigned mtu, struct frame_port *vm,
	       struct frame_port *host, struct guard *guard, struct stats *stats)
{
	/* MTU + header, and one byte more so that an oversize frame shows as such */
	size_t frame_cap = (size_t)mtu + ETH_HDR_LEN + 1;
	int e;

	*r = (struct relay){.loop = loop, .vm = vm, .host = host, .guard = guard, .stats = stats,
			    .expiry.on_expire = on_expiry};
	r->env = (struct responder_env){.send_to_vm = send_to_vm, .vm_address = vm_address,
					.learn_answer = learn_answer, .claim_address = claim_address,
					.ctx = r, .loop = loop};
	r->reject_tokens = RELAY_REJECT_BURST;
	r->reject_refill_ms = clock_mono_ms();
	lane_init(&r->lanes[TO_HOST], vm, host, &stats->vm_to_host, DROP_HOST_BUSY, "vm->host");
	lane_init(&r->lanes[TO_VM], host, vm, &stats->host_to_vm, DROP_VM_BUSY, "host->vm");
	vm->stats = host->stats = stats;
	vm->refuse_reason = DROP_VM_WRITE;
	host->refuse_reason = DROP_HOST_WRITE;
	for (int d = 0; d < RELAY_DIRECTIONS; d++) {
		size_t large = r->lanes[d].from->frame_max + 1; /* a port's large packets, + 1 */

		if (frame_batch_init(&r->lanes[d].batch, RELAY_BATCH,
				     large > frame_cap ? large : frame_cap) < 0) {
			relay_fini(r);
			return -ENOMEM;
		}
	}
	r->vm_src = (struct loop_source){.fd = vm->fd, .on_event = on_vm_event};
	r->host_src = (struct loop_source){.fd = host->fd, .on_event = on_host_event};
	r->vm_events = r->host_events = LOOP_IN;
	e = loop_add(loop, &r->vm_src, LOOP_IN);
	if (e == 0)
		e = loop_add(loop, &r->host_src, LOOP_IN);
	if (e < 0)
		relay_fini(r);
	return e;
}

void relay_attach(struct relay *r, enum local_service service, struct responder *resp)
{
	resp->env = &r->env;
	r->responders.by_service[service] = resp;
}

void relay_fini(struct relay *r)
{
	if (r->loop) {
		loop_remove(r->loop, &r->vm_src);
		loop_remove(r->loop, &r->host_src);
		loop_timer_disarm(r->loop, &r->expiry);
	}
	for (int d = 0; d < RELAY_DIRECTIONS; d++)
		frame_batch_free(&r->lanes[d].batch);
}
