/* SPDX-License-Identifier: MIT */
/* vmnet_forward.h — port forwarding of a shared-mode vmnet interface, one port at a time */
#ifndef SVM_BACKEND_VMNET_VMNET_FORWARD_H
#define SVM_BACKEND_VMNET_VMNET_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/vmnet/vmnet_link.h"

/**
 * vmnet_forward_refused() - whether @l's interface takes no forwarding rule at all (it is
 * a macOS 26 network's), with @err saying so and what to do instead
 */
bool vmnet_forward_refused(const struct vmnet_link *l, char *err, size_t err_size);

/**
 * vmnet_forward_port() - the Mac's @host_port (@proto 6 or 17) to @vm:@vm_port, and wait for
 * vmnet's answer
 * Return: 0, or -1 with @err set (vmnet's status).
 */
int vmnet_forward_port(struct vmnet_link *l, uint8_t proto, uint16_t host_port, uint32_t vm,
		       uint16_t vm_port, char *err, size_t err_size);

/** vmnet_unforward_port() - stop forwarding @host_port (waits for vmnet; failures logged) */
void vmnet_unforward_port(struct vmnet_link *l, uint8_t proto, uint16_t host_port);

#endif
