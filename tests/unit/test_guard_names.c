// SPDX-License-Identifier: MIT
/* test_guard_names.c — unit tests for guard.c's name rules: learning, TTLs, flows, the SNI/Host check */
#include <errno.h>

#include "guard/flows.h"
#include "guard_fixture.h"

/* ---- learning ------------------------------------------------------------------------------ */

static void a_name_opens_its_addresses_for_its_ports_only(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+tcp:api.allowed.test:443", NULL};

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	refused(syn(SERVER, 1000, 443), GUARD_DROP, DROP_POLICY_BLOCK); /* not asked for yet */
	learn("api.allowed.test", SERVER, 30);
	assert_int_equal(names.answers, 1);
	assert_int_equal(names.learned, 1);
	passes(syn(SERVER, 1001, 443));
	refused(syn(SERVER, 1002, 80), GUARD_DROP, DROP_POLICY_BLOCK);
	refused(udp(SERVER, 443), GUARD_DROP, DROP_POLICY_BLOCK);
	learn("other.test", OTHER, 30); /* no rule names it: nothing learned */
	assert_int_equal(names.learned, 1);
	refused(syn(OTHER, 1003, 443), GUARD_DROP, DROP_POLICY_BLOCK);
}

static void cname_chains_and_wildcards(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+*.allowed.test", NULL};
	struct msg m;

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	/* www.allowed.test -> edge.cdn.test -> 203.0.113.2 */
	answer_start(&m, "www.allowed.test");
	add_cname(&m, "www.allowed.test", "edge.cdn.test");
	add_a(&m, "edge.cdn.test", SERVER, 30);
	add_a(&m, "unrelated.test", OTHER, 30); /* not on the chain */
	guard_learn_answer(&guard, m.b, m.len);
	passes(udp(SERVER, 9));
	refused(udp(OTHER, 9), GUARD_DROP, DROP_POLICY_BLOCK);
	/* the apex is not below itself */
	setup_guard(rules, CHECK_NAMES_OFF);
	learn("allowed.test", SERVER, 30);
	refused(udp(SERVER, 9), GUARD_DROP, DROP_POLICY_BLOCK);
}

/* An answer's records off the question's own CNAME chain open nothing (issue 19, fault 9). */
static void only_the_questions_chain_is_learned(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+tcp:api.allowed.test:443", NULL};
	struct msg m;

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	answer_start(&m, "unrelated.attacker.test");
	add_cname(&m, "junk.attacker.test", "api.allowed.test");
	add_a(&m, "api.allowed.test", SERVER, 300);
	add_a(&m, "unrelated.attacker.test", OTHER, 300);
	guard_learn_answer(&guard, m.b, m.len);
	refused(syn(SERVER, 1300, 443), GUARD_DROP, DROP_POLICY_BLOCK);
	assert_int_equal(names.learned, 0);
	/* the same records on the chain the question starts are learned */
	answer_start(&m, "www.attacker.test");
	add_cname(&m, "www.attacker.test", "api.allowed.test");
	add_a(&m, "api.allowed.test", SERVER, 300);
	guard_learn_answer(&guard, m.b, m.len);
	passes(syn(SERVER, 1301, 443));
}

static void rebinding_addresses_are_never_learned(void **state)
{
	static const char *const rules[] = {"+*.allowed.test", NULL};
	static const uint32_t never[] = {0x7f000001, 0xa9fea9fe, 0xe0000001, 0xf0000001,
					 0xffffffff, 0x00000001, LEASE, TEST_GATEWAY};

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		learn("x.allowed.test", never[i], 30);
	assert_int_equal(names.rebinding, sizeof(never) / sizeof(never[0]));
	assert_int_equal(names.learned, 0);
	learn("x.allowed.test", 0x0a000001, 30); /* a private address may be opened by a name */
	assert_int_equal(names.learned, 1);
	passes(udp(0x0a000001, 9));
}

