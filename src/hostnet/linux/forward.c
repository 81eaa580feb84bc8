// SPDX-License-Identifier: MIT
/* forward.c — port forwards of the tap back-end: nftables DNAT rules, each tagged with its owner */
#include "hostnet/linux/forward.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostnet/linux/nat.h"
#include "hostnet/linux/nft.h"
#include "os/process.h"
#include "proto/addr.h"

#define TAG "svm-fwd "
#define CHAINS_MAX_CMD 8192

/*
 * Why DNAT in nftables, and route_localnet for 127.0.0.1: the kernel forwards every packet
 * (no copy through sock-vmnet, which only sees them as frames on the TAP like any other),
 * the VM sees the real client address, TCP and UDP alike, and the rules outlive nothing: a
 * SIGKILLed owner's are found by their tag and removed. A connection to 127.0.0.1 is DNATed
 * in the output hook; its loopback source may then leave through the bridge only with the
 * bridge's route_localnet (a setting of sock-vmnet's own bridge, no other interface), and is
 * masqueraded to the gateway address there so that the VM's answer finds its way back. The
 * alternative, a userspace proxy per port, would copy every byte and hide the client.
 */
static const char chains[] =
	"add table ip " NAT_TABLE "\n"
	"add set ip " NAT_TABLE " bridges { type ifname; }\n"
	"add chain ip " NAT_TABLE " forward_pre { type nat hook prerouting priority dstnat; policy accept; }\n"
	"add chain ip " NAT_TABLE " forward_out { type nat hook output priority -100; policy accept; }\n"
	"add chain ip " NAT_TABLE " forward_post { type nat hook postrouting priority srcnat; policy accept; }\n"
	"add chain ip " NAT_TABLE " loopback_guard { type filter hook prerouting priority raw; policy accept; }\n";

/*
 * route_localnet lets the bridge carry loopback addresses both ways: the VMs must still never
 * reach the host's 127/8 through it (CVE-2020-8558's hole), whatever the guard's policy.
 */
#define LOOPBACK_GUARD_RULE "iifname @bridges ip daddr 127.0.0.0/8 counter"
#define LOOPBACK_GUARD_ADD LOOPBACK_GUARD_RULE " drop"

int forward_owner_tag(char *tag, size_t size)
{
	struct process_identity self;
	int r = process_identity_self(&self);

	if (r < 0)
		return r;
	snprintf(tag, size, TAG "%lld:%lld:%lld ", (long long)self.pid, (long long)self.start_time,
		 (long long)self.pid_ns);
	return 0;
}

