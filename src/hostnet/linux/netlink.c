// SPDX-License-Identifier: MIT
/* netlink.c — the host's links and addresses, configured over rtnetlink (libmnl) */
#include "hostnet/linux/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/addr.h"

struct netlink {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char buf[32768]; /* MNL_SOCKET_DUMP_SIZE: libmnl's advice for dumps */
};

struct netlink *netlink_open(char *err, size_t err_size)
{
	/* not calloc(): the 32 KiB buffer stays untouched (not resident) until used */
	struct netlink *nl = malloc(sizeof(*nl));

	if (!nl) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_size, "netlink: %s", strerror(errno));
		if (nl->sock)
			mnl_socket_close(nl->sock);
		free(nl);
		return NULL;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return nl;
}

void netlink_close(struct netlink *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

static struct nlmsghdr *new_request(struct netlink *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/**
 * transact() - send @nlh and run @cb over every answer until the ack or the dump's end
 * Return: 0, or -errno from the kernel's answer.
 */
static int transact(struct netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned seq = nlh->nlmsg_seq;
	int r;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));

		if (n < 0)
			return -errno;
		r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

void netlink_link_parse(const struct nlmsghdr *nlh, struct netlink_link *link)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {0};

	*link = (struct netlink_link){.ifindex = ifi->ifi_index, .up = ifi->ifi_flags & IFF_UP};
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) ||
	    mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0)
		return;
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		snprintf(link->name, sizeof(link->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MASTER] && mnl_attr_validate(tb[IFLA_MASTER], MNL_TYPE_U32) == 0)
		link->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(link->mac))
		memcpy(link->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(link->mac));
	if (tb[IFLA_IFALIAS] && mnl_attr_validate(tb[IFLA_IFALIAS], MNL_TYPE_NUL_STRING) == 0)
		snprintf(link->alias, sizeof(link->alias), "%s", mnl_attr_get_str(tb[IFLA_IFALIAS]));
	if (tb[IFLA_STATS64] &&
	    mnl_attr_get_payload_len(tb[IFLA_STATS64]) >= sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 st;

		memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS64]), sizeof(st));
		link->tx_dropped = st.tx_dropped;
	}
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *kind;

		mnl_attr_for_each_nested(kind, tb[IFLA_LINKINFO])
			if (mnl_attr_get_type(kind) == IFLA_INFO_KIND &&
			    mnl_attr_validate(kind, MNL_TYPE_NUL_STRING) == 0 &&
			    strcmp(mnl_attr_get_str(kind), "bridge") == 0)
				link->is_bridge = true;
	}
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	netlink_link_parse(nlh, data);
	return MNL_CB_OK;
}

int netlink_link_get(struct netlink *nl, const char *name, int ifindex,
		     struct netlink_link *link)
{
	struct nlmsghdr *nlh = new_request(nl, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	int r;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*link = (struct netlink_link){0};
	r = transact(nl, nlh, link_cb, link);
	if (r == 0 && link->ifindex == 0)
		r = -ENODEV;
	return r;
}

struct port_count {
	int bridge, except, count;
	const char *prefix;
};

static int port_cb(const struct nlmsghdr *nlh, void *data)
{
	struct port_count *pc = data;
	struct netlink_link link;

	netlink_link_parse(nlh, &link);
	if (link.master == pc->bridge && link.ifindex != pc->except &&
	    strncmp(link.name, pc->prefix, strlen(pc->prefix)) == 0)
		pc->count++;
	return MNL_CB_OK;
}

int netlink_bridge_port_count(struct netlink *nl, int bridge, int except, const char *prefix)
{
	struct nlmsghdr *nlh = new_request(nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct port_count pc = {.bridge = bridge, .except = except, .prefix = prefix};
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)bridge); /* the kernel filters the dump */
	r = transact(nl, nlh, port_cb, &pc);
	return r < 0 ? r : pc.count;
}

