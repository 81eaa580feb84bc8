// SPDX-License-Identifier: MIT
/* dhcp4.c — the VM's DHCPv4 server, answered on the frame path, leases in the shared database */
#include "responder/dhcp4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/addr.h"
#include "proto/dhcp_msg.h"
#include "responder/dhcp4_internal.h"

/*
 * A message that needs the database while another process holds its lock waits and is
 * tried again: first after 2 ms, the wait doubling to at most 256 ms. A transaction holds
 * the lock 0.1-0.4 ms, so 50 instances allocating at once clear in ~20 ms; a lock held for
 * seconds is someone's open transaction. After 4 s the message is given up: RFC 2131 4.1
 * clients retransmit within 4 s (udhcpc 3 s, dhclient 1-2 s), and the new message takes
 * its place.
 */
#define DHCP_RETRY_FIRST_MS 2
#define DHCP_RETRY_MAX_MS 256
#define DHCP_RETRY_GIVE_UP_MS 4000

/*
 * With a probe (struct dhcp4_probe): an address the network says is in use is quarantined
 * for 5 minutes — long enough not to be offered again at once, short enough that a host
 * that merely answered ARP once costs little, since every new offer is probed anyway — and
 * the next address is asked about, up to 4 per DISCOVER. Those quarantines count against
 * DHCP_MAX_DECLINES: a neighbour that answers ARP for every address takes at most 4 of
 * the pool out, as a VM that declines everything does.
 */
#define DHCP_PROBE_QUARANTINE_S 300
#define DHCP_PROBE_TRIES 4

/*
 * Each DHCP message may cost a write transaction on the lease database that every instance
 * shares, so a VM gets a budget: a burst of DHCP_BURST messages, then one per
 * DHCP_REFILL_MS. The busiest real client in the tests, dhclient at start, sends 4 messages
 * in 3 s and udhcpc one every 3 s while it waits: 10x headroom. Messages beyond the budget
 * are dropped as dhcp-ignored and the client retries.
 */
#define DHCP_BURST 16
#define DHCP_REFILL_MS 500

/*
 * RFC 2131 asks the server to quarantine a DECLINEd address; a VM declining every offer
 * could quarantine the whole pool for every other VM. A real client declines only when
 * its ARP probe finds the address in use: after 4 declines, further ones are ignored.
 */
#define DHCP_MAX_DECLINES 4

/* Take one message from the VM's budget; false when it is spent. */
static bool budget_take(struct dhcp_server *s)
{
	uint64_t now = s->clock.mono_ms();
	uint64_t earned = (now - s->tokens_ms) / DHCP_REFILL_MS;

	if (earned) {
		s->tokens = s->tokens + earned > DHCP_BURST ? DHCP_BURST : s->tokens + (unsigned)earned;
		s->tokens_ms += earned * DHCP_REFILL_MS;
	}
	if (!s->tokens)
		return false;
	s->tokens--;
	return true;
}

static int64_t real_wall_s(void)
{
	return (int64_t)time(NULL);
}

/* The VM's address changed (acknowledged, lost): the guard hears of it through the env. */
static void set_vm_addr(struct dhcp_server *s, uint32_t addr)
{
	struct inet_addr a = inet_from_v4(addr);

	if (addr == s->vm_addr)
		return;
	s->vm_addr = addr;
	if (s->resp.env)
		s->resp.env->vm_address(s->resp.env->ctx, addr ? &a : NULL);
}

/* ---- the messages -------------------------------------------------------------------------- */

/* The database's word on a new address: busy asks for a retry, an error for silence. */
static void unanswered(const char *type, enum lease_result r, const char *why,
		       enum drop_reason *drop)
{
	*drop = r == LEASE_BUSY ? DROP_NONE : DROP_DHCP_IGNORED;
	if (r == LEASE_BUSY)
		log_debug("dhcp: %s waits: the lease database is locked", type);
	else
		log_error("dhcp: %s unanswered: %s", type, why);
}

