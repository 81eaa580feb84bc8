// SPDX-License-Identifier: MIT
/* vmnet_forward.c — port forwarding of a shared-mode vmnet interface, one port at a time */
#include "backend/vmnet/vmnet_forward.h"

#include <stdio.h>
#include <sys/socket.h>

#include "core/log.h"
#include "proto/byteorder.h"

/* How long vmnet may take to answer a forwarding call (it answers on its queue). */
#define VMNET_FORWARD_TIMEOUT_S 5

/* Wait for a completion handler's status; VMNET_FAILURE when none came in time. */
static vmnet_return_t wait_for(dispatch_semaphore_t done, const vmnet_return_t *status)
{
	if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW,
							 VMNET_FORWARD_TIMEOUT_S * NSEC_PER_SEC)))
		return VMNET_FAILURE; /* the semaphore stays: the handler may still come */
	dispatch_release(done);
	return *status;
}

int vmnet_forward_port(struct vmnet_link *l, uint8_t proto, uint16_t host_port, uint32_t vm,
		       uint16_t vm_port, char *err, size_t err_size)
{
	__block vmnet_return_t answer = VMNET_FAILURE;
	dispatch_semaphore_t done = dispatch_semaphore_create(0);
	struct in_addr addr = {htonl(vm)};
	vmnet_return_t status;

	if (!done) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	status = vmnet_interface_add_ip_port_forwarding_rule(l->iface, proto, host_port, AF_INET,
							     &addr, vm_port,
							     ^(vmnet_return_t s) {
								     answer = s;
								     dispatch_semaphore_signal(done);
							     });
	if (status == VMNET_SUCCESS)
		status = wait_for(done, &answer);
	else
		dispatch_release(done);
	if (status != VMNET_SUCCESS) {
		snprintf(err, err_size, "vmnet will not forward host port %u/%s: %s", host_port,
			 proto == 17 ? "udp" : "tcp", vmnet_status_name(status));
		return -1;
	}
	return 0;
}

void vmnet_unforward_port(struct vmnet_link *l, uint8_t proto, uint16_t host_port)
{
	__block vmnet_return_t answer = VMNET_FAILURE;
	dispatch_semaphore_t done = dispatch_semaphore_create(0);
	vmnet_return_t status;

	if (!done)
		return;
	status = vmnet_interface_remove_ip_port_forwarding_rule(l->iface, proto, host_port, AF_INET,
								^(vmnet_return_t s) {
									answer = s;
									dispatch_semaphore_signal(done);
								});
	if (status == VMNET_SUCCESS)
		status = wait_for(done, &answer);
	else
		dispatch_release(done);
	if (status != VMNET_SUCCESS)
		log_warn("vmnet: forwarding of host port %u/%s stays: %s", host_port,
			 proto == 17 ? "udp" : "tcp", vmnet_status_name(status));
}
