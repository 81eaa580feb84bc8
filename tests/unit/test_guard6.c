// SPDX-License-Identifier: MIT
/* test_guard6.c — unit tests of src/guard/guard6.c and claims.c: IPv6 sources, ND, RA guard, names */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard/guard.h"
#include "proto/byteorder.h"
#include "proto/ip_frame.h"
#include "proto/ndp_msg.h"
#include "proto/offload.h"
#include "proto/tcp_segment.h"
#include "test_config.h"

#define T0 1000000u

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0xa8, 0x40, 0x01};
static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0x66, 0x66, 0x66};

static struct config cfg;
static struct policy_rule rule_store[8];
static struct guard guard;
static struct name_counters names;

static struct inet_addr A(const char *text)
{
	struct inet_addr a;

	if (!inet_parse(text, &a))
		fail_msg("bad address in test: %s", text);
	return a;
}

#define PREFIX "fd12:3456:789a:1::"
#define VM_GUA "fd12:3456:789a:1::10"
#define VM_LL "fe80::5054:ff:fe12:3456" /* from vm_mac */
#define OTHER_VM "fd12:3456:789a:1::99"
#define GW "fd12:3456:789a:1::1"
#define GW_LL "fe80::1"
#define WAN "2606:4700::1111"

static void setup6(const char *const *rules, bool ipv6)
{
	char err[200];
	struct inet_addr gua = A(VM_GUA), evicted;

	guard_fini(&guard);
	test_config(&cfg, vm_mac);
	cfg.net6 = (struct net6_config){.enabled = ipv6, .prefix = {A(PREFIX), 64},
					.gateway = A(GW), .gateway_ll = A(GW_LL)};
	cfg.policy.rules = rule_store;
	for (int i = 0; rules && rules[i]; i++) {
		if (!policy_rule_parse(rules[i] + 1, rules[i][0] == '+', &rule_store[i], err,
				       sizeof(err)))
			fail_msg("%s: %s", rules[i], err);
		cfg.policy.count = (size_t)i + 1;
	}
	memset(&names, 0, sizeof(names));
	assert_int_equal(guard_init(&guard, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, &names),
			 0);
	guard_set_now(&guard, T0);
	assert_false(guard_claim(&guard, &gua, &evicted));
}

static int teardown(void **state)
{
	(void)state;
	guard_fini(&guard);
	return 0;
}

/* ---- frames ------------------------------------------------------------------------------ */

static uint8_t frame[2048];
static size_t frame_len;
static struct frame_view view;

static void parsed(void)
{
	assert_int_equal(frame_parse(&view, frame, frame_len), DROP_NONE);
}

static struct ip_ends ends(const char *src, const char *dst, bool from_vm)
{
	struct ip_ends e = {.src_mac = from_vm ? vm_mac : gw_mac, .dst_mac = from_vm ? gw_mac : vm_mac,
			    .src = A(src), .dst = A(dst), .src_port = 40000, .dst_port = 80};

	if (inet6_is_multicast(&e.dst))
		e.dst_mac = NULL;
	return e;
}

/* Ethernet destination: a group's MAC for a group, else as given. */
static void fix_dst_mac(const struct ip_ends *e)
{
	if (inet6_is_multicast(&e->dst))
		ipv6_multicast_mac(&e->dst, frame);
}

static const struct frame_view *udp6(const char *src, const char *dst, uint16_t sport,
				     uint16_t dport, bool from_vm)
{
	struct ip_ends e = ends(src, dst, from_vm);
	uint8_t mac[6];

	e.src_port = sport;
	e.dst_port = dport;
	if (!e.dst_mac) {
		ipv6_multicast_mac(&e.dst, mac);
		e.dst_mac = mac;
	}
	memcpy(frame + ip_udp_payload_offset(&e), "hi", 2);
	frame_len = ip_udp_frame(frame, 2, &e);
	parsed();
	return &view;
}

static const struct frame_view *tcp6(const char *src, const char *dst, uint16_t dport,
				     uint8_t flags, const void *data, size_t len, bool from_vm)
{
	struct ip_ends e = ends(src, dst, from_vm);
	struct tcp_fields f = {.seq = 100, .ack = 1, .flags = flags, .window = 65535};

	e.dst_port = dport;
	if (!from_vm) {
		e.src_port = dport;
		e.dst_port = 40000;
	}
	memcpy(frame + ip_tcp_payload_offset(&e), data, len);
	frame_len = ip_tcp_frame(frame, len, &e, &f);
	parsed();
	return &view;
}

