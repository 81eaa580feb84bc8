// SPDX-License-Identifier: MIT
/* test_guard.c — unit tests of src/guard.c: every rule, allowed and refused, on crafted frames */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "guard/guard.h"
#include "proto/addr.h"
#include "test_config.h"

#define GATEWAY 0xc0a84001u  /* 192.168.64.1 */
#define LEASE 0xc0a84032u    /* 192.168.64.50 */
#define WAN 0xcb007102u      /* 203.0.113.2, documentation: refused by default */
#define GLOBAL 0x08080808u   /* 8.8.8.8 */
#define PRIVATE 0x0a000001u  /* 10.0.0.1 */
#define NEIGHBOUR 0xc0a84033u /* 192.168.64.51, another VM on the bridge */
#define BCAST 0xffffffffu

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t bridge_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mdns_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};

static struct config cfg;
static struct policy_rule rule_store[64];
static struct guard guard;

/* A guard for the VM 52:54:00:12:34:56 on 192.168.64.0/24 with "+RULE -RULE ..." rules. */
static void setup_guard(const char *rules, uint32_t lease)
{
	char copy[512], *save = NULL, err[200];

	struct inet_addr leased = inet_from_v4(lease);

	guard_fini(&guard);
	test_config(&cfg, vm_mac);
	cfg.policy.rules = rule_store;
	snprintf(copy, sizeof(copy), "%s", rules);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!policy_rule_parse(w + 1, w[0] == '+', &cfg.policy.rules[cfg.policy.count],
				       err, sizeof(err)))
			fail_msg("rule %s: %s", w, err);
		cfg.policy.count++;
	}
	assert_int_equal(guard_init(&guard, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL), 0);
	guard_set_vm_address(&guard, &leased);
}

static void set_lease(uint32_t lease)
{
	struct inet_addr leased = inet_from_v4(lease);

	guard_set_vm_address(&guard, &leased);
}

/* ---- frame builders ---------------------------------------------------------------------- */

struct frame {
	uint8_t data[2048];
	size_t len;
};

/**
 * struct ip_spec - an IPv4 frame to build; zero fields take the usual values
 * @dst_mac: NULL = the bridge's MAC
 * @src_mac: NULL = the VM's MAC
 * @options: IP option bytes, padded to 4 by the builder
 * @frag: flags and offset field as on the wire (0x2000 = more fragments)
 * @l4_len: bytes after the IP header (UDP/TCP header included); 0 = the minimum + 16
 */
struct ip_spec {
	const uint8_t *dst_mac, *src_mac;
	uint32_t src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t icmp_type;
	const uint8_t *options;
	size_t options_len;
	uint16_t frag;
	size_t l4_len;
};

static void build_ip(struct frame *f, const struct ip_spec *s)
{
	uint8_t *p = f->data;
	size_t opt_len = (s->options_len + 3) & ~(size_t)3;
	size_t hdr = 20 + opt_len;
	size_t l4_len = s->l4_len;
	uint8_t *l4;

	if (!l4_len)
		l4_len = (s->proto == 6 ? 20 : 8) + 16;
	memset(p, 0, sizeof(f->data));
	memcpy(p, s->dst_mac ? s->dst_mac : bridge_mac, 6);
	memcpy(p + 6, s->src_mac ? s->src_mac : vm_mac, 6);
	put_be16(p + 12, ETHERTYPE_IPV4);
	p += 14;
	p[0] = (uint8_t)(0x40 | hdr / 4);
	put_be16(p + 2, (uint16_t)(hdr + l4_len));
	put_be16(p + 6, s->frag);
	p[8] = 64;
	p[9] = s->proto;
	put_be32(p + 12, s->src);
	put_be32(p + 16, s->dst);
	if (s->options_len)
		memcpy(p + 20, s->options, s->options_len);
	l4 = p + hdr;
	if (s->proto == 17) {
		put_be16(l4, s->sport);
		put_be16(l4 + 2, s->dport);
		put_be16(l4 + 4, (uint16_t)l4_len);
	} else if (s->proto == 6) {
		put_be16(l4, s->sport);
		put_be16(l4 + 2, s->dport);
		l4[12] = 0x50;
	} else if (s->proto == 1) {
		l4[0] = s->icmp_type;
	}
	f->len = 14 + hdr + l4_len;
}

