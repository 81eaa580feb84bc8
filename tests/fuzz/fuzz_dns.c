// SPDX-License-Identifier: MIT
/* fuzz_dns.c — libFuzzer target: the DNS responder, its VM, its resolvers and its clock all faked */
/*
 * Input: commands, each a byte and its arguments (see run()): the VM sends a UDP query or a
 * TCP segment (SYN, data with or without FIN, a bare ACK, RST, or one with any sequence
 * numbers), a resolver answers on one of the responder's sockets (bytes of the input, or the
 * query it got with QR set, its question kept), closes, connects, or the clock moves.
 * Checks, beyond "no crash, no sanitizer report": every frame to the VM parses and fits its
 * MTU, comes from the gateway's port 53 and goes to the VM; a UDP answer carries the ID the
 * VM used on that port and answers each query at most once; the responder never holds more
 * sockets than its tables allow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "core/log.h"
#include "fake_dns_io.h"
#include "fuzz_promise.h"
#include "proto/byteorder.h"
#include "proto/ipv4_frame.h"
#include "responder/dns.h"

#define VM_IP 0xc0a84032u
#define GATEWAY 0xc0a84001u
#define PORTS 4

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

#define ASKED_MAX 4096 /* more than an input (at most 4096 bytes) can ask */

/* The VM's side: what it asked on each UDP port, and each TCP connection's sequence state. */
struct vm_model {
	uint16_t asked[PORTS][ASKED_MAX]; /* IDs of queries not answered yet */
	unsigned nasked[PORTS];
	uint32_t my_seq[PORTS], their_next[PORTS];
};

static struct config cfg;
static struct fake_dns_io io;
static struct vm_model vm;
static uint8_t frame[2048];

static uint16_t port_of(unsigned i)
{
	return (uint16_t)(40000 + i);
}

static void to_vm(void *ctx, const uint8_t *f, size_t len)
{
	struct frame_view v;
	unsigned p;

	(void)ctx;
	promise(len <= ETH_HDR_LEN + cfg.vm.mtu);
	promise(frame_parse(&v, f, len) == DROP_NONE && v.l4);
	promise(mac_equal(v.dst_mac, vm_mac) && mac_equal(v.src_mac, gw_mac));
	promise(inet_v4(&v.ip_src) == GATEWAY && inet_v4(&v.ip_dst) == VM_IP && v.src_port == 53);
	p = (unsigned)(v.dst_port - 40000);
	promise(p < PORTS);
	if (v.ip_proto == IPPROTO_UDP_) {
		unsigned k = 0;

		promise(v.payload_len >= 12);
		while (k < vm.nasked[p] && vm.asked[p][k] != be16(v.payload))
			k++;
		promise(k < vm.nasked[p]); /* the answer to a query the VM sent on that port... */
		vm.asked[p][k] = vm.asked[p][--vm.nasked[p]]; /* ...and only once */
		return;
	}
	promise(v.ip_proto == IPPROTO_TCP_);
	vm.their_next[p] = be32(v.l4 + 4) + (uint32_t)v.payload_len +
			   !!(v.l4[13] & (TCP_SYN | TCP_FIN));
}

static void no_address(void *ctx, const struct inet_addr *addr)
{
	(void)ctx;
	(void)addr;
}

static void send_frame(struct responder *r, size_t len)
{
	struct frame_view v;

	if (frame_parse(&v, frame, len) == DROP_NONE && v.payload)
		r->handle(r, &v);
}

static size_t vm_udp(const uint8_t *d, size_t n, unsigned p)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = VM_IP,
				 .dst_ip = GATEWAY, .src_port = port_of(p), .dst_port = 53};

	if (n > 1400)
		n = 1400;
	memcpy(frame + IPV4_UDP_PAYLOAD_OFFSET, d, n);
	if (n >= 2 && vm.nasked[p] < ASKED_MAX)
		vm.asked[p][vm.nasked[p]++] = be16(d);
	return ipv4_udp_frame(frame, n, &ends, 0);
}

