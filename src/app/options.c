// SPDX-License-Identifier: MIT
/* options.c — the command line, parsed and checked into one immutable config */
#include "app/options.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/audit.h"
#include "app/expose_spec.h"
#include "app/metrics.h"
#include "app/pcap_writer.h"

#include "backend/backend.h"
#include "proto/addr.h"
#include "proto/ula.h"
#include "transport/unix_listener.h"

static const char usage_text[] =
	"Usage: sock-vmnet --fd=FD --mac=MAC [options]\n"
	"       sock-vmnet run --mac=MAC [options] -- HYPERVISOR-COMMAND...\n"
	"       sock-vmnet leases [--lease-db=PATH] [--json]\n"
	"       sock-vmnet ctl PATH COMMAND... (stats, rules, rule add|del allow|block RULE, names,\n"
	"                  exposes, expose add|del SPEC, flows, metrics, reload, pcap start FILE|stop)\n"
	"\n"
	"Gives one VM, whose Ethernet frames arrive as datagrams on FD, a guarded NAT network.\n"
	"\n"
	"VM transport (one of):\n"
	"  --fd=FD               AF_UNIX socket of the VM: SOCK_DGRAM, one frame per datagram,\n"
	"                        or SOCK_STREAM with 4-byte big-endian length framing\n"
	"  --socket=PATH         bind a unixgram socket at PATH and serve its first peer\n"
	"  --listen=PATH         listen on a unix stream socket at PATH (one client)\n"
	"\n"
	"Network:\n"
	"  --mac=MAC             the VM's MAC address (required)\n"
	"  --start-addr=IP       first address of the DHCP range, also the gateway (192.168.64.1)\n"
	"  --end-addr=IP         last address of the DHCP range (192.168.64.255)\n"
	"  --subnet-mask=MASK    subnet mask (255.255.255.0)\n"
	"  --backend=NAME        the host side: tap (Linux: a TAP on a bridge with NAT), vmnet\n"
	"                        (macOS: vmnet.framework), user (libslirp's NAT in the process:\n"
	"                        no root) or auto (the default: the system's own if this process\n"
	"                        may open it, else user)\n"
	"  --bridge=NAME         host bridge to attach to, created if missing (svmnet0)\n"
	"  --vmnet-mode=MODE     vmnet: shared (NAT, the default), host, or bridged\n"
	"  --vmnet-interface=IF  vmnet: the host interface of bridged mode (e.g. en0)\n"
	"  --vmnet-virtio-header=on|off  vmnet, with --vm-offload: large packets through vmnet's\n"
	"                        virtio-net header (macOS 15.4) instead of checksum offload (off)\n"
	"  --mtu=N               MTU of the VM's link, 576..65521 (1500)\n"
	"  --offload=on|off      join the VM's TCP segments into large packets for the host and\n"
	"                        cut the host's large packets for the VM (on)\n"
	"  --vm-offload=MODE     large packets on the VM's datagram socket: off (the default),\n"
	"                        on (krunkit's offloading=on: frames up to 65550 bytes, partial\n"
	"                        checksums) or vnet-hdr (a virtio-net header before each frame)\n"
	"  --lease-db=PATH       SQLite lease database (root: /var/lib/sock-vmnet/leases.db;\n"
	"                        others: $XDG_STATE_HOME or ~/.local/state, sock-vmnet/leases.db)\n"
	"  --lease-time=SECONDS  DHCP lease time (600)\n"
	"  --dns=IP[,IP]         upstream resolvers for the VM, IPv4 or IPv6 (default:\n"
	"                        /etc/resolv.conf)\n"
	"  --ipv6=on|off         IPv6 for the VM: SLAAC, NAT66, the same guard (on)\n"
	"  --ipv6-prefix=PREFIX/64  the VM's IPv6 network (default: a unique local /64\n"
	"                        derived from this host and the IPv4 network)\n"
	"  --domain=NAME         domain name handed out by DHCP\n"
	"\n"
	"Policy (repeatable, comma-separated; longest prefix wins, block wins a tie):\n"
	"  --allow=RULE          RULE is TARGET or PROTO:TARGET[:PORT[-PORT]]; TARGET is a CIDR,\n"
	"  --block=RULE          @host, a name or *.name (the addresses the VM's DNS gives it);\n"
	"                        an IPv6 CIDR with a protocol in brackets: tcp:[2001:db8::/32]:443\n"
	"                        e.g. --block 0.0.0.0/0 --allow tcp:github.com:443\n"
	"                        The host (@host) is closed but for DHCP, DNS and ping:\n"
	"                        --allow @host or --allow tcp:@host:PORT opens it\n"
	"  --block-mode=MODE     reject (TCP RST, ICMP prohibited: the default) or drop\n"
	"  --check-names=on|off  a TCP flow let through by a name only must ask for an allowed\n"
	"                        name in its TLS SNI or HTTP Host (on when a name rule exists)\n"
	"  --policy=FILE         more rules, one a line: \"allow RULE\" or \"block RULE\", # comments;\n"
	"                        read again on SIGHUP and `ctl PATH reload`\n"
	"\n"
	"Port forwarding (repeatable, comma-separated):\n"
	"  --expose=SPEC         [BIND_ADDR:]HOST_PORT[-END]:VM_PORT[-END][/tcp|/udp], e.g.\n"
	"                        2222:22, 127.0.0.1:8080:80, 5000-5009:5000-5009/udp\n"
	"\n"
	"Watching (see sock-vmnet(8)):\n"
	"  --name=NAME           the VM's name in the metrics and the audit\n"
	"  --pcap=FILE           capture every frame passed, both ways, and those sock-vmnet made\n"
	"  --pcap-drops=FILE     capture every frame dropped\n"
	"  --pcap-size=BYTES     each capture file at most this (then FILE.1; default 16M)\n"
	"  --metrics=FILE        Prometheus text file (node_exporter's textfile collector)\n"
	"  --metrics-interval=S  write it at most every S seconds, and only on change (15)\n"
	"  --audit=FILE          a JSON line per new flow and per refusal of the VM's\n"
	"  --audit-size=BYTES    the audit file at most this (then FILE.1; default 16M)\n"
	"  --ready-fd=N          write one JSON line to fd N when ready, then close it\n"
	"\n"
	"Other:\n"
	"  --control=PATH        a control socket (JSON lines; see `sock-vmnet ctl`)\n"
	"  --user=USER, --group=GROUP  the identity after setup (as root, by default: the\n"
	"                        sock-vmnet user if there is one, else nobody)\n"
	"  --sandbox=on|off      after setup, give up root and allow only the system calls a\n"
	"                        running instance makes (on)\n"
	"  --vm-fd-number=N      with \"run\": the hypervisor's fd number for the VM socket (3)\n"
	"  --debug               log debug messages, including every drop (rate-limited)\n"
	"  --help, --version\n"
	"\n"
	"Signals: SIGINT/SIGTERM stop cleanly, SIGUSR1 prints the counters as JSON on stderr,\n"
	"SIGHUP reads --policy's file again (without --policy: stops, as SIGTERM).\n";

