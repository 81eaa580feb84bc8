// SPDX-License-Identifier: MIT
/* test_ndp.c — unit tests of src/responder/ndp.c: RAs, the gateway's NAs, address claims in a real database */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "proto/byteorder.h"
#include "proto/ndp_msg.h"
#include "responder/ndp.h"
#include "test_config.h"

#define NET "svmtest0"
#define PREFIX "fd12:3456:789a:1::"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t vm2_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0xa8, 0x40, 0x01};

static uint64_t fake_ms;

static uint64_t fake_mono_ms(void)
{
	return fake_ms;
}

/** struct side - one VM's responder and what its env saw */
struct side {
	struct config cfg;
	struct process_identity self;
	struct responder *r;
	struct responder_env env;
	uint8_t sent[16][256];
	size_t sent_len[16];
	unsigned sent_count;
	struct inet_addr claimed[32];
	unsigned claimed_count;
	bool evict; /* claim_address reports the first claim as given up */
};

struct fixture {
	char dir[64], path[128];
	struct lease_db *db;
	struct loop *loop;
	struct side a, b;
};

static struct fixture *fx;

static void env_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct side *s = ctx;

	assert_true(s->sent_count < 16 && len <= 256);
	memcpy(s->sent[s->sent_count], frame, len);
	s->sent_len[s->sent_count++] = len;
}

static bool env_claim(void *ctx, const struct inet_addr *addr, struct inet_addr *evicted)
{
	struct side *s = ctx;

	s->claimed[s->claimed_count++] = *addr;
	if (s->evict) {
		*evicted = s->claimed[0];
		return true;
	}
	return false;
}

static struct inet_addr A(const char *text)
{
	struct inet_addr a;

	assert_true(inet_parse(text, &a));
	return a;
}

static void side_init(struct side *s, const uint8_t mac[6], int other)
{
	char err[200];
	struct ndp_setup setup = {.vm = &s->cfg.vm, .net6 = &s->cfg.net6, .db = fx->db,
				  .self = &s->self, .network = NET, .gateway_mac = gw_mac,
				  .claim_s = 600, .clock = {.mono_ms = fake_mono_ms}};

	test_config(&s->cfg, mac);
	s->cfg.net6 = (struct net6_config){.enabled = true, .prefix = {A(PREFIX), 64},
					   .gateway = A(PREFIX "1"), .gateway_ll = A("fe80::1")};
	assert_int_equal(process_identity_self(&s->self), 0);
	if (other) { /* another instance: running, in a PID namespace of its own */
		s->self.pid += 100000;
		s->self.pid_ns++;
	}
	s->env = (struct responder_env){.send_to_vm = env_send, .claim_address = env_claim,
					.ctx = s, .loop = fx->loop};
	s->r = ndp_new(&setup, err, sizeof(err));
	assert_non_null(s->r);
	s->r->env = &s->env;
}

