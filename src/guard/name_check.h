/* SPDX-License-Identifier: MIT */
/* name_check.h — a TCP flow's bytes judged before the server gets them: held, released in order, kept until acked */
#ifndef SVM_GUARD_NAME_CHECK_H
#define SVM_GUARD_NAME_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/drop_reason.h"

/*
 * The VM's bytes of a TCP flow that a name rule alone lets through are judged before the
 * server may have them, and the server gets exactly the bytes that were judged:
 *
 *  - in order only: a segment past a gap is dropped (the VM sends it again);
 *  - held: the bytes of a TLS ClientHello or an HTTP/1 request head are kept back (the
 *    segments that carry them are not sent on) until the whole is read and its names are
 *    judged; then they are released, in order, as new segments;
 *  - kept: every byte released is kept until the server acknowledges it, and a segment
 *    that carries any of those positions again must carry the same bytes, or the flow is
 *    reset. So a decoy that the server never takes (a bad checksum, TTL 1, a first
 *    fragment alone, PAWS, out of its window) cannot be followed by other bytes at the same
 *    place: what the server reads is what was judged;
 *  - HTTP/1: every request on the connection is judged (bodies framed by Content-Length or
 *    chunked, as RFC 9112 6.3 says), not only the first; a request that switches protocols
 *    (CONNECT, Upgrade) is refused: after it the check could not tell a request from the
 *    new protocol's bytes;
 *  - TLS: the ClientHello is judged (its server_name); what follows is opaque, and the
 *    check ends once the server has acknowledged the ClientHello;
 *  - neither: refused, unless the rule opted in to other protocols (then opaque at once).
 */

/*
 * Bytes of one flow held while their unit (a ClientHello, a request head) is not complete:
 * the unit's limit (16 KiB and a record header), plus the body bytes that may share its
 * first segment (one segment of the largest MTU).
 */
#define NAME_CHECK_HOLD_MAX (16 * 1024 + 1024 + 65536)
/*
 * Bytes of one flow released and not yet acknowledged, kept to compare retransmissions
 * with: an HTTP upload's window. 256 KiB let a flow with 20 ms to the server move ~100 Mbit/s
 * of request bodies (plain HTTP only: TLS flows keep just their ClientHello); beyond it,
 * new bytes wait (are dropped, and sent again by the VM) until the server acknowledges.
 */
#define NAME_CHECK_KEEP_MAX (256 * 1024)

enum name_check_action {
	NAME_CHECK_PASS,    /* the segment goes on as it is */
	NAME_CHECK_HOLD,    /* it is kept back (not counted as a drop): its bytes are held */
	NAME_CHECK_RELEASE, /* in its place, @len bytes from @seq go on */
	NAME_CHECK_DROP,    /* dropped, counted as @reason */
	NAME_CHECK_RESET,   /* the flow is reset at both ends, counted as @reason */
};

/**
 * struct name_check_verdict - what to do with one segment
 * @action: see enum name_check_action
 * @reason: with NAME_CHECK_DROP and NAME_CHECK_RESET
 * @seq: with NAME_CHECK_RELEASE, the sequence number of the first byte to send
 * @bytes: with NAME_CHECK_RELEASE, the bytes (the check's own, valid until it is called again)
 * @len: how many
 */
struct name_check_verdict {
	enum name_check_action action;
	enum drop_reason reason;
	uint32_t seq;
	const uint8_t *bytes;
	size_t len;
};

/**
 * struct name_check_judge - who says whether a name is allowed for this flow
 * @allowed: true if the name rules allow @name to the flow's server port (block wins)
 * @ctx: its first argument
 * @other_protocols: the rule that let the flow through opted in to protocols that are
 *                   neither TLS nor HTTP/1 (those are refused otherwise)
 */
struct name_check_judge {
	bool (*allowed)(void *ctx, const char *name);
	void *ctx;
	bool other_protocols;
};

struct name_check;

/**
 * name_check_new() - the check of a flow whose first byte (of the VM) is at @first_seq
 * Return: it, or NULL when out of memory. Buffers are taken as bytes come.
 */
struct name_check *name_check_new(uint32_t first_seq);
void name_check_free(struct name_check *c);

/**
 * name_check_segment() - judge the payload of one VM segment of the flow
 * @c: the check
 * @seq: the segment's sequence number
 * @data: its payload
 * @len: the payload's length (> 0)
 * @judge: names and protocols allowed
 */
struct name_check_verdict name_check_segment(struct name_check *c, uint32_t seq,
					     const uint8_t *data, size_t len,
					     const struct name_check_judge *judge);

/**
 * name_check_acked() - the server acknowledged everything before @ack: those bytes need no
 * keeping (an acknowledgement beyond what was released is taken only as far as that)
 * Return: true when @ack acknowledges the VM's FIN (name_check_fin()).
 */
bool name_check_acked(struct name_check *c, uint32_t ack);

/** name_check_fin() - the VM's FIN is at @seq (the sequence number after its last byte) */
void name_check_fin(struct name_check *c, uint32_t seq);

/** name_check_released() - where the first byte not sent on to the server is */
uint32_t name_check_released(const struct name_check *c);

/**
 * name_check_quiet_at() - whether the connection is at rest exactly at @seq: everything the
 * VM sent was released and acknowledged up to @seq (so a reset there is the server's to take)
 */
bool name_check_quiet_at(const struct name_check *c, uint32_t seq);

/** name_check_first_seq() - where the connection's first byte is (its SYN's sequence + 1) */
uint32_t name_check_first_seq(const struct name_check *c);

/**
 * name_check_done() - whether the flow needs no more checking: its bytes are opaque now
 * (TLS after the ClientHello, another protocol opted in) and nothing judged is unacknowledged
 */
bool name_check_done(const struct name_check *c);

/** name_check_failed() - the flow was refused: everything of it is dropped from now on */
bool name_check_failed(const struct name_check *c);

/** name_check_memory() - bytes of buffer the check holds (for the guard's budget) */
size_t name_check_memory(const struct name_check *c);

#endif
