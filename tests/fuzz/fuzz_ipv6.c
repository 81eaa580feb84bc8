// SPDX-License-Identifier: MIT
/* fuzz_ipv6.c — libFuzzer target: IPv6 frames read (extension headers walked) and judged, both ways */
/*
 * Input: one control byte, then an Ethernet frame.
 *   bit 0     0 = the frame comes from the VM, 1 = from the host side
 *   bit 1     the VM has claimed addresses in its prefix (else only its link-local one)
 *   bits 2-3  which of the rule sets below is in force
 * Checks, beyond "no crash, no sanitizer report":
 *  - the parser: a frame it takes has its upper layer where a plain walk of the chain
 *    (reference_walk()) finds it, inside the frame, after at most IPV6_EXT_MAX headers;
 *  - the guard's promises (see check_vm_pass(), check_host_pass()): no Router
 *    Advertisement, Redirect or MLD query reaches the other side, nor ND or MLD in pieces,
 *    nor a DHCPv6 server's message; the VM speaks only from its own addresses, advertises
 *    only those, with its own MAC; the host reaches only the VM's addresses or a group the
 *    policy allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "fuzz_promise.h"
#include "guard/guard.h"
#include "proto/addr.h"
#include "proto/ipv6_chain.h"
#include "proto/ndp_msg.h"

#define RULE_SETS 4
#define CLAIMED 3

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static const char *const rule_sets[RULE_SETS][5] = {
	{NULL},
	{"+2001:db8::/32", "+ff02::fb", NULL},
	{"-::/0", "+@host", "+udp:[ff02::1:2]:547", NULL},
	{"+tcp:[2001:db8::/32]:443", "+udp::53", "+icmpv6:", "-[2001:db8::53]", NULL},
};

/* fd00:1:2:3::/64, the gateway fd00:1:2:3::1 and fe80::1; the VM's claims in it */
static const struct inet_addr prefix = {{0xfd, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03}};
static struct inet_addr claimed[CLAIMED];
static struct config configs[RULE_SETS];
static struct policy_rule rule_stores[RULE_SETS][5];
static struct guard guards[RULE_SETS][2]; /* [set][has claims] */
static struct inet_addr vm_ll;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[200];

	(void)argc;
	(void)argv;
	inet6_link_local_of_mac(vm_mac, &vm_ll);
	for (int i = 0; i < CLAIMED; i++) {
		claimed[i] = prefix;
		claimed[i].b[15] = (uint8_t)(0x10 + i);
		claimed[i].b[8] = 0x02;
	}
	for (int s = 0; s < RULE_SETS; s++) {
		struct config *c = &configs[s];

		*c = (struct config){
			.vm = {.mtu = 1500},
			.net4 = {.gateway = inet_from_v4(0xc0a84001),
				 .subnet = {inet_from_v4(0xc0a84000), 24},
				 .mask = 0xffffff00,
				 .range_end = inet_from_v4(0xc0a840fe)},
			.net6 = {.enabled = true, .prefix = {prefix, 64}, .gateway = prefix,
				 .gateway_ll = {{0xfe, 0x80, [15] = 1}}},
		};
		c->net6.gateway.b[15] = 1;
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
		for (int with = 0; with < 2; with++) {
			struct inet_addr evicted;

			promise(guard_init(&guards[s][with], &c->vm, &c->net4, &c->net6, &c->policy,
					   NULL) == 0);
			for (int i = 0; with && i < CLAIMED; i++)
				promise(!guard_claim(&guards[s][with], &claimed[i], &evicted));
		}
	}
	return 0;
}

static bool is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135 || nh == 139 ||
	       nh == 140 || nh == 253 || nh == 254;
}

/*
 * The chain walked the plain way (RFC 8200 4; AH's length in 4-byte units, RFC 4302 2.2).
 * Return: the upper layer's offset from the IPv6 header (0: a later fragment, none), its
 * protocol in @proto; the parser must agree when it took the frame.
 */
static size_t reference_walk(const uint8_t *ip6, size_t len, uint8_t *proto, unsigned *count)
{
	size_t off = IPV6_HDR_LEN;
	uint8_t nh = ip6[6];

	*count = 0;
	while (is_ext(nh)) {
		size_t hlen;

		promise(off + 8 <= len); /* the parser took it: the header is there */
		if (nh == 44) {
			if (((ip6[off + 2] << 8 | ip6[off + 3]) & 0xfff8) != 0) {
				*proto = ip6[off];
				(*count)++;
				return 0;
			}
			hlen = 8;
		} else if (nh == 51) {
			hlen = ((size_t)ip6[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)ip6[off + 1] + 1) * 8;
		}
		nh = ip6[off];
		off += hlen;
		(*count)++;
	}
	*proto = nh;
	return off;
}

