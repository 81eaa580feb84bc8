// SPDX-License-Identifier: MIT
/* name_check.c — a TCP flow's bytes judged before the server gets them: held, released in order, kept until acked */
#include "guard/name_check.h"

#include <stdlib.h>
#include <string.h>

#include "proto/http_head.h"
#include "proto/server_name.h"

#define TLS_RECORD_HANDSHAKE 0x16

/*
 * Stretches of released bytes kept at once: a judged unit each (a head, a ClientHello, a
 * run of chunked framing), in sequence order. 64 unacknowledged pipelined requests is far
 * beyond what a client sends (browsers do not pipeline; apt sends up to ~10); beyond it,
 * new bytes wait for the server's acknowledgements.
 */
#define NAME_CHECK_SPANS_MAX 64

enum check_state {
	CHECK_START,   /* nothing read yet: TLS or HTTP decides on the first byte */
	CHECK_TLS,     /* a ClientHello being read */
	CHECK_HEAD,    /* an HTTP request head being read */
	CHECK_BODY,    /* a request body of @body_left more bytes */
	CHECK_CHUNKED, /* a chunked request body */
	CHECK_OPAQUE,  /* judged (TLS) or opted in (another protocol): nothing more to read */
	CHECK_FAILED,  /* refused: the flow is reset */
};

/* Released bytes kept until the server acknowledges them: [@seq, @seq + @len). */
struct span {
	uint32_t seq, len;
};

/**
 * struct name_check - one flow's bytes, in sequence space
 * @first_seq: the connection's first byte
 * @released: bytes before it were sent on to the server
 * @scan: bytes before it are accounted for (judged units, bodies); from it on: the unit
 *        being read
 * @next: the next byte expected from the VM
 * @acked: the server acknowledged everything before it (never beyond @released)
 * @held: the bytes [@released, @next), not sent on yet; @held_cap allocated
 * @spans: released bytes whose every byte matters (judged units, chunked framing), kept
 *         until acknowledged: @nspans of them, their bytes back to back in @kept from
 *         @kept_off (@kept_len bytes, @kept_cap allocated). A body framed by its
 *         Content-Length is not kept: what it holds changes neither a name nor the framing.
 * @framing: bytes that must be kept were read since the last release
 * @handed_out: the last verdict released the held bytes up to @handed_out_upto: they leave
 *              the held buffer at the next call
 * @body_left: in CHECK_BODY, the body's bytes still to come
 * @chunked: in CHECK_CHUNKED, where the body's framing is
 * @reason: in CHECK_FAILED, why
 * @fin: where the VM's FIN is (@fin_set: it sent one)
 */
struct name_check {
	uint32_t first_seq;
	uint32_t released, scan, next, acked;
	uint8_t *held;
	size_t held_cap;
	struct span spans[NAME_CHECK_SPANS_MAX];
	unsigned nspans;
	uint8_t *kept;
	size_t kept_off, kept_len, kept_cap;
	bool framing;
	bool handed_out;
	uint32_t handed_out_upto;
	enum check_state state;
	uint64_t body_left;
	struct http_chunked chunked;
	enum drop_reason reason;
	uint32_t fin;
	bool fin_set;
};

/* a - b in sequence space: negative when a is before b (RFC 9293 3.4) */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

struct name_check *name_check_new(uint32_t first_seq)
{
	struct name_check *c = calloc(1, sizeof(*c));

	if (c)
		c->first_seq = c->released = c->scan = c->next = c->acked = first_seq;
	return c;
}

void name_check_free(struct name_check *c)
{
	if (c) {
		free(c->held);
		free(c->kept);
	}
	free(c);
}

/* The held byte at @seq (released <= seq < next). */
static const uint8_t *at(const struct name_check *c, uint32_t seq)
{
	return c->held + (uint32_t)(seq - c->released);
}

/* Room in @*buf (@*cap allocated) for @need bytes. */
static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	uint8_t *more;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	more = realloc(*buf, n);
	if (!more)
		return false;
	*buf = more;
	*cap = n;
	return true;
}

