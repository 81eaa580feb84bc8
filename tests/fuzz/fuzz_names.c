// SPDX-License-Identifier: MIT
/* fuzz_names.c — libFuzzer target: DNS answers read for the name rules, then the guard's verdicts */
/*
 * Input: a DNS answer as the VM's resolver could be given it (any bytes), then the guard
 * judges TCP SYNs to every address the answer's A and AAAA records name (IPv6 from the VM's
 * claimed address). The guard has name rules
 * (an exact name, a wildcard, a block), so the learning code reads questions, CNAME chains
 * and A records of hostile messages.
 * Checks, beyond "no crash, no sanitizer report": no address of the ranges a name may never
 * open (loopback, link-local, multicast, reserved, the VM's subnet; in IPv6 also the VM's
 * prefix and IPv4 of those ranges written in IPv6) is ever let through; an
 * address the answer does not name is never opened by it; learned entries are bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "fuzz_promise.h"
#include "guard/guard.h"
#include "proto/byteorder.h"
#include "proto/dns_msg.h"
#include "proto/ip_frame.h"
#include "proto/ipv4_frame.h"

#define LEASE 0xc0a84002u
#define GATEWAY 0xc0a84001u
#define PROBE 0x01020304u /* an address the seeds name for allowed.test */
/* ... and in IPv6: 2001:db8::1234; the VM's prefix fd00:1:2:3::/64, its address in it */
static const struct inet_addr probe6 = {{0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x34}};
static const struct inet_addr prefix6 = {{0xfd, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03}};
static struct inet_addr vm6;

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0xa8, 0x40, 0x01};
static const char *const rules[] = {"-0.0.0.0/0", "+tcp:allowed.test:443", "+*.cdn.test",
				    "-bad.cdn.test"};
static struct config cfg;
static struct policy_rule rule_store[4];

static bool never_by_name(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 16) == 0xa9fe || (a >> 28) >= 0xe ||
	       (a & 0xffffff00) == 0xc0a84000;
}

/* The ranges of IPv6 no name opens, written out again (guard_names.c's never_by_name()). */
static bool never_by_name6(const uint8_t *b)
{
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const uint8_t zero[12];

	if (memcmp(b, zero, 12) == 0)
		return true;
	if (memcmp(b, nat64, 12) == 0)
		return never_by_name(be32(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02)
		return never_by_name(be32(b + 2));
	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||
	       b[0] == 0xff || memcmp(b, prefix6.b, 8) == 0;
}

static bool is_gateway6(const uint8_t *b)
{
	return memcmp(b, cfg.net6.gateway.b, 16) == 0 || memcmp(b, cfg.net6.gateway_ll.b, 16) == 0;
}

/* Would a SYN from the VM's IPv6 address to @dst:443 pass? */
static bool syn6_passes(struct guard *g, const uint8_t *dst, uint16_t sport)
{
	static uint8_t frame[128];
	struct ip_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src = vm6,
			       .src_port = sport, .dst_port = 443};
	struct tcp_fields f = {.seq = 1, .flags = TCP_SYN, .window = 1000};
	struct frame_view v;
	enum drop_reason why;
	enum local_service service;

	memcpy(ends.dst.b, dst, 16);
	if (frame_parse(&v, frame, ip_tcp_frame(frame, 0, &ends, &f)) != DROP_NONE)
		return false; /* an address no IPv6 packet carries (IPv4-mapped) */
	return guard_vm_frame(g, &v, &why, &service) == GUARD_PASS;
}