/* Offer @addr, now this instance's in the database (offered, not yet acknowledged). */
static size_t offer(struct dhcp_server *s, const struct dhcp_msg *m, uint32_t addr,
		    int64_t now, uint8_t *reply, size_t reply_size)
{
	char text[IPV4_TEXT_LEN];

	s->held = addr;
	s->held_bound = false;
	s->held_written = now;
	if (s->vm_addr != addr)
		set_vm_addr(s, 0);
	ipv4_format(addr, text);
	log_debug("dhcp: DISCOVER xid=0x%08x -> OFFER %s", m->xid, text);
	return dhcp4_reply_config(s, m, reply, reply_size, DHCPOFFER, addr);
}

static void on_probe_answer(void *ctx, uint32_t ipv4, bool in_use);

/*
 * ask_about() - ask the network whether @addr is in use before it is offered; the DISCOVER
 * is kept and answered when the answer comes (on_probe_timer).
 * Return: true if the question is out; false to offer at once (it could not be asked).
 */
static bool ask_about(struct dhcp_server *s, uint32_t addr)
{
	if (!s->resp.env || !s->resp.env->loop || s->msg_len > sizeof(s->probe_msg))
		return false;
	if (s->msg != s->probe_msg) {
		memcpy(s->probe_msg, s->msg, s->msg_len);
		s->probe_msg_len = s->msg_len;
	}
	s->probe_addr = addr;
	if (s->probe.ask(s->probe.owner, addr, on_probe_answer, s) < 0) {
		s->probe_addr = 0;
		return false;
	}
	s->answer_later = true;
	return true;
}

static size_t handle_discover(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			      size_t reply_size, enum drop_reason *drop)
{
	struct lease_request req = dhcp4_lease_request(s, m, s->clock.wall_s());
	char why[256] = "", text[IPV4_TEXT_LEN];
	struct inet_addr got;
	enum lease_result r;
	uint32_t addr;

	if (s->held) {
		/* a DISCOVER never unbinds what the VM holds: offered again from memory */
		dhcp4_hold_again(s, false);
		ipv4_format(s->held, text);
		log_debug("dhcp: DISCOVER xid=0x%08x -> OFFER %s (held)", m->xid, text);
		return dhcp4_reply_config(s, m, reply, reply_size, DHCPOFFER, s->held);
	}
	if (s->probe_addr) {
		/* a question is out for this VM's offer: the latest DISCOVER gets the answer */
		if (s->msg != s->probe_msg && s->msg_len <= sizeof(s->probe_msg)) {
			memcpy(s->probe_msg, s->msg, s->msg_len);
			s->probe_msg_len = s->msg_len;
		}
		s->answer_later = true;
		return 0;
	}
	if (!s->retrying)
		s->probe_tries = 0;
	req.requested = inet_from_v4(m->has_requested_addr ? m->requested_addr : 0);
	r = lease_allocate(s->db, &req, &got, why, sizeof(why));
	if (r == LEASE_EXHAUSTED) {
		if (!s->exhausted)
			log_warn("dhcp: no address for the VM: %s", why);
		else
			log_debug("dhcp: DISCOVER unanswered: %s", why);
		s->exhausted = true;
		*drop = DROP_DHCP_IGNORED;
		return 0;
	}
	if (r != LEASE_OK) {
		unanswered("DISCOVER", r, why, drop);
		return 0;
	}
	if (s->exhausted)
		log_info("dhcp: the pool has an address for the VM again");
	s->exhausted = false;
	addr = inet_v4(&got);
	if (s->probe.ask && addr != s->probe_cleared && ask_about(s, addr))
		return 0;
	s->probe_cleared = 0;
	return offer(s, m, addr, req.now, reply, reply_size);
}

/*
 * A database that takes no writes (full, read-only) cannot give an address to anyone, so an
 * address whose last record is this VM's is still this VM's: after a restart, its renewal is
 * answered from that record, and the database is told when it can be written again.
 */
static bool last_recorded_for_vm(struct dhcp_server *s, uint32_t want)
{
	struct inet_addr a = inet_from_v4(want);
	struct lease_row row;
	char mac[MAC_TEXT_LEN];

	mac_format(s->vm->mac, mac);
	return lease_peek(s->db, s->network, &a, &row) == 1 && strcmp(row.mac, mac) == 0 &&
	       row.state != OWNER_RUNNING && row.quarantined_until <= s->clock.wall_s();
}

