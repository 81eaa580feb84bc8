// SPDX-License-Identifier: MIT
/* options.c — the command line, parsed and checked into one immutable config */
#include "options.h"

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

#include "addr.h"
#include "frame.h"

static const char usage_text[] =
	"Usage: sock-vmnet --fd=FD --mac=MAC [options]\n"
	"       sock-vmnet run --mac=MAC [options] -- HYPERVISOR-COMMAND...\n"
	"       sock-vmnet leases [--lease-db=PATH] [--json]\n"
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
	"  --bridge=NAME         host bridge to attach to, created if missing (svmnet0)\n"
	"  --mtu=N               MTU of the VM's link, 576..65521 (1500)\n"
	"  --offload=on|off      join the VM's TCP segments into large packets for the host and\n"
	"                        cut the host's large packets for the VM (on)\n"
	"  --lease-db=PATH       SQLite lease database (/var/lib/sock-vmnet/leases.db)\n"
	"  --lease-time=SECONDS  DHCP lease time (600)\n"
	"  --dns=IP[,IP]         upstream resolvers for the VM (default: /etc/resolv.conf)\n"
	"  --domain=NAME         domain name handed out by DHCP\n"
	"\n"
	"Policy (repeatable, comma-separated; longest prefix wins, block wins a tie):\n"
	"  --allow=RULE          RULE is CIDR, @host, or PROTO:CIDR[:PORT[-PORT]]\n"
	"  --block=RULE          e.g. --block 0.0.0.0/0 --allow @host --allow tcp:203.0.113.0/24:443\n"
	"\n"
	"Other:\n"
	"  --user=USER, --group=GROUP  drop privileges to these after setup\n"
	"  --vm-fd-number=N      with \"run\": the hypervisor's fd number for the VM socket (3)\n"
	"  --debug               log debug messages, including every drop (rate-limited)\n"
	"  --help, --version\n"
	"\n"
	"Signals: SIGINT/SIGTERM stop cleanly, SIGUSR1 prints the counters as JSON on stderr.\n";

const char *options_usage(void)
{
	return usage_text;
}

enum opt_id {
	OPT_FD = 256,
	OPT_MAC,
	OPT_START,
	OPT_END,
	OPT_MASK,
	OPT_DEBUG,
	OPT_BRIDGE,
	OPT_MTU,
	OPT_OFFLOAD,
	OPT_LEASE_DB,
	OPT_LEASE_TIME,
	OPT_DNS,
	OPT_DOMAIN,
	OPT_ALLOW,
	OPT_BLOCK,
	OPT_USER,
	OPT_GROUP,
	OPT_SOCKET,
	OPT_LISTEN,
	OPT_VM_FD_NUMBER,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{"fd", required_argument, NULL, OPT_FD},
	{"mac", required_argument, NULL, OPT_MAC},
	{"start-addr", required_argument, NULL, OPT_START},
	{"end-addr", required_argument, NULL, OPT_END},
	{"subnet-mask", required_argument, NULL, OPT_MASK},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"bridge", required_argument, NULL, OPT_BRIDGE},
	{"mtu", required_argument, NULL, OPT_MTU},
	{"offload", required_argument, NULL, OPT_OFFLOAD},
	{"lease-db", required_argument, NULL, OPT_LEASE_DB},
	{"lease-time", required_argument, NULL, OPT_LEASE_TIME},
	{"dns", required_argument, NULL, OPT_DNS},
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"allow", required_argument, NULL, OPT_ALLOW},
	{"block", required_argument, NULL, OPT_BLOCK},
	{"user", required_argument, NULL, OPT_USER},
	{"group", required_argument, NULL, OPT_GROUP},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"vm-fd-number", required_argument, NULL, OPT_VM_FD_NUMBER},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct parse_ctx {
	char *err;
	size_t err_size;
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

/* The option's name as the user wrote it, for messages. */
static const char *opt_name(int id)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

static enum options_result check_vm_fd(struct parse_ctx *c, struct config *cfg, const char *text)
{
	unsigned long fd;
	struct stat st;
	int domain, type;
	socklen_t len = sizeof(int);

	if (!parse_uint(text, 1 << 30, &fd))
		return fail(c, "--fd: \"%s\" is not a file descriptor number", text);
	if (fcntl((int)fd, F_GETFD) < 0)
		return fail(c, "--fd: %lu is not an open file descriptor", fd);
	if (fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return fail(c, "--fd: %lu is not a socket", fd);
	if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
		return fail(c, "--fd: %lu is not an AF_UNIX socket", fd);
	len = sizeof(int);
	if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    (type != SOCK_DGRAM && type != SOCK_STREAM))
		return fail(c, "--fd: %lu is an AF_UNIX socket of the wrong type "
			       "(want SOCK_DGRAM or SOCK_STREAM)", fd);
	cfg->vm_fd = (int)fd;
	cfg->transport = type == SOCK_DGRAM ? VM_FD_DGRAM : VM_FD_STREAM;
	return OPTIONS_OK;
}

static enum options_result add_rules(struct parse_ctx *c, struct config *cfg, int id,
				     const char *text)
{
	char *copy = strdup(text), *save = NULL;
	char why[160];

	if (!copy)
		return fail(c, "out of memory");
	for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		if (cfg->rule_count == POLICY_MAX_RULES) {
			free(copy);
			return fail(c, "--%s: more than %d rules", opt_name(id), POLICY_MAX_RULES);
		}
		if (!policy_rule_parse(part, id == OPT_ALLOW, &cfg->rules[cfg->rule_count], why,
				       sizeof(why))) {
			fail(c, "--%s: %s", opt_name(id), why);
			free(copy);
			return OPTIONS_ERROR;
		}
		cfg->rule_count++;
	}
	free(copy);
	return OPTIONS_OK;
}

