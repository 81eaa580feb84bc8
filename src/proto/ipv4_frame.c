// SPDX-License-Identifier: MIT
/* ipv4_frame.c — whole Ethernet/IPv4/UDP and TCP frames written around a payload, checksummed */
#include "proto/ipv4_frame.h"

#include <string.h>

#include "proto/byteorder.h"
#include "proto/checksum.h"

#define IPV4_DEFAULT_TTL 64

/* Ethernet and IPv4 headers for @l4_len bytes of protocol @proto; returns the IP header. */
static uint8_t *ipv4_headers(uint8_t *frame, size_t l4_len, const struct ipv4_ends *ends,
			     uint8_t proto, uint8_t tos)
{
	uint8_t *ip = frame + ETH_HDR_LEN;

	memcpy(frame, ends->dst_mac, ETH_ALEN_);
	memcpy(frame + ETH_ALEN_, ends->src_mac, ETH_ALEN_);
	put_be16(frame + 12, ETHERTYPE_IPV4);
	ip[0] = 0x45; /* version 4, 20-byte header */
	ip[1] = tos;
	put_be16(ip + 2, (uint16_t)(IPV4_HDR_LEN + l4_len));
	put_be16(ip + 4, 0);            /* identification: never fragmented... */
	put_be16(ip + 6, IPV4_FLAG_DF); /* ...as DF says */
	ip[8] = IPV4_DEFAULT_TTL;
	ip[9] = proto;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, ends->src_ip);
	put_be32(ip + 16, ends->dst_ip);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, IPV4_HDR_LEN)));
	return ip;
}

/* The layer-4 checksum over the pseudo-header and @len bytes at @l4; 0 sent as 0xffff. */
static uint16_t l4_checksum(const uint8_t *ip, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint16_t sum = checksum_final(
		checksum_add(checksum_pseudo_ipv4(ip, proto, (uint16_t)len), l4, len));

	return sum ? sum : 0xffff; /* RFC 768: 0 means "no checksum" */
}

size_t ipv4_udp_frame(uint8_t *frame, size_t payload_len, const struct ipv4_ends *ends,
		      uint8_t tos)
{
	size_t udp_len = UDP_HDR_LEN + payload_len;
	uint8_t *ip = ipv4_headers(frame, udp_len, ends, IPPROTO_UDP_, tos);
	uint8_t *udp = ip + IPV4_HDR_LEN;

	udp_header_put(udp, ends->src_port, ends->dst_port, udp_len);
	put_be16(udp + UDP_CSUM_OFFSET, l4_checksum(ip, IPPROTO_UDP_, udp, udp_len));
	return ETH_HDR_LEN + IPV4_HDR_LEN + udp_len;
}

size_t ipv4_tcp_frame(uint8_t *frame, size_t payload_len, const struct ipv4_ends *ends,
		      const struct tcp_fields *tcp)
{
	size_t tcp_len = tcp_header_len(tcp) + payload_len;
	uint8_t *ip = ipv4_headers(frame, tcp_len, ends, IPPROTO_TCP_, 0);
	uint8_t *th = ip + IPV4_HDR_LEN;

	tcp_header_put(th, ends->src_port, ends->dst_port, tcp);
	put_be16(th + TCP_CSUM_OFFSET, l4_checksum(ip, IPPROTO_TCP_, th, tcp_len));
	return ETH_HDR_LEN + IPV4_HDR_LEN + tcp_len;
}

size_t ipv4_icmp_frame(uint8_t *frame, size_t body_len, const struct ipv4_ends *ends,
		       uint8_t type, uint8_t code)
{
	size_t icmp_len = ICMP_HDR_LEN + body_len;
	uint8_t *ip = ipv4_headers(frame, icmp_len, ends, IPPROTO_ICMP_, 0);
	uint8_t *icmp = ip + IPV4_HDR_LEN;

	icmp[0] = type;
	icmp[1] = code;
	put_be16(icmp + 2, 0);
	put_be32(icmp + 4, 0); /* unused in an unreachable (no next-hop MTU here) */
	put_be16(icmp + 2, checksum_final(checksum_add(0, icmp, icmp_len)));
	return ETH_HDR_LEN + IPV4_HDR_LEN + icmp_len;
}