/* The REQUEST's state and the address it asks for (RFC 2131 4.3.2); NULL: not for us. */
static const char *request_state(const struct dhcp_server *s, const struct dhcp_msg *m,
				 uint32_t *want)
{
	if (m->has_server_id) {
		if (m->server_id != s->gateway || !m->has_requested_addr)
			return NULL; /* the VM chose another server's offer */
		*want = m->requested_addr;
		return "selecting";
	}
	if (m->has_requested_addr) {
		*want = m->requested_addr;
		return "init-reboot";
	}
	if (m->ciaddr) {
		*want = m->ciaddr;
		return "renewing";
	}
	return NULL; /* asks for no address at all */
}

/**
 * handle_request() - DHCPREQUEST in each of its states (RFC 2131 4.3.2)
 * @s: the server
 * @m: the request
 * @reply: the reply frame
 * @reply_size: its capacity
 * @drop: why the request is not answered (DROP_NONE with no reply: it waits for the lock)
 *
 * SELECTING carries our server identifier and the offered address (option 50);
 * INIT-REBOOT carries option 50 only; RENEWING (unicast) and REBINDING (broadcast) carry
 * ciaddr only. In every state the address is acknowledged when this VM may hold it now
 * (it holds it, or it is free) and refused with a NAK otherwise. The address this instance
 * holds is acknowledged from memory whatever the database does; another one only once the
 * database has recorded it.
 *
 * Return: the reply's length, 0 for none.
 */
static size_t handle_request(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			     size_t reply_size, enum drop_reason *drop)
{
	struct lease_request req = dhcp4_lease_request(s, m, s->clock.wall_s());
	char why[256] = "", text[IPV4_TEXT_LEN];
	const char *state = NULL;
	struct inet_addr got;
	enum lease_result r;
	uint32_t want = 0;

	state = request_state(s, m, &want);
	if (!state) {
		*drop = DROP_DHCP_IGNORED;
		return 0;
	}
	ipv4_format(want, text);
	if (want < s->pool_first || want > s->pool_last) {
		log_info("dhcp: REQUEST (%s) for %s: NAK, not in this network's pool", state, text);
		if (want == s->vm_addr)
			set_vm_addr(s, 0);
		return dhcp4_reply_nak(s, m, reply, reply_size, "address not in this network");
	}
	if (want == s->held) {
		dhcp4_hold_again(s, true);
		if (s->vm_addr != want)
			log_info("dhcp: lease %s for %u s (%s)", text, s->cfg->lease_time, state);
		set_vm_addr(s, want);
		return dhcp4_reply_config(s, m, reply, reply_size, DHCPACK, want);
	}
	req.requested = inet_from_v4(want);
	req.requested_only = true;
	req.bind = true;
	r = lease_allocate(s->db, &req, &got, why, sizeof(why));
	if (r == LEASE_TAKEN || r == LEASE_EXHAUSTED) {
		log_info("dhcp: REQUEST (%s) for %s: NAK, held by another VM or quarantined", state,
			 text);
		if (want == s->vm_addr)
			set_vm_addr(s, 0);
		return dhcp4_reply_nak(s, m, reply, reply_size, "address not available");
	}
	if (r == LEASE_DB_ERROR && last_recorded_for_vm(s, want)) {
		log_warn("dhcp: lease %s acknowledged from its last record: %s", text, why);
		s->held = want;
		s->held_bound = true;
		s->held_written = 0;
		dhcp4_owe(s, DEBT_REFRESH, want, 0);
	} else if (r != LEASE_OK) {
		unanswered("REQUEST", r, why, drop);
		return 0;
	} else {
		s->held = want;
		s->held_bound = true;
		s->held_written = req.now;
		log_info("dhcp: lease %s for %u s (%s)", text, s->cfg->lease_time, state);
	}
	set_vm_addr(s, want);
	return dhcp4_reply_config(s, m, reply, reply_size, DHCPACK, want);
}

