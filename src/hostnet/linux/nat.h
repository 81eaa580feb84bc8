/* SPDX-License-Identifier: MIT */
/* nat.h — NAT for the VMs' subnet and IPv6 prefix: forwarding and nftables masquerade tables */
#ifndef SVM_HOSTNET_LINUX_NAT_H
#define SVM_HOSTNET_LINUX_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

#define NAT_TABLE "sock_vmnet"

/**
 * nat_ensure() - masquerade @subnet/@prefix_len leaving through any interface but @bridge
 * @bridge: the VMs' bridge
 * @subnet: the network, host order
 * @prefix_len: its prefix
 * @changed: set to whether anything had to be added (false: all was in place)
 * @err: why not, one line
 * @err_size: size of @err
 *
 * Turns IPv4 forwarding on and installs, in one nftables transaction, the table
 * "ip sock_vmnet" with the subnet and bridge in sets and a single masquerade rule that
 * reads them. Idempotent: any number of instances and subnets share the table.
 *
 * Return: 0, or -1 with @err set.
 */
int nat_ensure(const char *bridge, uint32_t subnet, unsigned prefix_len, bool *changed,
	       char *err, size_t err_size);

/**
 * nat6_ensure() - NAT66: masquerade @prefix leaving through any interface but @bridge
 *
 * As nat_ensure(), in the table "ip6 sock_vmnet". IPv6 forwarding is turned on as IPv4's is,
 * except where the host takes its own IPv6 default route from Router Advertisements on an
 * interface with accept_ra 1, which a forwarding host ignores: then it is an error saying
 * so (the host's own IPv6 is not broken behind its back).
 * Return: 0, or -1 with @err set.
 */
int nat6_ensure(const char *bridge, const struct inet_prefix *prefix, bool *changed, char *err,
		size_t err_size);

#endif
