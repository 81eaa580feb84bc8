/* SPDX-License-Identifier: MIT */
/* options.h — the command line, parsed and checked into one immutable config */
#ifndef SVM_OPTIONS_H
#define SVM_OPTIONS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define DEFAULT_BRIDGE "svmnet0"
#define DEFAULT_MTU 1500
#define MAX_MTU 65521 /* the largest MTU a TAP and an Ethernet frame in a datagram allow */
#define MIN_MTU 576   /* RFC 791: every IPv4 host must accept 576-byte datagrams */
#define DEFAULT_LEASE_DB "/var/lib/sock-vmnet/leases.db"
#define DEFAULT_LEASE_TIME 600 /* seconds, as softnet */
#define MAX_DNS_SERVERS 3

enum vm_transport_kind {
	VM_FD_DGRAM,     /* --fd of an AF_UNIX SOCK_DGRAM socket */
	VM_FD_STREAM,    /* --fd of an AF_UNIX SOCK_STREAM socket, 4-byte length framing */
	VM_SOCKET_DGRAM, /* --socket PATH: bind a unixgram socket, serve the first peer */
	VM_LISTEN_STREAM /* --listen PATH: unix stream socket, one client */
};

/**
 * struct config - everything the command line says, checked
 *
 * Addresses are IPv4 in host byte order. Built once by options_parse() and then
 * only read.
 */
struct config {
	enum vm_transport_kind transport;
	int vm_fd;              /* -1 unless --fd */
	const char *vm_path;    /* --socket or --listen */
	uint8_t mac[6];

	uint32_t start_addr, end_addr, subnet_mask;
	uint32_t gateway;       /* = start_addr */
	uint32_t subnet;        /* = start_addr & subnet_mask */
	unsigned prefix_len;

	bool debug;
	char bridge[IF_NAMESIZE];
	unsigned mtu;
	bool offload;           /* large packets to and from the host (backend_tap.c) */

	const char *lease_db;
	unsigned lease_time;
	uint32_t dns_servers[MAX_DNS_SERVERS]; /* upstream resolvers; none = /etc/resolv.conf */
	size_t dns_server_count;
	const char *domain;

	struct policy_rule rules[POLICY_MAX_RULES];
	size_t rule_count;

	const char *user, *group; /* drop privileges to these after setup */

	int vm_fd_number;         /* "run": the fd number the hypervisor gets (3) */
};

enum options_result {
	OPTIONS_OK,
	OPTIONS_EXIT_OK, /* --help or --version was printed */
	OPTIONS_ERROR,   /* @err says why */
};

/**
 * options_parse() - parse and check the command line of the helper
 * @argc: argument count
 * @argv: arguments (argv[0] is the program)
 * @need_vm: false for "sock-vmnet run", which makes the VM socket itself
 * @cfg: filled in
 * @err: one line naming the option, the value and why, e.g.
 *       "--mac: \"zz:zz\" is not a MAC address"
 * @err_size: size of @err
 */
enum options_result options_parse(int argc, char **argv, bool need_vm, struct config *cfg,
				  char *err, size_t err_size);

/** options_usage() - the --help text */
const char *options_usage(void);

#endif