/* An ICMPv6 message: @body after type, code and checksum, from @src to @dst. */
static const struct frame_view *icmp6(const char *src, const char *dst, uint8_t type,
				      const void *body, size_t len, uint8_t hop_limit,
				      bool from_vm)
{
	struct ip_ends e = ends(src, dst, from_vm);
	uint8_t mac[6];

	if (!e.dst_mac) {
		ipv6_multicast_mac(&e.dst, mac);
		e.dst_mac = mac;
	}
	memcpy(frame + IPV6_ICMP_BODY_OFFSET, body, len);
	frame_len = ipv6_icmp_frame(frame, len, &e, type, 0, hop_limit);
	fix_dst_mac(&e);
	parsed();
	return &view;
}

/* An NS or NA about @target with a link-layer option (@lladdr; NULL: none) */
static const struct frame_view *nd(uint8_t type, const char *src, const char *dst,
				   const char *target, uint8_t flags, const uint8_t *lladdr,
				   bool from_vm)
{
	uint8_t body[28] = {flags};
	struct inet_addr t = A(target);

	memcpy(body + 4, t.b, 16);
	if (lladdr) {
		body[20] = type == ICMPV6_ND_NS ? ND_OPT_SLLAO : ND_OPT_TLLAO;
		body[21] = 1;
		memcpy(body + 22, lladdr, 6);
	}
	return icmp6(src, dst, type, body, lladdr ? 28 : 20, ND_HOP_LIMIT, from_vm);
}

/* Put @len bytes of extension header (type @nh) in front of the upper layer of the frame. */
static void insert_header(uint8_t nh, const uint8_t *h, size_t len)
{
	uint8_t *ip6 = frame + ETH_HDR_LEN;

	memmove(ip6 + IPV6_HDR_LEN + len, ip6 + IPV6_HDR_LEN, frame_len - ETH_HDR_LEN - IPV6_HDR_LEN);
	memcpy(ip6 + IPV6_HDR_LEN, h, len);
	ip6[IPV6_HDR_LEN] = ip6[6]; /* its Next Header: what the IPv6 header named */
	ip6[6] = nh;
	put_be16(ip6 + 4, (uint16_t)(be16(ip6 + 4) + len));
	frame_len += len;
	parsed();
}

/* ---- verdicts ---------------------------------------------------------------------------- */

static enum guard_action vm_verdict(enum drop_reason *why, enum local_service *service)
{
	*why = DROP_NONE;
	guard_batch_start(&guard);
	return guard_vm_frame(&guard, &view, why, service);
}

#define vm_passes() expect_vm(GUARD_PASS, DROP_NONE, __LINE__)
#define vm_drops(reason) expect_vm(GUARD_DROP, reason, __LINE__)
#define vm_local(service) expect_local(service, __LINE__)
#define host_passes() expect_host(GUARD_PASS, DROP_NONE, __LINE__)
#define host_drops(reason) expect_host(GUARD_DROP, reason, __LINE__)

static void expect_vm(enum guard_action want, enum drop_reason reason, int line)
{
	enum local_service service;
	enum drop_reason why;
	enum guard_action a = vm_verdict(&why, &service);

	if (a != want || why != reason)
		fail_msg("line %d: action %d %s, want %d %s", line, a, drop_reason_name(why), want,
			 drop_reason_name(reason));
}

static void expect_local(enum local_service want, int line)
{
	enum local_service service = LOCAL__COUNT;
	enum drop_reason why;
	enum guard_action a = vm_verdict(&why, &service);

	if (a != GUARD_LOCAL || service != want)
		fail_msg("line %d: action %d %s service %d, want local %d", line, a,
			 drop_reason_name(why), service, want);
}