/* The seed's three address flags, as given: checked together by check_addresses(). */
struct seed_addresses {
	uint32_t start_addr, end_addr, subnet_mask;
	unsigned given; /* how many of the three were on the command line */
};

/**
 * struct parse_ctx - one options_parse() call
 * @err: where a refusal is written, one line
 * @err_size: size of @err
 * @cfg: the config being filled in
 * @seed: the seed's address flags, as given
 * @name: the option being parsed, as the user wrote it (its long name), for messages
 * @have_mac: --mac was given
 */
struct parse_ctx {
	char *err;
	size_t err_size;
	struct config *cfg;
	struct seed_addresses seed;
	const char *name;
	bool have_mac;
	int ipv6;          /* --ipv6: 1 on, 0 off, -1 not given */
	bool ipv6_prefix_given;
};

__attribute__((format(printf, 2, 3))) static enum options_result fail(struct parse_ctx *c,
								      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->err_size, fmt, ap);
	va_end(ap);
	return OPTIONS_ERROR;
}

static bool parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	*out = strtoul(text, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

/* "on" or "off": 1 or 0; -1 (and @c's error) for anything else */
static int parse_on_off(struct parse_ctx *c, const char *arg)
{
	if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
		fail(c, "--%s: \"%s\" is neither on nor off", c->name, arg);
		return -1;
	}
	return arg[1] == 'n';
}

/* A unix socket's path for --control, --socket, --listen: what sun_path holds (1 to 103
 * bytes on macOS, 107 on Linux). */
static bool socket_path_ok(struct parse_ctx *c, const char *arg)
{
	if (arg[0] != '\0' && strlen(arg) < UNIX_PATH_SIZE)
		return true;
	fail(c, "--%s: \"%s\" is not a usable socket path (1 to %zu bytes)", c->name, arg,
	     UNIX_PATH_SIZE - 1);
	return false;
}

/* ---- one function per option (the table below) -------------------------------------------- */

static enum options_result parse_fd(struct parse_ctx *c, const char *text)
{
	struct sockaddr_storage name;
	socklen_t name_len = sizeof(name);
	unsigned long fd;
	struct stat st;
	int type;
	socklen_t len = sizeof(int);

	if (!parse_uint(text, 1 << 30, &fd))
		return fail(c, "--fd: \"%s\" is not a file descriptor number", text);
	if (fcntl((int)fd, F_GETFD) < 0)
		return fail(c, "--fd: %lu is not an open file descriptor", fd);
	if (fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return fail(c, "--fd: %lu is not a socket", fd);
	if (getsockname((int)fd, (struct sockaddr *)&name, &name_len) < 0 ||
	    name.ss_family != AF_UNIX)
		return fail(c, "--fd: %lu is not an AF_UNIX socket", fd);
	if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    (type != SOCK_DGRAM && type != SOCK_STREAM))
		return fail(c, "--fd: %lu is an AF_UNIX socket of the wrong type "
			       "(want SOCK_DGRAM or SOCK_STREAM)", fd);
	c->cfg->vm.fd = (int)fd;
	c->cfg->vm.transport = type == SOCK_DGRAM ? VM_FD_DGRAM : VM_FD_STREAM;
	return OPTIONS_OK;
}

/* --socket and --listen: a path, and the transport it means */
static enum options_result set_vm_path(struct parse_ctx *c, const char *arg,
				       enum vm_transport_kind transport)
{
	if (!socket_path_ok(c, arg))
		return OPTIONS_ERROR;
	c->cfg->vm.path = arg;
	c->cfg->vm.transport = transport;
	return OPTIONS_OK;
}

static enum options_result parse_socket(struct parse_ctx *c, const char *arg)
{
	return set_vm_path(c, arg, VM_SOCKET_DGRAM);
}

static enum options_result parse_listen(struct parse_ctx *c, const char *arg)
{
	return set_vm_path(c, arg, VM_LISTEN_STREAM);
}

static enum options_result parse_vm_fd_number(struct parse_ctx *c, const char *arg)
{
	unsigned long n;

	if (!parse_uint(arg, 1023, &n) || n < 3)
		return fail(c, "--vm-fd-number: \"%s\" is not a number from 3 to 1023", arg);
	c->cfg->vm.fd_number = (int)n;
	return OPTIONS_OK;
}

static enum options_result parse_mac(struct parse_ctx *c, const char *arg)
{
	uint8_t *mac = c->cfg->vm.mac;

	c->have_mac = true;
	if (!mac_parse(arg, mac))
		return fail(c, "--mac: \"%s\" is not a MAC address", arg);
	if (mac_is_multicast(mac))
		return fail(c, "--mac: \"%s\" is a multicast address", arg);
	if (!memcmp(mac, "\0\0\0\0\0\0", 6))
		return fail(c, "--mac: \"%s\" is the zero address", arg);
	return OPTIONS_OK;
}

