/* SPDX-License-Identifier: MIT */
/* guard_fixture.h — the guard's unit tests' VM: a guard with rules, DNS answers, TCP/UDP frames and verdicts */
#ifndef SVM_TEST_GUARD_FIXTURE_H
#define SVM_TEST_GUARD_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard/guard.h"
#include "proto/byteorder.h"
#include "proto/ipv4_frame.h"
#include "proto/tcp_segment.h"
#include "test_config.h"

#define LEASE 0xc0a84002u  /* 192.168.64.2 */
#define SERVER 0xcb007102u /* 203.0.113.2: refused unless a name opens it */
#define OTHER 0x08080808u  /* 8.8.8.8 */
#define T0 1000000u        /* the guard's clock at the start, ms */

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0xa8, 0x40, 0x01};

static struct config cfg;
static struct policy_rule rule_store[16];
static struct guard guard;
static struct name_counters names;

static inline void setup_guard(const char *const *rules, enum check_names check)
{
	char err[200];
	struct inet_addr lease = inet_from_v4(LEASE);

	guard_fini(&guard);
	test_config(&cfg, vm_mac);
	cfg.policy.rules = rule_store;
	cfg.policy.check_names = check;
	for (int i = 0; rules[i]; i++) {
		if (!policy_rule_parse(rules[i] + 1, rules[i][0] == '+', &rule_store[i], err,
				       sizeof(err)))
			fail_msg("%s: %s", rules[i], err);
		cfg.policy.count = (size_t)i + 1;
	}
	memset(&names, 0, sizeof(names));
	assert_int_equal(guard_init(&guard, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, &names), 0);
	guard_set_vm_address(&guard, &lease);
	guard_set_now(&guard, T0);
}

/* ---- DNS answers ----------------------------------------------------------------------- */

struct msg {
	uint8_t b[1024];
	size_t len;
	unsigned an;
};

static inline void put_name(struct msg *m, const char *name)
{
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		m->b[m->len++] = (uint8_t)n;
		memcpy(m->b + m->len, p, n);
		m->len += n;
		p += n + (dot ? 1 : 0);
	}
	m->b[m->len++] = 0;
}

static inline void answer_start(struct msg *m, const char *qname)
{
	memset(m, 0, sizeof(*m));
	put_be16(m->b, 0x1234);
	put_be16(m->b + 2, 0x8180); /* a response, no error */
	put_be16(m->b + 4, 1);
	m->len = 12;
	put_name(m, qname);
	put_be16(m->b + m->len, 1);
	put_be16(m->b + m->len + 2, 1);
	m->len += 4;
}

static inline void add_rr(struct msg *m, const char *owner, uint16_t type, uint32_t ttl,
		   const void *rdata, uint16_t rdlen)
{
	put_name(m, owner);
	put_be16(m->b + m->len, type);
	put_be16(m->b + m->len + 2, 1);
	put_be32(m->b + m->len + 4, ttl);
	put_be16(m->b + m->len + 8, rdlen);
	memcpy(m->b + m->len + 10, rdata, rdlen);
	m->len += 10u + rdlen;
	put_be16(m->b + 6, (uint16_t)++m->an);
}

static inline void add_a(struct msg *m, const char *owner, uint32_t addr, uint32_t ttl)
{
	uint8_t a[4];

	put_be32(a, addr);
	add_rr(m, owner, 1, ttl, a, 4);
}

static inline void add_cname(struct msg *m, const char *owner, const char *target)
{
	struct msg t = {.len = 0};

	put_name(&t, target);
	add_rr(m, owner, 5, 300, t.b, (uint16_t)t.len);
}

/* The VM is told @name is at @addr (one A record, @ttl seconds). */
static inline void learn(const char *name, uint32_t addr, uint32_t ttl)
{
	struct msg m;

	answer_start(&m, name);
	add_a(&m, name, addr, ttl);
	guard_learn_answer(&guard, m.b, m.len);
}

/* ---- frames ------------------------------------------------------------------------------ */

static struct frame_view view;
static uint8_t frame[2048];

static inline const struct frame_view *tcp(uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags,
				    uint32_t seq, const void *payload, size_t len)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = LEASE,
				 .dst_ip = dst, .src_port = sport, .dst_port = dport};
	struct tcp_fields f = {.seq = seq, .ack = 1, .flags = flags, .window = 65535};

	memcpy(frame + IPV4_TCP_PAYLOAD_OFFSET, payload, len);
	assert_int_equal(frame_parse(&view, frame, ipv4_tcp_frame(frame, len, &ends, &f)),
			 DROP_NONE);
	return &view;
}

/* The same from the server: its answer to the VM. */
static inline const struct frame_view *tcp_back(uint32_t src, uint16_t sport, uint16_t dport,
					 uint8_t flags)
{
	struct ipv4_ends ends = {.src_mac = gw_mac, .dst_mac = vm_mac, .src_ip = src,
				 .dst_ip = LEASE, .src_port = sport, .dst_port = dport};
	struct tcp_fields f = {.seq = 7, .ack = 1, .flags = flags, .window = 65535};

	assert_int_equal(frame_parse(&view, frame, ipv4_tcp_frame(frame, 0, &ends, &f)), DROP_NONE);
	return &view;
}