static void fail(struct name_check *c, enum drop_reason why)
{
	c->state = CHECK_FAILED;
	c->reason = why;
}

/* Both names an HTTP request gives must be allowed; a request that gives none is refused. */
static bool head_allowed(const struct http_head *h, const struct name_check_judge *j)
{
	if (!h->host[0] && !h->target_host[0])
		return false;
	return (!h->host[0] || j->allowed(j->ctx, h->host)) &&
	       (!h->target_host[0] || j->allowed(j->ctx, h->target_host));
}

/* An HTTP request head at @scan: judged, and its body's framing taken. False: wait. */
static bool read_head(struct name_check *c, const struct name_check_judge *j)
{
	struct http_head h;
	uint32_t avail = c->next - c->scan;

	switch (http_head_parse(at(c, c->scan), avail, &h)) {
	case HTTP_HEAD_MORE:
		return false;
	case HTTP_HEAD_TOO_LONG:
		fail(c, DROP_NAME_UNCHECKED);
		return false;
	case HTTP_HEAD_NOT_HTTP:
		/* only the connection's first bytes may be another protocol, and only if opted in */
		if (c->scan == c->first_seq && j->other_protocols) {
			c->state = CHECK_OPAQUE;
			c->scan = c->next;
		} else {
			fail(c, DROP_NAME_PROTOCOL);
		}
		return false;
	case HTTP_HEAD_MALFORMED:
		fail(c, DROP_NAME_MALFORMED);
		return false;
	case HTTP_HEAD_COMPLETE:
		break;
	}
	if (h.switches) {
		fail(c, DROP_NAME_SWITCH);
		return false;
	}
	if (!head_allowed(&h, j)) {
		fail(c, DROP_NAME_MISMATCH);
		return false;
	}
	c->scan += (uint32_t)h.len;
	c->framing = true; /* a judged head: kept until acknowledged */
	c->state = h.body == HTTP_BODY_CHUNKED			? CHECK_CHUNKED
		   : h.body == HTTP_BODY_LENGTH && h.body_len ? CHECK_BODY
							     : CHECK_HEAD;
	c->body_left = h.body_len;
	c->chunked = (struct http_chunked){0};
	return true;
}

/* A ClientHello at @scan: judged by its server_name; after it the flow is opaque. */
static void read_hello(struct name_check *c, const struct name_check_judge *j)
{
	char name[DNS_NAME_TEXT_LEN];
	uint32_t avail = c->next - c->scan;

	switch (tls_server_name(at(c, c->scan), avail, name)) {
	case SERVER_NAME_MORE:
		if (avail > SERVER_NAME_HELLO_MAX + 1024)
			fail(c, DROP_NAME_UNCHECKED);
		return;
	case SERVER_NAME_FOUND:
		if (j->allowed(j->ctx, name)) {
			c->state = CHECK_OPAQUE;
			c->scan = c->next; /* judged: the ClientHello and what came with it */
			c->framing = true;
			return;
		}
		break;
	case SERVER_NAME_ABSENT:
	case SERVER_NAME_OTHER:
	case SERVER_NAME_MALFORMED:
		break;
	}
	fail(c, DROP_NAME_MISMATCH);
}

/* Account for the bytes from @scan to @next: bodies pass, units are read and judged. */
static void scan(struct name_check *c, const struct name_check_judge *j)
{
	for (;;) {
		uint32_t avail = c->next - c->scan;
		size_t used;

		switch (c->state) {
		case CHECK_START:
			if (!avail)
				return;
			c->state = *at(c, c->scan) == TLS_RECORD_HANDSHAKE ? CHECK_TLS : CHECK_HEAD;
			break;
		case CHECK_TLS:
			read_hello(c, j);
			return;
		case CHECK_HEAD:
			if (!avail || !read_head(c, j))
				return;
			break;
		case CHECK_BODY: {
			uint32_t take = c->body_left < avail ? (uint32_t)c->body_left : avail;

			if (!take)
				return;
			c->scan += take;
			c->body_left -= take;
			if (!c->body_left)
				c->state = CHECK_HEAD;
			break;
		}
		case CHECK_CHUNKED:
			if (!avail)
				return;
			c->framing = true; /* chunked framing: what it says must not change */
			switch (http_chunked_feed(&c->chunked, at(c, c->scan), avail, &used)) {
			case HTTP_CHUNKED_MORE:
				c->scan = c->next;
				return;
			case HTTP_CHUNKED_DONE:
				c->scan += (uint32_t)used;
				c->state = CHECK_HEAD;
				break;
			case HTTP_CHUNKED_MALFORMED:
				fail(c, DROP_NAME_MALFORMED);
				return;
			}
			break;
		case CHECK_OPAQUE:
		case CHECK_FAILED:
			return;
		}
	}
}