static enum options_result add_dns(struct parse_ctx *c, struct config *cfg, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	enum options_result r = OPTIONS_OK;

	if (!copy)
		return fail(c, "out of memory");
	cfg->dns_server_count = 0;
	for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		if (cfg->dns_server_count == MAX_DNS_SERVERS) {
			r = fail(c, "--dns: more than %d servers", MAX_DNS_SERVERS);
			break;
		}
		if (!ipv4_parse(part, &cfg->dns_servers[cfg->dns_server_count++])) {
			r = fail(c, "--dns: \"%s\" is not an IPv4 address", part);
			break;
		}
	}
	free(copy);
	if (r == OPTIONS_OK && cfg->dns_server_count == 0)
		r = fail(c, "--dns: \"%s\" names no server", text);
	return r;
}

static enum options_result parse_one(struct parse_ctx *c, struct config *cfg, int id,
				     const char *arg)
{
	unsigned long n;

	switch (id) {
	case OPT_FD:
		return check_vm_fd(c, cfg, arg);
	case OPT_MAC:
		if (!mac_parse(arg, cfg->mac))
			return fail(c, "--mac: \"%s\" is not a MAC address", arg);
		if (mac_is_multicast(cfg->mac))
			return fail(c, "--mac: \"%s\" is a multicast address", arg);
		if (!memcmp(cfg->mac, "\0\0\0\0\0\0", 6))
			return fail(c, "--mac: \"%s\" is the zero address", arg);
		return OPTIONS_OK;
	case OPT_START:
	case OPT_END:
	case OPT_MASK: {
		uint32_t *dst = id == OPT_START ? &cfg->start_addr
			       : id == OPT_END ? &cfg->end_addr
					       : &cfg->subnet_mask;
		if (!ipv4_parse(arg, dst))
			return fail(c, "--%s: \"%s\" is not an IPv4 address", opt_name(id), arg);
		return OPTIONS_OK;
	}
	case OPT_DEBUG:
		cfg->debug = true;
		return OPTIONS_OK;
	case OPT_BRIDGE:
		if (arg[0] == '\0' || strlen(arg) >= IF_NAMESIZE || strpbrk(arg, "/: \t\n"))
			return fail(c, "--bridge: \"%s\" is not a valid interface name", arg);
		strcpy(cfg->bridge, arg);
		return OPTIONS_OK;
	case OPT_MTU:
		if (!parse_uint(arg, MAX_MTU, &n) || n < MIN_MTU)
			return fail(c, "--mtu: \"%s\" is not a number from %d to %d", arg, MIN_MTU,
				    MAX_MTU);
		cfg->mtu = (unsigned)n;
		return OPTIONS_OK;
	case OPT_OFFLOAD:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return fail(c, "--offload: \"%s\" is neither on nor off", arg);
		cfg->offload = arg[1] == 'n';
		return OPTIONS_OK;
	case OPT_LEASE_DB:
		if (arg[0] == '\0')
			return fail(c, "--lease-db: the path is empty");
		cfg->lease_db = arg;
		return OPTIONS_OK;
	case OPT_LEASE_TIME:
		/* at least a minute (renewal at T1 = half of it); at most a day */
		if (!parse_uint(arg, 86400, &n) || n < 60)
			return fail(c, "--lease-time: \"%s\" is not a number of seconds from 60 to 86400",
				    arg);
		cfg->lease_time = (unsigned)n;
		return OPTIONS_OK;
	case OPT_DNS:
		return add_dns(c, cfg, arg);
	case OPT_DOMAIN:
		if (arg[0] == '\0' || strlen(arg) > 253 || strpbrk(arg, " \t\n,"))
			return fail(c, "--domain: \"%s\" is not a domain name", arg);
		cfg->domain = arg;
		return OPTIONS_OK;
	case OPT_ALLOW:
	case OPT_BLOCK:
		return add_rules(c, cfg, id, arg);
	case OPT_USER:
		cfg->user = arg;
		return OPTIONS_OK;
	case OPT_GROUP:
		cfg->group = arg;
		return OPTIONS_OK;
	case OPT_SOCKET:
	case OPT_LISTEN:
		if (arg[0] == '\0' || strlen(arg) >= 108)
			return fail(c, "--%s: \"%s\" is not a usable socket path (1 to 107 bytes)",
				    opt_name(id), arg);
		cfg->vm_path = arg;
		cfg->transport = id == OPT_SOCKET ? VM_SOCKET_DGRAM : VM_LISTEN_STREAM;
		return OPTIONS_OK;
	case OPT_VM_FD_NUMBER:
		if (!parse_uint(arg, 1023, &n) || n < 3)
			return fail(c, "--vm-fd-number: \"%s\" is not a number from 3 to 1023", arg);
		cfg->vm_fd_number = (int)n;
		return OPTIONS_OK;
	default:
		return fail(c, "internal error: option %d", id);
	}
}

