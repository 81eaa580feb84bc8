/* SPDX-License-Identifier: MIT */
/* dhcp_msg.h — DHCPv4 messages (RFC 2131/2132): parsing client messages, building replies */
#ifndef SVM_PROTO_DHCP_MSG_H
#define SVM_PROTO_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

#define DHCP_OP_BOOTREQUEST 1
#define DHCP_OP_BOOTREPLY 2
#define DHCP_HTYPE_ETHERNET 1
#define DHCP_FLAG_BROADCAST 0x8000
#define DHCP_MAGIC_COOKIE 0x63825363

/* Offsets into the fixed part of a BOOTP/DHCP message (RFC 2131 figure 1). */
#define DHCP_OFF_OP 0
#define DHCP_OFF_HTYPE 1
#define DHCP_OFF_HLEN 2
#define DHCP_OFF_HOPS 3
#define DHCP_OFF_XID 4
#define DHCP_OFF_SECS 8
#define DHCP_OFF_FLAGS 10
#define DHCP_OFF_CIADDR 12
#define DHCP_OFF_YIADDR 16
#define DHCP_OFF_SIADDR 20
#define DHCP_OFF_GIADDR 24
#define DHCP_OFF_CHADDR 28
#define DHCP_OFF_SNAME 44
#define DHCP_OFF_FILE 108
#define DHCP_OFF_COOKIE 236
#define DHCP_OFF_OPTIONS 240

#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128
#define DHCP_FIXED_LEN DHCP_OFF_OPTIONS /* header + magic cookie */
/* RFC 1542 2.1: relays may drop BOOTP messages shorter than this, so replies are padded */
#define DHCP_MIN_REPLY_LEN 300
/* RFC 2131 2: every client accepts a 576-byte IP datagram; more needs option 57 */
#define DHCP_MIN_MAX_MESSAGE 576

enum dhcp_option {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS_SERVER = 6,
	DHCP_OPT_HOST_NAME = 12,
	DHCP_OPT_DOMAIN_NAME = 15,
	DHCP_OPT_INTERFACE_MTU = 26,
	DHCP_OPT_BROADCAST_ADDRESS = 28,
	DHCP_OPT_REQUESTED_ADDRESS = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MESSAGE_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAMETER_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MESSAGE_SIZE = 57,
	DHCP_OPT_RENEWAL_TIME = 58,
	DHCP_OPT_REBINDING_TIME = 59,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_END = 255,
};

enum dhcp_message_type {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

/**
 * struct dhcp_msg - a client message, as dhcp_msg_parse() found it
 *
 * Addresses are host byte order. @client_id points into the parsed buffer and is only
 * valid while it is. Options absent from the message leave their field 0 / false.
 */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];

	uint8_t type; /* option 53; 0 for a plain BOOTP message */
	bool has_requested_addr, has_server_id;
	uint32_t requested_addr; /* option 50 */
	uint32_t server_id;      /* option 54 */
	const uint8_t *client_id; /* option 61 (type byte included), NULL when absent */
	uint8_t client_id_len;
	uint16_t max_message_size; /* option 57; 0 when absent */
	uint8_t overload;          /* option 52: 1 file, 2 sname, 3 both */
};

/**
 * dhcp_msg_parse() - check and decode a DHCP message from a client
 * @m: filled in
 * @data: the UDP payload
 * @len: its length
 * @why: set to a short static reason when the message is malformed (for debug logs)
 *
 * Strict where a lenient reading could be exploited or misread: every option's length
 * must lie inside its field; the options field, and each field option 52 overloads,
 * must end with an END option; options whose value has a fixed size (50, 51, 52, 53,
 * 54, 57) must have exactly that size, and may appear only once. Options this server
 * does not use are skipped, whatever they hold.
 *
 * Return: true when @data is a well-formed BOOTREQUEST for Ethernet (htype 1, hlen 6)
 * with the magic cookie; false with @why set otherwise.
 */
bool dhcp_msg_parse(struct dhcp_msg *m, const uint8_t *data, size_t len, const char **why);

/**
 * struct dhcp_builder - a reply being written into a caller's buffer
 * @buf: the start of the DHCP message
 * @cap: bytes the message may take
 * @len: bytes written so far
 */
struct dhcp_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/**
 * dhcp_reply_start() - write the fixed header of a reply to @req
 * @b: the builder
 * @buf: where the message goes
 * @cap: its capacity (at least DHCP_MIN_REPLY_LEN)
 * @req: the client's message: xid, flags, giaddr and chaddr are copied from it
 * @type: DHCPOFFER, DHCPACK or DHCPNAK (written as option 53)
 * @ciaddr: the reply's ciaddr (the client's own, for an ACK to INFORM or RENEW)
 * @yiaddr: the address offered or acknowledged (0 for NAK and INFORM)
 *
 * Return: false when @cap is too small.
 */
bool dhcp_reply_start(struct dhcp_builder *b, uint8_t *buf, size_t cap, const struct dhcp_msg *req,
		      uint8_t type, uint32_t ciaddr, uint32_t yiaddr);

/**
 * dhcp_reply_option() - append one option
 * @b: the builder
 * @code: the option code (not PAD or END)
 * @value: its value
 * @len: value length, 0..255
 *
 * Room for the END option is always kept. Return: false, and nothing written, when the
 * option does not fit.
 */
bool dhcp_reply_option(struct dhcp_builder *b, uint8_t code, const void *value, size_t len);
bool dhcp_reply_option_u32(struct dhcp_builder *b, uint8_t code, uint32_t value);

/**
 * dhcp_reply_finish() - write the END option and pad to DHCP_MIN_REPLY_LEN
 * Return: the message's length.
 */
size_t dhcp_reply_finish(struct dhcp_builder *b);

/**
 * dhcp_frame_wrap() - put Ethernet, IPv4 and UDP (67 → 68) headers around a DHCP message
 * @frame: the frame; the message is already at @frame + DHCP_FRAME_HEADROOM
 * @msg_len: its length
 * @src_mac: Ethernet source
 * @dst_mac: Ethernet destination
 * @src_ip: IPv4 source, host order
 * @dst_ip: IPv4 destination, host order
 *
 * Return: the frame's length.
 */
size_t dhcp_frame_wrap(uint8_t *frame, size_t msg_len, const uint8_t *src_mac,
		       const uint8_t *dst_mac, uint32_t src_ip, uint32_t dst_ip);

#define DHCP_FRAME_HEADROOM ETH_IPV4_UDP_HDR_LEN /* Ethernet + IPv4 + UDP headers */

/** dhcp_message_type_name() - "DISCOVER", "REQUEST", ...; "UNKNOWN" for others */
const char *dhcp_message_type_name(uint8_t type);

#endif