static inline const struct frame_view *udp(uint32_t dst, uint16_t dport)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac, .src_ip = LEASE,
				 .dst_ip = dst, .src_port = 40000, .dst_port = dport};

	memcpy(frame + IPV4_UDP_PAYLOAD_OFFSET, "hi", 2);
	assert_int_equal(frame_parse(&view, frame, ipv4_udp_frame(frame, 2, &ends, 0)), DROP_NONE);
	return &view;
}

static inline enum guard_action vm(const struct frame_view *v, enum drop_reason *why)
{
	enum local_service service;

	*why = DROP_NONE;
	guard_batch_start(&guard); /* one frame a batch, as far as emitted segments go */
	return guard_vm_frame(&guard, v, why, &service);
}

static inline void passes(const struct frame_view *v)
{
	enum drop_reason why;
	enum guard_action a = vm(v, &why);

	if (a != GUARD_PASS)
		fail_msg("action %d, reason %s", a, drop_reason_name(why));
}

static inline void refused(const struct frame_view *v, enum guard_action want, enum drop_reason reason)
{
	enum drop_reason why;

	assert_int_equal(vm(v, &why), want);
	assert_string_equal(drop_reason_name(why), drop_reason_name(reason));
}

static inline const struct frame_view *syn(uint32_t dst, uint16_t sport, uint16_t dport)
{
	return tcp(dst, sport, dport, TCP_SYN, 100, "", 0);
}

/* Kept back: its bytes wait to be judged. */
static inline void held(const struct frame_view *v)
{
	enum drop_reason why;
	enum guard_action a = vm(v, &why);

	if (a != GUARD_HOLD)
		fail_msg("action %d, reason %s", a, drop_reason_name(why));
}

/*
 * In @v's place the guard sends segments that carry exactly @len bytes @bytes from @seq, in
 * order, each a well-formed segment of the same connection with valid checksums.
 */
static inline void emits(const struct frame_view *v, uint32_t seq, const void *bytes, size_t len)
{
	uint16_t sport = v->src_port, dport = v->dst_port;
	const struct frame_ref *f;
	enum drop_reason why;
	size_t n, off = 0;

	assert_int_equal(vm(v, &why), GUARD_EMIT);
	n = guard_emitted(&guard, &f);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		struct frame_view e;

		assert_int_equal(frame_parse(&e, f[i].data, f[i].len), DROP_NONE);
		assert_non_null(e.l4);
		assert_true(tcp_segment_checksums_ok(&e));
		assert_int_equal(e.src_port, sport);
		assert_int_equal(e.dst_port, dport);
		assert_int_equal(be32(e.l4 + 4), seq + (uint32_t)off);
		assert_true(off + e.payload_len <= len);
		assert_memory_equal(e.payload, (const uint8_t *)bytes + off, e.payload_len);
		off += e.payload_len;
	}
	assert_int_equal(off, len);
}

/* The server acknowledges everything before @ack on the VM's port @vport. */
static inline void server_acks(uint16_t port, uint16_t vport, uint32_t ack)
{
	struct ipv4_ends ends = {.src_mac = gw_mac, .dst_mac = vm_mac, .src_ip = SERVER,
				 .dst_ip = LEASE, .src_port = port, .dst_port = vport};
	struct tcp_fields f = {.seq = 7, .ack = ack, .flags = TCP_ACK, .window = 65535};
	enum drop_reason why = DROP_NONE;

	assert_int_equal(frame_parse(&view, frame, ipv4_tcp_frame(frame, 0, &ends, &f)), DROP_NONE);
	assert_int_equal(guard_host_frame(&guard, &view, &why), GUARD_PASS);
}


/* A ClientHello's first record header and handshake header for a body of @body bytes. */
static inline size_t client_hello(uint8_t *out, const char *sni)
{
	size_t n = strlen(sni), ext = 2 + 2 + 2 + 1 + 2 + n, body = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	uint8_t *p = out;

	*p++ = 0x16, *p++ = 3, *p++ = 1;
	put_be16(p, (uint16_t)(4 + body)), p += 2;
	*p++ = 1, *p++ = 0, put_be16(p, (uint16_t)body), p += 2;
	*p++ = 3, *p++ = 3;
	memset(p, 0xab, 32), p += 32;
	*p++ = 0;                                  /* session id */
	put_be16(p, 2), p[2] = 0x13, p[3] = 1, p += 4; /* one cipher suite */
	*p++ = 1, *p++ = 0;                        /* null compression */
	put_be16(p, (uint16_t)ext), p += 2;
	put_be16(p, 0), put_be16(p + 2, (uint16_t)(ext - 4)), p += 4; /* server_name */
	put_be16(p, (uint16_t)(n + 3)), p += 2;
	*p++ = 0, put_be16(p, (uint16_t)n), p += 2;
	memcpy(p, sni, n);
	return (size_t)(p + n - out);
}

static const char *const sandbox[] __attribute__((unused)) = {"-0.0.0.0/0", "+tcp:api.allowed.test:443",
				      "+tcp:*.allowed.test:80", "-tcp:bad.allowed.test", NULL};

#endif
