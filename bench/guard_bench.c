// SPDX-License-Identifier: MIT
/* guard_bench.c — micro-benchmark: nanoseconds per frame for frame_parse() + the guard */
/*
 * Built with sock-vmnet (bench/meson.build): build/bench/guard_bench [MILLIONS]
 *
 * Each case judges a ring of 256 different frames (destinations spread over the address
 * space, so the policy lookup is not one cached path) MILLIONS (default 20) million times
 * and prints the mean cost per frame; the best of 3 runs is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard/guard.h"

#define RING 256
#define FRAME_LEN 128
#define GATEWAY 0xc0a84001u
#define LEASE 0xc0a84032u

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

static void setup(const char *const *rules, size_t count)
{
	char err[200];

	struct inet_addr lease = inet_from_v4(LEASE);

	cfg = (struct config){
		.vm = {.mtu = 1500},
		.net4 = {.gateway = inet_from_v4(GATEWAY),
			 .subnet = {inet_from_v4(0xc0a84000), 24},
			 .mask = 0xffffff00,
			 .range_end = inet_from_v4(0xc0a840fe)},
	};
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
	if (guard_init(&guard, &cfg) < 0)
		exit(1);
	guard_set_vm_address(&guard, &lease);
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

int main(int argc, char **argv)
{
	unsigned long frames = (argc > 1 ? strtoul(argv[1], NULL, 10) : 20) * 1000000ul;
	static const char *const port_rules[] = {
		"-0.0.0.0/0", "+@host", "+tcp::443", "+udp::53", "+tcp:203.0.113.0/24:8000-8999",
		"-tcp:8.8.8.0/24:443",
	};
	static char big_text[BIG_RULES][32];
	static const char *big[BIG_RULES];

	for (int i = 0; i < BIG_RULES; i++) {
		uint32_t a = next_random() & 0xffffff00;

		if (i % 4 == 0)
			snprintf(big_text[i], sizeof(big_text[i]), "+tcp:%u.%u.%u.0/24:%d", a >> 24,
				 (a >> 16) & 0xff, (a >> 8) & 0xff, 1000 + i);
		else
			snprintf(big_text[i], sizeof(big_text[i]), "%c%u.%u.%u.0/24",
				 i % 2 ? '+' : '-', a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff);
		big[i] = big_text[i];
	}

	printf("frames per case: %lu (ring of %d), best of 3\n", frames, RING);
	setup(NULL, 0);
	fill_vm_ring();
	printf("%-50s %6.1f ns/frame\n", "frame_parse only (vm->host TCP/UDP)",
	       run_ns(true, true, frames));
	printf("%-50s %6.1f ns/frame\n", "parse + guard, vm->host, default policy",
	       run_ns(true, false, frames));
	setup(port_rules, sizeof(port_rules) / sizeof(port_rules[0]));
	printf("%-50s %6.1f ns/frame\n", "parse + guard, vm->host, 6 rules with ports",
	       run_ns(true, false, frames));
	setup(big, BIG_RULES);
	printf("%-50s %6.1f ns/frame\n", "parse + guard, vm->host, 1000 rules (250 with ports)",
	       run_ns(true, false, frames));
	setup(NULL, 0);
	fill_host_ring();
	printf("%-50s %6.1f ns/frame\n", "parse + guard, host->vm", run_ns(false, false, frames));
	return 0;
}
