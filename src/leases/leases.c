// SPDX-License-Identifier: MIT
/* leases.c — the lease database's allocation: owners, MAC claims, addresses held and let go */
#include "leases/leases.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "leases/leases_internal.h"

#define SELF_IS_OWNER "owner_pid = ?10 AND owner_start = ?11 AND owner_boot = ?12"

/* Parameters ?10..?13 are always the calling instance (bound by lease_stmt()). */
const char *const lease_stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_CLAIM_GET] =
		"SELECT " OWNER_COLS ", until FROM instances WHERE network = ?1 AND mac = ?2",
	[ST_CLAIM_PUT] = "INSERT OR REPLACE INTO instances (network, mac, " OWNER_COLS
			 ", until, started) VALUES (?1, ?2, ?10, ?11, ?12, ?13, ?3, ?4)",
	[ST_CLAIM_DEL] = "DELETE FROM instances WHERE network = ?1 AND mac = ?2 AND " SELF_IS_OWNER,
	/* claims of instances that ended without unclaiming (SIGKILL): one row per MAC each */
	[ST_CLAIM_PRUNE] =
		"DELETE FROM instances WHERE NOT owner_running(" OWNER_COLS ", until, ?1)",
	[ST_CLAIM_EXTEND] = "UPDATE instances SET until = max(until, ?3) WHERE network = ?1 AND "
			    "mac = ?2 AND " SELF_IS_OWNER,
	[ST_ROW_GET] = "SELECT " OWNER_COLS ", expires, quarantined_until FROM leases "
		       "WHERE network = ?1 AND address = ?2",
	[ST_BY_MAC] = "SELECT address, " OWNER_COLS ", expires FROM leases WHERE network = ?1 AND "
		      "mac = ?2 AND address BETWEEN ?3 AND ?4 AND quarantined_until <= ?5 "
		      "ORDER BY (" SELF_IS_OWNER ") DESC, updated DESC, address",
	/* the addresses of [?2, ?3] that have a row, in order: the first gap was never used */
	[ST_IN_POOL] = "SELECT address FROM leases WHERE network = ?1 AND address BETWEEN ?2 AND ?3 "
		       "ORDER BY address",
	[ST_LRU] =
		"SELECT address, " OWNER_COLS ", expires FROM leases WHERE network = ?1 AND "
		"address BETWEEN ?2 AND ?3 AND quarantined_until <= ?4 ORDER BY updated, address",
	/*
	 * Held (again) by the caller. A lease it had bound stays bound when it is only offered
	 * again (a DISCOVER from a VM that holds it): "offered" is for an address the VM has
	 * not acknowledged, and `sock-vmnet leases` would say so.
	 */
	[ST_TAKE] = "INSERT INTO leases (network, address, mac, client_id, " OWNER_COLS
		    ", bound, expires, quarantined_until, updated) "
		    "VALUES (?1, ?2, ?3, ?4, ?10, ?11, ?12, ?13, ?5, ?6, 0, ?7) "
		    "ON CONFLICT (network, address) DO UPDATE SET mac = excluded.mac, "
		    "client_id = excluded.client_id, bound = CASE WHEN " SELF_IS_OWNER
		    " AND mac = excluded.mac THEN max(bound, excluded.bound) ELSE excluded.bound "
		    "END, owner_pid = ?10, owner_start = ?11, owner_boot = ?12, owner_pid_ns = ?13, "
		    "expires = excluded.expires, quarantined_until = 0, updated = excluded.updated",
	[ST_LET_GO_OTHERS] =
		"UPDATE leases SET owner_pid = 0, owner_start = 0, owner_boot = '', "
		"owner_pid_ns = 0, bound = 0, expires = min(expires, ?3), updated = ?3 "
		"WHERE network = ?1 AND address != ?2 AND " SELF_IS_OWNER,
	[ST_LET_GO_ALL] = "UPDATE leases SET owner_pid = 0, owner_start = 0, owner_boot = '', "
			  "owner_pid_ns = 0, bound = 0, expires = min(expires, ?2), updated = ?2 "
			  "WHERE network = ?1 AND " SELF_IS_OWNER,
	[ST_RELEASE] = "UPDATE leases SET owner_pid = 0, owner_start = 0, owner_boot = '', "
		       "owner_pid_ns = 0, bound = 0, expires = min(expires, ?3), updated = ?3 "
		       "WHERE network = ?1 AND address = ?2 AND " SELF_IS_OWNER,
	[ST_DECLINE] = "UPDATE leases SET owner_pid = 0, owner_start = 0, owner_boot = '', "
		       "owner_pid_ns = 0, bound = 0, mac = '', client_id = NULL, expires = ?3, "
		       "quarantined_until = ?4, updated = ?3 "
		       "WHERE network = ?1 AND address = ?2 AND " SELF_IS_OWNER,
	[ST_LIST] = "SELECT network, address, mac, " OWNER_COLS ", bound, expires, "
		    "quarantined_until, updated FROM leases ORDER BY network, address",
	[ST_PEEK] = "SELECT network, address, mac, " OWNER_COLS ", bound, expires, "
		    "quarantined_until, updated FROM leases WHERE network = ?1 AND address = ?2",
	/* IPv6 addresses claimed by duplicate address detection (claims6.c) */
	[ST_ADDR_CLAIM_GET] = "SELECT mac, " OWNER_COLS ", until FROM addr_claims "
			      "WHERE network = ?1 AND address = ?2",
	[ST_ADDR_CLAIM_PUT] = "INSERT OR REPLACE INTO addr_claims (network, address, mac, "
			      OWNER_COLS ", until, claimed) VALUES (?1, ?2, ?3, ?10, ?11, ?12, "
			      "?13, ?4, ?5)",
	[ST_ADDR_CLAIM_DEL] = "DELETE FROM addr_claims WHERE network = ?1 AND address = ?2 AND "
			      SELF_IS_OWNER,
	[ST_ADDR_CLAIM_DEL_ALL] = "DELETE FROM addr_claims WHERE network = ?1 AND " SELF_IS_OWNER,
	[ST_ADDR_CLAIM_LIST] = "SELECT network, address, mac, " OWNER_COLS ", until, claimed "
			       "FROM addr_claims ORDER BY network, address",
};

