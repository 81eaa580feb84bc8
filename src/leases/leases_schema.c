// SPDX-License-Identifier: MIT
/* leases_schema.c — the lease database opened: its file, integrity, schema and migration */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "leases/leases_internal.h"

/*
 * How long opening the database (and the start-up work the caller asks for before it calls
 * lease_db_wait(db, 0)) waits for other instances' transactions. An allocation holds the
 * write lock for 0.1-0.4 ms (measured with 200 leases, see test_leases.c; a few ms when it
 * checkpoints the WAL); 320 instances started at the same moment on a new database all got
 * through within LEASE_OPEN_WAIT_MS (test_leases.py). A lock held longer is someone's open
 * transaction (an operator's sqlite3, a backup): after 5 s it is reported as locked.
 */
#define LEASE_OPEN_WAIT_MS 5000
/* Between two tries of what SQLite's busy handler does not cover (the switch to WAL). */
#define LEASE_RETRY_SLEEP_MS 5

/* "SVMN": PRAGMA application_id of a sock-vmnet lease database */
#define LEASE_APPLICATION_ID 0x53564d4e
/*
 * 1: addresses as IPv4 integers, host order (sock-vmnet before the address-family
 *    redesign); opened and migrated in place (migrate_v1_sql).
 * 2: addresses as 16-byte BLOBs, IPv6 or IPv4-mapped (proto/addr.h): both families in one
 *    column; BLOBs compare as memcmp(), which for big-endian bytes is numeric order.
 */
#define LEASE_SCHEMA_VERSION 2

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS leases ("
	" network TEXT NOT NULL,"          /* the bridge: each has its own pool */
	" address BLOB NOT NULL,"          /* 16 bytes: IPv6, or IPv4-mapped */
	" mac TEXT NOT NULL DEFAULT '',"   /* the VM it was last given to; '' once declined */
	" client_id BLOB,"                 /* DHCP option 61 as the VM sent it */
	" owner_pid INTEGER NOT NULL DEFAULT 0," /* 0: nobody holds it */
	" owner_start INTEGER NOT NULL DEFAULT 0,"
	" owner_boot TEXT NOT NULL DEFAULT '',"
	" owner_pid_ns INTEGER NOT NULL DEFAULT 0,"
	" bound INTEGER NOT NULL DEFAULT 0,"      /* 1 once acknowledged, 0 while only offered */
	" expires INTEGER NOT NULL DEFAULT 0,"    /* the VM's lease end, unix time */
	" quarantined_until INTEGER NOT NULL DEFAULT 0," /* after a DHCPDECLINE */
	" updated INTEGER NOT NULL DEFAULT 0,"    /* last change: least recently used goes first */
	" PRIMARY KEY (network, address)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS leases_by_mac ON leases (network, mac);"
	"CREATE TABLE IF NOT EXISTS instances ("
	" network TEXT NOT NULL,"
	" mac TEXT NOT NULL,"
	" owner_pid INTEGER NOT NULL,"
	" owner_start INTEGER NOT NULL,"
	" owner_boot TEXT NOT NULL,"
	" owner_pid_ns INTEGER NOT NULL,"
	" until INTEGER NOT NULL," /* claim's end for an owner in another PID namespace */
	" started INTEGER NOT NULL,"
	" PRIMARY KEY (network, mac)) WITHOUT ROWID;"
	/*
	 * IPv6 addresses the VMs claimed by duplicate address detection: the first claim of an
	 * address on a network wins while its owner runs (claims6.c). A table added to schema 2
	 * as it is: an older sock-vmnet leaves it alone, so no version bump shuts it out.
	 */
	"CREATE TABLE IF NOT EXISTS addr_claims ("
	" network TEXT NOT NULL,"
	" address BLOB NOT NULL,"          /* 16 bytes */
	" mac TEXT NOT NULL,"              /* the VM's */
	" owner_pid INTEGER NOT NULL,"
	" owner_start INTEGER NOT NULL,"
	" owner_boot TEXT NOT NULL,"
	" owner_pid_ns INTEGER NOT NULL,"
	" until INTEGER NOT NULL,"         /* the claim's end for an owner in another PID namespace */
	" claimed INTEGER NOT NULL,"
	" PRIMARY KEY (network, address)) WITHOUT ROWID;";

/* ST_LIST for a schema-1 database, read as it is (the listing changes nothing) */
static const char list_v1_sql[] = "SELECT network, inet_v4(address), mac, " OWNER_COLS
				  ", bound, expires, quarantined_until, updated FROM leases "
				  "ORDER BY network, address";

/* ---- errors ---------------------------------------------------------------------------- */

void lease_set_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

const char *lease_db_sqlite_error(struct lease_db *db)
{
	return sqlite3_errmsg(db->db);
}

/* What an SQLite error means for whoever uses the file: a locked file is locked. */
static const char *what_went_wrong(int code)
{
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "is locked by another process";
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_AUTH:
		return "is not writable";
	case SQLITE_FULL:
		return "cannot grow: its file system is full";
	case SQLITE_NOTADB:
		return "is not a database";
	case SQLITE_CORRUPT:
		return "is corrupt";
	case SQLITE_IOERR:
		return "cannot be read or written";
	default:
		return "cannot be used";
	}
}