static void build_arp(struct frame *f, const uint8_t *dst_mac, uint16_t op, const uint8_t *sha,
		      uint32_t spa, uint32_t tpa)
{
	uint8_t *p = f->data;

	memset(p, 0, sizeof(f->data));
	memcpy(p, dst_mac, 6);
	memcpy(p + 6, sha, 6);
	put_be16(p + 12, ETHERTYPE_ARP);
	p += 14;
	put_be16(p, 1);
	put_be16(p + 2, ETHERTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	put_be16(p + 6, op);
	memcpy(p + 8, sha, 6);
	put_be32(p + 14, spa);
	put_be32(p + 24, tpa);
	f->len = 60; /* the Ethernet minimum, padding included */
}

static void build_ethertype(struct frame *f, const uint8_t *dst, const uint8_t *src,
			    uint16_t type, size_t len)
{
	memset(f->data, 0, sizeof(f->data));
	memcpy(f->data, dst, 6);
	memcpy(f->data + 6, src, 6);
	put_be16(f->data + 12, type);
	f->len = len;
}

/* ---- verdicts ------------------------------------------------------------------------------ */

/*
 * The verdicts as the tests name them: what goes to one of sock-vmnet's own responders is
 * GUARD_LOCAL with a service, told apart here.
 */
#define GUARD_DHCP (GUARD_DROP + 1 + LOCAL_DHCP4) /* sock-vmnet's DHCP responder */
#define GUARD_DNS (GUARD_DROP + 1 + LOCAL_DNS)    /* sock-vmnet's DNS responder */

static const char *action_name(int a)
{
	return a == GUARD_PASS ? "pass" : a == GUARD_DHCP ? "dhcp" : a == GUARD_DNS ? "dns" : "drop";
}

/* Parse and judge; returns the reason for a drop (frame_parse's or the guard's). */
static enum drop_reason judge(const struct frame *f, bool from_vm, int *action)
{
	struct frame_view v;
	enum drop_reason why = frame_parse(&v, f->data, f->len);
	enum local_service service = LOCAL__COUNT;
	enum guard_action a;

	*action = GUARD_DROP;
	/* as the relay counts them: with IPv6 off, every IPv6 frame is "ipv6" */
	if (why != DROP_NONE && v.ethertype == ETHERTYPE_IPV6 && !guard_ipv6(&guard))
		return DROP_IPV6;
	if (why != DROP_NONE)
		return why;
	a = from_vm ? guard_vm_frame(&guard, &v, &why, &service) : guard_host_frame(&guard, &v, &why);
	*action = a == GUARD_LOCAL ? GUARD_DROP + 1 + (int)service : (int)a;
	return a == GUARD_DROP ? why : DROP_NONE;
}

#define expect_vm(f, want_action, want_reason) expect_verdict(f, true, want_action, want_reason, __LINE__)
#define expect_host(f, want_action, want_reason) expect_verdict(f, false, want_action, want_reason, __LINE__)
#define vm_passes(f) expect_vm(f, GUARD_PASS, DROP_NONE)
#define vm_drops(f, reason) expect_vm(f, GUARD_DROP, reason)
#define host_passes(f) expect_host(f, GUARD_PASS, DROP_NONE)
#define host_drops(f, reason) expect_host(f, GUARD_DROP, reason)

static void expect_verdict(const struct frame *f, bool from_vm, int want_action,
			   enum drop_reason want_reason, int line)
{
	int action;
	enum drop_reason why = judge(f, from_vm, &action);

	if (action != want_action || why != want_reason)
		fail_msg("line %d: %s %s, want %s %s", line, action_name(action),
			 drop_reason_name(why), action_name(want_action),
			 drop_reason_name(want_reason));
}

static struct frame f; /* the frame under test */

static void ip_frame(struct ip_spec s)
{
	build_ip(&f, &s);
}

/* ---- Ethernet ------------------------------------------------------------------------------- */

static void ethernet_source_must_be_the_vm(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src_mac = other_mac, .src = LEASE, .dst = GLOBAL, .proto = 17,
				  .sport = 1, .dport = 53});
	vm_drops(&f, DROP_SRC_MAC);
}

static void vlan_tags_are_refused(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_ethertype(&f, bridge_mac, vm_mac, ETHERTYPE_VLAN, 64);
	vm_drops(&f, DROP_VLAN);
	build_ethertype(&f, bridge_mac, vm_mac, ETHERTYPE_QINQ, 64);
	vm_drops(&f, DROP_VLAN);
	build_ethertype(&f, bridge_mac, vm_mac, ETHERTYPE_QINQ_OLD, 64);
	vm_drops(&f, DROP_VLAN);
	build_ethertype(&f, vm_mac, bridge_mac, ETHERTYPE_VLAN, 64);
	host_drops(&f, DROP_VLAN);
}

