/* SPDX-License-Identifier: MIT */
/* frame_port.h — one side of the relay: a place that frames come from and go to, in batches */
#ifndef SVM_CORE_FRAME_PORT_H
#define SVM_CORE_FRAME_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/container_of.h"
#include "proto/drop_reason.h"
#include "proto/frame.h"

struct stats;

/*
 * Bytes before each buffer of a batch that a port may use: a virtio-net header (12 bytes)
 * received or written right before its frame, so that header and frame are one buffer
 * (vm_dgram, vmnet's virtio header).
 */
#define FRAME_HEADROOM 16

/**
 * struct frame_batch - preallocated receive buffers for one direction
 * @count: frames received into it by the last recv
 * @cap: how many frames it holds
 * @frame_cap: bytes each buffer holds (MTU + Ethernet header + 1, so an oversize frame shows;
 *             a large packet's largest + 1 where a port hands those over)
 * @data: @cap buffers of @frame_cap bytes, one allocation, each FRAME_HEADROOM bytes after
 *        the end of the one before
 * @len: the length of each received frame
 * @offload: what each frame needs (proto/offload.h): zeroed by the relay before each recv,
 *           set by a port that hands over large packets or partial checksums
 */
struct frame_batch {
	unsigned count;
	unsigned cap;
	size_t frame_cap;
	uint8_t **data;
	uint32_t *len;
	struct offload_info *offload;
};

/**
 * struct frame_port - the VM transport or the host back-end, as the relay sees them
 * @name: "vm" or the back-end's name, for logs
 * @fd: the descriptor to poll: readable when frames wait, writable when sending may go on
 * @recv: fill @b with up to @b->cap frames. Return: frames received (0 when none waited),
 *        or -errno; -EPIPE means the other end is gone for good.
 * @send: send @n frames in order. Return: how many were taken (fewer when the port is
 *        full: the rest should wait for LOOP_OUT), or -errno (-EPIPE: gone).
 *        A frame the port refuses for itself (too big...) counts as taken, and is
 *        counted in @stats as @refuse_reason.
 * @close: release everything (the VM transports); a back-end's port is released by the
 *         back-end's own close (backend/backend.h)
 * @watch: optional, for a port whose @fd is a loop of its own (loop_fd(), --listen): the
 *         relay says which events (LOOP_IN, LOOP_OUT) it wants of the port, the port watches
 *         its inner sockets for them, and the relay watches @fd for LOOP_IN (the only event
 *         such a set reports) whenever it wants anything
 * @tx_pending: set by the port while it holds the tail of a frame it took in part (and
 *              counted as sent): the relay watches @fd for writing and then calls @send
 *              with no frames, which writes the tail
 * @rx_pending: set by the port while it holds frames already read but not yet handed
 *              over (a large packet cut into more frames than a batch holds), or frames
 *              its @send made (a userspace stack's answers): @fd may not become readable
 *              for them, so the relay calls @recv as soon as it can
 * @stats: the counters, set by the relay: a port counts what it drops or offloads
 * @refuse_reason: set by the relay: what a frame the port would not send counts as
 * @frame_max: the longest frame @recv may hand over (a large packet), when longer than the
 *             MTU + Ethernet header; 0 otherwise. The relay sizes the batch it gives @recv.
 *             @send takes frames with an offload description (struct frame_ref) only from a
 *             port that hands them over: the VM's, when it offloads, and the host side's.
 */
struct frame_port {
	const char *name;
	int fd;
	int (*recv)(struct frame_port *p, struct frame_batch *b);
	int (*send)(struct frame_port *p, const struct frame_ref *frames, unsigned n);
	void (*close)(struct frame_port *p);
	bool tx_pending;
	bool rx_pending;
	void (*watch)(struct frame_port *p, uint32_t events);
	struct stats *stats;
	enum drop_reason refuse_reason;
	size_t frame_max;
};

/**
 * frame_batch_init() - allocate @cap buffers of @frame_cap bytes, each with FRAME_HEADROOM
 * bytes before it, and their offload descriptions
 * Return: 0, or -ENOMEM.
 */
int frame_batch_init(struct frame_batch *b, unsigned cap, size_t frame_cap);
void frame_batch_free(struct frame_batch *b);

#endif
