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

/* what the DHCP message shares the IP datagram's size with */
#define IPV4_UDP_HDR_LEN (IPV4_HDR_LEN + UDP_HDR_LEN)

/*
 * A VM repeating DISCOVER or REQUEST for the address it already holds is answered from
 * memory when the database was written for it less than this long ago: a VM flooding
 * DHCP costs the shared database at most one write per 10 s (each write takes the lock
 * that every instance's allocation waits for), while the lease's expiry in the database
 * lags by at most 10 s (it matters only for owners in another PID namespace).
 */
#define DHCP_DB_REFRESH_S 10

static const uint8_t broadcast_mac[ETH_ALEN_] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/**
 * struct dhcp_server - the DHCP server of one VM
 * @resp: what the relay sees
 * @cfg: the command line
 * @db: the shared lease database
 * @self: this process, as the owner of the address it holds
 * @network: the lease database's name for the network
 * @server_mac: the gateway's MAC, the replies' source
 * @gateway: the gateway, host order: the server identifier, router and DNS server
 * @pool_first: the first address handed out (the one after the gateway)
 * @pool_last: the last (--end-addr, less the broadcast address)
 * @held: the address this instance holds in the database (offered or acknowledged)
 * @held_written: when the database was last written for @held (unix time)
 * @vm_addr: the address acknowledged to the VM, which the guard lets it use
 * @exhausted: the pool was exhausted at the last DISCOVER (logged once per episode)
 * @tokens: DHCP messages the VM may still send now (a token bucket, see DHCP_BURST)
 * @tokens_ms: when @tokens was last refilled (CLOCK_MONOTONIC, ms)
 * @declines: DECLINEs honoured so far (at most DHCP_MAX_DECLINES)
 */
struct dhcp_server {
	struct responder resp;
	const struct config *cfg;
	struct lease_db *db;
	const struct process_identity *self;
	const char *network;
	uint8_t server_mac[ETH_ALEN_];
	uint32_t gateway;
	uint32_t pool_first, pool_last;
	uint32_t held;
	int64_t held_written;
	uint32_t vm_addr;
	bool exhausted;
	uint8_t *reply;
	size_t reply_cap;
	unsigned tokens;
	uint64_t tokens_ms;
	unsigned declines;
};

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
	uint64_t now = clock_mono_ms();
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

static int64_t wall_now(void)
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

/* What the options of a reply may take: RFC 2131 2 (576, or option 57) and our buffer. */
static size_t reply_capacity(const struct dhcp_server *s, const struct dhcp_msg *m,
			     size_t reply_size)
{
	size_t datagram = m->max_message_size > DHCP_MIN_MAX_MESSAGE ? m->max_message_size
								     : DHCP_MIN_MAX_MESSAGE;
	size_t cap;

	if (datagram > s->cfg->vm.mtu)
		datagram = s->cfg->vm.mtu;
	cap = datagram - IPV4_UDP_HDR_LEN;
	if (reply_size < DHCP_FRAME_HEADROOM)
		return 0;
	if (cap > reply_size - DHCP_FRAME_HEADROOM)
		cap = reply_size - DHCP_FRAME_HEADROOM;
	return cap;
}