static void expect_host(enum guard_action want, enum drop_reason reason, int line)
{
	enum drop_reason why = DROP_NONE;
	enum guard_action a = guard_host_frame(&guard, &view, &why);

	if (a != want || why != reason)
		fail_msg("line %d: action %d %s, want %d %s", line, a, drop_reason_name(why), want,
			 drop_reason_name(reason));
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void off_means_every_ipv6_frame_is_dropped(void **state)
{
	(void)state;
	setup6(NULL, false);
	udp6(VM_LL, WAN, 40000, 53, true);
	vm_drops(DROP_IPV6);
	udp6(WAN, VM_LL, 53, 40000, false);
	host_drops(DROP_IPV6);
}

static void sources_are_the_vms_own(void **state)
{
	(void)state;
	setup6(NULL, true);
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	vm_passes();
	tcp6(VM_LL, WAN, 443, TCP_SYN, "", 0, true); /* policy-wise: a global destination */
	vm_passes();
	tcp6(OTHER_VM, WAN, 443, TCP_SYN, "", 0, true);
	vm_drops(DROP_IP6_SRC);
	tcp6("fe80::1:2", WAN, 443, TCP_SYN, "", 0, true);
	vm_drops(DROP_IP6_SRC);
	tcp6(GW, WAN, 443, TCP_SYN, "", 0, true);
	vm_drops(DROP_IP6_SRC);
	udp6("::", WAN, 1, 2, true);
	vm_drops(DROP_IP6_SRC);
	/* the other direction: unicast to the VM's own addresses only */
	tcp6(WAN, VM_GUA, 443, TCP_SYN | TCP_ACK, "", 0, false);
	host_passes();
	tcp6(WAN, OTHER_VM, 443, TCP_SYN | TCP_ACK, "", 0, false);
	host_drops(DROP_NOT_FOR_VM);
}

static void destinations_by_the_policy(void **state)
{
	static const char *const rules[] = {"+2001:db8:100::/64", NULL};

	(void)state;
	setup6(rules, true);
	udp6(VM_GUA, GW, 40000, 53, true);
	vm_local(LOCAL_DNS);
	udp6(VM_LL, GW_LL, 40000, 53, true);
	vm_local(LOCAL_DNS);
	tcp6(VM_GUA, GW, 8080, TCP_SYN, "", 0, true); /* @host: closed by default */
	vm_drops(DROP_POLICY_BLOCK);
	tcp6(VM_GUA, "2001:db8:100::2", 80, TCP_SYN, "", 0, true);
	vm_passes();
	tcp6(VM_GUA, "2001:db8:200::2", 80, TCP_SYN, "", 0, true);
	vm_drops(DROP_POLICY_BLOCK);
	tcp6(VM_GUA, OTHER_VM, 80, TCP_SYN, "", 0, true);
	vm_drops(DROP_POLICY_BLOCK);
	udp6(VM_LL, "ff02::fb", 5353, 5353, true);
	vm_drops(DROP_MULTICAST);
	udp6(VM_LL, "ff02::1:2", 546, 547, true); /* DHCPv6: no server here */
	vm_drops(DROP_MULTICAST);
	udp6(VM_GUA, WAN, 547, 546, true);
	vm_drops(DROP_ROGUE_DHCP);
	udp6(WAN, VM_GUA, 547, 546, false);
	host_drops(DROP_HOST_DHCP);
	udp6(WAN, "ff02::fb", 5353, 5353, false);
	host_drops(DROP_MULTICAST);
}

/*
 * The host closed by default, IPv6 alike: the gateway's addresses answer DNS (locally) and
 * ping6 (the host's kernel), nothing else; a rule of the command line decides instead.
 */
static void the_host_closed_but_for_dns_and_ping(void **state)
{
	static const char *const open_rules[] = {"+tcp:@host:8080", NULL};
	static const char *const closed_rules[] = {"-@host", NULL};
	static const uint8_t echo[8] = {0x53, 0x56, 0, 1, 's', 'v', 'm', '!'};

	(void)state;
	setup6(NULL, true);
	icmp6(VM_GUA, GW, ICMPV6_ECHO_REQUEST, echo, sizeof(echo), 64, true);
	vm_passes();
	icmp6(VM_LL, GW_LL, ICMPV6_ECHO_REQUEST, echo, sizeof(echo), 64, true);
	vm_passes();
	udp6(VM_GUA, GW, 40000, 9, true); /* another port of the host's */
	vm_drops(DROP_POLICY_BLOCK);
	setup6(open_rules, true);
	tcp6(VM_GUA, GW, 8080, TCP_SYN, "", 0, true);
	vm_passes();
	tcp6(VM_GUA, GW, 8081, TCP_SYN, "", 0, true);
	vm_drops(DROP_POLICY_BLOCK);
	setup6(closed_rules, true);
	icmp6(VM_GUA, GW, ICMPV6_ECHO_REQUEST, echo, sizeof(echo), 64, true);
	vm_drops(DROP_POLICY_BLOCK);
	udp6(VM_GUA, GW, 40000, 53, true);
	vm_drops(DROP_POLICY_BLOCK);
}

static void extension_headers_that_route_or_opt(void **state)
{
	static const uint8_t routing[8] = {0, 0, 0, 1}; /* type 0, one segment left */
	static const uint8_t routing_done[8] = {0, 0, 4, 0};
	static const uint8_t dst_opts[8] = {0, 0, 0xc9, 2, 0, 0, 1, 0}; /* home address-ish */
	static const uint8_t hbh_pad[8] = {0, 0, 1, 4, 0, 0, 0, 0};

	(void)state;
	setup6(NULL, true);
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	insert_header(IPPROTO_ROUTING_, routing, 8);
	vm_drops(DROP_IP_SOURCE_ROUTE);
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	insert_header(IPPROTO_ROUTING_, routing_done, 8);
	vm_passes();
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	insert_header(IPPROTO_DSTOPTS_, dst_opts, 8);
	vm_drops(DROP_IP_OPTIONS);
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	insert_header(IPPROTO_HOPOPTS_, hbh_pad, 8);
	vm_passes();
}

static void router_advertisements_never_leave_the_vm(void **state)
{
	static const uint8_t ra[12] = {64, 0, 0x07, 0x08};
	static const uint8_t hbh_pad[8] = {0, 0, 1, 4, 0, 0, 0, 0};
	static const uint8_t first_frag[8] = {0, 0, 0, 1, 0, 0, 0, 7};
	static const uint8_t later_frag[8] = {0, 0, 0, 0x11, 0, 0, 0, 7}; /* offset 2 */

	(void)state;
	setup6(NULL, true);
	icmp6(VM_LL, "ff02::1", ICMPV6_ND_RA, ra, sizeof(ra), ND_HOP_LIMIT, true);
	vm_drops(DROP_ROGUE_RA);
	/* RFC 7113: behind a Hop-by-Hop header, or in a fragment */
	icmp6(VM_LL, "ff02::1", ICMPV6_ND_RA, ra, sizeof(ra), ND_HOP_LIMIT, true);
	insert_header(IPPROTO_HOPOPTS_, hbh_pad, 8);
	vm_drops(DROP_ROGUE_RA);
	icmp6(VM_LL, "ff02::1", ICMPV6_ND_RA, ra, sizeof(ra), ND_HOP_LIMIT, true);
	insert_header(IPPROTO_FRAGMENT_, first_frag, 8);
	vm_drops(DROP_FRAGMENT);
	icmp6(VM_LL, "ff02::1", ICMPV6_ND_RA, ra, sizeof(ra), ND_HOP_LIMIT, true);
	insert_header(IPPROTO_FRAGMENT_, later_frag, 8);
	vm_drops(DROP_FRAGMENT);
	/* a malformed RA is still an RA; from a spoofed source too */
	icmp6(VM_GUA, "ff02::1", ICMPV6_ND_RA, ra, 4, 64, true);
	vm_drops(DROP_ROGUE_RA);
	/* and from the host side only sock-vmnet's own (which never cross the guard) */
	icmp6("fe80::99", "ff02::1", ICMPV6_ND_RA, ra, sizeof(ra), ND_HOP_LIMIT, false);
	host_drops(DROP_ROGUE_RA);
	icmp6("fe80::99", VM_LL, ICMPV6_ND_REDIRECT, ra, sizeof(ra), ND_HOP_LIMIT, false);
	host_drops(DROP_ICMP_REDIRECT);
	icmp6(VM_LL, GW_LL, ICMPV6_ND_REDIRECT, ra, sizeof(ra), ND_HOP_LIMIT, true);
	vm_drops(DROP_ICMP_REDIRECT);
}

static void neighbor_discovery_from_the_vm(void **state)
{
	(void)state;
	setup6(NULL, true);
	/* RS: to sock-vmnet's responder */
	icmp6(VM_LL, "ff02::2", ICMPV6_ND_RS, "\0\0\0\0", 4, ND_HOP_LIMIT, true);
	vm_local(LOCAL_NDP);
	icmp6("::", "ff02::2", ICMPV6_ND_RS, "\0\0\0\0", 4, ND_HOP_LIMIT, true);
	vm_local(LOCAL_NDP);
	icmp6(VM_LL, "ff02::2", ICMPV6_ND_RS, "\0\0\0\0", 4, 64, true);
	vm_drops(DROP_NDP_MALFORMED);
	/* NS: DAD and the gateway to the responder, neighbours as the policy says */
	nd(ICMPV6_ND_NS, "::", "ff02::1:ff00:77", PREFIX "77", 0, NULL, true);
	vm_local(LOCAL_NDP);
	nd(ICMPV6_ND_NS, "::", "ff02::1:ff00:77", "2001:db8::77", 0, NULL, true);
	vm_drops(DROP_NDP_SPOOF);
	nd(ICMPV6_ND_NS, VM_GUA, "ff02::1:ff00:1", GW, 0, vm_mac, true);
	vm_local(LOCAL_NDP);
	nd(ICMPV6_ND_NS, VM_LL, "ff02::1:ff00:1", GW_LL, 0, vm_mac, true);
	vm_local(LOCAL_NDP);
	nd(ICMPV6_ND_NS, VM_GUA, "ff02::1:ff00:99", OTHER_VM, 0, vm_mac, true);
	vm_drops(DROP_NDP_TARGET);
	nd(ICMPV6_ND_NS, VM_GUA, "ff02::1:ff00:1", GW, 0, other_mac, true);
	vm_drops(DROP_NDP_SPOOF);
	nd(ICMPV6_ND_NS, OTHER_VM, "ff02::1:ff00:1", GW, 0, NULL, true);
	vm_drops(DROP_IP6_SRC);
	/* to the target's solicited-node group or the target itself (RFC 4861 7.2.2), no other */
	nd(ICMPV6_ND_NS, VM_GUA, GW, GW, 0, vm_mac, true);
	vm_local(LOCAL_NDP);
	nd(ICMPV6_ND_NS, VM_GUA, "2001:db8:100::2", GW, 0, vm_mac, true);
	vm_drops(DROP_NDP_TARGET);
	nd(ICMPV6_ND_NS, VM_GUA, "ff02::1", GW, 0, vm_mac, true);
	vm_drops(DROP_NDP_TARGET);
	/* NA: about its own address, with its MAC, never as a router */
	nd(ICMPV6_ND_NA, VM_GUA, GW, VM_GUA, ND_NA_SOLICITED | ND_NA_OVERRIDE, vm_mac, true);
	vm_passes();
	nd(ICMPV6_ND_NA, VM_LL, "ff02::1", VM_LL, ND_NA_OVERRIDE, vm_mac, true);
	vm_passes();
	nd(ICMPV6_ND_NA, VM_GUA, "ff02::1", GW, ND_NA_OVERRIDE, vm_mac, true);
	vm_drops(DROP_NDP_SPOOF);
	nd(ICMPV6_ND_NA, VM_GUA, "ff02::1", OTHER_VM, ND_NA_OVERRIDE, vm_mac, true);
	vm_drops(DROP_NDP_SPOOF);
	nd(ICMPV6_ND_NA, VM_GUA, "ff02::1", VM_GUA, ND_NA_ROUTER | ND_NA_OVERRIDE, vm_mac, true);
	vm_drops(DROP_NDP_SPOOF);
	nd(ICMPV6_ND_NA, VM_GUA, "ff02::1", VM_GUA, ND_NA_OVERRIDE, other_mac, true);
	vm_drops(DROP_NDP_SPOOF);
	nd(ICMPV6_ND_NA, OTHER_VM, "ff02::1", OTHER_VM, ND_NA_OVERRIDE, vm_mac, true);
	vm_drops(DROP_IP6_SRC);
}

static void mld_reports_yes_queries_no(void **state)
{
	static const uint8_t report[24] = {0, 0, 0, 1, 4, 0, 0, 0, 0xff, 2, [19] = 0xfb};
	static const uint8_t query[24] = {0};

	(void)state;
	setup6(NULL, true);
	icmp6(VM_LL, "ff02::16", ICMPV6_MLD2_REPORT, report, sizeof(report), 1, true);
	vm_passes();
	icmp6("::", "ff02::16", ICMPV6_MLD2_REPORT, report, sizeof(report), 1, true);
	vm_passes();
	icmp6(VM_GUA, "ff02::16", ICMPV6_MLD2_REPORT, report, sizeof(report), 1, true);
	vm_drops(DROP_IP6_SRC); /* MLD comes from the link-local address */
	icmp6(VM_LL, "ff02::1", ICMPV6_MLD_QUERY, query, sizeof(query), 1, true);
	vm_drops(DROP_ROGUE_MLD);
	icmp6("fe80::99", "ff02::1", ICMPV6_MLD_QUERY, query, sizeof(query), 1, false);
	host_passes();
	icmp6("fe80::99", "ff02::16", ICMPV6_MLD2_REPORT, report, sizeof(report), 1, false);
	host_drops(DROP_HOST_NDP);
}

static void neighbor_discovery_from_the_host(void **state)
{
	(void)state;
	setup6(NULL, true);
	nd(ICMPV6_ND_NS, GW, "ff02::1:ff00:10", VM_GUA, 0, gw_mac, false);
	host_passes();
	nd(ICMPV6_ND_NS, GW, "ff02::1:ff00:99", OTHER_VM, 0, gw_mac, false);
	host_drops(DROP_HOST_NDP);
	nd(ICMPV6_ND_NS, GW, VM_GUA, VM_GUA, 0, gw_mac, false); /* unreachability detection */
	host_passes();
	nd(ICMPV6_ND_NS, GW, "ff02::1", VM_GUA, 0, gw_mac, false);
	host_drops(DROP_HOST_NDP);
	nd(ICMPV6_ND_NS, GW, "2001:db8::5", VM_GUA, 0, gw_mac, false);
	host_drops(DROP_HOST_NDP);
	/* an answer to the VM's question, about a neighbour */
	nd(ICMPV6_ND_NA, "2001:db8:100::2", VM_GUA, "2001:db8:100::2", ND_NA_SOLICITED, gw_mac,
	   false);
	host_passes();
	/* nobody but sock-vmnet speaks for the gateway */
	nd(ICMPV6_ND_NA, GW, VM_GUA, GW, ND_NA_SOLICITED | ND_NA_ROUTER, other_mac, false);
	host_drops(DROP_HOST_NDP);
	nd(ICMPV6_ND_NA, "fe80::99", "ff02::1", "fe80::99", ND_NA_OVERRIDE, other_mac, false);
	host_drops(DROP_HOST_NDP);
	icmp6("fe80::99", "ff02::2", ICMPV6_ND_RS, "\0\0\0\0", 4, ND_HOP_LIMIT, false);
	host_drops(DROP_HOST_NDP);
}

static void claims_hold_at_most_their_number(void **state)
{
	struct inet_addr a = A(PREFIX "1000"), a2, evicted;

	(void)state;
	setup6(NULL, true);
	/* VM_GUA is one; fill the rest */
	for (unsigned i = 1; i < CLAIMS_MAX; i++) {
		a.b[15] = (uint8_t)i;
		guard_set_now(&guard, T0 + i);
		assert_false(guard_claim(&guard, &a, &evicted));
	}
	/* VM_GUA carries a frame now: the least recently used is PREFIX::1001 */
	guard_set_now(&guard, T0 + 100);
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	vm_passes();
	a.b[15] = 0xee;
	assert_true(guard_claim(&guard, &a, &evicted));
	a2 = A(PREFIX "1001");
	assert_true(inet_equal(&evicted, &a2));
	assert_true(guard_owns6(&guard, &a));
	tcp6(PREFIX "1001", WAN, 443, TCP_SYN, "", 0, true);
	vm_drops(DROP_IP6_SRC);
	tcp6(VM_GUA, WAN, 443, TCP_SYN, "", 0, true);
	vm_passes();
	guard_unclaim(&guard, &a);
	assert_false(guard_owns6(&guard, &a));
}

/* ---- names ------------------------------------------------------------------------------- */

static size_t put_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)len;
		memcpy(p + n, name, len);
		n += len;
		name += len + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* An answer for @name (AAAA) with one AAAA record @a. */
