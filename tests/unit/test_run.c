// SPDX-License-Identifier: MIT
/* test_run.c — unit tests for app/run.c: krunkit's offloading seen on the hypervisor's command line */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "app/run.h"

#define CMD(...) ((char *const[]){"krunkit", "--cpus", "2", __VA_ARGS__, NULL})

static void krunkit_offloading_on_our_fd(void **state)
{
	(void)state;
	assert_true(krunkit_offloads(
		CMD("--device", "virtio-net,type=unixgram,fd=3,mac=52:54:00:12:34:56,offloading=on"), 3));
	assert_true(krunkit_offloads(CMD("--device", "virtio-net,offloading=true,fd=4,type=unixgram"),
				     4));
}

static void anything_else_is_not(void **state)
{
	(void)state;
	/* off, or not said: krunkit's unixgram default is off */
	assert_false(krunkit_offloads(CMD("--device", "virtio-net,type=unixgram,fd=3,offloading=off"),
				      3));
	assert_false(krunkit_offloads(CMD("--device", "virtio-net,type=unixgram,fd=3"), 3));
	/* another fd's device, or a prefix of ours */
	assert_false(krunkit_offloads(CMD("--device", "virtio-net,type=unixgram,fd=4,offloading=on"),
				      3));
	assert_false(krunkit_offloads(CMD("--device", "virtio-net,type=unixgram,fd=33,offloading=on"),
				      3));
	/* the last word counts; and a word that only contains the option */
	assert_false(krunkit_offloads(
		CMD("--device", "virtio-net,fd=3,offloading=on,offloading=off"), 3));
	assert_false(krunkit_offloads(CMD("--device", "virtio-net,fd=3,xoffloading=on"), 3));
	/* not a virtio-net device */
	assert_false(krunkit_offloads(CMD("--device", "virtio-blk,fd=3,offloading=on"), 3));
	assert_false(krunkit_offloads((char *const[]){"qemu-system-x86_64", NULL}, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(krunkit_offloading_on_our_fd),
		cmocka_unit_test(anything_else_is_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