static enum options_result parse_mtu(struct parse_ctx *c, const char *arg)
{
	unsigned long n;

	if (!parse_uint(arg, MAX_MTU, &n) || n < MIN_MTU)
		return fail(c, "--mtu: \"%s\" is not a number from %d to %d", arg, MIN_MTU,
			    MAX_MTU);
	c->cfg->vm.mtu = (unsigned)n;
	return OPTIONS_OK;
}

/* --start-addr, --end-addr, --subnet-mask: kept as given for check_addresses() */
static enum options_result set_seed_addr(struct parse_ctx *c, const char *arg, uint32_t *dst)
{
	if (!ipv4_parse(arg, dst))
		return fail(c, "--%s: \"%s\" is not an IPv4 address", c->name, arg);
	c->seed.given++;
	return OPTIONS_OK;
}

static enum options_result parse_start_addr(struct parse_ctx *c, const char *arg)
{
	return set_seed_addr(c, arg, &c->seed.start_addr);
}

static enum options_result parse_end_addr(struct parse_ctx *c, const char *arg)
{
	return set_seed_addr(c, arg, &c->seed.end_addr);
}

static enum options_result parse_subnet_mask(struct parse_ctx *c, const char *arg)
{
	return set_seed_addr(c, arg, &c->seed.subnet_mask);
}

static enum options_result parse_backend(struct parse_ctx *c, const char *arg)
{
	if (strcmp(arg, "auto") != 0 && !backend_find(arg))
		return fail(c, "--backend: \"%s\" is not a back-end of this build (%s)", arg,
			    backend_names());
	snprintf(c->cfg->backend.name, sizeof(c->cfg->backend.name), "%s", arg);
	return OPTIONS_OK;
}

static enum options_result parse_bridge(struct parse_ctx *c, const char *arg)
{
	/* it goes into nftables' commands too: no quotes, no spaces, nothing else */
	if (arg[0] == '\0' || strlen(arg) >= BRIDGE_NAME_SIZE ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
		    strlen(arg))
		return fail(c, "--bridge: \"%s\" is not a valid interface name (letters, "
			    "digits, '-', '_', '.')", arg);
	strcpy(c->cfg->backend.bridge, arg);
	return OPTIONS_OK;
}

static enum options_result parse_offload(struct parse_ctx *c, const char *arg)
{
	int on = parse_on_off(c, arg);

	if (on < 0)
		return OPTIONS_ERROR;
	c->cfg->backend.offload = on;
	return OPTIONS_OK;
}

static enum options_result parse_vm_offload(struct parse_ctx *c, const char *arg)
{
	if (strcmp(arg, "off") == 0)
		c->cfg->vm.offload = VM_OFFLOAD_OFF;
	else if (strcmp(arg, "on") == 0)
		c->cfg->vm.offload = VM_OFFLOAD_ON;
	else if (strcmp(arg, "vnet-hdr") == 0)
		c->cfg->vm.offload = VM_OFFLOAD_VNET_HDR;
	else
		return fail(c, "--vm-offload: \"%s\" is none of off, on, vnet-hdr", arg);
	return OPTIONS_OK;
}

static enum options_result parse_vmnet_virtio_header(struct parse_ctx *c, const char *arg)
{
	int on = parse_on_off(c, arg);

	if (on < 0)
		return OPTIONS_ERROR;
	c->cfg->backend.vmnet.virtio_header = on;
	return OPTIONS_OK;
}

static enum options_result parse_vmnet_mode(struct parse_ctx *c, const char *arg)
{
	struct vmnet_config *v = &c->cfg->backend.vmnet;

	v->mode_given = true;
	if (strcmp(arg, "shared") == 0)
		v->mode = VMNET_MODE_SHARED;
	else if (strcmp(arg, "host") == 0)
		v->mode = VMNET_MODE_HOST;
	else if (strcmp(arg, "bridged") == 0)
		v->mode = VMNET_MODE_BRIDGED;
	else
		return fail(c, "--vmnet-mode: \"%s\" is none of shared, host, bridged", arg);
	return OPTIONS_OK;
}

static enum options_result parse_vmnet_interface(struct parse_ctx *c, const char *arg)
{
	struct vmnet_config *v = &c->cfg->backend.vmnet;

	v->mode_given = true;
	if (arg[0] == '\0' || strlen(arg) >= sizeof(v->interface) || strpbrk(arg, "/: \t\n"))
		return fail(c, "--vmnet-interface: \"%s\" is not a valid interface name", arg);
	strcpy(v->interface, arg);
	return OPTIONS_OK;
}

static enum options_result parse_lease_db(struct parse_ctx *c, const char *arg)
{
	if (arg[0] == '\0')
		return fail(c, "--lease-db: the path is empty");
	c->cfg->dhcp.lease_db = arg;
	return OPTIONS_OK;
}

static enum options_result parse_lease_time(struct parse_ctx *c, const char *arg)
{
	unsigned long n;

	/* at least a minute (renewal at T1 = half of it); at most a day */
	if (!parse_uint(arg, 86400, &n) || n < 60)
		return fail(c, "--lease-time: \"%s\" is not a number of seconds from 60 to 86400",
			    arg);
	c->cfg->dhcp.lease_time = (unsigned)n;
	return OPTIONS_OK;
}

static enum options_result parse_domain(struct parse_ctx *c, const char *arg)
{
	if (arg[0] == '\0' || strlen(arg) > 253 || strpbrk(arg, " \t\n,"))
		return fail(c, "--domain: \"%s\" is not a domain name", arg);
	c->cfg->dhcp.domain = arg;
	return OPTIONS_OK;
}

static enum options_result parse_ipv6(struct parse_ctx *c, const char *arg)
{
	c->ipv6 = parse_on_off(c, arg);
	return c->ipv6 < 0 ? OPTIONS_ERROR : OPTIONS_OK;
}

