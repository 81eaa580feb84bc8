// SPDX-License-Identifier: MIT
/* vmnet_nat66.c — the VM's IPv6 prefix as vmnet's NAT66 takes it: the classic key, a macOS 26 network's */
#include "backend/vmnet/vmnet_nat66.h"

#include <stdio.h>
#include <string.h>

#include "proto/addr.h"

/*
 * What vmnet documents (SDK vmnet.h, developer.apple.com/documentation/vmnet; the notes in
 * /tmp/research/issue20.md, "For the later IPv6 issue"): the classic API's
 * vmnet_nat66_prefix_key (macOS 10.15) is shared mode's NAT66 prefix as a string, a ULA in
 * fd00::/8; a macOS 26 network has NAT66 and router advertisements on and a random ULA
 * prefix by default, vmnet_network_configuration_set_ipv6_prefix() to choose it,
 * …_disable_nat66() and …_disable_router_advertisement() to turn them off. What vmnet's
 * NAT66 does with its router advertisements off, and whether another length than 64 is
 * taken, nobody has reported: a Mac must confirm it (README).
 */

int vmnet_nat66_check(const struct backend_setup *setup, char *err, size_t err_size)
{
	char text[INET_TEXT_LEN];

	if (!setup->net6->enabled || setup->net6->prefix.addr.b[0] == 0xfd)
		return 0;
	inet_format(&setup->net6->prefix.addr, text);
	snprintf(err, err_size, "--ipv6-prefix: vmnet's NAT66 takes a unique local prefix in "
		 "fd00::/8, not %s/%u", text, setup->net6->prefix.len);
	return -1;
}

void vmnet_nat66_desc(xpc_object_t desc, const struct backend_setup *setup)
{
	char text[INET_TEXT_LEN];

	if (!setup->net6->enabled || setup->backend->vmnet.mode != VMNET_MODE_SHARED)
		return;
	inet_format(&setup->net6->prefix.addr, text);
	xpc_dictionary_set_string(desc, vmnet_nat66_prefix_key, text);
}

#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
vmnet_return_t vmnet_nat66_network(vmnet_network_configuration_ref conf,
				   const struct backend_setup *setup)
{
	struct in6_addr prefix;

	vmnet_network_configuration_disable_router_advertisement(conf);
	if (!setup->net6->enabled) {
		vmnet_network_configuration_disable_nat66(conf);
		return VMNET_SUCCESS;
	}
	memcpy(&prefix, setup->net6->prefix.addr.b, sizeof(prefix));
	return vmnet_network_configuration_set_ipv6_prefix(conf, &prefix, setup->net6->prefix.len);
}
#endif
