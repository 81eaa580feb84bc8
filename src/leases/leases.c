// SPDX-License-Identifier: MIT
/* leases.c — the lease database shared by every sock-vmnet on the host (SQLite) */
#include "leases/leases.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
 *    redesign); opened and migrated in place (migrate_v1()).
 * 2: addresses as 16-byte BLOBs, IPv6 or IPv4-mapped (proto/addr.h): both families in one
 *    column; BLOBs compare as memcmp(), which for big-endian bytes is numeric order.
 */
#define LEASE_SCHEMA_VERSION 2
#define INET_ADDR_LEN 16

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
	" PRIMARY KEY (network, mac)) WITHOUT ROWID;";

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
	ST__COUNT
};

#define OWNER_COLS "owner_pid, owner_start, owner_boot, owner_pid_ns"
#define SELF_IS_OWNER "owner_pid = ?10 AND owner_start = ?11 AND owner_boot = ?12"

/* Parameters ?10..?13 are always the calling instance (bound by stmt_get()). */
static const char *const stmt_sql[ST__COUNT] = {
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
};

/* ST_LIST for a schema-1 database, read as it is (the listing changes nothing) */
static const char list_v1_sql[] = "SELECT network, inet_v4(address), mac, " OWNER_COLS
				  ", bound, expires, quarantined_until, updated FROM leases "
				  "ORDER BY network, address";

