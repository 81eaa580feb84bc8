// SPDX-License-Identifier: MIT
/* ndp.c — the gateway's Neighbor Discovery, answered on the frame path: RAs for SLAAC, NAs, address claims */
#include "responder/ndp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/ndp_msg.h"

/** struct pending_claim - a claim that met a locked database, tried again on the timer */
struct pending_claim {
	struct inet_addr addr;
	uint64_t since_ms;
	bool used;
};

/**
 * struct ndp_server - the NDP responder of one VM
 * @last_ra_ms: when the last RA went (0: none yet)
 * @tokens, @tokens_ms: the claim budget (NDP_CLAIM_BURST, NDP_CLAIM_REFILL_MS)
 * @pending: claims waiting for the database, @wait_ms the retry's wait, @retry its timer
 * @all_nodes: ff02::1
 * @frame: where RAs and NAs are built
 */
struct ndp_server {
	struct responder resp;
	const struct vm_config *vm;
	const struct net6_config *net6;
	struct lease_db *db;
	const struct process_identity *self;
	const char *network;
	uint8_t gateway_mac[6];
	unsigned claim_s;
	struct ndp_clock clock;
	uint64_t last_ra_ms;
	unsigned tokens;
	uint64_t tokens_ms;
	struct pending_claim pending[NDP_PENDING_MAX];
	unsigned wait_ms;
	struct loop_timer retry;
	struct inet_addr all_nodes;
	bool db_error_logged;
	uint8_t frame[NDP_RA_FRAME_MAX > NDP_NA_FRAME_MAX ? NDP_RA_FRAME_MAX : NDP_NA_FRAME_MAX];
};

static int64_t real_wall_s(void)
{
	return (int64_t)time(NULL);
}

static bool is_gateway(const struct ndp_server *s, const struct inet_addr *a)
{
	return inet_equal(a, &s->net6->gateway) || inet_equal(a, &s->net6->gateway_ll);
}

static void send_frame(struct ndp_server *s, size_t len)
{
	s->resp.env->send_to_vm(s->resp.env->ctx, s->frame, len);
}

/* ---- Router Advertisements --------------------------------------------------------------- */

/* An RA from the gateway's link-local address to @dst (the soliciting VM, or all nodes). */
static void send_ra(struct ndp_server *s, const struct inet_addr *dst, uint64_t now)
{
	uint8_t group_mac[6];
	struct ip_ends e = {.src_mac = s->gateway_mac, .dst_mac = s->vm->mac,
			    .src = s->net6->gateway_ll, .dst = *dst};
	struct ndp_ra ra = {
		.hop_limit = NDP_HOP_LIMIT,
		.router_lifetime = NDP_ROUTER_LIFETIME_S,
		.sllao = s->gateway_mac,
		.mtu = s->vm->mtu,
		.prefix = s->net6->prefix,
		.valid = NDP_VALID_LIFETIME_S,
		.preferred = NDP_PREFERRED_LIFETIME_S,
		.rdnss = &s->net6->gateway,
		.rdnss_lifetime = NDP_RDNSS_LIFETIME_S,
	};

	if (inet6_is_multicast(dst)) {
		ipv6_multicast_mac(dst, group_mac);
		e.dst_mac = group_mac;
	}
	send_frame(s, ndp_build_ra(s->frame, &e, &ra));
	s->last_ra_ms = now ? now : 1;
}

/* RFC 4861 6.2.6: unicast to the solicitor, or to all nodes when it has no address yet. */
static enum drop_reason on_rs(struct ndp_server *s, const struct frame_view *v)
{
	static const struct inet_addr unspecified;
	uint64_t now = s->clock.mono_ms();

	if (s->last_ra_ms && now - s->last_ra_ms < NDP_RA_MIN_INTERVAL_MS)
		return DROP_NONE; /* the RA that just went answers it too */
	send_ra(s, inet_equal(&v->ip_src, &unspecified) ? &s->all_nodes : &v->ip_src, now);
	return DROP_NONE;
}

static void ndp_vm_active(struct responder *r, uint64_t now_ms)
{
	struct ndp_server *s = container_of(r, struct ndp_server, resp);

	(void)now_ms; /* the responder's own clock, which a test may set */
	now_ms = s->clock.mono_ms();
	if (!s->last_ra_ms || now_ms - s->last_ra_ms >= (uint64_t)NDP_REFRESH_S * 1000)
		send_ra(s, &s->all_nodes, now_ms);
}

/* ---- Neighbor Advertisements --------------------------------------------------------------- */

