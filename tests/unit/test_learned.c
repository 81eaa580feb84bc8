// SPDX-License-Identifier: MIT
/* test_learned.c — unit tests for guard/learned.c: addresses of names, their TTLs, a full table */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard/learned.h"

#define NOW 5000000u
/* an IPv4 address in host order, as the table holds it */
#define V4(x) (&(struct inet_addr){{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, (uint8_t)((x) >> 24), \
				    (uint8_t)((x) >> 16), (uint8_t)((x) >> 8), (uint8_t)(x)}})

static unsigned count_valid(const struct learned *l, const struct inet_addr *addr, uint64_t now)
{
	unsigned n = 0;

	for (const struct learned_entry *e = learned_first(l, addr); e; e = learned_next(l, e))
		n += e->expires_ms > now;
	return n;
}

static void ttls_are_held_between_floor_and_cap(void **state)
{
	struct learned *l = learned_new();
	const struct learned_entry *e;

	(void)state;
	assert_true(learned_add(l, V4(0x01020304), 7, "a.test", 0, NOW));
	e = learned_first(l, V4(0x01020304));
	assert_non_null(e);
	assert_int_equal(e->expires_ms, NOW + LEARNED_TTL_FLOOR_S * 1000ull);
	assert_true(learned_add(l, V4(0x01020305), 7, "b.test", 86400, NOW));
	assert_int_equal(learned_first(l, V4(0x01020305))->expires_ms, NOW + LEARNED_TTL_CAP_S * 1000ull);
	assert_true(learned_add(l, V4(0x01020306), 7, "c.test", 300, NOW));
	assert_int_equal(learned_first(l, V4(0x01020306))->expires_ms, NOW + 300000ull);
	learned_free(l);
}

static void one_address_several_rules_and_renewals(void **state)
{
	struct learned *l = learned_new();

	(void)state;
	learned_add(l, V4(0x0a000001), 1, "x.test", 100, NOW);
	learned_add(l, V4(0x0a000001), 2, "y.test", 100, NOW);
	learned_add(l, V4(0x0a000002), 1, "z.test", 100, NOW);
	assert_int_equal(learned_count(l), 3);
	assert_int_equal(count_valid(l, V4(0x0a000001), NOW), 2);
	/* the same address and rule again: one entry, its end moved on, never back */
	learned_add(l, V4(0x0a000001), 1, "x2.test", 200, NOW + 1000);
	learned_add(l, V4(0x0a000001), 1, "x3.test", 60, NOW + 2000);
	assert_int_equal(learned_count(l), 3);
	for (const struct learned_entry *e = learned_first(l, V4(0x0a000001)); e; e = learned_next(l, e))
		if (e->rule == 1) {
			assert_int_equal(e->expires_ms, NOW + 1000 + 200000ull);
			assert_string_equal(e->name, "x3.test");
		}
	assert_null(learned_first(l, V4(0x0a000003)));
	learned_free(l);
}

static long drop_rule_2(void *ctx, uint32_t rule)
{
	(void)ctx;
	return rule == 2 ? -1 : (long)rule + 10;
}

static void visit(const struct learned_entry *e, void *ctx)
{
	(void)e;
	++*(unsigned *)ctx;
}

static void remap_and_expiry_on_the_way(void **state)
{
	struct learned *l = learned_new();
	unsigned seen = 0;

	(void)state;
	learned_add(l, V4(1), 1, "a", 100, NOW);
	learned_add(l, V4(1), 2, "b", 100, NOW);
	learned_add(l, V4(2), 3, "c", 1000, NOW);
	learned_remap(l, drop_rule_2, NULL);
	assert_int_equal(learned_count(l), 2);
	assert_int_equal(learned_first(l, V4(2))->rule, 13);
	learned_each(l, NOW + 200000, visit, &seen); /* "a" has expired: dropped on the way */
	assert_int_equal(seen, 1);
	assert_int_equal(learned_count(l), 1);
	learned_free(l);
}

static void a_full_table_lets_the_soonest_go(void **state)
{
	struct learned *l = learned_new();

	(void)state;
	for (uint32_t i = 0; i < LEARNED_MAX; i++)
		assert_true(learned_add(l, V4(0x0b000000 + i), 1, "n", 100 + (i % 1000), NOW));
	assert_int_equal(learned_count(l), LEARNED_MAX);
	/* full: the entry closest to its end (one of the 100 s ones) makes room */
	assert_true(learned_add(l, V4(0x0c000000), 1, "new", 3000, NOW));
	assert_int_equal(learned_count(l), LEARNED_MAX);
	assert_non_null(learned_first(l, V4(0x0c000000)));
	assert_null(learned_first(l, V4(0x0b000000))); /* i = 0: 100 s, the soonest */
	assert_non_null(learned_first(l, V4(0x0b000001)));
	/* later, the expired ones go first, all of them */
	assert_true(learned_add(l, V4(0x0c000001), 1, "new", 3000, NOW + 2000000));
	assert_int_equal(learned_count(l), 2 + 0); /* every 100-1099 s entry had expired */
	learned_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ttls_are_held_between_floor_and_cap),
		cmocka_unit_test(one_address_several_rules_and_renewals),
		cmocka_unit_test(remap_and_expiry_on_the_way),
		cmocka_unit_test(a_full_table_lets_the_soonest_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
