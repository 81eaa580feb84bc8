/* SPDX-License-Identifier: MIT */
/* netlink.h — the host's links and addresses, configured over rtnetlink (libmnl) */
#ifndef SVM_HOSTNET_LINUX_NETLINK_H
#define SVM_HOSTNET_LINUX_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

struct netlink;
struct nlmsghdr;

/* Linux's IFALIASZ: the longest alias a link takes, its NUL included */
#define NETLINK_ALIAS_SIZE 256

/**
 * struct netlink_link - what sock-vmnet reads of one link
 * @ifindex: its index (0: none such)
 * @name: its name
 * @is_bridge: its kind is "bridge"
 * @up: administratively up (IFF_UP)
 * @master: the bridge it is a port of, or 0
 * @mac: its hardware address
 * @tx_dropped: what it dropped on the way out: for a TAP, frames its queue to the reader
 *              had no room for
 * @alias: its alias (ip link set ... alias), "" if none
 */
struct netlink_link {
	int ifindex;
	char name[IF_NAMESIZE];
	bool is_bridge;
	bool up;
	int master;
	uint8_t mac[6];
	uint64_t tx_dropped;
	char alias[NETLINK_ALIAS_SIZE];
};

/* What netlink_bridge_ensure() had to do (its @made): nothing, when all was in place. */
#define NETLINK_MADE_BRIDGE 0x1u  /* created the bridge */
#define NETLINK_MADE_GATEWAY 0x2u /* added the gateway address */
#define NETLINK_MADE_UP 0x4u      /* brought the bridge up */
#define NETLINK_MADE_GATEWAY6 0x8u /* added the gateway's IPv6 addresses (netlink_bridge_ensure6()) */

struct netlink *netlink_open(char *err, size_t err_size);
void netlink_close(struct netlink *nl);

/**
 * netlink_bridge_ensure() - make sure bridge @name exists, is up and holds the gateway
 * @nl: the netlink socket
 * @name: the bridge (--bridge)
 * @gateway: the address it must hold, host order
 * @prefix_len: with this prefix
 * @bridge: set to the bridge as it is now (its MAC is the gateway's)
 * @made: set to the NETLINK_MADE_* it had to do
 * @err: why not, one line (the caller names the option)
 * @err_size: size of @err
 *
 * Creates what is missing and changes nothing that is already right, so any number of
 * instances can share one bridge. A bridge or another interface already holding a
 * conflicting address in the subnet is an error, never reconfigured.
 *
 * Return: 0, or -1 with @err set.
 */
int netlink_bridge_ensure(struct netlink *nl, const char *name, uint32_t gateway,
			  unsigned prefix_len, struct netlink_link *bridge, unsigned *made, char *err,
			  size_t err_size);

/**
 * netlink_bridge_ensure6() - make sure bridge @ifindex holds the gateway's IPv6 addresses
 * @nl: the netlink socket
 * @ifindex: the bridge
 * @name: its name, for messages
 * @prefix: the VMs' /64
 * @gateway: @prefix::1, added as a /64 (the route to the VMs' prefix)
 * @gateway_ll: fe80::1, added as a /64 beside the bridge's own link-local address
 * @made: NETLINK_MADE_GATEWAY6 is or'ed in when an address had to be added
 * @err: why not, one line (the caller names the option)
 * @err_size: size of @err
 *
 * Both without duplicate address detection (IFA_F_NODAD): usable at once, and sock-vmnet
 * answers for them on the VMs' side anyway. Another interface holding an address in
 * @prefix is an error, never reconfigured; so is a bridge whose IPv6 the host turned off.
 * Return: 0, or -1 with @err set.
 */
int netlink_bridge_ensure6(struct netlink *nl, int ifindex, const char *name,
			   const struct inet_prefix *prefix, const struct inet_addr *gateway,
			   const struct inet_addr *gateway_ll, unsigned *made, char *err,
			   size_t err_size);

/**
 * netlink_link_attach() - enslave @ifindex to @master, set its MTU and bring it up
 * Return: 0, or -1 with @err set.
 */
int netlink_link_attach(struct netlink *nl, int ifindex, int master, unsigned mtu, char *err,
			size_t err_size);

/**
 * netlink_link_get() - read the link called @name (if not NULL) or with index @ifindex
 * Return: 0, -ENODEV if there is none, or another -errno.
 */
int netlink_link_get(struct netlink *nl, const char *name, int ifindex,
		     struct netlink_link *link);

/** netlink_link_parse() - @link from an RTM_NEWLINK/RTM_DELLINK message (a dump's or an event) */
void netlink_link_parse(const struct nlmsghdr *nlh, struct netlink_link *link);

/**
 * netlink_bridge_port_count() - how many links named @prefix... but @except are ports of
 * @bridge
 * Return: the count, or -errno.
 */
int netlink_bridge_port_count(struct netlink *nl, int bridge, int except, const char *prefix);

/** netlink_link_set_alias() - set the alias of @ifindex. Return: 0 or -errno. */
int netlink_link_set_alias(struct netlink *nl, int ifindex, const char *alias);

#endif
