/* SPDX-License-Identifier: MIT */
/* ipv6_chain.h — an IPv6 header chain walked to its upper layer, with the reasons it may be refused */
#ifndef SVM_PROTO_IPV6_CHAIN_H
#define SVM_PROTO_IPV6_CHAIN_H

#include "proto/frame.h"

/*
 * Extension headers a packet may carry before its upper layer. RFC 8200 4.1's full order
 * is seven (Hop-by-Hop, Destination, Routing, Fragment, Authentication, ESP, Destination)
 * and ESP ends what we can read, so six are all a packet ever needs; 8 leaves room. A long
 * chain serves only to push the upper-layer header out of a filter's sight (RFC 7113 2,
 * RFC 9098 3 on what the internet drops); this walk reads every header anyway.
 */
#define IPV6_EXT_MAX 8

/**
 * ipv6_chain_walk() - read the IPv6 header at @v->l3 and its extension headers
 * @v: a frame view with @l3/@l3_len set (frame_parse())
 *
 * Sets @ip6, the addresses, the hop limit, @ip_total_len, @ip6_flags and @ip6_ext_count,
 * the fragment fields, @ip_hdr_len (where the upper layer starts) and @ip_proto (the last
 * Next Header), then the upper layer as for IPv4 (frame_parse_l4()). A non-first fragment
 * ends the walk: what follows its Fragment header is data, and it has no upper layer. An
 * atomic fragment (offset 0, no more fragments: RFC 6946) is read as a whole packet.
 *
 * Return: DROP_NONE; DROP_RUNT (shorter than the fixed header); DROP_IP6_MALFORMED (not
 * version 6, a payload length beyond the frame, a jumbogram, an IPv4-mapped source or
 * destination, an option running past its header); DROP_IP6_CHAIN_TRUNCATED (a header
 * running past the packet, or a first fragment that ends before its upper-layer header is
 * whole: RFC 7112); DROP_IP6_CHAIN_LONG (more
 * than IPV6_EXT_MAX headers); DROP_IP6_CHAIN_ORDER (Hop-by-Hop not first, a second
 * Fragment header); DROP_IP6_FRAG_UPPER (a non-first fragment whose Fragment header names
 * an extension header, or that starts inside a TCP header: RFC 7112 puts the whole chain
 * and the upper-layer header in the first fragment, and RFC 1858's overlap of TCP's flags
 * is the IPv4 form of the same trick).
 */
enum drop_reason ipv6_chain_walk(struct frame_view *v);

/** ipv6_is_extension() - whether Next Header @nh is an extension header this walk reads */
bool ipv6_is_extension(uint8_t nh);

#endif
