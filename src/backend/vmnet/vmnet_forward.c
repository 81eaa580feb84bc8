// SPDX-License-Identifier: MIT
/* vmnet_forward.c — port forwarding of a shared-mode vmnet interface, one port at a time */
#include "backend/vmnet/vmnet_forward.h"

#include <stdio.h>
#include <sys/socket.h>

#include "core/log.h"
#include "proto/byteorder.h"

/* How long vmnet may take to answer a forwarding call (it answers on its queue). */
#define VMNET_FORWARD_TIMEOUT_S 5

/*
 * A forwarding call, as call_and_wait() makes it: starts the call with @done as its
 * completion handler and returns vmnet's immediate status.
 */
typedef vmnet_return_t (^forward_call_t)(vmnet_interface_completion_handler_t done);

/**
 * call_and_wait() - make a forwarding call and wait for its completion handler's status
 * @call: the call, given the handler to pass on
 * @status: vmnet's status: the call's own if it failed at once, else the handler's, or
 *          VMNET_FAILURE when the handler did not come within VMNET_FORWARD_TIMEOUT_S
 *
 * Return: 0, or -1 when there was no memory for the wait (nothing was called).
 */
static int call_and_wait(forward_call_t call, vmnet_return_t *status)
{
	__block vmnet_return_t answer = VMNET_FAILURE;
	dispatch_semaphore_t done = dispatch_semaphore_create(0);

	if (!done)
		return -1;
	*status = call(^(vmnet_return_t s) {
		answer = s;
		dispatch_semaphore_signal(done);
	});
	if (*status != VMNET_SUCCESS) {
		dispatch_release(done);
		return 0;
	}
	if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW,
							 VMNET_FORWARD_TIMEOUT_S * NSEC_PER_SEC))) {
		*status = VMNET_FAILURE; /* the semaphore stays: the handler may still come */
		return 0;
	}
	dispatch_release(done);
	*status = answer;
	return 0;
}

/*
 * An interface of a macOS 26 network refuses the interface forwarding calls at once with
 * VMNET_FAILURE (kernova's lab notes, macOS 27.0; Apple Feedback FB24895264): they are
 * not made there. --expose at start takes the classic API (vmnet_link.c).
 */
bool vmnet_forward_refused(const struct vmnet_link *l, char *err, size_t err_size)
{
	if (!l->network)
		return false;
	snprintf(err, err_size, "an interface of a macOS 26 network takes no forwarding rules "
		 "(Apple FB24895264): start sock-vmnet with --expose to forward ports");
	return true;
}

int vmnet_forward_port(struct vmnet_link *l, uint8_t proto, uint16_t host_port, uint32_t vm,
		       uint16_t vm_port, char *err, size_t err_size)
{
	struct in_addr addr = {htonl(vm)};
	vmnet_return_t status;
	forward_call_t add_rule = ^(vmnet_interface_completion_handler_t done) {
#ifdef SVM_VMNET_HAVE_IP_PORT_FORWARDING
		return vmnet_interface_add_ip_port_forwarding_rule(l->iface, proto, host_port,
								   AF_INET, &addr, vm_port, done);
#else /* SDK 11: the IPv4 call of macOS 10.15 */
		return vmnet_interface_add_port_forwarding_rule(l->iface, proto, host_port, addr,
								vm_port, done);
#endif
	};

	if (vmnet_forward_refused(l, err, err_size))
		return -1;
	if (call_and_wait(add_rule, &status) < 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	if (status != VMNET_SUCCESS) {
		snprintf(err, err_size, "vmnet will not forward host port %u/%s: %s", host_port,
			 proto == 17 ? "udp" : "tcp", vmnet_status_name(status));
		return -1;
	}
	return 0;
}

void vmnet_unforward_port(struct vmnet_link *l, uint8_t proto, uint16_t host_port)
{
	vmnet_return_t status;
	forward_call_t remove_rule = ^(vmnet_interface_completion_handler_t done) {
#ifdef SVM_VMNET_HAVE_IP_PORT_FORWARDING
		return vmnet_interface_remove_ip_port_forwarding_rule(l->iface, proto, host_port,
								      AF_INET, done);
#else
		return vmnet_interface_remove_port_forwarding_rule(l->iface, proto, host_port, done);
#endif
	};

	if (l->network)
		return; /* nothing was forwarded there */
	if (call_and_wait(remove_rule, &status) < 0)
		return;
	if (status != VMNET_SUCCESS)
		log_warn("vmnet: forwarding of host port %u/%s stays: %s", host_port,
			 proto == 17 ? "udp" : "tcp", vmnet_status_name(status));
}