static void frame_size_limits(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_ethertype(&f, bridge_mac, vm_mac, ETHERTYPE_IPV4, 13);
	vm_drops(&f, DROP_RUNT);
	/* exactly MTU + header passes, one byte more does not */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1,
				  .dport = 9, .l4_len = 1500 - 20});
	assert_int_equal(f.len, 1514);
	vm_passes(&f);
	f.len++;
	vm_drops(&f, DROP_OVERSIZE);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GLOBAL,
				  .dst = LEASE, .proto = 17, .sport = 53, .dport = 1,
				  .l4_len = 1500 - 20});
	host_passes(&f);
	f.len++;
	host_drops(&f, DROP_OVERSIZE);
}

static void only_arp_and_ipv4(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_ethertype(&f, bridge_mac, vm_mac, ETHERTYPE_IPV6, 80);
	vm_drops(&f, DROP_IPV6);
	build_ethertype(&f, bridge_mac, vm_mac, 0x88cc, 60); /* LLDP */
	vm_drops(&f, DROP_ETHERTYPE);
	build_ethertype(&f, bridge_mac, vm_mac, 0x0060, 60); /* an 802.3 length field */
	vm_drops(&f, DROP_ETHERTYPE);
	build_ethertype(&f, vm_mac, bridge_mac, ETHERTYPE_IPV6, 80);
	host_drops(&f, DROP_IPV6);
	build_ethertype(&f, bcast_mac, bridge_mac, 0x88cc, 60);
	host_drops(&f, DROP_ETHERTYPE);
}

/* ---- ARP from the VM ------------------------------------------------------------------------- */

static void arp_request_for_gateway_passes(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, GATEWAY);
	vm_passes(&f);
	build_arp(&f, bridge_mac, ARP_OP_REPLY, vm_mac, LEASE, GATEWAY);
	vm_passes(&f);
	/* RFC 5227 announcement: sender = target = the lease */
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, LEASE);
	vm_passes(&f);
	/* reply to a probe from someone else: target 0.0.0.0 */
	build_arp(&f, other_mac, ARP_OP_REPLY, vm_mac, LEASE, 0);
	vm_passes(&f);
}

static void arp_sizes_and_opcodes(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, GATEWAY);
	f.data[14 + 4] = 8; /* hardware address length 8 */
	vm_drops(&f, DROP_ARP_MALFORMED);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, GATEWAY);
	f.len = 14 + 27;
	vm_drops(&f, DROP_RUNT);
	build_arp(&f, bcast_mac, 3 /* RARP request */, vm_mac, LEASE, GATEWAY);
	vm_drops(&f, DROP_ARP_OP);
	build_arp(&f, bcast_mac, 8 /* InARP */, vm_mac, LEASE, GATEWAY);
	vm_drops(&f, DROP_ARP_OP);
}

static void arp_sender_mac_must_be_the_vm(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, GATEWAY);
	memcpy(f.data + 14 + 8, other_mac, 6); /* Ethernet source right, ARP sender wrong */
	vm_drops(&f, DROP_ARP_SENDER_MAC);
}

static void arp_sender_ip_must_be_the_lease(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, NEIGHBOUR, GATEWAY);
	vm_drops(&f, DROP_ARP_SENDER_IP);
	/* gratuitous ARP claiming the gateway's or a neighbour's address */
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, GATEWAY, GATEWAY);
	vm_drops(&f, DROP_ARP_SENDER_IP);
	build_arp(&f, bcast_mac, ARP_OP_REPLY, vm_mac, NEIGHBOUR, NEIGHBOUR);
	vm_drops(&f, DROP_ARP_SENDER_IP);
	/* no lease yet: no sender address is the VM's */
	setup_guard("", 0);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, GATEWAY);
	vm_drops(&f, DROP_ARP_SENDER_IP);
}

static void arp_probe_only_for_the_lease(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, 0, LEASE);
	vm_passes(&f);
	/* a probe for someone else's address makes them think theirs is taken */
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, 0, NEIGHBOUR);
	vm_drops(&f, DROP_ARP_TARGET);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, 0, GATEWAY);
	vm_drops(&f, DROP_ARP_TARGET);
	build_arp(&f, bcast_mac, ARP_OP_REPLY, vm_mac, 0, GATEWAY);
	vm_drops(&f, DROP_ARP_SENDER_IP);
	setup_guard("", 0);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, 0, LEASE);
	vm_drops(&f, DROP_NO_LEASE);
}

static void arp_target_must_be_reachable(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, NEIGHBOUR);
	vm_drops(&f, DROP_ARP_TARGET);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, PRIVATE);
	vm_drops(&f, DROP_ARP_TARGET);
	setup_guard("+tcp:192.168.64.51:22", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, vm_mac, LEASE, NEIGHBOUR);
	vm_passes(&f);
}

