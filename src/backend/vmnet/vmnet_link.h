/* SPDX-License-Identifier: MIT */
/* vmnet_link.h — one vmnet interface: started (classic API or macOS 26 network), watched, stopped */
#ifndef SVM_BACKEND_VMNET_VMNET_LINK_H
#define SVM_BACKEND_VMNET_VMNET_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/vmnet/doorbell.h"
#include "vmnet/vmnet_api.h"

/**
 * struct vmnet_link - a started vmnet interface and what vmnet said about it
 * @iface: the interface
 * @queue: the serial dispatch queue every vmnet block of this interface runs on
 * @network: the macOS 26 network it was started on, or NULL (classic API)
 * @offload: TSO and checksum offload were asked for
 * @virtio_header: TSO and vmnet's virtio-net header (in place of checksum offload): every
 *                 packet read and written starts with a 12-byte virtio_net_hdr_v1
 * @mtu: the interface's MTU (vmnet_mtu_key)
 * @max_packet_size: the longest packet it takes and hands over (vmnet_max_packet_size_key)
 * @read_max, @write_max: most packets per vmnet_read()/vmnet_write() as vmnet reports
 *                       them (macOS >= 15); 0 when it does not say
 * @mac: the interface's own MAC (vmnet_mac_address_key): the source of sock-vmnet's ARP
 */
struct vmnet_link {
	interface_ref iface;
	dispatch_queue_t queue;
	void *network;
	bool offload;
	bool virtio_header;
	unsigned mtu;
	size_t max_packet_size;
	unsigned read_max, write_max;
	uint8_t mac[6];
};

/**
 * vmnet_link_start() - start the interface the config describes, and wait for vmnet
 *
 * macOS 26 network objects when the running system has them and the mode is shared or
 * host (vmnet's DHCP server and DNS proxy disabled, the subnet from the seed's flags);
 * otherwise vmnet_start_interface(), the seed's flags in vmnet's start/end/mask keys.
 * Return: 0, or -1 with @err naming the option at fault.
 */
int vmnet_link_start(struct vmnet_link *l, const struct backend_setup *setup, char *err, size_t err_size);

/** vmnet_link_watch() - ring @bell whenever vmnet says packets wait. Return: 0 or -1. */
int vmnet_link_watch(struct vmnet_link *l, struct doorbell *bell, char *err, size_t err_size);

/**
 * vmnet_link_stop() - stop the interface and wait until vmnet has run every block it had
 * queued for it (so that no event block rings a doorbell after this returns)
 */
void vmnet_link_stop(struct vmnet_link *l);

/** vmnet_status_name() - "VMNET_BUFFER_EXHAUSTED"..., for messages */
const char *vmnet_status_name(vmnet_return_t status);

#endif