static void learn6_addr(const char *name, struct inet_addr a)
{
	uint8_t m[512] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1};
	size_t n = 12;

	n += put_name(m + n, name);
	put_be16(m + n, 28), put_be16(m + n + 2, 1), n += 4;
	n += put_name(m + n, name);
	put_be16(m + n, 28), put_be16(m + n + 2, 1), put_be32(m + n + 4, 300);
	put_be16(m + n + 8, 16);
	memcpy(m + n + 10, a.b, 16);
	n += 26;
	guard_learn_answer(&guard, m, n);
}

static void learn6(const char *name, const char *addr)
{
	learn6_addr(name, A(addr));
}

static void aaaa_answers_open_names(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+tcp:api.allowed.test:443", NULL};
	static const char *const rebinding[] = {"::1", "fe80::1", PREFIX "5", "fec0::1",
						"ff05::1", "::a00:1", "64:ff9b::7f00:1",
						"2002:a9fe:a9fe::1"};

	(void)state;
	setup6(rules, true);
	tcp6(VM_GUA, "2001:db8:5::1", 443, TCP_SYN, "", 0, true);
	vm_drops(DROP_POLICY_BLOCK);
	learn6("api.allowed.test", "2001:db8:5::1");
	assert_int_equal(names.learned, 1);
	tcp6(VM_GUA, "2001:db8:5::1", 443, TCP_SYN, "", 0, true);
	vm_passes();
	tcp6(VM_GUA, "2001:db8:5::1", 80, TCP_SYN, "", 0, true);
	vm_drops(DROP_POLICY_BLOCK);
	for (size_t i = 0; i < sizeof(rebinding) / sizeof(rebinding[0]); i++)
		learn6("api.allowed.test", rebinding[i]);
	assert_int_equal(names.learned, 1);
	assert_int_equal(names.rebinding, sizeof(rebinding) / sizeof(rebinding[0]));
	/* an IPv4-mapped answer is the IPv4 address (a dual-stack socket sends IPv4) */
	learn6_addr("api.allowed.test", inet_from_v4(0x7f000001));
	assert_int_equal(names.rebinding, sizeof(rebinding) / sizeof(rebinding[0]) + 1);
	learn6_addr("api.allowed.test", inet_from_v4(0xcb007105));
	assert_int_equal(names.learned, 2);
}

