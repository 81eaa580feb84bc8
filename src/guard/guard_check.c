// SPDX-License-Identifier: MIT
/* guard_check.c — a name-checked flow's segments: normalized as the server would, judged, released */
#include <stdlib.h>

#include "guard/guard_private.h"
#include "guard/name_check.h"
#include "proto/checksum.h"
#include "proto/offload.h"
#include "proto/tcp_segment.h"

/**
 * struct guard_emit - the segments made in one batch to release judged bytes
 * @buf: their frames, back to back, @used bytes of it taken
 * @refs: one per frame, @count of them taken
 * @first, @n: the last release's frames (what guard_emitted() hands out)
 */
struct guard_emit {
	uint8_t buf[GUARD_EMIT_BYTES];
	size_t used;
	struct frame_ref refs[GUARD_EMIT_FRAMES_MAX];
	size_t count, first, n;
};

/*
 * The ports where the protocol is known to be HTTP or TLS (IANA: http, https, http-alt,
 * https-alt): there a rule that names its ports does not open other protocols.
 */
static bool is_web_port(uint16_t port)
{
	return port == 80 || port == 443 || port == 8080 || port == 8443;
}

/*
 * A rule that names its TCP ports (tcp:git.example.com:22) opts in to whatever protocol its
 * server speaks there, but on a web port: there only TLS and HTTP/1, which are judged.
 */
static bool other_protocols(const struct guard *g, const struct flow *fl)
{
	const struct policy_rule *r = &policy_entry(g->policy, fl->rule)->rule;

	return r->proto == IPPROTO_TCP_ && !(r->port_lo == 0 && r->port_hi == 65535) &&
	       !is_web_port(fl->dport);
}

struct judge_ctx {
	const struct guard *g;
	uint16_t port;
};

static bool judge_name(void *ctx, const char *name)
{
	const struct judge_ctx *j = ctx;

	return guard_name_allowed(j->g, name, IPPROTO_TCP_, j->port);
}

void guard_check_release(void *ctx, struct flow *fl)
{
	struct guard *g = ctx;

	g->checks--;
	g->check_memory -= name_check_memory(fl->nc);
	name_check_free(fl->nc);
	fl->nc = NULL;
}

/* The check of @fl is over: @outcome from now on. */
static void end_check(struct guard *g, struct flow *fl, enum flow_check outcome)
{
	if (fl->nc)
		guard_check_release(g, fl);
	fl->check = (uint8_t)outcome;
}

int guard_check_begin(struct guard *g, struct flow *fl, const struct frame_view *v)
{
	uint32_t seq = be32(v->l4 + 4) + ((tcp_flags(v) & TCP_SYN) ? 1 : 0);

	if (g->checks >= GUARD_CHECKS_MAX) /* abandoned ones give theirs back first */
		flows_expire(g->flows, g->now_ms);
	if (g->checks >= GUARD_CHECKS_MAX || !(fl->nc = name_check_new(seq)))
		return -1;
	g->checks++;
	g->check_memory += name_check_memory(fl->nc);
	fl->check = FLOW_CHECK_PENDING;
	return 0;
}

/*
 * Is the server's side of this connection surely gone, so that a new connection on its ports
 * cannot be taken for it? The server reset it; or both sides finished and the server
 * acknowledged the VM's FIN. (A reset from the VM counts only where the server takes it:
 * see guard_checked_segment().)
 */
static bool surely_closed(const struct flow *fl)
{
	if (fl->check != FLOW_CHECK_PENDING) /* no bytes kept to tell: a FIN each way will do */
		return (fl->tcp & FLOW_TCP_RST) ||
		       ((fl->tcp & FLOW_TCP_FIN_HOST) && (fl->tcp & FLOW_TCP_FIN_VM));
	return (fl->tcp & FLOW_TCP_RST) ||
	       ((fl->tcp & FLOW_TCP_FIN_HOST) && (fl->tcp & FLOW_TCP_FIN_ACKED));
}

/*
 * A SYN of a new connection on the ports of a checked one: checked anew if the old one is
 * surely gone; refused otherwise, or bytes meant for the old connection (still open at the
 * server) could be judged as the first bytes of the new one.
 */