bool lease_is_busy(int code)
{
	return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
}

/* Why the last call failed, as one line about the file. */
void lease_set_db_err(struct lease_db *db, char *err, size_t err_size)
{
	int code = sqlite3_extended_errcode(db->db);

	lease_set_err(err, err_size, "\"%s\" %s (%s)", db->path, what_went_wrong(code),
		      sqlite3_errmsg(db->db));
}

void lease_db_wait(struct lease_db *db, unsigned ms)
{
	sqlite3_busy_timeout(db->db, (int)ms);
}

/* ---- opening ----------------------------------------------------------------------------- */

/* SQL inet_v4(n): schema 1's host-order IPv4 integer as schema 2's 16-byte address */
static void sql_inet_v4(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct inet_addr a = inet_from_v4((uint32_t)sqlite3_value_int64(argv[0]));

	(void)argc;
	sqlite3_result_blob(ctx, a.b, INET_ADDR_LEN, SQLITE_TRANSIENT);
}

/* SQL owner_running(pid, start, boot, pid_ns, lease_end, now): lease_owner_state() == RUNNING */
static void sql_owner_running(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct lease_db *db = sqlite3_user_data(ctx);
	const unsigned char *boot = sqlite3_value_text(argv[2]);
	struct process_identity o = {
		.pid = sqlite3_value_int64(argv[0]),
		.start_time = sqlite3_value_int64(argv[1]),
		.pid_ns = sqlite3_value_int64(argv[3]),
	};

	(void)argc;
	snprintf(o.boot_id, sizeof(o.boot_id), "%s", boot ? (const char *)boot : "");
	sqlite3_result_int(ctx, lease_owner_state(&o, &db->self, sqlite3_value_int64(argv[4]),
						  sqlite3_value_int64(argv[5])) == OWNER_RUNNING);
}

