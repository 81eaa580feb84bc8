// SPDX-License-Identifier: MIT
/* addr.c — parsing and formatting of MAC addresses, IPv4 addresses and prefixes */
#include "addr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