/*
 * An NA about @target, from @target itself, as @mac: to @dst (unicast, solicited) or to all
 * nodes (defending a claim: RFC 4862 5.4.3 has the DAD-ing node take it as a duplicate).
 */
static void send_na(struct ndp_server *s, const struct inet_addr *target,
		    const struct inet_addr *dst, uint8_t flags, const uint8_t mac[6])
{
	uint8_t group_mac[6];
	struct ip_ends e = {.src_mac = mac, .dst_mac = s->vm->mac, .src = *target, .dst = *dst};

	if (inet6_is_multicast(dst)) {
		ipv6_multicast_mac(dst, group_mac);
		e.dst_mac = group_mac;
	}
	send_frame(s, ndp_build_na(s->frame, &e, target, flags, mac));
}

/* ---- claims ------------------------------------------------------------------------------ */

static bool budget_take(struct ndp_server *s)
{
	uint64_t now = s->clock.mono_ms(), earned = (now - s->tokens_ms) / NDP_CLAIM_REFILL_MS;

	if (earned) {
		s->tokens = s->tokens + earned > NDP_CLAIM_BURST ? NDP_CLAIM_BURST
								 : s->tokens + (unsigned)earned;
		s->tokens_ms += earned * NDP_CLAIM_REFILL_MS;
	}
	if (!s->tokens)
		return false;
	s->tokens--;
	return true;
}

/* The VM holds @addr now: the guard lets it use it, and what it gave up for it goes. */
static void won(struct ndp_server *s, const struct inet_addr *addr)
{
	const struct responder_env *env = s->resp.env;
	struct inet_addr evicted;
	char text[INET_TEXT_LEN];

	inet_format(addr, text);
	log_debug("ndp: the VM claimed %s", text);
	if (!env->claim_address || !env->claim_address(env->ctx, addr, &evicted))
		return;
	inet_format(&evicted, text);
	log_debug("ndp: the VM gave up %s for it (%d addresses at most)", text, CLAIMS_MAX);
	if (lease_release_addr(s->db, s->network, &evicted, s->self) != LEASE_OK)
		log_debug("ndp: %s stays in the table until this instance ends", text);
}

/*
 * Claim @addr in the lease database. Return: LEASE_OK (won), LEASE_TAKEN (defended: the
 * holder's MAC in @holder), LEASE_BUSY (try later), LEASE_DB_ERROR.
 */
static enum lease_result claim(struct ndp_server *s, const struct inet_addr *addr,
			       uint8_t holder[6])
{
	int64_t now = s->clock.wall_s();
	enum lease_result r = lease_claim_addr(s->db, s->network, addr, s->vm->mac, s->self,
					       now + s->claim_s, now, holder);

	if (r == LEASE_OK) {
		won(s, addr);
	} else if (r == LEASE_DB_ERROR && !s->db_error_logged) {
		s->db_error_logged = true;
		log_error("ndp: the lease database refuses address claims: %s",
			  lease_db_sqlite_error(s->db));
	}
	return r;
}

static void arm_retry(struct ndp_server *s)
{
	if (s->resp.env && s->resp.env->loop)
		loop_timer_arm(s->resp.env->loop, &s->retry, clock_mono_ms() + s->wait_ms);
}

static bool hold_for_later(struct ndp_server *s, const struct inet_addr *addr)
{
	for (unsigned i = 0; i < NDP_PENDING_MAX; i++) {
		if (s->pending[i].used && !inet_equal(&s->pending[i].addr, addr))
			continue;
		if (!s->pending[i].used)
			s->pending[i] = (struct pending_claim){*addr, clock_mono_ms(), true};
		if (!loop_timer_armed(&s->retry)) {
			s->wait_ms = NDP_RETRY_FIRST_MS;
			arm_retry(s);
		}
		return true;
	}
	return false;
}

static void on_retry(struct loop_timer *t)
{
	struct ndp_server *s = container_of(t, struct ndp_server, retry);
	uint64_t now = clock_mono_ms();
	bool waiting = false;
	uint8_t holder[6];

	for (unsigned i = 0; i < NDP_PENDING_MAX; i++) {
		struct pending_claim *p = &s->pending[i];
		enum lease_result r;

		if (!p->used)
			continue;
		r = claim(s, &p->addr, holder);
		if (r == LEASE_TAKEN) /* the VM's DAD is over: it is told by its frames' refusal */
			log_debug("ndp: a late claim lost: the address is another VM's");
		if (r == LEASE_BUSY && now - p->since_ms < NDP_RETRY_GIVE_UP_MS)
			waiting = true;
		else
			p->used = false;
	}
	if (!waiting)
		return;
	s->wait_ms = s->wait_ms * 2 > NDP_RETRY_MAX_MS ? NDP_RETRY_MAX_MS : s->wait_ms * 2;
	arm_retry(s);
}

