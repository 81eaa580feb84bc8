// SPDX-License-Identifier: MIT
/* test_guard_check.c — unit tests of the name check's normalizer: decoys, evasions, what the server gets */
#include "guard/flows.h"
#include "guard_fixture.h"
#include "proto/checksum.h"

#define IP_OFF ETH_HDR_LEN
#define TCP_OFF (ETH_HDR_LEN + IPV4_HDR_LEN)

static const char *const web[] = {"-0.0.0.0/0", "+tcp:allowed.test:80", "+tcp:allowed.test:443",
				  "+tcp:git.allowed.test:22", "+tcp:git.allowed.test:443", NULL};

static const char ok_req[] = "GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n";
static const char evil_req[] = "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";

static int setup(void **state)
{
	(void)state;
	setup_guard(web, CHECK_NAMES_AUTO);
	learn("allowed.test", SERVER, 300);
	learn("evil.test", SERVER, 300); /* the same address: only the check tells them apart */
	learn("git.allowed.test", SERVER, 300);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	guard_fini(&guard);
	memset(&guard, 0, sizeof(guard));
	return 0;
}

/* The frame last built, with its IPv4 and TCP checksums made right again. */
static const struct frame_view *fixed(void)
{
	size_t tcp_len = view.ip_total_len - view.ip_hdr_len;

	put_be16(frame + IP_OFF + 10, 0);
	put_be16(frame + IP_OFF + 10, test_ip_checksum(frame + IP_OFF, IPV4_HDR_LEN));
	put_be16(frame + TCP_OFF + 16, 0);
	put_be16(frame + TCP_OFF + 16,
		 checksum_final(checksum_add(checksum_pseudo_ipv4(frame + IP_OFF, IPPROTO_TCP_,
								  (uint16_t)tcp_len),
					     frame + TCP_OFF, tcp_len)));
	assert_int_equal(frame_parse(&view, frame, view.len), DROP_NONE);
	return &view;
}

