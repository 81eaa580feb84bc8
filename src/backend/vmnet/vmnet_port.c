// SPDX-License-Identifier: MIT
/* vmnet_port.c — frames to and from vmnet: batched reads and writes, TSO joined and cut, retries */
#include "backend/vmnet/vmnet_port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/stats.h"
#include "os/socket.h"
#include "proto/vnet_hdr.h"
#include "proto/wire.h"
#include "vmnet/vmnet_offload.h"

/*
 * Packets per vmnet_read()/vmnet_write() when vmnet does not say (macOS < 15): Apple's
 * documentation, as QEMU's vmnet back-end quotes it, allows "up to 200 packets to be read
 * or written for a maximum of 256KB" per call. macOS 26 reports 256 (vmnet-helper's logs).
 */
#define VMNET_DEFAULT_MAX_PACKETS 200
#define VMNET_CALL_BYTES (256 * 1024)
/*
 * How soon a vmnet that answered VMNET_BUFFER_EXHAUSTED is asked again. The loop's timers
 * count whole milliseconds, so 1 ms is the shortest wait; vmnet's ring drains toward the
 * host's stack in far less (256 packets of 1500 bytes leave in 0.3 ms at 10 Gbit/s), so one
 * tick finds room, and the relay drops a batch that still waits after 100 ms (host-busy).
 */
#define VMNET_RETRY_MS 1

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* ---- the port's descriptor: a set of the doorbell and the retry pipe ------------------- */

static void set_member(struct vmnet_port *p, struct loop_source *src, uint32_t flag, bool on)
{
	if (!!(p->in_set & flag) == on)
		return;
	if (on && loop_add(p->set, src, LOOP_IN) < 0)
		return;
	if (!on)
		loop_remove(p->set, src);
	p->in_set ^= flag;
}

static void port_watch(struct frame_port *fp, uint32_t events)
{
	struct vmnet_port *p = container_of(fp, struct vmnet_port, port);

	p->want = events;
	set_member(p, &p->bell_src, LOOP_IN, events & LOOP_IN);
	set_member(p, &p->room_src, LOOP_OUT, events & LOOP_OUT);
}