/* ---- owners ------------------------------------------------------------------------- */

enum lease_owner_state lease_owner_state(const struct process_identity *o,
					 const struct process_identity *self, int64_t lease_end,
					 int64_t now)
{
	int64_t start;

	if (o->pid <= 0)
		return OWNER_NONE;
	if (strcmp(o->boot_id, self->boot_id) != 0)
		return OWNER_GONE;
	if (!o->pid_ns || o->pid_ns != self->pid_ns)
		return lease_end > now ? OWNER_RUNNING : OWNER_GONE;
	if (o->pid == self->pid && o->start_time == self->start_time)
		return OWNER_RUNNING;
	if (process_start_time(o->pid, &start) < 0)
		return OWNER_GONE;
	return start == o->start_time ? OWNER_RUNNING : OWNER_GONE;
}

bool lease_owner_is(const struct process_identity *a, const struct process_identity *b)
{
	return a->pid == b->pid && a->start_time == b->start_time &&
	       strcmp(a->boot_id, b->boot_id) == 0;
}

/* ---- SQLite plumbing ----------------------------------------------------------------- */

/* The result of a failed write: busy (try again later) or a real error. */
static enum lease_result failure(struct lease_db *db)
{
	return lease_is_busy(sqlite3_extended_errcode(db->db)) ? LEASE_BUSY : LEASE_DB_ERROR;
}

/* A statement, reset, with the calling instance bound to ?10..?13 when it uses them. */
sqlite3_stmt *lease_stmt(struct lease_db *db, enum stmt_id id, const struct process_identity *self)
{
	sqlite3_stmt *s = db->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (self && sqlite3_bind_parameter_count(s) >= 10) {
		sqlite3_bind_int64(s, 10, self->pid);
		sqlite3_bind_int64(s, 11, self->start_time);
		sqlite3_bind_text(s, 12, self->boot_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_bind_parameter_count(s) >= 13)
			sqlite3_bind_int64(s, 13, self->pid_ns);
	}
	return s;
}

/* Run a statement that returns no row. */
int lease_stmt_exec(struct lease_db *db, sqlite3_stmt *s)
{
	int r = sqlite3_step(s);

	sqlite3_reset(s);
	(void)db;
	return r == SQLITE_DONE ? 0 : -1;
}

int lease_tx_begin(struct lease_db *db)
{
	return lease_stmt_exec(db, lease_stmt(db, ST_BEGIN, NULL));
}

int lease_tx_commit(struct lease_db *db)
{
	return lease_stmt_exec(db, lease_stmt(db, ST_COMMIT, NULL));
}

void lease_tx_rollback(struct lease_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		lease_stmt_exec(db, lease_stmt(db, ST_ROLLBACK, NULL));
}

