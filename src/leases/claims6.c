// SPDX-License-Identifier: MIT
/* claims6.c — IPv6 addresses claimed by the VMs' duplicate address detection: the first claim wins */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "leases/leases_internal.h"

/*
 * A VM forms its IPv6 addresses itself (SLAAC, privacy addresses) and says which one it is
 * about to use by duplicate address detection (RFC 4862 5.4). The table makes that a claim
 * every VM of the network respects: the first running claimant holds the address, later
 * ones are told it is taken (their DAD fails, as if the holder had answered), and a holder
 * that ended lets it go without a word, as the leases do.
 */

enum lease_result lease_claim_addr(struct lease_db *db, const char *network,
				   const struct inet_addr *addr, const uint8_t mac[6],
				   const struct process_identity *self, int64_t until, int64_t now,
				   uint8_t holder[6])
{
	char mac_str[MAC_TEXT_LEN];
	enum lease_result result = LEASE_OK;
	sqlite3_stmt *s;

	mac_format(mac, mac_str);
	if (lease_tx_begin(db) < 0)
		goto fail;
	s = lease_stmt(db, ST_ADDR_CLAIM_GET, NULL);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		struct process_identity other;
		const unsigned char *their_mac = sqlite3_column_text(s, 0);

		lease_column_owner(s, 1, &other);
		if (!lease_owner_is(&other, self) &&
		    lease_owner_state(&other, &db->self, sqlite3_column_int64(s, 5), now) ==
			    OWNER_RUNNING) {
			if (!their_mac || !mac_parse((const char *)their_mac, holder))
				memset(holder, 0, 6);
			result = LEASE_TAKEN;
		}
		break;
	}
	case SQLITE_DONE:
		break;
	default:
		sqlite3_reset(s);
		goto fail;
	}
	sqlite3_reset(s);
	if (result == LEASE_OK) {
		s = lease_stmt(db, ST_ADDR_CLAIM_PUT, self);
		sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
		lease_bind_addr(s, 2, addr);
		sqlite3_bind_text(s, 3, mac_str, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, until);
		sqlite3_bind_int64(s, 5, now);
		if (lease_stmt_exec(db, s) < 0)
			goto fail;
	}
	if (lease_tx_commit(db) < 0)
		goto fail;
	return result;
fail:
	result = lease_is_busy(sqlite3_extended_errcode(db->db)) ? LEASE_BUSY : LEASE_DB_ERROR;
	lease_tx_rollback(db);
	return result;
}

enum lease_result lease_release_addr(struct lease_db *db, const char *network,
				     const struct inet_addr *addr,
				     const struct process_identity *self)
{
	sqlite3_stmt *s = lease_stmt(db, ST_ADDR_CLAIM_DEL, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	lease_bind_addr(s, 2, addr);
	if (lease_stmt_exec(db, s) == 0)
		return LEASE_OK;
	return lease_is_busy(sqlite3_extended_errcode(db->db)) ? LEASE_BUSY : LEASE_DB_ERROR;
}

int lease_list_addr_claims(struct lease_db *db,
			   void (*fn)(const struct lease_addr_claim *c, void *ctx), void *ctx,
			   char *err, size_t err_size)
{
	sqlite3_stmt *s = db->stmt[ST_ADDR_CLAIM_LIST];
	int64_t now = (int64_t)time(NULL);
	int r;

	if (!s)
		return 0; /* opened to list, before any instance made the table */
	sqlite3_reset(s);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct lease_addr_claim c = {
			.network = (const char *)sqlite3_column_text(s, 0),
			.mac = (const char *)sqlite3_column_text(s, 2),
			.claimed = sqlite3_column_int64(s, 8),
		};

		if (sqlite3_column_bytes(s, 1) == INET_ADDR_LEN)
			memcpy(c.address.b, sqlite3_column_blob(s, 1), INET_ADDR_LEN);
		lease_column_owner(s, 3, &c.owner);
		c.state = lease_owner_state(&c.owner, &db->self, sqlite3_column_int64(s, 7), now);
		if (!c.network || !c.mac)
			continue;
		fn(&c, ctx);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		lease_set_db_err(db, err, err_size);
		return -1;
	}
	return 0;
}