static void on_retry(struct loop_timer *t)
{
	struct vmnet_port *p = container_of(t, struct vmnet_port, retry);

	if (write(p->room[1], "!", 1) < 0) {
		/* EAGAIN: a byte waits already */
	}
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* ---- reading ----------------------------------------------------------------------------- */

/*
 * read_status() - what a vmnet_read() status means for the port. After any status but
 * VMNET_SUCCESS nothing counts as read: Apple documents *pktcnt as the output of a read
 * that worked, and no user of vmnet reads it otherwise (QEMU net/vmnet-common.m
 * vmnet_read_packets(), vmnet-helper's read_from_host(), socket_vmnet's
 * on_vmnet_packets_available()).
 * Return: 0 to go on, -EIO when the interface is gone.
 */
static int read_status(struct vmnet_port *p, vmnet_return_t status, unsigned asked)
{
	switch (status) {
	case VMNET_SUCCESS:
	case VMNET_BUFFER_EXHAUSTED: /* nothing to read is not an error */
		return 0;
	case VMNET_TOO_MANY_PACKETS:
		p->read_max = asked > 1 ? asked / 2 : 1;
		if (!p->warned_read_max)
			log_info("vmnet: a read of %u packets is too many (%s): %u at once from now on",
				 asked, vmnet_status_name(status), p->read_max);
		p->warned_read_max = true;
		p->more_waits = true;
		return 0;
	case VMNET_PACKET_TOO_BIG:
		stats_drop(p->port.stats, DROP_OVERSIZE, "host->vm", NULL);
		p->more_waits = true;
		return 0;
	case VMNET_INVALID_ACCESS:
		log_error("vmnet_read: %s: the interface is gone", vmnet_status_name(status));
		return -EIO;
	default:
		log_debug("vmnet_read: %s", vmnet_status_name(status));
		return 0;
	}
}

static unsigned read_limit(const struct vmnet_port *p, size_t per_packet, unsigned cap)
{
	unsigned by_bytes = (unsigned)(VMNET_CALL_BYTES / per_packet);

	return min_u(min_u(cap, p->read_max), by_bytes ? by_bytes : 1);
}

/*
 * take_whole() - a packet read whole for a VM that takes large packets: its header read
 * (vmnet's virtio header) or its description made (vmnet_rx_whole()), into @info.
 * Return: false when it is refused (counted).
 */
static bool take_whole(struct vmnet_port *p, uint8_t *pkt, uint32_t *len,
		       struct offload_info *info)
{
	enum drop_reason why;

	why = p->vhdr ? vnet_hdr_read(pkt - VNET_HDR_LEN, pkt, len, p->max_frame, info)
		      : vmnet_rx_whole(pkt, len, p->max_frame, p->partial_csum, info);
	/* vmnet's IPv6 TSO (its header's TCPV6, never seen): a VM is promised IPv4 TSO only
	 * (libkrun's COMPAT_NET_FEATURES), as the tap back-end's TAP is asked for TSO4 only */
	if (why == DROP_NONE && info->gso == GSO_TCP6)
		why = DROP_GSO_TYPE;
	if (why != DROP_NONE)
		stats_drop(p->port.stats, why, "host->vm", NULL);
	return why == DROP_NONE;
}

/*
 * Packets land straight in the batch's slots, one vmnet_read(): without offload, and for a
 * VM that takes large packets (then whole, described; with the virtio header in the
 * headroom before each slot).
 */
static int recv_direct(struct vmnet_port *p, struct frame_batch *b)
{
	size_t head = p->vhdr ? VNET_HDR_LEN : 0;
	unsigned want = read_limit(p, b->frame_cap + head, b->cap), n = 0;
	int got = (int)want, r;
	vmnet_return_t status;

	for (unsigned i = 0; i < want; i++) {
		p->rx_iov[i] = (struct iovec){b->data[i] - head, b->frame_cap + head};
		p->rx_desc[i] = (struct vmpktdesc){.vm_pkt_size = b->frame_cap + head,
						   .vm_pkt_iov = &p->rx_iov[i], .vm_pkt_iovcnt = 1};
	}
	doorbell_clear(&p->bell); /* every clear is followed by a read: see port_recv() */
	status = vmnet_read(p->link->iface, p->rx_desc, &got);
	if (status != VMNET_SUCCESS || got < 0 || (unsigned)got > want)
		got = 0; /* *pktcnt says something only on success (read_status()) */
	r = read_status(p, status, want);
	for (int i = 0; i < got; i++) {
		size_t size = p->rx_desc[i].vm_pkt_size;
		struct offload_info info = {.gso = GSO_NONE};
		uint32_t len;

		if (size < head) {
			stats_drop(p->port.stats, DROP_RUNT, "host->vm", NULL);
			continue;
		}
		size -= head;
		/* an overlong frame shows as frame_cap bytes: the relay counts it */
		len = (uint32_t)(size < b->frame_cap ? size : b->frame_cap);
		if (p->whole && len < b->frame_cap && !take_whole(p, b->data[i], &len, &info))
			continue;
		if (n != (unsigned)i)
			memcpy(b->data[n], b->data[i], len);
		b->offload[n] = info;
		b->len[n] = len;
		if (p->prober)
			arp_prober_input(p->prober, b->data[n], b->len[n]);
		n++;
	}
	b->count = n;
	if (status == VMNET_SUCCESS && (unsigned)got == want)
		p->more_waits = true;
	return r < 0 ? r : (int)n;
}

/* With offload: up to @p->slots whole packets into the staging slots. Return: count or -EIO. */
static int stage_read(struct vmnet_port *p)
{
	unsigned want = read_limit(p, p->slot_size, p->slots);
	int got = (int)want, r;
	vmnet_return_t status;

	for (unsigned i = 0; i < want; i++) {
		p->rx_iov[i] = (struct iovec){p->staging + i * p->slot_size, p->slot_size};
		p->rx_desc[i] = (struct vmpktdesc){.vm_pkt_size = p->slot_size,
						   .vm_pkt_iov = &p->rx_iov[i], .vm_pkt_iovcnt = 1};
	}
	doorbell_clear(&p->bell); /* every clear is followed by a read: see port_recv() */
	status = vmnet_read(p->link->iface, p->rx_desc, &got);
	if (status != VMNET_SUCCESS || got < 0 || (unsigned)got > want)
		got = 0; /* *pktcnt says something only on success (read_status()) */
	r = read_status(p, status, want);
	for (int i = 0; i < got; i++)
		p->stage_len[i] = p->rx_desc[i].vm_pkt_size;
	p->staged = (unsigned)got;
	p->stage_next = 0;
	if (status == VMNET_SUCCESS && (unsigned)got == want)
		p->more_waits = true;
	return r < 0 ? r : got;
}

/* Start cutting the next staged packet (or drop it, counted). */
static void take_staged(struct vmnet_port *p)
{
	uint8_t *pkt = p->staging + p->stage_next * p->slot_size;
	size_t len = p->stage_len[p->stage_next++];
	struct offload_info info;
	enum drop_reason why;

	if (len > p->slot_size) /* vmnet wrote more than it was given room for */
		len = p->slot_size;
	if (p->prober)
		arp_prober_input(p->prober, pkt, len);
	why = vmnet_rx_offload(pkt, len, p->max_frame, p->partial_csum, &info);
	if (why == DROP_NONE)
		why = packet_split_start(&p->split, pkt, len, &info, p->max_frame);
	if (why != DROP_NONE)
		stats_drop(p->port.stats, why, "host->vm", NULL);
	p->splitting = why == DROP_NONE;
}

static int recv_staged(struct vmnet_port *p, struct frame_batch *b)
{
	unsigned n = 0;

	while (n < b->cap) {
		if (p->splitting) {
			size_t len = packet_split_next(&p->split, b->data[n], b->frame_cap);

			if (len)
				b->len[n++] = (uint32_t)len;
			if (p->split.done) {
				p->splitting = false;
				if (p->split.info.gso != GSO_NONE) {
					p->port.stats->split.packets++;
					p->port.stats->split.frames += p->split.index;
				}
			}
		} else if (p->stage_next < p->staged) {
			take_staged(p);
		} else {
			/* one read per call at most when the last one came back short */
			bool again = p->more_waits;
			int got;

			p->more_waits = false;
			if (n > 0 && !again)
				break;
			got = stage_read(p);
			if (got < 0)
				return got;
			if (got == 0)
				break;
		}
	}
	b->count = n;
	p->port.rx_pending = p->splitting || p->stage_next < p->staged;
	return (int)n;
}

/*
 * The doorbell is cleared right before each vmnet_read() (recv_direct(), stage_read(),
 * vmnet_port_read_one()), never at the top of a call that may end without reading: a call
 * that only hands over staged frames leaves a ring in place, and the loop comes back for
 * the packets it announced. vmnet need not call the event block again while they wait
 * (Apple documents no repeat), so a ring taken without a read is a stall.
 */
static int port_recv(struct frame_port *fp, struct frame_batch *b)
{
	struct vmnet_port *p = container_of(fp, struct vmnet_port, port);
	int r;

	p->more_waits = false;
	r = p->stage ? recv_staged(p, b) : recv_direct(p, b);
	/*
	 * A full read may have left packets in vmnet, and vmnet need not tell again: ring
	 * ourselves, so the loop comes back after serving the VM's side, not at once.
	 */
	if (r >= 0 && p->more_waits && !fp->rx_pending)
		doorbell_ring(&p->bell);
	loop_settle(p->set); /* the doorbell was heard: the set is ready again only if rung */
	return r;
}

/* ---- writing ----------------------------------------------------------------------------- */

/*
 * add_packet() - describe the next packet of @frames: the frames at its head that join
 * into one (TSO), copied whole to @p->tx_linear at *@linear, or the first alone, in place
 * Return: the frames it holds; 0 when the first frame is longer than vmnet takes, or an
 * IPv6 TSO packet without the virtio header (then it is dropped, counted, and the caller
 * moves on).
 */
static unsigned add_packet(struct vmnet_port *p, const struct frame_ref *frames, unsigned n,
			   unsigned k, size_t *linear, unsigned *joins)
{
	struct iovec *iov = &p->tx_iov[k];
	struct offload_info *info = frames[0].offload;
	size_t size = frames[0].len, head = p->vhdr ? VNET_HDR_LEN : 0;
	uint8_t *to = p->tx_linear + *linear;
	unsigned m = 1;

	if (p->join && *joins < VMNET_JOINED_MAX)
		m = packet_join(frames, n, false, &p->joined[*joins]);
	if (m > 1) {
		struct joined_packet *j = &p->joined[(*joins)++];

		/* with the header, vmnet is told the checksum is partial; without, it is made */
		if (head)
			vnet_hdr_write(to, &j->info);
		else
			vmnet_tx_checksum(j);
		memcpy(to + head, j->hdr, j->info.hdr_len);
		size = head + j->info.hdr_len;
		for (unsigned i = 0; i < m; i++) {
			memcpy(to + size, j->payload[i].iov_base, j->payload[i].iov_len);
			size += j->payload[i].iov_len;
		}
		*iov = (struct iovec){to, size};
		*linear += size;
	} else if (size > p->link->max_packet_size) {
		stats_drop(p->port.stats, p->port.refuse_reason, p->port.name, NULL);
		return 0;
	} else if (!head && info && info->gso == GSO_TCP6) {
		/*
		 * vmnet's TSO (vmnet_enable_tso_key) is known for IPv4 only: Apple's page says
		 * nothing of IPv6, vmnet-helper's docs/integration.md "large (64K) TCP frames",
		 * and one packet vmnet refuses refuses the whole write (so does the simulation,
		 * which cuts IPv4 only). With the virtio header vmnet is told GSO_TCPV6; without
		 * it, a VM's IPv6 TSO packet is refused here, by name.
		 */
		stats_drop(p->port.stats, DROP_GSO_TYPE, p->port.name, NULL);
		return 0;
	} else if (head && info) {
		/* the VM's own packet: its header goes in the headroom of its batch slot, so
		 * that header and packet are one buffer, not copied */
		uint8_t *h = frames[0].data - VNET_HDR_LEN;

		vnet_hdr_write(h, info);
		size += head;
		*iov = (struct iovec){h, size};
	} else if (head) {
		/* a frame of sock-vmnet's own (the guard's segments, a reset): copied behind one */
		vnet_hdr_write(to, NULL);
		memcpy(to + head, frames[0].data, size);
		size += head;
		*iov = (struct iovec){to, size};
		*linear += size;
	} else {
		/* vmnet's checksum offload "computes checksums as necessary", which does not say
		 * it finishes a partial one: a whole one is handed over, as for joined packets */
		if (info && info->needs_csum) {
			offload_finish_csum(frames[0].data, size, info);
			info->needs_csum = false; /* not summed again if it is written again */
		}
		*iov = (struct iovec){frames[0].data, frames[0].len};
	}
	/* one buffer, as long as the packet (vmnet-helper programs/helper.c: "vmnet_write()
	 * uses vm_pkt_size but require iov_len to match") */
	p->tx_desc[k] = (struct vmpktdesc){.vm_pkt_size = size, .vm_pkt_iov = iov,
					   .vm_pkt_iovcnt = 1};
	p->tx_frames[k] = m;
	return m;
}

static void drop_packet(struct vmnet_port *p, unsigned k)
{
	for (unsigned i = 0; i < p->tx_frames[k]; i++)
		stats_drop(p->port.stats, p->port.refuse_reason, p->port.name, NULL);
}

/*
 * write_status() - what a vmnet_write() of @k packets means. Only VMNET_SUCCESS says how
 * many were written (@cnt): Apple documents *pktcnt as an output of success ("All data
 * will be written or the write will fail"), and no user of vmnet reads it after an error
 * (QEMU net/vmnet-common.m vmnet_receive_common(), vmnet-helper's write_to_host(),
 * socket_vmnet's main.c). After one, none of the packets counts as written; when the one
 * packet of the call was refused it is dropped, and a refusal of several is written again
 * one packet per call (@p->single), so that each refusal names its packet. @taken: in,
 * the frames the call consumed (those dropped before vmnet included); out, the frames
 * taken (written, or dropped and counted). @blocked is set when vmnet has no room now.
 * Return: 0, or -EIO when the interface is gone.
 */
static int write_status(struct vmnet_port *p, vmnet_return_t status, unsigned k, unsigned cnt,
			unsigned *taken, bool *blocked)
{
	unsigned consumed = *taken; /* the call's frames, those dropped before vmnet included */

	*taken = p->tx_first[0]; /* frames before the first packet were dropped (too long) */
	switch (status) {
	case VMNET_SUCCESS:
		*taken = cnt == k ? consumed : p->tx_first[cnt];
		*blocked = cnt < k; /* vmnet took fewer: its ring is full */
		return 0;
	case VMNET_BUFFER_EXHAUSTED:
		*blocked = true;
		return 0;
	case VMNET_INVALID_ACCESS:
		log_error("vmnet_write: %s: the interface is gone", vmnet_status_name(status));
		return -EIO;
	case VMNET_TOO_MANY_PACKETS:
		if (k > 1) {
			p->write_max = k / 2;
			if (!p->warned_write_max)
				log_info("vmnet: a write of %u packets is too many (%s): %u at once "
					 "from now on", k, vmnet_status_name(status), p->write_max);
			p->warned_write_max = true;
			return 0;
		}
		break; /* one is too many: drop it, as any other refused packet */
	default:
		break;
	}
	log_debug("vmnet_write of %u packets: %s", k, vmnet_status_name(status));
	if (k == 1) {
		drop_packet(p, 0);
		*taken = consumed;
	} else {
		p->single = k;
	}
	return 0;
}

/*
 * write_chunk() - one vmnet_write() of the packets @frames make
 * Return: frames taken (written, or dropped and counted), or -EIO.
 */
static int write_chunk(struct vmnet_port *p, const struct frame_ref *frames, unsigned n,
		       bool *blocked)
{
	unsigned i = 0, k = 0, joins = 0, taken;
	unsigned limit = p->single ? 1 : min_u(p->write_max, VMNET_BATCH);
	size_t bytes = 0, linear = 0;
	int cnt, r;
	vmnet_return_t status;

	while (i < n && k < limit) {
		unsigned m = add_packet(p, frames + i, n - i, k, &linear, &joins);

		if (m == 0) {
			i++;
			continue;
		}
		if (k > 0 && bytes + p->tx_desc[k].vm_pkt_size > VMNET_CALL_BYTES)
			break; /* the next call takes it (a joined packet is joined anew) */
		bytes += p->tx_desc[k].vm_pkt_size;
		p->tx_first[k++] = i;
		i += m;
	}
	if (k == 0)
		return (int)i;
	cnt = (int)k;
	status = vmnet_write(p->link->iface, p->tx_desc, &cnt);
	if (status == VMNET_SUCCESS && (cnt < 0 || (unsigned)cnt > k))
		cnt = 0;
	for (int j = 0; status == VMNET_SUCCESS && j < cnt && p->port.stats; j++) {
		if (p->tx_frames[j] > 1) {
			p->port.stats->joined.packets++;
			p->port.stats->joined.frames += p->tx_frames[j];
		}
	}
	if (p->single && k == 1 && status != VMNET_BUFFER_EXHAUSTED)
		p->single--;
	taken = i;
	r = write_status(p, status, k, (unsigned)cnt, &taken, blocked);
	return r < 0 ? r : (int)taken;
}

static int port_send(struct frame_port *fp, const struct frame_ref *frames, unsigned n)
{
	struct vmnet_port *p = container_of(fp, struct vmnet_port, port);
	unsigned sent = 0;
	bool blocked = false;

	drain(p->room[0]);
	while (sent < n && !blocked) {
		int r = write_chunk(p, frames + sent, n - sent, &blocked);

		if (r < 0)
			return r;
		sent += (unsigned)r;
	}
	if (blocked && !loop_timer_armed(&p->retry))
		loop_timer_arm(p->loop, &p->retry, clock_mono_ms() + VMNET_RETRY_MS);
	else if (!blocked)
		loop_timer_disarm(p->loop, &p->retry);
	loop_settle(p->set); /* the retry pipe was drained */
	return (int)sent;
}

/* Frames of sock-vmnet's own written alone: ARP, at most this long with a header. */
#define WRITE_ONE_MAX 128

int vmnet_port_write_one(void *ctx, const uint8_t *frame, size_t len)
{
	struct vmnet_port *p = ctx;
	uint8_t with_header[VNET_HDR_LEN + WRITE_ONE_MAX];
	struct iovec iov = {(void *)frame, len};
	struct vmpktdesc d = {.vm_pkt_size = len, .vm_pkt_iov = &iov, .vm_pkt_iovcnt = 1};
	int cnt = 1;
	vmnet_return_t status;

	if (p->vhdr) {
		if (len > WRITE_ONE_MAX)
			return -EAGAIN;
		vnet_hdr_write(with_header, NULL);
		memcpy(with_header + VNET_HDR_LEN, frame, len);
		iov = (struct iovec){with_header, VNET_HDR_LEN + len};
		d.vm_pkt_size = iov.iov_len;
	}
	status = vmnet_write(p->link->iface, &d, &cnt);
	if (status == VMNET_SUCCESS && cnt == 1)
		return 0;
	return status == VMNET_INVALID_ACCESS ? -EIO : -EAGAIN;
}

int vmnet_port_read_one(struct vmnet_port *p, uint8_t *buf, size_t size)
{
	struct iovec iov = {buf, size};
	struct vmpktdesc d = {.vm_pkt_size = size, .vm_pkt_iov = &iov, .vm_pkt_iovcnt = 1};
	int cnt = 1;
	vmnet_return_t status;

	doorbell_clear(&p->bell); /* every clear is followed by a read: see port_recv() */
	status = vmnet_read(p->link->iface, &d, &cnt);

	if (status == VMNET_INVALID_ACCESS)
		return -EIO;
	if (status != VMNET_SUCCESS || cnt != 1)
		return 0;
	if (p->vhdr) { /* the frame without vmnet's header */
		if (d.vm_pkt_size < VNET_HDR_LEN)
			return 0;
		d.vm_pkt_size -= VNET_HDR_LEN;
		memmove(buf, buf + VNET_HDR_LEN, d.vm_pkt_size);
	}
	return (int)d.vm_pkt_size;
}

/* ---- setting up -------------------------------------------------------------------------- */

/* The staging slots, when packets may be longer than the VM's frames. Return: 0 or -1. */
static int init_staging(struct vmnet_port *p, const struct vmnet_link *link, size_t vm_frame_cap)
{
	/* a VM that takes large packets gets them straight from the batch: nothing staged */
	p->stage = !p->whole && (link->offload || link->max_packet_size >= vm_frame_cap);
	p->join = link->offload && link->max_packet_size >= ETH_HDR_LEN + UINT16_MAX;
	p->vhdr = link->virtio_header;
	p->partial_csum = link->offload && !p->vhdr;
	/* touched only as far as joined packets reach: malloc maps a block this large apart */
	if ((p->join || p->vhdr) && !(p->tx_linear = malloc(VMNET_TX_LINEAR_BYTES)))
		return -1;
	if (!p->stage)
		return 0;
	p->slot_size = link->max_packet_size > vm_frame_cap ? link->max_packet_size : vm_frame_cap;
	p->slots = (unsigned)(VMNET_CALL_BYTES / p->slot_size);
	p->slots = p->slots == 0 ? 1 : min_u(p->slots, VMNET_STAGE_SLOTS_MAX);
	p->staging = malloc(p->slots * p->slot_size);
	return p->staging ? 0 : -1;
}

static int init_set(struct vmnet_port *p)
{
	int r = doorbell_open(&p->bell);

	if (r < 0)
		return r;
	r = os_pipe(p->room);
	if (r < 0)
		return r;
	os_set_nonblock_cloexec(p->room[0]);
	os_set_nonblock_cloexec(p->room[1]);
	p->set = loop_new();
	if (!p->set)
		return -ENOMEM;
	p->bell_src = (struct loop_source){.fd = doorbell_fd(&p->bell)};
	p->room_src = (struct loop_source){.fd = p->room[0]};
	/* the relay starts out reading (LOOP_IN) without telling the port */
	r = loop_add(p->set, &p->bell_src, LOOP_IN);
	p->in_set = p->want = LOOP_IN;
	return r;
}

int vmnet_port_init(struct vmnet_port *p, struct vmnet_link *link, struct loop *loop,
		    unsigned vm_mtu, bool whole, char *err, size_t err_size)
{
	size_t vm_frame_cap = (size_t)vm_mtu + ETH_HDR_LEN + 1; /* as the relay's batch slots */
	int r;

	*p = (struct vmnet_port){.link = link, .loop = loop, .room = {-1, -1},
				 .bell.fds = {-1, -1}, .retry.on_expire = on_retry,
				 .whole = whole};
	p->max_frame = (size_t)vm_mtu + ETH_HDR_LEN;
	p->read_max = link->read_max ? link->read_max : VMNET_DEFAULT_MAX_PACKETS;
	p->write_max = link->write_max ? link->write_max : VMNET_DEFAULT_MAX_PACKETS;
	r = init_set(p);
	if (r < 0 || init_staging(p, link, vm_frame_cap) < 0) {
		snprintf(err, err_size, "vmnet: cannot set up the port: %s",
			 strerror(r < 0 ? -r : ENOMEM));
		return -1;
	}
	if (vmnet_link_watch(link, &p->bell, err, err_size) < 0)
		return -1;
	p->port = (struct frame_port){
		.name = "vmnet",
		.fd = loop_fd(p->set),
		.recv = port_recv,
		.send = port_send,
		.watch = port_watch,
		/* the relay's slots hold vmnet's largest packet (its header goes before them) */
		.frame_max = whole ? link->max_packet_size : 0,
	};
	return 0;
}

void vmnet_port_fini(struct vmnet_port *p)
{
	if (p->loop)
		loop_timer_disarm(p->loop, &p->retry);
	if (p->set) {
		if (p->in_set & LOOP_IN)
			loop_remove(p->set, &p->bell_src);
		if (p->in_set & LOOP_OUT)
			loop_remove(p->set, &p->room_src);
		loop_free(p->set);
	}
	if (p->bell.fds[0] >= 0)
		doorbell_close(&p->bell);
	if (p->room[0] >= 0) {
		close(p->room[0]);
		close(p->room[1]);
	}
	free(p->staging);
	free(p->tx_linear);
	p->staging = p->tx_linear = NULL;
	p->set = NULL;
}
