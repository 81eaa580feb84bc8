// SPDX-License-Identifier: MIT
/* test_dhcp.c — unit tests of src/responder/dhcp4.c and src/proto/dhcp_msg.c: parsing, serving */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/options.h"
#include "core/loop.h"
#include "leases/leases.h"
#include "proto/dhcp_msg.h"
#include "proto/frame.h"
#include "responder/dhcp4.h"
#include <sqlite3.h>
#include "proto/checksum.h"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0x65, 0x43, 0x21};

#define GATEWAY 0xc0a84001u /* 192.168.64.1 */
#define FIRST 0xc0a84002u
#define FRAME_CAP 2048

/* ---- building client messages ---------------------------------------------------------- */

/**
 * struct msg - a client message under construction: fixed header, then raw option bytes
 */
struct msg {
	uint8_t b[1024];
	size_t len;
};

static void msg_start(struct msg *m, uint8_t type, const uint8_t mac[6])
{
	memset(m, 0, sizeof(*m));
	m->b[DHCP_OFF_OP] = DHCP_OP_BOOTREQUEST;
	m->b[DHCP_OFF_HTYPE] = 1;
	m->b[DHCP_OFF_HLEN] = 6;
	put_be32(m->b + DHCP_OFF_XID, 0x11223344);
	memcpy(m->b + DHCP_OFF_CHADDR, mac, 6);
	put_be32(m->b + DHCP_OFF_COOKIE, DHCP_MAGIC_COOKIE);
	m->len = DHCP_OFF_OPTIONS;
	if (type) {
		m->b[m->len++] = DHCP_OPT_MESSAGE_TYPE;
		m->b[m->len++] = 1;
		m->b[m->len++] = type;
	}
}

static void msg_raw(struct msg *m, const void *bytes, size_t n)
{
	memcpy(m->b + m->len, bytes, n);
	m->len += n;
}

static void msg_opt(struct msg *m, uint8_t code, const void *val, uint8_t len)
{
	m->b[m->len++] = code;
	m->b[m->len++] = len;
	msg_raw(m, val, len);
}

static void msg_opt_addr(struct msg *m, uint8_t code, uint32_t addr)
{
	uint8_t v[4];

	put_be32(v, addr);
	msg_opt(m, code, v, 4);
}

static void msg_end(struct msg *m)
{
	m->b[m->len++] = DHCP_OPT_END;
}

/* The message in an Ethernet/IPv4/UDP 68→67 frame from the VM, parsed into @v. */
static void msg_frame(const struct msg *m, uint8_t *frame, struct frame_view *v, uint32_t src_ip,
		      uint32_t dst_ip)
{
	uint8_t *ip = frame + 14, *udp = ip + 20;
	size_t udp_len = 8 + m->len;

	memset(frame, 0xff, 6);
	memcpy(frame + 6, vm_mac, 6);
	put_be16(frame + 12, ETHERTYPE_IPV4);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + udp_len));
	ip[8] = 64;
	ip[9] = IPPROTO_UDP_;
	put_be32(ip + 12, src_ip);
	put_be32(ip + 16, dst_ip);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, 20)));
	put_be16(udp, DHCP_CLIENT_PORT);
	put_be16(udp + 2, DHCP_SERVER_PORT);
	put_be16(udp + 4, (uint16_t)udp_len);
	put_be16(udp + 6, 0);
	memcpy(udp + 8, m->b, m->len);
	assert_int_equal(frame_parse(v, frame, 14 + 20 + udp_len), DROP_NONE);
}

/* ---- reading replies ---------------------------------------------------------------------- */

/* The gateway of the server under test: the source of its replies. */
static uint32_t expected_gateway = GATEWAY;

struct reply {
	struct frame_view v;
	const uint8_t *dhcp;
	size_t dhcp_len;
};

static void reply_parse(struct reply *r, const uint8_t *frame, size_t len)
{
	assert_true(len > 0);
	assert_int_equal(frame_parse(&r->v, frame, len), DROP_NONE);
	assert_non_null(r->v.payload);
	assert_int_equal(r->v.src_port, DHCP_SERVER_PORT);
	assert_int_equal(r->v.dst_port, DHCP_CLIENT_PORT);
	assert_int_equal(inet_v4(&r->v.ip_src), expected_gateway);
	/* IPv4 header checksum verifies to 0 */
	assert_int_equal(checksum_final(checksum_add(0, r->v.ip, 20)), 0);
	r->dhcp = r->v.payload;
	r->dhcp_len = r->v.payload_len;
	assert_true(r->dhcp_len >= DHCP_MIN_REPLY_LEN);
	assert_int_equal(r->dhcp[DHCP_OFF_OP], DHCP_OP_BOOTREPLY);
	assert_int_equal(be32(r->dhcp + DHCP_OFF_COOKIE), DHCP_MAGIC_COOKIE);
}

