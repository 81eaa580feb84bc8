/* SPDX-License-Identifier: MIT */
/* ndp.h — the gateway's Neighbor Discovery, answered on the frame path: RAs for SLAAC, NAs, address claims */
#ifndef SVM_RESPONDER_NDP_H
#define SVM_RESPONDER_NDP_H

#include <stddef.h>
#include <stdint.h>

#include "core/vm_config.h"
#include "leases/leases.h"
#include "os/process.h"
#include "responder/responder.h"

/*
 * What the Router Advertisements say (RFC 4861 6.2.1 for the router's variables):
 * - the router lifetime: 9000 s, RFC 4861's upper bound for AdvDefaultLifetime (RFC 8319
 *   allows more, but hosts of before it cap at 9000). No timer sends RAs (an idle VM costs
 *   no wake-up): one goes on the VM's first frame after sock-vmnet starts (a VM that was
 *   running meanwhile learns the prefix again) and then whenever the VM is active and a
 *   third of the lifetime has passed since the last one. A VM silent for 9000 s loses its
 *   default route until it speaks (its DHCPv4 renewals, every half lease, are enough).
 * - the prefix: valid 30 days and preferred 7 days, RFC 4861's AdvValidLifetime and
 *   AdvPreferredLifetime defaults; on-link and autonomous (SLAAC); neither M nor O: no
 *   DHCPv6, the DNS server is in the RA.
 * - RDNSS (RFC 8106 5.1): the gateway, for twice the refresh interval, which RFC 8106 5.1
 *   asks of a lifetime (between MaxRtrAdvInterval and twice it).
 * - the MTU: the VM's --mtu; Cur Hop Limit 64.
 */
#define NDP_ROUTER_LIFETIME_S 9000
#define NDP_REFRESH_S (NDP_ROUTER_LIFETIME_S / 3)
#define NDP_VALID_LIFETIME_S 2592000
#define NDP_PREFERRED_LIFETIME_S 604800
#define NDP_RDNSS_LIFETIME_S (2 * NDP_REFRESH_S)
#define NDP_HOP_LIMIT 64

/*
 * Solicited RAs: RFC 4861 6.2.6's MIN_DELAY_BETWEEN_RAS, 3 s, between two; solicitations
 * meanwhile are answered by the RA already sent (Linux sends 3, 4 s apart).
 */
#define NDP_RA_MIN_INTERVAL_MS 3000

/*
 * Each address claim may write the lease database every instance shares, so a VM gets a
 * budget, as for DHCP (dhcp4.c): a burst of 16 claims, then one per 500 ms. A booting VM
 * claims 3 (link-local, stable, temporary) on each interface it brings up; more are
 * refused as ndp-ignored and its duplicate address detection simply sees no duplicate.
 */
#define NDP_CLAIM_BURST 16
#define NDP_CLAIM_REFILL_MS 500

/*
 * A claim that meets the database locked by another process waits on a loop timer, tried
 * again after 2 ms, the wait doubling to 256 ms, for at most 4 s (dhcp4.c's figures); a VM
 * using the address meanwhile has its frames refused (ip6-src) until the claim is written.
 * At most 8 claims wait at once; more are refused as ndp-ignored.
 */
#define NDP_RETRY_FIRST_MS 2
#define NDP_RETRY_MAX_MS 256
#define NDP_RETRY_GIVE_UP_MS 4000
#define NDP_PENDING_MAX 8

/**
 * struct ndp_clock - the clocks the responder reads: real ones unless a test's
 * @mono_ms: monotonic milliseconds (RA timing, the claim budget)
 * @wall_s: unix time (the database's records)
 */
struct ndp_clock {
	uint64_t (*mono_ms)(void);
	int64_t (*wall_s)(void);
};

/**
 * struct ndp_setup - what the NDP responder works with
 * @vm: the VM (its MAC, its MTU)
 * @net6: its IPv6 network: the prefix, the gateway's addresses
 * @db: the lease database (its address claims), open, never waited for
 * @self: this instance, the owner of what it claims
 * @network: the back-end's name for the network (backend_info.network_id)
 * @gateway_mac: the gateway's MAC: the RAs' source and link-layer address, and the NAs'
 * @claim_s: how long a claim holds for an owner in another PID namespace (the lease time)
 * @clock: the clocks; zeroed: the real ones
 */
struct ndp_setup {
	const struct vm_config *vm;
	const struct net6_config *net6;
	struct lease_db *db;
	const struct process_identity *self;
	const char *network;
	const uint8_t *gateway_mac;
	unsigned claim_s;
	struct ndp_clock clock;
};

/**
 * ndp_new() - the NDP responder of one VM
 *
 * Its handle() takes what the guard routes to LOCAL_NDP: a Router Solicitation (answered
 * with an RA), a Neighbor Solicitation for the gateway's addresses (an NA with the gateway's
 * MAC, as a router), and duplicate address detection (an NS from ::): the address is
 * claimed in the lease database, and the guard lets the VM use it; one another VM holds (or
 * one of the gateway's) is defended with an NA as its holder would, so that the VM's DAD
 * fails (RFC 4862 5.4.4), and counted as ndp-claimed. Its vm_active() sends the RAs that no
 * RS asked for (see NDP_ROUTER_LIFETIME_S).
 * Return: the responder, or NULL with @err set.
 */
struct responder *ndp_new(const struct ndp_setup *setup, char *err, size_t err_size);

#endif