static void check_parse(const struct frame_view *v)
{
	const uint8_t *end = v->data + v->len;
	unsigned count;
	uint8_t proto;
	size_t off;

	promise(v->ip6 && !v->ip && v->l3 == v->ip6 && v->l3_len >= IPV6_HDR_LEN);
	promise(v->ip_total_len <= v->l3_len && v->ip_total_len >= IPV6_HDR_LEN);
	promise(v->ip6_ext_count <= IPV6_EXT_MAX);
	promise(!inet_is_v4(&v->ip_src) && !inet_is_v4(&v->ip_dst));
	off = reference_walk(v->ip6, v->ip_total_len, &proto, &count);
	promise(proto == v->ip_proto && count == v->ip6_ext_count);
	if (!off) {
		promise(v->ip_frag_offset != 0 && !v->l4);
		return;
	}
	promise(v->ip_frag_offset == 0);
	if (v->l4) {
		promise(v->l4 == v->ip6 + off);
		promise(v->l4 + v->l4_len <= end && v->l4_len == v->ip_total_len - off);
	}
	if (v->payload)
		promise(v->payload >= v->l4 && v->payload + v->payload_len <= v->l4 + v->l4_len);
	promise(!(v->ip_more_fragments || v->ip_frag_offset) || (v->ip6_flags & IP6_EXT_FRAGMENT));
}

static bool owned(const struct guard *g, const struct inet_addr *a)
{
	if (inet_equal(a, &vm_ll))
		return true;
	for (int i = 0; i < CLAIMED; i++)
		if (g->claims.count && inet_equal(a, &claimed[i]))
			return true;
	return false;
}

/* An NS's destination: its target's solicited-node group (ff02::1:ffXX:XXXX) or the target */
static bool addressed_to(const struct frame_view *v, const struct inet_addr *target)
{
	static const uint8_t group[13] = {0xff, 0x02, [11] = 1, [12] = 0xff};

	if (inet_equal(&v->ip_dst, target))
		return !mac_is_multicast(v->dst_mac);
	return memcmp(v->ip_dst.b, group, 13) == 0 && memcmp(v->ip_dst.b + 13, target->b + 13, 3) == 0 &&
	       mac_is_multicast(v->dst_mac);
}

static bool icmp_type_is(const struct frame_view *v, uint8_t type)
{
	return v->ip_proto == IPPROTO_ICMPV6_ && v->l4 && v->icmp_type == type;
}

/* What neither side ever gets from the other. */
static void check_never(const struct frame_view *v)
{
	promise(!icmp_type_is(v, ICMPV6_ND_RA) && !icmp_type_is(v, ICMPV6_ND_REDIRECT));
	promise(!(v->ip6_flags & IP6_EXT_FRAGMENT) || !v->l4 || v->ip_proto != IPPROTO_ICMPV6_ ||
		!(ndp_is_nd(v->icmp_type) || ndp_is_mld(v->icmp_type)));
	promise(!(v->ip_proto == IPPROTO_UDP_ && v->l4 && v->src_port == DHCPV6_SERVER_PORT));
}

static void check_vm_pass(const struct guard *g, const struct frame_view *v,
			  enum guard_action action, enum local_service service)
{
	static const struct inet_addr unspecified;
	struct ndp_msg m;

