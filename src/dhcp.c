// SPDX-License-Identifier: MIT
/* dhcp.c — DHCPv4 server for the VM */
#include "dhcp.h"

#include <stdlib.h>

/* Placeholder until the DHCP issue lands: answers nothing. */
struct dhcp_server {
	uint32_t vm_addr;
};

struct dhcp_server *dhcp_server_new(const struct config *cfg, char *err, size_t err_size)
{
	(void)cfg;
	(void)err;
	(void)err_size;
	return calloc(1, sizeof(struct dhcp_server));
}

void dhcp_server_free(struct dhcp_server *s)
{
	free(s);
}

size_t dhcp_server_handle(struct dhcp_server *s, const struct frame_view *v, uint8_t *reply,
			  size_t reply_size, enum drop_reason *drop)
{
	(void)s;
	(void)v;
	(void)reply;
	(void)reply_size;
	*drop = DROP_DHCP_IGNORED;
	return 0;
}

uint32_t dhcp_server_vm_address(const struct dhcp_server *s)
{
	return s->vm_addr;
}