static void name_check_holds_for_ipv6_flows(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+tcp:api.allowed.test:80", NULL};
	static const char good[] = "GET / HTTP/1.1\r\nHost: api.allowed.test\r\n\r\n";
	static const char bad[] = "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	enum drop_reason why;
	enum local_service service;

	(void)state;
	setup6(rules, true);
	assert_true(guard.check_names);
	learn6("api.allowed.test", "2001:db8:5::1");
	tcp6(VM_GUA, "2001:db8:5::1", 80, TCP_SYN, "", 0, true);
	vm_passes();
	tcp6(VM_GUA, "2001:db8:5::1", 80, TCP_ACK | TCP_PSH, good, strlen(good), true);
	/* one whole request in one segment: judged and passed as it is */
	assert_int_equal(vm_verdict(&why, &service), GUARD_PASS);
	/* the bad name on another connection: reset */
	tcp6(VM_GUA, "2001:db8:5::1", 80, TCP_SYN, "", 0, true);
	((uint8_t *)view.l4)[1] ^= 1; /* another source port */
	put_be16((uint8_t *)view.l4 + 16, 0);
	put_be16((uint8_t *)view.l4 + 16,
		 checksum_final(checksum_add(checksum_pseudo_ipv6(view.ip6, IPPROTO_TCP_, 20),
					     view.l4, 20)));
	assert_int_equal(frame_parse(&view, frame, frame_len), DROP_NONE);
	vm_passes();
	tcp6(VM_GUA, "2001:db8:5::1", 80, TCP_ACK | TCP_PSH, bad, strlen(bad), true);
	((uint8_t *)view.l4)[1] ^= 1;
	put_be16((uint8_t *)view.l4 + 16, 0);
	put_be16((uint8_t *)view.l4 + 16,
		 checksum_final(checksum_add(checksum_pseudo_ipv6(view.ip6, IPPROTO_TCP_,
								  (uint32_t)view.l4_len),
					     view.l4, view.l4_len)));
	assert_int_equal(frame_parse(&view, frame, frame_len), DROP_NONE);
	assert_true(tcp_segment_checksums_ok(&view));
	assert_int_equal(vm_verdict(&why, &service), GUARD_RESET);
	assert_int_equal(why, DROP_NAME_MISMATCH);
}