/*
 * --ipv6-prefix: a /64 (RFC 4862 5.5.3: SLAAC forms an address of a /64 and a 64-bit
 * interface identifier), unicast, neither link-local, loopback nor IPv4 in disguise.
 */
static enum options_result parse_ipv6_prefix(struct parse_ctx *c, const char *arg)
{
	struct inet_prefix p;

	if (!inet6_cidr_parse(arg, &p))
		return fail(c, "--ipv6-prefix: \"%s\" is not an IPv6 prefix (want PREFIX/64, e.g. "
			    "fd00:1:2:3::/64)", arg);
	if (p.len != 64)
		return fail(c, "--ipv6-prefix: \"%s\" is a /%u: SLAAC needs a /64 (RFC 4862)", arg,
			    p.len);
	if (inet_prefix_host_bits(&p))
		return fail(c, "--ipv6-prefix: \"%s\" has bits set beyond /64", arg);
	if (inet6_is_multicast(&p.addr) || inet6_is_link_local(&p.addr) || p.addr.b[0] == 0 ||
	    (p.addr.b[0] == 0xfe && (p.addr.b[1] & 0xc0) == 0xc0))
		return fail(c, "--ipv6-prefix: \"%s\" is not a unicast network a VM may have "
			    "(multicast, link-local, site-local and ::/8 are not)", arg);
	c->cfg->net6.prefix = p;
	c->ipv6_prefix_given = true;
	return OPTIONS_OK;
}

static enum options_result parse_dns(struct parse_ctx *c, const char *text)
{
	struct config *cfg = c->cfg;
	char *copy = strdup(text), *save = NULL;
	enum options_result r = OPTIONS_OK;

	if (!copy)
		return fail(c, "out of memory");
	cfg->dns.count = 0;
	for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		struct inet_addr addr;

		if (cfg->dns.count == MAX_DNS_SERVERS) {
			r = fail(c, "--dns: more than %d servers", MAX_DNS_SERVERS);
			break;
		}
		if (!inet_parse(part, &addr) || inet_is_unspecified(&addr)) {
			r = fail(c, "--dns: \"%s\" is not an IP address", part);
			break;
		}
		cfg->dns.servers[cfg->dns.count++] = addr;
	}
	free(copy);
	if (r == OPTIONS_OK && cfg->dns.count == 0)
		r = fail(c, "--dns: \"%s\" names no server", text);
	return r;
}

/* --allow and --block: comma-separated rules, appended */
static enum options_result add_rules(struct parse_ctx *c, const char *text, bool allow)
{
	struct config *cfg = c->cfg;
	char *copy = strdup(text), *save = NULL;
	char why[160];

	if (!copy)
		return fail(c, "out of memory");
	for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		size_t n = cfg->policy.count;

		if (n == POLICY_MAX_RULES) {
			free(copy);
			return fail(c, "--%s: more than %d rules", c->name, POLICY_MAX_RULES);
		}
		if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow by doubling */
			struct policy_rule *more =
				realloc(cfg->policy.rules, (n ? 2 * n : 1) * sizeof(*more));

			if (!more) {
				free(copy);
				return fail(c, "out of memory");
			}
			cfg->policy.rules = more;
		}
		if (!policy_rule_parse(part, allow, &cfg->policy.rules[cfg->policy.count], why,
				       sizeof(why))) {
			fail(c, "--%s: %s", c->name, why);
			free(copy);
			return OPTIONS_ERROR;
		}
		cfg->policy.count++;
	}
	free(copy);
	return OPTIONS_OK;
}

static enum options_result parse_allow(struct parse_ctx *c, const char *arg)
{
	return add_rules(c, arg, true);
}

static enum options_result parse_block(struct parse_ctx *c, const char *arg)
{
	return add_rules(c, arg, false);
}

static enum options_result parse_block_mode(struct parse_ctx *c, const char *arg)
{
	if (strcmp(arg, "reject") != 0 && strcmp(arg, "drop") != 0)
		return fail(c, "--block-mode: \"%s\" is neither reject nor drop", arg);
	c->cfg->policy.block_mode = arg[0] == 'r' ? BLOCK_REJECT : BLOCK_DROP;
	return OPTIONS_OK;
}

static enum options_result parse_check_names(struct parse_ctx *c, const char *arg)
{
	int on = parse_on_off(c, arg);

	if (on < 0)
		return OPTIONS_ERROR;
	c->cfg->policy.check_names = on ? CHECK_NAMES_ON : CHECK_NAMES_OFF;
	return OPTIONS_OK;
}

/* --expose: comma-separated SPECs, appended; no two may claim the same host port */
static enum options_result parse_expose(struct parse_ctx *c, const char *text)
{
	struct config *cfg = c->cfg;
	char *copy = strdup(text), *save = NULL, why[160], spec[EXPOSE_SPEC_TEXT_LEN];
	size_t ports = 0;

	if (!copy)
		return fail(c, "out of memory");
	for (size_t i = 0; i < cfg->expose.count; i++)
		ports += cfg->expose.list[i].host_hi - cfg->expose.list[i].host_lo + 1u;
	for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		struct expose e, *more;

		if (!expose_spec_parse(part, &e, why, sizeof(why))) {
			fail(c, "--expose: %s", why);
			free(copy);
			return OPTIONS_ERROR;
		}
		for (size_t i = 0; i < cfg->expose.count; i++)
			if (expose_overlaps(&e, &cfg->expose.list[i])) {
				fail(c, "--expose: \"%s\" and \"%s\" claim the same host port", part,
				     expose_spec_format(&cfg->expose.list[i], spec, sizeof(spec)));
				free(copy);
				return OPTIONS_ERROR;
			}
		ports += e.host_hi - e.host_lo + 1u;
		more = ports <= EXPOSE_MAX_PORTS
			       ? realloc(cfg->expose.list, (cfg->expose.count + 1) * sizeof(*more))
			       : NULL;
		if (!more) {
			fail(c, "--expose: more than %d ports", EXPOSE_MAX_PORTS);
			free(copy);
			return OPTIONS_ERROR;
		}
		cfg->expose.list = more;
		cfg->expose.list[cfg->expose.count++] = e;
	}
	free(copy);
	return OPTIONS_OK;
}

