/* SPDX-License-Identifier: MIT */
/* addr.h — addresses: MAC, and one IP address type for both families, with their text forms */
#ifndef SVM_PROTO_ADDR_H
#define SVM_PROTO_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAC_TEXT_LEN 18  /* "aa:bb:cc:dd:ee:ff" + NUL */
#define IPV4_TEXT_LEN 16 /* "255.255.255.255" + NUL */
#define INET_TEXT_LEN 46 /* the longest IPv6 text, IPv4-mapped included, + NUL */

/**
 * mac_parse() - read "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes
 * Return: true when @text is exactly a MAC address.
 */
bool mac_parse(const char *text, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char out[MAC_TEXT_LEN]);

static inline bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool mac_is_broadcast(const uint8_t *mac)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	return memcmp(mac, bcast, 6) == 0;
}

static inline bool mac_equal(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 6) == 0;
}

/**
 * struct inet_addr - an IPv4 or IPv6 address, in network byte order
 *
 * IPv6 as it is; IPv4 as its IPv4-mapped IPv6 form ::ffff:a.b.c.d (RFC 4291 2.5.5.2), so
 * one type, one comparison and one database column serve both families. Frame views, the
 * policy, the configuration and the lease database all use it; code that is IPv4 by nature
 * (ARP, DHCPv4) reads the host-order value with inet_v4().
 */
struct inet_addr {
	uint8_t b[16];
};

static inline struct inet_addr inet_from_v4(uint32_t host_order)
{
	struct inet_addr a = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
			       (uint8_t)(host_order >> 24), (uint8_t)(host_order >> 16),
			       (uint8_t)(host_order >> 8), (uint8_t)host_order}};
	return a;
}

static inline bool inet_is_v4(const struct inet_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->b, mapped, sizeof(mapped)) == 0;
}

/** inet_v4() - the IPv4 address in host order (only meaningful when inet_is_v4()) */
static inline uint32_t inet_v4(const struct inet_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
	       a->b[15];
}

static inline bool inet_equal(const struct inet_addr *a, const struct inet_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/** inet_is_unspecified() - 0.0.0.0 or :: (also "no address" in structs zeroed as IPv6) */
static inline bool inet_is_unspecified(const struct inet_addr *a)
{
	static const struct inet_addr zero;
	return inet_equal(a, &zero) || (inet_is_v4(a) && inet_v4(a) == 0);
}

/**
 * inet_parse() - read an IPv4 dotted quad (strictly: four decimal parts) or an IPv6 address
 * Return: true on success.
 */
bool inet_parse(const char *text, struct inet_addr *addr);

/** inet_format() - the text form: dotted quad for IPv4, RFC 5952 for IPv6 */
void inet_format(const struct inet_addr *addr, char out[INET_TEXT_LEN]);

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

/**
 * struct inet_prefix - a network: an address and a prefix length in its own family
 * @addr: the network address, host bits clear
 * @len: 0..32 for IPv4, 0..128 for IPv6
 */
struct inet_prefix {
	struct inet_addr addr;
	uint8_t len;
};

/** inet_prefix_contains() - whether @a is inside @p (and of its family) */
bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a);

/**
 * inet6_cidr_parse() - read "2001:db8::/32" or a bare IPv6 address (= /128)
 * @text: the text
 * @p: the prefix as written (host bits as given)
 * Return: true on success; inet_prefix_host_bits() tells whether host bits are set.
 */
bool inet6_cidr_parse(const char *text, struct inet_prefix *p);

/** inet_prefix_host_bits() - whether @p's address has bits set beyond its length */
bool inet_prefix_host_bits(const struct inet_prefix *p);

/** inet_prefix_clear_host_bits() - @p's address with the bits beyond its length cleared */
void inet_prefix_clear_host_bits(struct inet_prefix *p);

/* ---- IPv6 addresses (RFC 4291) --------------------------------------------------------- */

/** inet6_is_link_local() - fe80::/10 */
static inline bool inet6_is_link_local(const struct inet_addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/** inet6_is_multicast() - ff00::/8 (never true of an IPv4-mapped address) */
static inline bool inet6_is_multicast(const struct inet_addr *a)
{
	return a->b[0] == 0xff;
}

/** inet6_solicited_node() - the solicited-node multicast group of @a: ff02::1:ff00:0/104 */
void inet6_solicited_node(const struct inet_addr *a, struct inet_addr *group);

/**
 * inet6_link_local_of_mac() - the link-local address a host forms from its MAC: fe80::/64
 * and the modified EUI-64 interface identifier (RFC 4291 2.5.1, appendix A; RFC 2464 4)
 */
void inet6_link_local_of_mac(const uint8_t mac[6], struct inet_addr *out);

/** inet6_in_prefix64() - whether @a is inside the /64 @prefix (IPv6 only) */
static inline bool inet6_in_prefix64(const struct inet_addr *a, const struct inet_addr *prefix)
{
	return memcmp(a->b, prefix->b, 8) == 0;
}

#endif