/* ---- a large packet from a VM that offloads (--vm-offload), IPv6 -------------------------- */

#define API "2001:db8:5::1"
#define START6 (ETH_HDR_LEN + IPV6_HDR_LEN)
#define MSS6 (1500 - IPV6_HDR_LEN - TCP_MIN_HDR_LEN)

static uint8_t big[OFFLOAD_FRAME_MAX];
static struct offload_info big_info;

/* @v's source port set to @sport, its TCP checksum made right again, parsed anew. */
static void set_sport(struct frame_view *v, uint8_t *f, size_t len, uint16_t sport)
{
	uint8_t *tcp = f + START6;
	uint32_t l4 = (uint32_t)(len - START6);

	put_be16(tcp, sport);
	put_be16(tcp + 16, 0);
	put_be16(tcp + 16, checksum_final(checksum_add(checksum_pseudo_ipv6(f + ETH_HDR_LEN,
									    IPPROTO_TCP_, l4),
							tcp, l4)));
	assert_int_equal(frame_parse(v, f, len), DROP_NONE);
}

/*
 * A GSO_TCP6 packet of @len data bytes from @src:@sport to API:80, @head first and 'b's
 * after, its checksum left partial (the IPv6 pseudo-header sum), as a guest with TSO6 sends.
 */