static void arp_to_multicast_mac_refused(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, mdns_mac, ARP_OP_REQUEST, vm_mac, LEASE, GATEWAY);
	vm_drops(&f, DROP_MULTICAST);
}

/* ---- IPv4 from the VM ------------------------------------------------------------------------ */

static void ipv4_header_must_be_well_formed(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	f.data[14] = 0x65; /* version 6 in an IPv4 ethertype */
	vm_drops(&f, DROP_IP_MALFORMED);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	f.data[14] = 0x44; /* IHL 16 bytes */
	vm_drops(&f, DROP_IP_MALFORMED);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	put_be16(f.data + 16, (uint16_t)(f.len - 14 + 1)); /* total length past the frame */
	vm_drops(&f, DROP_IP_MALFORMED);
	/* an option whose length runs past the header */
	static const uint8_t bad_option[] = {0x44, 12, 5, 0};
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53,
				  .options = bad_option, .options_len = 4});
	vm_drops(&f, DROP_IP_MALFORMED);
}

static void ipv4_source_must_be_the_lease(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.src = NEIGHBOUR, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	vm_drops(&f, DROP_IP_SRC);
	ip_frame((struct ip_spec){.src = GATEWAY, .dst = GLOBAL, .proto = 6, .sport = 1, .dport = 80});
	vm_drops(&f, DROP_IP_SRC);
	ip_frame((struct ip_spec){.src = 0, .dst = GLOBAL, .proto = 1, .icmp_type = 8});
	vm_drops(&f, DROP_IP_SRC);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 1, .icmp_type = 8});
	vm_passes(&f);
}

static void before_a_lease_only_dhcp(void **state)
{
	(void)state;
	setup_guard("", 0);
	/* DISCOVER / REQUEST: 0.0.0.0:68 -> 255.255.255.255:67 */
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = 0, .dst = BCAST, .proto = 17,
				  .sport = 68, .dport = 67, .l4_len = 8 + 300});
	expect_vm(&f, GUARD_DHCP, DROP_NONE);
	ip_frame((struct ip_spec){.src = 0, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	vm_drops(&f, DROP_NO_LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 8});
	vm_drops(&f, DROP_NO_LEASE);
	/* a renewal while no lease is known (sock-vmnet restarted under the VM) goes to the
	 * server, which checks it against the lease database; from outside the subnet: no */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 68,
				  .dport = 67, .l4_len = 8 + 300});
	expect_vm(&f, GUARD_DHCP, DROP_NONE);
	ip_frame((struct ip_spec){.src = GLOBAL, .dst = GATEWAY, .proto = 17, .sport = 68,
				  .dport = 67, .l4_len = 8 + 300});
	vm_drops(&f, DROP_NO_LEASE);
}

static void dhcp_renewal_and_rebinding(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	/* renewal: unicast from the lease to the gateway */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 68,
				  .dport = 67, .l4_len = 8 + 300});
	expect_vm(&f, GUARD_DHCP, DROP_NONE);
	/* rebinding: broadcast from the lease */
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = LEASE, .dst = BCAST, .proto = 17,
				  .sport = 68, .dport = 67, .l4_len = 8 + 300});
	expect_vm(&f, GUARD_DHCP, DROP_NONE);
	/* a fragmented DHCP message is not served, and a broadcast fragment is refused */
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = LEASE, .dst = BCAST, .proto = 17,
				  .sport = 68, .dport = 67, .frag = 0x2000, .l4_len = 8 + 300});
	vm_drops(&f, DROP_MULTICAST);
	/* DHCP to a server elsewhere is ordinary traffic, judged by the policy */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 68, .dport = 67});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src = LEASE, .dst = PRIVATE, .proto = 17, .sport = 68, .dport = 67});
	vm_drops(&f, DROP_POLICY_BLOCK);
}

static void dhcp_server_in_the_vm_is_refused(void **state)
{
	(void)state;
	setup_guard("+0.0.0.0/0 +255.255.255.255 +192.168.64.0/24", LEASE);
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = LEASE, .dst = BCAST, .proto = 17,
				  .sport = 67, .dport = 68, .l4_len = 8 + 300});
	vm_drops(&f, DROP_ROGUE_DHCP);
	ip_frame((struct ip_spec){.src = LEASE, .dst = NEIGHBOUR, .proto = 17, .sport = 67,
				  .dport = 68});
	vm_drops(&f, DROP_ROGUE_DHCP);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 67, .dport = 53});
	vm_drops(&f, DROP_ROGUE_DHCP);
	setup_guard("", 0);
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = 0, .dst = BCAST, .proto = 17,
				  .sport = 67, .dport = 68});
	vm_drops(&f, DROP_ROGUE_DHCP);
}