/* Columns @col.. hold OWNER_COLS: read them into @o. */
void lease_column_owner(sqlite3_stmt *s, int col, struct process_identity *o)
{
	const unsigned char *boot = sqlite3_column_text(s, col + 2);

	*o = (struct process_identity){
		.pid = sqlite3_column_int64(s, col),
		.start_time = sqlite3_column_int64(s, col + 1),
		.pid_ns = sqlite3_column_int64(s, col + 3),
	};
	snprintf(o->boot_id, sizeof(o->boot_id), "%s", boot ? (const char *)boot : "");
}

void lease_bind_addr(sqlite3_stmt *s, int col, const struct inet_addr *a)
{
	sqlite3_bind_blob(s, col, a->b, INET_ADDR_LEN, SQLITE_TRANSIENT);
}

/* An address column; a value of the wrong size (a foreign row) reads as :: */
static struct inet_addr column_addr(sqlite3_stmt *s, int col)
{
	struct inet_addr a = {{0}};

	if (sqlite3_column_bytes(s, col) == INET_ADDR_LEN)
		memcpy(a.b, sqlite3_column_blob(s, col), INET_ADDR_LEN);
	return a;
}

/* ---- claims: one running instance per MAC and bridge ----------------------------------- */

int lease_claim_mac(struct lease_db *db, const char *network, const uint8_t mac[6],
		    const struct process_identity *self, int64_t until, int64_t now,
		    int64_t *holder, char *err, size_t err_size)
{
	char mac_str[MAC_TEXT_LEN];
	sqlite3_stmt *s;
	int result = 0;

	mac_format(mac, mac_str);
	*holder = 0;
	if (lease_tx_begin(db) < 0)
		goto db_error;
	s = lease_stmt(db, ST_CLAIM_GET, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		struct process_identity other;

		lease_column_owner(s, 0, &other);
		if (!lease_owner_is(&other, self) &&
		    lease_owner_state(&other, &db->self, sqlite3_column_int64(s, 4), now) ==
			    OWNER_RUNNING) {
			*holder = other.pid;
			result = 1;
		}
		break;
	}
	case SQLITE_DONE:
		break;
	default:
		sqlite3_reset(s);
		goto db_error;
	}
	sqlite3_reset(s);
	if (result == 0) {
		s = lease_stmt(db, ST_CLAIM_PRUNE, NULL);
		sqlite3_bind_int64(s, 1, now);
		if (lease_stmt_exec(db, s) < 0)
			goto db_error;
		s = lease_stmt(db, ST_CLAIM_PUT, self);
		sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, until);
		sqlite3_bind_int64(s, 4, now);
		if (lease_stmt_exec(db, s) < 0)
			goto db_error;
	}
	if (lease_tx_commit(db) < 0)
		goto db_error;
	return result;
db_error:
	lease_set_db_err(db, err, err_size);
	lease_tx_rollback(db);
	return -1;
}