static void block_wins_between_names(void **state)
{
	static const char *const rules[] = {"+good.test", "-bad.test", NULL};

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	learn("good.test", OTHER, 30);
	passes(udp(OTHER, 9));
	learn("bad.test", OTHER, 30); /* the same address under a block name */
	refused(udp(OTHER, 10), GUARD_DROP, DROP_POLICY_BLOCK);
	passes(udp(OTHER, 9)); /* a flow that was allowed goes on */
}

/* The server answers the VM's SYN from @sport: the flow is established. */
static void answered(uint16_t sport)
{
	enum drop_reason why = DROP_NONE;

	assert_int_equal(guard_host_frame(&guard, tcp_back(SERVER, 443, sport, TCP_SYN | TCP_ACK),
					  &why),
			 GUARD_PASS);
}

static void ttl_ends_new_flows_but_not_live_ones(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+tcp:api.allowed.test:443", NULL};

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	learn("api.allowed.test", SERVER, 5); /* held for the 60 s floor */
	passes(syn(SERVER, 2000, 443));
	answered(2000);
	guard.now_ms = T0 + 59000;
	passes(syn(SERVER, 2001, 443));
	answered(2001);
	guard.now_ms = T0 + 61000;
	refused(syn(SERVER, 2002, 443), GUARD_DROP, DROP_POLICY_BLOCK); /* a new flow: gone */
	passes(tcp(SERVER, 2000, 443, TCP_ACK, 101, "data", 4));        /* the live ones: go on */
	guard.now_ms = T0 + 3600000;
	passes(tcp(SERVER, 2001, 443, TCP_ACK, 101, "data", 4));
	/* a reset ends a flow; after its linger it is judged anew */
	passes(tcp(SERVER, 2001, 443, TCP_RST, 105, "", 0));
	guard.now_ms += 31000;
	refused(tcp(SERVER, 2001, 443, TCP_ACK, 105, "x", 1), GUARD_DROP, DROP_POLICY_BLOCK);
	/* the cap: an answer's 1-day TTL counts for an hour */
	learn("api.allowed.test", SERVER, 86400);
	guard.now_ms += 3599000;
	passes(syn(SERVER, 2003, 443));
	guard.now_ms += 2000;
	refused(syn(SERVER, 2004, 443), GUARD_DROP, DROP_POLICY_BLOCK);
}

static void a_server_keeps_its_flow_alive(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+udp:api.allowed.test:443", NULL};
	enum drop_reason why;

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	learn("api.allowed.test", SERVER, 30);
	passes(udp(SERVER, 443));
	guard.now_ms = T0 + 299000; /* UDP flows last 300 s idle... */
	{
		struct ipv4_ends ends = {.src_mac = gw_mac, .dst_mac = vm_mac, .src_ip = SERVER,
					 .dst_ip = LEASE, .src_port = 443, .dst_port = 40000};

		assert_int_equal(frame_parse(&view, frame, ipv4_udp_frame(frame, 0, &ends, 0)),
				 DROP_NONE);
		assert_int_equal(guard_host_frame(&guard, &view, &why), GUARD_PASS);
	}
	guard.now_ms = T0 + 500000; /* ...from the last packet either way */
	passes(udp(SERVER, 443));
	guard.now_ms = T0 + 900000;
	refused(udp(SERVER, 443), GUARD_DROP, DROP_POLICY_BLOCK);
}

/* ---- the server-name check ----------------------------------------------------------------- */