/* The value of option @code in a reply (options field only), or NULL. */
static const uint8_t *reply_opt(const struct reply *r, uint8_t code, uint8_t *len)
{
	size_t i = DHCP_OFF_OPTIONS;

	while (i < r->dhcp_len && r->dhcp[i] != DHCP_OPT_END) {
		if (r->dhcp[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		assert_true(i + 1 < r->dhcp_len);
		if (r->dhcp[i] == code) {
			*len = r->dhcp[i + 1];
			return r->dhcp + i + 2;
		}
		i += 2 + r->dhcp[i + 1];
	}
	assert_true(i < r->dhcp_len); /* an END option */
	return NULL;
}

static uint32_t reply_opt_u32(const struct reply *r, uint8_t code)
{
	uint8_t len = 0;
	const uint8_t *v = reply_opt(r, code, &len);

	assert_non_null(v);
	assert_int_equal(len, 4);
	return be32(v);
}

static uint8_t reply_type(const struct reply *r)
{
	uint8_t len = 0;
	const uint8_t *v = reply_opt(r, DHCP_OPT_MESSAGE_TYPE, &len);

	assert_non_null(v);
	assert_int_equal(len, 1);
	return v[0];
}

static uint32_t reply_yiaddr(const struct reply *r)
{
	return be32(r->dhcp + DHCP_OFF_YIADDR);
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool parse(const struct msg *m, struct dhcp_msg *out, const char **why)
{
	*why = NULL;
	return dhcp_msg_parse(out, m->b, m->len, why);
}

static void parse_discover_with_options(void **state)
{
	static const uint8_t cid[] = {1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	static const uint8_t pad[3] = {0};
	struct dhcp_msg d;
	const char *why;
	struct msg m;
	uint8_t mms[2];

	(void)state;
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_raw(&m, pad, sizeof(pad));
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, FIRST + 4);
	msg_opt(&m, DHCP_OPT_CLIENT_ID, cid, sizeof(cid));
	put_be16(mms, 1500);
	msg_opt(&m, DHCP_OPT_MAX_MESSAGE_SIZE, mms, 2);
	msg_opt(&m, DHCP_OPT_PARAMETER_LIST, "\x01\x03\x06\x0f\x1a", 5);
	msg_opt(&m, 250, "", 0); /* an unknown, empty option */
	msg_end(&m);
	assert_true(parse(&m, &d, &why));
	assert_int_equal(d.type, DHCPDISCOVER);
	assert_int_equal(d.xid, 0x11223344);
	assert_memory_equal(d.chaddr, vm_mac, 6);
	assert_true(d.has_requested_addr);
	assert_int_equal(d.requested_addr, FIRST + 4);
	assert_false(d.has_server_id);
	assert_int_equal(d.client_id_len, sizeof(cid));
	assert_memory_equal(d.client_id, cid, sizeof(cid));
	assert_int_equal(d.max_message_size, 1500);
	/* anything after END is ignored */
	msg_raw(&m, "\x35\x07garbage", 9);
	assert_true(parse(&m, &d, &why));
}

/* One malformed message per case, each with the reason parsing must give. */
static void parse_rejects_malformed(void **state)
{
	struct dhcp_msg d;
	const char *why;
	struct msg m;

	(void)state;
	/* truncated: an option code with no length byte, at the very end */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_raw(&m, "\x32", 1);
	assert_false(parse(&m, &d, &why));
	assert_string_equal(why, "option truncated before its length");

	/* overlong: the length runs past the message */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_raw(&m, "\x0c\x40host", 6);
	assert_false(parse(&m, &d, &why));
	assert_string_equal(why, "option longer than its field");

	/* overlong by one, with END where the value's last byte should be */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_raw(&m, "\x32\x04\xc0\xa8\x40\xff", 6);
	assert_false(parse(&m, &d, &why));

	/* missing END */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, FIRST);
	assert_false(parse(&m, &d, &why));
	assert_string_equal(why, "options without an END option");

	/* only padding, no END */
	msg_start(&m, 0, vm_mac);
	msg_raw(&m, "\0\0\0\0", 4);
	assert_false(parse(&m, &d, &why));

	/* a fixed-size option of the wrong size */
	msg_start(&m, 0, vm_mac);
	msg_opt(&m, DHCP_OPT_MESSAGE_TYPE, "\x01\x01", 2);
	msg_end(&m);
	assert_false(parse(&m, &d, &why));
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt(&m, DHCP_OPT_REQUESTED_ADDRESS, "\xc0\xa8\x40", 3);
	msg_end(&m);
	assert_false(parse(&m, &d, &why));
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt(&m, DHCP_OPT_CLIENT_ID, "\x01", 1);
	msg_end(&m);
	assert_false(parse(&m, &d, &why));

	/* a repeated option */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt(&m, DHCP_OPT_MESSAGE_TYPE, "\x03", 1);
	msg_end(&m);
	assert_false(parse(&m, &d, &why));
	assert_string_equal(why, "option repeated");

	/* shorter than the fixed header */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	m.len = 239;
	assert_false(parse(&m, &d, &why));

	/* no magic cookie */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	m.b[DHCP_OFF_COOKIE] = 0;
	assert_false(parse(&m, &d, &why));
	assert_string_equal(why, "no magic cookie");

	/* a reply, not a request */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	m.b[DHCP_OFF_OP] = DHCP_OP_BOOTREPLY;
	assert_false(parse(&m, &d, &why));

	/* not Ethernet */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	m.b[DHCP_OFF_HLEN] = 16;
	assert_false(parse(&m, &d, &why));
}

static void parse_option_overload(void **state)
{
	struct dhcp_msg d;
	const char *why;
	struct msg m;
	uint8_t *file, *sname;

	(void)state;
	/* overload 1: 'file' holds the requested address; 3: 'sname' the server id too */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt(&m, DHCP_OPT_OVERLOAD, "\x03", 1);
	msg_end(&m);
	file = m.b + DHCP_OFF_FILE;
	file[0] = DHCP_OPT_REQUESTED_ADDRESS;
	file[1] = 4;
	put_be32(file + 2, FIRST + 7);
	file[6] = DHCP_OPT_END;
	sname = m.b + DHCP_OFF_SNAME;
	sname[0] = DHCP_OPT_SERVER_ID;
	sname[1] = 4;
	put_be32(sname + 2, GATEWAY);
	sname[6] = DHCP_OPT_OVERLOAD; /* ignored outside the options field */
	sname[7] = 1;
	sname[8] = 9;
	sname[9] = DHCP_OPT_END;
	assert_true(parse(&m, &d, &why));
	assert_int_equal(d.requested_addr, FIRST + 7);
	assert_true(d.has_server_id);
	assert_int_equal(d.server_id, GATEWAY);

	/* an overloaded 'sname' with no END */
	memset(sname, 0, DHCP_SNAME_LEN);
	sname[0] = DHCP_OPT_SERVER_ID;
	sname[1] = 4;
	assert_false(parse(&m, &d, &why));
	assert_string_equal(why, "options without an END option");

	/* an overloaded 'file' whose option runs past the field */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	msg_end(&m);
	file = m.b + DHCP_OFF_FILE;
	file[DHCP_FILE_LEN - 2] = 12;
	file[DHCP_FILE_LEN - 1] = 10;
	assert_false(parse(&m, &d, &why));

	/* an option repeated across fields */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	msg_end(&m);
	file = m.b + DHCP_OFF_FILE;
	file[0] = DHCP_OPT_MESSAGE_TYPE;
	file[1] = 1;
	file[2] = DHCPDISCOVER;
	file[3] = DHCP_OPT_END;
	assert_false(parse(&m, &d, &why));

	/* a value other than 1, 2, 3 */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt(&m, DHCP_OPT_OVERLOAD, "\x04", 1);
	msg_end(&m);
	assert_false(parse(&m, &d, &why));
}

/* Random and mutated messages: the parser may refuse them, never read out of bounds. */
static void parse_survives_random_input(void **state)
{
	uint8_t *buf;
	struct dhcp_msg d;
	const char *why;
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % 600);
		struct msg m;

		msg_start(&m, (uint8_t)(rand_r(&seed) % 10), vm_mac);
		for (size_t j = DHCP_OFF_OPTIONS + 3; j < sizeof(m.b); j++)
			m.b[j] = (uint8_t)rand_r(&seed);
		if (rand_r(&seed) % 2)
			m.b[DHCP_OFF_OPTIONS + 3] = DHCP_OPT_OVERLOAD,
					       m.b[DHCP_OFF_OPTIONS + 4] = 1,
					       m.b[DHCP_OFF_OPTIONS + 5] =
						       (uint8_t)(rand_r(&seed) % 4);
		/* an exact-size heap copy, so that a sanitizer sees any overread */
		buf = malloc(len ? len : 1);
		memcpy(buf, m.b, len);
		(void)dhcp_msg_parse(&d, buf, len, &why);
		free(buf);
	}
}

