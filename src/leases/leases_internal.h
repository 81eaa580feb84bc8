/* SPDX-License-Identifier: MIT */
/* leases_internal.h — the lease database's handle and statements, shared by src/leases only */
#ifndef SVM_LEASES_LEASES_INTERNAL_H
#define SVM_LEASES_LEASES_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leases/leases.h"

/* an address column: 16 bytes, IPv6 or IPv4-mapped (proto/addr.h) */
#define INET_ADDR_LEN 16

/* The prepared statements of a lease database (lease_stmt_sql[], leases.c) */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_CLAIM_GET,
	ST_CLAIM_PUT,
	ST_CLAIM_DEL,
	ST_CLAIM_EXTEND,
	ST_CLAIM_PRUNE,
	ST_ROW_GET,
	ST_BY_MAC,
	ST_IN_POOL,
	ST_LRU,
	ST_TAKE,
	ST_LET_GO_OTHERS,
	ST_LET_GO_ALL,
	ST_RELEASE,
	ST_DECLINE,
	ST_LIST,
	ST_PEEK,
	ST_ADDR_CLAIM_GET,
	ST_ADDR_CLAIM_PUT,
	ST_ADDR_CLAIM_DEL,
	ST_ADDR_CLAIM_DEL_ALL,
	ST_ADDR_CLAIM_LIST,
	ST__COUNT
};

/* the owner's columns, in the order column_owner() reads them */
#define OWNER_COLS "owner_pid, owner_start, owner_boot, owner_pid_ns"

/*
 * The SQL of each statement (leases.c, next to the code that binds its parameters);
 * lease_db_open() prepares them (leases_schema.c).
 */
extern const char *const lease_stmt_sql[ST__COUNT];

/**
 * struct lease_db - an open lease database
 * @db: the SQLite connection
 * @stmt: the statements of lease_stmt_sql[], prepared (a read-only handle: only the listing's)
 * @self: this process, for the liveness checks of others
 * @empty: opened read-only before any instance made the tables
 * @read_only: for listing: only ST_LIST and ST_PEEK are prepared
 * @version: the schema found (read-only: perhaps older than ours)
 * @path: the file, for messages
 * @peek_mac: lease_peek()'s row.mac
 */
struct lease_db {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	struct process_identity self;
	bool empty;
	bool read_only;
	int64_t version;
	char path[PATH_MAX];
	char peek_mac[MAC_TEXT_LEN];
};

/** lease_set_err() - @err, if there is one, set to the formatted message */
__attribute__((format(printf, 3, 4))) void lease_set_err(char *err, size_t err_size,
							 const char *fmt, ...);

/** lease_set_db_err() - why the last SQLite call on @db failed, as one line about the file */
void lease_set_db_err(struct lease_db *db, char *err, size_t err_size);

/** lease_is_busy() - does the SQLite result @code mean another process holds the lock? */
bool lease_is_busy(int code);

/* ---- leases.c's plumbing, shared with claims6.c ------------------------------------------- */

/** lease_stmt() - statement @id, reset, with @self bound to ?10..?13 when it uses them */
sqlite3_stmt *lease_stmt(struct lease_db *db, enum stmt_id id, const struct process_identity *self);
/** lease_stmt_exec() - run a statement that returns no row. Return: 0 or -1 */
int lease_stmt_exec(struct lease_db *db, sqlite3_stmt *s);
int lease_tx_begin(struct lease_db *db);
int lease_tx_commit(struct lease_db *db);
void lease_tx_rollback(struct lease_db *db);
/** lease_column_owner() - columns @col.. of @s hold OWNER_COLS: read them into @o */
void lease_column_owner(sqlite3_stmt *s, int col, struct process_identity *o);
void lease_bind_addr(sqlite3_stmt *s, int col, const struct inet_addr *a);
/** lease_owner_is() - the same process (pid, start time, boot) */
bool lease_owner_is(const struct process_identity *a, const struct process_identity *b);

#endif