	promise(v->len <= ETH_HDR_LEN + g->vm->mtu);
	promise(mac_equal(v->src_mac, g->vm->mac));
	check_never(v);
	promise(!(v->ip6_flags & (IP6_ROUTING_ACTIVE | IP6_OPT_OTHER)));
	promise(!icmp_type_is(v, ICMPV6_MLD_QUERY));
	if (action == GUARD_LOCAL) {
		promise(service == LOCAL_NDP || service == LOCAL_DNS);
		if (service == LOCAL_NDP) {
			promise(v->ip_proto == IPPROTO_ICMPV6_ && v->l4 && v->ip_ttl == 255);
			promise(ndp_parse(v, &m) == DROP_NONE);
			promise(m.type == ICMPV6_ND_RS || m.type == ICMPV6_ND_NS);
			promise(!m.sllao || mac_equal(m.sllao, g->vm->mac));
			promise(inet_equal(&v->ip_src, &unspecified) || owned(g, &v->ip_src));
		} else {
			promise(owned(g, &v->ip_src) && v->dst_port == 53 && v->payload);
		}
		return;
	}
	if (v->l4 && v->ip_proto == IPPROTO_ICMPV6_ && ndp_is_mld(v->icmp_type)) {
		promise(inet_equal(&v->ip_src, &unspecified) || inet_equal(&v->ip_src, &vm_ll));
		promise(inet6_is_multicast(&v->ip_dst));
		return;
	}
	promise(owned(g, &v->ip_src));
	if (icmp_type_is(v, ICMPV6_ND_NA)) {
		promise(ndp_parse(v, &m) == DROP_NONE && owned(g, &m.target));
		promise(!(m.na_flags & ND_NA_ROUTER) && (!m.tllao || mac_equal(m.tllao, g->vm->mac)));
		return;
	}
	promise(!icmp_type_is(v, ICMPV6_ND_RS)); /* the responder's */
	if (icmp_type_is(v, ICMPV6_ND_NS)) { /* for a neighbour the policy lets it reach */
		promise(ndp_parse(v, &m) == DROP_NONE && addressed_to(v, &m.target));
		promise(owned(g, &m.target) ||
			policy_allows(g->policy, &m.target, 0, 0, POLICY_PORT_ANY));
		return;
	}
	/* the gateway's DNS is answered here, never passed on */
	promise(!(v->l4 && v->dst_port == 53 && !v->ip_more_fragments &&
		  (v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_) &&
		  (inet_equal(&v->ip_dst, &g->net6->gateway) ||
		   inet_equal(&v->ip_dst, &g->net6->gateway_ll))));
	/* the policy had its say; the host (closed by default) only where a rule opens it, but
	 * for a ping6 in one piece under the built-in block */
	if (policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port,
			  v->ip_frag_offset ? POLICY_PORT_EVERY : POLICY_PORT_KNOWN))
		return;
	promise(policy_is_host_default(g->policy,
				       policy_decide_any(g->policy, &v->ip_dst, v->ip_proto,
							 v->dst_port, POLICY_PORT_KNOWN).entry));
	promise(icmp_type_is(v, ICMPV6_ECHO_REQUEST) && !v->ip_more_fragments &&
		!v->ip_frag_offset);
}

static void check_host_pass(const struct guard *g, const struct frame_view *v)
{
	struct ndp_msg m;

	promise(v->len <= ETH_HDR_LEN + g->vm->mtu);
	promise(mac_is_multicast(v->dst_mac) || mac_equal(v->dst_mac, g->vm->mac));
	check_never(v);
	promise(!(v->ip_proto == IPPROTO_UDP_ && v->l4 && v->dst_port == DHCPV6_CLIENT_PORT));
	if (inet6_is_multicast(&v->ip_dst)) {
		if (!icmp_type_is(v, ICMPV6_MLD_QUERY) && !icmp_type_is(v, ICMPV6_ND_NS))
			promise(policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port,
					      v->ip_frag_offset ? POLICY_PORT_EVERY
								: POLICY_PORT_KNOWN));
	} else {
		promise(mac_equal(v->dst_mac, g->vm->mac) && owned(g, &v->ip_dst));
	}
	if (icmp_type_is(v, ICMPV6_ND_NS)) {
		promise(ndp_parse(v, &m) == DROP_NONE && owned(g, &m.target));
		promise(addressed_to(v, &m.target));
	}
	if (icmp_type_is(v, ICMPV6_ND_NA)) {
		promise(ndp_parse(v, &m) == DROP_NONE && mac_equal(v->dst_mac, g->vm->mac));
		promise(!inet_equal(&m.target, &g->net6->gateway) &&
			!inet_equal(&m.target, &g->net6->gateway_ll));
	}
	promise(!icmp_type_is(v, ICMPV6_ND_RS));
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
	if (v.ethertype != ETHERTYPE_IPV6)
		return 0;
	check_parse(&v);
	action = from_host ? guard_host_frame(g, &v, &why) : guard_vm_frame(g, &v, &why, &service);
	switch (action) {
	case GUARD_DROP:
		promise(why > DROP_NONE && why < DROP__COUNT);
		break;
	case GUARD_LOCAL:
		promise(!from_host);
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
