// SPDX-License-Identifier: MIT
/* test_dns.c \xe2\x80\x94 unit tests of src/responder/dns.c: the VM's DNS on the frame path, with fake resolvers */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_dns_io.h"
#include "proto/byteorder.h"
#include "proto/dns_msg.h"
#include "proto/ip_frame.h"
#include "proto/ipv4_frame.h"
#include "responder/dns.h"
#include "test_config.h"

static char path[64];

static void write_conf(const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/svm-test-resolv-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void resolv_conf_servers_in_order(void **state)
{
	struct inet_addr out[4] = {0}, gw = inet_from_v4(0xc0a84001);
	char text[INET_TEXT_LEN];

	(void)state;
	write_conf("# generated\n"
		   "search example.org\n"
		   "nameserver 127.0.0.53\n"
		   "options edns0 trust-ad\n"
		   "nameserver 2001:db8::1\n"
		   "nameserver fe80::1%eth0\n" /* no scope here: left out */
		   "  nameserver\t192.0.2.53  # trailing words\n"
		   "nameserver 192.168.64.1\n" /* the gateway: would loop */
		   "nameserver not-an-address\n"
		   "nameserver 198.51.100.53\n"
		   "nameserver 198.51.100.54\n");
	assert_int_equal(dns_resolv_conf_servers(path, &gw, 1, out, 4), 4);
	assert_int_equal(inet_v4(&out[0]), 0x7f000035);
	inet_format(&out[1], text);
	assert_string_equal(text, "2001:db8::1");
	assert_int_equal(inet_v4(&out[2]), 0xc0000235);
	assert_int_equal(inet_v4(&out[3]), 0xc6336435);
	unlink(path);
}

static void resolv_conf_missing_or_empty(void **state)
{
	struct inet_addr out[3];

	(void)state;
	assert_int_equal(dns_resolv_conf_servers("/nonexistent/resolv.conf", NULL, 0, out, 3), 0);
	write_conf("");
	assert_int_equal(dns_resolv_conf_servers(path, NULL, 0, out, 3), 0);
	unlink(path);
	/* a line longer than the read buffer does not confuse the next one */
	write_conf(
		"search "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		"nameserver 10.0.0.1\n");
	assert_int_equal(dns_resolv_conf_servers(path, NULL, 0, out, 3), 1);
	assert_int_equal(inet_v4(&out[0]), 0x0a000001);
	unlink(path);
}

/* ---- the responder, with fake resolvers ----------------------------------------------- */

#define VM_IP 0xc0a84032u /* 192.168.64.50 */
#define SERVER_A 0xc6336435u
#define SERVER_B 0xc6336436u

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

/* What the responder sent the VM. */
struct sent {
	uint8_t frame[2048];
	size_t len;
};

struct fixture {
	struct config cfg;
	struct fake_dns_io io;
	struct responder *r;
	struct responder_env env;
	struct direction_counters counters;
	struct sent to_vm[64];
	unsigned nsent;
	uint8_t frame[2048];
	struct frame_view v;
};

static void to_vm(void *ctx, const uint8_t *frame, size_t len)
{
	struct fixture *f = ctx;

	assert_true(len <= sizeof(f->to_vm[0].frame));
	if (f->nsent < sizeof(f->to_vm) / sizeof(f->to_vm[0])) {
		memcpy(f->to_vm[f->nsent].frame, frame, len);
		f->to_vm[f->nsent++].len = len;
	}
}

static void no_address(void *ctx, const struct inet_addr *addr)
{
	(void)ctx;
	(void)addr;
}

static int setup_with(void **state, unsigned servers)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[200];
	struct dns_setup setup = {.vm = &f->cfg.vm, .net4 = &f->cfg.net4, .net6 = &f->cfg.net6,
				  .dns = &f->cfg.dns, .gateway_mac = gw_mac, .io = &f->io.io,
				  .resolv_conf = "/nonexistent"};

	test_config(&f->cfg, vm_mac);
	f->cfg.net6 = (struct net6_config){.enabled = true,
					   .prefix = {{{0xfd, 0x12, [7] = 1}}, 64},
					   .gateway = {{0xfd, 0x12, [7] = 1, [15] = 1}},
					   .gateway_ll = {{0xfe, 0x80, [15] = 1}}};
	f->cfg.dns.count = servers;
	f->cfg.dns.servers[0] = inet_from_v4(SERVER_A);
	f->cfg.dns.servers[1] = inet_from_v4(SERVER_B);
	fake_dns_io_init(&f->io);
	f->r = dns_new(&setup, err, sizeof(err));
	assert_non_null(f->r);
	f->env = (struct responder_env){.send_to_vm = to_vm, .vm_address = no_address, .ctx = f};
	f->r->env = &f->env;
	f->r->counters = &f->counters;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 2);
}

