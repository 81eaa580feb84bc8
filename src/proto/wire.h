/* SPDX-License-Identifier: MIT */
/* wire.h — protocol numbers, header sizes and well-known ports, defined once */
#ifndef SVM_PROTO_WIRE_H
#define SVM_PROTO_WIRE_H

/* Ethernet (IEEE 802.3) */
#define ETH_ALEN_ 6
#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_IPV6 0x86dd

/* ARP (RFC 826), Ethernet/IPv4 form */
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_IPV4_LEN 28

/* IPv4 (RFC 791) */
#define IPV4_HDR_LEN 20     /* without options */
#define IPV4_MAX_HDR_LEN 60
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV4_FRAGMENT_MASK (IPV4_FLAG_MF | IPV4_OFFSET_MASK) /* either: a fragment */
#define IPV4_LIMITED_BROADCAST UINT32_C(0xffffffff)

/* IPv6 (RFC 8200) */
#define IPV6_HDR_LEN 40
#define IPV6_MIN_MTU 1280 /* RFC 8200 5: every link carries 1280-byte packets */
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_OFFSET_MASK 0xfff8 /* in the fragment header's third and fourth bytes */
#define IPV6_FRAG_MF 0x0001

/* IP protocol numbers and IPv6 next headers (IANA); the trailing underscore keeps clear of
 * <netinet/in.h> */
#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MOBILITY_ 135
#define IPPROTO_HIP_ 139
#define IPPROTO_SHIM6_ 140
#define IPPROTO_EXP1_ 253 /* RFC 3692 experimental, RFC 4727 */
#define IPPROTO_EXP2_ 254

/* ICMPv6 (RFC 4443), MLD (RFC 2710, RFC 3810) and Neighbor Discovery (RFC 4861) */
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_CODE_ADMIN_PROHIBITED 1
#define ICMPV6_PACKET_TOO_BIG 2
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMPV6_MLD_QUERY 130
#define ICMPV6_MLD_REPORT 131
#define ICMPV6_MLD_DONE 132
#define ICMPV6_ND_RS 133
#define ICMPV6_ND_RA 134
#define ICMPV6_ND_NS 135
#define ICMPV6_ND_NA 136
#define ICMPV6_ND_REDIRECT 137
#define ICMPV6_MLD2_REPORT 143
#define ND_HOP_LIMIT 255 /* RFC 4861 6.1, 7.1: a hop limit of 255 proves a neighbour sent it */

/* Layer 4 */
#define UDP_HDR_LEN 8
#define TCP_MIN_HDR_LEN 20
#define TCP_MAX_HDR_LEN 60
#define ICMP_MIN_LEN 4
#define ICMP_TYPE_ECHO_REPLY 0
#define ICMP_TYPE_UNREACHABLE 3
#define ICMP_TYPE_REDIRECT 5
#define ICMP_TYPE_ECHO_REQUEST 8

/* TCP flags (RFC 9293) */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_CWR 0x80

/* Well-known ports */
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DNS_PORT 53
#define DNS_TLS_PORT 853 /* DNS over TLS (RFC 7858), and over QUIC (RFC 9250) on UDP */
#define DHCPV6_CLIENT_PORT 546 /* RFC 8415 7.2 */
#define DHCPV6_SERVER_PORT 547

/* Headers in front of a UDP payload in an untagged IPv4 frame without options */
#define ETH_IPV4_UDP_HDR_LEN (ETH_HDR_LEN + IPV4_HDR_LEN + UDP_HDR_LEN)
/* ... and in an IPv6 frame without extension headers */
#define ETH_IPV6_UDP_HDR_LEN (ETH_HDR_LEN + IPV6_HDR_LEN + UDP_HDR_LEN)

#endif
