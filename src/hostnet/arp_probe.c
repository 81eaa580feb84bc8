// SPDX-License-Identifier: MIT
/* arp_probe.c — RFC 5227 address probes on the host side, answered by ARP or by what ARP showed */
#include "hostnet/arp_probe.h"

#include <string.h>

#include "core/clock.h"
#include "proto/byteorder.h"
#include "proto/wire.h"

/*
 * Probes per question, and the wait after each. RFC 5227 waits 1-2 s between three probes
 * for a LAN; on a virtual bridge a running VM answers within microseconds of the request,
 * one whose host is loaded within tens of milliseconds. Two probes 100 ms apart survive
 * one lost frame and keep the answer within 200 ms — a DHCP client retransmits its
 * DISCOVER after 4 s (RFC 2131 §4.1), so a server that probes first costs it nothing.
 */
#define ARP_PROBE_COUNT 2
#define ARP_PROBE_WAIT_MS 100
/*
 * How long an ARP sender counts as holding its address without being asked: Linux keeps a
 * neighbour reachable that long without confirmation (base_reachable_time, 30 s).
 */
#define ARP_SEEN_TTL_MS 30000

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

size_t arp_build_request(uint8_t frame[ARP_FRAME_LEN], const uint8_t src_mac[6],
			 uint32_t sender_ip, uint32_t target_ip)
{
	uint8_t *arp = frame + ETH_HDR_LEN;

	memset(frame, 0, ARP_FRAME_LEN);
	memcpy(frame, broadcast, 6);
	memcpy(frame + 6, src_mac, 6);
	put_be16(frame + 12, ETHERTYPE_ARP);
	put_be16(arp, 1);              /* hardware: Ethernet */
	put_be16(arp + 2, ETHERTYPE_IPV4);
	arp[4] = 6;
	arp[5] = 4;
	put_be16(arp + 6, ARP_OP_REQUEST);
	memcpy(arp + 8, src_mac, 6);   /* sender hardware address */
	put_be32(arp + 14, sender_ip);
	put_be32(arp + 24, target_ip); /* target hardware address: zero */
	return ARP_FRAME_LEN;
}

bool arp_sender_of(const uint8_t *frame, size_t len, uint32_t *ip, uint8_t mac[6])
{
	const uint8_t *arp = frame + ETH_HDR_LEN;

	if (len < ETH_HDR_LEN + ARP_IPV4_LEN || be16(frame + 12) != ETHERTYPE_ARP ||
	    be16(arp) != 1 || be16(arp + 2) != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4 ||
	    (be16(arp + 6) != ARP_OP_REQUEST && be16(arp + 6) != ARP_OP_REPLY))
		return false;
	*ip = be32(arp + 14);
	memcpy(mac, arp + 8, 6);
	return *ip != 0 && !(mac[0] & 1);
}

void arp_prober_init(struct arp_prober *pr, struct loop *loop, const uint8_t mac[6],
		     const uint8_t self[6], int (*send)(void *ctx, const uint8_t *frame, size_t len),
		     void *ctx)
{
	*pr = (struct arp_prober){.loop = loop, .send = send, .ctx = ctx};
	memcpy(pr->mac, mac, 6);
	memcpy(pr->self, self, 6);
}

static void unlink_probe(struct arp_probe *p)
{
	struct arp_probe **i = &p->prober->pending;

	while (*i && *i != p)
		i = &(*i)->next;
	if (*i)
		*i = p->next;
	p->next = NULL;
	loop_timer_disarm(p->prober->loop, &p->timer);
}

static void finish(struct arp_probe *p, bool in_use, const uint8_t *holder)
{
	unlink_probe(p);
	p->in_use = in_use;
	if (holder)
		memcpy(p->holder, holder, 6);
	p->done(p);
}

static void send_probe(struct arp_probe *p)
{
	uint8_t frame[ARP_FRAME_LEN];
	struct arp_prober *pr = p->prober;

	arp_build_request(frame, pr->mac, 0, p->ip);
	pr->send(pr->ctx, frame, sizeof(frame)); /* a lost probe is what the second one is for */
	p->sent++;
	loop_timer_arm(pr->loop, &p->timer, clock_mono_ms() + ARP_PROBE_WAIT_MS);
}

static void on_probe_timer(struct loop_timer *t)
{
	struct arp_probe *p = container_of(t, struct arp_probe, timer);

	if (p->sent < ARP_PROBE_COUNT)
		send_probe(p);
	else
		finish(p, false, NULL);
}

/* A holder seen within ARP_SEEN_TTL_MS, or NULL. */
static const uint8_t *seen_holder(const struct arp_prober *pr, uint32_t ip, uint64_t now)
{
	for (unsigned i = 0; i < ARP_SEEN_MAX; i++)
		if (pr->seen[i].ip == ip && pr->seen[i].at_ms && now - pr->seen[i].at_ms < ARP_SEEN_TTL_MS)
			return pr->seen[i].mac;
	return NULL;
}

void arp_probe_start(struct arp_prober *pr, struct arp_probe *p, uint32_t ip,
		     void (*done)(struct arp_probe *p))
{
	const uint8_t *holder = seen_holder(pr, ip, clock_mono_ms());

	*p = (struct arp_probe){.ip = ip, .done = done, .prober = pr,
				.timer.on_expire = on_probe_timer, .next = pr->pending};
	pr->pending = p;
	if (holder) {
		finish(p, true, holder);
		return;
	}
	send_probe(p);
}

void arp_probe_cancel(struct arp_probe *p)
{
	if (p->prober)
		unlink_probe(p);
}

/* Remember @ip's holder: the entry for @ip, or the oldest. */
static void remember(struct arp_prober *pr, uint32_t ip, const uint8_t mac[6], uint64_t now)
{
	unsigned slot = pr->seen_next;

	for (unsigned i = 0; i < ARP_SEEN_MAX; i++)
		if (pr->seen[i].ip == ip)
			slot = i;
	if (slot == pr->seen_next)
		pr->seen_next = (pr->seen_next + 1) % ARP_SEEN_MAX;
	pr->seen[slot].ip = ip;
	memcpy(pr->seen[slot].mac, mac, 6);
	pr->seen[slot].at_ms = now;
}

void arp_prober_input(struct arp_prober *pr, const uint8_t *frame, size_t len)
{
	uint8_t mac[6];
	uint32_t ip;

	if (!arp_sender_of(frame, len, &ip, mac) || !memcmp(mac, pr->mac, 6) ||
	    !memcmp(mac, pr->self, 6))
		return;
	remember(pr, ip, mac, clock_mono_ms());
again: /* a @done may start or cancel probes: walk the list anew after each answer */
	for (struct arp_probe *p = pr->pending; p; p = p->next) {
		if (p->ip == ip) {
			finish(p, true, mac);
			goto again;
		}
	}
}

void arp_prober_fini(struct arp_prober *pr)
{
	while (pr->pending)
		unlink_probe(pr->pending);
}