static int setup_no_server(void **state)
{
	return setup_with(state, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->r->close(f->r);
	free(f);
	return 0;
}

/* A query for @name (type A) with @id, as DNS wire bytes. */
static size_t query(uint8_t *out, uint16_t id, const char *name)
{
	size_t len = 12;

	memset(out, 0, 12);
	put_be16(out, id);
	put_be16(out + 2, 0x0100); /* RD */
	put_be16(out + 4, 1);
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		out[len++] = (uint8_t)n;
		memcpy(out + len, name, n);
		len += n;
		name += n + (dot ? 1 : 0);
	}
	out[len++] = 0;
	put_be16(out + len, DNS_TYPE_A);
	put_be16(out + len + 2, DNS_CLASS_IN);
	return len + 4;
}

/* The answer to @q (as the server got it): QR, one A record @addr for the question. */
static size_t answer(uint8_t *out, const uint8_t *q, size_t qlen, uint32_t addr)
{
	memcpy(out, q, qlen);
	put_be16(out + 2, 0x8180);
	put_be16(out + 6, 1);
	memcpy(out + qlen, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 12);
	put_be32(out + qlen + 12, addr);
	return qlen + 16;
}

/* The VM sends @len bytes of DNS over UDP from port @port to the gateway. */
static enum drop_reason vm_udp(struct fixture *f, uint16_t port, const uint8_t *msg, size_t len)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = VM_IP,
				 .dst_ip = TEST_GATEWAY, .src_port = port, .dst_port = 53};

	memcpy(f->frame + IPV4_UDP_PAYLOAD_OFFSET, msg, len);
	assert_int_equal(frame_parse(&f->v, f->frame, ipv4_udp_frame(f->frame, len, &ends, 0)),
			 DROP_NONE);
	return f->r->handle(f->r, &f->v);
}

/* The VM sends a TCP segment from @port. */
static enum drop_reason vm_tcp(struct fixture *f, uint16_t port, uint32_t seq, uint32_t ack,
			       uint8_t flags, const uint8_t *data, size_t len)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = VM_IP,
				 .dst_ip = TEST_GATEWAY, .src_port = port, .dst_port = 53};
	struct tcp_fields t = {.seq = seq, .ack = ack, .flags = flags, .window = 65535,
			       .mss = (flags & TCP_SYN) ? 1460 : 0};

	if (len) /* (memcpy from NULL is undefined even for 0 bytes: UBSan, make asan) */
		memcpy(f->frame + IPV4_TCP_PAYLOAD_OFFSET, data, len);
	assert_int_equal(frame_parse(&f->v, f->frame, ipv4_tcp_frame(f->frame, len, &ends, &t)),
			 DROP_NONE);
	return f->r->handle(f->r, &f->v);
}

/* The @i-th frame the VM got, parsed; it must be from the gateway's port 53 to the VM. */
static struct frame_view got(struct fixture *f, unsigned i)
{
	struct frame_view v;