static size_t vm_tcp(unsigned p, uint8_t kind, const uint8_t *d, size_t n)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = VM_IP,
				 .dst_ip = GATEWAY, .src_port = port_of(p), .dst_port = 53};
	struct tcp_fields t = {.seq = vm.my_seq[p], .ack = vm.their_next[p], .flags = TCP_ACK,
			       .window = 65535};

	if (n > 1400)
		n = 1400;
	switch (kind % 5) {
	case 0: /* SYN */
		t = (struct tcp_fields){.seq = vm.my_seq[p] = (uint32_t)n * 7919u, .flags = TCP_SYN,
					.window = 65535, .mss = 1460};
		vm.my_seq[p]++;
		n = 0;
		break;
	case 1: /* data, perhaps the FIN after it */
		t.flags |= TCP_PSH | (n & 1 ? TCP_FIN : 0);
		vm.my_seq[p] += (uint32_t)n + (n & 1);
		break;
	case 2: /* a bare ACK */
		n = 0;
		break;
	case 3: /* RST */
		t.flags = TCP_RST;
		n = 0;
		break;
	default: /* whatever the input says */
		if (n >= 9) {
			t = (struct tcp_fields){.seq = be32(d), .ack = be32(d + 4), .flags = d[8],
						.window = 512};
			d += 9;
			n -= 9;
		}
		break;
	}
	memcpy(frame + IPV4_TCP_PAYLOAD_OFFSET, d, n);
	return ipv4_tcp_frame(frame, n, &ends, &t);
}

/* A resolver's answer to what handle @h sent: its first query, QR set, the rest kept. */
static void echo_answer(int h)
{
	struct fake_socket *s = &io.s[h];
	uint8_t a[600];
	size_t n = s->sent_len < sizeof(a) ? s->sent_len : sizeof(a);

	if (n < 12)
		return;
	memcpy(a, s->sent, n);
	if (s->tcp) {
		a[4] |= 0x80; /* after the 2-byte length */
	} else {
		a[2] |= 0x80;
	}
	fake_dns_answer(&io, h, a, n);
}

static void run(struct responder *r, const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i + 3 <= size) {
		uint8_t cmd = data[i], a = data[i + 1];
		size_t n = data[i + 2] % 128;
		const uint8_t *arg = data + i + 3;

		if (n > size - i - 3)
			n = size - i - 3;
		i += 3 + n;
		switch (cmd % 7) {
		case 0:
			send_frame(r, vm_udp(arg, n, a % PORTS));
			break;
		case 1:
			send_frame(r, vm_tcp(a % PORTS, (uint8_t)(a / PORTS), arg, n));
			break;
		case 2:
			fake_dns_answer(&io, a % FAKE_HANDLES, arg, n);
			break;
		case 3:
			echo_answer(a % FAKE_HANDLES);
			break;
		case 4:
			fake_dns_close(&io, a % FAKE_HANDLES);
			break;
		case 5:
			fake_dns_connected(&io, a % FAKE_HANDLES);
			break;
		default:
			fake_dns_advance(&io, (uint64_t)a * 50);
			break;
		}
	}
}

/* An answer handed to the name rules: whole, as the VM gets it (a DNS message fits 64 KiB). */
static void learned(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	promise(len <= 65535);
	promise(len == 0 || msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_setup setup = {.vm = &cfg.vm, .net4 = &cfg.net4, .dns = &cfg.dns,
				  .gateway_mac = gw_mac, .io = &io.io, .resolv_conf = "/nonexistent"};
	struct responder_env env = {.send_to_vm = to_vm, .vm_address = no_address,
				    .learn_answer = learned};
	struct direction_counters counters = {0};
	struct responder *r;
	char err[100];
	unsigned open = 0;

	log_set_quiet(true);
	cfg = (struct config){.vm = {.mtu = 1500},
			      .net4 = {.gateway = inet_from_v4(GATEWAY),
				       .subnet = {inet_from_v4(0xc0a84000), 24},
				       .mask = 0xffffff00},
			      .dns = {.count = 2}};
	memcpy(cfg.vm.mac, vm_mac, 6);
	cfg.dns.servers[0] = inet_from_v4(0x7f000001);
	cfg.dns.servers[1] = inet_from_v4(0x7f000002);
	memset(&vm, 0, sizeof(vm));
	fake_dns_io_init(&io);
	io.random_fails = size && data[0] == 0xff;
	r = dns_new(&setup, err, sizeof(err));
	promise(r);
	r->env = &env;
	r->counters = &counters;
	run(r, data, size);
	for (int h = 0; h < FAKE_HANDLES; h++)
		open += io.s[h].open;
	promise(open <= 64 + 8); /* the query table and the TCP connections */
	r->close(r);
	for (int h = 0; h < FAKE_HANDLES; h++)
		promise(!io.s[h].open); /* nothing left behind */
	return 0;
}