static void icmp_redirect_refused(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 5});
	vm_drops(&f, DROP_ICMP_REDIRECT);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 8});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 1, .icmp_type = 3});
	vm_passes(&f);
}

static void ip_options(void **state)
{
	static const uint8_t lsrr[] = {131, 7, 4, 0x08, 0x08, 0x08, 0x08};
	static const uint8_t ssrr[] = {1, 137, 7, 4, 0x08, 0x08, 0x08, 0x08};
	static const uint8_t rr[] = {7, 7, 4, 0, 0, 0, 0};
	static const uint8_t ts[] = {68, 8, 5, 0, 0, 0, 0, 0};
	static const uint8_t cipso[] = {134, 6, 0, 0, 0, 1};
	static const uint8_t router_alert[] = {148, 4, 0, 0};
	static const uint8_t nops[] = {1, 1, 1, 0};
	static const uint8_t lsrr_after_eol[] = {0, 131, 7, 4};
	struct ip_spec s = {.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53};

	(void)state;
	setup_guard("", LEASE);
	s.options = lsrr, s.options_len = sizeof(lsrr), build_ip(&f, &s);
	vm_drops(&f, DROP_IP_SOURCE_ROUTE);
	s.options = ssrr, s.options_len = sizeof(ssrr), build_ip(&f, &s);
	vm_drops(&f, DROP_IP_SOURCE_ROUTE);
	s.options = rr, s.options_len = sizeof(rr), build_ip(&f, &s);
	vm_drops(&f, DROP_IP_OPTIONS);
	s.options = ts, s.options_len = sizeof(ts), build_ip(&f, &s);
	vm_drops(&f, DROP_IP_OPTIONS);
	s.options = cipso, s.options_len = sizeof(cipso), build_ip(&f, &s);
	vm_drops(&f, DROP_IP_OPTIONS);
	s.options = router_alert, s.options_len = sizeof(router_alert), build_ip(&f, &s);
	vm_passes(&f);
	s.options = nops, s.options_len = sizeof(nops), build_ip(&f, &s);
	vm_passes(&f);
	s.options = lsrr_after_eol, s.options_len = sizeof(lsrr_after_eol), build_ip(&f, &s);
	vm_passes(&f);
}

/* ---- the policy, through the guard ------------------------------------------------------------ */

static void default_policy(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 6, .sport = 40000, .dport = 443});
	vm_passes(&f);
	/* the gateway's DNS: allowed, and answered by sock-vmnet itself */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 40000, .dport = 53});
	expect_vm(&f, GUARD_DNS, DROP_NONE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 40000, .dport = 53});
	expect_vm(&f, GUARD_DNS, DROP_NONE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = PRIVATE, .proto = 6, .sport = 40000, .dport = 443});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .sport = 40000, .dport = 7});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = NEIGHBOUR, .proto = 1, .icmp_type = 8});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = 0x7f000001, .proto = 6, .sport = 1, .dport = 22});
	vm_drops(&f, DROP_POLICY_BLOCK);
}

/* The gateway's DNS is sock-vmnet's own; the policy can close it; pieces are not answered. */
static void gateway_dns_goes_to_the_responder(void **state)
{
	(void)state;
	setup_guard("-@host", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 1, .dport = 53});
	vm_drops(&f, DROP_POLICY_BLOCK);
	setup_guard("-@host +udp:@host:53", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 1, .dport = 53});
	expect_vm(&f, GUARD_DNS, DROP_NONE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 1, .dport = 53});
	vm_drops(&f, DROP_POLICY_BLOCK);
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 1, .dport = 53,
				  .frag = 0x2000 /* MF */});
	vm_drops(&f, DROP_FRAGMENT);
	/* another port of the gateway is the host's: closed unless a rule opens it */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 1, .dport = 22});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 1, .dport = 22});
	vm_drops(&f, DROP_POLICY_BLOCK);
	/* ... by the built-in block of @host, which a log or the audit names */
	assert_non_null(guard_decided_by(&guard));
	assert_true(guard_decided_by(&guard)->builtin && guard_decided_by(&guard)->rule.is_gateway &&
		    !guard_decided_by(&guard)->rule.allow);
	/* ping stays open (an echo request in one piece), no hit of that block; other ICMP not */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 8});
	vm_passes(&f);
	assert_null(guard_decided_by(&guard));
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 3});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 8,
				  .frag = 0x2000 /* MF */, .l4_len = 64});
	vm_drops(&f, DROP_POLICY_BLOCK);
	setup_guard("+tcp:@host:22", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 1, .dport = 22});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 1, .dport = 23});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 1, .dport = 53});
	expect_vm(&f, GUARD_DNS, DROP_NONE);
	setup_guard("+@host", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 1, .dport = 22});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 3});
	vm_passes(&f);
	setup_guard("-@host", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 1, .icmp_type = 8});
	vm_drops(&f, DROP_POLICY_BLOCK);
	setup_guard("", LEASE);
	/* the lease is needed, and no other source will do */
	setup_guard("", 0);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 17, .sport = 1, .dport = 53});
	vm_drops(&f, DROP_NO_LEASE);
}

