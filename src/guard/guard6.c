// SPDX-License-Identifier: MIT
/* guard6.c — the guard's IPv6 rules: sources claimed, Neighbor Discovery about the VM only, RA guard */
#include "guard/guard_private.h"
#include "proto/ndp_msg.h"

/*
 * VM → host, IPv6 (the drop reason in brackets; with --ipv6=off every IPv6 frame [ipv6]):
 *  - the header chain as frame_parse() read it (proto/ipv6_chain.c: malformed, truncated,
 *    too long, out of order, a later fragment with a header [ipv6-*]); a Routing header with
 *    segments left: source routing through the host [ip-source-route]; an option other than
 *    padding (and Router Alert in Hop-by-Hop) [ip-options];
 *  - Neighbor Discovery and MLD are never fragmented (RFC 6980 5; RFC 7113 3: an RA behind
 *    a fragment is refused whatever hides it), nor is ICMPv6 of a link-local or unspecified
 *    source or link-scope destination in pieces whose type cannot be seen [fragment];
 *  - RA guard (RFC 6105): no Router Advertisement, wherever in the chain [rogue-ra]; no
 *    Redirect [icmp-redirect]; no MLD query [rogue-mld]; no DHCPv6 server or relay message
 *    (from port 547) [rogue-dhcp];
 *  - ND must pass RFC 4861's checks [ndp-malformed]; RS and NS from the VM's own address (or
 *    :: for RS and duplicate address detection) [ip6-src], their source link-layer address
 *    --mac [ndp-spoof]; an NS to its target's solicited-node group or the target itself
 *    [ndp-target]; an RS, an NS for the gateway, and every NS from :: (a claim: first
 *    come, first served across the VMs of the network) go to sock-vmnet's NDP responder
 *    [GUARD_LOCAL, LOCAL_NDP]; another NS only for an address the VM may reach at all
 *    [ndp-target]; an NA only about the VM's own address, with its MAC, never as a router
 *    [ndp-spoof]; MLD reports from its link-local address or :: (RFC 3810 5.2.13);
 *  - every other packet from the VM's own address: its link-local address from --mac, or an
 *    address it claimed [ip6-src]; then, as for IPv4: DNS to the gateway answered here,
 *    groups only where a rule allows them [multicast], unicast by the rules and names
 *    [policy-block, foreign-dns, name-*].
 *
 * Host → VM, IPv6:
 *  - the header chain as above; ND and MLD in pieces [fragment]; a Router Advertisement
 *    (only sock-vmnet's own reach the VM) [rogue-ra]; a Redirect [icmp-redirect]; DHCPv6
 *    server traffic (the VM is given neither M nor O) [host-dhcp]; an NS only for the VM's
 *    own address, to its solicited-node group or to it, an NA only unicast to the VM and
 *    never about the gateway (sock-vmnet answers for it), an MLD query only to a group,
 *    nothing else of ND or MLD [host-ndp];
 *  - unicast only to the VM's own addresses [not-for-vm]; groups only where the policy
 *    allows that destination [multicast].
 */

static const struct inet_addr unspecified;

static bool is_gateway6(const struct guard *g, const struct inet_addr *a)
{
	return inet_equal(a, &g->net6->gateway) || inet_equal(a, &g->net6->gateway_ll);
}

/* The VM's own address, seen at work: its link-local address, or one it claimed. */
static bool vm_source(struct guard *g, const struct inet_addr *src)
{
	return inet_equal(src, &g->vm_ll) || claims_use(&g->claims, src, g->now_ms);
}

/* A link-scope or unspecified address: where ND and MLD live. */
static bool link_scope(const struct inet_addr *a)
{
	return inet6_is_link_local(a) || inet_equal(a, &unspecified) ||
	       (inet6_is_multicast(a) && (a->b[1] & 0x0f) <= 2);
}

static bool is_icmp_control(const struct frame_view *v)
{
	return v->ip_proto == IPPROTO_ICMPV6_ && v->l4 &&
	       (ndp_is_nd(v->icmp_type) || ndp_is_mld(v->icmp_type));
}

/* A piece of a packet that may be ND or MLD: its type is hidden or it is in pieces. */
static bool control_in_pieces(const struct frame_view *v)
{
	if (!(v->ip6_flags & IP6_EXT_FRAGMENT))
		return false;
	if (is_icmp_control(v))
		return true;
	return v->ip_proto == IPPROTO_ICMPV6_ && !v->l4 &&
	       (link_scope(&v->ip_src) || link_scope(&v->ip_dst));
}

/*
 * Where an NS goes (RFC 4861 7.2.2): the target's solicited-node group (resolution) or the
 * target itself (unreachability detection), in a frame to a group or to one station.
 */
