// SPDX-License-Identifier: MIT
/* vmnet_offload.c — vmnet's packets described for proto/offload: TSO cut points, checksums anew */
#include "vmnet/vmnet_offload.h"

#include "proto/byteorder.h"
#include "proto/checksum.h"
#include "proto/wire.h"

/* The IPv4 header of @pkt if it is one, unfragmented: its length; 0 otherwise. */
static size_t ipv4_whole(const uint8_t *pkt, size_t len)
{
	const uint8_t *ip = pkt + ETH_HDR_LEN;
	size_t ihl;

	if (len < ETH_HDR_LEN + IPV4_HDR_LEN || be16(pkt + 12) != ETHERTYPE_IPV4 ||
	    (ip[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < IPV4_HDR_LEN || len < ETH_HDR_LEN + ihl || (be16(ip + 6) & IPV4_FRAGMENT_MASK) ||
	    be16(ip + 2) != len - ETH_HDR_LEN)
		return 0;
	return ihl;
}

static void ip_checksum_anew(uint8_t *ip, size_t ihl)
{
	put_be16(ip + 10, 0);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, ihl)));
}

/* A frame that fits: its TCP or UDP checksum field gets the pseudo-header sum, to be completed. */
static void small_frame(uint8_t *pkt, size_t len, struct offload_info *info)
{
	size_t ihl = ipv4_whole(pkt, len), l4_len, field;
	uint8_t *ip = pkt + ETH_HDR_LEN;

	if (!ihl)
		return;
	l4_len = len - ETH_HDR_LEN - ihl;
	if (ip[9] == IPPROTO_TCP_ && l4_len >= TCP_MIN_HDR_LEN)
		field = 16;
	else if (ip[9] == IPPROTO_UDP_ && l4_len >= UDP_HDR_LEN && be16(ip + ihl + 6) != 0)
		field = 6; /* a UDP checksum of 0 means "none" and stays so */
	else
		return;
	ip_checksum_anew(ip, ihl);
	put_be16(ip + ihl + field, checksum_fold(checksum_pseudo_ipv4(ip, ip[9], (uint16_t)l4_len)));
	info->needs_csum = true;
	info->csum_start = (uint16_t)(ETH_HDR_LEN + ihl);
	info->csum_offset = (uint16_t)field;
}

enum drop_reason vmnet_rx_offload(uint8_t *pkt, size_t len, size_t max_frame, bool partial_csum,
				  struct offload_info *info)
{
	size_t ihl, thl, mtu = max_frame - ETH_HDR_LEN;
	const uint8_t *ip;

	*info = (struct offload_info){.gso = GSO_NONE};
	if (len <= max_frame) {
		if (partial_csum)
			small_frame(pkt, len, info);
		return DROP_NONE;
	}
	ihl = ipv4_whole(pkt, len);
	ip = pkt + ETH_HDR_LEN;
	if (!ihl || ip[9] != IPPROTO_TCP_ || len < ETH_HDR_LEN + ihl + TCP_MIN_HDR_LEN)
		return DROP_OVERSIZE;
	thl = (size_t)(ip[ihl + 12] >> 4) * 4;
	if (thl < TCP_MIN_HDR_LEN || ihl + thl >= mtu)
		return DROP_OVERSIZE;
	info->gso = GSO_TCP4;
	info->gso_size = (uint16_t)(mtu - ihl - thl);
	info->hdr_len = (uint16_t)(ETH_HDR_LEN + ihl + thl);
	return DROP_NONE;
}

void vmnet_tx_checksum(struct joined_packet *m)
{
	const struct offload_info *info = &m->info;
	uint8_t *field = m->hdr + info->csum_start + info->csum_offset, odd = 0;
	uint64_t sum = checksum_add(0, m->hdr + info->csum_start,
				    (size_t)info->hdr_len - info->csum_start);
	bool carry = false; /* a byte left over from an odd-length piece, waiting for its pair */
	uint16_t c;

	for (unsigned i = 0; i < m->frames; i++) {
		const uint8_t *p = m->payload[i].iov_base;
		size_t n = m->payload[i].iov_len;

		if (carry && n) {
			uint8_t pair[2] = {odd, p[0]};

			sum = checksum_add(sum, pair, 2);
			p++, n--;
			carry = false;
		}
		if (n & 1) {
			odd = p[n - 1];
			carry = true;
			n--;
		}
		sum = checksum_add(sum, p, n);
	}
	if (carry)
		sum = checksum_add(sum, &odd, 1);
	c = checksum_final(sum);
	/* 0 is written 0xffff for UDP only (RFC 768: 0 is "no checksum"; TCP has no such case) */
	put_be16(field, c || info->csum_offset != 6 ? c : 0xffff);
}
