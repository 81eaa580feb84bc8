// SPDX-License-Identifier: MIT
/* dhcp_msg.c — DHCPv4 messages (RFC 2131/2132): parsing client messages, building replies */
#include "proto/dhcp_msg.h"

#include <string.h>

#include "proto/byteorder.h"
#include "proto/ipv4_frame.h"

/* Options seen so far in one message: a repeated option this server reads is malformed. */
struct option_walk {
	struct dhcp_msg *m;
	uint64_t seen[4];
	const char **why;
};

static bool fail(const char **why, const char *reason)
{
	*why = reason;
	return false;
}

static bool mark_seen(struct option_walk *w, uint8_t code)
{
	uint64_t bit = (uint64_t)1 << (code % 64);

	if (w->seen[code / 64] & bit)
		return fail(w->why, "option repeated");
	w->seen[code / 64] |= bit;
	return true;
}

/* Check one option's length against what its code requires and store its value. */
static bool take_option(struct option_walk *w, uint8_t code, const uint8_t *val, uint8_t len,
			bool in_options_field)
{
	struct dhcp_msg *m = w->m;

	switch (code) {
	case DHCP_OPT_MESSAGE_TYPE:
		if (len != 1)
			return fail(w->why, "message type option is not 1 byte");
		if (!mark_seen(w, code))
			return false;
		m->type = val[0];
		return true;
	case DHCP_OPT_REQUESTED_ADDRESS:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_LEASE_TIME:
		if (len != 4)
			return fail(w->why, "address or time option is not 4 bytes");
		if (!mark_seen(w, code))
			return false;
		if (code == DHCP_OPT_REQUESTED_ADDRESS) {
			m->requested_addr = be32(val);
			m->has_requested_addr = true;
		} else if (code == DHCP_OPT_SERVER_ID) {
			m->server_id = be32(val);
			m->has_server_id = true;
		}
		return true;
	case DHCP_OPT_MAX_MESSAGE_SIZE:
		if (len != 2)
			return fail(w->why, "maximum message size option is not 2 bytes");
		if (!mark_seen(w, code))
			return false;
		m->max_message_size = be16(val);
		return true;
	case DHCP_OPT_OVERLOAD:
		if (!in_options_field)
			return true; /* RFC 2131 4.1: only the options field may overload */
		if (len != 1 || val[0] < 1 || val[0] > 3)
			return fail(w->why, "option overload is not 1, 2 or 3");
		if (!mark_seen(w, code))
			return false;
		m->overload = val[0];
		return true;
	case DHCP_OPT_CLIENT_ID:
		if (len < 2)
			return fail(w->why, "client identifier shorter than 2 bytes");
		if (!mark_seen(w, code))
			return false;
		m->client_id = val;
		m->client_id_len = len;
		return true;
	default:
		return true; /* not used by this server */
	}
}

/* Walk one field of options (the options field, or file/sname when overloaded). */
static bool walk_options(struct option_walk *w, const uint8_t *p, size_t len,
			 bool in_options_field)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i], opt_len;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return true;
		if (i + 1 >= len)
			return fail(w->why, "option truncated before its length");
		opt_len = p[i + 1];
		if (opt_len > len - i - 2)
			return fail(w->why, "option longer than its field");
		if (!take_option(w, code, p + i + 2, opt_len, in_options_field))
			return false;
		i += 2 + (size_t)opt_len;
	}
	return fail(w->why, "options without an END option");
}

bool dhcp_msg_parse(struct dhcp_msg *m, const uint8_t *data, size_t len, const char **why)
{
	struct option_walk w = {.m = m, .why = why};

	*m = (struct dhcp_msg){0};
	if (len < DHCP_FIXED_LEN)
		return fail(why, "shorter than a DHCP header");
	m->op = data[DHCP_OFF_OP];
	m->htype = data[DHCP_OFF_HTYPE];
	m->hlen = data[DHCP_OFF_HLEN];
	m->hops = data[DHCP_OFF_HOPS];
	m->xid = be32(data + DHCP_OFF_XID);
	m->secs = be16(data + DHCP_OFF_SECS);
	m->flags = be16(data + DHCP_OFF_FLAGS);
	m->ciaddr = be32(data + DHCP_OFF_CIADDR);
	m->yiaddr = be32(data + DHCP_OFF_YIADDR);
	m->siaddr = be32(data + DHCP_OFF_SIADDR);
	m->giaddr = be32(data + DHCP_OFF_GIADDR);
	memcpy(m->chaddr, data + DHCP_OFF_CHADDR, DHCP_CHADDR_LEN);
	if (m->op != DHCP_OP_BOOTREQUEST)
		return fail(why, "not a BOOTREQUEST");
	if (m->htype != DHCP_HTYPE_ETHERNET || m->hlen != 6)
		return fail(why, "hardware type is not Ethernet");
	if (be32(data + DHCP_OFF_COOKIE) != DHCP_MAGIC_COOKIE)
		return fail(why, "no magic cookie");
	if (!walk_options(&w, data + DHCP_OFF_OPTIONS, len - DHCP_OFF_OPTIONS, true))
		return false;
	/* RFC 2131 4.1: options, then 'file', then 'sname' */
	if ((m->overload & 1) &&
	    !walk_options(&w, data + DHCP_OFF_FILE, DHCP_FILE_LEN, false))
		return false;
	if ((m->overload & 2) &&
	    !walk_options(&w, data + DHCP_OFF_SNAME, DHCP_SNAME_LEN, false))
		return false;
	return true;
}

