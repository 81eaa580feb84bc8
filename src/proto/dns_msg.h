/* SPDX-License-Identifier: MIT */
/* dns_msg.h — DNS messages (RFC 1035): header, questions and resource records, read safely */
#ifndef SVM_PROTO_DNS_MSG_H
#define SVM_PROTO_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255     /* RFC 1035 2.3.4: a name in text form, without the last dot */
#define DNS_NAME_TEXT_LEN (DNS_NAME_MAX + 1)

#define DNS_FLAG_QR 0x8000   /* a response */
#define DNS_FLAG_TC 0x0200   /* truncated */
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags) ((flags) & 0xf)
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_REFUSED 5

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

struct dns_header {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount, ancount, nscount, arcount;
};

/**
 * struct dns_reader - a walk through one message's sections
 * @msg: the message
 * @len: its length
 * @off: where the next record starts
 * @left: records left in the sections still to read (questions, then the others)
 * @questions_left: of those, questions
 */
struct dns_reader {
	const uint8_t *msg;
	size_t len;
	size_t off;
	struct dns_header hdr;
	unsigned questions_left;
	unsigned records_left;
};

/** struct dns_question - one entry of the question section */
struct dns_question {
	char name[DNS_NAME_TEXT_LEN]; /* lower case, no trailing dot; "" for the root */
	uint16_t type, qclass;
};

/**
 * struct dns_rr - one resource record of the answer, authority or additional section
 * @rdata: points into the message; for CNAME, @target holds the name it names
 */
struct dns_rr {
	char name[DNS_NAME_TEXT_LEN];
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
	char target[DNS_NAME_TEXT_LEN]; /* CNAME only */
};

/**
 * dns_header_parse() - read the 12-byte header
 * Return: false when @len is shorter than a header.
 */
bool dns_header_parse(const uint8_t *msg, size_t len, struct dns_header *h);

/**
 * dns_reader_init() - start reading @msg: header checked, positioned at the questions
 * Return: false when the message is shorter than its header.
 */
bool dns_reader_init(struct dns_reader *r, const uint8_t *msg, size_t len);

/**
 * dns_next_question() - read the next question
 * Return: true with @q filled; false when there is none left or the message is malformed.
 */
bool dns_next_question(struct dns_reader *r, struct dns_question *q);

/**
 * dns_next_rr() - read the next record after the questions (which are skipped first)
 *
 * Names are decompressed (RFC 1035 4.1.4) with every pointer checked to point backwards,
 * so no loop and no read outside the message is possible; a name longer than 255 bytes
 * or a label over 63 is malformed. A CNAME's target is read into @rr->target.
 *
 * Return: true with @rr filled; false when the records are used up or malformed.
 */
bool dns_next_rr(struct dns_reader *r, struct dns_rr *rr);

/**
 * dns_read_name() - read the (possibly compressed) name at @off
 * @msg: the whole message
 * @len: its length
 * @off: where the name starts
 * @out: the name in text form, lower case, without the final dot
 * @end: set to the offset just past the name where it started (not past pointers' targets)
 * Return: false when the name is malformed or runs off the message.
 */
bool dns_read_name(const uint8_t *msg, size_t len, size_t off, char out[DNS_NAME_TEXT_LEN],
		   size_t *end);

/**
 * dns_question_equal() - whether two messages ask the same first question
 *
 * Names compare case-insensitively (RFC 4343), so a resolver's 0x20 case randomization
 * does not stop an answer from matching its query.
 */
bool dns_question_equal(const struct dns_question *a, const struct dns_question *b);

#endif
