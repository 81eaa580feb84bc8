// SPDX-License-Identifier: MIT
/* vmnet_forward.c — the simulation's port forwarding: vmnet's rules as the tap back-end's DNAT */
/*
 * vmnet_interface_add_ip_port_forwarding_rule() on a Mac makes vmnet's NAT send a port of
 * every address of the Mac to the VM. Here the same is made of the tap back-end's nftables
 * DNAT rules (backend/linux/forward.c) in the simulation's namespace, on the simulated shared
 * bridge, and the port is held by a socket of the simulation's meanwhile, as vmnet holds it:
 * a second forward of the port is refused (VMNET_FAILURE), like a port another process has.
 */
#include <Block.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostnet/linux/forward.h"
#include "hostnet/port_claim.h"
#include "sim.h"

/**
 * struct sim_forward - one forwarded port
 * @held: the socket that holds the host port
 */
struct sim_forward {
	struct expose e;
	int held;
	struct sim_forward *next;
};

static char owner[FORWARD_TAG_LEN];
static dispatch_queue_t answers; /* vmnet answers on a queue of its own */

static void answer(vmnet_interface_completion_handler_t callback, vmnet_return_t status)
{
	if (!callback)
		return;
	if (!answers)
		answers = dispatch_queue_create("sim.vmnet.forward", DISPATCH_QUEUE_SERIAL);
	callback = Block_copy(callback);
	dispatch_async(answers, ^{
		callback(status);
		Block_release(callback);
	});
}

/*
 * An interface started on a macOS 26 network refuses the interface forwarding calls at
 * once with VMNET_FAILURE, its completion handler never called (kernova's lab notes,
 * macOS 27.0, 2026-09-22, "Forwarding rules can only be set at creation for a VZ guest";
 * Apple Feedback FB24895264), while an interface of vmnet_start_interface() in the same
 * process takes them.
 */
static vmnet_return_t network_refuses(void)
{
	sim_log("forwarding call on a network's interface: VMNET_FAILURE (FB24895264)");
	return VMNET_FAILURE;
}

vmnet_return_t vmnet_interface_add_ip_port_forwarding_rule(interface_ref iface, uint8_t protocol,
							   uint16_t external_port,
							   uint8_t address_family,
							   const void *internal_address,
							   uint16_t internal_port,
							   vmnet_interface_completion_handler_t callback)
{
	struct sim_forward *f;
	uint32_t vm;
	char err[300];

	if (!iface || atomic_load(&iface->stopped))
		return VMNET_INVALID_ACCESS;
	if (iface->network)
		return network_refuses();
	if (!internal_address || address_family != AF_INET || (protocol != 6 && protocol != 17) ||
	    !external_port || !internal_port || !iface->shared)
		return VMNET_INVALID_ARGUMENT;
	vm = ntohl(((const struct in_addr *)internal_address)->s_addr);
	f = calloc(1, sizeof(*f));
	if (!f)
		return VMNET_MEM_FAILURE;
	f->e = (struct expose){.host_lo = external_port, .host_hi = external_port,
			       .vm_lo = internal_port, .vm_hi = internal_port, .proto = protocol};
	if (!owner[0]) {
		forward_owner_tag(owner, sizeof(owner));
		forward_prune(err, sizeof(err));
	}
	f->held = port_claim(&f->e, external_port);
	if (f->held < 0 ||
	    forward_add(sim_config()->bridge, &f->e, vm, owner, err, sizeof(err)) < 0) {
		sim_log("forward %u/%s: %s", external_port, protocol == 6 ? "tcp" : "udp",
			f->held < 0 ? strerror(-f->held) : err);
		if (f->held >= 0)
			close(f->held);
		free(f);
		answer(callback, VMNET_FAILURE);
		return VMNET_SUCCESS;
	}
	pthread_mutex_lock(&iface->lock);
	f->next = iface->forwards;
	iface->forwards = f;
	pthread_mutex_unlock(&iface->lock);
	sim_log("forward %u/%s -> %08x:%u", external_port, protocol == 6 ? "tcp" : "udp", vm,
		internal_port);
	answer(callback, VMNET_SUCCESS);
	return VMNET_SUCCESS;
}

static void forward_free(struct sim_forward *f)
{
	char err[300];

	if (forward_del(&f->e, owner, err, sizeof(err)) < 0)
		sim_log("unforward: %s", err);
	close(f->held);
	free(f);
}

vmnet_return_t vmnet_interface_remove_ip_port_forwarding_rule(interface_ref iface, uint8_t protocol,
							      uint16_t external_port,
							      uint8_t address_family,
							      vmnet_interface_completion_handler_t callback)
{
	struct sim_forward *found = NULL;

	if (!iface || atomic_load(&iface->stopped))
		return VMNET_INVALID_ACCESS;
	if (iface->network)
		return network_refuses();
	if (address_family != AF_INET)
		return VMNET_INVALID_ARGUMENT;
	pthread_mutex_lock(&iface->lock);
	for (struct sim_forward **p = &iface->forwards; *p; p = &(*p)->next)
		if ((*p)->e.proto == protocol && (*p)->e.host_lo == external_port) {
			found = *p;
			*p = found->next;
			break;
		}
	pthread_mutex_unlock(&iface->lock);
	if (found)
		forward_free(found);
	answer(callback, found ? VMNET_SUCCESS : VMNET_INVALID_ARGUMENT);
	return VMNET_SUCCESS;
}

void sim_forwards_stop(struct vmnet_interface *iface)
{
	pthread_mutex_lock(&iface->lock);
	struct sim_forward *f = iface->forwards;

	iface->forwards = NULL;
	pthread_mutex_unlock(&iface->lock);
	while (f) {
		struct sim_forward *next = f->next;

		forward_free(f);
		f = next;
	}
}