static bool ns_addressed(const struct frame_view *v, const struct ndp_msg *m)
{
	struct inet_addr group;

	inet6_solicited_node(&m->target, &group);
	if (inet_equal(&v->ip_dst, &group))
		return mac_is_multicast(v->dst_mac);
	return inet_equal(&v->ip_dst, &m->target) && !mac_is_multicast(v->dst_mac);
}

/* ---- the VM's Neighbor Discovery and MLD -------------------------------------------------- */

static enum guard_action vm_mld(struct guard *g, const struct frame_view *v,
				enum drop_reason *reason)
{
	if (v->icmp_type == ICMPV6_MLD_QUERY)
		return drop(reason, DROP_ROGUE_MLD);
	/* RFC 3810 5.2.13: from the link-local address, or :: while it is not there yet */
	if (!inet_equal(&v->ip_src, &unspecified) &&
	    !(inet6_is_link_local(&v->ip_src) && vm_source(g, &v->ip_src)))
		return drop(reason, DROP_IP6_SRC);
	if (!inet6_is_multicast(&v->ip_dst))
		return drop(reason, DROP_MULTICAST);
	return GUARD_PASS;
}

/* A solicitation (RS, NS) from the VM: its source and its link-layer address. */
static enum drop_reason solicitation_source(struct guard *g, const struct frame_view *v,
					    const struct ndp_msg *m)
{
	if (inet_equal(&v->ip_src, &unspecified))
		return DROP_NONE; /* ndp_parse() saw no link-layer address with it */
	if (!vm_source(g, &v->ip_src))
		return DROP_IP6_SRC;
	if (m->lladdr_odd || (m->sllao && !mac_equal(m->sllao, g->vm->mac)))
		return DROP_NDP_SPOOF;
	return DROP_NONE;
}

static enum guard_action vm_ns(struct guard *g, const struct frame_view *v,
			       const struct ndp_msg *m, enum drop_reason *reason,
			       enum local_service *service)
{
	enum drop_reason why = solicitation_source(g, v, m);

	if (why != DROP_NONE)
		return drop(reason, why);
	if (!ns_addressed(v, m))
		return drop(reason, DROP_NDP_TARGET);
	if (inet_equal(&v->ip_src, &unspecified)) {
		/* duplicate address detection: a claim, judged by the responder and the table */
		if (!inet6_is_link_local(&m->target) &&
		    !inet6_in_prefix64(&m->target, &g->net6->prefix.addr))
			return drop(reason, DROP_NDP_SPOOF); /* nothing this network gives out */
		*service = LOCAL_NDP;
		return GUARD_LOCAL;
	}
	if (is_gateway6(g, &m->target)) {
		*service = LOCAL_NDP;
		return GUARD_LOCAL;
	}
	if (guard_owns6(g, &m->target) ||
	    policy_allows(g->policy, &m->target, 0, 0, POLICY_PORT_ANY))
		return GUARD_PASS;
	return drop(reason, DROP_NDP_TARGET);
}

static enum guard_action vm_na(struct guard *g, const struct frame_view *v,
			       const struct ndp_msg *m, enum drop_reason *reason)
{
	if (!vm_source(g, &v->ip_src))
		return drop(reason, DROP_IP6_SRC);
	/* about its own address only, with its own MAC, and it is no router */
	if (!guard_owns6(g, &m->target) || (m->na_flags & ND_NA_ROUTER) || m->lladdr_odd ||
	    (m->tllao && !mac_equal(m->tllao, g->vm->mac)))
		return drop(reason, DROP_NDP_SPOOF);
	return GUARD_PASS;
}

static enum guard_action vm_control(struct guard *g, const struct frame_view *v,
				    enum drop_reason *reason, enum local_service *service)
{
	struct ndp_msg m;
	enum drop_reason why;

	if (ndp_is_mld(v->icmp_type))
		return vm_mld(g, v, reason);
	/* before its checks: an RA or a Redirect is refused whatever else is wrong with it */
	if (v->icmp_type == ICMPV6_ND_RA)
		return drop(reason, DROP_ROGUE_RA);
	if (v->icmp_type == ICMPV6_ND_REDIRECT)
		return drop(reason, DROP_ICMP_REDIRECT);
	why = ndp_parse(v, &m);
	if (why != DROP_NONE)
		return drop(reason, why);
	switch (m.type) {
	case ICMPV6_ND_RS:
		why = solicitation_source(g, v, &m);
		if (why != DROP_NONE)
			return drop(reason, why);
		*service = LOCAL_NDP;
		return GUARD_LOCAL;
	case ICMPV6_ND_NS:
		return vm_ns(g, v, &m, reason, service);
	default: /* ICMPV6_ND_NA */
		return vm_na(g, v, &m, reason);
	}
}

/* ---- the VM's other traffic ------------------------------------------------------------------ */