static const struct frame_view *gso6(const char *src, uint16_t sport, uint32_t seq,
				     const char *head, size_t len)
{
	struct ip_ends e = ends(src, API, true);
	struct tcp_fields f = {.seq = seq, .ack = 1, .flags = TCP_ACK | TCP_PSH, .window = 65535};
	size_t off = ip_tcp_payload_offset(&e), n;

	e.src_port = sport;
	memset(big + off, 'b', len);
	memcpy(big + off, head, strlen(head));
	n = ip_tcp_frame(big, len, &e, &f);
	put_be16(big + START6 + 16,
		 checksum_fold(checksum_pseudo_ipv6(big + ETH_HDR_LEN, IPPROTO_TCP_,
						    (uint32_t)(n - START6))));
	assert_int_equal(frame_parse(&view, big, n), DROP_NONE);
	big_info = (struct offload_info){.gso = GSO_TCP6, .needs_csum = true, .gso_size = MSS6,
					 .hdr_len = (uint16_t)off, .csum_start = START6,
					 .csum_offset = 16};
	view.offload = &big_info;
	return &view;
}

/* A SYN from VM_GUA:@sport to API:80. */
static void syn6(uint16_t sport)
{
	tcp6(VM_GUA, API, 80, TCP_SYN, "", 0, true);
	set_sport(&view, frame, frame_len, sport);
	vm_passes();
}

