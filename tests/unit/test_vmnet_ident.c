// SPDX-License-Identifier: MIT
/* test_vmnet_ident.c — unit tests of src/backend/vmnet/vmnet_ident.c (interface uuid, network name) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_config.h"
#include "vmnet/vmnet_ident.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void test_uuid_is_version_8_and_stable_per_mac(void **state)
{
	uint8_t a[VMNET_UUID_SIZE], b[VMNET_UUID_SIZE], c[VMNET_UUID_SIZE];
	const uint8_t other[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};

	(void)state;
	vmnet_interface_uuid(mac, a);
	vmnet_interface_uuid(mac, b);
	vmnet_interface_uuid(other, c);
	assert_memory_equal(a, b, VMNET_UUID_SIZE);
	assert_memory_not_equal(a, c, VMNET_UUID_SIZE);
	assert_int_equal(a[6] >> 4, 8);     /* RFC 9562 version 8 */
	assert_int_equal(a[8] & 0xc0, 0x80); /* variant 10 */
	assert_memory_equal(a + 10, mac, 6);
}

static void test_network_names(void **state)
{
	struct config cfg;
	char id[64], desc[80];

	(void)state;
	test_config(&cfg, mac);
	vmnet_network_name(&cfg.backend.vmnet, &cfg.net4.subnet, id, sizeof(id), desc, sizeof(desc));
	assert_string_equal(id, "vmnet-shared:192.168.64.0/24");
	assert_string_equal(desc, "vmnet shared network 192.168.64.0/24");
	cfg.backend.vmnet.mode = VMNET_MODE_HOST;
	vmnet_network_name(&cfg.backend.vmnet, &cfg.net4.subnet, id, sizeof(id), desc, sizeof(desc));
	assert_string_equal(id, "vmnet-host:192.168.64.0/24");
	cfg.backend.vmnet.mode = VMNET_MODE_BRIDGED;
	strcpy(cfg.backend.vmnet.interface, "en0");
	vmnet_network_name(&cfg.backend.vmnet, &cfg.net4.subnet, id, sizeof(id), desc, sizeof(desc));
	assert_string_equal(id, "vmnet-bridged:en0:192.168.64.0/24");
	assert_string_equal(desc, "vmnet bridged network 192.168.64.0/24 on en0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_is_version_8_and_stable_per_mac),
		cmocka_unit_test(test_network_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