int netlink_link_set_alias(struct netlink *nl, int ifindex, const char *alias)
{
	struct nlmsghdr *nlh = new_request(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return transact(nl, nlh, NULL, NULL);
}

/*
 * A bridge takes the lowest MAC of its ports unless it was given one, so its MAC, the
 * gateway's, would change whenever a VM comes or goes and every other VM would lose the
 * gateway until its ARP entry expired. A fixed, locally administered address avoids
 * that: 02:73:76 ("sv") followed by the low three bytes of the gateway address.
 */
static void gateway_mac(uint32_t gateway, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x73;
	mac[2] = 0x76;
	mac[3] = (uint8_t)(gateway >> 16);
	mac[4] = (uint8_t)(gateway >> 8);
	mac[5] = (uint8_t)gateway;
}

static int create_bridge(struct netlink *nl, const char *name, uint32_t gateway)
{
	uint8_t mac[6];
	struct nlmsghdr *nlh =
		new_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	gateway_mac(gateway, mac);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return transact(nl, nlh, NULL, NULL);
}

static int set_link(struct netlink *nl, int ifindex, int master, unsigned mtu)
{
	struct nlmsghdr *nlh = new_request(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return transact(nl, nlh, NULL, NULL);
}

struct addr_scan {
	int bridge_ifindex;
	uint32_t gateway, subnet_mask;
	unsigned prefix_len;
	bool have_gateway;
	char conflict[96]; /* the first conflicting address found, as text */
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_scan *scan = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct nlattr *a;
	uint32_t addr, their_mask;
	char text[IPV4_TEXT_LEN];

	if (ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return MNL_CB_OK;
	addr = ntohl(mnl_attr_get_u32(a));
	if ((int)ifa->ifa_index == scan->bridge_ifindex && addr == scan->gateway &&
	    ifa->ifa_prefixlen == scan->prefix_len) {
		scan->have_gateway = true;
		return MNL_CB_OK;
	}
	/* Any other address whose subnet overlaps ours would steal or split the VMs' traffic. */
	their_mask = ipv4_prefix_mask(ifa->ifa_prefixlen);
	if (!scan->conflict[0] && ((addr & scan->subnet_mask) == (scan->gateway & scan->subnet_mask) ||
				   (addr & their_mask) == (scan->gateway & their_mask))) {
		char name[IF_NAMESIZE] = "?";

		if_indextoname(ifa->ifa_index, name);
		ipv4_format(addr, text);
		snprintf(scan->conflict, sizeof(scan->conflict), "%s/%u on %s", text,
			 ifa->ifa_prefixlen, name);
	}
	return MNL_CB_OK;
}

static int add_gateway(struct netlink *nl, int ifindex, uint32_t gateway, unsigned prefix_len)
{
	struct nlmsghdr *nlh =
		new_request(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t mask = ipv4_prefix_mask(prefix_len);

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix_len;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(gateway));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(gateway));
	mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl((gateway & mask) | ~mask));
	return transact(nl, nlh, NULL, NULL);
}

static int scan_addresses(struct netlink *nl, struct addr_scan *scan)
{
	struct nlmsghdr *nlh = new_request(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	return transact(nl, nlh, addr_cb, scan);
}

int netlink_bridge_ensure(struct netlink *nl, const char *name, uint32_t gateway,
			  unsigned prefix_len, struct netlink_link *bridge, unsigned *made, char *err,
			  size_t err_size)
{
	struct netlink_link li;
	struct addr_scan scan = {.gateway = gateway, .prefix_len = prefix_len,
				 .subnet_mask = ipv4_prefix_mask(prefix_len)};
	char gw[IPV4_TEXT_LEN];
	int r;

	*made = 0;
	ipv4_format(gateway, gw);
	r = create_bridge(nl, name, gateway);
	if (r < 0 && r != -EEXIST) {
		snprintf(err, err_size, "cannot create \"%s\": %s", name, strerror(-r));
		return -1;
	}
	if (r == 0)
		*made |= NETLINK_MADE_BRIDGE;
	r = netlink_link_get(nl, name, 0, &li);
	if (r < 0) {
		snprintf(err, err_size, "\"%s\" cannot be read: %s", name, strerror(-r));
		return -1;
	}
	if (!li.is_bridge) {
		snprintf(err, err_size, "\"%s\" exists and is not a bridge", name);
		return -1;
	}
	scan.bridge_ifindex = li.ifindex;
	r = scan_addresses(nl, &scan);
	if (r < 0) {
		snprintf(err, err_size, "cannot list addresses: %s", strerror(-r));
		return -1;
	}
	if (scan.conflict[0]) {
		snprintf(err, err_size,
			 "\"%s\" needs %s/%u but %s is already in that subnet "
			 "(pick another --start-addr or --bridge)",
			 name, gw, prefix_len, scan.conflict);
		return -1;
	}
	if (!scan.have_gateway) {
		r = add_gateway(nl, li.ifindex, gateway, prefix_len);
		if (r < 0 && r != -EEXIST) {
			snprintf(err, err_size, "cannot add %s/%u to \"%s\": %s", gw,
				 prefix_len, name, strerror(-r));
			return -1;
		}
		if (r == 0)
			*made |= NETLINK_MADE_GATEWAY;
	}
	if (!li.up) {
		r = set_link(nl, li.ifindex, 0, 0);
		if (r < 0) {
			snprintf(err, err_size, "cannot bring \"%s\" up: %s", name, strerror(-r));
			return -1;
		}
		*made |= NETLINK_MADE_UP;
	}
	*bridge = li;
	return 0;
}

/** struct addr6_scan - a dump of the IPv6 addresses, looked through for ours and for conflicts */
struct addr6_scan {
	int bridge_ifindex;
	const struct inet_prefix *prefix;
	const struct inet_addr *want[2];
	bool have[2];
	char conflict[96];
};

static int addr6_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr6_scan *scan = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct nlattr *a;
	struct inet_addr addr;

	if (ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != 16)
		return MNL_CB_OK;
	memcpy(addr.b, mnl_attr_get_payload(a), 16);
	for (int i = 0; i < 2; i++)
		if ((int)ifa->ifa_index == scan->bridge_ifindex && inet_equal(&addr, scan->want[i]) &&
		    ifa->ifa_prefixlen == 64)
			scan->have[i] = true;
	/* another interface in the VMs' /64 (link-local addresses are each link's own) */
	if (!scan->conflict[0] && (int)ifa->ifa_index != scan->bridge_ifindex &&
	    inet_prefix_contains(scan->prefix, &addr)) {
		char name[IF_NAMESIZE] = "?", text[INET_TEXT_LEN];

		if_indextoname(ifa->ifa_index, name);
		inet_format(&addr, text);
		snprintf(scan->conflict, sizeof(scan->conflict), "%s/%u on %s", text,
			 ifa->ifa_prefixlen, name);
	}
	return MNL_CB_OK;
}

static int add_address6(struct netlink *nl, int ifindex, const struct inet_addr *addr)
{
	struct nlmsghdr *nlh =
		new_request(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr->b);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr->b);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return transact(nl, nlh, NULL, NULL);
}

