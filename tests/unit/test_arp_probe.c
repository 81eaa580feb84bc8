// SPDX-License-Identifier: MIT
/* test_arp_probe.c — unit tests of src/backend/vmnet/arp_probe.c (probes on the host side) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "hostnet/arp_probe.h"
#include "proto/byteorder.h"
#include "proto/frame.h"

static const uint8_t our_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
#define ADDR 0xc0a84007u /* 192.168.64.7 */

struct world {
	struct loop *loop;
	struct arp_prober pr;
	struct arp_probe probe;
	unsigned sent, answers;
	uint8_t last[ARP_FRAME_LEN];
};

static struct world w;

static int fake_send(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	assert_int_equal(len, ARP_FRAME_LEN);
	memcpy(w.last, frame, len);
	w.sent++;
	return 0;
}

static void on_done(struct arp_probe *p)
{
	assert_ptr_equal(p, &w.probe);
	w.answers++;
}

static int setup(void **state)
{
	(void)state;
	memset(&w, 0, sizeof(w));
	w.loop = loop_new();
	arp_prober_init(&w.pr, w.loop, our_mac, vm_mac, fake_send, NULL);
	return w.loop ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	arp_prober_fini(&w.pr);
	loop_free(w.loop);
	return 0;
}

/* an ARP frame from @mac claiming @ip */
static size_t arp_from(uint8_t *f, const uint8_t mac[6], uint32_t ip, uint16_t op)
{
	size_t len = arp_build_request(f, mac, ip, 0xc0a84001u);

	put_be16(f + ETH_HDR_LEN + 6, op);
	return len;
}

static void run_until_answered(unsigned ms)
{
	uint64_t until = clock_mono_ms() + ms;

	while (!w.answers && clock_mono_ms() < until)
		loop_run_once(w.loop, 20);
}

static void test_request_is_a_probe_frame_arp_parses(void **state)
{
	uint8_t f[ARP_FRAME_LEN];
	struct frame_view v;

	(void)state;
	assert_int_equal(arp_build_request(f, our_mac, 0, ADDR), ARP_FRAME_LEN);
	assert_int_equal(frame_parse(&v, f, sizeof(f)), DROP_NONE);
	assert_int_equal(v.ethertype, ETHERTYPE_ARP);
	assert_int_equal(v.arp_op, ARP_OP_REQUEST);
	assert_memory_equal(v.dst_mac, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(v.arp_sha, our_mac, 6);
	assert_int_equal(be32(v.arp_spa), 0);
	assert_int_equal(be32(v.arp_tpa), ADDR);
}

static void test_sender_of_claims_but_not_probes(void **state)
{
	uint8_t f[ARP_FRAME_LEN], mac[6];
	uint32_t ip;

	(void)state;
	arp_from(f, other_mac, ADDR, ARP_OP_REPLY);
	assert_true(arp_sender_of(f, sizeof(f), &ip, mac));
	assert_int_equal(ip, ADDR);
	assert_memory_equal(mac, other_mac, 6);
	arp_build_request(f, other_mac, 0, ADDR); /* a probe claims nothing */
	assert_false(arp_sender_of(f, sizeof(f), &ip, mac));
	assert_false(arp_sender_of(f, ETH_HDR_LEN + 10, &ip, mac)); /* cut short */
	put_be16(f + 12, ETHERTYPE_IPV4);
	assert_false(arp_sender_of(f, sizeof(f), &ip, mac));
}

static void test_answer_means_in_use(void **state)
{
	uint8_t f[ARP_FRAME_LEN];

	(void)state;
	arp_probe_start(&w.pr, &w.probe, ADDR, on_done);
	assert_int_equal(w.sent, 1);
	assert_int_equal(be32(w.last + ETH_HDR_LEN + 24), ADDR);
	arp_prober_input(&w.pr, f, arp_from(f, other_mac, ADDR, ARP_OP_REPLY));
	assert_int_equal(w.answers, 1);
	assert_true(w.probe.in_use);
	assert_memory_equal(w.probe.holder, other_mac, 6);
	assert_null(w.pr.pending);
	assert_false(loop_timer_armed(&w.probe.timer));
}

static void test_silence_means_free_after_two_probes(void **state)
{
	uint64_t start = clock_mono_ms();

	(void)state;
	arp_probe_start(&w.pr, &w.probe, ADDR, on_done);
	run_until_answered(2000);
	assert_int_equal(w.answers, 1);
	assert_false(w.probe.in_use);
	assert_int_equal(w.sent, 2);
	assert_in_range(clock_mono_ms() - start, 150, 1000);
}

static void test_own_and_vm_answers_do_not_count(void **state)
{
	uint8_t f[ARP_FRAME_LEN];

	(void)state;
	arp_probe_start(&w.pr, &w.probe, ADDR, on_done);
	arp_prober_input(&w.pr, f, arp_from(f, our_mac, ADDR, ARP_OP_REPLY));
	arp_prober_input(&w.pr, f, arp_from(f, vm_mac, ADDR, ARP_OP_REPLY));
	assert_int_equal(w.answers, 0);
	run_until_answered(2000);
	assert_false(w.probe.in_use);
}

static void test_a_recent_sender_is_in_use_at_once(void **state)
{
	uint8_t f[ARP_FRAME_LEN];

	(void)state;
	/* any ARP that claims the address (a VM asking for its gateway) shows its holder */
	arp_prober_input(&w.pr, f, arp_from(f, other_mac, ADDR, ARP_OP_REQUEST));
	arp_probe_start(&w.pr, &w.probe, ADDR, on_done);
	assert_int_equal(w.answers, 1);
	assert_true(w.probe.in_use);
	assert_int_equal(w.sent, 0);
}

static void test_cancel_means_no_answer(void **state)
{
	(void)state;
	arp_probe_start(&w.pr, &w.probe, ADDR, on_done);
	arp_probe_cancel(&w.probe);
	assert_null(w.pr.pending);
	for (int i = 0; i < 15; i++)
		loop_run_once(w.loop, 20);
	assert_int_equal(w.answers, 0);
	assert_int_equal(w.sent, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_is_a_probe_frame_arp_parses),
		cmocka_unit_test(test_sender_of_claims_but_not_probes),
		cmocka_unit_test_setup_teardown(test_answer_means_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silence_means_free_after_two_probes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_own_and_vm_answers_do_not_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_recent_sender_is_in_use_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_means_no_answer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
