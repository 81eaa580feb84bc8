/* SPDX-License-Identifier: MIT */
/* vmnet_port.h — the vmnet back-end's frame port: vmnet_read/vmnet_write in batches, offload */
#ifndef SVM_BACKEND_VMNET_VMNET_PORT_H
#define SVM_BACKEND_VMNET_VMNET_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/vmnet/doorbell.h"
#include "backend/vmnet/vmnet_link.h"
#include "core/frame_port.h"
#include "core/loop.h"
#include "datapath/relay.h"
#include "hostnet/arp_probe.h"
#include "proto/offload.h"

/* One relay batch is one vmnet call: the relay never hands over or asks for more. */
#define VMNET_BATCH RELAY_BATCH
/* Packets joined into one are at least two frames: at most half a batch of them per call. */
#define VMNET_JOINED_MAX (VMNET_BATCH / 2)
/*
 * Where joined packets are copied whole: vmnet takes one buffer per packet (QEMU
 * net/vmnet-common.m: "writing more than one iov into vmnet interface fails with
 * 'VMNET_INVALID_ARGUMENT'"; vmnet-helper and socket_vmnet always pass one). A call moves
 * at most VMNET_CALL_BYTES (256 KB); one packet more of the largest may be copied before a
 * call finds it full.
 */
#define VMNET_TX_LINEAR_BYTES (256 * 1024 + 65536 + 64)
/*
 * Whole packets read per call when they may be larger than a frame, each in a slot of
 * vmnet's largest packet, within the 256 KB a call may move: 3 of 64 KiB with TSO (135
 * frames of MTU 1500, two relay batches and more). 8 bounds the slots of smaller packets.
 */
#define VMNET_STAGE_SLOTS_MAX 8

/**
 * struct vmnet_port - frames to and from one vmnet interface
 * @port: what the relay sees; its fd is @set's, readable when the relay should come
 * @set: @bell (while the relay wants to read) and @room (while it waits to write)
 * @bell: rung by vmnet's event block, and by the port itself when a read filled a batch
 * @room: rung by @retry: vmnet has no "writable" event, so a full vmnet is asked again
 * @want: what the relay wants (port.watch); @in_set: which of @bell/@room are in @set
 * @read_max, @write_max: packets per call, as vmnet reported them or as it taught us
 * @stage: frames come through @staging, whole packets cut to the VM's MTU (offload, or
 *         packets that vmnet may hand over longer than a batch slot)
 * @join: consecutive TCP segments are joined into one packet for vmnet's TSO, copied
 *        into @tx_linear (one buffer per packet)
 * @single: packets still to be written one per call, after a write of several was refused
 *          (vmnet says nothing of which: *pktcnt is an output of success only)
 * @split: the staged packet being cut into frames, while @splitting
 * @prober: shown every frame vmnet hands over (ARP answers), or NULL
 */
struct vmnet_port {
	struct frame_port port;
	struct vmnet_link *link;
	struct loop *loop;
	struct loop *set;
	struct doorbell bell;
	int room[2];
	struct loop_source bell_src, room_src;
	uint32_t want, in_set;
	struct loop_timer retry;
	unsigned read_max, write_max;
	size_t max_frame;
	bool stage, join, partial_csum;
	bool warned_read_max, warned_write_max;
	uint8_t *staging;
	size_t slot_size;
	unsigned slots, staged, stage_next;
	size_t stage_len[VMNET_STAGE_SLOTS_MAX];
	bool more_waits;
	struct packet_splitter split;
	bool splitting;
	struct arp_prober *prober;
	struct vmpktdesc rx_desc[VMNET_BATCH];
	struct iovec rx_iov[VMNET_BATCH];
	struct vmpktdesc tx_desc[VMNET_BATCH];
	struct iovec tx_iov[VMNET_BATCH];
	unsigned tx_frames[VMNET_BATCH], tx_first[VMNET_BATCH];
	struct joined_packet joined[VMNET_JOINED_MAX];
	uint8_t *tx_linear;
	unsigned single;
};

/**
 * vmnet_port_init() - the port of a started @link, its doorbell rung by vmnet's events
 * @vm_mtu: the VM's MTU (--mtu): frames to the VM are cut to it
 * Return: 0, or -1 with @err set.
 */
int vmnet_port_init(struct vmnet_port *p, struct vmnet_link *link, struct loop *loop,
		    unsigned vm_mtu, char *err, size_t err_size);

/** vmnet_port_fini() - after vmnet_link_stop(): nothing rings any more */
void vmnet_port_fini(struct vmnet_port *p);

/**
 * vmnet_port_write_one() - one frame of sock-vmnet's own (ARP) straight to vmnet
 * @ctx: the port
 * Return: 0, or -EAGAIN/-EIO (a probe that is lost is sent again)
 */
int vmnet_port_write_one(void *ctx, const uint8_t *frame, size_t len);

/**
 * vmnet_port_read_one() - before the relay runs: one packet vmnet holds, into @buf (the
 * doorbell cleared first, as before every read)
 * Return: its length, 0 when none waits, or -EIO.
 */
int vmnet_port_read_one(struct vmnet_port *p, uint8_t *buf, size_t size);

#endif
