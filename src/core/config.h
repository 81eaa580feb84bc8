/* SPDX-License-Identifier: MIT */
/* config.h — what the command line says, in sections, checked once and then only read */
#ifndef SVM_CORE_CONFIG_H
#define SVM_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/expose.h"
#include "guard/policy.h"
#include "proto/addr.h"

#define DEFAULT_MTU 1500
#define MAX_MTU 65521 /* the largest MTU a TAP and an Ethernet frame in a datagram allow */
#define MIN_MTU 576   /* RFC 791: every IPv4 host must accept 576-byte datagrams */
#define DEFAULT_LEASE_DB "/var/lib/sock-vmnet/leases.db"
#define DEFAULT_LEASE_TIME 600 /* seconds, as softnet */
#define DEFAULT_BRIDGE "svmnet0"
#define MAX_DNS_SERVERS 3
#define BRIDGE_NAME_SIZE 16 /* IFNAMSIZ: a Linux interface name and its NUL */
#define BACKEND_NAME_SIZE 16

enum vm_transport_kind {
	VM_FD_DGRAM,     /* --fd of an AF_UNIX SOCK_DGRAM socket */
	VM_FD_STREAM,    /* --fd of an AF_UNIX SOCK_STREAM socket, 4-byte length framing */
	VM_SOCKET_DGRAM, /* --socket PATH: bind a unixgram socket, serve the first peer */
	VM_LISTEN_STREAM /* --listen PATH: unix stream socket, one client */
};

/**
 * struct vm_config - the VM: how its frames arrive, and what it may claim to be
 * @transport: which kind of socket carries the frames
 * @fd: --fd; -1 otherwise
 * @path: --socket or --listen
 * @fd_number: "run": the descriptor number the hypervisor gets its end as (3)
 * @mac: --mac, the only source address its frames may carry
 * @mtu: --mtu of the VM's link
 */
struct vm_config {
	enum vm_transport_kind transport;
	int fd;
	const char *path;
	int fd_number;
	uint8_t mac[6];
	unsigned mtu;
};

/**
 * struct net4_config - the VM's IPv4 network (the seed's flags)
 * @gateway: = --start-addr, held by the host side, also the DHCP server and DNS
 * @subnet: --start-addr masked by --subnet-mask
 * @mask: --subnet-mask, host order (for DHCP's option 1 and the pool arithmetic)
 * @range_end: --end-addr
 */
struct net4_config {
	struct inet_addr gateway;
	struct inet_prefix subnet;
	uint32_t mask;
	struct inet_addr range_end;
};

/** struct dhcp_config - the DHCP server and its lease database */
struct dhcp_config {
	const char *lease_db;
	unsigned lease_time;
	const char *domain; /* --domain, or NULL */
};

/** struct dns_config - where the VM's DNS queries go (none given: /etc/resolv.conf's) */
struct dns_config {
	struct inet_addr servers[MAX_DNS_SERVERS];
	size_t count;
};

/* --block-mode: what a packet the policy refuses gets */
enum block_mode {
	BLOCK_REJECT, /* an answer: TCP RST, or ICMP "administratively prohibited" */
	BLOCK_DROP,   /* nothing: the VM's program waits for its timeout */
};

/* --check-names: the server-name check of TCP flows let through by a name rule only */
enum check_names {
	CHECK_NAMES_AUTO, /* on when a name rule exists */
	CHECK_NAMES_ON,
	CHECK_NAMES_OFF,
};

/**
 * struct policy_config - the destination policy of the command line
 * @rules: the --allow/--block rules, in command-line order (malloc'd: options_free())
 * @count: how many
 * @block_mode: --block-mode
 * @check_names: --check-names
 */
struct policy_config {
	struct policy_rule *rules;
	size_t count;
	enum block_mode block_mode;
	enum check_names check_names;
};

/** struct expose_config - the command line's --expose, in order (malloc'd: options_free()) */
struct expose_config {
	struct expose *list;
	size_t count;
};

/**
 * struct backend_config - the host side
 * @name: --backend ("tap")
 * @bridge: --bridge, for the tap back-end
 * @offload: --offload: large packets between sock-vmnet and the host
 */
struct backend_config {
	char name[BACKEND_NAME_SIZE];
	char bridge[BRIDGE_NAME_SIZE];
	bool offload;
};

/* --vmnet-mode: vmnet.framework's operating modes (backend/vmnet) */
enum vmnet_mode_kind {
	VMNET_MODE_SHARED,  /* NAT behind the host (macOS: bridge100), the default */
	VMNET_MODE_HOST,    /* the host and other host-mode VMs only */
	VMNET_MODE_BRIDGED, /* on a host interface's own network (--vmnet-interface) */
};

/**
 * struct vmnet_config - the vmnet back-end (macOS)
 * @mode: --vmnet-mode
 * @interface: --vmnet-interface, the host interface of bridged mode ("" otherwise)
 * @mode_given: --vmnet-mode or --vmnet-interface was on the command line
 */
struct vmnet_config {
	enum vmnet_mode_kind mode;
	char interface[BRIDGE_NAME_SIZE];
	bool mode_given;
};

struct config {
	struct vm_config vm;
	struct net4_config net4;
	struct dhcp_config dhcp;
	struct dns_config dns;
	struct policy_config policy;
	struct expose_config expose;
	struct backend_config backend;
	struct vmnet_config vmnet;
	const char *user, *group; /* drop privileges to these after setup */
	const char *control;      /* --control: the control socket's path, or NULL */
	bool debug;
};

#endif