/* The start's log line: what the VM may reach on its host. */
static void host_reach_says_what_is_open(void **state)
{
	char line[GUARD_HOST_REACH_LEN];

	(void)state;
	setup_guard("", LEASE);
	assert_string_equal(guard_host_reach(&guard, line, sizeof(line)),
			    "host 192.168.64.1: the VM may reach its DHCP, DNS, ping; nothing else "
			    "(--allow @host opens it)");
	setup_guard("+tcp:@host:8080 +192.168.64.0/24 +udp:192.168.64.1:9", LEASE);
	assert_string_equal(guard_host_reach(&guard, line, sizeof(line)),
			    "host 192.168.64.1: the VM may reach its DHCP, DNS, ping and --allow "
			    "tcp:@host:8080, udp:192.168.64.1/32:9");
	setup_guard("-@host", LEASE);
	assert_string_equal(guard_host_reach(&guard, line, sizeof(line)),
			    "host 192.168.64.1: the VM may reach its DHCP; nothing else "
			    "(--allow @host opens it)");
	setup_guard("-@host +@host", LEASE); /* block wins the tie: nothing but DHCP */
	assert_string_equal(guard_host_reach(&guard, line, sizeof(line)),
			    "host 192.168.64.1: the VM may reach its DHCP; nothing else "
			    "(--allow @host opens it)");
	/* cut, never overrun */
	assert_string_equal(guard_host_reach(&guard, line, 10), "host 192.");
}

static void allow_and_block_rules(void **state)
{
	(void)state;
	setup_guard("-0.0.0.0/0 +@host", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 6, .sport = 1, .dport = 443});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GATEWAY, .proto = 6, .sport = 1, .dport = 22});
	vm_passes(&f);
	setup_guard("+203.0.113.0/24", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .sport = 1, .dport = 7});
	vm_passes(&f);
	setup_guard("+tcp:203.0.113.0/24:443", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 6, .sport = 1, .dport = 443});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 6, .sport = 1, .dport = 80});
	vm_drops(&f, DROP_POLICY_BLOCK);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .sport = 1, .dport = 443});
	vm_drops(&f, DROP_POLICY_BLOCK);
}

static void fragments_cannot_get_round_a_port_rule(void **state)
{
	(void)state;
	setup_guard("+tcp:203.0.113.0/24:443 +udp:203.0.113.0/24:53", LEASE);
	/* the first fragment has the ports, and is judged by them */
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .sport = 1, .dport = 53,
				  .frag = 0x2000, .l4_len = 64});
	vm_passes(&f);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .sport = 1, .dport = 80,
				  .frag = 0x2000, .l4_len = 64});
	vm_drops(&f, DROP_POLICY_BLOCK);
	/* a later one has none: it could belong to any port, so it is refused */
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .frag = 0x2000 | 8, .l4_len = 64});
	vm_drops(&f, DROP_FRAGMENT);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .frag = 8, .l4_len = 64});
	vm_drops(&f, DROP_FRAGMENT);
	/* to a destination nothing opens it is a plain policy drop */
	ip_frame((struct ip_spec){.src = LEASE, .dst = PRIVATE, .proto = 17, .frag = 8, .l4_len = 64});
	vm_drops(&f, DROP_POLICY_BLOCK);
	/* where every port is open, fragments pass */
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .frag = 8, .l4_len = 64});
	vm_passes(&f);
	setup_guard("+203.0.113.0/24", LEASE);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 17, .frag = 8, .l4_len = 64});
	vm_passes(&f);
	/* a TCP fragment at offset 8 rewrites the TCP flags (RFC 1858): never */
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 6, .frag = 1, .l4_len = 64});
	vm_drops(&f, DROP_FRAGMENT);
	ip_frame((struct ip_spec){.src = LEASE, .dst = WAN, .proto = 6, .frag = 2, .l4_len = 64});
	vm_passes(&f);
}

/* ---- multicast and broadcast from the VM -------------------------------------------------------- */