/*
 * Duplicate address detection for @target: the VM's claim. Its link-local address from its
 * MAC is its own already; the gateway's are defended as the gateway; others are the table's.
 */
static enum drop_reason on_dad(struct ndp_server *s, const struct inet_addr *target)
{
	struct inet_addr own_ll;
	uint8_t holder[6];

	inet6_link_local_of_mac(s->vm->mac, &own_ll);
	if (inet_equal(target, &own_ll))
		return DROP_NONE;
	if (is_gateway(s, target)) {
		send_na(s, target, &s->all_nodes, ND_NA_ROUTER | ND_NA_OVERRIDE, s->gateway_mac);
		return DROP_NDP_CLAIMED;
	}
	if (!budget_take(s))
		return DROP_NDP_IGNORED;
	switch (claim(s, target, holder)) {
	case LEASE_OK:
		return DROP_NONE;
	case LEASE_TAKEN:
		send_na(s, target, &s->all_nodes, ND_NA_OVERRIDE, holder);
		return DROP_NDP_CLAIMED;
	case LEASE_BUSY:
		return hold_for_later(s, target) ? DROP_NONE : DROP_NDP_IGNORED;
	default:
		return DROP_NDP_IGNORED;
	}
}

/* ---- the responder ------------------------------------------------------------------------- */

static enum drop_reason ndp_handle(struct responder *r, const struct frame_view *v)
{
	static const struct inet_addr unspecified;
	struct ndp_server *s = container_of(r, struct ndp_server, resp);
	struct ndp_msg m;

	if (!v->ip6 || v->ip_proto != IPPROTO_ICMPV6_ || !v->l4 || ndp_parse(v, &m) != DROP_NONE)
		return DROP_NDP_MALFORMED;
	if (m.type == ICMPV6_ND_RS)
		return on_rs(s, v);
	if (m.type != ICMPV6_ND_NS)
		return DROP_NDP_MALFORMED;
	if (inet_equal(&v->ip_src, &unspecified))
		return on_dad(s, &m.target);
	if (!is_gateway(s, &m.target))
		return DROP_NDP_TARGET;
	/* the gateway answers as a router (RFC 4861 7.2.4): solicited, override */
	send_na(s, &m.target, &v->ip_src, ND_NA_ROUTER | ND_NA_SOLICITED | ND_NA_OVERRIDE,
		s->gateway_mac);
	return DROP_NONE;
}

static void ndp_close(struct responder *r)
{
	struct ndp_server *s = container_of(r, struct ndp_server, resp);

	if (r->env && r->env->loop)
		loop_timer_disarm(r->env->loop, &s->retry);
	free(s);
}

struct responder *ndp_new(const struct ndp_setup *setup, char *err, size_t err_size)
{
	struct ndp_server *s = calloc(1, sizeof(*s));
	char prefix[INET_TEXT_LEN], router[INET_TEXT_LEN];

	if (!s) {
		snprintf(err, err_size, "ndp: out of memory");
		return NULL;
	}
	s->resp = (struct responder){.name = "ndp", .handle = ndp_handle,
				     .vm_active = ndp_vm_active, .close = ndp_close};
	s->vm = setup->vm;
	s->net6 = setup->net6;
	s->db = setup->db;
	s->self = setup->self;
	s->network = setup->network;
	memcpy(s->gateway_mac, setup->gateway_mac, 6);
	s->claim_s = setup->claim_s;
	s->clock = setup->clock;
	if (!s->clock.mono_ms)
		s->clock.mono_ms = clock_mono_ms;
	if (!s->clock.wall_s)
		s->clock.wall_s = real_wall_s;
	s->tokens = NDP_CLAIM_BURST;
	s->tokens_ms = s->clock.mono_ms();
	s->retry.on_expire = on_retry;
	s->all_nodes = (struct inet_addr){{0xff, 0x02, [15] = 1}};
	inet_format(&s->net6->prefix.addr, prefix);
	inet_format(&s->net6->gateway_ll, router);
	log_info("ndp ready prefix=%s/%u router=%s", prefix, s->net6->prefix.len, router);
	return &s->resp;
}