static void handle_decline(struct dhcp_server *s, const struct dhcp_msg *m, enum drop_reason *drop)
{
	/*
	 * RFC 2131 4.3.3: the server must mark a declined address as not available. Whoever
	 * answered the VM's ARP for it (a host configured by hand, a VM that kept an expired
	 * lease) may hold it for a while: one lease time, after which any such VM would have
	 * had to renew, is long enough; forever would shrink a small pool for good.
	 */
	unsigned quarantine_s = s->cfg->lease_time;
	char text[IPV4_TEXT_LEN];

	if (!m->has_requested_addr || m->requested_addr != s->held ||
	    (m->has_server_id && m->server_id != s->gateway)) {
		*drop = DROP_DHCP_IGNORED;
		return;
	}
	ipv4_format(m->requested_addr, text);
	if (s->declines >= DHCP_MAX_DECLINES) {
		log_warn("dhcp: the VM declined %s after %d declines: ignored, not quarantined", text,
			 DHCP_MAX_DECLINES);
		*drop = DROP_DHCP_IGNORED;
		return;
	}
	s->declines++;
	log_warn("dhcp: the VM declined %s (in use by another host): quarantined for %u s", text,
		 quarantine_s);
	dhcp4_owe(s, DEBT_DECLINE, s->held, s->clock.wall_s() + quarantine_s);
	s->held = 0;
	s->held_bound = false;
	set_vm_addr(s, 0);
}

static void handle_release(struct dhcp_server *s, const struct dhcp_msg *m, enum drop_reason *drop)
{
	char text[IPV4_TEXT_LEN];

	if (!m->ciaddr || m->ciaddr != s->held) {
		*drop = DROP_DHCP_IGNORED;
		return;
	}
	ipv4_format(m->ciaddr, text);
	log_info("dhcp: the VM released %s", text);
	dhcp4_owe(s, DEBT_RELEASE, s->held, 0);
	s->held = 0;
	s->held_bound = false;
	set_vm_addr(s, 0);
}

/* One client message: the reply frame's length in @reply (0: none), or why it is dropped. */
static size_t answer(struct dhcp_server *s, const uint8_t *payload, size_t len, bool retry,
		     uint8_t *reply, size_t reply_size, enum drop_reason *drop)
{
	struct dhcp_msg m;
	const char *why = NULL;

	*drop = DROP_NONE;
	s->msg = payload;
	s->msg_len = len;
	s->retrying = retry;
	s->answer_later = false;
	if (!dhcp_msg_parse(&m, payload, len, &why)) {
		log_debug("dhcp: malformed message dropped: %s", why);
		*drop = DROP_DHCP_MALFORMED;
		return 0;
	}
	if (!mac_equal(m.chaddr, s->vm->mac)) {
		*drop = DROP_DHCP_FOREIGN_MAC;
		return 0;
	}
	if (m.giaddr) {
		*drop = DROP_DHCP_IGNORED; /* a relay: the VM is no relay agent */
		return 0;
	}
	if (!retry && !budget_take(s)) {
		log_debug("dhcp: %s dropped: over the budget of %d messages, 1 per %d ms",
			  dhcp_message_type_name(m.type), DHCP_BURST, DHCP_REFILL_MS);
		*drop = DROP_DHCP_IGNORED;
		return 0;
	}
	log_debug("dhcp: %s xid=0x%08x%s", dhcp_message_type_name(m.type), m.xid,
		  retry ? " (again: the database was locked)" : "");
	switch (m.type) {
	case DHCPDISCOVER:
		return handle_discover(s, &m, reply, reply_size, drop);
	case DHCPREQUEST:
		return handle_request(s, &m, reply, reply_size, drop);
	case DHCPDECLINE:
		handle_decline(s, &m, drop);
		return 0;
	case DHCPRELEASE:
		handle_release(s, &m, drop);
		return 0;
	case DHCPINFORM:
		if (!m.ciaddr) {
			*drop = DROP_DHCP_IGNORED;
			return 0;
		}
		return dhcp4_reply_config(s, &m, reply, reply_size, DHCPACK, 0);
	default:
		*drop = DROP_DHCP_IGNORED; /* BOOTP, or a server's message type */
		return 0;
	}
}

/* ---- a message that waits for the database's lock --------------------------------------- */

