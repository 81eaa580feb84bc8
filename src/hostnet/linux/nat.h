/* SPDX-License-Identifier: MIT */
/* nat.h — NAT for the VMs' subnet: IPv4 forwarding and an nftables masquerade table */
#ifndef SVM_HOSTNET_LINUX_NAT_H
#define SVM_HOSTNET_LINUX_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
