/* SPDX-License-Identifier: MIT */
/* fake_dns_io.h — resolvers and a clock played by a test: the DNS responder's io, in memory */
#ifndef SVM_TEST_FAKE_DNS_IO_H
#define SVM_TEST_FAKE_DNS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "responder/dns.h"

#define FAKE_HANDLES 96
#define FAKE_BUF 70000

/**
 * struct fake_socket - one of the responder's upstream sockets
 * @open: in use; @tcp: a stream (else datagrams)
 * @server: whom it was opened to
 * @sent: what the responder sent on it (datagrams back to back); @sent_len its length
 * @inbox: what the "server" answered and the responder has not read; @datagrams: its
 *         lengths, for UDP
 * @eof: the server closed (TCP); @shut: the responder shut its writing side
 * @watched: the events the responder asked for
 */
struct fake_socket {
	bool open, tcp, connected, eof, shut;
	struct inet_addr server;
	uint8_t sent[8192];
	size_t sent_len;
	uint8_t inbox[FAKE_BUF];
	size_t in_len;
	size_t datagrams[16];
	unsigned ndatagrams;
	uint32_t watched;
};

/**
 * struct fake_dns_io - the io
 * @now: the clock, moved by fake_dns_advance()
 * @deadline: what the responder armed (0: nothing)
 * @random_fails: the system has no randomness (early boot)
 */
struct fake_dns_io {
	struct dns_io io;
	struct fake_socket s[FAKE_HANDLES];
	uint64_t now;
	uint64_t deadline;
	bool random_fails;
	uint32_t seed;
	unsigned opened;
};

void fake_dns_io_init(struct fake_dns_io *f);

/** fake_dns_answer() - the server on handle @h sends @len bytes; the responder is told */
void fake_dns_answer(struct fake_dns_io *f, int h, const void *data, size_t len);

/** fake_dns_close() - the server on handle @h closes its side (TCP); the responder is told */
void fake_dns_close(struct fake_dns_io *f, int h);

/** fake_dns_connected() - handle @h's TCP connection is made; the responder is told */
void fake_dns_connected(struct fake_dns_io *f, int h);

/** fake_dns_advance() - the clock moves @ms on; a deadline passed runs the timer */
void fake_dns_advance(struct fake_dns_io *f, uint64_t ms);

/** fake_dns_last() - the most recently opened handle that is still open, or -1 */
int fake_dns_last(const struct fake_dns_io *f);

#endif