static int setup(void **state)
{
	char err[256];

	fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/svm-test-ndp-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/leases.db", fx->dir);
	fx->db = lease_db_open(fx->path, false, err, sizeof(err));
	assert_non_null(fx->db);
	lease_db_wait(fx->db, 0);
	fx->loop = loop_new();
	fake_ms = 1000000;
	side_init(&fx->a, vm_mac, 0);
	side_init(&fx->b, vm2_mac, 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	char cmd[100];

	(void)state;
	fx->a.r->close(fx->a.r);
	fx->b.r->close(fx->b.r);
	loop_free(fx->loop);
	lease_db_close(fx->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* ---- frames from the VM -------------------------------------------------------------------- */

static uint8_t in[256];
static struct frame_view view;

static enum drop_reason from_vm(struct side *s, uint8_t type, const char *src, const char *dst,
				const char *target)
{
	struct ip_ends e = {.src_mac = s->cfg.vm.mac, .dst_mac = gw_mac, .src = A(src),
			    .dst = A(dst)};
	uint8_t *body = in + IPV6_ICMP_BODY_OFFSET;
	size_t len = 4;

	memset(body, 0, 20);
	if (target) {
		struct inet_addr t = A(target);

		memcpy(body + 4, t.b, 16);
		len = 20;
	}
	assert_int_equal(frame_parse(&view, in, ipv6_icmp_frame(in, len, &e, type, 0, ND_HOP_LIMIT)),
			 DROP_NONE);
	s->sent_count = 0;
	return s->r->handle(s->r, &view);
}

/* The one frame @s sent, parsed and checked as ND. */
static struct ndp_msg sent_one(struct side *s, struct frame_view *v)
{
	struct ndp_msg m;

	assert_int_equal(s->sent_count, 1);
	assert_int_equal(frame_parse(v, s->sent[0], s->sent_len[0]), DROP_NONE);
	assert_int_equal(ndp_parse(v, &m), DROP_NONE);
	return m;
}

static void router_solicitations_are_answered(void **state)
{
	struct frame_view v;
	struct ndp_msg m;
	const uint8_t *o;
	struct inet_addr ll = A("fe80::5054:ff:fe12:3456"), gw = A(PREFIX "1");

	(void)state;
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_RS, "fe80::5054:ff:fe12:3456", "ff02::2", NULL),
			 DROP_NONE);
	m = sent_one(&fx->a, &v);
	assert_int_equal(m.type, ICMPV6_ND_RA);
	assert_memory_equal(m.sllao, gw_mac, 6);
	assert_memory_equal(v.src_mac, gw_mac, 6);
	assert_memory_equal(v.dst_mac, vm_mac, 6);
	assert_true(inet_equal(&v.ip_dst, &ll));
	assert_int_equal(v.l4[4], NDP_HOP_LIMIT);
	assert_int_equal(v.l4[5], 0); /* neither M nor O */
	assert_int_equal(be16(v.l4 + 6), NDP_ROUTER_LIFETIME_S);
	o = v.l4 + 16 + 8;
	assert_int_equal(o[0], ND_OPT_MTU);
	assert_int_equal(be32(o + 4), 1500);
	o += 8;
	assert_int_equal(o[0], ND_OPT_PREFIX);
	assert_int_equal(be32(o + 4), NDP_VALID_LIFETIME_S);
	assert_int_equal(be32(o + 8), NDP_PREFERRED_LIFETIME_S);
	assert_memory_equal(o + 16, fx->a.cfg.net6.prefix.addr.b, 16);
	o += 32;
	assert_int_equal(o[0], ND_OPT_RDNSS);
	assert_memory_equal(o + 8, gw.b, 16);
	/* again at once: the RA just sent answers it too (RFC 4861 6.2.6) */
	from_vm(&fx->a, ICMPV6_ND_RS, "fe80::5054:ff:fe12:3456", "ff02::2", NULL);
	assert_int_equal(fx->a.sent_count, 0);
	/* from :: after a while: to all nodes */
	fake_ms += NDP_RA_MIN_INTERVAL_MS;
	from_vm(&fx->a, ICMPV6_ND_RS, "::", "ff02::2", NULL);
	sent_one(&fx->a, &v);
	assert_memory_equal(v.dst_mac, "\x33\x33\x00\x00\x00\x01", 6);
}

static void unsolicited_advertisements_follow_the_vm(void **state)
{
	struct frame_view v;

	(void)state;
	fx->a.r->vm_active(fx->a.r, fake_ms);
	assert_int_equal(sent_one(&fx->a, &v).type, ICMPV6_ND_RA);
	fx->a.sent_count = 0;
	fake_ms += (uint64_t)NDP_REFRESH_S * 1000 - 1;
	fx->a.r->vm_active(fx->a.r, fake_ms);
	assert_int_equal(fx->a.sent_count, 0);
	fake_ms += 1;
	fx->a.r->vm_active(fx->a.r, fake_ms);
	assert_int_equal(sent_one(&fx->a, &v).type, ICMPV6_ND_RA);
	assert_memory_equal(v.dst_mac, "\x33\x33\x00\x00\x00\x01", 6);
}

static void the_gateway_answers_as_a_router(void **state)
{
	struct frame_view v;
	struct ndp_msg m;
	struct inet_addr gw = A(PREFIX "1"), vm = A(PREFIX "10");

	(void)state;
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, PREFIX "10", "ff02::1:ff00:1", PREFIX "1"),
			 DROP_NONE);
	m = sent_one(&fx->a, &v);
	assert_int_equal(m.type, ICMPV6_ND_NA);
	assert_int_equal(m.na_flags, ND_NA_ROUTER | ND_NA_SOLICITED | ND_NA_OVERRIDE);
	assert_true(inet_equal(&m.target, &gw));
	assert_true(inet_equal(&v.ip_src, &gw));
	assert_true(inet_equal(&v.ip_dst, &vm));
	assert_memory_equal(m.tllao, gw_mac, 6);
	/* the link-local one too */
	from_vm(&fx->a, ICMPV6_ND_NS, "fe80::5054:ff:fe12:3456", "ff02::1:ff00:1", "fe80::1");
	assert_int_equal(sent_one(&fx->a, &v).type, ICMPV6_ND_NA);
	/* nothing else is sock-vmnet's to answer */
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, PREFIX "10", "ff02::1:ff00:99", PREFIX "99"),
			 DROP_NDP_TARGET);
	assert_int_equal(fx->a.sent_count, 0);
}

