// SPDX-License-Identifier: MIT
/* vmnet_network.c — simulated macOS 26 network objects: a configured network, interfaces on it */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

enum object_kind { OBJ_CONFIGURATION = 0x434f4e46, OBJ_NETWORK = 0x4e455457 };

/**
 * struct vmnet_network_configuration - what vmnet_network_create() is asked for
 * @dhcp, @dns_proxy: vmnet's own services, on unless disabled (the simulation runs neither:
 *                    it only records what it was told, and logs it)
 * @subnet, @mask: host order; vmnet's default is "a /24 under 192.168/16"
 * @nat66, @ra, @prefix6: IPv6: "NAT66: enabled", "Router advertisement: enabled", "IPv6
 *                        prefix: random ULA prefix" (vmnet_network_configuration_create())
 */
struct vmnet_network_configuration {
	enum object_kind kind;
	vmnet_mode_t mode;
	bool dhcp, dns_proxy;
	uint32_t subnet, mask;
	uint32_t mtu;
	bool nat66, ra;
	struct inet_addr prefix6;
};

struct vmnet_network {
	enum object_kind kind;
	struct vmnet_network_configuration config;
};

static bool has_network_objects(void)
{
	return sim_config()->macos_major >= 26;
}

/* The simulation's own: which macOS it plays (the back-end asks it what __builtin_available would). */
bool vmnet_sim_has_network_objects(void)
{
	return has_network_objects();
}

vmnet_network_configuration_ref vmnet_network_configuration_create(vmnet_mode_t mode,
								   vmnet_return_t *status)
{
	struct vmnet_network_configuration *c;

	if (!has_network_objects())
		sim_fatal("vmnet_network_configuration_create() called on simulated macOS %u",
			  sim_config()->macos_major);
	if (mode != VMNET_SHARED_MODE && mode != VMNET_HOST_MODE) {
		if (status)
			*status = VMNET_INVALID_ARGUMENT;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		if (status)
			*status = VMNET_MEM_FAILURE;
		return NULL;
	}
	*c = (struct vmnet_network_configuration){.kind = OBJ_CONFIGURATION, .mode = mode,
						  .dhcp = true, .dns_proxy = true,
						  .subnet = 0xc0a84000, .mask = 0xffffff00,
						  .mtu = 1500, .nat66 = true, .ra = true};
	sim_random_ula(&c->prefix6);
	if (status)
		*status = VMNET_SUCCESS;
	return c;
}

void vmnet_network_configuration_disable_dhcp(vmnet_network_configuration_ref config)
{
	config->dhcp = false;
}

void vmnet_network_configuration_disable_dns_proxy(vmnet_network_configuration_ref config)
{
	config->dns_proxy = false;
}

vmnet_return_t vmnet_network_configuration_set_ipv4_subnet(vmnet_network_configuration_ref config,
							   const struct in_addr *subnet_addr,
							   const struct in_addr *subnet_mask)
{
	uint32_t addr = ntohl(subnet_addr->s_addr), mask = ntohl(subnet_mask->s_addr);

	/* contiguous, and room for the reserved first, second (host) and last addresses */
	if ((~mask & (~mask + 1)) != 0 || __builtin_popcount(mask) > 29 ||
	    __builtin_popcount(mask) < 8)
		return VMNET_INVALID_ARGUMENT;
	config->subnet = addr & mask;
	config->mask = mask;
	return VMNET_SUCCESS;
}

vmnet_return_t vmnet_network_configuration_set_mtu(vmnet_network_configuration_ref config,
						   uint32_t mtu)
{
	config->mtu = mtu;
	return VMNET_SUCCESS;
}

/*
 * Only a /64 in fd00::/8: the one length anyone is known to pass (socket_vmnet: 64) and the
 * classic key's documented range; anything else is refused here until a Mac says more.
 */
vmnet_return_t vmnet_network_configuration_set_ipv6_prefix(vmnet_network_configuration_ref config,
							   const struct in6_addr *prefix,
							   uint8_t prefix_len)
{
	struct inet_addr a;
	static const uint8_t zero[8];

	memcpy(a.b, prefix, 16);
	if (prefix_len != 64 || a.b[0] != 0xfd || memcmp(a.b + 8, zero, 8))
		return VMNET_INVALID_ARGUMENT;
	config->prefix6 = a;
	return VMNET_SUCCESS;
}

void vmnet_network_configuration_disable_nat66(vmnet_network_configuration_ref config)
{
	config->nat66 = false;
}

void vmnet_network_configuration_disable_router_advertisement(vmnet_network_configuration_ref config)
{
	config->ra = false;
}

vmnet_network_ref vmnet_network_create(vmnet_network_configuration_ref configuration,
				       vmnet_return_t *status)
{
	struct vmnet_network *n = calloc(1, sizeof(*n));

	if (!n) {
		if (status)
			*status = VMNET_MEM_FAILURE;
		return NULL;
	}
	n->kind = OBJ_NETWORK;
	n->config = *configuration;
	if (status)
		*status = VMNET_SUCCESS;
	return n;
}

interface_ref vmnet_interface_start_with_network(vmnet_network_ref network,
						 xpc_object_t desc, dispatch_queue_t queue,
						 vmnet_start_interface_completion_handler_t start_block)
{
	const struct vmnet_network_configuration *c = &network->config;
	/* Apple: "the second address is reserved for the host" */
	struct sim_net net = {.mode = c->mode, .gateway = c->subnet + 1,
			      .prefix_len = (unsigned)__builtin_popcount(c->mask),
			      .nat = c->mode == VMNET_SHARED_MODE,
			      .nat66 = c->mode == VMNET_SHARED_MODE && c->nat66,
			      .ra = c->mode == VMNET_SHARED_MODE && c->nat66 && c->ra,
			      .prefix6 = c->prefix6};

	if (!desc || !queue || !start_block)
		return NULL;
	sim_log("network mode=%s dhcp=%s dns_proxy=%s nat66=%s ra=%s",
		c->mode == VMNET_SHARED_MODE ? "shared" : "host", c->dhcp ? "on" : "off",
		c->dns_proxy ? "on" : "off", net.nat66 ? "on" : "off", net.ra ? "on" : "off");
	return sim_interface_start(&net, desc, queue, start_block);
}

void CFRelease(const void *object)
{
	const enum object_kind *kind = object;

	if (*kind != OBJ_CONFIGURATION && *kind != OBJ_NETWORK)
		sim_fatal("CFRelease() of an object the simulation did not make");
	free((void *)object);
}