/* The network configuration: for OFFER and ACK (with a lease) and for INFORM (without). */
static void add_config_options(const struct dhcp_server *s, struct dhcp_builder *b,
			       const struct dhcp_msg *m, bool with_lease)
{
	const struct config *cfg = s->cfg;
	uint8_t mtu[2];

	dhcp_reply_option_u32(b, DHCP_OPT_SERVER_ID, s->gateway);
	if (with_lease) {
		/* RFC 2131 4.4.5: T1 = 0.5 and T2 = 0.875 of the lease */
		dhcp_reply_option_u32(b, DHCP_OPT_LEASE_TIME, cfg->dhcp.lease_time);
		dhcp_reply_option_u32(b, DHCP_OPT_RENEWAL_TIME, cfg->dhcp.lease_time / 2);
		dhcp_reply_option_u32(b, DHCP_OPT_REBINDING_TIME,
				      (uint32_t)((uint64_t)cfg->dhcp.lease_time * 7 / 8));
	}
	dhcp_reply_option_u32(b, DHCP_OPT_SUBNET_MASK, cfg->net4.mask);
	dhcp_reply_option_u32(b, DHCP_OPT_ROUTER, s->gateway);
	dhcp_reply_option_u32(b, DHCP_OPT_DNS_SERVER, s->gateway);
	put_be16(mtu, (uint16_t)cfg->vm.mtu);
	dhcp_reply_option(b, DHCP_OPT_INTERFACE_MTU, mtu, sizeof(mtu));
	/* RFC 6842: a server MUST echo the client identifier */
	if (m->client_id)
		dhcp_reply_option(b, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
	if (cfg->dhcp.domain && !dhcp_reply_option(b, DHCP_OPT_DOMAIN_NAME, cfg->dhcp.domain,
						   strlen(cfg->dhcp.domain)))
		log_debug("dhcp: --domain left out: no room within the client's message size");
}

/**
 * send_reply() - finish a reply and address it as RFC 2131 4.1 says
 * @s: the server
 * @m: the request
 * @b: the reply, its options written
 * @frame: the frame buffer the reply sits in (at DHCP_FRAME_HEADROOM)
 * @type: the reply's message type
 * @yiaddr: the reply's yiaddr
 *
 * giaddr is always 0 here (relayed requests are ignored): a NAK is broadcast; a reply to
 * a client that has an address (ciaddr) goes to it; otherwise the broadcast flag decides
 * between broadcast and unicast to yiaddr at chaddr.
 *
 * Return: the frame's length.
 */
static size_t send_reply(const struct dhcp_server *s, const struct dhcp_msg *m,
			 struct dhcp_builder *b, uint8_t *frame, uint8_t type, uint32_t yiaddr)
{
	const uint8_t *dst_mac = m->chaddr;
	uint32_t dst_ip;
	size_t len = dhcp_reply_finish(b);

	if (type == DHCPNAK) {
		dst_ip = 0xffffffff;
		dst_mac = broadcast_mac;
	} else if (m->ciaddr) {
		dst_ip = m->ciaddr;
	} else if (m->flags & DHCP_FLAG_BROADCAST) {
		dst_ip = 0xffffffff;
		dst_mac = broadcast_mac;
	} else {
		dst_ip = yiaddr;
	}
	return dhcp_frame_wrap(frame, len, s->server_mac, dst_mac, s->gateway, dst_ip);
}

static size_t reply_with_config(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
				size_t reply_size, uint8_t type, uint32_t yiaddr)
{
	struct dhcp_builder b;
	uint32_t ciaddr = type == DHCPACK ? m->ciaddr : 0; /* RFC 2131 table 3 */

	if (!dhcp_reply_start(&b, reply + DHCP_FRAME_HEADROOM, reply_capacity(s, m, reply_size), m,
			      type, ciaddr, yiaddr))
		return 0;
	add_config_options(s, &b, m, yiaddr != 0);
	return send_reply(s, m, &b, reply, type, yiaddr);
}

static size_t reply_nak(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			size_t reply_size, const char *why)
{
	struct dhcp_builder b;

	if (!dhcp_reply_start(&b, reply + DHCP_FRAME_HEADROOM, reply_capacity(s, m, reply_size), m,
			      DHCPNAK, 0, 0))
		return 0;
	dhcp_reply_option_u32(&b, DHCP_OPT_SERVER_ID, s->gateway);
	if (m->client_id)
		dhcp_reply_option(&b, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
	dhcp_reply_option(&b, DHCP_OPT_MESSAGE, why, strlen(why));
	return send_reply(s, m, &b, reply, DHCPNAK, 0);
}

static struct lease_request lease_request_for(const struct dhcp_server *s,
					      const struct dhcp_msg *m, int64_t now)
{
	return (struct lease_request){
		.network = s->network,
		.first = inet_from_v4(s->pool_first),
		.last = inet_from_v4(s->pool_last),
		.mac = s->cfg->vm.mac,
		.client_id = m->client_id,
		.client_id_len = m->client_id_len,
		.lease_end = now + s->cfg->dhcp.lease_time,
		.now = now,
		.self = s->self,
	};
}

/* Is @s->held in the database, written for it less than DHCP_DB_REFRESH_S ago? */
static bool held_recently_written(const struct dhcp_server *s, int64_t now)
{
	return s->held && now >= s->held_written && now - s->held_written < DHCP_DB_REFRESH_S;
}

static size_t handle_discover(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			      size_t reply_size, enum drop_reason *drop)
{
	struct lease_request req = lease_request_for(s, m, wall_now());
	char why[256] = "", text[IPV4_TEXT_LEN];
	struct inet_addr got;
	uint32_t addr;

	if (held_recently_written(s, req.now)) {
		ipv4_format(s->held, text);
		log_debug("dhcp: DISCOVER xid=0x%08x -> OFFER %s (again)", m->xid, text);
		return reply_with_config(s, m, reply, reply_size, DHCPOFFER, s->held);
	}
	req.requested = inet_from_v4(m->has_requested_addr ? m->requested_addr : 0);
	switch (lease_allocate(s->db, &req, &got, why, sizeof(why))) {
	case LEASE_OK:
		break;
	case LEASE_EXHAUSTED:
		if (!s->exhausted)
			log_warn("dhcp: no address for the VM: %s", why);
		else
			log_debug("dhcp: DISCOVER unanswered: %s", why);
		s->exhausted = true;
		*drop = DROP_DHCP_IGNORED;
		return 0;
	case LEASE_TAKEN:
	case LEASE_DB_ERROR:
		log_error("dhcp: DISCOVER unanswered: %s", why);
		*drop = DROP_DHCP_IGNORED;
		return 0;
	}
	if (s->exhausted)
		log_info("dhcp: the pool has an address for the VM again");
	s->exhausted = false;
	addr = inet_v4(&got);
	s->held = addr;
	s->held_written = req.now;
	if (s->vm_addr != addr)
		set_vm_addr(s, 0);
	ipv4_format(addr, text);
	log_debug("dhcp: DISCOVER xid=0x%08x -> OFFER %s", m->xid, text);
	return reply_with_config(s, m, reply, reply_size, DHCPOFFER, addr);
}

/**
 * handle_request() - DHCPREQUEST in each of its states (RFC 2131 4.3.2)
 * @s: the server
 * @m: the request
 * @reply: the reply frame
 * @reply_size: its capacity
 * @drop: why the request is not answered
 *
 * SELECTING carries our server identifier and the offered address (option 50);
 * INIT-REBOOT carries option 50 only; RENEWING (unicast) and REBINDING (broadcast) carry
 * ciaddr only. In every state the address is acknowledged when this VM may hold it now
 * (it holds it, or it is free) and refused with a NAK otherwise.
 *
 * Return: the reply's length, 0 for none.
 */
static size_t handle_request(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			     size_t reply_size, enum drop_reason *drop)
{
	struct lease_request req = lease_request_for(s, m, wall_now());
	char why[256] = "", text[IPV4_TEXT_LEN];
	const char *state;
	struct inet_addr got;
	uint32_t want;

	if (m->has_server_id) {
		if (m->server_id != s->gateway || !m->has_requested_addr) {
			*drop = DROP_DHCP_IGNORED; /* the VM chose another server's offer */
			return 0;
		}
		state = "selecting";
		want = m->requested_addr;
	} else if (m->has_requested_addr) {
		state = "init-reboot";
		want = m->requested_addr;
	} else if (m->ciaddr) {
		state = "renewing";
		want = m->ciaddr;
	} else {
		*drop = DROP_DHCP_IGNORED; /* asks for no address at all */
		return 0;
	}
	ipv4_format(want, text);
	if (want < s->pool_first || want > s->pool_last) {
		log_info("dhcp: REQUEST (%s) for %s: NAK, not in this network's pool", state, text);
		if (want == s->vm_addr)
			set_vm_addr(s, 0);
		return reply_nak(s, m, reply, reply_size, "address not in this network");
	}
	if (want == s->vm_addr && held_recently_written(s, req.now)) {
		log_debug("dhcp: lease %s acknowledged again (%s)", text, state);
		return reply_with_config(s, m, reply, reply_size, DHCPACK, want);
	}
	req.requested = inet_from_v4(want);
	req.requested_only = true;
	req.bind = true;
	switch (lease_allocate(s->db, &req, &got, why, sizeof(why))) {
	case LEASE_OK:
		break;
	case LEASE_TAKEN:
	case LEASE_EXHAUSTED:
		log_info("dhcp: REQUEST (%s) for %s: NAK, held by another VM or quarantined", state,
			 text);
		if (want == s->vm_addr)
			set_vm_addr(s, 0);
		return reply_nak(s, m, reply, reply_size, "address not available");
	case LEASE_DB_ERROR:
		log_error("dhcp: REQUEST unanswered: %s", why);
		*drop = DROP_DHCP_IGNORED;
		return 0;
	}
	if (s->vm_addr != want)
		log_info("dhcp: lease %s for %u s (%s)", text, s->cfg->dhcp.lease_time, state);
	else
		log_debug("dhcp: lease %s renewed for %u s (%s)", text, s->cfg->dhcp.lease_time,
			  state);
	s->held = want;
	set_vm_addr(s, want);
	s->held_written = req.now;
	return reply_with_config(s, m, reply, reply_size, DHCPACK, want);
}

static void handle_decline(struct dhcp_server *s, const struct dhcp_msg *m, enum drop_reason *drop)
{
	/*
	 * RFC 2131 4.3.3: the server must mark a declined address as not available. Whoever
	 * answered the VM's ARP for it (a host configured by hand, a VM that kept an expired
	 * lease) may hold it for a while: one lease time, after which any such VM would have
	 * had to renew, is long enough; forever would shrink a small pool for good.
	 */
	unsigned quarantine_s = s->cfg->dhcp.lease_time;
	struct inet_addr held = inet_from_v4(s->held);
	int64_t now = wall_now();
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
	if (lease_decline(s->db, s->network, &held, s->self, now + quarantine_s, now) < 0)
		log_error("lease database \"%s\": %s", s->cfg->dhcp.lease_db,
			  lease_db_sqlite_error(s->db));
	log_warn("dhcp: the VM declined %s (in use by another host): quarantined for %u s", text,
		 quarantine_s);
	s->held = 0;
	set_vm_addr(s, 0);
}

static void handle_release(struct dhcp_server *s, const struct dhcp_msg *m, enum drop_reason *drop)
{
	struct inet_addr held = inet_from_v4(s->held);
	char text[IPV4_TEXT_LEN];

	if (!m->ciaddr || m->ciaddr != s->held) {
		*drop = DROP_DHCP_IGNORED;
		return;
	}
	if (lease_release(s->db, s->network, &held, s->self, wall_now()) < 0)
		log_error("lease database \"%s\": %s", s->cfg->dhcp.lease_db,
			  lease_db_sqlite_error(s->db));
	ipv4_format(m->ciaddr, text);
	log_info("dhcp: the VM released %s", text);
	s->held = 0;
	set_vm_addr(s, 0);
}

/* One client message: the reply frame's length in @reply (0: none), or why it is dropped. */
static size_t answer(struct dhcp_server *s, const struct frame_view *v, uint8_t *reply,
		     size_t reply_size, enum drop_reason *drop)
{
	struct dhcp_msg m;
	const char *why = NULL;

	*drop = DROP_NONE;
	if (!v->payload || v->ip_more_fragments) {
		*drop = DROP_DHCP_MALFORMED;
		return 0;
	}
	if (!dhcp_msg_parse(&m, v->payload, v->payload_len, &why)) {
		log_debug("dhcp: malformed message dropped: %s", why);
		*drop = DROP_DHCP_MALFORMED;
		return 0;
	}
	if (!mac_equal(m.chaddr, s->cfg->vm.mac)) {
		*drop = DROP_DHCP_FOREIGN_MAC;
		return 0;
	}
	if (m.giaddr) {
		*drop = DROP_DHCP_IGNORED; /* a relay: the VM is no relay agent */
		return 0;
	}
	if (!budget_take(s)) {
		log_debug("dhcp: %s dropped: over the budget of %d messages, 1 per %d ms",
			  dhcp_message_type_name(m.type), DHCP_BURST, DHCP_REFILL_MS);
		*drop = DROP_DHCP_IGNORED;
		return 0;
	}
	log_debug("dhcp: %s xid=0x%08x", dhcp_message_type_name(m.type), m.xid);
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
		return reply_with_config(s, &m, reply, reply_size, DHCPACK, 0);
	default:
		*drop = DROP_DHCP_IGNORED; /* BOOTP, or a server's message type */
		return 0;
	}
}

static enum drop_reason dhcp4_handle(struct responder *r, const struct frame_view *v)
{
	struct dhcp_server *s = container_of(r, struct dhcp_server, resp);
	enum drop_reason why = DROP_NONE;
	size_t len = answer(s, v, s->reply, s->reply_cap, &why);

	if (why == DROP_NONE && len)
		r->env->send_to_vm(r->env->ctx, s->reply, len);
	return why;
}

static void dhcp4_close(struct responder *r)
{
	struct dhcp_server *s = container_of(r, struct dhcp_server, resp);

	free(s->reply);
	free(s);
}

struct responder *dhcp4_new(const struct dhcp4_setup *setup, char *err, size_t err_size)
{
	const struct config *cfg = setup->cfg;
	struct dhcp_server *s = calloc(1, sizeof(*s));
	uint32_t subnet = inet_v4(&cfg->net4.subnet.addr), end = inet_v4(&cfg->net4.range_end);
	uint32_t broadcast = subnet | ~cfg->net4.mask;
	char first[IPV4_TEXT_LEN], last[IPV4_TEXT_LEN];

	if (!s) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	*s = (struct dhcp_server){
		.resp = {.name = "dhcp", .handle = dhcp4_handle, .close = dhcp4_close},
		.cfg = cfg,
		.db = setup->db,
		.self = setup->self,
		.network = setup->network,
		.gateway = inet_v4(&cfg->net4.gateway),
		.tokens = DHCP_BURST,
		.tokens_ms = clock_mono_ms(),
		/* a whole frame of the VM's MTU, and the byte the relay's buffers have too */
		.reply_cap = (size_t)cfg->vm.mtu + ETH_HDR_LEN + 1,
	};
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
	log_info("dhcp ready lease_db=%s pool=%s-%s lease_time=%u", cfg->dhcp.lease_db, first,
		 last, cfg->dhcp.lease_time);
	return &s->resp;
}