static void first_claim_wins_the_second_is_defended(void **state)
{
	struct frame_view v;
	struct ndp_msg m;
	struct inet_addr x = A(PREFIX "77");

	(void)state;
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff00:77", PREFIX "77"),
			 DROP_NONE);
	assert_int_equal(fx->a.claimed_count, 1);
	assert_true(inet_equal(&fx->a.claimed[0], &x));
	assert_int_equal(fx->a.sent_count, 0); /* won: no answer, the VM's DAD succeeds */
	/* the other VM claims it too: told that the first has it, as the first would say */
	assert_int_equal(from_vm(&fx->b, ICMPV6_ND_NS, "::", "ff02::1:ff00:77", PREFIX "77"),
			 DROP_NDP_CLAIMED);
	assert_int_equal(fx->b.claimed_count, 0);
	m = sent_one(&fx->b, &v);
	assert_int_equal(m.type, ICMPV6_ND_NA);
	assert_true(inet_equal(&m.target, &x));
	assert_memory_equal(m.tllao, vm_mac, 6);
	assert_memory_equal(v.dst_mac, "\x33\x33\x00\x00\x00\x01", 6);
	assert_int_equal(m.na_flags, ND_NA_OVERRIDE);
	/* the first claims it again (its interface came back): still its own */
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff00:77", PREFIX "77"),
			 DROP_NONE);
	/* the gateway's addresses are the gateway's, defended as a router */
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff00:1", PREFIX "1"),
			 DROP_NDP_CLAIMED);
	m = sent_one(&fx->a, &v);
	assert_memory_equal(m.tllao, gw_mac, 6);
	assert_int_equal(m.na_flags, ND_NA_ROUTER | ND_NA_OVERRIDE);
	/* its own link-local address from its MAC: nothing to claim */
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff12:3456",
				 "fe80::5054:ff:fe12:3456"),
			 DROP_NONE);
	assert_int_equal(fx->a.claimed_count, 2);
}

static void given_up_addresses_leave_the_table(void **state)
{
	(void)state;
	from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff00:20", PREFIX "20");
	fx->a.evict = true; /* the next claim makes the guard give up PREFIX::20 */
	from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff00:21", PREFIX "21");
	assert_int_equal(from_vm(&fx->b, ICMPV6_ND_NS, "::", "ff02::1:ff00:20", PREFIX "20"),
			 DROP_NONE);
	assert_int_equal(from_vm(&fx->b, ICMPV6_ND_NS, "::", "ff02::1:ff00:21", PREFIX "21"),
			 DROP_NDP_CLAIMED);
}

static void claims_have_a_budget(void **state)
{
	char target[64], group[64];

	(void)state;
	for (int i = 0; i < NDP_CLAIM_BURST; i++) {
		snprintf(target, sizeof(target), PREFIX "1:%x", i);
		snprintf(group, sizeof(group), "ff02::1:ff01:%x", i);
		assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", group, target), DROP_NONE);
	}
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff02:1", PREFIX "2:1"),
			 DROP_NDP_IGNORED);
	fake_ms += NDP_CLAIM_REFILL_MS;
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff02:1", PREFIX "2:1"),
			 DROP_NONE);
}

static void a_locked_database_is_tried_again(void **state)
{
	sqlite3 *other;
	struct inet_addr x = A(PREFIX "55");

	(void)state;
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(from_vm(&fx->a, ICMPV6_ND_NS, "::", "ff02::1:ff00:55", PREFIX "55"),
			 DROP_NONE);
	assert_int_equal(fx->a.claimed_count, 0);
	for (int i = 0; i < 5; i++)
		loop_run_once(fx->loop, 20);
	assert_int_equal(fx->a.claimed_count, 0); /* still locked */
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	for (int i = 0; i < 100 && !fx->a.claimed_count; i++)
		loop_run_once(fx->loop, 50);
	assert_int_equal(fx->a.claimed_count, 1);
	assert_true(inet_equal(&fx->a.claimed[0], &x));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(router_solicitations_are_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(unsolicited_advertisements_follow_the_vm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_gateway_answers_as_a_router, setup, teardown),
		cmocka_unit_test_setup_teardown(first_claim_wins_the_second_is_defended, setup,
						teardown),
		cmocka_unit_test_setup_teardown(given_up_addresses_leave_the_table, setup, teardown),
		cmocka_unit_test_setup_teardown(claims_have_a_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(a_locked_database_is_tried_again, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