/* Would a SYN from the VM to @dst:443 pass? */
static bool syn_passes(struct guard *g, uint32_t dst, uint16_t sport)
{
	static uint8_t frame[128];
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = LEASE,
				 .dst_ip = dst, .src_port = sport, .dst_port = 443};
	struct tcp_fields f = {.seq = 1, .flags = TCP_SYN, .window = 1000};
	struct frame_view v;
	enum drop_reason why;
	enum local_service service;

	promise(frame_parse(&v, frame, ipv4_tcp_frame(frame, 0, &ends, &f)) == DROP_NONE);
	return guard_vm_frame(g, &v, &why, &service) == GUARD_PASS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guard g; /* made once: each input starts hours after the last */
	struct inet_addr lease = inet_from_v4(LEASE);
	struct dns_reader r;
	struct dns_rr rr;
	uint16_t sport = 1000;
	static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
	bool named_probe = false, named_probe6 = false;
	char err[200];

	if (!cfg.policy.rules) {
		cfg = (struct config){.vm = {.mtu = 1500},
				      .net4 = {.gateway = inet_from_v4(GATEWAY),
					       .subnet = {inet_from_v4(0xc0a84000), 24},
					       .mask = 0xffffff00,
					       .range_end = inet_from_v4(0xc0a840fe)},
				      .net6 = {.enabled = true, .prefix = {prefix6, 64}, .gateway = prefix6,
					       .gateway_ll = {{0xfe, 0x80, [15] = 1}}},
				      .policy = {.rules = rule_store, .check_names = CHECK_NAMES_OFF}};
		struct inet_addr evicted;

		cfg.net6.gateway.b[15] = 1;
		vm6 = prefix6;
		vm6.b[15] = 0x10;
		memcpy(cfg.vm.mac, vm_mac, 6);
		for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
			promise(policy_rule_parse(rules[i] + 1, rules[i][0] == '+', &rule_store[i], err,
						  sizeof(err)));
		cfg.policy.count = sizeof(rules) / sizeof(rules[0]);
		promise(guard_init(&g, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL) == 0);
		guard_set_vm_address(&g, &lease);
		promise(!guard_claim(&g, &vm6, &evicted));
	}
	/* later than every name and flow of the inputs before could last */
	g.now_ms += (uint64_t)(LEARNED_TTL_CAP_S + FLOW_TCP_ESTABLISHED_S) * 1000 + 1000;
	/* nothing is open before the answer */
	promise(!syn_passes(&g, PROBE, sport++));
	promise(!syn6_passes(&g, probe6.b, sport++));
	guard_learn_answer(&g, data, size);
	promise(learned_count(g.learned) <= LEARNED_MAX);
	/* every address the message holds: never one of the ranges no name opens */
	if (dns_reader_init(&r, data, size))
		for (unsigned i = 0; i < 256 && dns_next_rr(&r, &rr); i++) {
			uint32_t a;

			if (rr.type == DNS_TYPE_AAAA && rr.rdlen == 16 &&
			    memcmp(rr.rdata, v4_mapped, 12) == 0) {
				/* IPv4 in an AAAA record: what a stack reaches is the IPv4 address */
				a = be32(rr.rdata + 12);
				named_probe |= a == PROBE;
				if (never_by_name(a) && a != GATEWAY)
					promise(!syn_passes(&g, a, sport++));
				continue;
			}
			if (rr.type == DNS_TYPE_AAAA && rr.rdlen == 16) {
				named_probe6 |= memcmp(rr.rdata, probe6.b, 16) == 0;
				/* (the gateway's addresses are @host's, open by default) */
				if (never_by_name6(rr.rdata) && !is_gateway6(rr.rdata))
					promise(!syn6_passes(&g, rr.rdata, sport++));
				continue;
			}
			if (rr.type != DNS_TYPE_A || rr.rdlen != 4)
				continue;
			a = be32(rr.rdata);
			named_probe |= a == PROBE;
			if (never_by_name(a) && a != GATEWAY)
				promise(!syn_passes(&g, a, sport++));
		}
	/* an address the answer does not name is not opened by it */
	promise(named_probe || !syn_passes(&g, PROBE, sport++));
	promise(named_probe6 || !syn6_passes(&g, probe6.b, sport++));
	return 0;
}
