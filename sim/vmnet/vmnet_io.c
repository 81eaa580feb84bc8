// SPDX-License-Identifier: MIT
/* vmnet_io.c — simulated vmnet_read()/vmnet_write(): batches over the TAP, TSO and checksum offload */
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proto/byteorder.h"
#include "proto/checksum.h"
#include "proto/wire.h"
#include "sim.h"

/*
 * The model of vmnet's offloads (Apple documents the keys, not the packets): with TSO an
 * interface hands over and takes TCP packets of up to 64 KiB, cut at the MTU; with
 * checksum offload it hands over packets whose TCP/UDP checksum holds only the
 * pseudo-header sum (the TAP's VIRTIO_NET_HDR_F_NEEDS_CSUM, passed on as it is: the
 * hardest case for a reader), and computes the checksums of what it takes "as necessary".
 * The simulation checks the checksum of every large packet it is given and drops it when
 * wrong: sock-vmnet promises to write complete checksums.
 */

/* Room in the caller's buffers for one packet. */
static size_t iov_room(const struct vmpktdesc *p)
{
	size_t room = 0;

	for (uint32_t i = 0; i < p->vm_pkt_iovcnt; i++)
		room += p->vm_pkt_iov[i].iov_len;
	return room < p->vm_pkt_size ? room : p->vm_pkt_size;
}

static void scatter(const struct vmpktdesc *p, const uint8_t *src, size_t len)
{
	for (uint32_t i = 0; i < p->vm_pkt_iovcnt && len; i++) {
		size_t n = p->vm_pkt_iov[i].iov_len < len ? p->vm_pkt_iov[i].iov_len : len;

		memcpy(p->vm_pkt_iov[i].iov_base, src, n);
		src += n;
		len -= n;
	}
}

/*
 * The virtio header as a virtio 1.x device writes it: the TAP's 10 bytes (native order,
 * little-endian here) and num_buffers 1 ("MUST set num_buffers to 1 if
 * VIRTIO_NET_F_MRG_RXBUF has not been negotiated").
 */
static void virtio_hdr_of(uint8_t out[SIM_VIRTIO_HDR_LEN], const struct virtio_net_hdr *vh)
{
	memcpy(out, vh, sizeof(*vh));
	out[10] = 1;
	out[11] = 0;
}

/*
 * read_one() - one packet from the TAP into @p (with the virtio header, after it)
 * Return: 1, 0 when none waits, -1 with @status set (the packet is lost).
 */
static int read_one(struct vmnet_interface *iface, struct vmpktdesc *p, vmnet_return_t *status)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {{&vh, sizeof(vh)}, {iface->rx, ETH_HDR_LEN + 65535 + 64}};
	ssize_t r = iface->host.vnet ? readv(iface->host.fd, iov, 2)
				     : read(iface->host.fd, iface->rx, iov[1].iov_len);
	size_t len;

	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		*status = VMNET_FAILURE;
		return -1;
	}
	len = (size_t)r - (iface->host.vnet ? sizeof(vh) : 0);
	if (iface->host.vnet && vh.gso_type != VIRTIO_NET_HDR_GSO_NONE &&
	    vh.gso_type != VIRTIO_NET_HDR_GSO_TCPV4) {
		*status = VMNET_FAILURE; /* the TAP was asked for IPv4 TSO only */
		return -1;
	}
	if (iface->virtio_header) {
		/* the header in front, the packet after it: one more copy here, none for vmnet */
		uint8_t *with = iface->bounce;

		if (len + SIM_VIRTIO_HDR_LEN > iov_room(p)) {
			*status = VMNET_PACKET_TOO_BIG;
			return -1;
		}
		virtio_hdr_of(with, &vh);
		memcpy(with + SIM_VIRTIO_HDR_LEN, iface->rx, len);
		len += SIM_VIRTIO_HDR_LEN;
		scatter(p, with, len);
	} else {
		if (len > iov_room(p)) {
			*status = VMNET_PACKET_TOO_BIG;
			return -1;
		}
		scatter(p, iface->rx, len);
	}
	p->vm_pkt_size = len;
	p->vm_flags = 0;
	return 1;
}

/*
 * An injected VMNET_PACKET_TOO_BIG stands for a packet vmnet could not hand over: like
 * the real thing it costs that packet (none waiting: nothing to report).
 */
static vmnet_return_t drop_one(struct vmnet_interface *iface)
{
	struct vmpktdesc p = {.vm_pkt_size = 0, .vm_pkt_iovcnt = 0};
	vmnet_return_t status = VMNET_SUCCESS;

	return read_one(iface, &p, &status) != 0 ? VMNET_PACKET_TOO_BIG : VMNET_SUCCESS;
}

/*
 * *pktcnt is written on success only. Apple documents it as an output of a read that
 * worked ("the actual number of packets read"), and no user of vmnet reads it after an
 * error (QEMU net/vmnet-common.m vmnet_read_packets(), vmnet-helper's read_from_host(),
 * socket_vmnet's on_vmnet_packets_available()): the simulation leaves it as it was.
 */
