// SPDX-License-Identifier: MIT
/* guard_bench.c — micro-benchmark: nanoseconds per frame for frame_parse() + the guard */
/*
 * Built with sock-vmnet (bench/meson.build): build/bench/guard_bench [MILLIONS]
 *
 * Each case judges a ring of 256 different frames (destinations spread over the address
 * space, so the policy lookup is not one cached path) MILLIONS (default 20) million times
 * and prints the mean cost per frame; the best of 3 runs is kept, and its ratio to the
 * default policy's measured in the same run.
 *
 * The name cases: 1000 rules (500 of them naming names, 500 address rules) and 10 000
 * addresses learned from DNS answers for the named names; frames go to learned addresses
 * (ICMP: judged by the rules and the learned table every time; TCP: the first packet of a
 * flow creates it, the others are found in the flow table) or to addresses nobody learned.
 * IPv6 is on, as by default (the VM holds a claimed address of fd00:1:2:3::/64), and the IPv6
 * cases judge the same kinds of frames from that address: the default policy, 1000 rules
 * (/48s, a quarter with ports), and the host's side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/config.h"
#include "guard/guard.h"
#include "proto/dns_msg.h"

#define RING 256
#define FRAME_LEN 128
#define GATEWAY 0xc0a84001u
#define LEASE 0xc0a84032u

/* the VM's IPv6 prefix, its gateway and the address it claimed */
static const struct inet_addr prefix6 = {{0xfd, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03}};
static struct inet_addr gateway6, vm6;

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t bridge_mac[6] = {0x02, 0, 0, 0, 0, 1};

static struct config cfg;
static struct policy_rule rule_store[POLICY_MAX_RULES];
static struct guard guard;
static uint8_t ring[RING][FRAME_LEN];
static size_t ring_len[RING];

static uint32_t rng = 0x12345678;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A TCP (or UDP) frame from @src to @dst:@port, @payload bytes of payload. */
static size_t build(uint8_t *f, bool to_vm, uint8_t proto, uint32_t src, uint32_t dst,
		    uint16_t port)
{
	size_t l4 = proto == IPPROTO_TCP_ ? 20 : 8, len = 14 + 20 + l4 + 32;

	memset(f, 0, FRAME_LEN);
	memcpy(f, to_vm ? vm_mac : bridge_mac, 6);
	memcpy(f + 6, to_vm ? bridge_mac : vm_mac, 6);
	put_be16(f + 12, ETHERTYPE_IPV4);
	f[14] = 0x45;
	put_be16(f + 16, (uint16_t)(len - 14));
	f[22] = 64;
	f[23] = proto;
	put_be32(f + 26, src);
	put_be32(f + 30, dst);
	put_be16(f + 34, to_vm ? port : 40000);
	put_be16(f + 36, to_vm ? 40000 : port);
	if (proto == IPPROTO_UDP_)
		put_be16(f + 38, (uint16_t)(len - 34));
	else
		f[46] = 0x50;
	return len;
}

/* The same frame in IPv6: @src to @dst:@port, 32 bytes of payload. */
static size_t build6(uint8_t *f, bool to_vm, uint8_t proto, const struct inet_addr *src,
		     const struct inet_addr *dst, uint16_t port)
{
	size_t l4 = proto == IPPROTO_TCP_ ? 20 : 8, len = 14 + 40 + l4 + 32;

	memset(f, 0, FRAME_LEN);
	memcpy(f, to_vm ? vm_mac : bridge_mac, 6);
	memcpy(f + 6, to_vm ? bridge_mac : vm_mac, 6);
	put_be16(f + 12, ETHERTYPE_IPV6);
	f[14] = 0x60;
	put_be16(f + 18, (uint16_t)(len - 54));
	f[20] = proto;
	f[21] = 64;
	memcpy(f + 22, src->b, 16);
	memcpy(f + 38, dst->b, 16);
	put_be16(f + 54, to_vm ? port : 40000);
	put_be16(f + 56, to_vm ? 40000 : port);
	if (proto == IPPROTO_UDP_)
		put_be16(f + 58, (uint16_t)(len - 54));
	else
		f[66] = 0x50;
	return len;
}

