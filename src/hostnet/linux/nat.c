// SPDX-License-Identifier: MIT
/* nat.c — NAT for the VMs' subnet: IPv4 forwarding and an nftables masquerade table */
#include "hostnet/linux/nat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostnet/linux/nft.h"
#include "proto/addr.h"

#define IP_FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"
#define IP6_FORWARD_PATH "/proc/sys/net/ipv6/conf/all/forwarding"
#define IP6_ROUTES_PATH "/proc/net/ipv6_route"
#define IP6_CONF_PATH "/proc/sys/net/ipv6/conf"

#define NAT_RULE "ip saddr @subnets oifname != @bridges masquerade"
#define NAT6_RULE "ip6 saddr @subnets oifname != @bridges masquerade"

/* The first byte of a sysctl file ('0', '1', '2'...), or 0 when it cannot be read. */
static char read_flag(const char *path)
{
	char now = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && read(fd, &now, 1) != 1)
		now = 0;
	if (fd >= 0)
		close(fd);
	return now;
}

/* @path set to 1 (forwarding), unless it is already. */
static int enable_forwarding(const char *path, const char *what, char *err, size_t err_size)
{
	char now = '0';
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || read(fd, &now, 1) != 1) {
		snprintf(err, err_size, "nat: cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (now != '1' && pwrite(fd, "1\n", 2, 0) != 2) {
		snprintf(err, err_size, "nat: cannot enable %s forwarding: %s", what, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* /proc/net/ipv6_route's flags of a default route learned from a router's RA (RTF_*) */
#define RTF_DEFAULT 0x00010000u
#define RTF_ADDRCONF 0x00040000u

/*
 * The interface whose default route came from a Router Advertisement and that takes RAs
 * only while the host does not forward (accept_ra 1): turning IPv6 forwarding on would make
 * the host a router, ignore that interface's RAs, and lose the route when it expires (the
 * kernel's Documentation/networking/ip-sysctl.rst, accept_ra). Return: true with @dev set.
 */
static bool forwarding_would_lose_a_route(char *dev, size_t dev_size)
{
	FILE *f = fopen(IP6_ROUTES_PATH, "re");
	char line[256], name[32], path[128];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char dst[40];
		unsigned dst_len, flags;

		if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %x %31s", dst, &dst_len, &flags,
			   name) != 4)
			continue;
		if (dst_len != 0 || (flags & (RTF_DEFAULT | RTF_ADDRCONF)) != (RTF_DEFAULT | RTF_ADDRCONF))
			continue;
		snprintf(path, sizeof(path), IP6_CONF_PATH "/%s/accept_ra", name);
		if (read_flag(path) == '1') {
			snprintf(dev, dev_size, "%s", name);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* IPv6 forwarding on, as IPv4's is: unless the host would lose its own default route. */
static int enable_forwarding6(char *err, size_t err_size)
{
	char dev[32];

	if (read_flag(IP6_FORWARD_PATH) == '1')
		return 0;
	if (forwarding_would_lose_a_route(dev, sizeof(dev))) {
		snprintf(err, err_size, "nat: IPv6 forwarding is off, and turning it on would make "
			 "this host ignore the router advertisements its IPv6 default route on %s "
			 "comes from: set net.ipv6.conf.%s.accept_ra=2 (or turn forwarding on) first, "
			 "or give --ipv6=off", dev, dev);
		return -1;
	}
	return enable_forwarding(IP6_FORWARD_PATH, "IPv6", err, err_size);
}

/* The line of @text that starts at @p, trimmed, into @line; the start of the next line. */
static const char *next_line(const char *p, char *line, size_t size)
{
	const char *end = strchr(p, '\n'), *next = end ? end + 1 : p + strlen(p);
	size_t n;

	while (p < next && (*p == ' ' || *p == '\t'))
		p++;
	n = (size_t)((end ? end : next) - p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(line, p, n);
	line[n] = '\0';
	return next;
}

/* Whether the listing of the postrouting chain holds our rule (@rule) and nothing else. */
static bool chain_is_ours(const char *listing, const char *rule)
{
	const char *p = listing ? strstr(listing, "chain postrouting {") : NULL;
	char line[256];
	int rules = 0;
	bool ours = false;

	if (!p)
		return false;
	p = next_line(p, line, sizeof(line));
	while (*p) {
		p = next_line(p, line, sizeof(line));
		if (strcmp(line, "}") == 0)
			return rules == 1 && ours;
		if (line[0] == '\0' || strncmp(line, "type ", 5) == 0)
			continue;
		rules++;
		ours = ours || strcmp(line, rule) == 0;
	}
	return false;
}

/*
 * The table @family sock_vmnet with @net in its subnets, @bridge in its bridges, and the one
 * masquerade rule @rule; see nat_ensure().
 */
static int ensure_table(const char *family, const char *rule, const char *addr_type,
			const char *net, const char *bridge, bool *changed, char *err,
			size_t err_size)
{
	char cmd[1024], ignored[200];
	const char *listing;
	struct nft *nft;
	bool rule_ok;
	int r;

	nft = nft_open(false, err, err_size);
	if (!nft)
		return -1;
	/*
	 * First look (reads only): is everything there already, as when another instance
	 * serves the same bridge? Then no transaction at all. Re-adding what exists is not free:
	 * with auto-merge, nft turns "add element" of a present interval into delete + add, and
	 * "flush chain" deletes the rule; a transaction that deletes anything makes the close of
	 * nftables' netlink socket wait for an RCU grace period (strace -T: close() 11 ms).
	 * Measured, second instance on a bridge: the back-end's setup 12-15 ms -> 2-4 ms.
	 */
	snprintf(cmd, sizeof(cmd),
		 "list chain %s " NAT_TABLE " postrouting\n"
		 "get element %s " NAT_TABLE " subnets { %s }\n"
		 "get element %s " NAT_TABLE " bridges { \"%s\" }\n",
		 family, family, net, family, bridge);
	r = nft_run(nft, cmd, &listing, ignored, sizeof(ignored)); /* errors: nothing there yet */
	rule_ok = chain_is_ours(listing, rule);
	if (r == 0 && rule_ok)
		goto out;
	/*
	 * "add" of a table, chain, set or element that exists is a no-op; the rule is
	 * rewritten (flush + add) in the same atomic transaction, so it exists once, unless the
	 * chain already holds exactly that rule (then only the missing elements are added).
	 * "auto-merge" lets overlapping subnets of several instances coexist in the set.
	 */
	snprintf(cmd, sizeof(cmd),
		 "add table %s " NAT_TABLE "\n"
		 "add set %s " NAT_TABLE " subnets { type %s; flags interval; auto-merge; }\n"
		 "add set %s " NAT_TABLE " bridges { type ifname; }\n"
		 "add chain %s " NAT_TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
		 "add element %s " NAT_TABLE " subnets { %s }\n"
		 "add element %s " NAT_TABLE " bridges { \"%s\" }\n",
		 family, family, addr_type, family, family, family, net, family, bridge);
	if (!rule_ok)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 "flush chain %s " NAT_TABLE " postrouting\n"
			 "add rule %s " NAT_TABLE " postrouting %s\n",
			 family, family, rule);
	r = nft_run(nft, cmd, &listing, err, err_size);
	*changed = r == 0;
	if (r != 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, err_size, "nat: nftables refused the masquerade table (%s): %s",
			 family, why);
	}
out:
	nft_close(nft);
	return r == 0 ? 0 : -1;
}

int nat_ensure(const char *bridge, uint32_t subnet, unsigned prefix_len, bool *changed,
	       char *err, size_t err_size)
{
	char net[IPV4_TEXT_LEN + 4];

	*changed = false;
	if (enable_forwarding(IP_FORWARD_PATH, "IPv4", err, err_size) < 0)
		return -1;
	ipv4_format(subnet, net);
	snprintf(net + strlen(net), sizeof(net) - strlen(net), "/%u", prefix_len);
	return ensure_table("ip", NAT_RULE, "ipv4_addr", net, bridge, changed, err, err_size);
}

int nat6_ensure(const char *bridge, const struct inet_prefix *prefix, bool *changed, char *err,
		size_t err_size)
{
	char net[INET_TEXT_LEN + 4];

	*changed = false;
	if (enable_forwarding6(err, err_size) < 0)
		return -1;
	inet_format(&prefix->addr, net);
	snprintf(net + strlen(net), sizeof(net) - strlen(net), "/%u", prefix->len);
	return ensure_table("ip6", NAT6_RULE, "ipv6_addr", net, bridge, changed, err, err_size);
}
