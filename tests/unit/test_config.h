/* SPDX-License-Identifier: MIT */
/* test_config.h — the unit tests' command line: the default network, written out once */
#ifndef SVM_TEST_CONFIG_H
#define SVM_TEST_CONFIG_H

#include <string.h>

#include "app/config.h"
#include "proto/checksum.h"

#define TEST_GATEWAY 0xc0a84001u /* 192.168.64.1 */
#define TEST_SUBNET 0xc0a84000u
#define TEST_MASK 0xffffff00u

/**
 * test_config() - sock-vmnet's defaults for the VM @mac: 192.168.64.1/24 with the range up
 * to .255, MTU 1500, a 600 s lease, no rules
 */
static inline void test_config(struct config *cfg, const uint8_t mac[6])
{
	*cfg = (struct config){
		.vm = {.fd = -1, .fd_number = 3, .mtu = 1500},
		.net4 = {.gateway = inet_from_v4(TEST_GATEWAY),
			 .subnet = {inet_from_v4(TEST_SUBNET), 24},
			 .mask = TEST_MASK,
			 .range_end = inet_from_v4(0xc0a840ffu)},
		.dhcp = {.lease_db = DEFAULT_LEASE_DB, .lease_time = DEFAULT_LEASE_TIME},
		.backend = {.name = "tap", .bridge = DEFAULT_BRIDGE, .offload = true},
	};
	memcpy(cfg->vm.mac, mac, 6);
}

/** test_ip_checksum() - the Internet checksum of @len bytes, ready to store big-endian */
static inline uint16_t test_ip_checksum(const void *data, size_t len)
{
	return checksum_final(checksum_add(0, data, len));
}

#endif
