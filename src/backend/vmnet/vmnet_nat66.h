/* SPDX-License-Identifier: MIT */
/* vmnet_nat66.h — the VM's IPv6 prefix as vmnet's NAT66 takes it: the classic key, a macOS 26 network's */
#ifndef SVM_BACKEND_VMNET_VMNET_NAT66_H
#define SVM_BACKEND_VMNET_VMNET_NAT66_H

#include <stddef.h>

#include "backend/backend.h"
#include "vmnet/vmnet_api.h"

/**
 * vmnet_nat66_check() - whether vmnet can take the IPv6 prefix: vmnet_nat66_prefix_key's
 * documentation says "The prefix must be a ULA i.e. start with fd00::/8" (a /64: its length
 * key, deprecated since macOS 11, said "must be 64")
 * Return: 0, or -1 with @err naming --ipv6-prefix.
 */
int vmnet_nat66_check(const struct backend_setup *setup, char *err, size_t err_size);

/**
 * vmnet_nat66_desc() - the classic API's interface description, shared mode: the prefix in
 * vmnet_nat66_prefix_key (its text, "fdxx:...::"), so that the VM's SLAAC addresses (from
 * sock-vmnet's RAs) are the ones vmnet translates. Nothing with --ipv6=off: vmnet's NAT66 then
 * has a random prefix nobody uses, and its RAs are dropped by the guard.
 */
void vmnet_nat66_desc(xpc_object_t desc, const struct backend_setup *setup);

#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
/**
 * vmnet_nat66_network() - a macOS 26 network's IPv6: with --ipv6=on the prefix
 * (vmnet_network_configuration_set_ipv6_prefix(), /64 as socket_vmnet passes it) and vmnet's
 * own router advertisements off (sock-vmnet's responder advertises; the guard drops any
 * other); with --ipv6=off NAT66 off too
 * Return: VMNET_SUCCESS, or what vmnet said of the prefix.
 */
vmnet_return_t vmnet_nat66_network(vmnet_network_configuration_ref conf,
				   const struct backend_setup *setup) API_AVAILABLE(macos(26.0));
#endif

#endif