/* mkdir -p of @path's directory; directories made here are 0700. */
static int make_parent_dirs(const char *path, char *err, size_t err_size)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		lease_set_err(err, err_size, "\"%s\": path too long", path);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		struct stat st;
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 &&
		    (errno != EEXIST || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
			lease_set_err(err, err_size, "cannot create directory \"%s\": %s", dir,
				      errno == EEXIST ? "a file is in the way" : strerror(errno));
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

/* Create the file 0600 ourselves: SQLite would make it 0644, readable by everyone. */
static int create_file(const char *path, char *err, size_t err_size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		lease_set_err(err, err_size, "cannot open \"%s\": %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int exec_sql(struct lease_db *db, const char *sql)
{
	return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* One integer from a PRAGMA; -1 on error. */
static int64_t pragma_int(struct lease_db *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Whether the database has table @name (one an older version did not make). */
static bool table_exists(struct lease_db *db, const char *name)
{
	sqlite3_stmt *s;
	bool found = false;

	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
			       "name = ?1", -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* PRAGMA quick_check says "ok" for a sound database, otherwise what is wrong. */
static int check_integrity(struct lease_db *db, char *err, size_t err_size)
{
	sqlite3_stmt *s;
	int r = -1;

	if (sqlite3_prepare_v2(db->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
		lease_set_db_err(db, err, err_size);
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *what = sqlite3_column_text(s, 0);

		if (what && strcmp((const char *)what, "ok") == 0)
			r = 0;
		else
			lease_set_err(err, err_size, "\"%s\" is corrupt: %s", db->path,
				      what ? (const char *)what : "?");
	} else {
		lease_set_db_err(db, err, err_size);
	}
	sqlite3_finalize(s);
	return r;
}

/*
 * Schema 1 -> 2, in the caller's write transaction: the addresses become 16-byte BLOBs
 * (IPv4-mapped), every other column is copied as it is. A lease database written by
 * sock-vmnet before the address-family redesign keeps its leases and owners.
 */
static const char migrate_v1_sql[] =
	"CREATE TABLE leases_v2 ("
	" network TEXT NOT NULL, address BLOB NOT NULL, mac TEXT NOT NULL DEFAULT '',"
	" client_id BLOB, owner_pid INTEGER NOT NULL DEFAULT 0,"
	" owner_start INTEGER NOT NULL DEFAULT 0, owner_boot TEXT NOT NULL DEFAULT '',"
	" owner_pid_ns INTEGER NOT NULL DEFAULT 0, bound INTEGER NOT NULL DEFAULT 0,"
	" expires INTEGER NOT NULL DEFAULT 0, quarantined_until INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (network, address)) WITHOUT ROWID;"
	"INSERT INTO leases_v2 SELECT network, inet_v4(address), mac, client_id, owner_pid,"
	" owner_start, owner_boot, owner_pid_ns, bound, expires, quarantined_until, updated"
	" FROM leases;"
	"DROP TABLE leases;"
	"ALTER TABLE leases_v2 RENAME TO leases;";

/*
 * Check that the file is ours (or empty), and create or migrate the tables. Everything is
 * read and written in one transaction (a write transaction unless @read_only), so that an
 * instance creating the database at the same moment is seen either not at all or whole:
 * never its tables without its application_id.
 */
static int prepare_schema(struct lease_db *db, bool read_only, char *err, size_t err_size)
{
	int64_t app_id, version, tables;
	char pragmas[96];

	if (exec_sql(db, read_only ? "BEGIN" : "BEGIN IMMEDIATE") < 0)
		goto db_error;
	app_id = pragma_int(db, "PRAGMA application_id");
	version = pragma_int(db, "PRAGMA user_version");
	tables = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
	if (app_id < 0 || version < 0 || tables < 0)
		goto db_error;
	if (tables > 0 && app_id != LEASE_APPLICATION_ID) {
		lease_set_err(err, err_size,
			      "\"%s\" is an SQLite database of another program, "
			      "not a lease database", db->path);
		goto fail;
	}
	if (version > LEASE_SCHEMA_VERSION) {
		lease_set_err(err, err_size,
			      "\"%s\" has schema version %" PRId64
			      ", newer than this sock-vmnet knows (%d)",
			      db->path, version, LEASE_SCHEMA_VERSION);
		goto fail;
	}
	db->version = version;
	db->empty = tables == 0; /* read-only and nothing written yet: an empty list */
	if (read_only)
		return exec_sql(db, "COMMIT") < 0 ? -1 : 0;
	/* a write, so that a read-only file or directory is found now, not at the first VM */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 LEASE_APPLICATION_ID, LEASE_SCHEMA_VERSION);
	if ((version == 1 && exec_sql(db, migrate_v1_sql) < 0) || exec_sql(db, schema_sql) < 0 ||
	    exec_sql(db, pragmas) < 0 || exec_sql(db, "COMMIT") < 0)
		goto db_error;
	db->version = LEASE_SCHEMA_VERSION;
	db->empty = false;
	return 0;
db_error:
	lease_set_db_err(db, err, err_size);
fail:
	exec_sql(db, "ROLLBACK");
	return -1;
}

/*
 * The switch to WAL takes a lock that SQLite's busy handler does not wait for: a second
 * instance creating the same new database gets SQLITE_BUSY at once. Try again until the
 * open's wait is used up.
 */
static int enter_wal(struct lease_db *db)
{
	struct timespec pause = {.tv_nsec = LEASE_RETRY_SLEEP_MS * 1000000L};

	for (int waited = 0;; waited += LEASE_RETRY_SLEEP_MS) {
		if (exec_sql(db, "PRAGMA journal_mode = WAL") == 0)
			return 0;
		if (!lease_is_busy(sqlite3_extended_errcode(db->db)) ||
		    waited >= LEASE_OPEN_WAIT_MS)
			return -1;
		nanosleep(&pause, NULL);
	}
}

/*
 * Before SQLite initialises (the first open in the process): no bulk page-cache allocation.
 * By default every connection allocates room for 20 pages up front and threads a free list
 * through it, so all of it is resident at once; without it, a page is allocated when it is
 * read. The lease database is a few pages and, with other instances writing, is re-read
 * from the WAL anyway. Measured, one idle instance: SQLite's heap 290 -> 137 kB, the heap's
 * RSS 716 -> 580 kB. (SQLITE_CONFIG_LOOKASIDE 0 or 128x32 changed nothing measurable.)
 * Once SQLite has been initialised this is refused (SQLITE_MISUSE) and changes nothing.
 */
static void sqlite_configure(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

struct lease_db *lease_db_open(const char *path, bool read_only, char *err, size_t err_size)
{
	struct lease_db *db = calloc(1, sizeof(*db));
	int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	struct stat st;
	int r;

	if (!db) {
		lease_set_err(err, err_size, "out of memory");
		return NULL;
	}
	snprintf(db->path, sizeof(db->path), "%s", path);
	r = process_identity_self(&db->self);
	if (r < 0) {
		lease_set_err(err, err_size, "cannot tell this process's identity: %s",
			      strerror(-r));
		goto fail;
	}
	if (read_only) {
		if (stat(path, &st) < 0) {
			lease_set_err(err, err_size, "\"%s\": %s", path, strerror(errno));
			goto fail;
		}
	} else if (make_parent_dirs(path, err, err_size) < 0 ||
		   create_file(path, err, err_size) < 0) {
		goto fail;
	}
	sqlite_configure();
	if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		lease_set_err(err, err_size, "cannot open \"%s\": %s", path,
			      db->db ? sqlite3_errmsg(db->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, LEASE_OPEN_WAIT_MS);
	sqlite3_create_function(db->db, "owner_running", 6, SQLITE_UTF8 | SQLITE_DIRECTONLY, db,
				sql_owner_running, NULL, NULL);
	sqlite3_create_function(db->db, "inet_v4", 1,
				SQLITE_UTF8 | SQLITE_DIRECTONLY | SQLITE_DETERMINISTIC, NULL,
				sql_inet_v4, NULL, NULL);
	/*
	 * WAL: readers never wait for the writer, and the -wal/-shm files are opened once
	 * and kept, so the database stays writable after privileges are dropped.
	 * synchronous=NORMAL: a commit survives the process dying (SIGKILL included); only
	 * power loss can undo the last commits, and after a reboot every owner is gone anyway.
	 */
	if (!read_only && (enter_wal(db) < 0 || exec_sql(db, "PRAGMA synchronous = NORMAL") < 0)) {
		lease_set_db_err(db, err, err_size);
		goto fail;
	}
	if (check_integrity(db, err, err_size) < 0 ||
	    prepare_schema(db, read_only, err, err_size) < 0)
		goto fail;
	db->read_only = read_only;
	for (int i = 0; i < ST__COUNT && !db->empty; i++) {
		const char *sql = lease_stmt_sql[i];

		if (read_only && i != ST_LIST && i != ST_PEEK && i != ST_ADDR_CLAIM_LIST)
			continue;
		/* a database no instance of this version has written yet has no claims */
		if (read_only && i == ST_ADDR_CLAIM_LIST && !table_exists(db, "addr_claims"))
			continue;
		if (read_only && i == ST_PEEK && db->version == 1)
			continue;
		/* listing a schema-1 database that no instance of this version has opened yet */
		if (i == ST_LIST && db->version == 1)
			sql = list_v1_sql;
		if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[i],
				       NULL) != SQLITE_OK) {
			lease_set_err(err, err_size, "\"%s\": %s", path, sqlite3_errmsg(db->db));
			goto fail;
		}
	}
	return db;
fail:
	lease_db_close(db);
	return NULL;
}

void lease_db_close(struct lease_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->db);
	free(db);
}
