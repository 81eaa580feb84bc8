// SPDX-License-Identifier: MIT
/* dns_msg.c — DNS messages (RFC 1035): header, questions and resource records, read safely */
#include "proto/dns_msg.h"

#include <string.h>

#include "proto/byteorder.h"

#define DNS_LABEL_MAX 63
#define DNS_POINTER 0xc0
#define DNS_RR_FIXED_LEN 10 /* type, class, ttl, rdlength */

bool dns_header_parse(const uint8_t *msg, size_t len, struct dns_header *h)
{
	if (len < DNS_HEADER_LEN)
		return false;
	*h = (struct dns_header){
		.id = be16(msg),
		.flags = be16(msg + 2),
		.qdcount = be16(msg + 4),
		.ancount = be16(msg + 6),
		.nscount = be16(msg + 8),
		.arcount = be16(msg + 10),
	};
	return true;
}

static char lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

bool dns_read_name(const uint8_t *msg, size_t len, size_t off, char out[DNS_NAME_TEXT_LEN],
		   size_t *end)
{
	size_t out_len = 0, pos = off, limit = off; /* a pointer must point before @limit */
	bool jumped = false;

	for (;;) {
		uint8_t n;

		if (pos >= len)
			return false;
		n = msg[pos];
		if ((n & DNS_POINTER) == DNS_POINTER) {
			size_t target;

			if (pos + 1 >= len)
				return false;
			target = (size_t)(n & ~DNS_POINTER) << 8 | msg[pos + 1];
			/* strictly backwards: every jump shrinks @limit, so the walk ends */
			if (target >= limit)
				return false;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			limit = target;
			pos = target;
			continue;
		}
		if (n & DNS_POINTER)
			return false; /* 0x40 and 0x80: extended label types, not in use */
		if (n == 0) {
			if (!jumped)
				*end = pos + 1;
			out[out_len] = '\0';
			return true;
		}
		if (n > DNS_LABEL_MAX || pos + 1 + n > len ||
		    out_len + (out_len ? 1 : 0) + n > DNS_NAME_MAX)
			return false;
		if (out_len)
			out[out_len++] = '.';
		for (unsigned i = 0; i < n; i++)
			out[out_len++] = lower(msg[pos + 1 + i]);
		pos += 1 + (size_t)n;
		if (!jumped)
			limit = pos;
	}
}

bool dns_reader_init(struct dns_reader *r, const uint8_t *msg, size_t len)
{
	*r = (struct dns_reader){.msg = msg, .len = len, .off = DNS_HEADER_LEN};
	if (!dns_header_parse(msg, len, &r->hdr))
		return false;
	r->questions_left = r->hdr.qdcount;
	r->records_left = (unsigned)r->hdr.ancount + r->hdr.nscount + r->hdr.arcount;
	return true;
}

bool dns_next_question(struct dns_reader *r, struct dns_question *q)
{
	size_t end;

	if (!r->questions_left)
		return false;
	if (!dns_read_name(r->msg, r->len, r->off, q->name, &end) || end + 4 > r->len) {
		r->questions_left = r->records_left = 0; /* malformed: nothing more is read */
		return false;
	}
	q->type = be16(r->msg + end);
	q->qclass = be16(r->msg + end + 2);
	r->off = end + 4;
	r->questions_left--;
	return true;
}

bool dns_next_rr(struct dns_reader *r, struct dns_rr *rr)
{
	struct dns_question skipped;
	size_t end;

	while (r->questions_left)
		if (!dns_next_question(r, &skipped))
			return false;
	if (!r->records_left)
		return false;
	if (!dns_read_name(r->msg, r->len, r->off, rr->name, &end) ||
	    end + DNS_RR_FIXED_LEN > r->len)
		goto malformed;
	rr->type = be16(r->msg + end);
	rr->rclass = be16(r->msg + end + 2);
	rr->ttl = be32(r->msg + end + 4);
	rr->rdlen = be16(r->msg + end + 8);
	rr->rdata = r->msg + end + DNS_RR_FIXED_LEN;
	if (end + DNS_RR_FIXED_LEN + rr->rdlen > r->len)
		goto malformed;
	rr->target[0] = '\0';
	if (rr->type == DNS_TYPE_CNAME) {
		size_t target_end;

		if (!dns_read_name(r->msg, end + DNS_RR_FIXED_LEN + rr->rdlen,
				   end + DNS_RR_FIXED_LEN, rr->target, &target_end) ||
		    target_end != end + DNS_RR_FIXED_LEN + rr->rdlen)
			goto malformed;
	}
	r->off = end + DNS_RR_FIXED_LEN + rr->rdlen;
	r->records_left--;
	return true;
malformed:
	r->records_left = 0;
	return false;
}

bool dns_question_equal(const struct dns_question *a, const struct dns_question *b)
{
	/* dns_read_name() lower-cased both */
	return a->type == b->type && a->qclass == b->qclass && strcmp(a->name, b->name) == 0;
}
