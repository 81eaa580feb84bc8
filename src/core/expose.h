/* SPDX-License-Identifier: MIT */
/* expose.h — a port forward (--expose): which host ports go to which of the VM's */
#ifndef SVM_CORE_EXPOSE_H
#define SVM_CORE_EXPOSE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct expose - host ports forwarded to the VM's
 * @bind: the host address it listens on, host order (0: every address of the host)
 * @host_lo, @host_hi: the host's ports (one when equal)
 * @vm_lo, @vm_hi: the VM's, as many as the host's: @host_lo + k goes to @vm_lo + k
 * @proto: 6 (tcp) or 17 (udp)
 */
struct expose {
	uint32_t bind;
	uint16_t host_lo, host_hi;
	uint16_t vm_lo, vm_hi;
	uint8_t proto;
};

/* Ports one instance forwards at most, all --expose and `ctl expose add` together. */
#define EXPOSE_MAX_PORTS 1024

static inline unsigned expose_ports(const struct expose *e)
{
	return (unsigned)(e->host_hi - e->host_lo) + 1;
}

/** expose_overlaps() - whether two forwards claim a host port of the same protocol */
static inline bool expose_overlaps(const struct expose *a, const struct expose *b)
{
	return a->proto == b->proto && a->host_lo <= b->host_hi && b->host_lo <= a->host_hi &&
	       (!a->bind || !b->bind || a->bind == b->bind);
}

/** expose_same() - whether two forwards are the same */
static inline bool expose_same(const struct expose *a, const struct expose *b)
{
	return a->bind == b->bind && a->host_lo == b->host_lo && a->host_hi == b->host_hi &&
	       a->vm_lo == b->vm_lo && a->vm_hi == b->vm_hi && a->proto == b->proto;
}

#endif
