/* SPDX-License-Identifier: MIT */
/* host_watch.h — netlink events about what the tap back-end depends on: its bridge, TAP, address, NAT */
#ifndef SVM_BACKEND_LINUX_HOST_WATCH_H
#define SVM_BACKEND_LINUX_HOST_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "proto/addr.h"

struct mnl_socket;

/* What changed (host_watch's @on_change): a bit each, gathered over the settling delay. */
#define HOST_WATCH_LINKS 0x1u   /* the bridge, the TAP's place on it or the gateway addresses */
#define HOST_WATCH_NAT 0x2u     /* the nftables tables "ip sock_vmnet" and "ip6 sock_vmnet" */
#define HOST_WATCH_TAP_GONE 0x4u /* the TAP itself was deleted: nothing to repair */

/**
 * struct host_watch - two netlink sockets in the loop and a settling timer
 * @bridge: the bridge's name (--bridge)
 * @bridge_index: its ifindex, kept current by the owner after each repair
 * @tap_index: the TAP's ifindex
 * @gateway: the gateway address, host order
 * @gateway6: with IPv6, the gateway's global and link-local addresses (else NULL)
 * @on_change: called from the loop once events settle, with the HOST_WATCH_* seen
 * @settle_ms: how long after the first event @on_change waits for the rest of the burst
 *
 * Only events that concern this instance count: a deleted or downed bridge, the TAP
 * leaving it, a gateway address gone, any change to the NAT tables. Other instances'
 * TAPs coming and going, other tables and other addresses are read and ignored. A lost
 * event (the socket's buffer overflowed) counts as every kind of change.
 */
struct host_watch {
	const char *bridge;
	int bridge_index;
	int tap_index;
	uint32_t gateway;
	const struct inet_addr *gateway6[2];
	void (*on_change)(struct host_watch *w, unsigned what);
	unsigned settle_ms;
	/* private */
	struct loop *loop;
	struct loop_source links;
	struct loop_source nft;
	struct loop_timer settle;
	unsigned pending;
	struct mnl_socket *links_sock, *nft_sock;
};

/**
 * host_watch_start() - subscribe to link, address and nftables events and watch them
 * @w: with every public field set
 * @loop: the loop to watch in
 *
 * Subscribing to nftables events needs CAP_NET_ADMIN: call it while setting up, before
 * privileges are dropped; the subscription stays.
 * Return: 0, or -1 with @err set.
 */
int host_watch_start(struct host_watch *w, struct loop *loop, char *err, size_t err_size);

/**
 * host_watch_drain() - take the events that are waiting now, instead of the loop
 *
 * For the end of a setup: its own changes (the bridge made, the NAT table filled) are
 * events too. Return: the HOST_WATCH_* among them, no longer pending.
 */
unsigned host_watch_drain(struct host_watch *w);

/** host_watch_recheck() - call @on_change with @what again after @delay_ms (a retry) */
void host_watch_recheck(struct host_watch *w, unsigned what, unsigned delay_ms);

/** host_watch_stop() - unsubscribe and leave the loop; safe on a watch never started */
void host_watch_stop(struct host_watch *w);

#endif
