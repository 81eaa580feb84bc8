/* SPDX-License-Identifier: MIT */
/* vm_config.h — the VM and its IPv4 and IPv6 networks: the sections of the command line every floor reads */
#ifndef SVM_CORE_VM_CONFIG_H
#define SVM_CORE_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/addr.h"

#define DEFAULT_MTU 1500
#define MAX_MTU 65521 /* the largest MTU a TAP and an Ethernet frame in a datagram allow */
#define MIN_MTU 576   /* RFC 791: every IPv4 host must accept 576-byte datagrams */

enum vm_transport_kind {
	VM_FD_DGRAM,     /* --fd of an AF_UNIX SOCK_DGRAM socket */
	VM_FD_STREAM,    /* --fd of an AF_UNIX SOCK_STREAM socket, 4-byte length framing */
	VM_SOCKET_DGRAM, /* --socket PATH: bind a unixgram socket, serve the first peer */
	VM_LISTEN_STREAM /* --listen PATH: unix stream socket, one client */
};

/*
 * --vm-offload: what the VM's datagrams carry (README, "Large packets from the VM")
 *  VM_OFFLOAD_OFF       frames of at most MTU + 14 bytes, whole checksums
 *  VM_OFFLOAD_ON        krunkit's offloading=on as libkrun ships it: no header; frames of up
 *                       to 65550 bytes, TCP/UDP checksums that may be partial, both ways
 *  VM_OFFLOAD_VNET_HDR  a 12-byte virtio_net_hdr_v1 before every frame, both ways (libkrun's
 *                       NET_FLAG_INCLUDE_VNET_HEADER, vmnet's virtio header)
 */
enum vm_offload { VM_OFFLOAD_OFF, VM_OFFLOAD_ON, VM_OFFLOAD_VNET_HDR };

/**
 * struct vm_config - the VM: how its frames arrive, and what it may claim to be
 * @transport: which kind of socket carries the frames
 * @fd: --fd; -1 otherwise
 * @path: --socket or --listen
 * @fd_number: "run": the descriptor number the hypervisor gets its end as (3)
 * @mac: --mac, the only source address its frames may carry
 * @mtu: --mtu of the VM's link
 * @offload: --vm-offload: large packets and partial checksums on the VM's socket
 */
struct vm_config {
	enum vm_transport_kind transport;
	int fd;
	const char *path;
	int fd_number;
	uint8_t mac[6];
	unsigned mtu;
	enum vm_offload offload;
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

/**
 * struct net6_config - the VM's IPv6 network (--ipv6, --ipv6-prefix)
 * @enabled: --ipv6=on (the default, unless --mtu is below IPv6's 1280): off, every IPv6
 *           frame is dropped as before IPv6 was served
 * @prefix: the /64 the VM forms its addresses in (SLAAC): --ipv6-prefix, or a Unique Local
 *          prefix derived from the host and the IPv4 network (app/options.c)
 * @gateway: @prefix::1, the gateway's address on it (held by the host side)
 * @gateway_ll: fe80::1, the gateway's link-local address: the source of its Router
 *              Advertisements, the VM's default router
 */
struct net6_config {
	bool enabled;
	struct inet_prefix prefix;
	struct inet_addr gateway;
	struct inet_addr gateway_ll;
};

#endif
