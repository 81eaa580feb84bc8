// SPDX-License-Identifier: MIT
/* host_watch.c — netlink events about what the tap back-end depends on: its bridge, TAP, address, NAT */
#include "backend/linux/host_watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "hostnet/linux/nat.h"
#include "hostnet/linux/netlink.h"

/*
 * Events read per turn of the loop, at most: a burst (200 TAPs leaving a deleted bridge)
 * is read over several turns, so the VM's frames are never kept waiting behind it.
 */
#define EVENT_READS_PER_TURN 64

static unsigned link_event(const struct host_watch *w, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct netlink_link link;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return 0;
	netlink_link_parse(nlh, &link);
	/* the bridge's own news of a port (AF_BRIDGE): "deleted" means "left the bridge" */
	if (ifi->ifi_family == AF_BRIDGE)
		return link.ifindex == w->tap_index && nlh->nlmsg_type == RTM_DELLINK
			       ? HOST_WATCH_LINKS
			       : 0;
	if (link.ifindex == w->tap_index) {
		if (nlh->nlmsg_type == RTM_DELLINK)
			return HOST_WATCH_TAP_GONE;
		/* off the bridge (its deletion makes every port leave it) or downed */
		return link.master != w->bridge_index || !link.up ? HOST_WATCH_LINKS : 0;
	}
	if (link.ifindex == w->bridge_index || strcmp(link.name, w->bridge) == 0)
		/* deleted, downed, or re-created (a new index) */
		return nlh->nlmsg_type == RTM_DELLINK || !link.up || link.ifindex != w->bridge_index
			       ? HOST_WATCH_LINKS
			       : 0;
	return 0;
}

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* A gateway address leaving the bridge; the address events of other links do not count. */
static unsigned addr_event(const struct host_watch *w, const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct nlattr *a;
	struct inet_addr gone;

	if (nlh->nlmsg_type != RTM_DELADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    (int)ifa->ifa_index != w->bridge_index ||
	    mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return 0;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && ifa->ifa_family == AF_INET6 && mnl_attr_get_payload_len(a) == 16) {
		memcpy(gone.b, mnl_attr_get_payload(a), 16);
		for (int i = 0; i < 2; i++)
			if (w->gateway6[i] && inet_equal(&gone, w->gateway6[i]))
				return HOST_WATCH_LINKS;
		return 0;
	}
	if (!a || ifa->ifa_family != AF_INET || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return 0;
	return ntohl(mnl_attr_get_u32(a)) == w->gateway ? HOST_WATCH_LINKS : 0;
}

static int links_cb(const struct nlmsghdr *nlh, void *data)
{
	struct host_watch *w = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		w->pending |= link_event(w, nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		w->pending |= addr_event(w, nlh);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/*
 * Any change to a table, chain, rule, set or element of "ip sock_vmnet" (and, with IPv6,
 * "ip6 sock_vmnet"): in each of these
 * messages the first attribute (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE,
 * NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE: all 1) names the table.
 */
static int nft_cb(const struct nlmsghdr *nlh, void *data)
{
	struct host_watch *w = data;
	const struct nfgenmsg *gen = mnl_nlmsg_get_payload(nlh);
	unsigned type = nlh->nlmsg_type & 0xff;
	const struct nlattr *attr;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*gen) ||
	    (gen->nfgen_family != NFPROTO_IPV4 &&
	     !(gen->nfgen_family == NFPROTO_IPV6 && w->gateway6[0])))
		return MNL_CB_OK;
	switch (type) {
	case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE:
	case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN:
	case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE:
	case NFT_MSG_NEWSET: case NFT_MSG_DELSET:
	case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM:
		break;
	default:
		return MNL_CB_OK;
	}
	mnl_attr_for_each(attr, nlh, sizeof(*gen)) {
		if (mnl_attr_get_type(attr) == NFTA_TABLE_NAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0 &&
		    strcmp(mnl_attr_get_str(attr), NAT_TABLE) == 0)
			w->pending |= HOST_WATCH_NAT;
	}
	return MNL_CB_OK;
}

static void arm_settle(struct host_watch *w, unsigned delay_ms)
{
	uint64_t when = clock_mono_ms() + delay_ms;

	if (!loop_timer_armed(&w->settle) || w->settle.deadline_ms > when)
		loop_timer_arm(w->loop, &w->settle, when);
}

/* Read what is there (a bounded number), keep what concerns us, let it settle. */
static void read_events(struct host_watch *w, struct mnl_socket *sock, mnl_cb_t cb,
			unsigned lost)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned before = w->pending;

	for (int i = 0; i < EVENT_READS_PER_TURN; i++) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));

		if (n < 0) {
			if (errno == ENOBUFS) { /* the kernel dropped events: assume the worst */
				w->pending |= lost;
				continue;
			}
			break; /* EAGAIN: all read */
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, cb, w);
	}
	if (w->pending != before)
		arm_settle(w, w->settle_ms);
}