vmnet_return_t vmnet_read(interface_ref iface, struct vmpktdesc *packets, int *pktcnt)
{
	vmnet_return_t status = VMNET_SUCCESS;
	int want, got = 0;

	if (!iface || !packets || !pktcnt || *pktcnt < 0)
		return VMNET_INVALID_ARGUMENT;
	if (atomic_load(&iface->stopped))
		return VMNET_INVALID_ACCESS;
	want = *pktcnt;
	status = sim_fault_status(iface, SIM_CALL_READ);
	if (status == VMNET_PACKET_TOO_BIG)
		status = drop_one(iface);
	if (status == VMNET_SUCCESS && (unsigned)want > sim_config()->max_packets)
		status = VMNET_TOO_MANY_PACKETS;
	while (status == VMNET_SUCCESS && got < want) {
		vmnet_return_t why = VMNET_SUCCESS;
		int r = read_one(iface, &packets[got], &why);

		if (r == 0)
			break;
		if (r < 0) {
			/* after packets were read, the call reports them; the lost one is gone */
			if (got == 0)
				status = why;
			break;
		}
		got++;
	}
	if (status == VMNET_SUCCESS)
		*pktcnt = got;
	sim_rearm(iface);
	return status;
}

/* The bytes of one packet, gathered into the bounce buffer. Return: its length. */
static size_t gather(struct vmnet_interface *iface, const struct vmpktdesc *p)
{
	size_t len = 0;

	for (uint32_t i = 0; i < p->vm_pkt_iovcnt && len < p->vm_pkt_size; i++) {
		size_t n = p->vm_pkt_iov[i].iov_len;

		if (n > p->vm_pkt_size - len)
			n = p->vm_pkt_size - len;
		memcpy(iface->bounce + len, p->vm_pkt_iov[i].iov_base, n);
		len += n;
	}
	return len;
}

/*
 * tso_header() - a packet longer than the MTU, for the TAP to cut: IPv4 TCP only, with
 * complete headers and a correct checksum (checked, then replaced by the pseudo-header
 * sum the TAP expects with VIRTIO_NET_HDR_F_NEEDS_CSUM)
 * Return: VMNET_SUCCESS, VMNET_PACKET_TOO_BIG (not TCP), or VMNET_FAILURE (bad checksum).
 */
static vmnet_return_t tso_header(const struct vmnet_interface *iface, uint8_t *pkt, size_t len,
				 struct virtio_net_hdr *vh)
{
	uint8_t *ip = pkt + ETH_HDR_LEN, *tcp;
	size_t ihl, thl, l4_len;

	if (len < ETH_HDR_LEN + IPV4_HDR_LEN + TCP_MIN_HDR_LEN || be16(pkt + 12) != ETHERTYPE_IPV4 ||
	    ip[9] != IPPROTO_TCP_ || (be16(ip + 6) & IPV4_FRAGMENT_MASK) ||
	    be16(ip + 2) != len - ETH_HDR_LEN)
		return VMNET_PACKET_TOO_BIG;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tcp = ip + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (ihl < IPV4_HDR_LEN || thl < TCP_MIN_HDR_LEN || ETH_HDR_LEN + ihl + thl >= len ||
	    ihl + thl >= iface->mtu)
		return VMNET_PACKET_TOO_BIG;
	l4_len = len - ETH_HDR_LEN - ihl;
	if (checksum_fold(checksum_add(checksum_pseudo_ipv4(ip, IPPROTO_TCP_, (uint16_t)l4_len),
				       tcp, l4_len)) != 0xffff)
		return VMNET_FAILURE;
	put_be16(tcp + 16, checksum_fold(checksum_pseudo_ipv4(ip, IPPROTO_TCP_, (uint16_t)l4_len)));
	*vh = (struct virtio_net_hdr){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = (uint16_t)(ETH_HDR_LEN + ihl + thl),
		.gso_size = (uint16_t)(iface->mtu - ihl - thl),
		.csum_start = (uint16_t)(ETH_HDR_LEN + ihl),
		.csum_offset = 16,
	};
	return VMNET_SUCCESS;
}

/*
 * check_packet() - whether vmnet takes @p at all, before anything of the call is written
 * (Apple, vmnet_write(): "All data will be written or the write will fail")
 * Return: VMNET_SUCCESS, VMNET_INVALID_ARGUMENT or VMNET_PACKET_TOO_BIG.
 */