static void sni_must_name_an_allowed_name(void **state)
{
	uint8_t hello[512];
	size_t n;

	(void)state;
	setup_guard(sandbox, CHECK_NAMES_AUTO);
	learn("api.allowed.test", SERVER, 30);
	/* allowed: the flow goes on unchecked afterwards */
	passes(syn(SERVER, 3000, 443));
	n = client_hello(hello, "API.allowed.test");
	passes(tcp(SERVER, 3000, 443, TCP_ACK | TCP_PSH, 101, hello, n));
	passes(tcp(SERVER, 3000, 443, TCP_ACK, (uint32_t)(101 + n), "\x17\x03\x03", 3));
	/* another site at the same address: reset, and the flow stays dead */
	passes(syn(SERVER, 3001, 443));
	n = client_hello(hello, "evil.test");
	refused(tcp(SERVER, 3001, 443, TCP_ACK | TCP_PSH, 101, hello, n), GUARD_RESET,
		DROP_NAME_MISMATCH);
	refused(tcp(SERVER, 3001, 443, TCP_ACK, 101, hello, n), GUARD_DROP, DROP_NAME_MISMATCH);
	{
		enum drop_reason why = DROP_NONE;

		/* and what its server still sends does not reach the VM; the good one's does */
		assert_int_equal(guard_host_frame(&guard, tcp_back(SERVER, 443, 3001, TCP_ACK), &why),
				 GUARD_DROP);
		assert_int_equal(why, DROP_NAME_MISMATCH);
		assert_int_equal(guard_host_frame(&guard, tcp_back(SERVER, 443, 3000, TCP_ACK), &why),
				 GUARD_PASS);
	}
	/* an allowed name for another port, and a blocked name, are no better */
	passes(syn(SERVER, 3002, 443));
	n = client_hello(hello, "www.allowed.test");
	refused(tcp(SERVER, 3002, 443, TCP_ACK, 101, hello, n), GUARD_RESET, DROP_NAME_MISMATCH);
}

static void client_hello_in_two_segments_and_out_of_order(void **state)
{
	uint8_t hello[512];
	size_t n;

	(void)state;
	setup_guard(sandbox, CHECK_NAMES_AUTO);
	learn("api.allowed.test", SERVER, 30);
	n = client_hello(hello, "api.allowed.test");
	passes(syn(SERVER, 3100, 443));
	/* the second half first: dropped, the VM sends it again */
	refused(tcp(SERVER, 3100, 443, TCP_ACK, (uint32_t)(101 + 40), hello + 40, n - 40),
		GUARD_DROP, DROP_NAME_CHECK_ORDER);
	/* the first half is held back: the server has nothing of it yet */
	held(tcp(SERVER, 3100, 443, TCP_ACK, 101, hello, 40));
	held(tcp(SERVER, 3100, 443, TCP_ACK, 101, hello, 40)); /* a retransmission */
	/* judged whole: in its place, the whole ClientHello in order */
	emits(tcp(SERVER, 3100, 443, TCP_ACK, (uint32_t)(101 + 40), hello + 40, n - 40), 101, hello,
	      n);
	passes(tcp(SERVER, 3100, 443, TCP_ACK, 101, hello, 40)); /* sent again: the same bytes */
	assert_int_equal(guard.checks, 1); /* kept until the server has it */
	server_acks(443, 3100, (uint32_t)(101 + n));
	assert_int_equal(guard.checks, 0);
	/* the same, with a name that is not allowed: the second part decides, nothing got out */
	n = client_hello(hello, "nope.test");
	passes(syn(SERVER, 3101, 443));
	held(tcp(SERVER, 3101, 443, TCP_ACK, 101, hello, 40));
	refused(tcp(SERVER, 3101, 443, TCP_ACK, (uint32_t)(101 + 40), hello + 40, n - 40),
		GUARD_RESET, DROP_NAME_MISMATCH);
	assert_int_equal(guard.checks, 0); /* every buffer given back */
	assert_int_equal(guard.check_memory, 0);
}

