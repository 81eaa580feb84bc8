// SPDX-License-Identifier: MIT
/* test_dns_msg.c — unit tests of src/proto/dns_msg.c: questions, records, compressed names */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/byteorder.h"
#include "proto/dns_msg.h"

struct msg {
	uint8_t b[512];
	size_t len;
};

static void put(struct msg *m, const void *bytes, size_t n)
{
	memcpy(m->b + m->len, bytes, n);
	m->len += n;
}

static void put16(struct msg *m, uint16_t v)
{
	put_be16(m->b + m->len, v);
	m->len += 2;
}

static void put32(struct msg *m, uint32_t v)
{
	put_be32(m->b + m->len, v);
	m->len += 4;
}

/* "www.example.com" as labels */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		m->b[m->len++] = (uint8_t)n;
		put(m, name, n);
		name += n + (dot ? 1 : 0);
	}
	m->b[m->len++] = 0;
}

static void header(struct msg *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->len = 0;
	put16(m, 0xbeef);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

static void answer_with_cname_chain(void **state)
{
	struct msg m;
	struct dns_reader r;
	struct dns_question q;
	struct dns_rr rr;
	size_t target_at;

	(void)state;
	header(&m, 0x8180, 1, 2);
	put_name(&m, "WWW.Example.COM"); /* at 12: what pointers below refer to */
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c); /* www.example.com */
	put16(&m, DNS_TYPE_CNAME);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 300);
	put16(&m, 10);
	target_at = m.len;
	put(&m, "\3cdn\300\020", 6); /* cdn + pointer to "example.com" (offset 16) */
	put(&m, "\0\0\0\0", 4);      /* pad the rdata to its stated 10: malformed, see below */
	(void)target_at;
	assert_true(dns_reader_init(&r, m.b, m.len));
	assert_int_equal(r.hdr.id, 0xbeef);
	assert_true(dns_next_question(&r, &q));
	assert_string_equal(q.name, "www.example.com"); /* lower case */
	assert_int_equal(q.type, DNS_TYPE_A);
	/* a CNAME whose name ends before its rdata does is refused */
	assert_false(dns_next_rr(&r, &rr));

	/* the same with an exact rdata, then the A record of the target */
	header(&m, 0x8180, 1, 2);
	put_name(&m, "www.example.com");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c);
	put16(&m, DNS_TYPE_CNAME);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 300);
	put16(&m, 6);
	target_at = m.len;
	put(&m, "\3cdn\300\020", 6);
	put16(&m, (uint16_t)(0xc000 | target_at)); /* cdn.example.com */
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 4);
	put(&m, "\xcb\x00\x71\x02", 4);
	assert_true(dns_reader_init(&r, m.b, m.len));
	assert_true(dns_next_rr(&r, &rr)); /* skips the question */
	assert_string_equal(rr.name, "www.example.com");
	assert_int_equal(rr.type, DNS_TYPE_CNAME);
	assert_int_equal(rr.ttl, 300);
	assert_string_equal(rr.target, "cdn.example.com");
	assert_true(dns_next_rr(&r, &rr));
	assert_string_equal(rr.name, "cdn.example.com");
	assert_int_equal(rr.type, DNS_TYPE_A);
	assert_int_equal(rr.rdlen, 4);
	assert_int_equal(be32(rr.rdata), 0xcb007102);
	assert_false(dns_next_rr(&r, &rr)); /* the header said two */
}

static void pointers_must_point_backwards(void **state)
{
	struct msg m;
	struct dns_reader r;
	struct dns_question q;
	char name[DNS_NAME_TEXT_LEN];
	size_t end;

	(void)state;
	/* a pointer to itself: a loop */
	header(&m, 0x0100, 1, 0);
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	assert_true(dns_reader_init(&r, m.b, m.len));
	assert_false(dns_next_question(&r, &q));
	/* a pointer forward, past the end */
	assert_false(dns_read_name((const uint8_t *)"\xc0\x05", 2, 0, name, &end));
	/* two pointers that point at each other */
	assert_false(dns_read_name((const uint8_t *)"\xc0\x02\xc0\x00", 4, 2, name, &end));
	/* a label running off the message */
	assert_false(dns_read_name((const uint8_t *)"\x05" "ab", 3, 0, name, &end));
	/* the root */
	assert_true(dns_read_name((const uint8_t *)"\0", 1, 0, name, &end));
	assert_string_equal(name, "");
	assert_int_equal(end, 1);
}

static void names_longer_than_255_are_refused(void **state)
{
	uint8_t buf[400];
	char name[DNS_NAME_TEXT_LEN];
	size_t len = 0, end;

	(void)state;
	/* 4 labels of 63: 4 * 63 + 3 dots = 255, the longest name; one more label is too long */
	for (int i = 0; i < 4; i++) {
		buf[len++] = 63;
		memset(buf + len, 'a', 63);
		len += 63;
	}
	buf[len] = 0;
	assert_true(dns_read_name(buf, len + 1, 0, name, &end));
	assert_int_equal(strlen(name), 255);
	buf[len++] = 1;
	buf[len++] = 'b';
	buf[len] = 0;
	assert_false(dns_read_name(buf, len + 1, 0, name, &end));
	/* a label over 63 */
	buf[0] = 64;
	assert_false(dns_read_name(buf, len + 1, 0, name, &end));
}

static void questions_compare_without_case(void **state)
{
	struct dns_question a = {.name = "example.com", .type = 1, .qclass = 1};
	struct dns_question b = a;

	(void)state;
	assert_true(dns_question_equal(&a, &b));
	b.type = DNS_TYPE_AAAA;
	assert_false(dns_question_equal(&a, &b));
	b = a;
	strcpy(b.name, "example.org");
	assert_false(dns_question_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_with_cname_chain),
		cmocka_unit_test(pointers_must_point_backwards),
		cmocka_unit_test(names_longer_than_255_are_refused),
		cmocka_unit_test(questions_compare_without_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
