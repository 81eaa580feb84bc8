// SPDX-License-Identifier: MIT
/* guard.c — decides, frame by frame, what may pass between the VM and the host */
#include "guard.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

void guard_init(struct guard *g, const struct config *cfg)
{
	*g = (struct guard){.cfg = cfg};
}

void guard_set_vm_address(struct guard *g, uint32_t addr)
{
	g->vm_addr = addr;
}

enum guard_action guard_vm_frame(const struct guard *g, const struct frame_view *v,
				 enum drop_reason *reason)
{
	if (v->len > ETH_HDR_LEN + g->cfg->mtu) {
		*reason = DROP_OVERSIZE;
		return GUARD_DROP;
	}
	if (!mac_equal(v->src_mac, g->cfg->mac)) {
		*reason = DROP_SRC_MAC;
		return GUARD_DROP;
	}
	if (v->ip && v->ip_proto == IPPROTO_UDP_ && v->l4 && v->dst_port == DHCP_SERVER_PORT &&
	    v->src_port == DHCP_CLIENT_PORT)
		return GUARD_DHCP;
	return GUARD_PASS;
}

enum guard_action guard_host_frame(const struct guard *g, const struct frame_view *v,
				   enum drop_reason *reason)
{
	if (!mac_is_multicast(v->dst_mac) && !mac_equal(v->dst_mac, g->cfg->mac)) {
		*reason = DROP_NOT_FOR_VM;
		return GUARD_DROP;
	}
	return GUARD_PASS;
}
