// SPDX-License-Identifier: MIT
/* test_audit_flows.c — unit tests for app/audit_flows.c and app/audit_names.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/audit_flows.h"
#include "app/audit_names.h"
#include "guard/flows.h"

/* an IPv4 address (host order) as the tables take it */
#define V4(a) (&(struct inet_addr[]){inet_from_v4(a)}[0])

static void found_touched_and_expired(void **state)
{
	struct audit_flows *t = audit_flows_new();
	struct audit_flow *fl;

	(void)state;
	assert_null(audit_flows_find(t, 6, V4(0x01020304), 1000, 443, 0));
	fl = audit_flows_add(t, 6, V4(0x01020304), 1000, 443, 1000);
	assert_non_null(fl);
	assert_ptr_equal(audit_flows_find(t, 6, V4(0x01020304), 1000, 443, 2000), fl);
	assert_null(audit_flows_find(t, 17, V4(0x01020304), 1000, 443, 2000));
	assert_null(audit_flows_find(t, 6, V4(0x01020304), 1001, 443, 2000));
	/* not answered: gone after FLOW_TCP_OPENING_S */
	assert_null(audit_flows_find(t, 6, V4(0x01020304), 1000, 443,
				     1000 + FLOW_TCP_OPENING_S * 1000ull));
	assert_int_equal(audit_flows_count(t), 0);
	fl = audit_flows_add(t, 6, V4(0x01020304), 1000, 443, 1000);
	fl->tcp = AUDIT_TCP_ANSWERED;
	assert_non_null(audit_flows_find(t, 6, V4(0x01020304), 1000, 443, 1000 + 3600 * 1000ull));
	fl->refused = true; /* a refusal is forgotten after 30 s */
	assert_null(audit_flows_find(t, 6, V4(0x01020304), 1000, 443, 1000 + 31 * 1000ull));
	audit_flows_free(t);
}

static unsigned listed;
static void count(const struct audit_flow *fl, void *ctx)
{
	uint16_t *last = ctx;

	*last = fl->sport;
	listed++;
}

static void full_table_evicts_the_one_idle_longest(void **state)
{
	struct audit_flows *t = audit_flows_new();
	uint16_t last = 0;

	(void)state;
	for (uint32_t i = 0; i < AUDIT_FLOWS_MAX; i++)
		assert_non_null(audit_flows_add(t, 17, V4(0x0a000001), (uint16_t)i, 53, 1000 + i));
	/* flow 0 seen again: flow 1 is now the one idle longest */
	audit_flows_touch(t, audit_flows_find(t, 17, V4(0x0a000001), 0, 53, 9000), 9000);
	assert_non_null(audit_flows_add(t, 17, V4(0x0a000002), 1, 53, 9001));
	assert_int_equal(audit_flows_count(t), AUDIT_FLOWS_MAX);
	assert_null(audit_flows_find(t, 17, V4(0x0a000001), 1, 53, 9002));
	assert_non_null(audit_flows_find(t, 17, V4(0x0a000001), 0, 53, 9002));
	assert_non_null(audit_flows_find(t, 17, V4(0x0a000001), 2, 53, 9002));
	listed = 0;
	audit_flows_each(t, 9002, count, &last);
	assert_int_equal(listed, AUDIT_FLOWS_MAX);
	assert_int_equal(last, 2); /* the least recently seen comes last */
	audit_flows_free(t);
}

/* An answer for "example.com" with one A record 93.184.216.34 (TTL @ttl) */
static size_t answer(uint8_t *out, uint32_t ttl)
{
	static const uint8_t head[] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
				       7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
				       0, 1, 0, 1,
				       0xc0, 12, 0, 1, 0, 1};
	size_t n = sizeof(head);

	memcpy(out, head, n);
	out[n++] = (uint8_t)(ttl >> 24);
	out[n++] = (uint8_t)(ttl >> 16);
	out[n++] = (uint8_t)(ttl >> 8);
	out[n++] = (uint8_t)ttl;
	out[n++] = 0;
	out[n++] = 4;
	out[n++] = 93;
	out[n++] = 184;
	out[n++] = 216;
	out[n++] = 34;
	return n;
}

static void names_from_answers(void **state)
{
	struct audit_names *n = audit_names_new();
	uint8_t msg[128];
	size_t len = answer(msg, 5);

	(void)state;
	assert_null(audit_names_find(n, V4(0x5db8d822), 0));
	audit_names_learn(n, msg, len, 1000);
	assert_string_equal(audit_names_find(n, V4(0x5db8d822), 1000), "example.com");
	/* a TTL of 5 s is held for 60 */
	assert_non_null(audit_names_find(n, V4(0x5db8d822), 1000 + 59 * 1000));
	assert_null(audit_names_find(n, V4(0x5db8d822), 1000 + 60 * 1000));
	/* a question (no QR) and a cut answer teach nothing */
	msg[2] = 0x01;
	audit_names_learn(n, msg, len, 100000);
	assert_null(audit_names_find(n, V4(0x5db8d822), 100000));
	msg[2] = 0x81;
	audit_names_learn(n, msg, len - 3, 100000);
	assert_null(audit_names_find(n, V4(0x5db8d822), 100000));
	audit_names_free(n);
}

/* An IPv6 flow is its own: the same ports and protocol to another family never match */
static void ipv6_flows_and_aaaa_names(void **state)
{
	static const uint8_t aaaa[] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
				       7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
				       0, 28, 0, 1,
				       0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16,
				       0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22};
	struct inet_addr v6 = {{0x20, 0x01, 0x0d, 0xb8, [15] = 0x22}}, other = v6;
	struct audit_flows *t = audit_flows_new();
	struct audit_names *n = audit_names_new();
	struct audit_flow *fl;

	(void)state;
	other.b[14] = 1;
	fl = audit_flows_add(t, 6, &v6, 1000, 443, 1000);
	assert_non_null(fl);
	assert_ptr_equal(audit_flows_find(t, 6, &v6, 1000, 443, 1000), fl);
	assert_null(audit_flows_find(t, 6, &other, 1000, 443, 1000));
	assert_null(audit_flows_find(t, 6, V4(0x00000022), 1000, 443, 1000));
	audit_names_learn(n, aaaa, sizeof(aaaa), 1000);
	assert_string_equal(audit_names_find(n, &v6, 1000), "example.com");
	assert_null(audit_names_find(n, &other, 1000));
	audit_flows_free(t);
	audit_names_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(found_touched_and_expired),
		cmocka_unit_test(full_table_evicts_the_one_idle_longest),
		cmocka_unit_test(names_from_answers),
		cmocka_unit_test(ipv6_flows_and_aaaa_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
