// SPDX-License-Identifier: MIT
/* sim_host.c — the host side of a simulated vmnet interface: bridge, NAT, and a TAP "vmenetN" */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostnet/linux/nat.h"
#include "hostnet/linux/netlink.h"
#include "proto/ndp_msg.h"
#include "sim.h"

#define TUN_PATH "/dev/net/tun"
/* macOS names a vmnet interface's host end vmenetN */
#define TAP_NAME_PATTERN "vmenet%d"
/* IPv4 TSO and checksums left partial: what vmnet's TSO and checksum offload hand over */
#define SIM_TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4)

static vmnet_return_t status_of_errno(int e)
{
	return e == EPERM || e == EACCES ? VMNET_NOT_AUTHORIZED
	       : e == ENOMEM		 ? VMNET_MEM_FAILURE
					 : VMNET_FAILURE;
}

static vmnet_return_t tap_create(struct sim_host *h, bool offload)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0)};
	int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0) {
		e = errno;
		sim_log("cannot open %s: %s", TUN_PATH, strerror(e));
		return status_of_errno(e);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME_PATTERN);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (offload && ioctl(fd, TUNSETOFFLOAD, (unsigned long)SIM_TAP_OFFLOADS) < 0)) {
		e = errno;
		sim_log("cannot create a TAP: %s", strerror(e));
		close(fd);
		return status_of_errno(e);
	}
	snprintf(h->name, sizeof(h->name), "%s", ifr.ifr_name);
	h->fd = fd;
	h->vnet = offload;
	return VMNET_SUCCESS;
}

/* Shared mode's IPv6: the bridge holds the prefix's ::1 and fe80::1, the prefix masqueraded. */
static int nat66_ensure(struct netlink *nl, int index, const char *bridge,
			const struct sim_net *net, char *why, size_t why_size)
{
	struct inet_prefix prefix = {net->prefix6, 64};
	struct inet_addr gw = net->prefix6, ll = {{0xfe, 0x80, [15] = 1}};
	unsigned made = 0;
	bool changed;

	gw.b[15] = 1;
	if (netlink_bridge_ensure6(nl, index, bridge, &prefix, &gw, &ll, &made, why, why_size) < 0)
		return -1;
	return nat6_ensure(bridge, &prefix, &changed, why, why_size);
}

/* vmnet's own router advertisement of its prefix, from the bridge's link-local address. */
void sim_host_advertise(struct sim_host *h)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6,
				 .sll_addr = {0x33, 0x33, 0, 0, 0, 1}};
	struct netlink_link br;
	struct netlink *nl;
	char err[200];
	uint8_t frame[NDP_RA_FRAME_MAX];
	struct ip_ends e = {.dst_mac = to.sll_addr, .dst = {{0xff, 0x02, [15] = 1}}};
	struct ndp_ra ra = {.hop_limit = 64, .router_lifetime = 1800, .prefix = {h->prefix6, 64},
			    .valid = 2592000, .preferred = 604800};

	if (!h->ra || h->ra_fd < 0)
		return;
	h->ra = false;
	nl = netlink_open(err, sizeof(err));
	if (!nl || netlink_link_get(nl, h->bridge, 0, &br) < 0) {
		netlink_close(nl);
		return;
	}
	netlink_close(nl);
	inet6_link_local_of_mac(br.mac, &e.src);
	e.src_mac = br.mac;
	ra.sllao = br.mac;
	to.sll_ifindex = br.ifindex;
	if (sendto(h->ra_fd, frame, ndp_build_ra(frame, &e, &ra), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		sim_log("router advertisement: %s", strerror(errno));
}

/* The bridge the TAP joins: shared and host mode's (made with the gateway), or bridged's. */
static int bridge_index(struct netlink *nl, const struct sim_net *net, const char **name)
{
	const struct sim_config *c = sim_config();
	struct netlink_link bridge;
	unsigned made;
	bool nat_changed;
	char why[400];
	int index;

	if (net->mode == VMNET_BRIDGED_MODE) {
		*name = net->bridged_if;
		index = (int)if_nametoindex(net->bridged_if);
		if (index <= 0)
			sim_log("bridged: no interface \"%s\"", net->bridged_if);
		return index > 0 ? index : -1;
	}
	*name = c->bridge;
	index = netlink_bridge_ensure(nl, c->bridge, net->gateway, net->prefix_len, &bridge, &made,
				      why, sizeof(why)) < 0
			? -1
			: bridge.ifindex;
	if (index < 0)
		sim_log("bridge %s: %s", c->bridge, why);
	else if (net->nat && nat_ensure(c->bridge, net->gateway & ~(UINT32_MAX >> net->prefix_len),
					net->prefix_len, &nat_changed, why, sizeof(why)) < 0) {
		sim_log("NAT: %s", why);
		index = -1;
	} else if (net->nat66 && nat66_ensure(nl, index, c->bridge, net, why, sizeof(why)) < 0) {
		sim_log("NAT66: %s", why);
		index = -1;
	}
	return index;
}

vmnet_return_t sim_host_open(struct sim_host *h, const struct sim_net *net, unsigned mtu,
			     bool offload)
{
	char err[400];
	const char *bridge = "";
	struct netlink *nl = netlink_open(err, sizeof(err));
	vmnet_return_t status;
	int master, index;

	h->fd = h->ra_fd = -1;
	if (!nl) {
		sim_log("%s", err);
		return VMNET_FAILURE;
	}
	master = bridge_index(nl, net, &bridge);
	status = master < 0 ? (net->mode == VMNET_BRIDGED_MODE ? VMNET_INVALID_ARGUMENT
							       : VMNET_SHARING_SERVICE_BUSY)
			    : tap_create(h, offload);
	if (status == VMNET_SUCCESS) {
		index = (int)if_nametoindex(h->name);
		if (index <= 0 || netlink_link_attach(nl, index, master, mtu, err, sizeof(err)) < 0) {
			sim_log("%s: %s", h->name, index <= 0 ? "vanished" : err);
			sim_host_close(h);
			status = VMNET_FAILURE;
		}
	}
	netlink_close(nl);
	h->ra = net->ra;
	if (h->ra && status == VMNET_SUCCESS &&
	    (h->ra_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) < 0)
		sim_log("router advertisement: %s", strerror(errno));
	h->prefix6 = net->prefix6;
	snprintf(h->bridge, sizeof(h->bridge), "%s", bridge);
	if (status == VMNET_SUCCESS)
		sim_log("ready interface=%s bridge=%s mtu=%u offload=%s", h->name, bridge, mtu,
			offload ? "tso,csum" : "off");
	return status;
}

void sim_host_close(struct sim_host *h)
{
	/* not persistent: the TAP goes with its descriptor */
	if (h->fd >= 0)
		close(h->fd);
	if (h->ra_fd >= 0)
		close(h->ra_fd);
	h->fd = h->ra_fd = -1;
}