/* A random global unicast IPv6 address (2000::/3, outside the registry's blocks mostly) */
static struct inet_addr random6(void)
{
	struct inet_addr a;

	for (int i = 0; i < 16; i += 4)
		put_be32(a.b + i, next_random());
	a.b[0] = (uint8_t)(0x24 + (a.b[0] & 0x0b)); /* 2400::/6 and 2c00::/6: no 2001::/16 */
	return a;
}

static void setup(const char *const *rules, size_t count)
{
	char err[200];

	struct inet_addr lease = inet_from_v4(LEASE), evicted;

	cfg = (struct config){
		.vm = {.mtu = 1500},
		.net4 = {.gateway = inet_from_v4(GATEWAY),
			 .subnet = {inet_from_v4(0xc0a84000), 24},
			 .mask = 0xffffff00,
			 .range_end = inet_from_v4(0xc0a840fe)},
		.net6 = {.enabled = true, .prefix = {prefix6, 64},
			 .gateway_ll = {{0xfe, 0x80, [15] = 1}}},
	};
	gateway6 = vm6 = prefix6;
	gateway6.b[15] = 1;
	vm6.b[15] = 0x10;
	cfg.net6.gateway = gateway6;
	memcpy(cfg.vm.mac, vm_mac, 6);
	cfg.policy.rules = rule_store;
	for (size_t i = 0; i < count; i++) {
		if (!policy_rule_parse(rules[i] + 1, rules[i][0] == '+', &cfg.policy.rules[i], err,
				       sizeof(err))) {
			fprintf(stderr, "%s: %s\n", rules[i], err);
			exit(1);
		}
	}
	cfg.policy.count = count;
	guard_fini(&guard);
	if (guard_init(&guard, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL) < 0)
		exit(1);
	guard_set_vm_address(&guard, &lease);
	guard_claim(&guard, &vm6, &evicted);
}

/* VM → host in IPv6: as fill_vm_ring() */
static void fill_vm_ring6(void)
{
	for (int i = 0; i < RING; i++) {
		struct inet_addr dst = random6();

		if (i % 8 == 0)
			ring_len[i] = build6(ring[i], false, IPPROTO_UDP_, &vm6, &gateway6, 53);
		else
			ring_len[i] = build6(ring[i], false, IPPROTO_TCP_, &vm6, &dst, 443);
	}
}

static void fill_host_ring6(void)
{
	for (int i = 0; i < RING; i++) {
		struct inet_addr src = random6();

		ring_len[i] = build6(ring[i], true, IPPROTO_TCP_, &src, &vm6, 443);
	}
}

/* VM → host: TCP to global addresses (1 in 8 to the gateway's DNS, over UDP). */
static void fill_vm_ring(void)
{
	for (int i = 0; i < RING; i++) {
		uint32_t dst = next_random();

		if (i % 8 == 0)
			ring_len[i] = build(ring[i], false, IPPROTO_UDP_, LEASE, GATEWAY, 53);
		else
			ring_len[i] = build(ring[i], false, IPPROTO_TCP_, LEASE,
					    (dst % 223 + 1) << 24 | (dst & 0xffffff), 443);
	}
}

static void fill_host_ring(void)
{
	for (int i = 0; i < RING; i++)
		ring_len[i] = build(ring[i], true, IPPROTO_TCP_, next_random(), LEASE, 443);
}