/* What may go on: everything accounted for, except the unit being read. */
static uint32_t cleared(const struct name_check *c)
{
	return c->state == CHECK_OPAQUE || c->state == CHECK_BODY || c->state == CHECK_CHUNKED
		       ? c->next
		       : c->scan;
}

static struct name_check_verdict verdict(enum name_check_action a, enum drop_reason why)
{
	return (struct name_check_verdict){.action = a, .reason = why};
}

/* Do @data's bytes [@lo, @hi) (sequence numbers; @data starts at @seq) match what is held and kept? */
static bool same_as_before(const struct name_check *c, uint32_t seq, const uint8_t *data,
			   uint32_t end)
{
	uint32_t lo = seq_diff(seq, c->released) > 0 ? seq : c->released;
	uint32_t hi = seq_diff(end, c->next) < 0 ? end : c->next;
	size_t off = c->kept_off;

	if (seq_diff(hi, lo) > 0 && memcmp(at(c, lo), data + (uint32_t)(lo - seq), hi - lo) != 0)
		return false;
	for (unsigned i = 0; i < c->nspans; off += c->spans[i++].len) {
		const struct span *s = &c->spans[i];

		lo = seq_diff(seq, s->seq) > 0 ? seq : s->seq;
		hi = seq_diff(end, s->seq + s->len) < 0 ? end : s->seq + s->len;
		if (seq_diff(hi, lo) > 0 &&
		    memcmp(c->kept + off + (uint32_t)(lo - s->seq), data + (uint32_t)(lo - seq),
			   hi - lo) != 0)
			return false;
	}
	return true;
}

/*
 * The held bytes [@released, @upto) are about to go on: kept first if they hold a judged
 * unit or framing. False when they cannot be kept (then they are not released either).
 */
static bool keep(struct name_check *c, uint32_t upto)
{
	uint32_t n = upto - c->released;

	if (c->framing) {
		if (c->nspans == NAME_CHECK_SPANS_MAX ||
		    !grow(&c->kept, &c->kept_cap, c->kept_off + c->kept_len + n))
			return false;
		memcpy(c->kept + c->kept_off + c->kept_len, c->held, n);
		c->kept_len += n;
		c->spans[c->nspans++] = (struct span){c->released, n};
		c->framing = false;
	}
	return true;
}

/*
 * The bytes handed out by the last release leave the held buffer (not before: the caller
 * sends them from there until it calls again).
 */
static void settle(struct name_check *c)
{
	uint32_t left;

	if (!c->handed_out)
		return;
	left = c->next - c->handed_out_upto;
	memmove(c->held, c->held + (uint32_t)(c->handed_out_upto - c->released), left);
	c->released = c->handed_out_upto;
	c->handed_out = false;
	if (!left && c->held_cap > 16384) { /* nothing held: a large buffer goes */
		free(c->held);
		c->held = NULL;
		c->held_cap = 0;
	}
}