	assert_true(i < f->nsent);
	assert_int_equal(frame_parse(&v, f->to_vm[i].frame, f->to_vm[i].len), DROP_NONE);
	assert_memory_equal(v.src_mac, gw_mac, 6);
	assert_memory_equal(v.dst_mac, vm_mac, 6);
	assert_int_equal(inet_v4(&v.ip_src), TEST_GATEWAY);
	assert_int_equal(inet_v4(&v.ip_dst), VM_IP);
	assert_int_equal(v.src_port, 53);
	assert_int_equal(checksum_final(checksum_add(0, v.ip, IPV4_HDR_LEN)), 0);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv4(v.ip, v.ip_proto,
									    (uint16_t)v.l4_len),
						      v.l4, v.l4_len)),
			 0);
	return v;
}

static void udp_query_is_relayed_and_answered(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300], a[400];
	size_t len = query(q, 0x1234, "www.example.com");
	struct fake_socket *up;
	struct frame_view v;
	int h;

	assert_int_equal(vm_udp(f, 40000, q, len), DROP_NONE);
	h = fake_dns_last(&f->io);
	assert_true(h >= 0);
	up = &f->io.s[h];
	assert_false(up->tcp);
	assert_int_equal(inet_v4(&up->server), SERVER_A);
	assert_int_equal(up->sent_len, len);
	assert_memory_equal(up->sent + 2, q + 2, len - 2); /* the query, but its ID */
	assert_int_equal(f->nsent, 0);
	fake_dns_answer(&f->io, h, a, answer(a, up->sent, len, 0xcb007102));
	assert_int_equal(f->nsent, 1);
	v = got(f, 0);
	assert_int_equal(v.dst_port, 40000);
	assert_int_equal(be16(v.payload), 0x1234); /* the VM's own ID */
	assert_int_equal(be32(v.payload + v.payload_len - 4), 0xcb007102);
	assert_false(f->io.s[h].open); /* a socket per query, closed once answered */
}

/* The VM @vm asks the gateway's IPv6 address @gw over UDP, or opens a TCP connection to it. */
static enum drop_reason vm_udp6(struct fixture *f, const struct inet_addr *vm,
				const struct inet_addr *gw, const uint8_t *msg, size_t len)
{
	struct ip_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src = *vm, .dst = *gw,
			       .src_port = 40006, .dst_port = 53};

	memcpy(f->frame + ip_udp_payload_offset(&ends), msg, len);
	assert_int_equal(frame_parse(&f->v, f->frame, ip_udp_frame(f->frame, len, &ends)),
			 DROP_NONE);
	return f->r->handle(f->r, &f->v);
}