static double run_ns(bool from_vm, bool parse_only, unsigned long frames)
{
	struct timespec t0, t1;
	unsigned long passed = 0;
	double best = 1e9;

	for (int attempt = 0; attempt < 3; attempt++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned long n = 0; n < frames; n++) {
			unsigned i = n % RING;
			struct frame_view v;
			enum drop_reason why = frame_parse(&v, ring[i], ring_len[i]);
			enum local_service service;

			if (why != DROP_NONE)
				continue;
			if (parse_only)
				passed += v.ip_dst.b[15] & 1;
			else if (from_vm)
				passed += guard_vm_frame(&guard, &v, &why, &service) == GUARD_PASS;
			else
				passed += guard_host_frame(&guard, &v, &why) == GUARD_PASS;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
			     (double)(t1.tv_nsec - t0.tv_nsec)) / (double)frames;
		if (ns < best)
			best = ns;
	}
	if (passed == 42) /* keep the loop's result alive */
		puts("");
	return best;
}

/* the "many rules" case: 1000, a quarter of them with ports */
#define BIG_RULES 1000
/* the name cases: 500 name rules among 1000, and 10 000 learned addresses */
#define NAME_RULES 500
#define LEARNED 10000

static uint32_t learned_addr[LEARNED];

/* A DNS answer: @name has address @addr for an hour. */
static size_t answer(uint8_t *m, const char *name, uint32_t addr)
{
	size_t len = 12, n;
	const char *p = name;

	memset(m, 0, 12);
	put_be16(m + 2, 0x8180);
	put_be16(m + 4, 1);
	put_be16(m + 6, 1);
	while (*p) { /* the question's name, label by label */
		const char *dot = strchr(p, '.');

		n = dot ? (size_t)(dot - p) : strlen(p);
		m[len++] = (uint8_t)n;
		memcpy(m + len, p, n);
		len += n;
		p += n + (dot ? 1 : 0);
	}
	m[len++] = 0;
	put_be32(m + len, 0x00010001);
	len += 4;
	m[len++] = 0xc0, m[len++] = 12; /* the answer's owner: the question's name */
	put_be32(m + len, 0x00010001);
	put_be32(m + len + 4, 3600);
	put_be16(m + len + 8, 4);
	put_be32(m + len + 10, addr);
	return len + 14;
}

/* 1000 rules, half of them names, and 10 000 addresses learned for those names. */
static void setup_names(void)
{
	static char text[BIG_RULES][40];
	static const char *rules[BIG_RULES];
	uint8_t msg[300];
	char name[40];

	for (int i = 0; i < BIG_RULES; i++) {
		uint32_t a = next_random() & 0xffffff00;

		if (i == 0)
			snprintf(text[i], sizeof(text[i]), "-0.0.0.0/0");
		else if (i <= NAME_RULES)
			snprintf(text[i], sizeof(text[i]), "+tcp:n%d.example:443", i);
		else
			snprintf(text[i], sizeof(text[i]), "%c%u.%u.%u.0/24", i % 2 ? '+' : '-',
				 a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff);
		rules[i] = text[i];
	}
	setup(rules, BIG_RULES);
	guard.now_ms = 1000000;
	for (int k = 0; k < LEARNED; k++) {
		learned_addr[k] = 0x64000000u + (uint32_t)k * 37; /* 100.x.y.z: spread out */
		snprintf(name, sizeof(name), "n%d.example", 1 + k % NAME_RULES);
		guard_learn_answer(&guard, msg, answer(msg, name, learned_addr[k]));
	}
}

/* ICMP echo requests (no flow: every one judged) or TCP to learned addresses, or elsewhere. */
static void fill_names_ring(uint8_t proto, bool learned)
{
	for (int i = 0; i < RING; i++) {
		uint32_t dst = learned ? learned_addr[next_random() % LEARNED] : 0x65000000u + next_random() % 100000;

		ring_len[i] = build(ring[i], false, proto, LEASE, dst, 443);
		if (proto == IPPROTO_TCP_)
			put_be16(ring[i] + 34, (uint16_t)(20000 + i)); /* one flow each */
		if (proto == IPPROTO_ICMP_)
			ring[i][34] = 8; /* echo request */
	}
}