/* 1-4: decoys the server's kernel never takes are dropped before the check reads them. */
static void decoys_the_server_drops_never_reach_the_check(void **state)
{
	const struct frame_view *v;

	(void)state;
	/* 1: data on a SYN (no TFO cookie: the server drops it) */
	refused(tcp(SERVER, 5001, 80, TCP_SYN, 100, ok_req, sizeof(ok_req) - 1), GUARD_DROP,
		DROP_CHECKED_SYN_DATA);
	passes(syn(SERVER, 5001, 80));
	refused(tcp(SERVER, 5001, 80, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* 2: a bad TCP checksum */
	passes(syn(SERVER, 5002, 80));
	tcp(SERVER, 5002, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1);
	frame[TCP_OFF + 16] ^= 0x55;
	refused(&view, GUARD_DROP, DROP_CHECKED_CHECKSUM);
	refused(tcp(SERVER, 5002, 80, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* ... and a bad IPv4 header checksum */
	passes(syn(SERVER, 5003, 80));
	tcp(SERVER, 5003, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1);
	frame[IP_OFF + 10] ^= 0x55;
	refused(&view, GUARD_DROP, DROP_CHECKED_CHECKSUM);
	/* 3: TTL 1 (it dies at the host's router) */
	passes(syn(SERVER, 5004, 80));
	tcp(SERVER, 5004, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1);
	frame[IP_OFF + 8] = 1;
	refused(fixed(), GUARD_DROP, DROP_CHECKED_TTL);
	refused(tcp(SERVER, 5004, 80, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* 4: a first fragment alone */
	passes(syn(SERVER, 5005, 80));
	tcp(SERVER, 5005, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1);
	frame[IP_OFF + 6] |= 0x20; /* more fragments */
	refused(fixed(), GUARD_DROP, DROP_FRAGMENT);
	/* urgent data: the server's program would not see it in the stream */
	passes(syn(SERVER, 5006, 80));
	tcp(SERVER, 5006, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1);
	frame[TCP_OFF + 13] |= 0x20;
	v = fixed();
	refused(v, GUARD_DROP, DROP_CHECKED_URGENT);
}

/*
 * A decoy that passes every check here but that the server still never takes (PAWS, out of
 * its window...): what follows at the same place must be the same bytes, or the flow is reset.
 */
static void bytes_sent_again_must_be_the_same(void **state)
{
	(void)state;
	passes(syn(SERVER, 5101, 80));
	passes(tcp(SERVER, 5101, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1));
	passes(tcp(SERVER, 5101, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1)); /* the same */
	refused(tcp(SERVER, 5101, 80, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_CHANGED);
	refused(tcp(SERVER, 5101, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1), GUARD_DROP,
		DROP_NAME_MISMATCH); /* reset: nothing of it goes on any more */
	/* once the server has acknowledged them, it drops whatever comes there again */
	passes(syn(SERVER, 5102, 80));
	passes(tcp(SERVER, 5102, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1));
	server_acks(80, 5102, (uint32_t)(101 + sizeof(ok_req) - 1));
	passes(tcp(SERVER, 5102, 80, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1));
	/* but never beyond what it was given: an acknowledgement of more counts up to there */
	passes(syn(SERVER, 5103, 80));
	held(tcp(SERVER, 5103, 80, TCP_ACK, 101, ok_req, 30)); /* "...Host: allowed" */
	server_acks(80, 5103, 131);
	refused(tcp(SERVER, 5103, 80, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_CHANGED);
}

/* 5-7: what servers read as a request is judged as one: every request, every form. */
static void every_request_and_every_name_is_judged(void **state)
{
	static const char crlf[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	static const char absolute[] = "GET http://evil.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n";
	static const char post[] = "POST /up HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 36"
				   "\r\n\r\nGET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	static const char chunked[] = "POST / HTTP/1.1\r\nHost: allowed.test\r\nTransfer-Encoding: "
				      "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
	static const char upgrade[] = "GET / HTTP/1.1\r\nHost: allowed.test\r\nUpgrade: h2c\r\n\r\n";
	uint32_t seq = 101;

	(void)state;
	/* 5: empty lines before the request line */
	passes(syn(SERVER, 5201, 80));
	refused(tcp(SERVER, 5201, 80, TCP_ACK, 101, crlf, sizeof(crlf) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* 6: the absolute-form's authority */
	passes(syn(SERVER, 5202, 80));
	refused(tcp(SERVER, 5202, 80, TCP_ACK, 101, absolute, sizeof(absolute) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* 7: keep-alive: a second request, later */
	passes(syn(SERVER, 5203, 80));
	passes(tcp(SERVER, 5203, 80, TCP_ACK, seq, ok_req, sizeof(ok_req) - 1));
	seq += sizeof(ok_req) - 1;
	passes(tcp(SERVER, 5203, 80, TCP_ACK, seq, ok_req, sizeof(ok_req) - 1));
	seq += sizeof(ok_req) - 1;
	refused(tcp(SERVER, 5203, 80, TCP_ACK, seq, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	/* a body is not a request; what follows it is */
	passes(syn(SERVER, 5204, 80));
	passes(tcp(SERVER, 5204, 80, TCP_ACK, 101, post, sizeof(post) - 1)); /* body: 36 bytes */
	passes(syn(SERVER, 5205, 80));
	passes(tcp(SERVER, 5205, 80, TCP_ACK, 101, chunked, sizeof(chunked) - 1));
	refused(tcp(SERVER, 5205, 80, TCP_ACK, (uint32_t)(101 + sizeof(chunked) - 1), evil_req,
		    sizeof(evil_req) - 1),
		GUARD_RESET, DROP_NAME_MISMATCH);
	/* a switch of protocol would hide what follows */
	passes(syn(SERVER, 5206, 80));
	refused(tcp(SERVER, 5206, 80, TCP_ACK, 101, upgrade, sizeof(upgrade) - 1), GUARD_RESET,
		DROP_NAME_SWITCH);
}

/* A request head cut across segments is held, then sent on whole, and only if allowed. */
static void a_head_in_pieces_is_held_then_released(void **state)
{
	static const char two[] = "GET /a HTTP/1.1\r\nHost: allowed.test\r\n\r\nGET /b HTTP/1.1\r\nHo";
	static const char rest[] = "st: allowed.test\r\n\r\n";
	size_t first = sizeof("GET /a HTTP/1.1\r\nHost: allowed.test\r\n\r\n") - 1;
	char whole[sizeof(two) + sizeof(rest)];

	(void)state;
	passes(syn(SERVER, 5301, 80));
	held(tcp(SERVER, 5301, 80, TCP_ACK, 101, ok_req, 10));
	emits(tcp(SERVER, 5301, 80, TCP_ACK, 111, ok_req + 10, sizeof(ok_req) - 11), 101, ok_req,
	      sizeof(ok_req) - 1);
	/* the first request of a segment goes on, the second waits for its end */
	passes(syn(SERVER, 5302, 80));
	emits(tcp(SERVER, 5302, 80, TCP_ACK, 101, two, sizeof(two) - 1), 101, two, first);
	snprintf(whole, sizeof(whole), "%s%s", two, rest);
	emits(tcp(SERVER, 5302, 80, TCP_ACK, (uint32_t)(101 + sizeof(two) - 1), rest,
		  sizeof(rest) - 1),
	      (uint32_t)(101 + first), whole + first, strlen(whole) - first);
	assert_int_equal(names.held, 1);
	assert_int_equal(names.released, 3);
}

/* Neither TLS nor HTTP: only where the rule named its ports, and not on a web port. */
static void other_protocols_only_where_a_rule_opts_in(void **state)
{
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";

	(void)state;
	passes(syn(SERVER, 5401, 22));
	passes(tcp(SERVER, 5401, 22, TCP_ACK, 101, ssh, sizeof(ssh) - 1));
	passes(tcp(SERVER, 5401, 22, TCP_ACK, (uint32_t)(101 + sizeof(ssh) - 1), "\0\0\0\x10", 4));
	passes(syn(SERVER, 5402, 443));
	refused(tcp(SERVER, 5402, 443, TCP_ACK, 101, ssh, sizeof(ssh) - 1), GUARD_RESET,
		DROP_NAME_PROTOCOL);
	/* and HTTP on the opted-in port is still judged */
	passes(syn(SERVER, 5403, 22));
	refused(tcp(SERVER, 5403, 22, TCP_ACK, 101, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
}

/* A new connection on the ports of a checked one: only once the old one is surely over. */
static void a_new_connection_waits_for_the_old_one_to_end(void **state)
{
	uint32_t end = (uint32_t)(101 + sizeof(ok_req) - 1);
	struct ipv4_ends ends = {.src_mac = gw_mac, .dst_mac = vm_mac, .src_ip = SERVER,
				 .dst_ip = LEASE, .src_port = 80, .dst_port = 5501};
	struct tcp_fields rst = {.seq = 7, .flags = TCP_RST};
	enum drop_reason why;

	(void)state;
	passes(syn(SERVER, 5501, 80));
	passes(tcp(SERVER, 5501, 80, TCP_ACK, 101, ok_req, sizeof(ok_req) - 1));
	/* the VM resets it elsewhere than the server's next byte, then opens anew */
	passes(tcp(SERVER, 5501, 80, TCP_RST, 5000, "", 0));
	assert_int_equal(guard.checks, 0); /* given up: its buffers are back */
	refused(tcp(SERVER, 5501, 80, TCP_SYN, 9000, "", 0), GUARD_DROP, DROP_CHECKED_REUSE);
	/* the server resets it (nothing of the old connection reaches the VM any more) ... */
	assert_int_equal(frame_parse(&view, frame, ipv4_tcp_frame(frame, 0, &ends, &rst)), DROP_NONE);
	assert_int_equal(guard_host_frame(&guard, &view, &why), GUARD_DROP);
	/* ... now a new connection is checked from its start */
	passes(tcp(SERVER, 5501, 80, TCP_SYN, 9000, "", 0));
	refused(tcp(SERVER, 5501, 80, TCP_ACK, 9001, evil_req, sizeof(evil_req) - 1), GUARD_RESET,
		DROP_NAME_MISMATCH);
	(void)end;
}

/* Checks begin only up to a limit; each one's buffers are given back however its flow goes. */
static void checks_are_bounded_and_given_back(void **state)
{
	uint8_t hello[512];
	size_t n = client_hello(hello, "allowed.test");

	(void)state;
	for (uint16_t p = 0; p < GUARD_CHECKS_MAX; p++) {
		passes(syn(SERVER, (uint16_t)(10000 + p), 443));
		held(tcp(SERVER, (uint16_t)(10000 + p), 443, TCP_ACK, 101, hello, 40));
	}
	assert_int_equal(guard.checks, GUARD_CHECKS_MAX);
	refused(syn(SERVER, 20000, 443), GUARD_RESET, DROP_NAME_UNCHECKED);
	/* abandoned: when their flows time out, their checks go (issue 19, fault 8) */
	guard_set_now(&guard, T0 + (FLOW_TCP_OPENING_S + 1) * 1000ull);
	passes(syn(SERVER, 20001, 443));
	assert_int_equal(guard.checks, 1);
	passes(tcp(SERVER, 20001, 443, TCP_ACK, 101, hello, n));
	/* a rule change that drops the flows lets their checks go too */
	setup_guard(web, CHECK_NAMES_AUTO);
	assert_int_equal(guard.checks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(decoys_the_server_drops_never_reach_the_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bytes_sent_again_must_be_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(every_request_and_every_name_is_judged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_head_in_pieces_is_held_then_released, setup,
						teardown),
		cmocka_unit_test_setup_teardown(other_protocols_only_where_a_rule_opts_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_new_connection_waits_for_the_old_one_to_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(checks_are_bounded_and_given_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