static void answered_over_ipv6_from_the_address_asked(void **state)
{
	struct fixture *f = *state;
	struct inet_addr vm = f->cfg.net6.gateway, ll_vm = {{0xfe, 0x80, [15] = 0x22}};
	uint8_t q[300], a[400];
	size_t len = query(q, 0x6666, "www.example.com");
	struct frame_view v;
	struct ip_ends e;
	struct tcp_fields t = {.seq = 5, .flags = TCP_SYN, .window = 65535, .mss = 1440};
	int h;

	vm.b[15] = 0x10;
	assert_int_equal(vm_udp6(f, &vm, &f->cfg.net6.gateway, q, len), DROP_NONE);
	h = fake_dns_last(&f->io);
	fake_dns_answer(&f->io, h, a, answer(a, f->io.s[h].sent, len, 0xcb007102));
	assert_int_equal(f->nsent, 1);
	assert_int_equal(frame_parse(&v, f->to_vm[0].frame, f->to_vm[0].len), DROP_NONE);
	assert_non_null(v.ip6);
	assert_true(inet_equal(&v.ip_src, &f->cfg.net6.gateway));
	assert_true(inet_equal(&v.ip_dst, &vm));
	assert_int_equal(v.dst_port, 40006);
	assert_int_equal(be16(v.payload), 0x6666);
	assert_int_equal(checksum_final(checksum_add(checksum_pseudo_ipv6(v.ip6, IPPROTO_UDP_,
									    (uint32_t)v.l4_len),
						      v.l4, v.l4_len)),
			 0);
	/* to the link-local address: from it */
	f->nsent = 0;
	assert_int_equal(vm_udp6(f, &ll_vm, &f->cfg.net6.gateway_ll, q, len), DROP_NONE);
	h = fake_dns_last(&f->io);
	fake_dns_answer(&f->io, h, a, answer(a, f->io.s[h].sent, len, 0xcb007102));
	assert_int_equal(frame_parse(&v, f->to_vm[0].frame, f->to_vm[0].len), DROP_NONE);
	assert_true(inet_equal(&v.ip_src, &f->cfg.net6.gateway_ll));
	/* TCP: a SYN-ACK from the gateway's IPv6 address, an MSS for IPv6's headers */
	f->nsent = 0;
	e = (struct ip_ends){.src_mac = vm_mac, .dst_mac = gw_mac, .src = vm,
			     .dst = f->cfg.net6.gateway, .src_port = 40007, .dst_port = 53};
	assert_int_equal(frame_parse(&f->v, f->frame, ip_tcp_frame(f->frame, 0, &e, &t)), DROP_NONE);
	assert_int_equal(f->r->handle(f->r, &f->v), DROP_NONE);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(frame_parse(&v, f->to_vm[0].frame, f->to_vm[0].len), DROP_NONE);
	assert_true(inet_equal(&v.ip_src, &f->cfg.net6.gateway));
	assert_int_equal(v.l4[13], TCP_SYN | TCP_ACK);
	assert_int_equal(be16(v.l4 + 22), 1440); /* the VM's, below ours: 1500 - 60 */
}

/* Issue 11 item 12: answers are matched on the socket, the ID and the question. */
static void forged_and_stray_answers_are_ignored(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300], a[400], other[300];
	size_t len = query(q, 7, "www.example.com"), olen;
	struct fake_socket *up;
	int h;

	vm_udp(f, 40000, q, len);
	h = fake_dns_last(&f->io);
	up = &f->io.s[h];
	/* the right question, another ID */
	answer(a, up->sent, len, 1);
	put_be16(a, (uint16_t)(be16(up->sent) + 1));
	fake_dns_answer(&f->io, h, a, len + 16);
	/* the right ID, another question */
	olen = query(other, be16(up->sent), "www.evil.example");
	fake_dns_answer(&f->io, h, a, answer(a, other, olen, 2));
	/* a query, not an answer */
	fake_dns_answer(&f->io, h, up->sent, len);
	assert_int_equal(f->nsent, 0);
	assert_true(f->io.s[h].open);
	/* the same question with its letters' case changed (0x20) is the answer */
	answer(a, up->sent, len, 3);
	a[13] = 'W';
	fake_dns_answer(&f->io, h, a, len + 16);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(be16(got(f, 0).payload), 7);
}

static void unanswered_query_goes_to_the_next_server(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300], a[400];
	size_t len = query(q, 9, "slow.example.com");
	int first, second;

	vm_udp(f, 40001, q, len);
	first = fake_dns_last(&f->io);
	assert_int_not_equal(f->io.deadline, 0);
	fake_dns_advance(&f->io, 1999);
	assert_true(f->io.s[first].open);
	fake_dns_advance(&f->io, 1);
	second = fake_dns_last(&f->io); /* the first socket closed, one to the next server */
	for (int h = 0; h < FAKE_HANDLES; h++)
		assert_false(f->io.s[h].open && inet_v4(&f->io.s[h].server) == SERVER_A);
	assert_true(second >= 0);
	assert_int_equal(inet_v4(&f->io.s[second].server), SERVER_B);
	fake_dns_answer(&f->io, second, a, answer(a, f->io.s[second].sent, len, 5));
	assert_int_equal(f->nsent, 1);
	/* nothing waits any more: no timer at all */
	assert_int_equal(f->io.deadline, 0);
	/* and a query nobody answers is given up after the last server */
	vm_udp(f, 40002, q, len);
	fake_dns_advance(&f->io, 2000);
	fake_dns_advance(&f->io, 2000);
	assert_int_equal(fake_dns_last(&f->io), -1);
	assert_int_equal(f->io.deadline, 0);
}