static enum options_result check_addresses(struct parse_ctx *c, struct config *cfg)
{
	char a[IPV4_TEXT_LEN], b[IPV4_TEXT_LEN];
	int prefix = ipv4_mask_prefix_len(cfg->subnet_mask);
	uint32_t mask = cfg->subnet_mask;

	ipv4_format(cfg->subnet_mask, a);
	if (prefix < 0)
		return fail(c, "--subnet-mask: \"%s\" is not a contiguous netmask", a);
	if (prefix < 8 || prefix > 30)
		return fail(c, "--subnet-mask: \"%s\" must be /8 to /30", a);
	if (cfg->start_addr > cfg->end_addr) {
		ipv4_format(cfg->start_addr, a);
		ipv4_format(cfg->end_addr, b);
		return fail(c, "--start-addr: \"%s\" is after --end-addr \"%s\"", a, b);
	}
	if ((cfg->start_addr & mask) != (cfg->end_addr & mask)) {
		ipv4_format(cfg->end_addr, b);
		return fail(c, "--end-addr: \"%s\" is outside the subnet of --start-addr", b);
	}
	cfg->subnet = cfg->start_addr & mask;
	cfg->prefix_len = (unsigned)prefix;
	cfg->gateway = cfg->start_addr;
	if (cfg->start_addr == cfg->subnet || cfg->start_addr == (cfg->subnet | ~mask)) {
		ipv4_format(cfg->start_addr, a);
		return fail(c, "--start-addr: \"%s\" is the network or broadcast address", a);
	}
	/* The gateway, network and broadcast addresses are never handed out; something must be. */
	if (cfg->end_addr - cfg->start_addr < 1 ||
	    (cfg->end_addr - cfg->start_addr == 1 && cfg->end_addr == (cfg->subnet | ~mask)))
		return fail(c, "--end-addr: the range leaves no address for the VM");
	return OPTIONS_OK;
}

enum options_result options_parse(int argc, char **argv, bool need_vm, struct config *cfg,
				  char *err, size_t err_size)
{
	struct parse_ctx c = {err, err_size};
	enum options_result r;
	int id;

	*cfg = (struct config){
		.vm_fd = -1,
		.start_addr = 0xc0a84001, /* 192.168.64.1 */
		.end_addr = 0xc0a840ff,   /* 192.168.64.255 */
		.subnet_mask = 0xffffff00,
		.bridge = DEFAULT_BRIDGE,
		.mtu = DEFAULT_MTU,
		.offload = true,
		.lease_db = DEFAULT_LEASE_DB,
		.lease_time = DEFAULT_LEASE_TIME,
		.vm_fd_number = 3,
	};
	bool have_mac = false, have_vm = false;

	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
		if (id == '?')
			return fail(&c, "%s: unknown option (see --help)", argv[optind - 1]);
		if (id == ':')
			return fail(&c, "%s: needs a value", argv[optind - 1]);
		if (id == OPT_HELP) {
			fputs(usage_text, stdout);
			return OPTIONS_EXIT_OK;
		}
		if (id == OPT_VERSION) {
			puts("sock-vmnet " SVM_VERSION);
			return OPTIONS_EXIT_OK;
		}
		if (id == OPT_FD || id == OPT_SOCKET || id == OPT_LISTEN) {
			if (!need_vm)
				return fail(&c, "--%s: not with \"run\", which makes the VM socket",
					    opt_name(id));
			if (have_vm)
				return fail(&c, "--%s: only one of --fd, --socket, --listen",
					    opt_name(id));
			have_vm = true;
		}
		if (id == OPT_VM_FD_NUMBER && need_vm)
			return fail(&c, "--vm-fd-number: only with \"run\"");
		have_mac |= id == OPT_MAC;
		r = parse_one(&c, cfg, id, optarg);
		if (r != OPTIONS_OK)
			return r;
	}
	if (optind < argc)
		return fail(&c, "\"%s\": unexpected argument (see --help)", argv[optind]);
	if (need_vm && !have_vm)
		return fail(&c, "--fd: missing (or --socket/--listen); see --help");
	if (!have_mac)
		return fail(&c, "--mac: missing; see --help");
	return check_addresses(&c, cfg);
}
