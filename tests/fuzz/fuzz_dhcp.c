// SPDX-License-Identifier: MIT
/* fuzz_dhcp.c — libFuzzer target: the DHCP responder with its database, a faked clock and faked locks */
/*
 * Input: commands (see run()): the VM sends a DHCP message (bytes of the input, or a
 * DISCOVER/REQUEST/RELEASE/DECLINE built from them, from 0.0.0.0 or its address), the clocks
 * move, another process takes or drops the lease database's lock, the loop runs the
 * responder's timers. The database is a real SQLite file in /dev/shm, one per process.
 * Checks, beyond "no crash, no sanitizer report": every frame to the VM parses, comes from the
 * gateway's port 67 and fits the MTU; an ACK or OFFER names an address of the pool; the
 * address the VM is told it holds (vm_address) is the one its last ACK named, or none; and the
 * database never shows this VM holding an address other than that one as bound.
 * With the input's first bit set the server asks a faked network before each new offer,
 * which answers when the input says (at once, inside the question, or later), "free" or "in
 * use": a VM without an address is never offered one whose latest answer was "in use".
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "fuzz_promise.h"
#include "proto/byteorder.h"
#include "proto/dhcp_msg.h"
#include "proto/ipv4_frame.h"
#include "responder/dhcp4.h"

#define GATEWAY 0xc0a84001u
#define FIRST 0xc0a84002u
#define LAST 0xc0a84009u /* a pool of 8: reuse and exhaustion come quickly */
#define NETWORK "fuzz0"

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

static struct config cfg;
static struct lease_db *db;
static struct process_identity self;
static struct loop *loop;
static char db_path[64];
static uint64_t mono;
static int64_t wall;
static uint32_t vm_addr, last_ack;
static uint8_t frame[2048];

static uint64_t fake_mono(void)
{
	return mono;
}

static int64_t fake_wall(void)
{
	return wall;
}

/* The faked network's side of the probe (struct dhcp4_probe). */
static bool probe_on, answer_at_once, at_once_in_use;
static void (*probe_done)(void *ctx, uint32_t ipv4, bool in_use);
static void *probe_ctx;
static uint32_t probe_waiting;
static uint8_t said[LAST - FIRST + 1]; /* per address: 0 never asked, 1 free, 2 in use */

static void remember_answer(uint32_t ipv4, bool in_use)
{
	promise(ipv4 >= FIRST && ipv4 <= LAST); /* only pool addresses are asked about */
	said[ipv4 - FIRST] = in_use ? 2 : 1;
}

static int probe_ask(void *owner, uint32_t ipv4,
		     void (*done)(void *ctx, uint32_t ipv4, bool in_use), void *ctx)
{
	(void)owner;
	if (answer_at_once) {
		remember_answer(ipv4, at_once_in_use);
		done(ctx, ipv4, at_once_in_use);
		return 0;
	}
	probe_done = done;
	probe_ctx = ctx;
	probe_waiting = ipv4;
	return 0;
}

static void to_vm(void *ctx, const uint8_t *f, size_t len)
{
	struct frame_view v;
	struct dhcp_msg m;
	uint8_t type = 0;

	(void)ctx;
	(void)m;
	promise(len <= ETH_HDR_LEN + cfg.vm.mtu);
	promise(frame_parse(&v, f, len) == DROP_NONE && v.payload);
	promise(mac_equal(v.src_mac, gw_mac) && inet_v4(&v.ip_src) == GATEWAY);
	promise(v.src_port == 67 && v.dst_port == 68 && v.payload_len >= DHCP_MIN_REPLY_LEN);
	for (size_t i = DHCP_OFF_OPTIONS; i + 2 < v.payload_len; i += 2u + v.payload[i + 1]) {
		if (v.payload[i] == DHCP_OPT_MESSAGE_TYPE)
			type = v.payload[i + 2];
		if (v.payload[i] == DHCP_OPT_END || v.payload[i] == DHCP_OPT_PAD)
			break;
	}
	if (type == DHCPOFFER || (type == DHCPACK && be32(v.payload + DHCP_OFF_YIADDR))) {
		uint32_t yi = be32(v.payload + DHCP_OFF_YIADDR);

		promise(yi >= FIRST && yi <= LAST);
		if (type == DHCPOFFER && probe_on && !vm_addr && yi != last_ack)
			promise(said[yi - FIRST] != 2);
		if (type == DHCPACK)
			last_ack = yi;
	}
}