/* ---- building ----------------------------------------------------------------------------- */

static void builder_pads_and_keeps_room_for_end(void **state)
{
	uint8_t buf[320];
	struct dhcp_builder b;
	struct dhcp_msg req = {.xid = 7, .flags = DHCP_FLAG_BROADCAST};
	uint8_t big[255];
	size_t len;

	(void)state;
	memcpy(req.chaddr, vm_mac, 6);
	assert_false(dhcp_reply_start(&b, buf, 299, &req, DHCPOFFER, 0, FIRST));
	assert_true(dhcp_reply_start(&b, buf, sizeof(buf), &req, DHCPOFFER, 0, FIRST));
	assert_int_equal(b.len, DHCP_OFF_OPTIONS + 3);
	memset(big, 'x', sizeof(big));
	/* 243 + 2 + 255 + 1 > 320: refused, nothing written */
	assert_false(dhcp_reply_option(&b, DHCP_OPT_DOMAIN_NAME, big, sizeof(big)));
	assert_int_equal(b.len, DHCP_OFF_OPTIONS + 3);
	/* exactly fits with END: 243 + 2 + 74 + 1 = 320 */
	assert_true(dhcp_reply_option(&b, DHCP_OPT_DOMAIN_NAME, big, 74));
	assert_false(dhcp_reply_option(&b, DHCP_OPT_ROUTER, big, 0));
	len = dhcp_reply_finish(&b);
	assert_int_equal(len, 320);
	assert_int_equal(buf[319], DHCP_OPT_END);
	assert_int_equal(be32(buf + DHCP_OFF_XID), 7);
	assert_int_equal(be16(buf + DHCP_OFF_FLAGS), DHCP_FLAG_BROADCAST);
	assert_int_equal(be32(buf + DHCP_OFF_YIADDR), FIRST);

	/* a short reply is padded to 300 bytes (RFC 1542) */
	assert_true(dhcp_reply_start(&b, buf, sizeof(buf), &req, DHCPNAK, 0, 0));
	assert_int_equal(dhcp_reply_finish(&b), DHCP_MIN_REPLY_LEN);
}

static void frame_wrap_checksums(void **state)
{
	uint8_t frame[600];
	struct frame_view v;
	size_t len;

	(void)state;
	memset(frame + DHCP_FRAME_HEADROOM, 0xab, 301); /* odd length */
	len = dhcp_frame_wrap(frame, 301, other_mac, vm_mac, GATEWAY, FIRST);
	assert_int_equal(len, 42 + 301);
	assert_int_equal(frame_parse(&v, frame, len), DROP_NONE);
	assert_memory_equal(v.dst_mac, vm_mac, 6);
	assert_memory_equal(v.src_mac, other_mac, 6);
	assert_int_equal(checksum_final(checksum_add(0, v.ip, 20)), 0);
	assert_int_equal(checksum_final(checksum_add(
				 checksum_pseudo_ipv4(v.ip, IPPROTO_UDP_, (uint16_t)v.l4_len), v.l4,
				 v.l4_len)),
			 0);
	assert_int_equal(v.payload_len, 301);
}

/* ---- the server ---------------------------------------------------------------------------- */

/**
 * struct server_fixture - a DHCP responder, as service.c sets one up: the lease database
 * opened and the VM's MAC claimed on the network, then the responder; its env keeps the
 * last frame it sent the VM and the address it said the VM holds
 */
struct server_fixture {
	char dir[64];
	char db_arg[160];
	char db_path[128];
	struct config cfg;
	struct lease_db *db;
	struct process_identity self;
	struct responder *s;
	struct responder_env env;
	struct loop *loop; /* the responder's timers (database retries) */
	uint32_t vm_addr;
	uint8_t frame[FRAME_CAP];
	uint8_t reply[FRAME_CAP];
	size_t reply_len;
};

static const uint8_t server_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

/* The server's clocks: frozen unless a test moves them (the message budget, lease ages). */
static uint64_t fake_mono;
static int64_t fake_wall;

static uint64_t fake_mono_ms(void)
{
	return fake_mono;
}

static int64_t fake_wall_s(void)
{
	return fake_wall;
}

static void advance(unsigned seconds)
{
	fake_mono += seconds * 1000ull;
	fake_wall += seconds;
}

static void env_send_to_vm(void *ctx, const uint8_t *frame, size_t len)
{
	struct server_fixture *f = ctx;

	assert_true(len <= sizeof(f->reply));
	memcpy(f->reply, frame, len);
	f->reply_len = len;
}

static void env_vm_address(void *ctx, const struct inet_addr *addr)
{
	struct server_fixture *f = ctx;

	f->vm_addr = addr ? inet_v4(addr) : 0;
}

