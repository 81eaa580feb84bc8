/* SPDX-License-Identifier: MIT */
/* datapath.h — the relay: VM transport → guard → services or back-end, and back */
#ifndef SVM_DATAPATH_H
#define SVM_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp.h"
#include "frame_port.h"
#include "guard.h"
#include "loop.h"
#include "stats.h"

/* Frames moved per receive call in each direction (see datapath.c for the measurement). */
#define DATAPATH_BATCH 64

/**
 * struct relay - one direction: frames read from @from, judged, written to @to
 * @out: the frames that passed, waiting to be written (views into @batch)
 * @out_count: how many are in @out
 * @out_sent: how many of them @to has taken; the rest wait for EPOLLOUT
 * @blocked_since_ms: when @to stopped taking frames (0: not blocked)
 */
struct relay {
	struct frame_port *from, *to;
	struct frame_batch batch;
	struct frame_ref out[DATAPATH_BATCH];
	unsigned out_count, out_sent;
	uint64_t blocked_since_ms;
	struct direction_counters *counters;
	enum drop_reason busy_reason;
	const char *direction;
};

struct datapath {
	struct loop *loop;
	struct frame_port *vm, *host;
	struct loop_source vm_src, host_src;
	uint32_t vm_events, host_events; /* what epoll watches now */
	struct relay to_host, to_vm;
	struct guard guard;
	struct dhcp_server *dhcp;
	struct stats *stats;
	bool vm_gone;   /* the VM's end closed: time to stop */
	bool failed;    /* an unrecoverable I/O error */
	uint8_t *reply; /* a DHCP answer being built */
	size_t reply_cap;
};

/**
 * datapath_init() - wire the VM port, the host port, the guard and the DHCP server
 * Return: 0, or -errno.
 */
int datapath_init(struct datapath *dp, struct loop *loop, const struct config *cfg,
		  struct frame_port *vm, struct frame_port *host, struct dhcp_server *dhcp,
		  struct stats *stats);
void datapath_fini(struct datapath *dp);

/**
 * datapath_timeout_ms() - how long the loop may sleep before a blocked batch expires
 * Return: -1 when nothing waits (no timer at all while idle).
 */
int datapath_timeout_ms(const struct datapath *dp);

/** datapath_expire() - drop batches that waited too long for a port that will not take them */
void datapath_expire(struct datapath *dp);

#endif
