// SPDX-License-Identifier: MIT
/* nat.c — NAT for the VMs' subnet: IPv4 forwarding and an nftables masquerade table */
#include "nat.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"

#define IP_FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"

static int enable_forwarding(char *err, size_t err_size)
{
	char now = '0';
	int fd = open(IP_FORWARD_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0 || read(fd, &now, 1) != 1) {
		snprintf(err, err_size, "nat: cannot read %s: %s", IP_FORWARD_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (now != '1' && pwrite(fd, "1\n", 2, 0) != 2) {
		snprintf(err, err_size, "nat: cannot enable IPv4 forwarding: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int nat_ensure(const char *bridge, uint32_t subnet, unsigned prefix_len, char *err,
	       size_t err_size)
{
	char net[IPV4_TEXT_LEN], cmd[1024];
	struct nft_ctx *nft;
	const char *why;
	int r;

	if (enable_forwarding(err, err_size) < 0)
		return -1;
	ipv4_format(subnet, net);
	/*
	 * "add" of a table, chain, set or element that exists is a no-op; the rule is
	 * rewritten (flush + add) in the same atomic transaction, so it exists once.
	 * "auto-merge" lets overlapping subnets of several instances coexist in the set.
	 */
	snprintf(cmd, sizeof(cmd),
		 "add table ip " NAT_TABLE "\n"
		 "add set ip " NAT_TABLE " subnets { type ipv4_addr; flags interval; auto-merge; }\n"
		 "add set ip " NAT_TABLE " bridges { type ifname; }\n"
		 "add chain ip " NAT_TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
		 "add element ip " NAT_TABLE " subnets { %s/%u }\n"
		 "add element ip " NAT_TABLE " bridges { \"%s\" }\n"
		 "flush chain ip " NAT_TABLE " postrouting\n"
		 "add rule ip " NAT_TABLE " postrouting ip saddr @subnets oifname != @bridges masquerade\n",
		 net, prefix_len, bridge);

	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		snprintf(err, err_size, "nat: cannot create an nftables context");
		return -1;
	}
	nft_ctx_buffer_error(nft);
	r = nft_run_cmd_from_buffer(nft, cmd);
	if (r != 0) {
		char first_line[200] = "";

		why = nft_ctx_get_error_buffer(nft);
		if (why)
			sscanf(why, "%199[^\n]", first_line);
		snprintf(err, err_size, "nat: nftables refused the masquerade table: %s",
			 first_line[0] ? first_line : "unknown error");
	}
	nft_ctx_free(nft);
	return r == 0 ? 0 : -1;
}
