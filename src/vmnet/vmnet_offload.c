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

/*
 * An IPv6 frame whose upper layer (TCP or UDP, right after the fixed header: what a host's
 * stack sends) may hold only its pseudo-header sum, as an IPv4 one may: the same treatment.
 */
static void small_frame6(uint8_t *pkt, size_t len, struct offload_info *info)
{
	uint8_t *ip6 = pkt + ETH_HDR_LEN;
	size_t l4_len = len - ETH_HDR_LEN - IPV6_HDR_LEN, field;

	if (be16(ip6 + 4) != l4_len)
		return;
	if (ip6[6] == IPPROTO_TCP_ && l4_len >= TCP_MIN_HDR_LEN)
		field = 16;
	else if (ip6[6] == IPPROTO_UDP_ && l4_len >= UDP_HDR_LEN)
		field = 6;
	else
		return;
	put_be16(ip6 + IPV6_HDR_LEN + field,
		 checksum_fold(checksum_pseudo_ipv6(ip6, ip6[6], (uint32_t)l4_len)));
	info->needs_csum = true;
	info->csum_start = ETH_HDR_LEN + IPV6_HDR_LEN;
	info->csum_offset = (uint16_t)field;
}

/* A frame that fits: its TCP or UDP checksum field gets the pseudo-header sum, to be completed. */
static void small_frame(uint8_t *pkt, size_t len, struct offload_info *info)
{
	size_t ihl = ipv4_whole(pkt, len), l4_len, field;
	uint8_t *ip = pkt + ETH_HDR_LEN;

	if (!ihl) {
		if (len >= ETH_HDR_LEN + IPV6_HDR_LEN && be16(pkt + 12) == ETHERTYPE_IPV6 &&
		    (ip[0] >> 4) == 6)
			small_frame6(pkt, len, info);
		return;
	}
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
	joined_checksum(m);
}

enum drop_reason vmnet_rx_whole(uint8_t *pkt, uint32_t *len, size_t max_frame, bool partial_csum,
				struct offload_info *info)
{
	enum drop_reason why = vmnet_rx_offload(pkt, *len, max_frame, partial_csum, info);
	uint8_t *ip = pkt + ETH_HDR_LEN;

	if (why != DROP_NONE)
		return why;
	if (info->gso != GSO_NONE) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;
		uint16_t l4_len = (uint16_t)(*len - ETH_HDR_LEN - ihl);

		ip_checksum_anew(ip, ihl);
		put_be16(ip + ihl + 16, checksum_fold(checksum_pseudo_ipv4(ip, IPPROTO_TCP_, l4_len)));
		info->needs_csum = true;
		info->csum_start = (uint16_t)(ETH_HDR_LEN + ihl);
		info->csum_offset = 16;
	}
	return offload_any(info) ? offload_check(pkt, len, max_frame, info) : DROP_NONE;
}
