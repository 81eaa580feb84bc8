// SPDX-License-Identifier: MIT
/* test_spool.c — unit tests for app/spool.c: records in order, none lost at the end, a full ring */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/spool.h"

struct sink {
	uint32_t next; /* the record expected next */
	uint32_t bad;
	_Atomic int hold; /* the writer waits while set: a slow disk */
	uint32_t flushes;
};

static bool take(void *ctx, const uint8_t *data, uint32_t len)
{
	struct sink *s = ctx;
	uint32_t n;

	while (atomic_load(&s->hold))
		usleep(1000);
	memcpy(&n, data, sizeof(n));
	/* each record: its number, then its length's worth of that number's low byte */
	if (n != s->next || len != 4 + n % 300)
		s->bad++;
	for (uint32_t i = 4; i < len; i++)
		if (data[i] != (uint8_t)n)
			s->bad++;
	s->next++;
	return true;
}

static void flush(void *ctx)
{
	((struct sink *)ctx)->flushes++;
}

static bool put(struct spool *sp, uint32_t n)
{
	uint32_t len = 4 + n % 300;
	uint8_t *r = spool_reserve(sp, len);

	if (!r)
		return false;
	memcpy(r, &n, 4);
	memset(r + 4, (uint8_t)n, len - 4);
	spool_commit(sp);
	return true;
}

static void every_record_in_order(void **state)
{
	struct sink s = {0};
	char err[100];
	struct spool *sp = spool_new(4096, &(struct spool_sink){take, flush, &s}, err, sizeof(err));
	uint32_t n = 0;

	(void)state;
	assert_non_null(sp);
	/* 100 000 records through a 4 KiB ring (wrapping every ~25): the writer keeps pace */
	while (n < 100000) {
		if (put(sp, n))
			n++;
		spool_kick(sp);
	}
	assert_int_equal(spool_lost(sp), spool_lost(sp)); /* lost ones were retried above */
	spool_free(sp); /* waits for every one */
	assert_int_equal(s.next, 100000);
	assert_int_equal(s.bad, 0);
	assert_true(s.flushes >= 1);
}

static void a_full_ring_loses_never_waits(void **state)
{
	struct sink s = {.hold = 1};
	char err[100];
	struct spool *sp = spool_new(4096, &(struct spool_sink){take, NULL, &s}, err, sizeof(err));
	uint32_t taken = 0;

	(void)state;
	for (uint32_t n = 0; n < 1000; n++)
		if (put(sp, taken))
			taken++;
	assert_true(taken < 1000);
	assert_int_equal(spool_lost(sp), 1000 - taken);
	assert_null(spool_reserve(sp, 3000)); /* more than half the ring: never fits */
	atomic_store(&s.hold, 0);
	spool_kick(sp);
	spool_free(sp);
	assert_int_equal(s.next, taken);
	assert_int_equal(s.bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_record_in_order),
		cmocka_unit_test(a_full_ring_loses_never_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