static bool is_dhcp6_server_message(const struct frame_view *v)
{
	return v->ip_proto == IPPROTO_UDP_ && v->l4 && v->src_port == DHCPV6_SERVER_PORT;
}

enum guard_action guard_vm_ipv6(struct guard *g, const struct frame_view *v,
				enum drop_reason *reason, enum local_service *service)
{
	if (!guard_ipv6(g))
		return drop(reason, DROP_IPV6);
	if (!v->ip6)
		return drop(reason, DROP_IP6_MALFORMED);
	if (v->ip6_flags & IP6_ROUTING_ACTIVE)
		return drop(reason, DROP_IP_SOURCE_ROUTE);
	if (v->ip6_flags & IP6_OPT_OTHER)
		return drop(reason, DROP_IP_OPTIONS);
	if (control_in_pieces(v))
		return drop(reason, DROP_FRAGMENT);
	if (is_icmp_control(v))
		return vm_control(g, v, reason, service);
	if (v->ip_proto == IPPROTO_ICMPV6_ && v->l4 && v->icmp_type == ICMPV6_ND_REDIRECT)
		return drop(reason, DROP_ICMP_REDIRECT);
	if (is_dhcp6_server_message(v))
		return drop(reason, DROP_ROGUE_DHCP);
	if (!vm_source(g, &v->ip_src))
		return drop(reason, DROP_IP6_SRC);
	if (is_gateway6(g, &v->ip_dst) &&
	    (v->ip_proto == IPPROTO_UDP_ || v->ip_proto == IPPROTO_TCP_))
		return guard_to_gateway(g, v, reason, service);
	if (guard_is_foreign_dns(g, v))
		return drop(reason, DROP_FOREIGN_DNS);
	return guard_vm_destination(g, v, reason);
}

/* ---- host → VM --------------------------------------------------------------------------- */

static enum guard_action host_control(struct guard *g, const struct frame_view *v,
				      enum drop_reason *reason)
{
	struct ndp_msg m;
	enum drop_reason why;

	switch (v->icmp_type) {
	case ICMPV6_ND_RA:
		return drop(reason, DROP_ROGUE_RA);
	case ICMPV6_ND_REDIRECT:
		return drop(reason, DROP_ICMP_REDIRECT);
	case ICMPV6_MLD_QUERY: /* the bridge's snooping querier: the VM keeps its groups */
		return inet6_is_multicast(&v->ip_dst) ? GUARD_PASS : drop(reason, DROP_HOST_NDP);
	case ICMPV6_ND_NS:
	case ICMPV6_ND_NA:
		break;
	default:
		return drop(reason, DROP_HOST_NDP);
	}
	why = ndp_parse(v, &m);
	if (why != DROP_NONE)
		return drop(reason, why);
	if (m.type == ICMPV6_ND_NS)
		return guard_owns6(g, &m.target) && ns_addressed(v, &m) ? GUARD_PASS
								: drop(reason, DROP_HOST_NDP);
	/* an answer to the VM's own question, never about the gateway */
	if (!mac_equal(v->dst_mac, g->vm->mac) || !guard_owns6(g, &v->ip_dst) ||
	    is_gateway6(g, &m.target))
		return drop(reason, DROP_HOST_NDP);
	return GUARD_PASS;
}

enum guard_action guard_host_ipv6(struct guard *g, const struct frame_view *v,
				  enum drop_reason *reason)
{
	bool first = v->ip_frag_offset == 0;

	if (!guard_ipv6(g))
		return drop(reason, DROP_IPV6);
	if (!v->ip6)
		return drop(reason, DROP_IP6_MALFORMED);
	if (control_in_pieces(v))
		return drop(reason, DROP_FRAGMENT);
	if (is_icmp_control(v))
		return host_control(g, v, reason);
	if (v->ip_proto == IPPROTO_ICMPV6_ && v->l4 && v->icmp_type == ICMPV6_ND_REDIRECT)
		return drop(reason, DROP_ICMP_REDIRECT);
	if (v->ip_proto == IPPROTO_UDP_ && v->l4 &&
	    (v->src_port == DHCPV6_SERVER_PORT || v->dst_port == DHCPV6_CLIENT_PORT))
		return drop(reason, DROP_HOST_DHCP);
	if (!inet6_is_multicast(&v->ip_dst)) {
		if (mac_is_multicast(v->dst_mac))
			return drop(reason, DROP_MULTICAST);
		if (!guard_owns6(g, &v->ip_dst))
			return drop(reason, DROP_NOT_FOR_VM);
		return guard_host_flow_packet(g, v, reason);
	}
	if (!policy_allows(g->policy, &v->ip_dst, v->ip_proto, v->dst_port,
			   first ? POLICY_PORT_KNOWN : POLICY_PORT_EVERY))
		return drop(reason, DROP_MULTICAST);
	return GUARD_PASS;
}
