// SPDX-License-Identifier: MIT
/* fuzz_ndp.c — libFuzzer target: the NDP responder behind the guard, with its database, faked clocks and locks */
/*
 * Input: commands (see run()): the VM sends a frame (the input's bytes, or an RS, an NS or
 * a duplicate address detection built from them, with options from the input) which the
 * guard judges and, routed to LOCAL_NDP, the responder answers; time passes; another VM
 * (another instance) claims an address; another process takes or drops the database's
 * lock; the loop runs the responder's timers; the VM is active (the unsolicited RA).
 * The database is a real SQLite file in /dev/shm, one per process.
 * Checks, beyond "no crash, no sanitizer report": every frame to the VM is a well-formed
 * ND message (it parses, hop limit 255, ndp_parse() takes it) that fits the MTU; an RA comes
 * from the gateway's link-local address and MAC; an NA is about the gateway (with its MAC)
 * or defends an address another VM holds (with that VM's MAC), never one this VM holds; the
 * guard is told of claims only in the prefix or link-local, never the gateway's nor one
 * another VM holds; every address the guard lets the VM use (but its link-local one) is
 * this instance's in the database; this instance's rows are the VM's, of addresses it won.
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
#include "guard/guard.h"
#include "proto/byteorder.h"
#include "proto/ndp_msg.h"
#include "responder/ndp.h"

#define NETWORK "fuzz6"
#define CANDIDATES 8
#define MAX_WON 64

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t gw_mac[6] = {0x02, 0x73, 0x76, 0x40, 0x00, 0x01};

static struct config cfg;
static struct lease_db *db;
static struct process_identity self, other;
static struct loop *loop;
static struct guard guard;
static char db_path[64];
static uint64_t mono;
static int64_t wall;
static uint8_t frame[2048];

/* addresses the commands pick from: the VM's link-local one, the gateway's, SLAAC-like ones */
static struct inet_addr candidates[CANDIDATES], vm_ll;
static struct inet_addr won[MAX_WON];
static unsigned won_count;
static int64_t other_until[CANDIDATES]; /* the other VM's claims: until when (0: none) */

static uint64_t fake_mono(void)
{
	return mono;
}

static int64_t fake_wall(void)
{
	return wall;
}

static bool is_gateway(const struct inet_addr *a)
{
	return inet_equal(a, &cfg.net6.gateway) || inet_equal(a, &cfg.net6.gateway_ll);
}

/* Whether the other VM holds @a now (its claims last until the clock passes them). */
static bool held_by_other(const struct inet_addr *a)
{
	for (int i = 0; i < CANDIDATES; i++)
		if (other_until[i] > wall && inet_equal(a, &candidates[i]))
			return true;
	return false;
}

static bool ever_won(const struct inet_addr *a)
{
	for (unsigned i = 0; i < won_count; i++)
		if (inet_equal(a, &won[i]))
			return true;
	return false;
}

static void to_vm(void *ctx, const uint8_t *f, size_t len)
{
	static const struct inet_addr all_nodes = {{0xff, 0x02, [15] = 1}};
	struct frame_view v;
	struct ndp_msg m;

	(void)ctx;
	promise(len <= ETH_HDR_LEN + cfg.vm.mtu);
	promise(frame_parse(&v, f, len) == DROP_NONE && v.ip6 && v.l4);
	promise(v.ip_proto == IPPROTO_ICMPV6_ && v.ip_ttl == 255);
	promise(ndp_parse(&v, &m) == DROP_NONE);
	promise(mac_equal(v.dst_mac, vm_mac) || inet_equal(&v.ip_dst, &all_nodes));
	if (m.type == ICMPV6_ND_RA) {
		promise(inet_equal(&v.ip_src, &cfg.net6.gateway_ll) && mac_equal(v.src_mac, gw_mac));
		promise(m.sllao && mac_equal(m.sllao, gw_mac));
		return;
	}
	promise(m.type == ICMPV6_ND_NA && m.tllao);
	if (is_gateway(&m.target)) {
		promise(mac_equal(m.tllao, gw_mac) && (m.na_flags & ND_NA_ROUTER));
		return;
	}
	/* a defence: the address is another VM's, in its name */
	promise(!guard_owns6(&guard, &m.target));
	promise(mac_equal(m.tllao, other_mac) && inet_equal(&v.ip_dst, &all_nodes));
}