static void http_host_and_other_protocols(void **state)
{
	static const char ok[] = "GET / HTTP/1.1\r\nHost: www.allowed.test\r\n\r\n";
	static const char bad[] = "GET / HTTP/1.1\r\nHost: bad.allowed.test\r\n\r\n";

	(void)state;
	setup_guard(sandbox, CHECK_NAMES_AUTO);
	learn("www.allowed.test", SERVER, 30);
	passes(syn(SERVER, 3200, 80));
	passes(tcp(SERVER, 3200, 80, TCP_ACK, 101, ok, sizeof(ok) - 1));
	passes(syn(SERVER, 3201, 80));
	refused(tcp(SERVER, 3201, 80, TCP_ACK, 101, bad, sizeof(bad) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* another protocol on a web port: refused, nothing gets out */
	passes(syn(SERVER, 3202, 80));
	refused(tcp(SERVER, 3202, 80, TCP_ACK, 101, "SSH-2.0-x\r\n", 11), GUARD_RESET,
		DROP_NAME_PROTOCOL);
}

static void check_only_where_a_name_alone_allows(void **state)
{
	static const char *const rules[] = {"+tcp:api.allowed.test:443", NULL};
	uint8_t hello[512];
	size_t n = client_hello(hello, "evil.test");

	(void)state;
	setup_guard(rules, CHECK_NAMES_AUTO);
	learn("api.allowed.test", OTHER, 30); /* 8.8.8.8: the address rules allow it anyway */
	passes(syn(OTHER, 3300, 443));
	passes(tcp(OTHER, 3300, 443, TCP_ACK, 101, hello, n));
	setup_guard(sandbox, CHECK_NAMES_OFF);
	learn("api.allowed.test", SERVER, 30);
	passes(syn(SERVER, 3301, 443));
	passes(tcp(SERVER, 3301, 443, TCP_ACK, 101, hello, n));
}

/* ---- DNS must go through the gateway; rules change while the VM runs ----------------------- */

static void dns_elsewhere_is_blocked_only_with_name_rules(void **state)
{
	static const char *const none[] = {NULL};
	static const char *const some[] = {"+github.com", NULL};

	(void)state;
	setup_guard(none, CHECK_NAMES_AUTO);
	passes(udp(OTHER, 53));
	setup_guard(some, CHECK_NAMES_AUTO);
	refused(udp(OTHER, 53), GUARD_DROP, DROP_FOREIGN_DNS);
	refused(syn(OTHER, 4000, 853), GUARD_DROP, DROP_FOREIGN_DNS);
	passes(udp(OTHER, 54));
}

static void rule_changes_keep_what_still_holds(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+udp:a.test", "+udp:b.test", NULL};
	struct policy_rule r;
	char err[100];

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	learn("a.test", OTHER, 30);
	learn("b.test", 0x01010101, 30);
	passes(udp(OTHER, 9));
	passes(udp(0x01010101, 9));
	assert_true(policy_rule_parse("udp:a.test", true, &r, err, sizeof(err)));
	assert_int_equal(guard_change_rule(&guard, false, &r), 0);
	assert_int_equal(guard_change_rule(&guard, false, &r), -ENOENT);
	refused(udp(OTHER, 9), GUARD_DROP, DROP_POLICY_BLOCK); /* its flow went with its rule */
	passes(udp(0x01010101, 10)); /* b.test's address is still learned */
	assert_int_equal(guard_change_rule(&guard, true, &r), 0);
	assert_int_equal(guard_change_rule(&guard, true, &r), -EEXIST);
	refused(udp(OTHER, 11), GUARD_DROP, DROP_POLICY_BLOCK); /* learned anew only */
	learn("a.test", OTHER, 30);
	passes(udp(OTHER, 12));
}

static void hits_count_the_deciding_rule(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", "+udp:a.test", NULL};
	size_t block = 0, allow = 0;

	(void)state;
	setup_guard(rules, CHECK_NAMES_OFF);
	for (size_t i = 0; i < policy_entry_count(guard.policy); i++) {
		const struct policy_entry *e = policy_entry(guard.policy, i);

		if (!e->builtin && !e->rule.allow)
			block = i;
		if (!e->builtin && e->rule.is_name)
			allow = i;
	}
	refused(udp(OTHER, 9), GUARD_DROP, DROP_POLICY_BLOCK);
	assert_int_equal(guard.decided_by, (int)block);
	learn("a.test", OTHER, 30);
	passes(udp(OTHER, 9));
	passes(udp(OTHER, 9));
	assert_int_equal(*policy_hits(guard.policy, block), 1);
	assert_int_equal(*policy_hits(guard.policy, allow), 2);
}

/* --expose: the host's connections to a forwarded port, and the VM's replies whatever the policy */
static void forwarded_connections_reply_past_the_policy(void **state)
{
	static const char *const rules[] = {"-0.0.0.0/0", NULL};
	enum drop_reason why = DROP_NONE;
	int f;

	(void)state;
	setup_guard(rules, CHECK_NAMES_AUTO);
	f = guard_forward_add(&guard, 6, 80, 81);
	assert_true(f >= 0);
	/* a client (anywhere) connects to the VM's port 80: its SYN reaches the VM... */
	assert_int_equal(guard_host_frame(&guard, tcp_back(OTHER, 5555, 80, TCP_SYN), &why),
			 GUARD_PASS);
	assert_int_equal(guard.forwards[f].connections, 1);
	/* ...and the VM's answer leaves, though the policy blocks the client's address */
	passes(tcp(OTHER, 80, 5555, TCP_SYN | TCP_ACK, 1, "", 0));
	passes(tcp(OTHER, 80, 5555, TCP_ACK, 2, "hello", 5));
	assert_int_equal(guard.forwards[f].packets, 1);
	/* nothing else is opened: the VM's own connection to the client, another port */
	refused(tcp(OTHER, 40000, 5555, TCP_SYN, 1, "", 0), GUARD_DROP, DROP_POLICY_BLOCK);
	refused(tcp(OTHER, 82, 5555, TCP_ACK, 1, "x", 1), GUARD_DROP, DROP_POLICY_BLOCK);
	/* a rule change keeps the forwarded flow */
	{
		struct policy_rule r;
		char err[100];

		assert_true(policy_rule_parse("10.0.0.0/8", false, &r, err, sizeof(err)));
		assert_int_equal(guard_change_rule(&guard, true, &r), 0);
	}
	passes(tcp(OTHER, 80, 5555, TCP_ACK, 7, "more", 4));
	/* a segment of a connection never seen opening opens nothing */
	assert_int_equal(guard_host_frame(&guard, tcp_back(OTHER, 6666, 80, TCP_ACK), &why),
			 GUARD_PASS);
	refused(tcp(OTHER, 80, 6666, TCP_ACK, 1, "x", 1), GUARD_DROP, DROP_POLICY_BLOCK);
	/* forwarded connections are kept apart: they never crowd out the name rules' flows */
	assert_int_equal(flows_count(guard.forward_flows), 1);
	assert_true(!guard.flows || flows_count(guard.flows) == 0);
	/* the forward goes: so does the way back of its connections */
	guard_forward_del(&guard, (size_t)f);
	assert_int_equal(guard.forward_count, 0);
	refused(tcp(OTHER, 80, 5555, TCP_ACK, 11, "late", 4), GUARD_DROP, DROP_POLICY_BLOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_name_opens_its_addresses_for_its_ports_only),
		cmocka_unit_test(cname_chains_and_wildcards),
		cmocka_unit_test(only_the_questions_chain_is_learned),
		cmocka_unit_test(rebinding_addresses_are_never_learned),
		cmocka_unit_test(block_wins_between_names),
		cmocka_unit_test(ttl_ends_new_flows_but_not_live_ones),
		cmocka_unit_test(a_server_keeps_its_flow_alive),
		cmocka_unit_test(sni_must_name_an_allowed_name),
		cmocka_unit_test(client_hello_in_two_segments_and_out_of_order),
		cmocka_unit_test(http_host_and_other_protocols),
		cmocka_unit_test(check_only_where_a_name_alone_allows),
		cmocka_unit_test(dns_elsewhere_is_blocked_only_with_name_rules),
		cmocka_unit_test(rule_changes_keep_what_still_holds),
		cmocka_unit_test(hits_count_the_deciding_rule),
		cmocka_unit_test(forwarded_connections_reply_past_the_policy),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	guard_fini(&guard);
	return r;
}