static void pend(struct dhcp_server *s, const uint8_t *payload, size_t len)
{
	uint64_t now = clock_mono_ms(); /* the loop's clock: retries are the loop's business */

	if (len > sizeof(s->pending) || !s->resp.env || !s->resp.env->loop)
		return; /* dropped: the client asks again */
	memcpy(s->pending, payload, len);
	s->pending_len = len;
	s->pending_since_ms = now;
	s->pending_wait_ms = DHCP_RETRY_FIRST_MS;
	loop_timer_arm(s->resp.env->loop, &s->retry_timer, now + s->pending_wait_ms);
}

static void on_retry_timer(struct loop_timer *t)
{
	struct dhcp_server *s = container_of(t, struct dhcp_server, retry_timer);
	enum drop_reason why = DROP_NONE;
	uint64_t now = clock_mono_ms();
	size_t len = answer(s, s->pending, s->pending_len, true, s->reply, s->reply_cap, &why);

	if (len) {
		s->resp.env->send_to_vm(s->resp.env->ctx, s->reply, len);
	} else if (why == DROP_NONE && !s->answer_later &&
		   now - s->pending_since_ms < DHCP_RETRY_GIVE_UP_MS) {
		s->pending_wait_ms = s->pending_wait_ms * 2 > DHCP_RETRY_MAX_MS
					     ? DHCP_RETRY_MAX_MS
					     : s->pending_wait_ms * 2;
		loop_timer_arm(s->resp.env->loop, t, now + s->pending_wait_ms);
		return;
	}
	s->pending_len = 0;
}

/* ---- a new address asked about before it is offered ------------------------------------ */

/* The answer may come inside ask(): it is taken on the loop's next turn, never nested. */
static void on_probe_answer(void *ctx, uint32_t ipv4, bool in_use)
{
	struct dhcp_server *s = ctx;

	if (ipv4 != s->probe_addr)
		return; /* a question given up meanwhile */
	s->probe_in_use = in_use;
	loop_timer_arm(s->resp.env->loop, &s->probe_timer, clock_mono_ms());
}

/* Quarantine an address the network uses. Return: false if the VM's quota is spent. */
static bool quarantine_in_use(struct dhcp_server *s, uint32_t addr)
{
	char text[IPV4_TEXT_LEN];

	ipv4_format(addr, text);
	if (s->declines >= DHCP_MAX_DECLINES) {
		log_warn("dhcp: %s is in use on the network, and %d addresses are quarantined for "
			 "this VM already: no offer", text, DHCP_MAX_DECLINES);
		return false;
	}
	s->declines++;
	log_warn("dhcp: %s is in use on the network (another DHCP server's lease, or set by hand):"
		 " quarantined for %d s, not offered", text, DHCP_PROBE_QUARANTINE_S);
	dhcp4_owe(s, DEBT_DECLINE, addr, s->clock.wall_s() + DHCP_PROBE_QUARANTINE_S);
	return true;
}

/* The DISCOVER kept in @probe_msg, answered again: offered, asked about anew, or pending. */
static void answer_kept_discover(struct dhcp_server *s)
{
	enum drop_reason why = DROP_NONE;
	size_t len = answer(s, s->probe_msg, s->probe_msg_len, true, s->reply, s->reply_cap, &why);

	if (len)
		s->resp.env->send_to_vm(s->resp.env->ctx, s->reply, len);
	else if (why == DROP_NONE && !s->answer_later)
		pend(s, s->probe_msg, s->probe_msg_len);
}

static void on_probe_timer(struct loop_timer *t)
{
	struct dhcp_server *s = container_of(t, struct dhcp_server, probe_timer);
	uint32_t addr = s->probe_addr;

	s->probe_addr = 0;
	if (!addr)
		return;
	if (!s->probe_in_use) {
		s->probe_cleared = addr;
	} else if (!quarantine_in_use(s, addr) || ++s->probe_tries >= DHCP_PROBE_TRIES) {
		if (s->probe_tries >= DHCP_PROBE_TRIES)
			log_warn("dhcp: %d addresses in a row are in use on the network: no offer "
				 "this time", DHCP_PROBE_TRIES);
		return;
	}
	answer_kept_discover(s);
}