/* Write @value to /proc/sys/net/ipv4/conf/BRIDGE/@knob: this bridge's own setting only. */
static int set_bridge_conf(const char *bridge, const char *knob, const char *value, char *err,
			   size_t err_size)
{
	char path[128];
	size_t n = strlen(value);
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", bridge, knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, n) != (ssize_t)n) {
		snprintf(err, err_size, "cannot set %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The bridge's settings forwards need:
 * - route_localnet: it may route loopback sources (127.0.0.1's connections, above);
 * - arp_announce 2: when it asks who has a VM's address, it says it is the gateway, its own
 *   address on the VMs' subnet. A connection from the host to its own LAN address, forwarded
 *   to a VM, leaves with that LAN address as its source, and by default (arp_announce 0)
 *   the kernel asks for the VM in its name; the VM's answer is then about an address the
 *   guard never lets it talk to on the link (arp-target), and the connection never starts
 *   (issue 19, fault 12). Level 2 is the documented cure ("always use the best local
 *   address for this target": Documentation/networking/ip-sysctl.rst); the VM still sees
 *   the real client address in the connection, and the guard's ARP rule stays as strict.
 */
static int set_bridge_for_forwards(const char *bridge, char *err, size_t err_size)
{
	if (set_bridge_conf(bridge, "route_localnet", "1\n", err, err_size) < 0)
		return -1;
	return set_bridge_conf(bridge, "arp_announce", "2\n", err, err_size);
}

/* Append one rule to @cmd: @chain, @e's port @k to @vm. */
static void add_rule(char *cmd, size_t size, const char *chain, const struct expose *e, unsigned k,
		     uint32_t vm, const char *comment)
{
	char bind[IPV4_TEXT_LEN], to[IPV4_TEXT_LEN], match[64];
	const char *proto = e->proto == 17 ? "udp" : "tcp";
	size_t len = strlen(cmd);

	ipv4_format(vm, to);
	if (e->bind) {
		ipv4_format(e->bind, bind);
		snprintf(match, sizeof(match), "ip daddr %s", bind);
	} else {
		snprintf(match, sizeof(match), "fib daddr type local");
	}
	snprintf(cmd + len, size - len,
		 "add rule ip " NAT_TABLE " %s %s%s %s dport %u dnat to %s:%u comment \"%s\"\n", chain,
		 /* the VMs' own traffic to the host is theirs, not a forward's */
		 strcmp(chain, "forward_pre") == 0 ? "iifname != @bridges " : "", match, proto,
		 e->host_lo + k, to, e->vm_lo + k, comment);
}

static void spec_of(const struct expose *e, char *buf, size_t size)
{
	char bind[IPV4_TEXT_LEN] = "0.0.0.0";

	if (e->bind)
		ipv4_format(e->bind, bind);
	snprintf(buf, size, "%s:%u-%u:%u-%u/%s", bind, e->host_lo, e->host_hi, e->vm_lo, e->vm_hi,
		 e->proto == 17 ? "udp" : "tcp");
}

int forward_add(const char *bridge, const struct expose *e, uint32_t vm, const char *owner,
		char *err, size_t err_size)
{
	char comment[FORWARD_TAG_LEN + 48], spec[48], why[240], masquerade[96];
	const char *listing;
	size_t size = CHAINS_MAX_CMD + (size_t)expose_ports(e) * 2 * 256;
	char *cmd = malloc(size);
	struct nft *nft;
	int r = -1;

	if (!cmd) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	spec_of(e, spec, sizeof(spec));
	snprintf(comment, sizeof(comment), "%s%s", owner, spec);
	nft = nft_open(false, err, err_size);
	if (!nft)
		goto out;
	snprintf(cmd, size, "%s", chains);
	/* the loopback masquerade of this bridge, once: "oifname "BRIDGE" ip saddr 127..." */
	snprintf(masquerade, sizeof(masquerade), "oifname \"%s\" ip saddr 127.0.0.0/8 masquerade",
		 bridge);
	if (nft_run(nft, "list chain ip " NAT_TABLE " forward_post\n", &listing, why,
		    sizeof(why)) < 0 ||
	    !strstr(listing, masquerade)) {
		size_t len = strlen(cmd);

		snprintf(cmd + len, size - len, "add rule ip " NAT_TABLE " forward_post %s\n",
			 masquerade);
	}
	/* and the guard of the host's loopback, once for every bridge */
	if (nft_run(nft, "list chain ip " NAT_TABLE " loopback_guard\n", &listing, why,
		    sizeof(why)) < 0 ||
	    !strstr(listing, LOOPBACK_GUARD_RULE)) {
		size_t len = strlen(cmd);

		snprintf(cmd + len, size - len,
			 "add rule ip " NAT_TABLE " loopback_guard " LOOPBACK_GUARD_ADD "\n");
	}
	for (unsigned k = 0; k < expose_ports(e); k++) {
		add_rule(cmd, size, "forward_pre", e, k, vm, comment);
		add_rule(cmd, size, "forward_out", e, k, vm, comment);
	}
	if (set_bridge_for_forwards(bridge, err, err_size) < 0)
		goto out;
	if (nft_run(nft, cmd, &listing, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "nftables refused the forward: %s", why);
		goto out;
	}
	r = 0;
out:
	nft_close(nft);
	free(cmd);
	return r;
}

/*
 * delete_matching() - remove the forward rules whose comment @keep says to
 * @keep: given a rule's comment (starting with TAG), whether it stays
 * Return: rules removed, or -1 with @err.
 */
static int delete_matching(bool (*keep)(const char *comment, void *ctx), void *ctx, char *err,
			   size_t err_size)
{
	static const char *const chain_names[] = {"forward_pre", "forward_out"};
	char why[240];
	const char *listing;
	char *cmd = NULL;
	size_t size = 0, len = 0;
	struct nft *nft = nft_open(true, err, err_size);
	int removed = 0;

	if (!nft)
		return -1;
	for (size_t c = 0; c < 2; c++) {
		char list[128];
		const char *line;

		snprintf(list, sizeof(list), "list chain ip " NAT_TABLE " %s\n", chain_names[c]);
		if (nft_run(nft, list, &listing, why, sizeof(why)) < 0)
			continue; /* no such chain: nothing to remove there */
		for (line = listing; line && *line;) {
			const char *eol = strchr(line, '\n'), *tag = strstr(line, "comment \"" TAG);
			const char *handle = strstr(line, "# handle ");
			char comment[FORWARD_TAG_LEN + 48];
			int n;

			/* both on this line (strstr() looks past its end) */
			if (tag && handle && (!eol || (tag < eol && handle < eol)) &&
			    sscanf(tag + 9, "%143[^\"]", comment) == 1 && !keep(comment, ctx)) {
				if (len + 128 > size) {
					char *more = realloc(cmd, size = size ? 2 * size : 4096);

					if (!more) {
						snprintf(err, err_size, "out of memory");
						removed = -1;
						goto out;
					}
					cmd = more;
				}
				n = snprintf(cmd + len, size - len,
					     "delete rule ip " NAT_TABLE " %s handle %ld\n",
					     chain_names[c], strtol(handle + 9, NULL, 10));
				len += (size_t)n;
				removed++;
			}
			line = eol ? eol + 1 : NULL;
		}
	}
	if (removed > 0 && nft_run(nft, cmd, &listing, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "nftables would not remove forward rules: %s", why);
		removed = -1;
	}
out:
	free(cmd);
	nft_close(nft);
	return removed;
}

struct del_ctx {
	char comment[FORWARD_TAG_LEN + 48];
};

static bool keep_others(const char *comment, void *ctx)
{
	return strcmp(comment, ((struct del_ctx *)ctx)->comment) != 0;
}

int forward_del(const struct expose *e, const char *owner, char *err, size_t err_size)
{
	struct del_ctx d;
	char spec[48];

	spec_of(e, spec, sizeof(spec));
	snprintf(d.comment, sizeof(d.comment), "%s%s", owner, spec);
	return delete_matching(keep_others, &d, err, err_size) < 0 ? -1 : 0;
}

/*
 * A rule stays while the process that tagged it (pid and start time) still runs; an owner in
 * another PID namespace (a container sharing the host's network) is out of sight and stays.
 */
static bool keep_live(const char *comment, void *ctx)
{
	const struct process_identity *self = ctx;
	long long pid, start, pid_ns;
	int64_t now;

	if (sscanf(comment, TAG "%lld:%lld:%lld ", &pid, &start, &pid_ns) != 3)
		return true; /* not ours to judge */
	if (pid_ns != self->pid_ns)
		return true;
	return process_start_time(pid, &now) == 0 && now == start;
}

int forward_prune(char *err, size_t err_size)
{
	struct process_identity self;

	if (process_identity_self(&self) < 0) {
		snprintf(err, err_size, "cannot tell who this process is");
		return -1;
	}
	return delete_matching(keep_live, &self, err, err_size);
}
