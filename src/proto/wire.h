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

/* IP protocol numbers (IANA); the trailing underscore keeps clear of <netinet/in.h> */
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

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

/* Headers in front of a UDP payload in an untagged IPv4 frame without options */
#define ETH_IPV4_UDP_HDR_LEN (ETH_HDR_LEN + IPV4_HDR_LEN + UDP_HDR_LEN)

#endif