static bool claim_address(void *ctx, const struct inet_addr *addr, struct inet_addr *evicted)
{
	(void)ctx;
	promise(inet6_is_link_local(addr) || inet6_in_prefix64(addr, &cfg.net6.prefix.addr));
	promise(!is_gateway(addr) && !held_by_other(addr));
	if (won_count < MAX_WON && !ever_won(addr))
		won[won_count++] = *addr;
	guard_set_now(&guard, mono);
	return guard_claim(&guard, addr, evicted);
}

/* The VM's frame, judged by the guard; what it routes to LOCAL_NDP, answered. */
static void vm_sends(struct responder *r, size_t len)
{
	enum local_service service = LOCAL__COUNT;
	enum drop_reason why;
	struct frame_view v;

	if (frame_parse(&v, frame, len) != DROP_NONE)
		return;
	guard_set_now(&guard, mono);
	if (guard_vm_frame(&guard, &v, &why, &service) == GUARD_LOCAL && service == LOCAL_NDP)
		r->handle(r, &v);
}

/*
 * An RS, or an NS for a candidate (d[0]), from (d[1] & 3) ::, the link-local address, the
 * target itself or another candidate; to (d[1] & 4) the target's solicited-node group or
 * the target; (d[1] & 8) with a source link-layer address, (d[1] & 16) another MAC's; then
 * the input's bytes as more options.
 */
static size_t solicitation(uint8_t type, const uint8_t *d, size_t n)
{
	static const struct inet_addr unspecified, all_routers = {{0xff, 0x02, [15] = 2}};
	const struct inet_addr *target = &candidates[n ? d[0] % CANDIDATES : 0];
	uint8_t sel = n > 1 ? d[1] : 0, *body = frame + IPV6_ICMP_BODY_OFFSET;
	struct ip_ends e = {.src_mac = vm_mac, .dst_mac = gw_mac};
	size_t len = 0, opts = n > 2 ? n - 2 : 0;

	e.src = (sel & 3) == 0 ? unspecified : (sel & 3) == 1 ? vm_ll : (sel & 3) == 2 ? *target
											: candidates[3];
	memset(body, 0, 20);
	if (type == ICMPV6_ND_RS) {
		e.dst = all_routers;
		len = 4;
	} else {
		if (sel & 4)
			e.dst = *target;
		else
			inet6_solicited_node(target, &e.dst);
		memcpy(body + 4, target->b, 16);
		len = 20;
	}
	if (sel & 8) { /* a source link-layer address option, as a host writes it */
		body[len] = ND_OPT_SLLAO;
		body[len + 1] = 1;
		memcpy(body + len + 2, sel & 16 ? other_mac : vm_mac, 6);
		len += 8;
	}
	if (opts > 64)
		opts = 64;
	memcpy(body + len, d + 2, opts);
	return ipv6_icmp_frame(frame, len + opts, &e, type, 0, 255);
}

/* Another instance's VM claims a candidate (it wins if nobody running holds it). */
static void other_claims(const uint8_t *d, size_t n)
{
	int i = n ? d[0] % CANDIDATES : 0;
	uint8_t holder[6];

	if (is_gateway(&candidates[i]))
		return;
	if (lease_claim_addr(db, NETWORK, &candidates[i], other_mac, &other, wall + 60, wall,
			     holder) == LEASE_OK)
		other_until[i] = wall + 60;
}

static void run(struct responder *r, const uint8_t *data, size_t size)
{
	sqlite3 *lock = NULL;
	size_t i = 0;

	while (i + 2 <= size) {
		uint8_t cmd = data[i];
		size_t n = data[i + 1] % 96;
		const uint8_t *arg = data + i + 2;

		if (n > size - i - 2)
			n = size - i - 2;
		i += 2 + n;
		switch (cmd % 8) {
		case 0: /* a frame of the input's bytes */
			memcpy(frame, arg, n);
			vm_sends(r, n);
			break;
		case 1:
			vm_sends(r, solicitation(ICMPV6_ND_RS, arg, n));
			break;
		case 2:
			vm_sends(r, solicitation(ICMPV6_ND_NS, arg, n));
			break;
		case 3: /* time passes: the other VM's claims end after 60 s (another PID namespace) */
			mono += (uint64_t)n * 1000;
			wall += n;
			break;
		case 4: /* another process takes the lock, or lets it go */
			if (!lock) {
				if (sqlite3_open(db_path, &lock) == SQLITE_OK)
					sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL);
			} else {
				sqlite3_close(lock);
				lock = NULL;
			}
			break;
		case 5:
			loop_run_once(loop, 0);
			break;
		case 6:
			r->vm_active(r, mono);
			break;
		default:
			if (!lock)
				other_claims(arg, n);
			break;
		}
	}
	if (lock)
		sqlite3_close(lock);
}