static enum guard_action new_connection(struct guard *g, struct flow *fl,
					const struct frame_view *v, enum drop_reason *reason)
{
	if (!surely_closed(fl))
		return drop(reason, DROP_CHECKED_REUSE);
	end_check(g, fl, FLOW_CHECK_NONE);
	fl->tcp = FLOW_TCP_SYN;
	fl->seg_max = 0;
	if (guard_check_begin(g, fl, v) < 0) {
		fl->check = FLOW_CHECK_FAILED;
		return reset(reason, DROP_NAME_UNCHECKED);
	}
	return GUARD_PASS;
}

/*
 * The payload of a segment made for @fl: as much as the VM's largest (its MSS, as near as the
 * guard can tell), at least 536 (RFC 9293 3.7.1: what every IPv4 host takes; IPv6: 1220,
 * its 1280-byte minimum MTU less 60 bytes of headers, RFC 9293 3.7.1), within the MTU.
 */
static size_t segment_size(const struct guard *g, const struct flow *fl, const struct frame_view *v)
{
	size_t least = v->ip6 ? IPV6_MIN_MTU - IPV6_HDR_LEN - TCP_MIN_HDR_LEN : 536;
	size_t hdrs = v->ip_hdr_len + (size_t)(v->l4[12] >> 4) * 4;
	size_t most = g->vm->mtu > hdrs ? g->vm->mtu - hdrs : least;
	size_t mss = fl->seg_max > least ? fl->seg_max : least;

	return mss < most ? mss : most;
}

/* The released bytes of @nv as segments made after @v; false when the batch has no room. */
static bool emit(struct guard *g, const struct flow *fl, const struct frame_view *v,
		 const struct name_check_verdict *nv, bool fin)
{
	struct guard_emit *e = g->emit;
	size_t made;

	if (!e && !(e = g->emit = calloc(1, sizeof(*e))))
		return false;
	made = tcp_segments_build(v, nv->seq, nv->bytes, nv->len, segment_size(g, fl, v), fin,
				  e->buf + e->used,
				  sizeof(e->buf) - e->used, e->refs + e->count,
				  GUARD_EMIT_FRAMES_MAX - e->count);
	if (!made)
		return false;
	e->first = e->count;
	e->n = made;
	e->count += made;
	e->used = (size_t)(e->refs[e->count - 1].data + e->refs[e->count - 1].len - e->buf);
	if (g->names)
		g->names->released += made;
	return true;
}

static enum guard_action held(struct guard *g)
{
	if (g->names)
		g->names->held++;
	return GUARD_HOLD;
}

/* Judge the payload of @v: what the name check says becomes the guard's verdict. */
static enum guard_action judge_payload(struct guard *g, struct flow *fl, const struct frame_view *v,
				       enum drop_reason *reason)
{
	struct judge_ctx jc = {g, fl->dport};
	struct name_check_judge judge = {judge_name, &jc, other_protocols(g, fl)};
	uint32_t seq = be32(v->l4 + 4);
	size_t before = name_check_memory(fl->nc);
	struct name_check_verdict nv;

	if (g->check_memory > GUARD_CHECK_MEMORY_MAX)
		return held(g); /* over the budget: the VM sends it again later */
	nv = name_check_segment(fl->nc, seq, v->payload, v->payload_len, &judge);
	g->check_memory += name_check_memory(fl->nc) - before;
	switch (nv.action) {
	case NAME_CHECK_PASS:
		break;
	case NAME_CHECK_HOLD:
		return held(g);
	case NAME_CHECK_DROP:
		return drop(reason, nv.reason);
	case NAME_CHECK_RESET:
		/* the server has what was released: its next byte is there */
		g->reset_seq = name_check_released(fl->nc);
		g->reset_seq_set = true;
		end_check(g, fl, FLOW_CHECK_FAILED);
		return reset(reason, nv.reason);
	case NAME_CHECK_RELEASE:
		/* the segment's FIN goes with its last byte */
		if (!emit(g, fl, v, &nv,
			  (tcp_flags(v) & TCP_FIN) && nv.seq + nv.len == seq + v->payload_len))
			return held(g); /* released in the books: the VM's next copy goes on */
		return GUARD_EMIT;
	}
	if (name_check_done(fl->nc))
		end_check(g, fl, FLOW_CHECK_PASSED);
	return GUARD_PASS;
}

/*
 * The checksums as the server will find them: a partial TCP checksum (a VM that offloads)
 * is completed on the way, by the host's kernel or by sock-vmnet, and is right then only
 * if it holds the pseudo-header sum (IPv4's or IPv6's); the IPv4 header's is the VM's own
 * either way (IPv6 has none).
 */
