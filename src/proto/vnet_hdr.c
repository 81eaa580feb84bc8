// SPDX-License-Identifier: MIT
/* vnet_hdr.c — the virtio-net header a VM's datagrams carry (virtio 1.x, 12 bytes): read, checked, written */
#include "proto/vnet_hdr.h"

#include <string.h>

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

enum drop_reason vnet_hdr_read(const uint8_t hdr[VNET_HDR_LEN], const uint8_t *frame,
			       uint32_t *len, size_t max_frame, struct offload_info *info)
{
	uint8_t flags = hdr[0], type = hdr[1];

	*info = (struct offload_info){.gso = GSO_NONE};
	/* DATA_VALID means something only towards a VM; RSC_INFO (4) and the rest: refused */
	if ((flags & ~(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)) || (type & VNET_GSO_ECN))
		return DROP_VNET_FLAGS;
	if (type != VNET_GSO_NONE && type != VNET_GSO_TCPV4 && type != VNET_GSO_TCPV6)
		return DROP_GSO_TYPE;
	/* the kernel: hdr_len past the packet is refused, as are csum offsets past it */
	if (le16(hdr + 2) > *len)
		return DROP_CSUM_OFFLOAD;
	*info = (struct offload_info){
		.gso = type == VNET_GSO_TCPV4	? GSO_TCP4
		       : type == VNET_GSO_TCPV6 ? GSO_TCP6
						: GSO_NONE,
		.needs_csum = flags & VNET_F_NEEDS_CSUM,
		.gso_size = le16(hdr + 4),
		.csum_start = le16(hdr + 6),
		.csum_offset = le16(hdr + 8),
	};
	return offload_check(frame, len, max_frame, info);
}

void vnet_hdr_write(uint8_t hdr[VNET_HDR_LEN], const struct offload_info *info)
{
	memset(hdr, 0, VNET_HDR_LEN);
	put_le16(hdr + 10, 1); /* num_buffers: one buffer, no VIRTIO_NET_F_MRG_RXBUF */
	if (!info)
		return;
	hdr[0] = info->needs_csum ? VNET_F_NEEDS_CSUM : 0;
	hdr[1] = info->gso == GSO_TCP4	 ? VNET_GSO_TCPV4
		 : info->gso == GSO_TCP6 ? VNET_GSO_TCPV6
					 : VNET_GSO_NONE;
	put_le16(hdr + 2, info->hdr_len);
	put_le16(hdr + 4, info->gso == GSO_NONE ? 0 : info->gso_size);
	if (info->needs_csum) {
		put_le16(hdr + 6, info->csum_start);
		put_le16(hdr + 8, info->csum_offset);
	}
}
