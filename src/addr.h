/* SPDX-License-Identifier: MIT */
/* addr.h — parsing and formatting of MAC addresses, IPv4 addresses and prefixes */
#ifndef SVM_ADDR_H
#define SVM_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define MAC_TEXT_LEN 18  /* "aa:bb:cc:dd:ee:ff" + NUL */
#define IPV4_TEXT_LEN 16 /* "255.255.255.255" + NUL */

/**
 * mac_parse() - read "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes
 * Return: true when @text is exactly a MAC address.
 */
bool mac_parse(const char *text, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char out[MAC_TEXT_LEN]);

/**
 * ipv4_parse() - read a dotted-quad IPv4 address strictly (four decimal parts)
 * @text: the text
 * @addr: the address in host byte order
 * Return: true on success.
 */
bool ipv4_parse(const char *text, uint32_t *addr);
void ipv4_format(uint32_t addr, char out[IPV4_TEXT_LEN]);

/** ipv4_prefix_mask() - the netmask of a prefix length (0..32), host order */
static inline uint32_t ipv4_prefix_mask(unsigned prefix_len)
{
	return prefix_len ? ~(uint32_t)0 << (32 - prefix_len) : 0;
}

/**
 * ipv4_mask_prefix_len() - the prefix length of a contiguous netmask
 * Return: 0..32, or -1 when @mask is not contiguous.
 */
int ipv4_mask_prefix_len(uint32_t mask);

/**
 * ipv4_cidr_parse() - read "a.b.c.d/len" or a bare address (= /32)
 * Return: true on success; host bits beyond the prefix are cleared in @net.
 */
bool ipv4_cidr_parse(const char *text, uint32_t *net, unsigned *prefix_len);

#endif