static enum options_result parse_control(struct parse_ctx *c, const char *arg)
{
	if (!socket_path_ok(c, arg))
		return OPTIONS_ERROR;
	c->cfg->control = arg;
	return OPTIONS_OK;
}

/* A file's path for --pcap, --audit, --metrics...: not empty. */
static enum options_result set_path(struct parse_ctx *c, const char *arg, const char **dst)
{
	if (arg[0] == '\0')
		return fail(c, "--%s: the path is empty", c->name);
	*dst = arg;
	return OPTIONS_OK;
}

static enum options_result parse_pcap(struct parse_ctx *c, const char *arg)
{
	return set_path(c, arg, &c->cfg->ops.pcap);
}

static enum options_result parse_pcap_drops(struct parse_ctx *c, const char *arg)
{
	return set_path(c, arg, &c->cfg->ops.pcap_drops);
}

static enum options_result parse_metrics(struct parse_ctx *c, const char *arg)
{
	return set_path(c, arg, &c->cfg->ops.metrics);
}

static enum options_result parse_audit(struct parse_ctx *c, const char *arg)
{
	return set_path(c, arg, &c->cfg->ops.audit);
}

/* A size in bytes, with an optional K, M or G (powers of 1024), from @min to 1 TiB. */
static enum options_result set_size(struct parse_ctx *c, const char *arg, uint64_t min,
				    uint64_t *dst)
{
	unsigned long long n;
	char *end;
	unsigned shift = 0;

	errno = 0;
	n = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
	if (arg[0] >= '0' && arg[0] <= '9' && errno == 0) {
		if (*end == 'K' || *end == 'k')
			shift = 10;
		else if (*end == 'M' || *end == 'm')
			shift = 20;
		else if (*end == 'G' || *end == 'g')
			shift = 30;
		if (shift)
			end++;
		if (*end == '\0' && n <= (1ull << 40) >> shift && (n << shift) >= min) {
			*dst = n << shift;
			return OPTIONS_OK;
		}
	}
	return fail(c, "--%s: \"%s\" is not a size from %llu bytes to 1T (a number, K, M or G)",
		    c->name, arg, (unsigned long long)min);
}

static enum options_result parse_pcap_size(struct parse_ctx *c, const char *arg)
{
	return set_size(c, arg, PCAP_SIZE_MIN, &c->cfg->ops.pcap_size);
}

static enum options_result parse_audit_size(struct parse_ctx *c, const char *arg)
{
	return set_size(c, arg, AUDIT_LINE_MAX, &c->cfg->ops.audit_size);
}

static enum options_result parse_metrics_interval(struct parse_ctx *c, const char *arg)
{
	unsigned long n;

	if (!parse_uint(arg, 86400, &n) || n < 1)
		return fail(c, "--metrics-interval: \"%s\" is not a number of seconds from 1 to 86400",
			    arg);
	c->cfg->ops.metrics_interval = (unsigned)n;
	return OPTIONS_OK;
}

static enum options_result parse_name(struct parse_ctx *c, const char *arg)
{
	if (arg[0] == '\0' || strlen(arg) > 64 ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@") !=
		    strlen(arg))
		return fail(c, "--name: \"%s\" is not a name (1 to 64 letters, digits, "
			    "'-', '_', '.', ':', '@')", arg);
	c->cfg->ops.name = arg;
	return OPTIONS_OK;
}

static enum options_result parse_policy(struct parse_ctx *c, const char *arg)
{
	char why[512];

	if (arg[0] == '\0')
		return fail(c, "--policy: the path is empty");
	if (c->cfg->ops.policy)
		return fail(c, "--policy: given twice (one file; put every rule in it)");
	if (!policy_file_load(arg, &c->cfg->ops.policy_rules, why, sizeof(why)))
		return fail(c, "--policy: %s", why);
	if (c->cfg->ops.policy_rules.count + c->cfg->policy.count > POLICY_MAX_RULES)
		return fail(c, "--policy: more than %d rules with --allow and --block",
			    POLICY_MAX_RULES);
	c->cfg->ops.policy = arg;
	return OPTIONS_OK;
}

static enum options_result parse_ready_fd(struct parse_ctx *c, const char *arg)
{
	unsigned long fd;

	if (!parse_uint(arg, 1 << 30, &fd))
		return fail(c, "--ready-fd: \"%s\" is not a file descriptor number", arg);
	if (fcntl((int)fd, F_GETFD) < 0)
		return fail(c, "--ready-fd: %lu is not an open file descriptor", fd);
	c->cfg->ops.ready_fd = (int)fd;
	return OPTIONS_OK;
}

static enum options_result parse_user(struct parse_ctx *c, const char *arg)
{
	c->cfg->user = arg;
	return OPTIONS_OK;
}

static enum options_result parse_group(struct parse_ctx *c, const char *arg)
{
	c->cfg->group = arg;
	return OPTIONS_OK;
}

static enum options_result parse_sandbox(struct parse_ctx *c, const char *arg)
{
	int on = parse_on_off(c, arg);

	if (on < 0)
		return OPTIONS_ERROR;
	c->cfg->sandbox = on;
	return OPTIONS_OK;
}

static enum options_result parse_debug(struct parse_ctx *c, const char *arg)
{
	(void)arg;
	c->cfg->debug = true;
	return OPTIONS_OK;
}

static enum options_result parse_help(struct parse_ctx *c, const char *arg)
{
	(void)c;
	(void)arg;
	fputs(usage_text, stdout);
	return OPTIONS_EXIT_OK;
}

static enum options_result parse_version(struct parse_ctx *c, const char *arg)
{
	(void)c;
	(void)arg;
	puts("sock-vmnet " SVM_VERSION);
	return OPTIONS_EXIT_OK;
}