/*
 * The network's side of the probe: addresses in @probe_in_use answer at once (inside ask(),
 * as a remembered ARP sender would), any other waits for the test's probe_answer().
 */
static bool probe_on;
static uint32_t probe_in_use[8];
static unsigned probe_in_use_count;
static uint32_t probe_asked[16];
static unsigned probe_asked_count;
static void (*probe_done)(void *ctx, uint32_t ipv4, bool in_use);
static void *probe_ctx;
static uint32_t probe_waiting;

static int fake_probe_ask(void *owner, uint32_t ipv4,
			  void (*done)(void *ctx, uint32_t ipv4, bool in_use), void *ctx)
{
	(void)owner;
	assert_true(probe_asked_count < 16);
	probe_asked[probe_asked_count++] = ipv4;
	for (unsigned i = 0; i < probe_in_use_count; i++)
		if (probe_in_use[i] == ipv4) {
			done(ctx, ipv4, true);
			return 0;
		}
	probe_done = done;
	probe_ctx = ctx;
	probe_waiting = ipv4;
	return 0;
}

/* The network's answer to the question that waits: nobody has it. */
static void probe_answer_free(void)
{
	uint32_t ipv4 = probe_waiting;

	assert_non_null(probe_done);
	probe_waiting = 0;
	probe_done(probe_ctx, ipv4, false);
}

/* The config of "sock-vmnet run" with the test's database and up to three more options. */
static void config_from(struct server_fixture *f, const char *const *extra)
{
	char *argv[9] = {"sock-vmnet", "--mac=52:54:00:12:34:56", f->db_arg, "--domain=vm.test",
			 "--mtu=1400"};
	int argc = 5;
	char err[256];

	for (int i = 0; extra && extra[i] && i < 3; i++)
		argv[argc++] = (char *)extra[i];
	if (options_parse(argc, argv, false, &f->cfg, err, sizeof(err)) != OPTIONS_OK)
		fail_msg("options: %s", err);
	snprintf(f->cfg.backend.bridge, sizeof(f->cfg.backend.bridge), "svmtest%d",
		 (int)getpid() % 10000);
	expected_gateway = inet_v4(&f->cfg.net4.gateway);
}

/*
 * What service.c does before the responder answers: the database opened, the MAC
 * claimed. Return: 0; 1 when a running instance serves the MAC (@holder: its pid); -1 when
 * the database cannot be used (@err says why).
 */
static int server_start(struct server_fixture *f, int64_t *holder, char *err, size_t err_size)
{
	int64_t now = time(NULL), ignored;
	struct dhcp4_setup setup = {
		.vm = &f->cfg.vm,
		.net4 = &f->cfg.net4,
		.dhcp = &f->cfg.dhcp,
		.self = &f->self,
		.network = f->cfg.backend.bridge,
		.server_mac = server_mac,
		.clock = {.mono_ms = fake_mono_ms, .wall_s = fake_wall_s},
		.probe = {.ask = probe_on ? fake_probe_ask : NULL, .owner = f},
	};
	int r;

	assert_int_equal(process_identity_self(&f->self), 0);
	f->db = lease_db_open(f->db_path, false, err, err_size);
	if (!f->db)
		return -1;
	r = lease_claim_mac(f->db, f->cfg.backend.bridge, f->cfg.vm.mac, &f->self, now + 600, now,
			    holder ? holder : &ignored, err, err_size);
	if (r != 0) {
		lease_db_close(f->db);
		f->db = NULL;
		return r;
	}
	lease_db_wait(f->db, 0); /* as service.c: the responder never waits */
	setup.db = f->db;
	f->s = dhcp4_new(&setup, err, err_size);
	assert_non_null(f->s);
	f->env = (struct responder_env){.send_to_vm = env_send_to_vm,
					.vm_address = env_vm_address, .ctx = f, .loop = f->loop};
	f->s->env = &f->env;
	f->vm_addr = 0;
	return 0;
}

/* What service.c does when the instance ends: everything it held is let go. */
static void server_stop(struct server_fixture *f)
{
	if (f->s)
		f->s->close(f->s);
	if (f->db) {
		assert_int_equal(lease_unclaim(f->db, f->cfg.backend.bridge, f->cfg.vm.mac, &f->self,
					       time(NULL)),
				 0);
		lease_db_close(f->db);
	}
	f->s = NULL;
	f->db = NULL;
}

static int server_setup_with(void **state, const char *const *extra)
{
	struct server_fixture *f = calloc(1, sizeof(*f));
	char err[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/svm-test-dhcp-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db_path, sizeof(f->db_path), "%s/leases.db", f->dir);
	snprintf(f->db_arg, sizeof(f->db_arg), "--lease-db=%s", f->db_path);
	config_from(f, extra);
	fake_mono = 1000000;
	fake_wall = time(NULL);
	f->loop = loop_new();
	if (server_start(f, NULL, err, sizeof(err)) != 0)
		fail_msg("server_start: %s", err);
	*state = f;
	return 0;
}

static int server_setup(void **state)
{
	probe_on = false;
	return server_setup_with(state, NULL);
}

/* A server that asks the network before each new offer (the vmnet back-end's ARP probe). */
static int probing_server_setup(void **state)
{
	probe_on = true;
	probe_in_use_count = probe_asked_count = 0;
	probe_done = NULL;
	probe_waiting = 0;
	return server_setup_with(state, NULL);
}

/* A pool of one: 10.9.0.0/30 has .0 for the network, .1 the gateway, .3 the broadcast */
static int small_pool_setup(void **state)
{
	static const char *const extra[] = {"--start-addr=10.9.0.1", "--end-addr=10.9.0.3",
					    "--subnet-mask=255.255.255.252", NULL};

	probe_on = false;
	return server_setup_with(state, extra);
}

