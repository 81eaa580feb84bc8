/* SPDX-License-Identifier: MIT */
/* vmnet_ident.h — names the vmnet back-end gives: the interface's uuid, the network's id */
#ifndef SVM_VMNET_VMNET_IDENT_H
#define SVM_VMNET_VMNET_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "vmnet/vmnet_config.h"

#define VMNET_UUID_SIZE 16

/**
 * vmnet_interface_uuid() - the vmnet interface identifier of the VM with @mac
 *
 * vmnet hands the same identifier the same interface (its MAC, its host-side identity)
 * again, so a VM restarted with the same --mac meets the same vmnet interface. An RFC 9562
 * version 8 ("custom") uuid: a fixed prefix naming sock-vmnet, then the MAC; distinct for
 * every MAC, the same on every run and every machine, and nothing to store.
 */
void vmnet_interface_uuid(const uint8_t mac[6], uint8_t uuid[VMNET_UUID_SIZE]);

/**
 * vmnet_network_name() - the lease database's name for the network, and one for people
 * @vmnet: mode, bridged interface
 * @subnet: the VM's subnet
 * @id: "vmnet-shared:192.168.64.0/24", "vmnet-bridged:en0:192.168.1.0/24"...: instances on
 *      the same subnet of the same kind share one address pool, whichever vmnet API serves
 *      them
 * @desc: "vmnet shared network 192.168.64.0/24"
 */
void vmnet_network_name(const struct vmnet_config *vmnet, const struct inet_prefix *subnet,
			char *id, size_t id_size, char *desc, size_t desc_size);

#endif