static void check_database(void)
{
	for (int i = 0; i < CANDIDATES; i++) {
		struct inet_addr ours;
		uint8_t holder[6];

		if (!guard_owns6(&guard, &candidates[i]) || inet_equal(&candidates[i], &vm_ll))
			continue;
		/* the database says the address is this instance's: claiming it again is no change */
		promise(ever_won(&candidates[i]));
		ours = candidates[i];
		promise(lease_claim_addr(db, NETWORK, &ours, other_mac, &other, wall + 60, wall,
					 holder) == LEASE_TAKEN);
		promise(mac_equal(holder, vm_mac));
	}
}

static void set_up_once(void)
{
	char err[256];
	static const struct inet_addr prefix = {{0xfd, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03}};

	snprintf(db_path, sizeof(db_path), "/dev/shm/svm-fuzz-ndp-%d.db", (int)getpid());
	unlink(db_path);
	db = lease_db_open(db_path, false, err, sizeof(err));
	promise(db);
	lease_db_wait(db, 0);
	promise(process_identity_self(&self) == 0);
	/* another instance in another PID namespace: its claims hold until their end */
	other = self;
	other.pid = self.pid + 1;
	other.pid_ns = self.pid_ns + 1;
	loop = loop_new();
	promise(loop);
	cfg = (struct config){.vm = {.mtu = 1500},
			      .net4 = {.gateway = inet_from_v4(0xc0a84001),
				       .subnet = {inet_from_v4(0xc0a84000), 24},
				       .mask = 0xffffff00,
				       .range_end = inet_from_v4(0xc0a840fe)},
			      .net6 = {.enabled = true, .prefix = {prefix, 64}, .gateway = prefix,
				       .gateway_ll = {{0xfe, 0x80, [15] = 1}}}};
	cfg.net6.gateway.b[15] = 1;
	memcpy(cfg.vm.mac, vm_mac, 6);
	inet6_link_local_of_mac(vm_mac, &vm_ll);
	candidates[0] = vm_ll;
	candidates[1] = cfg.net6.gateway;
	candidates[2] = cfg.net6.gateway_ll;
	for (int i = 3; i < CANDIDATES; i++) {
		candidates[i] = i < 6 ? prefix : vm_ll;
		candidates[i].b[8] = 0x50;
		candidates[i].b[15] = (uint8_t)i;
	}
	promise(guard_init(&guard, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndp_setup setup = {.vm = &cfg.vm, .net6 = &cfg.net6, .self = &self,
				  .network = NETWORK, .gateway_mac = gw_mac, .claim_s = 600,
				  .clock = {.mono_ms = fake_mono, .wall_s = fake_wall}};
	struct responder_env env = {.send_to_vm = to_vm, .claim_address = claim_address};
	struct direction_counters counters = {0};
	struct responder *r;
	char err[200];

	log_set_quiet(true);
	if (!db)
		set_up_once();
	mono = 1000000;
	wall = 1700000000;
	won_count = 0;
	memset(other_until, 0, sizeof(other_until));
	guard_fini(&guard);
	promise(guard_init(&guard, &cfg.vm, &cfg.net4, &cfg.net6, &cfg.policy, NULL) == 0);
	env.loop = loop;
	setup.db = db;
	r = ndp_new(&setup, err, sizeof(err));
	promise(r);
	r->env = &env;
	r->counters = &counters;
	run(r, data, size);
	check_database();
	r->close(r);
	lease_db_wait(db, 1000);
	promise(lease_unclaim(db, NETWORK, vm_mac, &self, wall) == 0);
	promise(lease_unclaim(db, NETWORK, other_mac, &other, wall) == 0);
	lease_db_wait(db, 0);
	return 0;
}