/* ---- the table ------------------------------------------------------------------------------ */

/* where an option may stand: anywhere, or only with or only without "run" */
enum opt_where {
	OPT_ANYWHERE,
	OPT_VM_SOCKET, /* one of --fd, --socket, --listen: the helper's, not "run"'s */
	OPT_RUN_ONLY,  /* "run" makes the VM socket: where the hypervisor gets it */
};

/**
 * struct opt_row - one option of the command line
 * @name: its long name, without the dashes
 * @takes_value: it needs a value (--name=VALUE or --name VALUE); otherwise it takes none
 * @where: with "run", without it, or both
 * @parse: checks the value and sets the config; OPTIONS_EXIT_OK ends the parse (--help)
 */
struct opt_row {
	const char *name;
	bool takes_value;
	enum opt_where where;
	enum options_result (*parse)(struct parse_ctx *c, const char *arg);
};

/* getopt_long() accepts unique abbreviations of these names: a new name may make one ambiguous */
static const struct opt_row option_table[] = {
	{"fd", true, OPT_VM_SOCKET, parse_fd},
	{"mac", true, OPT_ANYWHERE, parse_mac},
	{"start-addr", true, OPT_ANYWHERE, parse_start_addr},
	{"end-addr", true, OPT_ANYWHERE, parse_end_addr},
	{"subnet-mask", true, OPT_ANYWHERE, parse_subnet_mask},
	{"debug", false, OPT_ANYWHERE, parse_debug},
	{"backend", true, OPT_ANYWHERE, parse_backend},
	{"bridge", true, OPT_ANYWHERE, parse_bridge},
	{"mtu", true, OPT_ANYWHERE, parse_mtu},
	{"offload", true, OPT_ANYWHERE, parse_offload},
	{"vm-offload", true, OPT_ANYWHERE, parse_vm_offload},
	{"lease-db", true, OPT_ANYWHERE, parse_lease_db},
	{"lease-time", true, OPT_ANYWHERE, parse_lease_time},
	{"dns", true, OPT_ANYWHERE, parse_dns},
	{"ipv6", true, OPT_ANYWHERE, parse_ipv6},
	{"ipv6-prefix", true, OPT_ANYWHERE, parse_ipv6_prefix},
	{"domain", true, OPT_ANYWHERE, parse_domain},
	{"allow", true, OPT_ANYWHERE, parse_allow},
	{"block", true, OPT_ANYWHERE, parse_block},
	{"block-mode", true, OPT_ANYWHERE, parse_block_mode},
	{"check-names", true, OPT_ANYWHERE, parse_check_names},
	{"control", true, OPT_ANYWHERE, parse_control},
	{"expose", true, OPT_ANYWHERE, parse_expose},
	{"user", true, OPT_ANYWHERE, parse_user},
	{"group", true, OPT_ANYWHERE, parse_group},
	{"sandbox", true, OPT_ANYWHERE, parse_sandbox},
	{"socket", true, OPT_VM_SOCKET, parse_socket},
	{"listen", true, OPT_VM_SOCKET, parse_listen},
	{"vm-fd-number", true, OPT_RUN_ONLY, parse_vm_fd_number},
	{"help", false, OPT_ANYWHERE, parse_help},
	{"version", false, OPT_ANYWHERE, parse_version},
	{"vmnet-mode", true, OPT_ANYWHERE, parse_vmnet_mode},
	{"vmnet-interface", true, OPT_ANYWHERE, parse_vmnet_interface},
	{"vmnet-virtio-header", true, OPT_ANYWHERE, parse_vmnet_virtio_header},
	{"name", true, OPT_ANYWHERE, parse_name},
	{"pcap", true, OPT_ANYWHERE, parse_pcap},
	{"pcap-drops", true, OPT_ANYWHERE, parse_pcap_drops},
	{"pcap-size", true, OPT_ANYWHERE, parse_pcap_size},
	{"metrics", true, OPT_ANYWHERE, parse_metrics},
	{"metrics-interval", true, OPT_ANYWHERE, parse_metrics_interval},
	{"audit", true, OPT_ANYWHERE, parse_audit},
	{"audit-size", true, OPT_ANYWHERE, parse_audit_size},
	{"policy", true, OPT_ANYWHERE, parse_policy},
	{"ready-fd", true, OPT_ANYWHERE, parse_ready_fd},
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))
/* getopt_long()'s value for option_table[i]: above every character getopt_long() returns */
#define OPTION_ID_BASE 256

/* The table as getopt_long() reads it, its terminating zeroed entry included. */
static void getopt_table(struct option out[OPTION_COUNT + 1])
{
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct opt_row *o = &option_table[i];

		out[i] = (struct option){o->name, o->takes_value ? required_argument : no_argument,
					 NULL, OPTION_ID_BASE + (int)i};
	}
	out[OPTION_COUNT] = (struct option){0};
}

/* --vmnet-mode and --vmnet-interface together: bridged mode needs the interface, and only it */
static enum options_result check_vmnet(struct parse_ctx *c, const struct config *cfg)
{
	const struct vmnet_config *v = &cfg->backend.vmnet;

	/* "auto" means vmnet wherever vmnet is built */
	if (v->mode_given && strcmp(cfg->backend.name, "vmnet") != 0 &&
	    !(strcmp(cfg->backend.name, "auto") == 0 && backend_find("vmnet")))
		return fail(c, "--vmnet-%s: only with --backend=vmnet", v->interface[0] ? "interface"
											 : "mode");
	if (v->mode == VMNET_MODE_BRIDGED && !v->interface[0])
		return fail(c, "--vmnet-mode: bridged needs --vmnet-interface (see --help)");
	if (v->mode != VMNET_MODE_BRIDGED && v->interface[0])
		return fail(c, "--vmnet-interface: only with --vmnet-mode=bridged");
	/*
	 * Bridged, the VM is on the LAN of --vmnet-interface, whose router and addresses are
	 * the LAN's: sock-vmnet's defaults (192.168.64.0/24) would hand the VM an address the
	 * LAN does not route. sock-vmnet still answers its VM's DHCP itself (the guard must
	 * know the VM's address, and nothing of it reaches the LAN), so the LAN's router and a
	 * range of its addresses that no DHCP server of the LAN hands out are given.
	 */
	if (v->mode == VMNET_MODE_BRIDGED && c->seed.given < 3)
		return fail(c, "--vmnet-mode: bridged needs --start-addr (the LAN's router), "
			    "--end-addr and --subnet-mask: a range of the LAN that no DHCP server "
			    "of it hands out (README, bridged mode)");
	return OPTIONS_OK;
}

