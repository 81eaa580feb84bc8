// SPDX-License-Identifier: MIT
/* ip_frame.c — whole Ethernet/IP frames of either family written around a payload, checksummed */
#include "proto/ip_frame.h"

#include <string.h>

#include "proto/byteorder.h"
#include "proto/checksum.h"

static struct ipv4_ends v4_ends(const struct ip_ends *e)
{
	return (struct ipv4_ends){.src_mac = e->src_mac, .dst_mac = e->dst_mac,
				  .src_ip = inet_v4(&e->src), .dst_ip = inet_v4(&e->dst),
				  .src_port = e->src_port, .dst_port = e->dst_port};
}

/* Ethernet and IPv6 headers for @l4_len bytes of @proto; returns the IPv6 header. */
static uint8_t *ipv6_headers(uint8_t *frame, size_t l4_len, const struct ip_ends *ends,
			     uint8_t proto, uint8_t hop_limit)
{
	uint8_t *ip6 = frame + ETH_HDR_LEN;

	memcpy(frame, ends->dst_mac, ETH_ALEN_);
	memcpy(frame + ETH_ALEN_, ends->src_mac, ETH_ALEN_);
	put_be16(frame + 12, ETHERTYPE_IPV6);
	put_be32(ip6, UINT32_C(6) << 28); /* version 6, traffic class 0, flow label 0 */
	put_be16(ip6 + 4, (uint16_t)l4_len);
	ip6[6] = proto;
	ip6[7] = hop_limit;
	memcpy(ip6 + 8, ends->src.b, 16);
	memcpy(ip6 + 24, ends->dst.b, 16);
	return ip6;
}

/* The upper layer's checksum over the pseudo-header and @len bytes at @l4. */
static uint16_t l4_checksum6(const uint8_t *ip6, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint16_t sum = checksum_final(
		checksum_add(checksum_pseudo_ipv6(ip6, proto, (uint32_t)len), l4, len));

	/* RFC 8200 8.1: a UDP checksum of 0 is sent as 0xffff (0 would mean "none") */
	return sum || proto != IPPROTO_UDP_ ? sum : 0xffff;
}

size_t ip_udp_frame(uint8_t *frame, size_t payload_len, const struct ip_ends *ends)
{
	struct ipv4_ends e4;
	size_t udp_len = UDP_HDR_LEN + payload_len;
	uint8_t *ip6, *udp;

	if (inet_is_v4(&ends->src)) {
		e4 = v4_ends(ends);
		return ipv4_udp_frame(frame, payload_len, &e4, 0);
	}
	ip6 = ipv6_headers(frame, udp_len, ends, IPPROTO_UDP_, IPV6_DEFAULT_HOP_LIMIT);
	udp = ip6 + IPV6_HDR_LEN;
	udp_header_put(udp, ends->src_port, ends->dst_port, udp_len);
	put_be16(udp + UDP_CSUM_OFFSET, l4_checksum6(ip6, IPPROTO_UDP_, udp, udp_len));
	return ETH_HDR_LEN + IPV6_HDR_LEN + udp_len;
}

size_t ip_tcp_frame(uint8_t *frame, size_t payload_len, const struct ip_ends *ends,
		    const struct tcp_fields *tcp)
{
	size_t tcp_len = tcp_header_len(tcp) + payload_len;
	struct ipv4_ends e4;
	uint8_t *ip6, *th;

	if (inet_is_v4(&ends->src)) {
		e4 = v4_ends(ends);
		return ipv4_tcp_frame(frame, payload_len, &e4, tcp);
	}
	ip6 = ipv6_headers(frame, tcp_len, ends, IPPROTO_TCP_, IPV6_DEFAULT_HOP_LIMIT);
	th = ip6 + IPV6_HDR_LEN;
	tcp_header_put(th, ends->src_port, ends->dst_port, tcp);
	put_be16(th + TCP_CSUM_OFFSET, l4_checksum6(ip6, IPPROTO_TCP_, th, tcp_len));
	return ETH_HDR_LEN + IPV6_HDR_LEN + tcp_len;
}

size_t ipv6_icmp_frame(uint8_t *frame, size_t body_len, const struct ip_ends *ends,
		       uint8_t type, uint8_t code, uint8_t hop_limit)
{
	size_t icmp_len = ICMPV6_HDR_LEN + body_len;
	uint8_t *ip6 = ipv6_headers(frame, icmp_len, ends, IPPROTO_ICMPV6_, hop_limit);
	uint8_t *icmp = ip6 + IPV6_HDR_LEN;

	icmp[0] = type;
	icmp[1] = code;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 2, l4_checksum6(ip6, IPPROTO_ICMPV6_, icmp, icmp_len));
	return ETH_HDR_LEN + IPV6_HDR_LEN + icmp_len;
}

void ipv6_multicast_mac(const struct inet_addr *group, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group->b + 12, 4);
}