static bool checksums_ok(const struct frame_view *v)
{
	if (!v->offload || !v->offload->needs_csum)
		return tcp_segment_checksums_ok(v);
	return (v->ip6 || checksum_final(checksum_add(0, v->ip, v->ip_hdr_len)) == 0) &&
	       offload_partial_ok(v->data, v->len, v->offload);
}

/* The data of the segments @v stands for: a GSO packet's are gso_size long. */
static size_t segment_len(const struct frame_view *v)
{
	if (v->offload && v->offload->gso != GSO_NONE && v->payload_len > v->offload->gso_size)
		return v->offload->gso_size;
	return v->payload_len;
}

enum guard_action guard_checked_segment(struct guard *g, struct flow *fl,
					const struct frame_view *v, enum drop_reason *reason)
{
	uint8_t flags = tcp_flags(v);
	uint32_t seq = be32(v->l4 + 4);

	if (fl->check == FLOW_CHECK_FAILED) /* refused: only a new connection, if the old is over */
		return new_connection(g, fl, v, reason);
	if (fl->check == FLOW_CHECK_PASSED) { /* judged, opaque since: only new connections */
		if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return new_connection(g, fl, v, reason);
		fl->tcp |= (flags & TCP_FIN ? FLOW_TCP_FIN_VM : 0) | (flags & TCP_RST ? FLOW_TCP_RST : 0);
		return GUARD_PASS;
	}
	/* what the server would not take, or would take otherwise, never reaches the check */
	if (v->ip_more_fragments)
		return drop(reason, DROP_FRAGMENT);
	if (v->ip_ttl <= 1)
		return drop(reason, DROP_CHECKED_TTL);
	if (!checksums_ok(v))
		return drop(reason, DROP_CHECKED_CHECKSUM);
	if (flags & TCP_URG)
		return drop(reason, DROP_CHECKED_URGENT);
	if (flags & TCP_SYN) {
		if (v->payload_len)
			return drop(reason, DROP_CHECKED_SYN_DATA);
		if (!(flags & TCP_ACK) && seq + 1 != name_check_first_seq(fl->nc))
			return new_connection(g, fl, v, reason);
		fl->tcp |= FLOW_TCP_SYN;
		return GUARD_PASS;
	}
	if (flags & TCP_RST) {
		/*
		 * RFC 5961 3.2: the server takes a reset only exactly at its next byte: then the
		 * connection is surely gone. Elsewhere, the VM gave up all the same: nothing it
		 * left held goes on, and the check's buffers go at once (the flow is refused
		 * from now on, its ports kept from a new connection while it lasts).
		 */
		if (name_check_quiet_at(fl->nc, seq))
			fl->tcp |= FLOW_TCP_RST;
		else
			end_check(g, fl, FLOW_CHECK_FAILED);
		return GUARD_PASS;
	}
	if (flags & TCP_FIN) {
		fl->tcp |= FLOW_TCP_FIN_VM;
		name_check_fin(fl->nc, seq + (uint32_t)v->payload_len);
	}
	if (segment_len(v) > fl->seg_max)
		fl->seg_max = (uint16_t)segment_len(v);
	if (!v->payload_len)
		return GUARD_PASS;
	return judge_payload(g, fl, v, reason);
}

void guard_check_answer(struct guard *g, struct flow *fl, const struct frame_view *v)
{
	size_t before = name_check_memory(fl->nc);

	if (!(tcp_flags(v) & TCP_ACK))
		return;
	if (name_check_acked(fl->nc, be32(v->l4 + 8)))
		fl->tcp |= FLOW_TCP_FIN_ACKED;
	g->check_memory += name_check_memory(fl->nc) - before; /* a buffer given back */
	if (name_check_done(fl->nc))
		end_check(g, fl, FLOW_CHECK_PASSED);
}

void guard_batch_start(struct guard *g)
{
	if (g->emit)
		g->emit->used = g->emit->count = g->emit->first = g->emit->n = 0;
	g->reset_seq_set = false;
}

size_t guard_emitted(const struct guard *g, const struct frame_ref **frames)
{
	if (!g->emit)
		return 0;
	*frames = g->emit->refs + g->emit->first;
	return g->emit->n;
}