static void multicast_and_broadcast_need_a_rule(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src = LEASE, .dst = 0xe00000fb, .proto = 17,
				  .sport = 5353, .dport = 5353});
	vm_drops(&f, DROP_MULTICAST);
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = LEASE, .dst = BCAST, .proto = 17,
				  .sport = 137, .dport = 137});
	vm_drops(&f, DROP_MULTICAST);
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = LEASE, .dst = 0xc0a840ff, .proto = 17,
				  .sport = 138, .dport = 138});
	vm_drops(&f, DROP_MULTICAST);
	/* IGMP report with router alert */
	static const uint8_t router_alert[] = {148, 4, 0, 0};
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src = LEASE, .dst = 0xe0000016, .proto = 2,
				  .options = router_alert, .options_len = 4, .l4_len = 16});
	vm_drops(&f, DROP_MULTICAST);
	/* a group MAC carrying a unicast destination: flooded to every port, so refused */
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src = LEASE, .dst = GLOBAL, .proto = 17,
				  .sport = 1, .dport = 53});
	vm_drops(&f, DROP_MULTICAST);

	setup_guard("+udp:224.0.0.251:5353 +2:224.0.0.22", LEASE);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src = LEASE, .dst = 0xe00000fb, .proto = 17,
				  .sport = 5353, .dport = 5353});
	vm_passes(&f);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src = LEASE, .dst = 0xe00000fb, .proto = 17,
				  .sport = 5353, .dport = 5354});
	vm_drops(&f, DROP_MULTICAST);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src = LEASE, .dst = 0xe0000016, .proto = 2,
				  .options = router_alert, .options_len = 4, .l4_len = 16});
	vm_passes(&f);
}

/* ---- host to VM --------------------------------------------------------------------------------- */

static void host_unicast_only_for_the_vm(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GLOBAL,
				  .dst = LEASE, .proto = 6, .sport = 443, .dport = 40000});
	host_passes(&f);
	ip_frame((struct ip_spec){.dst_mac = other_mac, .src_mac = bridge_mac, .src = GLOBAL,
				  .dst = LEASE, .proto = 6, .sport = 443, .dport = 40000});
	host_drops(&f, DROP_NOT_FOR_VM);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GLOBAL,
				  .dst = NEIGHBOUR, .proto = 6, .sport = 443, .dport = 40000});
	host_drops(&f, DROP_NOT_FOR_VM);
	/* a later fragment for the VM */
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GLOBAL,
				  .dst = LEASE, .proto = 17, .frag = 100, .l4_len = 64});
	host_passes(&f);
	setup_guard("", 0);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GLOBAL,
				  .dst = LEASE, .proto = 6, .sport = 443, .dport = 40000});
	host_drops(&f, DROP_NOT_FOR_VM);
}

static void host_arp_only_about_the_vm(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, bridge_mac, GATEWAY, LEASE);
	host_passes(&f);
	build_arp(&f, vm_mac, ARP_OP_REPLY, bridge_mac, GATEWAY, LEASE);
	host_passes(&f);
	build_arp(&f, vm_mac, ARP_OP_REQUEST, bridge_mac, GATEWAY, LEASE); /* unicast probe */
	host_passes(&f);
	build_arp(&f, vm_mac, ARP_OP_REPLY, other_mac, LEASE, 0); /* answer to the VM's probe */
	host_passes(&f);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, other_mac, NEIGHBOUR, GATEWAY);
	host_drops(&f, DROP_HOST_ARP);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, other_mac, NEIGHBOUR, NEIGHBOUR); /* gratuitous */
	host_drops(&f, DROP_HOST_ARP);
	build_arp(&f, bcast_mac, ARP_OP_REPLY, other_mac, LEASE, 0);
	host_drops(&f, DROP_HOST_ARP);
	build_arp(&f, vm_mac, 3, bridge_mac, GATEWAY, LEASE);
	host_drops(&f, DROP_HOST_ARP);
	build_arp(&f, other_mac, ARP_OP_REQUEST, bridge_mac, GATEWAY, LEASE);
	host_drops(&f, DROP_NOT_FOR_VM);
	setup_guard("", 0);
	build_arp(&f, bcast_mac, ARP_OP_REQUEST, bridge_mac, GATEWAY, LEASE);
	host_drops(&f, DROP_HOST_ARP);
}

static void host_dhcp_servers_refused(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	/* an OFFER from a DHCP server on the bridge, broadcast and unicast */
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = BCAST, .proto = 17, .sport = 67, .dport = 68,
				  .l4_len = 8 + 300});
	host_drops(&f, DROP_HOST_DHCP);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = LEASE, .proto = 17, .sport = 67, .dport = 68,
				  .l4_len = 8 + 300});
	host_drops(&f, DROP_HOST_DHCP);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = LEASE, .proto = 17, .sport = 1234, .dport = 68});
	host_drops(&f, DROP_HOST_DHCP);
}

