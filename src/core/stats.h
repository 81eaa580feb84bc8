/* SPDX-License-Identifier: MIT */
/* stats.h — frame, byte and drop counters, printed as one JSON line */
#ifndef SVM_CORE_STATS_H
#define SVM_CORE_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/drop_reason.h"

struct frame_view;

struct direction_counters {
	uint64_t frames;
	uint64_t bytes;
};

/**
 * struct offload_counters - large packets the back-end made or took apart
 * @packets: packets written to the host (joined) or read from it (split)
 * @frames: the VM's frames they held
 */
struct offload_counters {
	uint64_t packets;
	uint64_t frames;
};

/**
 * struct name_counters - what the name rules did (the guard counts)
 * @answers: DNS answers read
 * @learned: addresses learned for a name rule (again for a repeated answer)
 * @rebinding: addresses an answer gave an allowed name that are never opened by a name
 *             (loopback, link-local, multicast, reserved, the VMs' own subnet)
 * @held: segments of checked flows kept back while their bytes were not judged yet
 * @released: segments made to send judged bytes on in their place
 */
struct name_counters {
	uint64_t answers;
	uint64_t learned;
	uint64_t rebinding;
	uint64_t held;
	uint64_t released;
};

struct stats {
	struct direction_counters vm_to_host;
	struct direction_counters host_to_vm;
	struct direction_counters dhcp; /* frames the DHCP responder took */
	struct direction_counters dns;  /* frames the DNS responder took */
	struct direction_counters ndp;  /* frames the NDP responder took (RS, NS, DAD) */
	struct offload_counters joined; /* vm->host: frames joined into large packets */
	struct offload_counters split;  /* host->vm: large packets cut into frames */
	struct offload_counters from_vm; /* --vm-offload: the VM's large packets passed on whole */
	struct offload_counters to_vm;   /* --vm-offload: large packets given to the VM whole */
	struct name_counters names;     /* DNS answers read for the name rules */
	uint64_t drops[DROP__COUNT];
	/* debug-log rate limiting, per reason */
	uint64_t log_window_start_ms[DROP__COUNT];
	unsigned log_window_count[DROP__COUNT];
};

/**
 * stats_drop() - count a dropped frame and, with --debug, log it (rate-limited)
 * @s: the counters
 * @reason: why (not DROP_NONE)
 * @direction: "vm->host" or "host->vm"
 * @v: the frame as far as it parsed, or NULL
 */
void stats_drop(struct stats *s, enum drop_reason reason, const char *direction,
		const struct frame_view *v);

/** stats_drop_detail() - stats_drop() with more to say in the debug log (@detail, or "") */
void stats_drop_detail(struct stats *s, enum drop_reason reason, const char *direction,
		       const struct frame_view *v, const char *detail);

/**
 * stats_to_json() - the counters as one JSON object, no newline
 *
 * Shape: {"vm_to_host":{"frames":N,"bytes":N},"host_to_vm":{...},"dhcp":{...},"dns":{...},
 *         "ndp":{...},
 *         "offload":{"joined":{"packets":N,"frames":N},"split":{...},"from_vm":{...},
 *                    "to_vm":{...}},
 *         "names":{"answers":N,"learned":N,"rebinding":N,"held":N,"released":N},
 *         "drops":{"src-mac":N,...}} — every reason is present, zeros too.
 * Return: a malloc'd string the caller frees, or NULL on out-of-memory.
 */
char *stats_to_json(const struct stats *s);

struct json_object;
/** stats_json() - the same object as json-c's (the caller puts it) */
struct json_object *stats_json(const struct stats *s);

/** stats_print() - write stats_to_json() and a newline to @out in one write */
void stats_print(const struct stats *s, FILE *out);

#endif
