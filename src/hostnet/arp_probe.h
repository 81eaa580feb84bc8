/* SPDX-License-Identifier: MIT */
/* arp_probe.h — is an IPv4 address in use on the host side? RFC 5227 probes, and what ARP showed */
#ifndef SVM_HOSTNET_ARP_PROBE_H
#define SVM_HOSTNET_ARP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

/* An ARP request in Ethernet (42 bytes), padded to the shortest frame Ethernet carries. */
#define ARP_FRAME_LEN 60
/* Senders remembered; a shared-mode bridge of a workstation has a handful of VMs. */
#define ARP_SEEN_MAX 32

/**
 * arp_build_request() - who has @target_ip? asked from @src_mac
 * @sender_ip: 0 for a probe (RFC 5227: it claims nothing, so nobody's cache changes)
 * Return: the frame's length (ARP_FRAME_LEN).
 */
size_t arp_build_request(uint8_t frame[ARP_FRAME_LEN], const uint8_t src_mac[6],
			 uint32_t sender_ip, uint32_t target_ip);

/**
 * arp_sender_of() - the sender of an ARP request or reply that claims an address
 * Return: true with @ip (host order) and @mac set; false for anything else (a probe,
 * whose sender address is 0, claims nothing).
 */
bool arp_sender_of(const uint8_t *frame, size_t len, uint32_t *ip, uint8_t mac[6]);

struct arp_probe;
struct arp_prober;

/**
 * struct arp_probe - one question, owned by the caller until @done is called
 * @ip: the address asked about (host order)
 * @in_use: the answer
 * @holder: with @in_use, the MAC that holds it
 * @done: called once with the answer, on the loop's thread
 */
struct arp_probe {
	uint32_t ip;
	bool in_use;
	uint8_t holder[6];
	void (*done)(struct arp_probe *p);
	/* the prober's */
	unsigned sent;
	struct loop_timer timer;
	struct arp_prober *prober;
	struct arp_probe *next;
};

/**
 * struct arp_prober - probes on one host-side link, and the ARP senders it has seen
 * @mac: the source of our probes (the vmnet interface's own MAC)
 * @self: a MAC never taken for someone else's (the VM's: its own announcements)
 * @send: writes one frame to the host side; 0 or -errno
 */
struct arp_prober {
	struct loop *loop;
	uint8_t mac[6];
	uint8_t self[6];
	int (*send)(void *ctx, const uint8_t *frame, size_t len);
	void *ctx;
	struct arp_probe *pending;
	struct {
		uint32_t ip;
		uint8_t mac[6];
		uint64_t at_ms;
	} seen[ARP_SEEN_MAX];
	unsigned seen_next;
};

void arp_prober_init(struct arp_prober *pr, struct loop *loop, const uint8_t mac[6],
		     const uint8_t self[6], int (*send)(void *ctx, const uint8_t *frame, size_t len),
		     void *ctx);

/**
 * arp_probe_start() - ask whether @ip is in use by anyone on the host side
 *
 * An address whose holder announced or answered recently is in use at once; otherwise
 * probes go out and @p->done comes when someone answers or after the last probe's wait.
 * @p->done may be called before this returns.
 */
void arp_probe_start(struct arp_prober *pr, struct arp_probe *p, uint32_t ip,
		     void (*done)(struct arp_probe *p));

/** arp_probe_cancel() - forget @p (its @done is not called) */
void arp_probe_cancel(struct arp_probe *p);

/** arp_prober_input() - a frame from the host side: it may answer a probe, or show a holder */
void arp_prober_input(struct arp_prober *pr, const uint8_t *frame, size_t len);

/** arp_prober_fini() - cancel what is pending */
void arp_prober_fini(struct arp_prober *pr);

#endif
