// SPDX-License-Identifier: MIT
/* fuzz_guard.c — libFuzzer target: frame_parse() and the guard, both ways, with invariants */
/*
 * Input: one control byte, then an Ethernet frame.
 *   bit 0     0 = the frame comes from the VM, 1 = from the host side
 *   bit 1     the VM holds its lease (192.168.64.50) or has none yet
 *   bits 2-4  which of the rule sets below is in force
 * Beyond "no crash, no sanitizer report", every verdict is checked against what the guard
 * promises (see check_vm_pass()): a frame that breaks a promise aborts the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "fuzz_promise.h"
#include "guard/guard.h"
#include "proto/addr.h"

#define GATEWAY 0xc0a84001u
#define LEASE 0xc0a84032u
#define RULE_SETS 8

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static const char *const rule_sets[RULE_SETS][6] = {
	{NULL},
	{"+203.0.113.0/24", "+tcp:@host:8080", NULL},
	{"-0.0.0.0/0", "+@host", NULL},
	{"+tcp:203.0.113.0/24:443", "+udp::53", "-udp:8.8.8.8:53", NULL},
	{"+224.0.0.0/4", "+255.255.255.255", "+192.168.64.0/24", NULL},
	{"-0.0.0.0/0", "+tcp::0-1023", "+udp:224.0.0.251:5353", "+icmp:", NULL},
	{"-@host", "+udp:@host:53", "+tcp:192.168.64.51:22", NULL},
	{"+0.0.0.0/0", "+10.0.0.0/8", "-tcp:10.1.0.0/16:25", "+47:", NULL},
};

static struct config configs[RULE_SETS];
static struct policy_rule rule_stores[RULE_SETS][6];
static struct guard guards[RULE_SETS][2]; /* [set][has lease] */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[200];

	(void)argc;
	(void)argv;
	for (int s = 0; s < RULE_SETS; s++) {
		struct config *c = &configs[s];

		*c = (struct config){
			.vm = {.mtu = 1500},
			.net4 = {.gateway = inet_from_v4(GATEWAY),
				 .subnet = {inet_from_v4(0xc0a84000), 24},
				 .mask = 0xffffff00,
				 .range_end = inet_from_v4(0xc0a840fe)},
		};
		memcpy(c->vm.mac, vm_mac, 6);
		c->policy.rules = rule_stores[s];
		for (int i = 0; rule_sets[s][i]; i++) {
			if (!policy_rule_parse(rule_sets[s][i] + 1, rule_sets[s][i][0] == '+',
					       &c->policy.rules[c->policy.count++], err,
					       sizeof(err))) {
				fprintf(stderr, "%s: %s\n", rule_sets[s][i], err);
				abort();
			}
		}
		for (int lease = 0; lease < 2; lease++) {
			struct inet_addr leased = inet_from_v4(lease ? LEASE : 0);

			guard_init(&guards[s][lease], &c->vm, &c->net4, &c->net6, &c->policy, NULL);
			guard_set_vm_address(&guards[s][lease], &leased);
		}
	}
	return 0;
}

