/* SPDX-License-Identifier: MIT */
/* netlink.h — the host's links and addresses, configured over rtnetlink (libmnl) */
#ifndef SVM_BACKEND_LINUX_NETLINK_H
#define SVM_BACKEND_LINUX_NETLINK_H

#include <stddef.h>
#include <stdint.h>

struct netlink;

struct netlink *netlink_open(char *err, size_t err_size);
void netlink_close(struct netlink *nl);

/**
 * netlink_bridge_ensure() - make sure bridge @name exists, is up and holds the gateway
 * @nl: the netlink socket
 * @name: the bridge (--bridge)
 * @gateway: the address it must hold, host order
 * @prefix_len: with this prefix
 * @mac: set to the bridge's MAC: the gateway's
 * @err: why not, one line (the caller names the option)
 * @err_size: size of @err
 *
 * Creates what is missing and changes nothing that is already right, so any number of
 * instances can share one bridge. A bridge or another interface already holding a
 * conflicting address in the subnet is an error, never reconfigured.
 *
 * Return: the bridge's ifindex, or -1 with @err set.
 */
int netlink_bridge_ensure(struct netlink *nl, const char *name, uint32_t gateway,
			  unsigned prefix_len, uint8_t mac[6], char *err, size_t err_size);

/**
 * netlink_link_attach() - enslave @ifindex to @master, set its MTU and bring it up
 * Return: 0, or -1 with @err set.
 */
int netlink_link_attach(struct netlink *nl, int ifindex, int master, unsigned mtu, char *err,
			size_t err_size);

#endif