static void on_address(void *ctx, const struct inet_addr *addr)
{
	(void)ctx;
	vm_addr = addr ? inet_v4(addr) : 0;
}

/* A client message built from @d: type, flags and addresses from the input. */
static size_t message(const uint8_t *d, size_t n, uint8_t *out)
{
	uint8_t type = n ? (uint8_t)(1 + d[0] % 8) : DHCPDISCOVER;
	uint32_t addr = n > 1 ? FIRST + d[1] % 10 : FIRST; /* .2 to .11: a little outside too */
	size_t len = DHCP_OFF_OPTIONS;

	memset(out, 0, DHCP_OFF_OPTIONS);
	out[DHCP_OFF_OP] = DHCP_OP_BOOTREQUEST;
	out[DHCP_OFF_HTYPE] = DHCP_HTYPE_ETHERNET;
	out[DHCP_OFF_HLEN] = 6;
	put_be32(out + DHCP_OFF_XID, 0x1234);
	memcpy(out + DHCP_OFF_CHADDR, vm_mac, 6);
	put_be32(out + DHCP_OFF_COOKIE, DHCP_MAGIC_COOKIE);
	if (n > 2 && (d[2] & 1))
		put_be32(out + DHCP_OFF_CIADDR, addr);
	out[len++] = DHCP_OPT_MESSAGE_TYPE;
	out[len++] = 1;
	out[len++] = type;
	if (n > 2 && (d[2] & 2)) {
		out[len++] = DHCP_OPT_REQUESTED_ADDRESS;
		out[len++] = 4;
		put_be32(out + len, addr);
		len += 4;
	}
	if (n > 2 && (d[2] & 4)) {
		out[len++] = DHCP_OPT_SERVER_ID;
		out[len++] = 4;
		put_be32(out + len, d[2] & 8 ? GATEWAY : GATEWAY + 100);
		len += 4;
	}
	out[len++] = DHCP_OPT_END;
	return len;
}

static void vm_sends(struct responder *r, const uint8_t *payload, size_t n, bool from_lease)
{
	struct ipv4_ends ends = {.src_mac = vm_mac, .dst_mac = gw_mac,
				 .src_ip = from_lease ? vm_addr : 0,
				 .dst_ip = from_lease ? GATEWAY : 0xffffffff, .src_port = 68,
				 .dst_port = 67};
	struct frame_view v;

	if (n > 1400)
		n = 1400;
	memmove(frame + IPV4_UDP_PAYLOAD_OFFSET, payload, n);
	if (frame_parse(&v, frame, ipv4_udp_frame(frame, n, &ends, 0)) == DROP_NONE && v.payload)
		r->handle(r, &v);
}