/* Issue 11 item 12: without randomness (early boot) no two waiting queries share an ID. */
static void ids_never_repeat_without_randomness(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300];
	size_t len = query(q, 1, "www.example.com");
	uint16_t ids[40];

	f->io.random_fails = true;
	for (unsigned i = 0; i < 40; i++) {
		vm_udp(f, (uint16_t)(30000 + i), q, len);
		ids[i] = be16(f->io.s[fake_dns_last(&f->io)].sent);
		for (unsigned k = 0; k < i; k++)
			assert_int_not_equal(ids[i], ids[k]);
	}
}

/* Issue 11 item 9: the table of waiting queries is this VM's alone, and bounded. */
static void a_flood_fills_only_its_own_table(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300];
	size_t len = query(q, 1, "www.example.com");
	unsigned taken = 0, busy = 0;

	for (unsigned i = 0; i < 100; i++) {
		enum drop_reason why = vm_udp(f, (uint16_t)(20000 + i), q, len);

		taken += why == DROP_NONE;
		busy += why == DROP_DNS_BUSY;
	}
	assert_int_equal(taken, 64);
	assert_int_equal(busy, 36);
	/* they time out, and the table is free again */
	fake_dns_advance(&f->io, 2000);
	fake_dns_advance(&f->io, 2000);
	assert_int_equal(vm_udp(f, 19999, q, len), DROP_NONE);
}

static void answer_larger_than_the_mtu_is_truncated(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300], a[4000];
	size_t len = query(q, 0x77, "big.example.com");
	struct frame_view v;
	int h;

	vm_udp(f, 40003, q, len);
	h = fake_dns_last(&f->io);
	memcpy(a, f->io.s[h].sent, len);
	put_be16(a + 2, 0x8180);
	put_be16(a + 6, 200); /* 200 answers of 16 bytes: 3200 bytes, more than 1500 */
	for (unsigned i = 0; i < 200; i++)
		memcpy(a + len + i * 16,
		       "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04", 16);
	fake_dns_answer(&f->io, h, a, len + 3200);
	v = got(f, 0);
	assert_int_equal(v.payload_len, len); /* header and question only */
	assert_true(be16(v.payload + 2) & DNS_FLAG_TC);
	assert_int_equal(be16(v.payload), 0x77);
	assert_int_equal(be16(v.payload + 6), 0);
}

static void no_server_answers_servfail(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300];
	size_t len = query(q, 0x55, "www.example.com");
	struct frame_view v;

	assert_int_equal(vm_udp(f, 40004, q, len), DROP_NONE);
	v = got(f, 0);
	assert_int_equal(be16(v.payload), 0x55);
	assert_int_equal(DNS_RCODE(be16(v.payload + 2)), DNS_RCODE_SERVFAIL);
	assert_true(be16(v.payload + 2) & DNS_FLAG_QR);
}

static void malformed_queries_are_dropped(void **state)
{
	struct fixture *f = *state;
	uint8_t q[300];
	size_t len = query(q, 1, "www.example.com");

	assert_int_equal(vm_udp(f, 40005, q, 5), DROP_DNS_MALFORMED);
	put_be16(q + 2, 0x8180); /* an answer, not a query */
	assert_int_equal(vm_udp(f, 40005, q, len), DROP_DNS_MALFORMED);
	assert_int_equal(fake_dns_last(&f->io), -1);
}