struct lease_db {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	struct process_identity self; /* for liveness checks of others */
	bool empty;              /* opened read-only before any instance made the tables */
	bool read_only;          /* for listing: only ST_LIST is prepared */
	int64_t version;         /* the schema found (read-only: perhaps older than ours) */
	char path[PATH_MAX];
	char peek_mac[MAC_TEXT_LEN]; /* lease_peek()'s row.mac */
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

static bool owner_is(const struct process_identity *a, const struct process_identity *b)
{
	return a->pid == b->pid && a->start_time == b->start_time &&
	       strcmp(a->boot_id, b->boot_id) == 0;
}

/* ---- SQLite plumbing ----------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
							  const char *fmt, ...)
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

static bool is_busy(int code)
{
	return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
}

/* Why the last call failed, as one line about the file. */
static void set_db_err(struct lease_db *db, char *err, size_t err_size)
{
	int code = sqlite3_extended_errcode(db->db);

	set_err(err, err_size, "\"%s\" %s (%s)", db->path, what_went_wrong(code),
		sqlite3_errmsg(db->db));
}

/* The result of a failed write: busy (try again later) or a real error. */
static enum lease_result failure(struct lease_db *db)
{
	return is_busy(sqlite3_extended_errcode(db->db)) ? LEASE_BUSY : LEASE_DB_ERROR;
}

void lease_db_wait(struct lease_db *db, unsigned ms)
{
	sqlite3_busy_timeout(db->db, (int)ms);
}

/* A statement, reset, with the calling instance bound to ?10..?13 when it uses them. */
static sqlite3_stmt *stmt_get(struct lease_db *db, enum stmt_id id, const struct process_identity *self)
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
static int stmt_exec(struct lease_db *db, sqlite3_stmt *s)
{
	int r = sqlite3_step(s);

	sqlite3_reset(s);
	(void)db;
	return r == SQLITE_DONE ? 0 : -1;
}

static int tx_begin(struct lease_db *db)
{
	return stmt_exec(db, stmt_get(db, ST_BEGIN, NULL));
}

static int tx_commit(struct lease_db *db)
{
	return stmt_exec(db, stmt_get(db, ST_COMMIT, NULL));
}

static void tx_rollback(struct lease_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		stmt_exec(db, stmt_get(db, ST_ROLLBACK, NULL));
}

/* Columns @col.. hold OWNER_COLS: read them into @o. */
static void column_owner(sqlite3_stmt *s, int col, struct process_identity *o)
{
	const unsigned char *boot = sqlite3_column_text(s, col + 2);

	*o = (struct process_identity){
		.pid = sqlite3_column_int64(s, col),
		.start_time = sqlite3_column_int64(s, col + 1),
		.pid_ns = sqlite3_column_int64(s, col + 3),
	};
	snprintf(o->boot_id, sizeof(o->boot_id), "%s", boot ? (const char *)boot : "");
}

static void bind_addr(sqlite3_stmt *s, int col, const struct inet_addr *a)
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
		set_err(err, err_size, "\"%s\": path too long", path);
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
			set_err(err, err_size, "cannot create directory \"%s\": %s",
				dir, errno == EEXIST ? "a file is in the way" : strerror(errno));
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
		set_err(err, err_size, "cannot open \"%s\": %s", path, strerror(errno));
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

/* PRAGMA quick_check says "ok" for a sound database, otherwise what is wrong. */
static int check_integrity(struct lease_db *db, char *err, size_t err_size)
{
	sqlite3_stmt *s;
	int r = -1;

	if (sqlite3_prepare_v2(db->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
		set_db_err(db, err, err_size);
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *what = sqlite3_column_text(s, 0);

		if (what && strcmp((const char *)what, "ok") == 0)
			r = 0;
		else
			set_err(err, err_size, "\"%s\" is corrupt: %s", db->path,
				what ? (const char *)what : "?");
	} else {
		set_db_err(db, err, err_size);
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
		set_err(err, err_size,
			"\"%s\" is an SQLite database of another program, not a lease database",
			db->path);
		goto fail;
	}
	if (version > LEASE_SCHEMA_VERSION) {
		set_err(err, err_size,
			"\"%s\" has schema version %" PRId64 ", newer than this sock-vmnet knows (%d)",
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
	set_db_err(db, err, err_size);
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
		if (!is_busy(sqlite3_extended_errcode(db->db)) || waited >= LEASE_OPEN_WAIT_MS)
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
		set_err(err, err_size, "out of memory");
		return NULL;
	}
	snprintf(db->path, sizeof(db->path), "%s", path);
	r = process_identity_self(&db->self);
	if (r < 0) {
		set_err(err, err_size, "cannot tell this process's identity: %s", strerror(-r));
		goto fail;
	}
	if (read_only) {
		if (stat(path, &st) < 0) {
			set_err(err, err_size, "\"%s\": %s", path, strerror(errno));
			goto fail;
		}
	} else if (make_parent_dirs(path, err, err_size) < 0 ||
		   create_file(path, err, err_size) < 0) {
		goto fail;
	}
	sqlite_configure();
	if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		set_err(err, err_size, "cannot open \"%s\": %s", path,
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
		set_db_err(db, err, err_size);
		goto fail;
	}
	if (check_integrity(db, err, err_size) < 0 ||
	    prepare_schema(db, read_only, err, err_size) < 0)
		goto fail;
	db->read_only = read_only;
	for (int i = 0; i < ST__COUNT && !db->empty; i++) {
		const char *sql = stmt_sql[i];

		if (read_only && i != ST_LIST && i != ST_PEEK)
			continue;
		if (read_only && i == ST_PEEK && db->version == 1)
			continue;
		/* listing a schema-1 database that no instance of this version has opened yet */
		if (i == ST_LIST && db->version == 1)
			sql = list_v1_sql;
		if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[i],
				       NULL) != SQLITE_OK) {
			set_err(err, err_size, "\"%s\": %s", path, sqlite3_errmsg(db->db));
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
	if (tx_begin(db) < 0)
		goto db_error;
	s = stmt_get(db, ST_CLAIM_GET, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		struct process_identity other;

		column_owner(s, 0, &other);
		if (!owner_is(&other, self) &&
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
		s = stmt_get(db, ST_CLAIM_PRUNE, NULL);
		sqlite3_bind_int64(s, 1, now);
		if (stmt_exec(db, s) < 0)
			goto db_error;
		s = stmt_get(db, ST_CLAIM_PUT, self);
		sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, until);
		sqlite3_bind_int64(s, 4, now);
		if (stmt_exec(db, s) < 0)
			goto db_error;
	}
	if (tx_commit(db) < 0)
		goto db_error;
	return result;
db_error:
	set_db_err(db, err, err_size);
	tx_rollback(db);
	return -1;
}

int lease_unclaim(struct lease_db *db, const char *network, const uint8_t mac[6],
		  const struct process_identity *self, int64_t now)
{
	char mac_str[MAC_TEXT_LEN];
	sqlite3_stmt *s;

	mac_format(mac, mac_str);
	if (tx_begin(db) < 0)
		return -1;
	s = stmt_get(db, ST_LET_GO_ALL, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	if (stmt_exec(db, s) < 0)
		goto fail;
	s = stmt_get(db, ST_CLAIM_DEL, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
	if (stmt_exec(db, s) < 0 || tx_commit(db) < 0)
		goto fail;
	return 0;
fail:
	tx_rollback(db);
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

	column_owner(s, col, &o);
	if (owner_is(&o, req->self))
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
	s = stmt_get(db, ST_ROW_GET, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	bind_addr(s, 2, &req->requested);
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
	sqlite3_stmt *s = stmt_get(db, ST_BY_MAC, req->self);
	int r;

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac, -1, SQLITE_STATIC);
	bind_addr(s, 3, &req->first);
	bind_addr(s, 4, &req->last);
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
	sqlite3_stmt *s = stmt_get(db, ST_IN_POOL, NULL);
	struct inet_addr want = req->first;
	bool past_end = false;
	int r;

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	bind_addr(s, 2, &req->first);
	bind_addr(s, 3, &req->last);
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
	sqlite3_stmt *s = stmt_get(db, ST_LRU, req->self);
	int r;

	*held = 0;
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	bind_addr(s, 2, &req->first);
	bind_addr(s, 3, &req->last);
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
	sqlite3_stmt *s = stmt_get(db, ST_TAKE, req->self);

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	bind_addr(s, 2, addr);
	sqlite3_bind_text(s, 3, mac, -1, SQLITE_STATIC);
	if (req->client_id && req->client_id_len)
		sqlite3_bind_blob(s, 4, req->client_id, (int)req->client_id_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, req->bind);
	sqlite3_bind_int64(s, 6, req->lease_end);
	sqlite3_bind_int64(s, 7, req->now);
	if (stmt_exec(db, s) < 0)
		return -1;
	s = stmt_get(db, ST_LET_GO_OTHERS, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	bind_addr(s, 2, addr);
	sqlite3_bind_int64(s, 3, req->now);
	if (stmt_exec(db, s) < 0)
		return -1;
	/* keep the MAC claim alive as long as the lease, for owners out of /proc's sight */
	s = stmt_get(db, ST_CLAIM_EXTEND, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, req->lease_end);
	return stmt_exec(db, s);
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
	if (tx_begin(db) < 0)
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
			set_err(err, err_size,
				"pool exhausted: all %u addresses held by running instances or "
				"quarantined after a decline (%u held)",
				pool_size(&req->first, &req->last), held);
		}
	}
	if (found < 0 || (found == 1 && take(db, req, mac, addr) < 0))
		goto db_error;
	if (tx_commit(db) < 0)
		goto db_error;
	return result;
db_error:
	set_db_err(db, err, err_size);
	result = failure(db);
	tx_rollback(db);
	return result;
}

enum lease_result lease_release(struct lease_db *db, const char *network,
				const struct inet_addr *addr, const struct process_identity *self,
				int64_t now)
{
	sqlite3_stmt *s = stmt_get(db, ST_RELEASE, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	bind_addr(s, 2, addr);
	sqlite3_bind_int64(s, 3, now);
	return stmt_exec(db, s) == 0 ? LEASE_OK : failure(db);
}

enum lease_result lease_decline(struct lease_db *db, const char *network,
				const struct inet_addr *addr, const struct process_identity *self,
				int64_t until, int64_t now)
{
	sqlite3_stmt *s = stmt_get(db, ST_DECLINE, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	bind_addr(s, 2, addr);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, until);
	return stmt_exec(db, s) == 0 ? LEASE_OK : failure(db);
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
	column_owner(s, 3, &row->owner);
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
	s = stmt_get(db, ST_LIST, NULL);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct lease_row row;

		read_row(db, s, now, &row);
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		set_db_err(db, err, err_size);
		return -1;
	}
	return 0;
}

int lease_peek(struct lease_db *db, const char *network, const struct inet_addr *addr,
	       struct lease_row *row)
{
	sqlite3_stmt *s = stmt_get(db, ST_PEEK, NULL);
	int r;

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	bind_addr(s, 2, addr);
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