static void host_icmp_redirect_refused(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GATEWAY,
				  .dst = LEASE, .proto = 1, .icmp_type = 5});
	host_drops(&f, DROP_ICMP_REDIRECT);
	ip_frame((struct ip_spec){.dst_mac = vm_mac, .src_mac = bridge_mac, .src = GATEWAY,
				  .dst = LEASE, .proto = 1, .icmp_type = 0});
	host_passes(&f);
}

static void host_multicast_only_when_allowed(void **state)
{
	(void)state;
	setup_guard("", LEASE);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = 0xe00000fb, .proto = 17, .sport = 5353, .dport = 5353});
	host_drops(&f, DROP_MULTICAST);
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = 0xc0a840ff, .proto = 17, .sport = 138, .dport = 138});
	host_drops(&f, DROP_MULTICAST);
	ip_frame((struct ip_spec){.dst_mac = bcast_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = LEASE, .proto = 17, .sport = 1, .dport = 2});
	host_drops(&f, DROP_MULTICAST);
	setup_guard("+192.168.64.0/24", LEASE); /* even where the policy allows the address */
	host_drops(&f, DROP_MULTICAST);
	setup_guard("+udp:224.0.0.251:5353", LEASE);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = 0xe00000fb, .proto = 17, .sport = 5353, .dport = 5353});
	host_passes(&f);
	ip_frame((struct ip_spec){.dst_mac = mdns_mac, .src_mac = other_mac, .src = NEIGHBOUR,
				  .dst = 0xe00000fc, .proto = 17, .sport = 5353, .dport = 5353});
	host_drops(&f, DROP_MULTICAST);
}

/* ---- the guard's state ------------------------------------------------------------------------- */

static void lease_changes_what_passes(void **state)
{
	(void)state;
	setup_guard("", 0);
	ip_frame((struct ip_spec){.src = LEASE, .dst = GLOBAL, .proto = 17, .sport = 1, .dport = 53});
	vm_drops(&f, DROP_NO_LEASE);
	set_lease(LEASE);
	vm_passes(&f);
	set_lease(NEIGHBOUR);
	vm_drops(&f, DROP_IP_SRC);
	guard_set_vm_address(&guard, 0);
	vm_drops(&f, DROP_NO_LEASE);
}

static void every_reason_has_a_name(void **state)
{
	(void)state;
	for (int r = DROP_NONE + 1; r < DROP__COUNT; r++) {
		const char *name = drop_reason_name((enum drop_reason)r);

		assert_non_null(name);
		assert_string_not_equal(name, "unknown");
		assert_null(strchr(name, ' '));
	}
	assert_string_equal(drop_reason_name(DROP_ARP_TARGET), "arp-target");
	assert_string_equal(drop_reason_name(DROP_IP_OPTIONS), "ip-options");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ethernet_source_must_be_the_vm),
		cmocka_unit_test(vlan_tags_are_refused),
		cmocka_unit_test(frame_size_limits),
		cmocka_unit_test(only_arp_and_ipv4),
		cmocka_unit_test(arp_request_for_gateway_passes),
		cmocka_unit_test(arp_sizes_and_opcodes),
		cmocka_unit_test(arp_sender_mac_must_be_the_vm),
		cmocka_unit_test(arp_sender_ip_must_be_the_lease),
		cmocka_unit_test(arp_probe_only_for_the_lease),
		cmocka_unit_test(arp_target_must_be_reachable),
		cmocka_unit_test(arp_to_multicast_mac_refused),
		cmocka_unit_test(ipv4_header_must_be_well_formed),
		cmocka_unit_test(ipv4_source_must_be_the_lease),
		cmocka_unit_test(before_a_lease_only_dhcp),
		cmocka_unit_test(dhcp_renewal_and_rebinding),
		cmocka_unit_test(dhcp_server_in_the_vm_is_refused),
		cmocka_unit_test(icmp_redirect_refused),
		cmocka_unit_test(ip_options),
		cmocka_unit_test(default_policy),
		cmocka_unit_test(gateway_dns_goes_to_the_responder),
		cmocka_unit_test(host_reach_says_what_is_open),
		cmocka_unit_test(allow_and_block_rules),
		cmocka_unit_test(fragments_cannot_get_round_a_port_rule),
		cmocka_unit_test(multicast_and_broadcast_need_a_rule),
		cmocka_unit_test(host_unicast_only_for_the_vm),
		cmocka_unit_test(host_arp_only_about_the_vm),
		cmocka_unit_test(host_dhcp_servers_refused),
		cmocka_unit_test(host_icmp_redirect_refused),
		cmocka_unit_test(host_multicast_only_when_allowed),
		cmocka_unit_test(lease_changes_what_passes),
		cmocka_unit_test(every_reason_has_a_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