/* The seed's flags into the IPv4 network: the gateway, the subnet, the range's end. */
static enum options_result check_addresses(struct parse_ctx *c, struct config *cfg,
					   const struct seed_addresses *seed)
{
	char a[IPV4_TEXT_LEN], b[IPV4_TEXT_LEN];
	int prefix = ipv4_mask_prefix_len(seed->subnet_mask);
	uint32_t mask = seed->subnet_mask, subnet = seed->start_addr & mask;

	ipv4_format(seed->subnet_mask, a);
	if (prefix < 0)
		return fail(c, "--subnet-mask: \"%s\" is not a contiguous netmask", a);
	if (prefix < 8 || prefix > 30)
		return fail(c, "--subnet-mask: \"%s\" must be /8 to /30", a);
	if (seed->start_addr > seed->end_addr) {
		ipv4_format(seed->start_addr, a);
		ipv4_format(seed->end_addr, b);
		return fail(c, "--start-addr: \"%s\" is after --end-addr \"%s\"", a, b);
	}
	if ((seed->start_addr & mask) != (seed->end_addr & mask)) {
		ipv4_format(seed->end_addr, b);
		return fail(c, "--end-addr: \"%s\" is outside the subnet of --start-addr", b);
	}
	if (seed->start_addr == subnet || seed->start_addr == (subnet | ~mask)) {
		ipv4_format(seed->start_addr, a);
		return fail(c, "--start-addr: \"%s\" is the network or broadcast address", a);
	}
	/* The gateway, network and broadcast addresses are never handed out; something must be. */
	if (seed->end_addr - seed->start_addr < 1 ||
	    (seed->end_addr - seed->start_addr == 1 && seed->end_addr == (subnet | ~mask)))
		return fail(c, "--end-addr: the range leaves no address for the VM");
	cfg->net4 = (struct net4_config){
		.gateway = inet_from_v4(seed->start_addr),
		.subnet = {inet_from_v4(subnet), (uint8_t)prefix},
		.mask = mask,
		.range_end = inet_from_v4(seed->end_addr),
	};
	return OPTIONS_OK;
}

/*
 * What identifies this host for the default IPv6 prefix: /etc/machine-id (systemd's and
 * D-Bus's, set once at installation, never changed: the prefix, and the VMs' addresses in
 * it, stay the same across restarts and reboots), else the host's name. Return: its length.
 */
static size_t host_identity(char *out, size_t size)
{
	FILE *f = fopen("/etc/machine-id", "re");
	size_t n = 0;

	if (f) {
		n = fread(out, 1, size - 1, f);
		fclose(f);
	}
	if (n == 0 && gethostname(out, size - 1) == 0)
		n = strnlen(out, size - 1);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\0'))
		n--;
	out[n] = '\0';
	return n;
}

/*
 * The IPv6 network: on unless --ipv6=off, or unless the link is too small for IPv6 (an
 * --mtu below 1280 with --ipv6 not given keeps the old behaviour; given, it is an error);
 * its prefix --ipv6-prefix, or a Unique Local /64 from the host's identity and the IPv4
 * subnet (RFC 4193 3.2.2, proto/ula.c): stable across restarts, and different between hosts
 * and between the networks of one host, as two IPv4 subnets are.
 */
static enum options_result check_ipv6(struct parse_ctx *c, struct config *cfg)
{
	char seed[400], host[256], subnet[IPV4_TEXT_LEN];
	int n;

	if (c->ipv6 == 1 && cfg->vm.mtu < IPV6_MIN_MTU)
		return fail(c, "--mtu: %u is below IPv6's minimum of %d (RFC 8200 5): give "
			    "--ipv6=off or a larger --mtu", cfg->vm.mtu, IPV6_MIN_MTU);
	cfg->net6.enabled = c->ipv6 != 0 && cfg->vm.mtu >= IPV6_MIN_MTU;
	/*
	 * vmnet carries IPv6 through NAT66, in shared mode only: host mode has no router for
	 * the prefix, bridged mode is the LAN's (whose router would not route our prefix)
	 */
	if (cfg->net6.enabled && cfg->backend.vmnet.mode != VMNET_MODE_SHARED &&
	    (strcmp(cfg->backend.name, "vmnet") == 0 ||
	     (strcmp(cfg->backend.name, "auto") == 0 && backend_find("vmnet")))) {
		if (c->ipv6 == 1)
			return fail(c, "--ipv6: vmnet carries IPv6 in shared mode only (NAT66), not "
				    "with --vmnet-mode=%s", cfg->backend.vmnet.mode == VMNET_MODE_HOST
								  ? "host" : "bridged");
		cfg->net6.enabled = false;
	}
	if (c->ipv6_prefix_given && !cfg->net6.enabled)
		return fail(c, "--ipv6-prefix: IPv6 is off (--ipv6=off or --mtu below %d)",
			    IPV6_MIN_MTU);
	if (!c->ipv6_prefix_given) {
		host_identity(host, sizeof(host));
		ipv4_format(inet_v4(&cfg->net4.subnet.addr), subnet);
		n = snprintf(seed, sizeof(seed), "sock-vmnet ULA %s %s/%u", host, subnet,
			     cfg->net4.subnet.len);
		ula_prefix(seed, (size_t)n < sizeof(seed) ? (size_t)n : sizeof(seed) - 1,
			   &cfg->net6.prefix);
	}
	cfg->net6.gateway = cfg->net6.prefix.addr;
	cfg->net6.gateway.b[15] = 1;
	cfg->net6.gateway_ll = (struct inet_addr){{0xfe, 0x80, [15] = 1}};
	return OPTIONS_OK;
}

