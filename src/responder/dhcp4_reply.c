// SPDX-License-Identifier: MIT
/* dhcp4_reply.c — the DHCP server's replies: the network configuration as options, addressed */
#include <string.h>

#include "core/log.h"
#include "proto/addr.h"
#include "responder/dhcp4_internal.h"

/* what the DHCP message shares the IP datagram's size with */
#define IPV4_UDP_HDR_LEN (IPV4_HDR_LEN + UDP_HDR_LEN)

static const uint8_t broadcast_mac[ETH_ALEN_] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* What the options of a reply may take: RFC 2131 2 (576, or option 57) and our buffer. */
static size_t reply_capacity(const struct dhcp_server *s, const struct dhcp_msg *m,
			     size_t reply_size)
{
	size_t datagram = m->max_message_size > DHCP_MIN_MAX_MESSAGE ? m->max_message_size
								     : DHCP_MIN_MAX_MESSAGE;
	size_t cap;

	if (datagram > s->vm->mtu)
		datagram = s->vm->mtu;
	cap = datagram - IPV4_UDP_HDR_LEN;
	if (reply_size < DHCP_FRAME_HEADROOM)
		return 0;
	if (cap > reply_size - DHCP_FRAME_HEADROOM)
		cap = reply_size - DHCP_FRAME_HEADROOM;
	return cap;
}

/* The network configuration: for OFFER and ACK (with a lease) and for INFORM (without). */
static void add_config_options(const struct dhcp_server *s, struct dhcp_builder *b,
			       const struct dhcp_msg *m, bool with_lease)
{
	const struct dhcp_config *cfg = s->cfg;
	uint8_t mtu[2];

	dhcp_reply_option_u32(b, DHCP_OPT_SERVER_ID, s->gateway);
	if (with_lease) {
		/* RFC 2131 4.4.5: T1 = 0.5 and T2 = 0.875 of the lease */
		dhcp_reply_option_u32(b, DHCP_OPT_LEASE_TIME, cfg->lease_time);
		dhcp_reply_option_u32(b, DHCP_OPT_RENEWAL_TIME, cfg->lease_time / 2);
		dhcp_reply_option_u32(b, DHCP_OPT_REBINDING_TIME,
				      (uint32_t)((uint64_t)cfg->lease_time * 7 / 8));
	}
	dhcp_reply_option_u32(b, DHCP_OPT_SUBNET_MASK, s->net4->mask);
	dhcp_reply_option_u32(b, DHCP_OPT_ROUTER, s->gateway);
	dhcp_reply_option_u32(b, DHCP_OPT_DNS_SERVER, s->gateway);
	put_be16(mtu, (uint16_t)s->vm->mtu);
	dhcp_reply_option(b, DHCP_OPT_INTERFACE_MTU, mtu, sizeof(mtu));
	/* RFC 6842: a server MUST echo the client identifier */
	if (m->client_id)
		dhcp_reply_option(b, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
	if (cfg->domain && !dhcp_reply_option(b, DHCP_OPT_DOMAIN_NAME, cfg->domain,
						   strlen(cfg->domain)))
		log_debug("dhcp: --domain left out: no room within the client's message size");
}

/**
 * send_reply() - finish a reply and address it as RFC 2131 4.1 says
 * @s: the server
 * @m: the request
 * @b: the reply, its options written
 * @frame: the frame buffer the reply sits in (at DHCP_FRAME_HEADROOM)
 * @type: the reply's message type
 * @yiaddr: the reply's yiaddr
 *
 * giaddr is always 0 here (relayed requests are ignored): a NAK is broadcast; a reply to
 * a client that has an address (ciaddr) goes to it; otherwise the broadcast flag decides
 * between broadcast and unicast to yiaddr at chaddr.
 *
 * Return: the frame's length.
 */
static size_t send_reply(const struct dhcp_server *s, const struct dhcp_msg *m,
			 struct dhcp_builder *b, uint8_t *frame, uint8_t type, uint32_t yiaddr)
{
	const uint8_t *dst_mac = m->chaddr;
	uint32_t dst_ip;
	size_t len = dhcp_reply_finish(b);

	if (type == DHCPNAK) {
		dst_ip = 0xffffffff;
		dst_mac = broadcast_mac;
	} else if (m->ciaddr) {
		dst_ip = m->ciaddr;
	} else if (m->flags & DHCP_FLAG_BROADCAST) {
		dst_ip = 0xffffffff;
		dst_mac = broadcast_mac;
	} else {
		dst_ip = yiaddr;
	}
	return dhcp_frame_wrap(frame, len, s->server_mac, dst_mac, s->gateway, dst_ip);
}

size_t dhcp4_reply_config(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			  size_t reply_size, uint8_t type, uint32_t yiaddr)
{
	struct dhcp_builder b;
	uint32_t ciaddr = type == DHCPACK ? m->ciaddr : 0; /* RFC 2131 table 3 */

	if (!dhcp_reply_start(&b, reply + DHCP_FRAME_HEADROOM, reply_capacity(s, m, reply_size), m,
			      type, ciaddr, yiaddr))
		return 0;
	add_config_options(s, &b, m, yiaddr != 0);
	return send_reply(s, m, &b, reply, type, yiaddr);
}

size_t dhcp4_reply_nak(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
		       size_t reply_size, const char *why)
{
	struct dhcp_builder b;

	if (!dhcp_reply_start(&b, reply + DHCP_FRAME_HEADROOM, reply_capacity(s, m, reply_size), m,
			      DHCPNAK, 0, 0))
		return 0;
	dhcp_reply_option_u32(&b, DHCP_OPT_SERVER_ID, s->gateway);
	if (m->client_id)
		dhcp_reply_option(&b, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
	dhcp_reply_option(&b, DHCP_OPT_MESSAGE, why, strlen(why));
	return send_reply(s, m, &b, reply, DHCPNAK, 0);
}