static void on_links(struct loop_source *src, uint32_t events)
{
	struct host_watch *w = container_of(src, struct host_watch, links);

	(void)events;
	read_events(w, w->links_sock, links_cb, HOST_WATCH_LINKS);
}

static void on_nft(struct loop_source *src, uint32_t events)
{
	struct host_watch *w = container_of(src, struct host_watch, nft);

	(void)events;
	read_events(w, w->nft_sock, nft_cb, HOST_WATCH_NAT);
}

static void on_settled(struct loop_timer *t)
{
	struct host_watch *w = container_of(t, struct host_watch, settle);
	unsigned what = w->pending;

	w->pending = 0;
	if (what)
		w->on_change(w, what);
}

unsigned host_watch_drain(struct host_watch *w)
{
	unsigned what;

	read_events(w, w->links_sock, links_cb, HOST_WATCH_LINKS);
	read_events(w, w->nft_sock, nft_cb, HOST_WATCH_NAT);
	what = w->pending;
	w->pending = 0;
	loop_timer_disarm(w->loop, &w->settle);
	return what;
}

void host_watch_recheck(struct host_watch *w, unsigned what, unsigned delay_ms)
{
	w->pending |= what;
	arm_settle(w, delay_ms);
}

static struct mnl_socket *subscribe(int bus, unsigned groups, const char *what, char *err,
				    size_t err_size)
{
	struct mnl_socket *sock = mnl_socket_open2(bus, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (!sock || mnl_socket_bind(sock, groups, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_size, "cannot watch %s: %s", what, strerror(errno));
		if (sock)
			mnl_socket_close(sock);
		return NULL;
	}
	return sock;
}

int host_watch_start(struct host_watch *w, struct loop *loop, char *err, size_t err_size)
{
	int r;

	w->loop = loop;
	w->settle.on_expire = on_settled;
	w->links.fd = w->nft.fd = -1;
	w->links_sock = subscribe(NETLINK_ROUTE,
				  RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
					  (w->gateway6[0] ? RTMGRP_IPV6_IFADDR : 0),
				  "links and addresses", err, err_size);
	if (!w->links_sock)
		goto fail;
	w->nft_sock = subscribe(NETLINK_NETFILTER, 1u << (NFNLGRP_NFTABLES - 1), "nftables", err,
				err_size);
	if (!w->nft_sock)
		goto fail;
	w->links = (struct loop_source){.fd = mnl_socket_get_fd(w->links_sock), .on_event = on_links};
	w->nft = (struct loop_source){.fd = mnl_socket_get_fd(w->nft_sock), .on_event = on_nft};
	if ((r = loop_add(loop, &w->links, LOOP_IN)) < 0 || (r = loop_add(loop, &w->nft, LOOP_IN)) < 0) {
		snprintf(err, err_size, "cannot watch the host's links: %s", strerror(-r));
		goto fail;
	}
	return 0;
fail:
	host_watch_stop(w);
	return -1;
}

void host_watch_stop(struct host_watch *w)
{
	if (!w->loop)
		return;
	loop_timer_disarm(w->loop, &w->settle);
	if (w->links.fd >= 0)
		loop_remove(w->loop, &w->links);
	if (w->nft.fd >= 0)
		loop_remove(w->loop, &w->nft);
	if (w->links_sock)
		mnl_socket_close(w->links_sock);
	if (w->nft_sock)
		mnl_socket_close(w->nft_sock);
	w->links_sock = w->nft_sock = NULL;
	w->links.fd = w->nft.fd = -1;
	w->loop = NULL;
}
