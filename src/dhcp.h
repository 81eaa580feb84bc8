/* SPDX-License-Identifier: MIT */
/* dhcp.h — DHCPv4 server for the VM */
#ifndef SVM_DHCP_H
#define SVM_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "drop_reason.h"
#include "frame.h"
#include "options.h"

struct dhcp_server;

/**
 * dhcp_server_new() - open the lease database and get ready to serve the VM
 * @cfg: the command line
 * @err: why it failed, one line (e.g. "--lease-db: ... is not a database")
 * @err_size: size of @err
 * Return: the server, or NULL with @err set.
 */
struct dhcp_server *dhcp_server_new(const struct config *cfg, char *err, size_t err_size);

/** dhcp_server_free() - release the VM's lease and close the database */
void dhcp_server_free(struct dhcp_server *s);

/**
 * dhcp_server_handle() - answer one DHCP client message from the VM
 * @s: the server
 * @v: the frame (the guard said GUARD_DHCP: UDP to port 67 from the VM's MAC)
 * @reply: where to build the answer, a whole Ethernet frame for the VM
 * @reply_size: its size
 * @drop: set when the message is not answered and should be counted as dropped
 * Return: the reply frame's length, 0 when there is none.
 */
size_t dhcp_server_handle(struct dhcp_server *s, const struct frame_view *v, uint8_t *reply,
			  size_t reply_size, enum drop_reason *drop);

/** dhcp_server_vm_address() - the address the VM holds now, host order; 0 for none */
uint32_t dhcp_server_vm_address(const struct dhcp_server *s);

#endif