/*
 * An IPv6 64 KiB packet is judged once, whole, as an IPv4 one is: source, policy, names; a
 * partial checksum right only as the IPv6 pseudo-header sum; what the name check releases
 * of it goes on as IPv6 segments of its MSS with whole checksums.
 */
static void a_large_ipv6_segment_is_judged_whole(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "-::/0", "+tcp:api.allowed.test:80",
					    NULL};
	static const char ok_post[] = "POST /up HTTP/1.1\r\nHost: api.allowed.test\r\n"
				      "Content-Length: 40000\r\n\r\n";
	static const char evil_post[] = "POST /up HTTP/1.1\r\nHost: evil.test\r\n"
					"Content-Length: 40000\r\n\r\n";
	size_t len = sizeof(ok_post) - 1 + 40000, n, off = 0;
	static char want[sizeof(ok_post) + 40000];
	const struct frame_ref *fr;
	enum local_service service;
	enum drop_reason why;

	(void)state;
	setup6(rules, true);
	learn6("api.allowed.test", API);
	syn6(5601);
	gso6(VM_GUA, 5601, 101, ok_post, len);
	vm_passes();
	syn6(5602);
	gso6(VM_GUA, 5602, 101, evil_post, len);
	assert_int_equal(vm_verdict(&why, &service), GUARD_RESET);
	assert_int_equal(why, DROP_NAME_MISMATCH);
	/* a partial checksum that is not the pseudo-header sum (IPv4's, say) */
	syn6(5603);
	gso6(VM_GUA, 5603, 101, ok_post, len);
	big[START6 + 16] ^= 0x40;
	vm_drops(DROP_CHECKED_CHECKSUM);
	/* as a frame it is longer than the MTU; from an address not claimed it is spoofed */
	gso6(VM_GUA, 5604, 101, ok_post, len);
	view.offload = NULL;
	vm_drops(DROP_OVERSIZE);
	gso6(OTHER_VM, 5604, 101, ok_post, len);
	vm_drops(DROP_IP6_SRC);
	/* a head held, its end in a large packet: released as IPv6 segments of its MSS */
	syn6(5605);
	tcp6(VM_GUA, API, 80, TCP_ACK, ok_post, 10, true);
	put_be32((uint8_t *)view.l4 + 4, 101);
	set_sport(&view, frame, frame_len, 5605);
	assert_int_equal(vm_verdict(&why, &service), GUARD_HOLD);
	gso6(VM_GUA, 5605, 111, ok_post + 10, len - 10);
	assert_int_equal(vm_verdict(&why, &service), GUARD_EMIT);
	n = guard_emitted(&guard, &fr);
	assert_int_equal(n, (len + MSS6 - 1) / MSS6);
	memset(want, 'b', len);
	memcpy(want, ok_post, sizeof(ok_post) - 1);
	for (size_t i = 0; i < n; i++) {
		struct frame_view e;

		assert_int_equal(frame_parse(&e, fr[i].data, fr[i].len), DROP_NONE);
		assert_non_null(e.ip6);
		assert_null(fr[i].offload);
		assert_true(tcp_segment_checksums_ok(&e));
		assert_true(fr[i].len <= ETH_HDR_LEN + cfg.vm.mtu);
		assert_int_equal(be32(e.l4 + 4), 101 + off);
		assert_memory_equal(e.payload, want + off, e.payload_len);
		off += e.payload_len;
	}
	assert_int_equal(off, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(off_means_every_ipv6_frame_is_dropped),
		cmocka_unit_test(sources_are_the_vms_own),
		cmocka_unit_test(destinations_by_the_policy),
		cmocka_unit_test(the_host_closed_but_for_dns_and_ping),
		cmocka_unit_test(extension_headers_that_route_or_opt),
		cmocka_unit_test(router_advertisements_never_leave_the_vm),
		cmocka_unit_test(neighbor_discovery_from_the_vm),
		cmocka_unit_test(mld_reports_yes_queries_no),
		cmocka_unit_test(neighbor_discovery_from_the_host),
		cmocka_unit_test(claims_hold_at_most_their_number),
		cmocka_unit_test(aaaa_answers_open_names),
		cmocka_unit_test(name_check_holds_for_ipv6_flows),
		cmocka_unit_test(a_large_ipv6_segment_is_judged_whole),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