static vmnet_return_t check_packet(struct vmnet_interface *iface, const struct vmpktdesc *p)
{
	struct virtio_net_hdr vh;
	size_t len;

	/*
	 * One buffer per packet: QEMU net/vmnet-common.m: "writing more than one iov into
	 * vmnet interface fails with 'VMNET_INVALID_ARGUMENT'"; vmnet-helper and socket_vmnet
	 * pass exactly one, whose length must be the packet's (vmnet-helper programs/helper.c:
	 * "vmnet_write() uses vm_pkt_size but require iov_len to match").
	 */
	if (p->vm_pkt_iovcnt != 1 || !p->vm_pkt_iov || p->vm_pkt_iov[0].iov_len != p->vm_pkt_size)
		return VMNET_INVALID_ARGUMENT;
	/* Apple: "The size of each packet should not be larger than vmnet_max_packet_size_key" */
	if (p->vm_pkt_size > iface->max_packet_size || p->vm_pkt_size < ETH_HDR_LEN)
		return VMNET_PACKET_TOO_BIG;
	len = gather(iface, p);
	if (iface->virtio_header) {
		/* a header, then a frame: longer than the MTU only as GSO (the header says so) */
		if (len < SIM_VIRTIO_HDR_LEN + ETH_HDR_LEN)
			return VMNET_INVALID_ARGUMENT;
		if (len - SIM_VIRTIO_HDR_LEN > iface->mtu + ETH_HDR_LEN &&
		    iface->bounce[1] == VIRTIO_NET_HDR_GSO_NONE)
			return VMNET_PACKET_TOO_BIG;
		return VMNET_SUCCESS;
	}
	if (len > iface->mtu + ETH_HDR_LEN && tso_header(iface, iface->bounce, len, &vh) ==
	    VMNET_PACKET_TOO_BIG)
		return VMNET_PACKET_TOO_BIG; /* larger than the MTU and not a TSO packet */
	return VMNET_SUCCESS;
}

/*
 * With the virtio header: the packet goes to the TAP with the header it came with (the TAP's
 * 10 bytes of it), and what the TAP refuses — the kernel's virtio_net_hdr_to_skb() rules, a
 * virtio-net device's own — is dropped and counted (vmnet does not say what it drops).
 */
static vmnet_return_t write_with_header(struct vmnet_interface *iface, size_t len)
{
	struct iovec iov[2] = {{iface->bounce, sizeof(struct virtio_net_hdr)},
			       {iface->bounce + SIM_VIRTIO_HDR_LEN, len - SIM_VIRTIO_HDR_LEN}};

	if (writev(iface->host.fd, iov, 2) >= 0)
		return VMNET_SUCCESS;
	if (errno == EAGAIN || errno == ENOBUFS)
		return VMNET_BUFFER_EXHAUSTED;
	iface->bad_headers++;
	sim_log("dropped a %zu-byte packet whose virtio header the TAP refused: %s", len,
		strerror(errno));
	return VMNET_SUCCESS;
}

/* write_one() - one packet vmnet takes (check_packet()) to the TAP. Return: a status. */
static vmnet_return_t write_one(struct vmnet_interface *iface, const struct vmpktdesc *p)
{
	struct virtio_net_hdr vh = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	size_t len = gather(iface, p);
	struct iovec iov[2] = {{&vh, sizeof(vh)}, {iface->bounce, len}};
	ssize_t r;

	if (iface->virtio_header)
		return write_with_header(iface, len);
	if (len > iface->mtu + ETH_HDR_LEN &&
	    tso_header(iface, iface->bounce, len, &vh) == VMNET_FAILURE) {
		iface->bad_checksums++;
		sim_log("dropped a %zu-byte packet with a wrong TCP checksum", len);
		return VMNET_SUCCESS; /* taken: vmnet does not say what it drops */
	}
	r = iface->host.vnet ? writev(iface->host.fd, iov, 2) : write(iface->host.fd, iface->bounce, len);
	if (r >= 0 && be16(iface->bounce + 12) == ETHERTYPE_IPV6)
		sim_host_advertise(&iface->host); /* vmnet's RA, as the VM's IPv6 first shows */
	if (r >= 0)
		return VMNET_SUCCESS;
	return errno == EAGAIN || errno == ENOBUFS ? VMNET_BUFFER_EXHAUSTED : VMNET_FAILURE;
}

/*
 * A write is refused whole when any packet is refused (check_packet()), with *pktcnt left
 * as it was (see vmnet_read()). A TAP that stops taking packets part-way ends the call
 * with the packets written (VMNET_SUCCESS, fewer than asked), or, when it took none,
 * VMNET_BUFFER_EXHAUSTED.
 */
vmnet_return_t vmnet_write(interface_ref iface, struct vmpktdesc *packets, int *pktcnt)
{
	vmnet_return_t status;
	int want, done = 0;

	if (!iface || !packets || !pktcnt || *pktcnt < 0)
		return VMNET_INVALID_ARGUMENT;
	if (atomic_load(&iface->stopped))
		return VMNET_INVALID_ACCESS;
	want = *pktcnt;
	status = sim_fault_counts(packets, want) ? sim_fault_status(iface, SIM_CALL_WRITE)
						   : VMNET_SUCCESS;
	if (status == VMNET_SUCCESS && (unsigned)want > sim_config()->max_packets)
		status = VMNET_TOO_MANY_PACKETS;
	for (int i = 0; status == VMNET_SUCCESS && i < want; i++)
		status = check_packet(iface, &packets[i]);
	if (status != VMNET_SUCCESS)
		return status;
	while (done < want) {
		vmnet_return_t s = write_one(iface, &packets[done]);

		if (s != VMNET_SUCCESS) {
			if (done == 0)
				return s;
			break;
		}
		done++;
	}
	*pktcnt = done;
	return VMNET_SUCCESS;
}
