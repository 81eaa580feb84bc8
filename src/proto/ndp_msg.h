/* SPDX-License-Identifier: MIT */
/* ndp_msg.h — Neighbor Discovery messages (RFC 4861, RFC 8106) read and checked, and the gateway's written */
#ifndef SVM_PROTO_NDP_MSG_H
#define SVM_PROTO_NDP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"
#include "proto/ip_frame.h"

/* Options (RFC 4861 4.6, RFC 8106 5.1) */
#define ND_OPT_SLLAO 1
#define ND_OPT_TLLAO 2
#define ND_OPT_PREFIX 3
#define ND_OPT_REDIRECTED 4
#define ND_OPT_MTU 5
#define ND_OPT_RDNSS 25

/* Neighbor Advertisement flags (the first byte after the checksum) */
#define ND_NA_ROUTER 0x80
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE 0x20

/* Router Advertisement flags, Prefix Information flags */
#define ND_RA_MANAGED 0x80
#define ND_RA_OTHER 0x40
#define ND_PIO_ON_LINK 0x80
#define ND_PIO_AUTONOMOUS 0x40

/**
 * struct ndp_msg - a Neighbor Discovery message as ndp_parse() found it
 * @type: ICMPV6_ND_RS ... ICMPV6_ND_REDIRECT
 * @target: NS, NA, Redirect: the target address
 * @na_flags: NA: ND_NA_* (router, solicited, override)
 * @sllao: the Source Link-Layer Address option's address, or NULL
 * @tllao: the Target Link-Layer Address option's address, or NULL
 * @lladdr_odd: a link-layer address option that is not an Ethernet address (length 1)
 */
struct ndp_msg {
	uint8_t type;
	struct inet_addr target;
	uint8_t na_flags;
	const uint8_t *sllao, *tllao;
	bool lladdr_odd;
};

/** ndp_is_nd() - whether ICMPv6 @type is Neighbor Discovery (RS, RA, NS, NA, Redirect) */
static inline bool ndp_is_nd(uint8_t type)
{
	return type >= ICMPV6_ND_RS && type <= ICMPV6_ND_REDIRECT;
}

/** ndp_is_mld() - whether ICMPv6 @type is Multicast Listener Discovery */
static inline bool ndp_is_mld(uint8_t type)
{
	return type == ICMPV6_MLD_QUERY || type == ICMPV6_MLD_REPORT || type == ICMPV6_MLD_DONE ||
	       type == ICMPV6_MLD2_REPORT;
}

/**
 * ndp_parse() - read and check a Neighbor Discovery message
 * @v: a parsed IPv6 frame whose upper layer is ICMPv6 of an ND type (not a fragment)
 * @m: filled in
 *
 * The validity checks a receiver makes (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1): hop limit
 * 255, code 0, the message's fixed part whole, every option with a non-zero length inside
 * the message; RS and NS from :: carry no source link-layer address, an NS from :: goes to
 * the target's solicited-node group, a target is no multicast address, an NA to a group is
 * not "solicited", an RA comes from a link-local address. (The checksum is the receiver's.)
 *
 * Return: DROP_NONE, or DROP_NDP_MALFORMED.
 */
enum drop_reason ndp_parse(const struct frame_view *v, struct ndp_msg *m);

/**
 * struct ndp_ra - what a Router Advertisement says (RFC 4861 4.2, 4.6; RFC 8106 5.1)
 * @hop_limit: Cur Hop Limit for the hosts (0: unspecified)
 * @router_lifetime: seconds the sender is a default router (0: it is not)
 * @sllao: the router's MAC
 * @mtu: the link's MTU (0: no MTU option)
 * @prefix: the on-link, autonomous prefix (a /64 for SLAAC)
 * @valid, @preferred: its lifetimes, seconds
 * @rdnss: the DNS server (NULL: no RDNSS option), @rdnss_lifetime its lifetime
 */
struct ndp_ra {
	uint8_t hop_limit;
	uint16_t router_lifetime;
	const uint8_t *sllao;
	uint32_t mtu;
	struct inet_prefix prefix;
	uint32_t valid, preferred;
	const struct inet_addr *rdnss;
	uint32_t rdnss_lifetime;
};

/* The largest frame ndp_build_ra() makes: headers, RA, SLLAO, MTU, PIO, RDNSS with one address */
#define NDP_RA_FRAME_MAX (IPV6_ICMP_BODY_OFFSET + 12 + 8 + 8 + 32 + 24)
/* ... and ndp_build_na(): headers, NA, TLLAO */
#define NDP_NA_FRAME_MAX (IPV6_ICMP_BODY_OFFSET + 20 + 8)

/** ndp_build_ra() - a Router Advertisement from @e (ICMPv6, hop limit 255). Return: its length */
size_t ndp_build_ra(uint8_t *frame, const struct ip_ends *e, const struct ndp_ra *ra);

/**
 * ndp_build_na() - a Neighbor Advertisement from @e about @target, with @flags (ND_NA_*) and
 * @tllao as the Target Link-Layer Address option. Return: its length
 */
size_t ndp_build_na(uint8_t *frame, const struct ip_ends *e, const struct inet_addr *target,
		    uint8_t flags, const uint8_t tllao[6]);

#endif