static int server_teardown(void **state)
{
	struct server_fixture *f = *state;
	char cmd[128];

	server_stop(f);
	loop_free(f->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Send @m from the VM; return the reply's length (0: none) and the drop reason. */
static size_t serve(struct server_fixture *f, const struct msg *m, uint32_t src_ip, uint32_t dst_ip,
		    enum drop_reason *drop)
{
	struct frame_view v;

	msg_frame(m, f->frame, &v, src_ip, dst_ip);
	f->reply_len = 0;
	*drop = f->s->handle(f->s, &v);
	return f->reply_len;
}

static uint32_t discover(struct server_fixture *f, struct reply *r, uint16_t flags)
{
	enum drop_reason drop;
	struct msg m;
	size_t len;

	msg_start(&m, DHCPDISCOVER, vm_mac);
	put_be16(m.b + DHCP_OFF_FLAGS, flags);
	msg_end(&m);
	len = serve(f, &m, 0, 0xffffffff, &drop);
	assert_int_equal(drop, DROP_NONE);
	reply_parse(r, f->reply, len);
	assert_int_equal(reply_type(r), DHCPOFFER);
	return reply_yiaddr(r);
}

static void request_selecting(struct msg *m, uint32_t addr)
{
	msg_start(m, DHCPREQUEST, vm_mac);
	msg_opt_addr(m, DHCP_OPT_REQUESTED_ADDRESS, addr);
	msg_opt_addr(m, DHCP_OPT_SERVER_ID, GATEWAY);
	msg_end(m);
}

static uint32_t lease(struct server_fixture *f)
{
	struct reply r;
	enum drop_reason drop;
	uint32_t addr = discover(f, &r, 0);
	struct msg m;

	request_selecting(&m, addr);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);
	assert_int_equal(f->vm_addr, addr);
	return addr;
}

static void offer_carries_the_configuration(void **state)
{
	struct server_fixture *f = *state;
	uint8_t len = 0;
	const uint8_t *v;
	struct reply r;
	uint32_t addr;

	addr = discover(f, &r, 0);
	assert_int_equal(addr, FIRST);
	assert_int_equal(f->vm_addr, 0); /* offered is not leased */
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_SERVER_ID), GATEWAY);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_SUBNET_MASK), 0xffffff00);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_ROUTER), GATEWAY);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_DNS_SERVER), GATEWAY);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_LEASE_TIME), 600);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_RENEWAL_TIME), 300);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_REBINDING_TIME), 525);
	v = reply_opt(&r, DHCP_OPT_INTERFACE_MTU, &len);
	assert_non_null(v);
	assert_int_equal(len, 2);
	assert_int_equal(be16(v), 1400);
	v = reply_opt(&r, DHCP_OPT_DOMAIN_NAME, &len);
	assert_non_null(v);
	assert_int_equal(len, 7); /* RFC 2132 3.17: no trailing NUL */
	assert_memory_equal(v, "vm.test", 7);
	assert_null(reply_opt(&r, DHCP_OPT_CLIENT_ID, &len)); /* none sent, none echoed */
	/* no broadcast flag: unicast to yiaddr at chaddr */
	assert_memory_equal(r.v.dst_mac, vm_mac, 6);
	assert_int_equal(inet_v4(&r.v.ip_dst), FIRST);
	assert_memory_equal(r.dhcp + DHCP_OFF_CHADDR, vm_mac, 6);
	assert_int_equal(be32(r.dhcp + DHCP_OFF_XID), 0x11223344);

	/* broadcast flag: to everyone */
	addr = discover(f, &r, DHCP_FLAG_BROADCAST);
	assert_int_equal(addr, FIRST); /* the same offer again */
	assert_true(mac_is_broadcast(r.v.dst_mac));
	assert_int_equal(inet_v4(&r.v.ip_dst), 0xffffffff);
	assert_int_equal(be16(r.dhcp + DHCP_OFF_FLAGS), DHCP_FLAG_BROADCAST);
}

static void client_identifier_is_echoed(void **state)
{
	struct server_fixture *f = *state;
	static const uint8_t cid[] = {0xff, 0, 0, 0, 1, 0, 2, 0, 0, 0xab, 0x11, 0x22, 0x33};
	enum drop_reason drop;
	uint8_t len = 0;
	const uint8_t *v;
	struct reply r;
	struct msg m;

	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt(&m, DHCP_OPT_CLIENT_ID, cid, sizeof(cid));
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	v = reply_opt(&r, DHCP_OPT_CLIENT_ID, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(cid));
	assert_memory_equal(v, cid, sizeof(cid));
}

static void request_in_every_state(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;
	uint32_t addr = lease(f); /* selecting */

	/* renewing: unicast from ciaddr, answered by unicast to it */
	msg_start(&m, DHCPREQUEST, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, addr);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, addr, GATEWAY, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);
	assert_int_equal(reply_yiaddr(&r), addr);
	assert_int_equal(be32(r.dhcp + DHCP_OFF_CIADDR), addr);
	assert_int_equal(inet_v4(&r.v.ip_dst), addr);
	assert_memory_equal(r.v.dst_mac, vm_mac, 6);

	/* rebinding: the same, broadcast */
	reply_parse(&r, f->reply, serve(f, &m, addr, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);

	/* init-reboot with the address it has */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, addr);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);
	assert_int_equal(f->vm_addr, addr);

	/* init-reboot with an address from another network: NAK, broadcast */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, 0x0a000005);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPNAK);
	assert_int_equal(reply_yiaddr(&r), 0);
	assert_true(mac_is_broadcast(r.v.dst_mac));
	assert_int_equal(inet_v4(&r.v.ip_dst), 0xffffffff);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_SERVER_ID), GATEWAY);
	assert_int_equal(f->vm_addr, addr); /* still its lease */

	/* the gateway itself is never leased */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, GATEWAY);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPNAK);

	/* selecting another server's offer: silence */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, addr);
	msg_opt_addr(&m, DHCP_OPT_SERVER_ID, 0x0a000001);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);

	/* a request for nothing */
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);
}

/* An address held by another running instance (in another PID namespace, lease valid). */
static void hold_for_other(struct server_fixture *f, uint32_t addr, int n)
{
	char err[256];
	struct lease_db *db = lease_db_open(f->db_path, false, err, sizeof(err));
	struct process_identity o;
	uint8_t mac[6] = {0x52, 0x54, 0x00, 0x99, 0x00, (uint8_t)n};
	struct inet_addr got;
	struct lease_request req = {
		.network = f->cfg.backend.bridge,
		.first = inet_from_v4(addr),
		.last = inet_from_v4(addr),
		.mac = mac,
		.requested = inet_from_v4(addr),
		.requested_only = true,
		.lease_end = time(NULL) + 3600,
		.now = time(NULL),
		.self = &o,
	};

	assert_non_null(db);
	process_identity_self(&o);
	o.pid = 200000 + n;
	o.pid_ns++;
	assert_int_equal(lease_allocate(db, &req, &got, err, sizeof(err)), LEASE_OK);
	lease_db_close(db);
}