enum options_result options_parse(int argc, char **argv, bool need_vm, struct config *cfg,
				  char *err, size_t err_size)
{
	struct parse_ctx c = {
		.err = err,
		.err_size = err_size,
		.cfg = cfg,
		.seed = {
			.start_addr = 0xc0a84001, /* 192.168.64.1 */
			.end_addr = 0xc0a840ff,   /* 192.168.64.255 */
			.subnet_mask = 0xffffff00,
		},
		.ipv6 = -1,
	};
	struct option long_options[OPTION_COUNT + 1];
	bool have_vm = false;
	enum options_result r;
	int id;

	*cfg = (struct config){
		.vm = {.fd = -1, .fd_number = 3, .mtu = DEFAULT_MTU},
		.dhcp = {.lease_db = options_default_lease_db(), .lease_time = DEFAULT_LEASE_TIME},
		.backend = {.name = "auto", .bridge = DEFAULT_BRIDGE, .offload = true},
		.ops = {.pcap_size = PCAP_SIZE_DEFAULT, .metrics_interval = METRICS_INTERVAL_DEFAULT_S,
			.audit_size = AUDIT_SIZE_DEFAULT, .ready_fd = -1},
		.sandbox = true,
	};

	getopt_table(long_options);
	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
		const struct opt_row *o;

		if (id == '?')
			return fail(&c, "%s: unknown option (see --help)", argv[optind - 1]);
		if (id == ':')
			return fail(&c, "%s: needs a value", argv[optind - 1]);
		if (id < OPTION_ID_BASE || id >= OPTION_ID_BASE + (int)OPTION_COUNT)
			return fail(&c, "internal error: option %d", id);
		o = &option_table[id - OPTION_ID_BASE];
		c.name = o->name;
		if (o->where == OPT_VM_SOCKET) {
			if (!need_vm)
				return fail(&c, "--%s: not with \"run\", which makes the VM socket",
					    o->name);
			if (have_vm)
				return fail(&c, "--%s: only one of --fd, --socket, --listen",
					    o->name);
			have_vm = true;
		}
		if (o->where == OPT_RUN_ONLY && need_vm)
			return fail(&c, "--%s: only with \"run\"", o->name);
		r = o->parse(&c, optarg);
		if (r != OPTIONS_OK)
			return r;
	}
	if (optind < argc)
		return fail(&c, "\"%s\": unexpected argument (see --help)", argv[optind]);
	if (need_vm && !have_vm)
		return fail(&c, "--fd: missing (or --socket/--listen); see --help");
	if (!c.have_mac)
		return fail(&c, "--mac: missing; see --help");
	r = check_vmnet(&c, cfg);
	if (r != OPTIONS_OK)
		return r;
	if (cfg->backend.vmnet.virtio_header && strcmp(cfg->backend.name, "vmnet") != 0 &&
	    !(strcmp(cfg->backend.name, "auto") == 0 && backend_find("vmnet")))
		return fail(&c, "--vmnet-virtio-header: only with --backend=vmnet");
	if (cfg->backend.vmnet.virtio_header && cfg->vm.offload == VM_OFFLOAD_OFF)
		return fail(&c, "--vmnet-virtio-header: only with --vm-offload (the VM's large packets "
			    "pass through it)");
	/* large packets from the VM need a host side that takes them */
	if (cfg->vm.offload != VM_OFFLOAD_OFF && !cfg->backend.offload)
		return fail(&c, "--vm-offload: needs --offload=on (the host side's large packets)");
	/* a stream's hypervisor (QEMU's stream netdev, passt) offloads nothing */
	if (cfg->vm.offload != VM_OFFLOAD_OFF &&
	    (cfg->vm.transport == VM_FD_STREAM || cfg->vm.transport == VM_LISTEN_STREAM))
		return fail(&c, "--vm-offload: only on a datagram socket (--fd of a SOCK_DGRAM "
			    "socket, --socket, run)");
	if (cfg->ops.ready_fd >= 0 && cfg->ops.ready_fd == cfg->vm.fd)
		return fail(&c, "--ready-fd: %d is the VM's --fd", cfg->ops.ready_fd);
	if (cfg->ops.policy_rules.count + cfg->policy.count > POLICY_MAX_RULES)
		return fail(&c, "--policy: more than %d rules with --allow and --block",
			    POLICY_MAX_RULES);
	cfg->backend.vmnet.forwards = cfg->expose.count > 0;
	cfg->backend.lease_db = cfg->dhcp.lease_db; /* the tap back-end's bridge records it */
	r = check_addresses(&c, cfg, &c.seed);
	return r != OPTIONS_OK ? r : check_ipv6(&c, cfg);
}

const char *options_default_lease_db(void)
{
	static char path[4096];
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return DEFAULT_LEASE_DB;
	/* XDG Base Directory: $XDG_STATE_HOME, ~/.local/state by default (absolute paths only) */
	if (state && state[0] == '/')
		snprintf(path, sizeof(path), "%s/sock-vmnet/leases.db", state);
	else if (home && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.local/state/sock-vmnet/leases.db", home);
	else
		return DEFAULT_LEASE_DB; /* nowhere of its own: the database will say it cannot */
	return path;
}

void options_free(struct config *cfg)
{
	free(cfg->policy.rules);
	cfg->policy.rules = NULL;
	cfg->policy.count = 0;
	free(cfg->expose.list);
	cfg->expose.list = NULL;
	cfg->expose.count = 0;
	policy_file_free(&cfg->ops.policy_rules);
}
