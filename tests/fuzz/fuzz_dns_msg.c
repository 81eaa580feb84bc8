// SPDX-License-Identifier: MIT
/* fuzz_dns_msg.c — libFuzzer target: DNS messages, every section and compressed name read */
/*
 * Input: a DNS message as it would arrive from the VM or from an upstream resolver.
 * Checks, beyond "no crash, no sanitizer report": every name read is at most 255 bytes of
 * lower-case labels of at most 63; every record's data lies inside the message; the
 * reader never reads more records than the header counts; and a question compares equal
 * to itself and to the same question read again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns_msg.h"
#include "fuzz_promise.h"

static void check_name(const char *name)
{
	size_t len = strlen(name), label = 0;

	promise(len <= DNS_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		promise(!(name[i] >= 'A' && name[i] <= 'Z'));
		label = name[i] == '.' ? 0 : label + 1;
		promise(label <= 63);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_reader r, again;
	struct dns_question q, q2;
	struct dns_rr rr;
	unsigned questions = 0, records = 0;

	if (!dns_reader_init(&r, data, size)) {
		promise(size < DNS_HEADER_LEN);
		return 0;
	}
	again = r;
	while (dns_next_question(&r, &q)) {
		check_name(q.name);
		promise(dns_question_equal(&q, &q));
		promise(dns_next_question(&again, &q2) && dns_question_equal(&q, &q2));
		questions++;
	}
	promise(questions <= r.hdr.qdcount);
	while (dns_next_rr(&r, &rr)) {
		check_name(rr.name);
		promise(rr.rdata >= data && rr.rdata + rr.rdlen <= data + size);
		if (rr.type == 5 /* CNAME */)
			check_name(rr.target);
		records++;
	}
	promise(records <= (unsigned)r.hdr.ancount + r.hdr.nscount + r.hdr.arcount);
	return 0;
}