static void request_for_a_held_address_is_refused(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;

	hold_for_other(f, FIRST + 3, 1);
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, FIRST + 3);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPNAK);
	assert_int_equal(f->vm_addr, 0);
	/* and DISCOVER asking for it gets another one */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, FIRST + 3);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPOFFER);
	assert_int_not_equal(reply_yiaddr(&r), FIRST + 3);
}

static void discover_honours_a_free_requested_address(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;

	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, FIRST + 20);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_yiaddr(&r), FIRST + 20);
}

static void foreign_and_malformed_are_dropped(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct msg m;

	msg_start(&m, DHCPDISCOVER, other_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_FOREIGN_MAC);

	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_raw(&m, "\x0c\x20short", 7);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_MALFORMED);

	/* plain BOOTP (no message type) and server message types are not answered */
	msg_start(&m, 0, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);
	msg_start(&m, DHCPOFFER, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);

	/* relayed (giaddr set) */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	put_be32(m.b + DHCP_OFF_GIADDR, 0x0a000001);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);
	assert_int_equal(f->vm_addr, 0);
}

static void release_and_decline(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;
	uint32_t addr = lease(f), next;

	/* a RELEASE for someone else's address changes nothing */
	msg_start(&m, DHCPRELEASE, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, addr + 1);
	msg_opt_addr(&m, DHCP_OPT_SERVER_ID, GATEWAY);
	msg_end(&m);
	assert_int_equal(serve(f, &m, addr, GATEWAY, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);
	assert_int_equal(f->vm_addr, addr);

	msg_start(&m, DHCPRELEASE, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, addr);
	msg_opt_addr(&m, DHCP_OPT_SERVER_ID, GATEWAY);
	msg_end(&m);
	assert_int_equal(serve(f, &m, addr, GATEWAY, &drop), 0);
	assert_int_equal(drop, DROP_NONE);
	assert_int_equal(f->vm_addr, 0);

	/* released, but remembered: the VM gets it again */
	assert_int_equal(lease(f), addr);

	/* declined: quarantined, the VM gets another one */
	msg_start(&m, DHCPDECLINE, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, addr);
	msg_opt_addr(&m, DHCP_OPT_SERVER_ID, GATEWAY);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_NONE);
	assert_int_equal(f->vm_addr, 0);
	next = discover(f, &r, 0);
	assert_int_not_equal(next, addr);
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, addr);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPNAK);
}

static void inform_gets_configuration_without_lease(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	uint8_t len;
	struct reply r;
	struct msg m;

	msg_start(&m, DHCPINFORM, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, FIRST + 50);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, FIRST + 50, GATEWAY, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);
	assert_int_equal(reply_yiaddr(&r), 0);
	assert_int_equal(inet_v4(&r.v.ip_dst), FIRST + 50);
	assert_null(reply_opt(&r, DHCP_OPT_LEASE_TIME, &len));
	assert_null(reply_opt(&r, DHCP_OPT_RENEWAL_TIME, &len));
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_ROUTER), GATEWAY);
	assert_int_equal(f->vm_addr, 0);
}

static void sticky_across_restarts(void **state)
{
	struct server_fixture *f = *state;
	uint32_t addr;
	char err[512];

	hold_for_other(f, FIRST, 1);
	addr = lease(f);
	assert_int_equal(addr, FIRST + 1);
	server_stop(f);
	/* another VM comes and goes in between */
	hold_for_other(f, FIRST + 1 + 1, 2);
	assert_int_equal(server_start(f, NULL, err, sizeof(err)), 0);
	assert_int_equal(lease(f), addr);
}

static void duplicate_mac_is_refused(void **state)
{
	struct server_fixture *f = *state;
	char err[512] = "";
	struct lease_db *db = lease_db_open(f->db_path, false, err, sizeof(err));
	struct process_identity o;
	time_t now = time(NULL);
	int64_t holder = 0;

	/* a running instance (in another PID namespace) already serves the VM's MAC */
	assert_non_null(db);
	process_identity_self(&o);
	o.pid = 300000;
	o.pid_ns++;
	server_stop(f);
	assert_int_equal(lease_claim_mac(db, f->cfg.backend.bridge, vm_mac, &o, now + 600, now,
					 &holder, err, sizeof(err)), 0);
	lease_db_close(db);
	/* refused, naming who serves it (service.c words it: "--mac: ... (pid 300000)") */
	assert_int_equal(server_start(f, &holder, err, sizeof(err)), 1);
	assert_null(f->s);
	assert_int_equal(holder, 300000);
	/* a MAC on another bridge is no conflict */
	snprintf(f->cfg.backend.bridge, sizeof(f->cfg.backend.bridge), "svmother");
	assert_int_equal(server_start(f, NULL, err, sizeof(err)), 0);
	assert_non_null(f->s);
}

static void corrupt_database_is_an_error(void **state)
{
	struct server_fixture *f = *state;
	char err[512] = "";
	FILE *fp;

	server_stop(f);
	unlink(f->db_path);
	{
		char path[200];

		snprintf(path, sizeof(path), "%s-wal", f->db_path);
		unlink(path);
		snprintf(path, sizeof(path), "%s-shm", f->db_path);
		unlink(path);
	}
	fp = fopen(f->db_path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 64; i++)
		fputs("not a database, not at all. ", fp);
	fclose(fp);
	assert_int_equal(server_start(f, NULL, err, sizeof(err)), -1);
	assert_null(f->s);
	assert_non_null(strstr(err, f->db_path)); /* service.c prefixes "--lease-db: " */
	assert_non_null(strstr(err, "is not a database"));
}

