// SPDX-License-Identifier: MIT
/* fuzz_names.c — libFuzzer target: DNS answers read for the name rules, then the guard's verdicts */
/*
 * Input: a DNS answer as the VM's resolver could be given it (any bytes), then the guard
 * judges TCP SYNs to every address the answer's A records name. The guard has name rules
 * (an exact name, a wildcard, a block), so the learning code reads questions, CNAME chains
 * and A records of hostile messages.
 * Checks, beyond "no crash, no sanitizer report": no address of the ranges a name may never
 * open (loopback, link-local, multicast, reserved, the VM's subnet) is ever let through; an
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
#include "proto/ipv4_frame.h"

#define LEASE 0xc0a84002u
#define GATEWAY 0xc0a84001u
#define PROBE 0x01020304u /* an address the seeds name for allowed.test */

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
	bool named_probe = false;
	char err[200];

	if (!cfg.policy.rules) {
		cfg = (struct config){.vm = {.mtu = 1500},
				      .net4 = {.gateway = inet_from_v4(GATEWAY),
					       .subnet = {inet_from_v4(0xc0a84000), 24},
					       .mask = 0xffffff00,
					       .range_end = inet_from_v4(0xc0a840fe)},
				      .policy = {.rules = rule_store, .check_names = CHECK_NAMES_OFF}};
		memcpy(cfg.vm.mac, vm_mac, 6);
		for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
			promise(policy_rule_parse(rules[i] + 1, rules[i][0] == '+', &rule_store[i], err,
						  sizeof(err)));
		cfg.policy.count = sizeof(rules) / sizeof(rules[0]);
		promise(guard_init(&g, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL) == 0);
		guard_set_vm_address(&g, &lease);
	}
	/* later than every name and flow of the inputs before could last */
	g.now_ms += (uint64_t)(LEARNED_TTL_CAP_S + FLOW_TCP_ESTABLISHED_S) * 1000 + 1000;
	/* nothing is open before the answer */
	promise(!syn_passes(&g, PROBE, sport++));
	guard_learn_answer(&g, data, size);
	promise(learned_count(g.learned) <= LEARNED_MAX);
	/* every address the message holds: never one of the ranges no name opens */
	if (dns_reader_init(&r, data, size))
		for (unsigned i = 0; i < 256 && dns_next_rr(&r, &rr); i++) {
			uint32_t a;

			if (rr.type != DNS_TYPE_A || rr.rdlen != 4)
				continue;
			a = be32(rr.rdata);
			named_probe |= a == PROBE;
			if (never_by_name(a) && a != GATEWAY)
				promise(!syn_passes(&g, a, sport++));
		}
	/* an address the answer does not name is not opened by it */
	promise(named_probe || !syn_passes(&g, PROBE, sport++));
	return 0;
}
