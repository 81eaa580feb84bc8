// SPDX-License-Identifier: MIT
/* vmnet_ident.c — the vmnet interface's uuid from the VM's MAC, the network's name from the config */
#include "vmnet/vmnet_ident.h"

#include <stdio.h>
#include <string.h>

/* "svmnet": the first six bytes of every interface uuid sock-vmnet makes */
static const uint8_t uuid_prefix[6] = {0x73, 0x76, 0x6d, 0x6e, 0x65, 0x74};

void vmnet_interface_uuid(const uint8_t mac[6], uint8_t uuid[VMNET_UUID_SIZE])
{
	memcpy(uuid, uuid_prefix, sizeof(uuid_prefix));
	uuid[6] = 0x80; /* version 8 in the high nibble; the low nibble and byte 7: layout 1 */
	uuid[7] = 0x01;
	uuid[8] = 0x80; /* variant 10 (RFC 9562) */
	uuid[9] = 0x00;
	memcpy(uuid + 10, mac, 6);
}

static const char *mode_name(enum vmnet_mode_kind mode)
{
	return mode == VMNET_MODE_HOST ? "host" : mode == VMNET_MODE_BRIDGED ? "bridged" : "shared";
}

void vmnet_network_name(const struct vmnet_config *vmnet, const struct inet_prefix *subnet,
			char *id, size_t id_size, char *desc, size_t desc_size)
{
	char net[IPV4_TEXT_LEN];
	const char *mode = mode_name(vmnet->mode);
	bool bridged = vmnet->mode == VMNET_MODE_BRIDGED;

	ipv4_format(inet_v4(&subnet->addr), net);
	snprintf(id, id_size, "vmnet-%s:%s%s%s/%u", mode, bridged ? vmnet->interface : "",
		 bridged ? ":" : "", net, (unsigned)subnet->len);
	snprintf(desc, desc_size, "vmnet %s network %s/%u%s%s", mode, net, (unsigned)subnet->len,
		 bridged ? " on " : "", bridged ? vmnet->interface : "");
}
