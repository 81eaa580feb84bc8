// SPDX-License-Identifier: MIT
/* addr.c — addresses: MAC, and one IP address type for both families, with their text forms */
#include "proto/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool mac_parse(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_value(text[0]), lo = hi < 0 ? -1 : hex_value(text[1]);

		if (hi < 0 || lo < 0)
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
		text += 2;
		if (i < 5) {
			if (*text != ':' && *text != '-')
				return false;
			text++;
		}
	}
	return *text == '\0';
}

void mac_format(const uint8_t mac[6], char out[MAC_TEXT_LEN])
{
	snprintf(out, MAC_TEXT_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

bool ipv4_parse(const char *text, uint32_t *addr)
{
	uint32_t a = 0;

	for (int part = 0; part < 4; part++) {
		unsigned value = 0;
		int digits = 0;

		while (isdigit((unsigned char)*text) && digits < 4) {
			value = value * 10 + (unsigned)(*text++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || value > 255)
			return false;
		a = a << 8 | value;
		if (part < 3 && *text++ != '.')
			return false;
	}
	if (*text != '\0')
		return false;
	*addr = a;
	return true;
}

void ipv4_format(uint32_t a, char out[IPV4_TEXT_LEN])
{
	snprintf(out, IPV4_TEXT_LEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
}

bool inet_parse(const char *text, struct inet_addr *addr)
{
	uint32_t v4;

	if (ipv4_parse(text, &v4)) {
		*addr = inet_from_v4(v4);
		return true;
	}
	/* IPv6 only: inet_pton(AF_INET6) would also take "::ffff:1.2.3.4", which is IPv4 */
	return strchr(text, ':') && inet_pton(AF_INET6, text, addr->b) == 1 && !inet_is_v4(addr);
}

void inet_format(const struct inet_addr *addr, char out[INET_TEXT_LEN])
{
	if (inet_is_v4(addr))
		ipv4_format(inet_v4(addr), out);
	else if (!inet_ntop(AF_INET6, addr->b, out, INET_TEXT_LEN))
		snprintf(out, INET_TEXT_LEN, "?");
}

int ipv4_mask_prefix_len(uint32_t mask)
{
	int len = 0;

	while (len < 32 && (mask & (UINT32_C(1) << (31 - len))))
		len++;
	return ipv4_prefix_mask((unsigned)len) == mask ? len : -1;
}

bool ipv4_cidr_parse(const char *text, uint32_t *net, unsigned *prefix_len)
{
	char buf[IPV4_TEXT_LEN];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned len = 32;
	uint32_t a;

	if (addr_len >= sizeof(buf))
		return false;
	memcpy(buf, text, addr_len);
	buf[addr_len] = '\0';
	if (!ipv4_parse(buf, &a))
		return false;
	if (slash) {
		char *end;
		unsigned long l;

		if (!isdigit((unsigned char)slash[1]))
			return false;
		l = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || l > 32)
			return false;
		len = (unsigned)l;
	}
	*net = a & ipv4_prefix_mask(len);
	*prefix_len = len;
	return true;
}

bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a)
{
	bool v4 = inet_is_v4(&p->addr);
	unsigned bits = v4 ? 96u + p->len : p->len, whole = bits / 8, rest = bits % 8;

	if (v4 != inet_is_v4(a) || memcmp(p->addr.b, a->b, whole) != 0)
		return false;
	return rest == 0 || ((p->addr.b[whole] ^ a->b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool inet6_cidr_parse(const char *text, struct inet_prefix *p)
{
	char buf[INET_TEXT_LEN];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long len = 128;

	if (addr_len >= sizeof(buf))
		return false;
	memcpy(buf, text, addr_len);
	buf[addr_len] = '\0';
	if (!strchr(buf, ':') || inet_pton(AF_INET6, buf, p->addr.b) != 1 || inet_is_v4(&p->addr))
		return false;
	if (slash) {
		char *end;

		if (!isdigit((unsigned char)slash[1]))
			return false;
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > 128)
			return false;
	}
	p->len = (uint8_t)len;
	return true;
}

/* The bit count of @p's prefix in the 16-byte form (IPv4's behind the 96 mapped bits). */
static unsigned prefix_bits(const struct inet_prefix *p)
{
	return inet_is_v4(&p->addr) ? 96u + p->len : p->len;
}

bool inet_prefix_host_bits(const struct inet_prefix *p)
{
	struct inet_prefix q = *p;

	inet_prefix_clear_host_bits(&q);
	return !inet_equal(&q.addr, &p->addr);
}

void inet_prefix_clear_host_bits(struct inet_prefix *p)
{
	unsigned bits = prefix_bits(p);

	for (unsigned i = 0; i < 16; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		p->addr.b[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

void inet6_solicited_node(const struct inet_addr *a, struct inet_addr *group)
{
	static const uint8_t head[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

	memcpy(group->b, head, sizeof(head));
	memcpy(group->b + 13, a->b + 13, 3);
}

void inet6_link_local_of_mac(const uint8_t mac[6], struct inet_addr *out)
{
	memset(out->b, 0, sizeof(out->b));
	out->b[0] = 0xfe;
	out->b[1] = 0x80;
	out->b[8] = mac[0] ^ 0x02; /* the universal/local bit inverted */
	out->b[9] = mac[1];
	out->b[10] = mac[2];
	out->b[11] = 0xff;
	out->b[12] = 0xfe;
	out->b[13] = mac[3];
	out->b[14] = mac[4];
	out->b[15] = mac[5];
}