static void exhausted_pool_gets_no_offer(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct msg m;

	hold_for_other(f, 0x0a090002, 1);
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_DHCP_IGNORED);
	assert_int_equal(f->vm_addr, 0);
	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, 0x0a090002);
	msg_end(&m);
	{
		struct reply r;

		reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
		assert_int_equal(reply_type(&r), DHCPNAK);
	}
}

static void small_pool_skips_network_and_broadcast(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;

	msg_start(&m, DHCPREQUEST, vm_mac);
	msg_opt_addr(&m, DHCP_OPT_REQUESTED_ADDRESS, 0x0a090003); /* the broadcast address */
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPNAK);
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_yiaddr(&r), 0x0a090002);
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_ROUTER), 0x0a090001);
}

static void reply_fits_576_with_longest_domain(void **state)
{
	struct server_fixture *f = *state;
	static char domain[300];
	static char arg[320];
	static const uint8_t cid[32] = {0xff, 1, 2, 3};
	enum drop_reason drop;
	struct reply r;
	struct msg m;
	uint8_t len;
	size_t n;

	memset(domain, 'd', 253);
	for (int i = 60; i < 253; i += 61)
		domain[i] = '.';
	snprintf(arg, sizeof(arg), "--domain=%s", domain);
	server_stop(f);
	config_from(f, (const char *const[]){arg, NULL});
	assert_int_equal(server_start(f, NULL, (char[256]){0}, 256), 0);

	/* the longest domain alone fits in 576 bytes */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	n = serve(f, &m, 0, 0xffffffff, &drop);
	reply_parse(&r, f->reply, n);
	assert_true(n - ETH_HDR_LEN <= 576);
	assert_non_null(reply_opt(&r, DHCP_OPT_DOMAIN_NAME, &len));
	assert_int_equal(len, 253);

	/* with a client identifier too it does not: the domain is left out, not the rest */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt(&m, DHCP_OPT_CLIENT_ID, cid, sizeof(cid));
	msg_end(&m);
	n = serve(f, &m, 0, 0xffffffff, &drop);
	reply_parse(&r, f->reply, n);
	assert_true(n - ETH_HDR_LEN <= 576);
	assert_non_null(reply_opt(&r, DHCP_OPT_CLIENT_ID, &len));
	assert_null(reply_opt(&r, DHCP_OPT_DOMAIN_NAME, &len));
	assert_int_equal(reply_opt_u32(&r, DHCP_OPT_ROUTER), GATEWAY);

	/* unless the client takes bigger messages (option 57) */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_opt(&m, DHCP_OPT_CLIENT_ID, cid, sizeof(cid));
	msg_opt(&m, DHCP_OPT_MAX_MESSAGE_SIZE, "\x05\xdc", 2);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_non_null(reply_opt(&r, DHCP_OPT_DOMAIN_NAME, &len));
}

/* Run an SQL statement on the test's database through the sqlite3 command; its output. */
static long long db_sql(struct server_fixture *f, const char *sql)
{
	char cmd[400];
	long long v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' '%s' 2>/dev/null", f->db_path, sql);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%lld", &v) != 1)
		v = -1;
	if (p)
		pclose(p);
	return v;
}

static void repeated_requests_cost_no_database_write(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;
	uint32_t addr = lease(f);

	/* mark the row behind the server's back: a write would overwrite the mark */
	if (db_sql(f, "UPDATE leases SET expires = 12345 RETURNING expires") != 12345)
		skip(); /* no sqlite3 command */
	msg_start(&m, DHCPREQUEST, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, addr);
	msg_end(&m);
	for (int i = 0; i < 6; i++) { /* within the VM's message budget */
		reply_parse(&r, f->reply, serve(f, &m, addr, GATEWAY, &drop));
		assert_int_equal(reply_type(&r), DHCPACK);
		assert_int_equal(discover(f, &r, 0), addr);
	}
	assert_int_equal(db_sql(f, "SELECT expires FROM leases"), 12345);
	assert_int_equal(f->vm_addr, addr);
}

static void a_flood_is_cut_to_the_budget(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct msg m;
	uint32_t addr = lease(f);
	int answered = 0, ignored = 0;

	msg_start(&m, DHCPREQUEST, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, addr);
	msg_end(&m);
	for (int i = 0; i < 100; i++) {
		if (serve(f, &m, addr, GATEWAY, &drop))
			answered++;
		else if (drop == DROP_DHCP_IGNORED)
			ignored++;
	}
	/* the burst less the two messages lease() spent; the rest is refused, not queued */
	assert_true(answered <= 16);
	assert_int_equal(answered + ignored, 100);
	assert_int_equal(f->vm_addr, addr);
}

/* The row of @addr in the database, as `sock-vmnet leases` shows it. */
static struct lease_row row_of(struct server_fixture *f, uint32_t addr)
{
	struct inet_addr a = inet_from_v4(addr);
	struct lease_row row;

	assert_int_equal(lease_peek(f->db, f->cfg.backend.bridge, &a, &row), 1);
	return row;
}