int lease_unclaim(struct lease_db *db, const char *network, const uint8_t mac[6],
		  const struct process_identity *self, int64_t now)
{
	char mac_str[MAC_TEXT_LEN];
	sqlite3_stmt *s;

	mac_format(mac, mac_str);
	if (lease_tx_begin(db) < 0)
		return -1;
	s = lease_stmt(db, ST_LET_GO_ALL, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	if (lease_stmt_exec(db, s) < 0)
		goto fail;
	s = lease_stmt(db, ST_CLAIM_DEL, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
	if (lease_stmt_exec(db, s) < 0)
		goto fail;
	s = lease_stmt(db, ST_ADDR_CLAIM_DEL_ALL, self); /* the VM's IPv6 addresses go too */
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	if (lease_stmt_exec(db, s) < 0 || lease_tx_commit(db) < 0)
		goto fail;
	return 0;
fail:
	lease_tx_rollback(db);
	return -1;
}

/* ---- allocation ----------------------------------------------------------------------- */

/*
 * Is the row in the current result of @s (OWNER_COLS at @col, expires after) free for
 * @req? This process looks its owner up, as it sees /proc (@req->self is who asks, which
 * is this process but for tests).
 */
static bool row_is_free(struct lease_db *db, sqlite3_stmt *s, int col,
			const struct lease_request *req)
{
	struct process_identity o;

	lease_column_owner(s, col, &o);
	if (lease_owner_is(&o, req->self))
		return true;
	return lease_owner_state(&o, &db->self, sqlite3_column_int64(s, col + 4), req->now) !=
	       OWNER_RUNNING;
}

static bool in_range(const struct inet_addr *a, const struct inet_addr *first,
		     const struct inet_addr *last)
{
	return memcmp(a->b, first->b, INET_ADDR_LEN) >= 0 &&
	       memcmp(a->b, last->b, INET_ADDR_LEN) <= 0;
}

/* The requested address, if it is in the pool and free. Return: 1 free, 0 not, -1 error. */
static int requested_is_free(struct lease_db *db, const struct lease_request *req)
{
	sqlite3_stmt *s;
	int r;

	if (!in_range(&req->requested, &req->first, &req->last))
		return 0;
	s = lease_stmt(db, ST_ROW_GET, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, &req->requested);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		r = 1; /* never handed out */
	else if (r == SQLITE_ROW)
		r = sqlite3_column_int64(s, 5) <= req->now && row_is_free(db, s, 0, req);
	else
		r = -1;
	sqlite3_reset(s);
	return r;
}

/* The most recent address this MAC had that is free. Return: 1 found, 0 none, -1 error. */
static int find_sticky(struct lease_db *db, const struct lease_request *req, const char *mac,
		       struct inet_addr *addr)
{
	sqlite3_stmt *s = lease_stmt(db, ST_BY_MAC, req->self);
	int r;

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac, -1, SQLITE_STATIC);
	lease_bind_addr(s, 3, &req->first);
	lease_bind_addr(s, 4, &req->last);
	sqlite3_bind_int64(s, 5, req->now);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_is_free(db, s, 1, req)) {
			*addr = column_addr(s, 0);
			sqlite3_reset(s);
			return 1;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : -1;
}

/* @a + 1, as a 128-bit big-endian number. Return: false when it wrapped. */
static bool addr_next(struct inet_addr *a)
{
	for (int i = INET_ADDR_LEN - 1; i >= 0; i--)
		if (++a->b[i] != 0)
			return true;
	return false;
}

/* The lowest address of the pool that has no row: the first gap in the ordered rows. */
static int find_never_used(struct lease_db *db, const struct lease_request *req,
			   struct inet_addr *addr)
{
	sqlite3_stmt *s = lease_stmt(db, ST_IN_POOL, NULL);
	struct inet_addr want = req->first;
	bool past_end = false;
	int r;

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, &req->first);
	lease_bind_addr(s, 3, &req->last);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct inet_addr row = column_addr(s, 0);

		if (!inet_equal(&row, &want))
			break; /* a gap: @want was never handed out */
		past_end = !addr_next(&want);
	}
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return -1;
	if (past_end || !in_range(&want, &req->first, &req->last))
		return 0;
	*addr = want;
	return 1;
}

/* The least recently used free address; counts what is held when there is none. */
static int find_least_recent(struct lease_db *db, const struct lease_request *req,
			     struct inet_addr *addr, unsigned *held)
{
	sqlite3_stmt *s = lease_stmt(db, ST_LRU, req->self);
	int r;

	*held = 0;
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, &req->first);
	lease_bind_addr(s, 3, &req->last);
	sqlite3_bind_int64(s, 4, req->now);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_is_free(db, s, 1, req)) {
			*addr = column_addr(s, 0);
			sqlite3_reset(s);
			return 1;
		}
		(*held)++;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : -1;
}