/* ---- the responder --------------------------------------------------------------------------- */

static enum drop_reason dhcp4_handle(struct responder *r, const struct frame_view *v)
{
	struct dhcp_server *s = container_of(r, struct dhcp_server, resp);
	enum drop_reason why = DROP_NONE;
	size_t len;

	if (!v->payload || v->ip_more_fragments)
		return DROP_DHCP_MALFORMED;
	/* a new message from the VM replaces one that waits */
	if (s->pending_len && r->env && r->env->loop)
		loop_timer_disarm(r->env->loop, &s->retry_timer);
	s->pending_len = 0;
	len = answer(s, v->payload, v->payload_len, false, s->reply, s->reply_cap, &why);
	if (len)
		r->env->send_to_vm(r->env->ctx, s->reply, len);
	else if (why == DROP_NONE && r->env && !s->answer_later)
		pend(s, v->payload, v->payload_len); /* only a locked database leaves it unsaid */
	return why;
}

static void dhcp4_close(struct responder *r)
{
	struct dhcp_server *s = container_of(r, struct dhcp_server, resp);

	if (r->env && r->env->loop) {
		loop_timer_disarm(r->env->loop, &s->retry_timer);
		loop_timer_disarm(r->env->loop, &s->debt_timer);
		loop_timer_disarm(r->env->loop, &s->probe_timer);
	}
	/*
	 * A debt unpaid at the end: the instance's whole claim is let go by lease_unclaim()
	 * after this (with a wait), which releases every address it held; only a quarantine
	 * the database never heard of is lost, and the log says so.
	 */
	if (s->debt == DEBT_DECLINE && !dhcp4_pay_debt(s))
		log_warn("dhcp: the lease database never recorded the VM's decline");
	free(s->reply);
	free(s);
}

struct responder *dhcp4_new(const struct dhcp4_setup *setup, char *err, size_t err_size)
{
	const struct net4_config *net4 = setup->net4;
	struct dhcp_server *s = calloc(1, sizeof(*s));
	uint32_t subnet = inet_v4(&net4->subnet.addr), end = inet_v4(&net4->range_end);
	uint32_t broadcast = subnet | ~net4->mask;
	char first[IPV4_TEXT_LEN], last[IPV4_TEXT_LEN];

	if (!s) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	*s = (struct dhcp_server){
		.resp = {.name = "dhcp", .handle = dhcp4_handle, .close = dhcp4_close},
		.vm = setup->vm,
		.net4 = net4,
		.cfg = setup->dhcp,
		.db = setup->db,
		.self = setup->self,
		.network = setup->network,
		.gateway = inet_v4(&net4->gateway),
		.tokens = DHCP_BURST,
		/* a whole frame of the VM's MTU, and the byte the relay's buffers have too */
		.reply_cap = (size_t)setup->vm->mtu + ETH_HDR_LEN + 1,
		.debt_timer.on_expire = dhcp4_on_debt_timer,
		.retry_timer.on_expire = on_retry_timer,
		.probe_timer.on_expire = on_probe_timer,
		.probe = setup->probe,
		.clock = {
			.mono_ms = setup->clock.mono_ms ? setup->clock.mono_ms : clock_mono_ms,
			.wall_s = setup->clock.wall_s ? setup->clock.wall_s : real_wall_s,
		},
	};
	s->tokens_ms = s->clock.mono_ms();
	memcpy(s->server_mac, setup->server_mac, ETH_ALEN_);
	/* the start address is the gateway; network and broadcast are never anybody's */
	s->pool_first = s->gateway + 1;
	s->pool_last = end == broadcast ? end - 1 : end;
	s->reply = malloc(s->reply_cap);
	if (!s->reply) {
		snprintf(err, err_size, "out of memory");
		free(s);
		return NULL;
	}
	ipv4_format(s->pool_first, first);
	ipv4_format(s->pool_last, last);
	log_info("dhcp ready lease_db=%s pool=%s-%s lease_time=%u", s->cfg->lease_db, first,
		 last, s->cfg->lease_time);
	return &s->resp;
}
