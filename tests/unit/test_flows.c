// SPDX-License-Identifier: MIT
/* test_flows.c — unit tests for guard/flows.c: the VM's name-allowed connections and their timeouts */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guard/flows.h"

#define NOW 9000000u
/* an IPv4 address in host order, as the flows hold it */
#define V4(x) (&(struct inet_addr){{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, (uint8_t)((x) >> 24), \
				    (uint8_t)((x) >> 16), (uint8_t)((x) >> 8), (uint8_t)(x)}})
#define TCP 6
#define UDP 17

static void found_by_their_ends_only(void **state)
{
	struct flows *f = flows_new(NULL, NULL);
	struct flow *a = flows_add(f, TCP, V4(0x01020304), 1000, 443, 5, NOW);

	(void)state;
	assert_ptr_equal(flows_find(f, TCP, V4(0x01020304), 1000, 443, NOW), a);
	assert_null(flows_find(f, UDP, V4(0x01020304), 1000, 443, NOW));
	assert_null(flows_find(f, TCP, V4(0x01020305), 1000, 443, NOW));
	assert_null(flows_find(f, TCP, V4(0x01020304), 1001, 443, NOW));
	assert_null(flows_find(f, TCP, V4(0x01020304), 1000, 444, NOW));
	assert_int_equal(a->rule, 5);
	flows_remove(f, a);
	assert_null(flows_find(f, TCP, V4(0x01020304), 1000, 443, NOW));
	assert_int_equal(flows_count(f), 0);
	flows_free(f);
}

static void timeouts_follow_the_state(void **state)
{
	struct flows *f = flows_new(NULL, NULL);
	struct flow *fl;

	(void)state;
	fl = flows_add(f, TCP, V4(1), 1, 1, 0, NOW); /* a SYN, no answer yet */
	assert_false(flows_expired(fl, NOW + FLOW_TCP_OPENING_S * 1000ull - 1));
	assert_true(flows_expired(fl, NOW + FLOW_TCP_OPENING_S * 1000ull));
	fl->tcp |= FLOW_TCP_ANSWERED;
	assert_false(flows_expired(fl, NOW + FLOW_TCP_ESTABLISHED_S * 1000ull - 1));
	assert_true(flows_expired(fl, NOW + FLOW_TCP_ESTABLISHED_S * 1000ull));
	fl->tcp |= FLOW_TCP_FIN_VM;
	assert_false(flows_expired(fl, NOW + FLOW_TCP_CLOSED_S * 1000ull));
	fl->tcp |= FLOW_TCP_FIN_HOST;
	assert_true(flows_expired(fl, NOW + FLOW_TCP_CLOSED_S * 1000ull));
	fl = flows_add(f, UDP, V4(1), 1, 1, 0, NOW);
	assert_false(flows_expired(fl, NOW + FLOW_UDP_S * 1000ull - 1));
	/* a timed-out flow is forgotten when it is looked for */
	assert_null(flows_find(f, UDP, V4(1), 1, 1, NOW + FLOW_UDP_S * 1000ull));
	assert_int_equal(flows_count(f), 1);
	flows_free(f);
}

static long keep_odd(void *ctx, uint32_t rule)
{
	(void)ctx;
	return rule % 2 ? (long)rule * 10 : -1;
}

static void a_full_table_and_a_new_policy(void **state)
{
	struct flows *f = flows_new(NULL, NULL);

	(void)state;
	for (uint32_t i = 0; i < FLOWS_MAX; i++)
		flows_add(f, UDP, V4(i), 1, 1, i, NOW + i);
	assert_int_equal(flows_count(f), FLOWS_MAX);
	/* full: the oldest goes */
	flows_add(f, UDP, V4(0xffff), 1, 1, 1, NOW + FLOWS_MAX);
	assert_int_equal(flows_count(f), FLOWS_MAX);
	assert_null(flows_find(f, UDP, V4(0), 1, 1, NOW + FLOWS_MAX));
	assert_non_null(flows_find(f, UDP, V4(1), 1, 1, NOW + FLOWS_MAX));
	flows_remap(f, keep_odd, NULL);
	assert_int_equal(flows_count(f), FLOWS_MAX / 2 + 1);
	assert_int_equal(flows_find(f, UDP, V4(3), 1, 1, NOW + FLOWS_MAX)->rule, 30);
	flows_free(f);
}

static void ipv6_ends_are_their_own(void **state)
{
	struct flows *f = flows_new(NULL, NULL);
	struct inet_addr a = {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}}, b = a;
	struct flow *fa = flows_add(f, TCP, &a, 1000, 443, 5, NOW);

	(void)state;
	b.b[15] = 2;
	assert_ptr_equal(flows_find(f, TCP, &a, 1000, 443, NOW), fa);
	assert_null(flows_find(f, TCP, &b, 1000, 443, NOW));
	/* the IPv4 address with the same last bytes is another end */
	assert_null(flows_find(f, TCP, V4(1), 1000, 443, NOW));
	assert_true(inet_equal(&fa->dst, &a));
	flows_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(found_by_their_ends_only),
		cmocka_unit_test(timeouts_follow_the_state),
		cmocka_unit_test(a_full_table_and_a_new_policy),
		cmocka_unit_test(ipv6_ends_are_their_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