struct name_check_verdict name_check_segment(struct name_check *c, uint32_t seq,
					     const uint8_t *data, size_t len,
					     const struct name_check_judge *judge)
{
	uint32_t end = seq + (uint32_t)len, upto;
	size_t fresh;

	settle(c);
	if (c->state == CHECK_FAILED)
		return verdict(NAME_CHECK_RESET, c->reason);
	/* what is held or kept of these positions must be what comes again */
	if (!same_as_before(c, seq, data, end)) {
		fail(c, DROP_NAME_CHANGED);
		return verdict(NAME_CHECK_RESET, c->reason);
	}
	if (c->state == CHECK_OPAQUE)
		return verdict(NAME_CHECK_PASS, DROP_NONE);
	if (seq_diff(end, c->next) <= 0) /* nothing new: bytes the server had, or held ones */
		return verdict(seq_diff(end, c->released) > 0 ? NAME_CHECK_HOLD : NAME_CHECK_PASS,
			       DROP_NONE);
	if (seq_diff(seq, c->next) > 0)
		return verdict(NAME_CHECK_DROP, DROP_NAME_CHECK_ORDER);
	fresh = (uint32_t)(end - c->next);
	if (c->kept_len > NAME_CHECK_KEEP_MAX ||
	    (uint32_t)(c->next - c->released) + fresh > NAME_CHECK_HOLD_MAX ||
	    !grow(&c->held, &c->held_cap, (uint32_t)(c->next - c->released) + fresh))
		return verdict(NAME_CHECK_HOLD, DROP_NONE); /* not taken: the VM sends it again */
	memcpy(c->held + (uint32_t)(c->next - c->released), data + (len - fresh), fresh);
	c->next = end;
	scan(c, judge);
	if (c->state == CHECK_FAILED)
		return verdict(NAME_CHECK_RESET, c->reason);
	upto = cleared(c);
	if (seq_diff(upto, c->released) <= 0 || !keep(c, upto))
		return verdict(NAME_CHECK_HOLD, DROP_NONE);
	c->handed_out = true;
	c->handed_out_upto = upto;
	if (seq_diff(seq, c->released) <= 0 && upto == end)
		return verdict(NAME_CHECK_PASS, DROP_NONE); /* the segment is what is released */
	return (struct name_check_verdict){.action = NAME_CHECK_RELEASE, .seq = c->released,
					   .bytes = c->held, .len = (uint32_t)(upto - c->released)};
}

bool name_check_acked(struct name_check *c, uint32_t ack)
{
	bool fin_acked = c->fin_set && ack == c->fin + 1;

	settle(c);
	if (c->state == CHECK_FAILED)
		return fin_acked;
	if (seq_diff(ack, c->released) > 0)
		ack = c->released; /* nothing beyond what the server was given */
	if (seq_diff(ack, c->acked) <= 0)
		return fin_acked;
	c->acked = ack;
	while (c->nspans) {
		struct span *s = &c->spans[0];
		uint32_t gone = seq_diff(ack, s->seq + s->len) >= 0 ? s->len
				: seq_diff(ack, s->seq) > 0    ? ack - s->seq
							       : 0;

		if (!gone)
			break;
		c->kept_off += gone;
		c->kept_len -= gone;
		s->seq += gone;
		s->len -= gone;
		if (s->len)
			break;
		memmove(c->spans, c->spans + 1, --c->nspans * sizeof(*s));
	}
	if (!c->nspans) { /* nothing kept: an idle connection holds no buffer */
		free(c->kept);
		c->kept = NULL;
		c->kept_cap = c->kept_off = c->kept_len = 0;
	}
	return fin_acked;
}

void name_check_fin(struct name_check *c, uint32_t seq)
{
	c->fin = seq;
	c->fin_set = true;
}

uint32_t name_check_first_seq(const struct name_check *c)
{
	return c->first_seq;
}

uint32_t name_check_released(const struct name_check *c)
{
	return c->handed_out ? c->handed_out_upto : c->released;
}

bool name_check_quiet_at(const struct name_check *c, uint32_t seq)
{
	uint32_t released = name_check_released(c);

	return seq == released && released == c->next && c->acked == released;
}

bool name_check_done(const struct name_check *c)
{
	return c->state == CHECK_OPAQUE && !c->nspans && name_check_released(c) == c->next;
}

bool name_check_failed(const struct name_check *c)
{
	return c->state == CHECK_FAILED;
}

size_t name_check_memory(const struct name_check *c)
{
	return sizeof(*c) + c->held_cap + c->kept_cap;
}