/* Another process's open write transaction on the lease database. */
static sqlite3 *lock_database(struct server_fixture *f)
{
	sqlite3 *other = NULL;

	assert_int_equal(sqlite3_open(f->db_path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return other;
}

static void unlock_database(sqlite3 *other)
{
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
}

/* Run the loop (the responder's timers) until @done or a second has passed. */
static void run_until(struct server_fixture *f, bool (*done)(struct server_fixture *f))
{
	for (int i = 0; i < 100 && !done(f); i++)
		loop_run_once(f->loop, 10);
}

/*
 * Issue 11 item 13: a VM holding an acknowledged lease DISCOVERs again (a reboot) after the
 * database's refresh interval: the lease stays bound (it was rewritten as "offered").
 */
static void discover_keeps_a_held_lease_bound(void **state)
{
	struct server_fixture *f = *state;
	struct reply r;
	uint32_t addr = lease(f);

	assert_true(row_of(f, addr).bound);
	advance(11);
	assert_int_equal(discover(f, &r, 0), addr);
	assert_true(row_of(f, addr).bound);
	assert_int_equal(f->vm_addr, addr); /* still its address */
}

static bool bound_in_database(struct server_fixture *f)
{
	return f->vm_addr && row_of(f, f->vm_addr).bound &&
	       row_of(f, f->vm_addr).expires > fake_wall + 500;
}

/*
 * Issue 11 items 1 and 2: while another process holds the database's lock, the VM's
 * renewal is acknowledged from memory at once, and the database is written when it can be.
 */
static void renewal_is_answered_while_the_database_is_locked(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;
	uint32_t addr = lease(f);
	sqlite3 *other;

	db_sql(f, "UPDATE leases SET expires = 12345 RETURNING expires");
	advance(30); /* the database's record is stale: a renewal must be written */
	other = lock_database(f);
	msg_start(&m, DHCPREQUEST, vm_mac);
	put_be32(m.b + DHCP_OFF_CIADDR, addr);
	msg_end(&m);
	reply_parse(&r, f->reply, serve(f, &m, addr, GATEWAY, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);
	assert_int_equal(f->vm_addr, addr);
	assert_false(bound_in_database(f)); /* not yet: locked */
	unlock_database(other);
	run_until(f, bound_in_database);
	assert_true(bound_in_database(f));
}

static bool got_a_reply(struct server_fixture *f)
{
	return f->reply_len > 0;
}

/* A DISCOVER that needs a new address while the database is locked is answered after. */
static void discover_waits_for_a_locked_database(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;
	sqlite3 *other = lock_database(f);

	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_NONE); /* it waits, it is not dropped */
	loop_run_once(f->loop, 20);
	assert_false(got_a_reply(f));
	unlock_database(other);
	run_until(f, got_a_reply);
	reply_parse(&r, f->reply, f->reply_len);
	assert_int_equal(reply_type(&r), DHCPOFFER);
	assert_int_equal(reply_yiaddr(&r), FIRST);
}

static bool asked_twice(struct server_fixture *f)
{
	(void)f;
	return probe_asked_count >= 2 && probe_waiting;
}

/*
 * Issue 12: with another DHCP server on the network (vmnet's bootpd), an address is offered
 * only once the network says nobody has it; one in use is quarantined and the next one is
 * asked about, and the VM's repeated DISCOVER waits for the same question.
 */
static void offer_waits_for_the_probe_and_skips_an_address_in_use(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct reply r;
	struct msg m;

	probe_in_use[probe_in_use_count++] = FIRST; /* bootpd gave it to someone */
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_NONE);
	run_until(f, asked_twice);
	assert_int_equal(probe_asked_count, 2);
	assert_int_equal(probe_asked[0], FIRST);
	assert_int_equal(probe_asked[1], FIRST + 1);
	assert_false(got_a_reply(f));
	assert_int_equal(row_of(f, FIRST).quarantined_until, fake_wall + 300);
	/* the client asks again while the question is out: no second question */
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	assert_int_equal(drop, DROP_NONE);
	assert_int_equal(probe_asked_count, 2);
	probe_answer_free();
	run_until(f, got_a_reply);
	reply_parse(&r, f->reply, f->reply_len);
	assert_int_equal(reply_type(&r), DHCPOFFER);
	assert_int_equal(reply_yiaddr(&r), FIRST + 1);
	assert_int_equal(probe_asked_count, 2);
	/* acknowledged as usual, and a DISCOVER of the held lease asks nobody */
	request_selecting(&m, FIRST + 1);
	reply_parse(&r, f->reply, serve(f, &m, 0, 0xffffffff, &drop));
	assert_int_equal(reply_type(&r), DHCPACK);
	assert_int_equal(discover(f, &r, 0), FIRST + 1);
	assert_int_equal(probe_asked_count, 2);
}

static bool four_asked(struct server_fixture *f)
{
	(void)f;
	return probe_asked_count >= 4;
}

/* A network where every address answers ARP: four quarantined, then no offer at all. */
static void probe_gives_up_after_four_addresses_in_use(void **state)
{
	struct server_fixture *f = *state;
	enum drop_reason drop;
	struct msg m;

	for (uint32_t a = FIRST; a < FIRST + 6; a++)
		probe_in_use[probe_in_use_count++] = a;
	msg_start(&m, DHCPDISCOVER, vm_mac);
	msg_end(&m);
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	run_until(f, four_asked);
	for (int i = 0; i < 5; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(probe_asked_count, 4);
	assert_false(got_a_reply(f));
	for (uint32_t a = FIRST; a < FIRST + 4; a++)
		assert_true(row_of(f, a).quarantined_until > fake_wall);
	/* the quota of quarantines is spent: the next address in use is not taken out */
	assert_int_equal(serve(f, &m, 0, 0xffffffff, &drop), 0);
	for (int i = 0; i < 5; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(probe_asked_count, 5);
	assert_int_equal(probe_asked[4], FIRST + 4);
	assert_false(got_a_reply(f));
	assert_int_equal(row_of(f, FIRST + 4).quarantined_until, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_discover_with_options),
		cmocka_unit_test(parse_rejects_malformed),
		cmocka_unit_test(parse_option_overload),
		cmocka_unit_test(parse_survives_random_input),
		cmocka_unit_test(builder_pads_and_keeps_room_for_end),
		cmocka_unit_test(frame_wrap_checksums),
		cmocka_unit_test_setup_teardown(offer_carries_the_configuration, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(client_identifier_is_echoed, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(request_in_every_state, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(a_flood_is_cut_to_the_budget, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(discover_keeps_a_held_lease_bound, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(renewal_is_answered_while_the_database_is_locked,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(discover_waits_for_a_locked_database, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(request_for_a_held_address_is_refused, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(discover_honours_a_free_requested_address,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(foreign_and_malformed_are_dropped, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(release_and_decline, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(inform_gets_configuration_without_lease,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(sticky_across_restarts, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(duplicate_mac_is_refused, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(corrupt_database_is_an_error, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(exhausted_pool_gets_no_offer, small_pool_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(small_pool_skips_network_and_broadcast,
						small_pool_setup, server_teardown),
		cmocka_unit_test_setup_teardown(reply_fits_576_with_longest_domain, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(repeated_requests_cost_no_database_write,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(offer_waits_for_the_probe_and_skips_an_address_in_use,
						probing_server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(probe_gives_up_after_four_addresses_in_use,
						probing_server_setup, server_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