/* The TCP segments the VM got from @from on, concatenated: payload bytes, and flags seen. */
static size_t tcp_stream(struct fixture *f, unsigned from, uint8_t *out, uint8_t *flags)
{
	size_t n = 0;

	*flags = 0;
	for (unsigned i = from; i < f->nsent; i++) {
		struct frame_view v = got(f, i);

		assert_int_equal(v.ip_proto, IPPROTO_TCP_);
		*flags |= v.l4[13];
		memcpy(out + n, v.payload, v.payload_len);
		n += v.payload_len;
	}
	return n;
}

/*
 * Issue 11 item 10: a client that sends its query and shuts its side down at once (the FIN
 * with the data) still gets the whole answer, and only then our FIN.
 */
static void tcp_half_close_still_gets_the_answer(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[300], a[400], stream[2048], flags;
	size_t qlen = query(msg + 2, 0x4321, "www.example.com"), alen;
	uint32_t iss;
	struct frame_view v;
	int h;

	put_be16(msg, (uint16_t)qlen);
	assert_int_equal(vm_tcp(f, 50000, 1000, 0, TCP_SYN, NULL, 0), DROP_NONE);
	v = got(f, 0);
	assert_int_equal(v.l4[13], TCP_SYN | TCP_ACK);
	assert_int_equal(be32(v.l4 + 8), 1001);
	iss = be32(v.l4 + 4);
	vm_tcp(f, 50000, 1001, iss + 1, TCP_ACK, NULL, 0);
	vm_tcp(f, 50000, 1001, iss + 1, TCP_ACK | TCP_PSH | TCP_FIN, msg, qlen + 2);
	h = fake_dns_last(&f->io);
	assert_true(h >= 0 && f->io.s[h].tcp);
	fake_dns_connected(&f->io, h);
	/* the query went upstream whole, then the VM's end of stream */
	assert_int_equal(f->io.s[h].sent_len, qlen + 2);
	assert_memory_equal(f->io.s[h].sent, msg, qlen + 2);
	assert_true(f->io.s[h].shut);
	/* the answer, then the server's end of stream */
	alen = answer(a + 2, msg + 2, qlen, 0x01020304);
	put_be16(a, (uint16_t)alen);
	fake_dns_answer(&f->io, h, a, alen + 2);
	fake_dns_close(&f->io, h);
	assert_int_equal(tcp_stream(f, 1, stream, &flags), alen + 2);
	assert_memory_equal(stream, a, alen + 2);
	assert_true(flags & TCP_FIN);
	/* the VM acknowledges everything: the connection is gone */
	vm_tcp(f, 50000, 1001 + (uint32_t)qlen + 2 + 1, iss + 1 + (uint32_t)alen + 2 + 1, TCP_ACK,
	       NULL, 0);
	assert_false(f->io.s[h].open);
}

static void tcp_segment_of_no_connection_is_refused(void **state)
{
	struct fixture *f = *state;
	struct frame_view v;

	vm_tcp(f, 50001, 5, 77, TCP_ACK, NULL, 0);
	v = got(f, 0);
	assert_int_equal(v.l4[13] & TCP_RST, TCP_RST);
	assert_int_equal(be32(v.l4 + 4), 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolv_conf_servers_in_order),
		cmocka_unit_test_setup_teardown(answered_over_ipv6_from_the_address_asked, setup,
						teardown),
		cmocka_unit_test(resolv_conf_missing_or_empty),
		cmocka_unit_test_setup_teardown(udp_query_is_relayed_and_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(forged_and_stray_answers_are_ignored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unanswered_query_goes_to_the_next_server, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ids_never_repeat_without_randomness, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_flood_fills_only_its_own_table, setup, teardown),
		cmocka_unit_test_setup_teardown(answer_larger_than_the_mtu_is_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(no_server_answers_servfail, setup_no_server,
						teardown),
		cmocka_unit_test_setup_teardown(malformed_queries_are_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_half_close_still_gets_the_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tcp_segment_of_no_connection_is_refused, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