static void run(struct responder *r, const uint8_t *data, size_t size)
{
	sqlite3 *lock = NULL;
	uint8_t msg[1500];
	size_t i = 0;

	while (i + 2 <= size) {
		uint8_t cmd = data[i];
		size_t n = data[i + 1] % 64;
		const uint8_t *arg = data + i + 2;

		if (n > size - i - 2)
			n = size - i - 2;
		i += 2 + n;
		switch (cmd % 7) {
		case 0: /* a message from the input's bytes */
			memcpy(msg, arg, n);
			vm_sends(r, msg, n, cmd & 0x80);
			break;
		case 1: /* a well-formed message */
			vm_sends(r, msg, message(arg, n, msg), cmd & 0x80);
			break;
		case 2: /* time passes */
			mono += (uint64_t)n * 1000;
			wall += n;
			break;
		case 3: /* another process takes the lock, or lets it go */
			if (!lock) {
				if (sqlite3_open(db_path, &lock) == SQLITE_OK)
					sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL);
			} else {
				sqlite3_close(lock); /* the open transaction is rolled back */
				lock = NULL;
			}
			break;
		case 4:
			loop_run_once(loop, 0);
			break;
		case 5: /* the network answers the question that waits, or sets the next answer */
			if (probe_waiting) {
				uint32_t ipv4 = probe_waiting;

				probe_waiting = 0;
				remember_answer(ipv4, n & 1);
				probe_done(probe_ctx, ipv4, n & 1);
			} else {
				answer_at_once = n & 2;
				at_once_in_use = n & 1;
			}
			break;
		default:
			break;
		}
		/* the guard lets the VM use what its last ACK gave it, or nothing */
		promise(!vm_addr || vm_addr == last_ack);
	}
	if (lock)
		sqlite3_close(lock);
}

/* The database never shows this instance's VM bound to another address than its own. */
static void check_database(void)
{
	for (uint32_t a = FIRST; a <= LAST; a++) {
		struct inet_addr addr = inet_from_v4(a);
		struct lease_row row;

		if (lease_peek(db, NETWORK, &addr, &row) != 1 || row.owner.pid != self.pid)
			continue;
		promise(!row.bound || a == vm_addr || !vm_addr);
	}
}

static void set_up_once(void)
{
	char err[256];

	snprintf(db_path, sizeof(db_path), "/dev/shm/svm-fuzz-dhcp-%d.db", (int)getpid());
	unlink(db_path);
	db = lease_db_open(db_path, false, err, sizeof(err));
	promise(db);
	lease_db_wait(db, 0);
	promise(process_identity_self(&self) == 0);
	loop = loop_new();
	promise(loop);
	cfg = (struct config){.vm = {.mtu = 1500},
			      .net4 = {.gateway = inet_from_v4(GATEWAY),
				       .subnet = {inet_from_v4(0xc0a84000), 24},
				       .mask = 0xffffff00,
				       .range_end = inet_from_v4(LAST)},
			      .dhcp = {.lease_db = db_path, .lease_time = 600}};
	memcpy(cfg.vm.mac, vm_mac, 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp4_setup setup = {.vm = &cfg.vm, .net4 = &cfg.net4, .dhcp = &cfg.dhcp, .self = &self, .network = NETWORK,
				    .server_mac = gw_mac,
				    .clock = {.mono_ms = fake_mono, .wall_s = fake_wall}};

	struct responder_env env = {.send_to_vm = to_vm, .vm_address = on_address};
	struct direction_counters counters = {0};
	struct responder *r;
	char err[200];
	int64_t holder;

	log_set_quiet(true);
	if (!db)
		set_up_once();
	mono = 1000000;
	wall = 1700000000;
	vm_addr = last_ack = 0;
	probe_on = size && (data[0] & 1);
	answer_at_once = at_once_in_use = false;
	probe_waiting = 0;
	memset(said, 0, sizeof(said));
	if (probe_on)
		setup.probe = (struct dhcp4_probe){.ask = probe_ask};
	env.loop = loop;
	promise(lease_claim_mac(db, NETWORK, vm_mac, &self, wall + 600, wall, &holder, err,
				sizeof(err)) == 0);
	setup.db = db;
	r = dhcp4_new(&setup, err, sizeof(err));
	promise(r);
	r->env = &env;
	r->counters = &counters;
	run(r, data, size);
	check_database();
	r->close(r);
	lease_db_wait(db, 1000);
	promise(lease_unclaim(db, NETWORK, vm_mac, &self, wall) == 0);
	lease_db_wait(db, 0);
	return 0;
}
