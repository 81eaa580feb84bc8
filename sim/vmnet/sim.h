/* SPDX-License-Identifier: MIT */
/* sim.h — the simulated vmnet.framework's insides: its settings, the host side, injected faults */
#ifndef SVM_SIM_VMNET_SIM_H
#define SVM_SIM_VMNET_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "vmnet/vmnet_api.h"

/*
 * What the simulation models (README, "The vmnet simulation"): shared mode is what macOS
 * makes of it — one bridge holding the gateway address, NAT behind it, one interface
 * ("vmenetN", here a TAP) per vmnet interface on the bridge. Host mode: the same without
 * NAT. Bridged mode: the TAP joins the bridge named by vmnet_shared_interface_name_key.
 * Whatever the real framework does beyond what Apple documents is a guess and marked so.
 */

#define SIM_MAX_FAULTS 8

/*
 * vmnet's virtio header: Apple points at virtio 1.1 §5.1.6, whose struct virtio_net_hdr has
 * num_buffers: 12 bytes (the simulation's assumption; a Mac must confirm it)
 */
#define SIM_VIRTIO_HDR_LEN 12

enum sim_call { SIM_CALL_READ, SIM_CALL_WRITE };

/**
 * struct sim_fault - a vmnet status forced on some calls (SVM_VMNET_SIM_FAULTS)
 * @call: which call
 * @status: what it returns, with *pktcnt = 0
 * @first: the first call (1-based, counted per interface) that fails
 * @count: how many calls in a row fail
 */
struct sim_fault {
	enum sim_call call;
	vmnet_return_t status;
	unsigned long first, count;
};

/**
 * struct sim_config - the simulation's settings, from the environment (read once)
 * @bridge: SVM_VMNET_SIM_BRIDGE: the shared and host mode bridge (macOS: bridge100)
 * @macos_major: SVM_VMNET_SIM_MACOS: the macOS the simulation plays (26: network objects)
 * @max_packets: SVM_VMNET_SIM_MAX_PACKETS: most packets one vmnet_read()/vmnet_write()
 *               takes; more is VMNET_TOO_MANY_PACKETS
 * @report_max_packets: the limit is in interface_param (macOS >= 15; SVM_VMNET_SIM_REPORT_MAX=0
 *                      hides it, as older systems do, so that the caller must learn it)
 * @events_before_return: SVM_VMNET_SIM_EVENTS=before-return: the event for packets a
 *                        vmnet_read() leaves behind is delivered before that call returns
 *                        (the earliest vmnet's queue could run it); "burst", the default:
 *                        when the watcher thread sees them
 * @privilege: SVM_VMNET_SIM_PRIVILEGE: root, virtualization or none
 */
/* SVM_VMNET_SIM_PRIVILEGE: what the process may do (root, the default, may do both) */
enum sim_privilege {
	SIM_PRIV_ROOT,           /* the classic API and macOS 26 networks */
	SIM_PRIV_VIRTUALIZATION, /* not root, com.apple.security.virtualization: networks only */
	SIM_PRIV_NONE,           /* neither */
};

struct sim_config {
	char bridge[16];
	unsigned macos_major;
	unsigned max_packets;
	bool report_max_packets;
	bool events_before_return;
	enum sim_privilege privilege;
	struct sim_fault faults[SIM_MAX_FAULTS];
	unsigned fault_count;
	bool fault_src_set;     /* SVM_VMNET_SIM_FAULT_SRC: write faults count only the calls */
	uint8_t fault_src[6];   /* whose first packet comes from this MAC (sim_fault_counts()) */
};

const struct sim_config *sim_config(void);

/** sim_log() - one line "vmnet-sim: ..." on stderr (the tests read the interface's name) */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** sim_fatal() - a broken promise inside the simulation itself: say so and abort() */
_Noreturn void sim_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * struct sim_net - the network an interface is started on
 * @gateway: the host's address on it (host order); 0 in bridged mode
 * @prefix_len: the subnet's
 * @nat: shared mode: masquerade the subnet
 * @bridged_if: bridged mode: the bridge to join
 * @nat66: shared mode's IPv6: masquerade @prefix6 (a /64), the bridge holding its ::1 and
 *         fe80::1 as the tap back-end's does (what macOS's bridge holds is for a Mac to say)
 * @ra: vmnet's own router advertisements (sim_host_advertise())
 * @network: the macOS 26 network the interface is started on (NULL: the classic API)
 * @mtu: the network's MTU (a network's interface takes no vmnet_mtu_key)
 */
struct sim_net {
	operating_modes_t mode;
	uint32_t gateway;
	unsigned prefix_len;
	bool nat;
	char bridged_if[16];
	bool nat66, ra;
	struct inet_addr prefix6;
	struct vmnet_network *network;
	unsigned mtu;
};