bool dhcp_reply_start(struct dhcp_builder *b, uint8_t *buf, size_t cap, const struct dhcp_msg *req,
		      uint8_t type, uint32_t ciaddr, uint32_t yiaddr)
{
	*b = (struct dhcp_builder){.buf = buf, .cap = cap};
	if (cap < DHCP_MIN_REPLY_LEN)
		return false;
	memset(buf, 0, DHCP_FIXED_LEN);
	buf[DHCP_OFF_OP] = DHCP_OP_BOOTREPLY;
	buf[DHCP_OFF_HTYPE] = DHCP_HTYPE_ETHERNET;
	buf[DHCP_OFF_HLEN] = 6;
	put_be32(buf + DHCP_OFF_XID, req->xid);
	put_be16(buf + DHCP_OFF_FLAGS, req->flags);
	put_be32(buf + DHCP_OFF_CIADDR, ciaddr);
	put_be32(buf + DHCP_OFF_YIADDR, yiaddr);
	put_be32(buf + DHCP_OFF_GIADDR, req->giaddr);
	memcpy(buf + DHCP_OFF_CHADDR, req->chaddr, DHCP_CHADDR_LEN);
	put_be32(buf + DHCP_OFF_COOKIE, DHCP_MAGIC_COOKIE);
	b->len = DHCP_FIXED_LEN;
	return dhcp_reply_option(b, DHCP_OPT_MESSAGE_TYPE, &type, 1);
}

bool dhcp_reply_option(struct dhcp_builder *b, uint8_t code, const void *value, size_t len)
{
	/* code, length, value, and one byte kept for END */
	if (len > 255 || b->len + 2 + len + 1 > b->cap)
		return false;
	b->buf[b->len] = code;
	b->buf[b->len + 1] = (uint8_t)len;
	memcpy(b->buf + b->len + 2, value, len);
	b->len += 2 + len;
	return true;
}

bool dhcp_reply_option_u32(struct dhcp_builder *b, uint8_t code, uint32_t value)
{
	uint8_t be[4];

	put_be32(be, value);
	return dhcp_reply_option(b, code, be, sizeof(be));
}

size_t dhcp_reply_finish(struct dhcp_builder *b)
{
	b->buf[b->len++] = DHCP_OPT_END;
	if (b->len < DHCP_MIN_REPLY_LEN) {
		memset(b->buf + b->len, DHCP_OPT_PAD, DHCP_MIN_REPLY_LEN - b->len);
		b->len = DHCP_MIN_REPLY_LEN;
	}
	return b->len;
}

size_t dhcp_frame_wrap(uint8_t *frame, size_t msg_len, const uint8_t *src_mac,
		       const uint8_t *dst_mac, uint32_t src_ip, uint32_t dst_ip)
{
	struct ipv4_ends ends = {
		.src_mac = src_mac, .dst_mac = dst_mac, .src_ip = src_ip, .dst_ip = dst_ip,
		.src_port = DHCP_SERVER_PORT, .dst_port = DHCP_CLIENT_PORT,
	};

	/* DSCP/ECN: low delay, as ISC dhcpd and dnsmasq send */
	return ipv4_udp_frame(frame, msg_len, &ends, 0x10);
}

const char *dhcp_message_type_name(uint8_t type)
{
	static const char *const names[] = {
		[DHCPDISCOVER] = "DISCOVER", [DHCPOFFER] = "OFFER",     [DHCPREQUEST] = "REQUEST",
		[DHCPDECLINE] = "DECLINE",   [DHCPACK] = "ACK",         [DHCPNAK] = "NAK",
		[DHCPRELEASE] = "RELEASE",   [DHCPINFORM] = "INFORM",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "UNKNOWN";
}