/* Write @addr as held by @req->self for @req->mac, and let go of anything else it held. */
static int take(struct lease_db *db, const struct lease_request *req, const char *mac,
		const struct inet_addr *addr)
{
	sqlite3_stmt *s = lease_stmt(db, ST_TAKE, req->self);

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	sqlite3_bind_text(s, 3, mac, -1, SQLITE_STATIC);
	if (req->client_id && req->client_id_len)
		sqlite3_bind_blob(s, 4, req->client_id, (int)req->client_id_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, req->bind);
	sqlite3_bind_int64(s, 6, req->lease_end);
	sqlite3_bind_int64(s, 7, req->now);
	if (lease_stmt_exec(db, s) < 0)
		return -1;
	s = lease_stmt(db, ST_LET_GO_OTHERS, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	sqlite3_bind_int64(s, 3, req->now);
	if (lease_stmt_exec(db, s) < 0)
		return -1;
	/* keep the MAC claim alive as long as the lease, for owners out of /proc's sight */
	s = lease_stmt(db, ST_CLAIM_EXTEND, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, req->lease_end);
	return lease_stmt_exec(db, s);
}

/* How many addresses [@first, @last] holds, for messages (capped: IPv6 pools are huge). */
static unsigned pool_size(const struct inet_addr *first, const struct inet_addr *last)
{
	uint64_t f = 0, l = 0;

	for (int i = 8; i < INET_ADDR_LEN; i++) {
		f = f << 8 | first->b[i];
		l = l << 8 | last->b[i];
	}
	return memcmp(first->b, last->b, 8) != 0 || l - f >= UINT32_MAX ? UINT32_MAX
									 : (unsigned)(l - f + 1);
}

enum lease_result lease_allocate(struct lease_db *db, const struct lease_request *req,
				 struct inet_addr *addr, char *err, size_t err_size)
{
	char mac[MAC_TEXT_LEN];
	enum lease_result result = LEASE_OK;
	unsigned held = 0;
	int found = 0;

	mac_format(req->mac, mac);
	if (lease_tx_begin(db) < 0)
		goto db_error;
	if (req->requested_only) {
		found = requested_is_free(db, req);
		*addr = req->requested;
		if (found == 0)
			result = LEASE_TAKEN;
	} else {
		found = find_sticky(db, req, mac, addr);
		if (found == 0 && !inet_is_unspecified(&req->requested)) {
			found = requested_is_free(db, req);
			*addr = req->requested;
		}
		if (found == 0)
			found = find_never_used(db, req, addr);
		if (found == 0)
			found = find_least_recent(db, req, addr, &held);
		if (found == 0) {
			result = LEASE_EXHAUSTED;
			lease_set_err(err, err_size,
				      "pool exhausted: all %u addresses held by running "
				      "instances or quarantined after a decline (%u held)",
				      pool_size(&req->first, &req->last), held);
		}
	}
	if (found < 0 || (found == 1 && take(db, req, mac, addr) < 0))
		goto db_error;
	if (lease_tx_commit(db) < 0)
		goto db_error;
	return result;
db_error:
	lease_set_db_err(db, err, err_size);
	result = failure(db);
	lease_tx_rollback(db);
	return result;
}

enum lease_result lease_release(struct lease_db *db, const char *network,
				const struct inet_addr *addr, const struct process_identity *self,
				int64_t now)
{
	sqlite3_stmt *s = lease_stmt(db, ST_RELEASE, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	sqlite3_bind_int64(s, 3, now);
	return lease_stmt_exec(db, s) == 0 ? LEASE_OK : failure(db);
}

enum lease_result lease_decline(struct lease_db *db, const char *network,
				const struct inet_addr *addr, const struct process_identity *self,
				int64_t until, int64_t now)
{
	sqlite3_stmt *s = lease_stmt(db, ST_DECLINE, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, until);
	return lease_stmt_exec(db, s) == 0 ? LEASE_OK : failure(db);
}

/* The current result of ST_LIST or ST_PEEK as a row; its strings live until the reset. */
static void read_row(struct lease_db *db, sqlite3_stmt *s, int64_t now, struct lease_row *row)
{
	*row = (struct lease_row){
		.network = (const char *)sqlite3_column_text(s, 0),
		.address = column_addr(s, 1),
		.mac = (const char *)sqlite3_column_text(s, 2),
		.bound = sqlite3_column_int(s, 7) != 0,
		.expires = sqlite3_column_int64(s, 8),
		.quarantined_until = sqlite3_column_int64(s, 9),
		.updated = sqlite3_column_int64(s, 10),
	};
	lease_column_owner(s, 3, &row->owner);
	row->state = lease_owner_state(&row->owner, &db->self, row->expires, now);
	if (!row->network)
		row->network = "";
	if (!row->mac)
		row->mac = "";
}

int lease_list(struct lease_db *db, void (*fn)(const struct lease_row *row, void *ctx), void *ctx,
	       char *err, size_t err_size)
{
	int64_t now = time(NULL);
	sqlite3_stmt *s;
	int r;

	if (db->empty)
		return 0;
	s = lease_stmt(db, ST_LIST, NULL);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct lease_row row;

		read_row(db, s, now, &row);
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		lease_set_db_err(db, err, err_size);
		return -1;
	}
	return 0;
}

int lease_peek(struct lease_db *db, const char *network, const struct inet_addr *addr,
	       struct lease_row *row)
{
	sqlite3_stmt *s = lease_stmt(db, ST_PEEK, NULL);
	int r;

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		read_row(db, s, time(NULL), row);
		snprintf(db->peek_mac, sizeof(db->peek_mac), "%s", row->mac);
		row->mac = db->peek_mac;
		row->network = network;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}