/** sim_random_ula() - a random unique local /64: vmnet's default NAT66 prefix */
void sim_random_ula(struct inet_addr *prefix);

/** sim_network_retain(), sim_network_release() - a network's references (vmnet_network.c) */
void sim_network_retain(struct vmnet_network *n);
void sim_network_release(struct vmnet_network *n);

/**
 * struct sim_host - the host side of one interface: a TAP on the bridge
 * @fd: the TAP (non-blocking)
 * @vnet: the TAP carries a virtio_net_hdr (TSO or checksum offload asked for)
 * @ra_fd: the packet socket vmnet's router advertisement goes out by, opened with the TAP:
 *         vmnet sends it from outside sock-vmnet's process, so neither the privilege it
 *         gives up nor its system call filter may stop the simulation (-1: none)
 */
struct sim_host {
	int fd;
	int ra_fd;
	char name[16];
	bool vnet;
	bool ra;                  /* vmnet's router advertisement is still to be sent */
	struct inet_addr prefix6; /* what it advertises */
	char bridge[16];
};

/**
 * sim_host_advertise() - vmnet's own router advertisement of its NAT66 prefix, once, to the
 * bridge's ports (vmnet advertises on its own; the simulation sends one when the VM's IPv6
 * first shows, after sock-vmnet's start has read what came before)
 */
void sim_host_advertise(struct sim_host *h);

/** sim_host_open() - the bridge (made if missing), NAT, and a TAP on it. Return: a status. */
vmnet_return_t sim_host_open(struct sim_host *h, const struct sim_net *net, unsigned mtu,
			     bool offload);
void sim_host_close(struct sim_host *h);

/**
 * struct vmnet_interface - one started interface
 * @lock: guards the event callback and @armed between the loop's thread (vmnet_read) and
 *        the watcher thread
 * @armed: the next readable TAP raises an event (set by vmnet_read(): one event per
 *         burst, not one per packet, until the reader has been back)
 * @stopped: vmnet_stop_interface() was called: every further call is VMNET_INVALID_ACCESS
 * @calls: vmnet_read()/vmnet_write() calls so far, for injected faults
 * @bounce: where a packet to write is gathered: 64 KiB and a header
 * @rx: where a packet is read whole from the TAP: as large
 * @network: the macOS 26 network it was started on (it holds a reference), or NULL
 * @bad_checksums: packets written whose checksum was wrong (the simulation's self-check)
 * @virtio_header: vmnet_enable_virtio_header_key: every packet read and written begins with
 *                 a SIM_VIRTIO_HDR_LEN-byte virtio_net_hdr_v1
 * @bad_headers: packets written whose virtio header the TAP refused (dropped)
 */
struct vmnet_interface {
	pthread_mutex_t lock;
	pthread_cond_t rearm;
	bool armed, stopping, watching;
	vmnet_interface_event_callback_t callback;
	dispatch_queue_t callback_queue;
	pthread_t watcher;
	int stop_pipe[2];
	atomic_bool stopped;
	struct sim_host host;
	unsigned mtu;
	size_t max_packet_size;
	bool tso, checksum_offload, virtio_header;
	unsigned long calls[2];
	uint8_t *bounce, *rx;
	struct vmnet_network *network;
	unsigned long bad_checksums, bad_headers;
	bool shared;                 /* shared mode: port forwarding works */
	struct sim_forward *forwards; /* vmnet_interface_add_ip_port_forwarding_rule()'s */
};

/** sim_forwards_stop() - the interface stops: every port forward of it goes */
void sim_forwards_stop(struct vmnet_interface *iface);

/**
 * sim_fault_counts() - whether a vmnet_write() of @packets counts toward write faults:
 * always, unless SVM_VMNET_SIM_FAULT_SRC names the MAC whose packets count (the VM's; how
 * many frames sock-vmnet writes itself first, its gateway ARP and address probes, depends
 * on timing, so a fault at "the VM's first frame" cannot be a fixed call number)
 */
bool sim_fault_counts(const struct vmpktdesc *packets, int count);

/** sim_fault_status() - the status forced on this call of @iface, or VMNET_SUCCESS */
vmnet_return_t sim_fault_status(struct vmnet_interface *iface, enum sim_call call);

/** sim_interface_start() - both start calls: check @desc, open the host side, report */
interface_ref sim_interface_start(const struct sim_net *net, xpc_object_t desc,
				  dispatch_queue_t queue,
				  vmnet_start_interface_completion_handler_t handler);

/**
 * sim_rearm() - vmnet_read() was called: the next readable TAP raises an event again (at
 * once, before the read returns, when SVM_VMNET_SIM_EVENTS=before-return and packets wait)
 */
void sim_rearm(struct vmnet_interface *iface);

/** sim_status_name() - "VMNET_SUCCESS"... for logs */
const char *sim_status_name(vmnet_return_t status);

#endif