int netlink_bridge_ensure6(struct netlink *nl, int ifindex, const char *name,
			   const struct inet_prefix *prefix, const struct inet_addr *gateway,
			   const struct inet_addr *gateway_ll, unsigned *made, char *err,
			   size_t err_size)
{
	struct addr6_scan scan = {.bridge_ifindex = ifindex, .prefix = prefix,
				  .want = {gateway, gateway_ll}};
	struct nlmsghdr *nlh = new_request(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	char text[INET_TEXT_LEN];
	int r;

	ifa->ifa_family = AF_INET6;
	r = transact(nl, nlh, addr6_cb, &scan);
	if (r < 0) {
		snprintf(err, err_size, "cannot list IPv6 addresses: %s", strerror(-r));
		return -1;
	}
	if (scan.conflict[0]) {
		inet_format(&prefix->addr, text);
		snprintf(err, err_size, "\"%s\" needs %s/64 but %s is already in that prefix "
			 "(pick another --ipv6-prefix)", name, text, scan.conflict);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (scan.have[i])
			continue;
		r = add_address6(nl, ifindex, scan.want[i]);
		if (r == -EACCES || r == -EPERM) {
			snprintf(err, err_size, "\"%s\" takes no IPv6 address: IPv6 is off there "
				 "(net.ipv6.conf.%s.disable_ipv6); give --ipv6=off", name, name);
			return -1;
		}
		if (r < 0 && r != -EEXIST) {
			inet_format(scan.want[i], text);
			snprintf(err, err_size, "cannot add %s/64 to \"%s\": %s", text, name,
				 strerror(-r));
			return -1;
		}
		if (r == 0)
			*made |= NETLINK_MADE_GATEWAY6;
	}
	return 0;
}

int netlink_link_attach(struct netlink *nl, int ifindex, int master, unsigned mtu, char *err,
			size_t err_size)
{
	int r = set_link(nl, ifindex, master, mtu);

	if (r < 0) {
		snprintf(err, err_size, "tap: cannot attach to the bridge (mtu %u): %s", mtu,
			 strerror(-r));
		return -1;
	}
	return 0;
}