/* What any VM frame that the guard passes (or hands to the DHCP responder) must be. */
static void check_vm_pass(const struct guard *g, const struct frame_view *v,
			  enum guard_action action, enum local_service service)
{
	promise(v->len <= ETH_HDR_LEN + g->vm->mtu);
	promise(mac_equal(v->src_mac, g->vm->mac));
	promise(v->ethertype == ETHERTYPE_IPV4 || v->ethertype == ETHERTYPE_ARP);
	if (v->ethertype == ETHERTYPE_ARP) {
		uint32_t spa = be32(v->arp_spa);

		promise(action == GUARD_PASS);
		promise(v->arp && mac_equal(v->arp_sha, g->vm->mac));
		promise(v->arp_op == ARP_OP_REQUEST || v->arp_op == ARP_OP_REPLY);
		promise(g->vm_addr && (spa == g->vm_addr || spa == 0));
		return;
	}
	promise(v->ip);
	promise(inet_is_v4(&v->ip_src) && inet_is_v4(&v->ip_dst));
	promise(!(v->ip_proto == IPPROTO_UDP_ && v->l4 && v->src_port == 67));
	if (action == GUARD_LOCAL && service == LOCAL_DHCP4) {
		uint32_t src = inet_v4(&v->ip_src);

		promise(v->ip_proto == IPPROTO_UDP_ && v->dst_port == 67 && v->src_port == 68);
		promise(src == 0 || src == g->vm_addr ||
			(!g->vm_addr && (src & g->subnet_mask) == g->subnet));
		return;
	}
	promise(g->vm_addr && inet_v4(&v->ip_src) == g->vm_addr);
	promise(!(v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->icmp_type == 5));
	/* the gateway's DNS is never the host's: it is answered on the frame path, or refused */
	promise(!(action == GUARD_PASS && v->l4 && v->dst_port == 53 &&
		  inet_v4(&v->ip_dst) == g->gateway && !v->ip_more_fragments &&
		  (v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_)));
	if (action == GUARD_LOCAL) {
		/* the DNS responder: whole UDP datagrams or TCP segments to the gateway's port 53 */
		promise(service == LOCAL_DNS);
		promise((v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_) && v->l4 &&
			v->payload && !v->ip_more_fragments && v->dst_port == 53 &&
			inet_v4(&v->ip_dst) == g->gateway);
	}
	/*
	 * the policy had its say: a non-first fragment only where every port is open; the host
	 * (closed by default) only where a rule opens it, but for a ping in one piece
	 */
	if (policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port,
			  v->ip_frag_offset ? POLICY_PORT_EVERY : POLICY_PORT_KNOWN))
		return;
	promise(inet_v4(&v->ip_dst) == g->gateway);
	promise(policy_is_host_default(g->policy,
				       policy_decide(g->policy, g->gateway, v->ip_proto, v->dst_port,
						     POLICY_PORT_KNOWN).entry));
	if (action == GUARD_LOCAL)
		return; /* the gateway's DNS, answered in-process (checked above) */
	promise(v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->icmp_type == 8 &&
		!v->ip_more_fragments && !v->ip_frag_offset);
}

static void check_host_pass(const struct guard *g, const struct frame_view *v)
{
	promise(v->len <= ETH_HDR_LEN + g->vm->mtu);
	promise(mac_is_multicast(v->dst_mac) || mac_equal(v->dst_mac, g->vm->mac));
	promise(v->ethertype == ETHERTYPE_IPV4 || v->ethertype == ETHERTYPE_ARP);
	if (v->ip) {
		promise(!(v->ip_proto == IPPROTO_UDP_ && v->l4 &&
			  (v->src_port == 67 || v->dst_port == 68)));
		uint32_t dst = inet_v4(&v->ip_dst);

		promise(dst == g->vm_addr || (dst >> 28) == 0xe || dst == 0xffffffff ||
			dst == 0xc0a840ff);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guard *g;
	struct frame_view v;
	enum drop_reason why = DROP_NONE;
	enum local_service service = LOCAL__COUNT;
	enum guard_action action;
	bool from_host;

	if (size < 1)
		return 0;
	from_host = data[0] & 1;
	g = &guards[(data[0] >> 2) % RULE_SETS][(data[0] >> 1) & 1];
	if (frame_parse(&v, data + 1, size - 1) != DROP_NONE)
		return 0;
	action = from_host ? guard_host_frame(g, &v, &why) : guard_vm_frame(g, &v, &why, &service);
	switch (action) {
	case GUARD_DROP:
		promise(why > DROP_NONE && why < DROP__COUNT);
		break;
	case GUARD_LOCAL:
		promise(!from_host && (service == LOCAL_DHCP4 || service == LOCAL_DNS));
		check_vm_pass(g, &v, action, service);
		break;
	case GUARD_PASS:
		if (from_host)
			check_host_pass(g, &v);
		else
			check_vm_pass(g, &v, action, service);
		break;
	default:
		promise(!"an action that does not exist");
	}
	return 0;
}
