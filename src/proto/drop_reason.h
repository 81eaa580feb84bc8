/* SPDX-License-Identifier: MIT */
/* drop_reason.h — the named reasons for which a frame is dropped, one counter each */
#ifndef SVM_PROTO_DROP_REASON_H
#define SVM_PROTO_DROP_REASON_H

/*
 * X(ENUM_NAME, "stats-name", "what it means")
 * The stats JSON and the debug log use the quoted name; keep it stable, scripts read it.
 */
#define SVM_DROP_REASONS(X)                                                              \
	X(RUNT, "runt", "shorter than its headers say")                                      \
	X(OVERSIZE, "oversize", "longer than the MTU allows")                                \
	X(SRC_MAC, "src-mac", "Ethernet source is not the VM's MAC")                         \
	X(VLAN, "vlan", "802.1Q/802.1ad tagged")                                             \
	X(ETHERTYPE, "ethertype", "neither ARP, IPv4 nor IPv6")                              \
	X(IPV6, "ipv6", "IPv6 while --ipv6=off")                                             \
	X(IP6_MALFORMED, "ipv6-malformed", "bad IPv6 version or payload length, a jumbogram, an IPv4-mapped address, or options that run past their header") \
	X(IP6_CHAIN_TRUNCATED, "ipv6-chain-truncated", "IPv6 extension headers run past the packet, or a first fragment ends before its upper-layer header (RFC 7112)") \
	X(IP6_CHAIN_LONG, "ipv6-chain-long", "more IPv6 extension headers than any packet needs (8)") \
	X(IP6_CHAIN_ORDER, "ipv6-chain-order", "Hop-by-Hop header not first, or two Fragment headers (RFC 8200 4.1)") \
	X(IP6_FRAG_UPPER, "ipv6-frag-upper", "a non-first IPv6 fragment that would hold part of the header chain or of a TCP header") \
	X(ARP_MALFORMED, "arp-malformed", "ARP that is not Ethernet/IPv4")                   \
	X(ARP_OP, "arp-op", "ARP opcode other than request or reply")                       \
	X(ARP_SENDER_MAC, "arp-sender-mac", "ARP sender hardware address is not the VM's")  \
	X(ARP_SENDER_IP, "arp-sender-ip", "ARP sender IP is not the VM's lease")             \
	X(ARP_TARGET, "arp-target", "ARP for an address the VM may not reach")               \
	X(IP_MALFORMED, "ip-malformed", "bad IPv4 version, header length or total length")   \
	X(IP_SRC, "ip-src", "IPv4 source is not the VM's lease")                             \
	X(IP6_SRC, "ip6-src", "IPv6 source is neither the VM's link-local address nor one it claimed") \
	X(NDP_MALFORMED, "ndp-malformed", "Neighbor Discovery that fails RFC 4861's checks (hop limit, code, length, options)") \
	X(NDP_SPOOF, "ndp-spoof", "NS/NA about an address that is not the VM's, or a link-layer address that is not --mac") \
	X(NDP_TARGET, "ndp-target", "Neighbor Solicitation for an address the VM may not reach") \
	X(NDP_CLAIMED, "ndp-claimed", "duplicate address detection for an address another VM or the gateway holds") \
	X(NDP_IGNORED, "ndp-ignored", "Router Solicitation or address claim beyond the VM's budget") \
	X(ROGUE_RA, "rogue-ra", "Router Advertisement from the VM, or from the host side (RFC 6105)") \
	X(ROGUE_MLD, "rogue-mld", "MLD query from the VM (queriers are routers)")        \
	X(IP_SOURCE_ROUTE, "ip-source-route", "IPv4 loose/strict source route option, IPv6 Routing header with segments left") \
	X(IP_OPTIONS, "ip-options", "IPv4 option other than NOP, EOL, router alert; IPv6 option other than padding, router alert") \
	X(NO_LEASE, "no-lease", "IPv4 other than DHCP before the VM has a lease")             \
	X(ROGUE_DHCP, "rogue-dhcp", "DHCP or DHCPv6 server traffic from the VM")           \
	X(ICMP_REDIRECT, "icmp-redirect", "ICMP or ICMPv6 redirect")                         \
	X(FRAGMENT, "fragment", "IP fragment that a port rule cannot judge, or Neighbor Discovery in pieces") \
	X(POLICY_BLOCK, "policy-block", "destination refused by the policy")                 \
	X(FOREIGN_DNS, "foreign-dns", "DNS to a resolver other than the gateway while name rules are on") \
	X(NAME_MISMATCH, "name-mismatch", "TLS SNI or HTTP Host names no allowed name (connection reset)") \
	X(NAME_UNCHECKED, "name-unchecked", "first bytes too long or too many to check (connection reset)") \
	X(NAME_CHECK_ORDER, "name-check-order", "segment past a gap while the server name is checked") \
	X(NAME_CHANGED, "name-changed", "bytes sent again differ from bytes already judged (connection reset)") \
	X(NAME_PROTOCOL, "name-protocol", "neither TLS nor HTTP/1 where only a name lets the flow through (connection reset)") \
	X(NAME_MALFORMED, "name-malformed", "HTTP request head servers could read differently (connection reset)") \
	X(NAME_SWITCH, "name-switch", "CONNECT or Upgrade on a checked HTTP connection (connection reset)") \
	X(CHECKED_CHECKSUM, "checked-checksum", "bad IPv4 or TCP checksum on a checked flow (the server would drop it)") \
	X(CHECKED_TTL, "checked-ttl", "TTL of 1 or less on a checked flow (it dies before the server)") \
	X(CHECKED_SYN_DATA, "checked-syn-data", "data on a SYN of a checked flow (servers drop it without a TFO cookie)") \
	X(CHECKED_URGENT, "checked-urgent", "urgent data on a checked flow (servers take it out of the stream)") \
	X(CHECKED_REUSE, "checked-reuse", "a new connection on the ports of a checked one not known to be closed") \
	X(VNET_FLAGS, "vnet-flags", "virtio-net header flags sock-vmnet does not take (unknown bits, ECN, GSO without a partial checksum)") \
	X(GSO_TYPE, "gso-type", "a large packet that is not IPv4 TCP, or a GSO type the packet is not") \
	X(GSO_SIZE, "gso-size", "a GSO size of 0, or segments longer than the MTU") \
	X(CSUM_OFFLOAD, "csum-offload", "a partial checksum that is not the packet's own TCP/UDP one, or a large packet's checksum neither partial nor whole") \
	X(MULTICAST, "multicast", "multicast or broadcast not allowed")                      \
	X(DHCP_MALFORMED, "dhcp-malformed", "DHCP message that does not parse")             \
	X(DHCP_FOREIGN_MAC, "dhcp-foreign-mac", "DHCP request for another MAC")             \
	X(DHCP_IGNORED, "dhcp-ignored", "DHCP message the server does not answer")          \
	X(LOCAL_UNSERVED, "local-unserved", "for a local service this instance does not run") \
	X(DNS_MALFORMED, "dns-malformed", "DNS query to the gateway that does not parse")  \
	X(DNS_BUSY, "dns-busy", "DNS query over the VM's limit of waiting queries")        \
	X(NOT_FOR_VM, "not-for-vm", "host frame addressed to another MAC")                   \
	X(HOST_ARP, "host-arp", "host ARP that is not for the VM's address")                 \
	X(HOST_DHCP, "host-dhcp", "DHCP server traffic from the host side")                  \
	X(HOST_NDP, "host-ndp", "host-side Neighbor Discovery that is not about the VM's addresses") \
	X(VM_BUSY, "vm-busy", "the VM did not take frames in time")                          \
	X(HOST_BUSY, "host-busy", "the host side did not take frames in time")               \
	X(HOST_QUEUE, "host-queue", "dropped by the host side's own queue (the TAP's) before sock-vmnet read it") \
	X(HOST_WRITE, "host-write-error", "the back-end refused the frame")                  \
	X(VM_WRITE, "vm-write-error", "the VM transport refused the frame")

enum drop_reason {
	DROP_NONE = 0,
#define SVM_DROP_ENUM(name, str, doc) DROP_##name,
	SVM_DROP_REASONS(SVM_DROP_ENUM)
#undef SVM_DROP_ENUM
	DROP__COUNT
};

/**
 * drop_reason_name() - the stable name of a drop reason, as in the stats JSON
 * @r: the reason
 *
 * Return: a static string such as "src-mac"; "none" for DROP_NONE.
 */
const char *drop_reason_name(enum drop_reason r);

#endif
