// SPDX-License-Identifier: MIT
/* dhcp4_lease.c — the DHCP server and the lease database: its requests, and the writes it owes */
#include "core/clock.h"
#include "core/log.h"
#include "proto/addr.h"
#include "responder/dhcp4_internal.h"

/*
 * A lease this instance holds is answered from memory; the database is written for it again
 * (its expiry moved on) only when the last write is older than this: a VM flooding DHCP
 * costs the shared database at most one write per 10 s (each write takes the lock that
 * every instance's allocation waits for), while the lease's expiry in the database lags by
 * at most 10 s (it matters only for owners in another PID namespace).
 */
#define DHCP_DB_REFRESH_S 10

/*
 * What the database owes (a renewal answered from memory, a release, a decline while it
 * could not be written) is written again after 100 ms, the wait doubling to 10 s: a full
 * disk or a locked file may last minutes, and a failed try costs ~0.1 ms.
 */
#define DHCP_DEBT_FIRST_MS 100
#define DHCP_DEBT_MAX_MS 10000

/* ---- the requests ------------------------------------------------------------------------- */

struct lease_request dhcp4_lease_request(const struct dhcp_server *s, const struct dhcp_msg *m,
					 int64_t now)
{
	return (struct lease_request){
		.network = s->network,
		.first = inet_from_v4(s->pool_first),
		.last = inet_from_v4(s->pool_last),
		.mac = s->vm->mac,
		.client_id = m ? m->client_id : NULL,
		.client_id_len = m ? m->client_id_len : 0,
		.lease_end = now + s->cfg->lease_time,
		.now = now,
		.self = s->self,
	};
}

/* ---- the database's debt: what it must be told once it can be written ---------------- */

static void arm_debt(struct dhcp_server *s)
{
	if (!s->resp.env || !s->resp.env->loop)
		return;
	if (!s->debt_wait_ms)
		s->debt_wait_ms = DHCP_DEBT_FIRST_MS;
	loop_timer_arm(s->resp.env->loop, &s->debt_timer, clock_mono_ms() + s->debt_wait_ms);
	s->debt_wait_ms = s->debt_wait_ms * 2 > DHCP_DEBT_MAX_MS ? DHCP_DEBT_MAX_MS
								 : s->debt_wait_ms * 2;
}

bool dhcp4_pay_debt(struct dhcp_server *s)
{
	struct inet_addr addr = inet_from_v4(s->debt == DEBT_REFRESH ? s->held : s->debt_addr);
	struct lease_request req = dhcp4_lease_request(s, NULL, s->clock.wall_s());
	enum lease_result r = LEASE_OK;
	char why[256] = "";

	switch (s->debt) {
	case DEBT_NONE:
		return true;
	case DEBT_REFRESH:
		if (!s->held)
			break;
		req.requested = addr;
		req.requested_only = true;
		req.bind = s->held_bound;
		r = lease_allocate(s->db, &req, &addr, why, sizeof(why));
		if (r == LEASE_OK)
			s->held_written = req.now;
		break;
	case DEBT_RELEASE:
		r = lease_release(s->db, s->network, &addr, s->self, req.now);
		break;
	case DEBT_DECLINE:
		r = lease_decline(s->db, s->network, &addr, s->self, s->debt_until, req.now);
		break;
	}
	if (r == LEASE_BUSY || r == LEASE_DB_ERROR) {
		log_debug("dhcp: the lease database cannot be written yet: %s",
			  why[0] ? why : lease_db_sqlite_error(s->db));
		return false;
	}
	if (r != LEASE_OK) /* another instance has the address: nothing of ours to write */
		log_warn("dhcp: the lease of the VM could not be written back: %s", why);
	else if (s->debt_wait_ms > DHCP_DEBT_FIRST_MS)
		log_info("dhcp: the lease database took the writes it owed the VM again");
	s->debt = DEBT_NONE;
	s->debt_wait_ms = 0;
	return true;
}

void dhcp4_owe(struct dhcp_server *s, enum db_debt debt, uint32_t addr, int64_t until)
{
	/* a quarantine is not given up for a later refresh: it protects another host */
	if (s->debt == DEBT_DECLINE && debt == DEBT_REFRESH && !dhcp4_pay_debt(s))
		return;
	s->debt = debt;
	s->debt_addr = addr;
	s->debt_until = until;
	s->debt_wait_ms = 0;
	if (!dhcp4_pay_debt(s))
		arm_debt(s);
}

void dhcp4_on_debt_timer(struct loop_timer *t)
{
	struct dhcp_server *s = container_of(t, struct dhcp_server, debt_timer);

	if (!dhcp4_pay_debt(s))
		arm_debt(s);
}

/* ---- the lease held: answered from memory, written when due ---------------------------- */

void dhcp4_hold_again(struct dhcp_server *s, bool bind)
{
	int64_t now = s->clock.wall_s();

	if (bind && !s->held_bound)
		s->held_written = 0;
	s->held_bound |= bind;
	if (now < s->held_written || now - s->held_written >= DHCP_DB_REFRESH_S)
		dhcp4_owe(s, DEBT_REFRESH, s->held, 0);
}