static double base; /* the default policy's cost: the ratios' unit */

static void report(const char *what, double ns)
{
	printf("%-52s %6.1f ns/frame", what, ns);
	if (base > 0)
		printf("  %5.2fx the default policy", ns / base);
	putchar('\n');
}

int main(int argc, char **argv)
{
	unsigned long frames = (argc > 1 ? strtoul(argv[1], NULL, 10) : 20) * 1000000ul;
	static const char *const port_rules[] = {
		"-0.0.0.0/0", "+@host", "+tcp::443", "+udp::53", "+tcp:203.0.113.0/24:8000-8999",
		"-tcp:8.8.8.0/24:443",
	};
	static char big_text[BIG_RULES][32], big6_text[BIG_RULES][48];
	static const char *big[BIG_RULES], *big6[BIG_RULES];

	for (int i = 0; i < BIG_RULES; i++) {
		uint32_t a = next_random() & 0xffffff00;

		if (i % 4 == 0)
			snprintf(big_text[i], sizeof(big_text[i]), "+tcp:%u.%u.%u.0/24:%d", a >> 24,
				 (a >> 16) & 0xff, (a >> 8) & 0xff, 1000 + i);
		else
			snprintf(big_text[i], sizeof(big_text[i]), "%c%u.%u.%u.0/24",
				 i % 2 ? '+' : '-', a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff);
		big[i] = big_text[i];
		a = next_random();
		if (i % 4 == 0)
			snprintf(big6_text[i], sizeof(big6_text[i]), "+tcp:[2%03x:%x:%x::/48]:%d",
				 a >> 20 & 0xfff, a >> 4 & 0xffff, next_random() & 0xffff, 1000 + i);
		else
			snprintf(big6_text[i], sizeof(big6_text[i]), "%c2%03x:%x:%x::/48",
				 i % 2 ? '+' : '-', a >> 20 & 0xfff, a >> 4 & 0xffff,
				 next_random() & 0xffff);
		big6[i] = big6_text[i];
	}

	printf("frames per case: %lu (ring of %d), best of 3\n", frames, RING);
	setup(NULL, 0);
	fill_vm_ring();
	report("frame_parse only (vm->host TCP/UDP)", run_ns(true, true, frames));
	base = run_ns(true, false, frames);
	report("parse + guard, vm->host, default policy", base);
	setup(port_rules, sizeof(port_rules) / sizeof(port_rules[0]));
	report("parse + guard, vm->host, 6 rules with ports", run_ns(true, false, frames));
	setup(big, BIG_RULES);
	report("parse + guard, vm->host, 1000 rules (250 with ports)", run_ns(true, false, frames));
	setup_names();
	fill_names_ring(IPPROTO_ICMP_, true);
	report("1000 rules + 10000 learned: ICMP to learned", run_ns(true, false, frames));
	fill_names_ring(IPPROTO_TCP_, true);
	report("1000 rules + 10000 learned: TCP flows", run_ns(true, false, frames));
	fill_names_ring(IPPROTO_TCP_, false);
	report("1000 rules + 10000 learned: TCP elsewhere", run_ns(true, false, frames));
	setup(NULL, 0);
	fill_host_ring();
	report("parse + guard, host->vm", run_ns(false, false, frames));
	fill_vm_ring6();
	report("IPv6: frame_parse only (vm->host TCP/UDP)", run_ns(true, true, frames));
	report("IPv6: parse + guard, vm->host, default policy", run_ns(true, false, frames));
	setup(big6, BIG_RULES);
	fill_vm_ring6();
	report("IPv6: parse + guard, vm->host, 1000 rules (250 w/ ports)",
	       run_ns(true, false, frames));
	setup(NULL, 0);
	fill_host_ring6();
	report("IPv6: parse + guard, host->vm", run_ns(false, false, frames));
	return 0;
}
