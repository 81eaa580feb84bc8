// SPDX-License-Identifier: MIT
/* leases.c — the lease database shared by every sock-vmnet on the host (SQLite) */
#include "leases.h"

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

#include "addr.h"

/*
 * How long a transaction waits for another instance's to finish. An allocation holds
 * the write lock for 0.1-0.4 ms (measured with 200 leases in the database, see
 * test_leases.c; a few ms when it checkpoints the WAL), so 50 instances starting at once
 * queue for tens of milliseconds at worst; 2 s is far beyond that and still short enough
 * that a wedged peer shows as an error rather than a frozen VM.
 */
#define LEASE_BUSY_TIMEOUT_MS 2000

/* "SVMN": PRAGMA application_id of a sock-vmnet lease database */
#define LEASE_APPLICATION_ID 0x53564d4e
#define LEASE_SCHEMA_VERSION 1

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS leases ("
	" network TEXT NOT NULL,"          /* the bridge: each has its own pool */
	" address INTEGER NOT NULL,"       /* IPv4, host order */
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
	ST_NEVER_USED,
	ST_LRU,
	ST_TAKE,
	ST_LET_GO_OTHERS,
	ST_LET_GO_ALL,
	ST_RELEASE,
	ST_DECLINE,
	ST_LIST,
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
	/* the lowest address of [?2, ?3] that has no row: ?2 itself, or one after a row */
	[ST_NEVER_USED] =
		"SELECT min(a) FROM ("
		" SELECT ?2 AS a WHERE NOT EXISTS"
		"  (SELECT 1 FROM leases WHERE network = ?1 AND address = ?2)"
		" UNION ALL"
		" SELECT l.address + 1 FROM leases l WHERE l.network = ?1"
		"  AND l.address >= ?2 AND l.address < ?3 AND NOT EXISTS"
		"  (SELECT 1 FROM leases m WHERE m.network = ?1 AND m.address = l.address + 1))",
	[ST_LRU] =
		"SELECT address, " OWNER_COLS ", expires FROM leases WHERE network = ?1 AND "
		"address BETWEEN ?2 AND ?3 AND quarantined_until <= ?4 ORDER BY updated, address",
	[ST_TAKE] = "INSERT OR REPLACE INTO leases (network, address, mac, client_id, " OWNER_COLS
		    ", bound, expires, quarantined_until, updated) "
		    "VALUES (?1, ?2, ?3, ?4, ?10, ?11, ?12, ?13, ?5, ?6, 0, ?7)",
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
};

struct lease_db {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	struct lease_owner self; /* for liveness checks of others */
	bool empty;              /* opened read-only before any instance made the tables */
	char path[PATH_MAX];
};

/* ---- owners ------------------------------------------------------------------------- */

/*
 * Read the start time (field 22) of a /proc/PID/stat. A zombie (state Z or X) has ended
 * even though its entry stays until its parent reaps it: it reads as -ESRCH.
 */
static int read_start_time(const char *stat_path, int64_t *start)
{
	char buf[1024], *p;
	ssize_t n;
	int fd = open(stat_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* end of field 2, comm, which may hold anything */
	if (!p || p[1] != ' ')
		return -EIO;
	if (p[2] == 'Z' || p[2] == 'X') /* field 3, state */
		return -ESRCH;
	/* fields 3..21 follow, then 22 = starttime */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	errno = 0;
	*start = strtoll(p, NULL, 10);
	return errno ? -errno : 0;
}

static int read_boot_id(char out[40])
{
	ssize_t n;
	int fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, out, 39);
	close(fd);
	if (n <= 0)
		return -EIO;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int lease_owner_self(struct lease_owner *o)
{
	char link[32];
	struct stat st;
	ssize_t n;
	int r;

	*o = (struct lease_owner){0};
	/* the pid as our /proc shows it, which is what others will look up */
	n = readlink("/proc/self", link, sizeof(link) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	link[n] = '\0';
	o->pid = strtoll(link, NULL, 10);
	r = read_start_time("/proc/self/stat", &o->start_time);
	if (r < 0)
		return r;
	r = read_boot_id(o->boot_id);
	if (r < 0)
		return r;
	if (stat("/proc/self/ns/pid", &st) == 0)
		o->pid_ns = (int64_t)st.st_ino;
	return o->pid > 0 ? 0 : -EIO;
}

enum lease_owner_state lease_owner_state(const struct lease_owner *o,
					 const struct lease_owner *self, int64_t lease_end,
					 int64_t now)
{
	char path[64];
	int64_t start;

	if (o->pid <= 0)
		return OWNER_NONE;
	if (strcmp(o->boot_id, self->boot_id) != 0)
		return OWNER_GONE;
	if (!o->pid_ns || o->pid_ns != self->pid_ns)
		return lease_end > now ? OWNER_RUNNING : OWNER_GONE;
	if (o->pid == self->pid && o->start_time == self->start_time)
		return OWNER_RUNNING;
	snprintf(path, sizeof(path), "/proc/%" PRId64 "/stat", o->pid);
	if (read_start_time(path, &start) < 0)
		return OWNER_GONE;
	return start == o->start_time ? OWNER_RUNNING : OWNER_GONE;
}

const char *lease_owner_state_name(enum lease_owner_state s)
{
	switch (s) {
	case OWNER_NONE:
		return "none";
	case OWNER_RUNNING:
		return "running";
	case OWNER_GONE:
		return "gone";
	}
	return "?";
}

static bool owner_is(const struct lease_owner *a, const struct lease_owner *b)
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

/* A statement, reset, with the calling instance bound to ?10..?13 when it uses them. */
static sqlite3_stmt *stmt_get(struct lease_db *db, enum stmt_id id, const struct lease_owner *self)
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
static void column_owner(sqlite3_stmt *s, int col, struct lease_owner *o)
{
	const unsigned char *boot = sqlite3_column_text(s, col + 2);

	*o = (struct lease_owner){
		.pid = sqlite3_column_int64(s, col),
		.start_time = sqlite3_column_int64(s, col + 1),
		.pid_ns = sqlite3_column_int64(s, col + 3),
	};
	snprintf(o->boot_id, sizeof(o->boot_id), "%s", boot ? (const char *)boot : "");
}

static void mac_text(const uint8_t mac[6], char out[MAC_TEXT_LEN])
{
	mac_format(mac, out);
}

/* SQL owner_running(pid, start, boot, pid_ns, lease_end, now): lease_owner_state() == RUNNING */
static void sql_owner_running(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct lease_db *db = sqlite3_user_data(ctx);
	const unsigned char *boot = sqlite3_value_text(argv[2]);
	struct lease_owner o = {
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
		set_err(err, err_size, "--lease-db: \"%s\": path too long", path);
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
			set_err(err, err_size, "--lease-db: cannot create directory \"%s\": %s",
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
		set_err(err, err_size, "--lease-db: cannot open \"%s\": %s", path, strerror(errno));
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
		set_err(err, err_size, "--lease-db: \"%s\": %s", db->path, sqlite3_errmsg(db->db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *what = sqlite3_column_text(s, 0);

		if (what && strcmp((const char *)what, "ok") == 0)
			r = 0;
		else
			set_err(err, err_size, "--lease-db: \"%s\" is corrupt: %s", db->path,
				what ? (const char *)what : "?");
	} else {
		set_err(err, err_size, "--lease-db: \"%s\": %s", db->path, sqlite3_errmsg(db->db));
	}
	sqlite3_finalize(s);
	return r;
}

/* Check that the file is ours (or empty), and create the tables in a write transaction. */
static int prepare_schema(struct lease_db *db, bool read_only, char *err, size_t err_size)
{
	int64_t app_id = pragma_int(db, "PRAGMA application_id");
	int64_t version = pragma_int(db, "PRAGMA user_version");
	int64_t tables = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
	char pragmas[96];

	if (app_id < 0 || version < 0 || tables < 0) {
		set_err(err, err_size, "--lease-db: \"%s\": %s", db->path, sqlite3_errmsg(db->db));
		return -1;
	}
	if (tables > 0 && app_id != LEASE_APPLICATION_ID) {
		set_err(err, err_size,
			"--lease-db: \"%s\" is an SQLite database of another program, not a lease "
			"database",
			db->path);
		return -1;
	}
	if (version > LEASE_SCHEMA_VERSION) {
		set_err(err, err_size,
			"--lease-db: \"%s\" has schema version %" PRId64
			", newer than this sock-vmnet "
			"knows (%d)",
			db->path, version, LEASE_SCHEMA_VERSION);
		return -1;
	}
	if (read_only) {
		db->empty = tables == 0; /* nothing written yet: an empty list */
		return 0;
	}
	/* a write, so that a read-only file or directory is found now, not at the first VM */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 LEASE_APPLICATION_ID, LEASE_SCHEMA_VERSION);
	if (exec_sql(db, "BEGIN IMMEDIATE") < 0 || exec_sql(db, schema_sql) < 0 ||
	    exec_sql(db, pragmas) < 0 || exec_sql(db, "COMMIT") < 0) {
		set_err(err, err_size, "--lease-db: \"%s\" is not writable: %s", db->path,
			sqlite3_errmsg(db->db));
		exec_sql(db, "ROLLBACK");
		return -1;
	}
	return 0;
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

	if (!db) {
		set_err(err, err_size, "--lease-db: out of memory");
		return NULL;
	}
	snprintf(db->path, sizeof(db->path), "%s", path);
	if (lease_owner_self(&db->self) < 0) {
		set_err(err, err_size, "--lease-db: cannot read this process's /proc entries: %s",
			strerror(errno));
		goto fail;
	}
	if (read_only) {
		if (stat(path, &st) < 0) {
			set_err(err, err_size, "--lease-db: \"%s\": %s", path, strerror(errno));
			goto fail;
		}
	} else if (make_parent_dirs(path, err, err_size) < 0 ||
		   create_file(path, err, err_size) < 0) {
		goto fail;
	}
	sqlite_configure();
	if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		set_err(err, err_size, "--lease-db: cannot open \"%s\": %s", path,
			db->db ? sqlite3_errmsg(db->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, LEASE_BUSY_TIMEOUT_MS);
	sqlite3_create_function(db->db, "owner_running", 6, SQLITE_UTF8 | SQLITE_DIRECTONLY, db,
				sql_owner_running, NULL, NULL);
	/*
	 * WAL: readers never wait for the writer, and the -wal/-shm files are opened once
	 * and kept, so the database stays writable after privileges are dropped.
	 * synchronous=NORMAL: a commit survives the process dying (SIGKILL included); only
	 * power loss can undo the last commits, and after a reboot every owner is gone anyway.
	 */
	if (!read_only && (exec_sql(db, "PRAGMA journal_mode = WAL") < 0 ||
			   exec_sql(db, "PRAGMA synchronous = NORMAL") < 0)) {
		int code = sqlite3_errcode(db->db);

		set_err(err, err_size, "--lease-db: \"%s\" %s: %s", path,
			(code & 0xff) == SQLITE_NOTADB ? "is not a database" : "cannot be used",
			sqlite3_errmsg(db->db));
		goto fail;
	}
	if (check_integrity(db, err, err_size) < 0 ||
	    prepare_schema(db, read_only, err, err_size) < 0)
		goto fail;
	for (int i = 0; i < ST__COUNT && !db->empty; i++) {
		if (sqlite3_prepare_v3(db->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &db->stmt[i], NULL) != SQLITE_OK) {
			set_err(err, err_size, "--lease-db: \"%s\": %s", path,
				sqlite3_errmsg(db->db));
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
		    const struct lease_owner *self, int64_t until, int64_t now, char *err,
		    size_t err_size)
{
	char mac_str[MAC_TEXT_LEN];
	sqlite3_stmt *s;
	int result = 0;

	mac_text(mac, mac_str);
	if (tx_begin(db) < 0)
		goto db_error;
	s = stmt_get(db, ST_CLAIM_GET, self);
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac_str, -1, SQLITE_STATIC);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		struct lease_owner other;

		column_owner(s, 0, &other);
		if (!owner_is(&other, self) &&
		    lease_owner_state(&other, &db->self, sqlite3_column_int64(s, 4), now) ==
			    OWNER_RUNNING) {
			set_err(err, err_size,
				"--mac: %s is already served on bridge %s by a running sock-vmnet "
				"(pid %" PRId64 ")",
				mac_str, network, other.pid);
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
	set_err(err, err_size, "--lease-db: \"%s\": %s", db->path, sqlite3_errmsg(db->db));
	tx_rollback(db);
	return -1;
}

int lease_unclaim(struct lease_db *db, const char *network, const uint8_t mac[6],
		  const struct lease_owner *self, int64_t now)
{
	char mac_str[MAC_TEXT_LEN];
	sqlite3_stmt *s;

	mac_text(mac, mac_str);
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
	struct lease_owner o;

	column_owner(s, col, &o);
	if (owner_is(&o, req->self))
		return true;
	return lease_owner_state(&o, &db->self, sqlite3_column_int64(s, col + 4), req->now) !=
	       OWNER_RUNNING;
}

/* The requested address, if it is in the pool and free. Return: 1 free, 0 not, -1 error. */
static int requested_is_free(struct lease_db *db, const struct lease_request *req)
{
	sqlite3_stmt *s;
	int r;

	if (req->requested < req->first || req->requested > req->last)
		return 0;
	s = stmt_get(db, ST_ROW_GET, req->self);
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, req->requested);
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
		       uint32_t *addr)
{
	sqlite3_stmt *s = stmt_get(db, ST_BY_MAC, req->self);
	int r;

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, req->first);
	sqlite3_bind_int64(s, 4, req->last);
	sqlite3_bind_int64(s, 5, req->now);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_is_free(db, s, 1, req)) {
			*addr = (uint32_t)sqlite3_column_int64(s, 0);
			sqlite3_reset(s);
			return 1;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : -1;
}

static int find_never_used(struct lease_db *db, const struct lease_request *req, uint32_t *addr)
{
	sqlite3_stmt *s = stmt_get(db, ST_NEVER_USED, NULL);
	int r;

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, req->first);
	sqlite3_bind_int64(s, 3, req->last);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*addr = (uint32_t)sqlite3_column_int64(s, 0);
		r = 1;
	} else {
		r = r == SQLITE_ROW ? 0 : -1;
	}
	sqlite3_reset(s);
	return r;
}

/* The least recently used free address; counts what is held when there is none. */
static int find_least_recent(struct lease_db *db, const struct lease_request *req,
			     uint32_t *addr, unsigned *held)
{
	sqlite3_stmt *s = stmt_get(db, ST_LRU, req->self);
	int r;

	*held = 0;
	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, req->first);
	sqlite3_bind_int64(s, 3, req->last);
	sqlite3_bind_int64(s, 4, req->now);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_is_free(db, s, 1, req)) {
			*addr = (uint32_t)sqlite3_column_int64(s, 0);
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
		uint32_t addr)
{
	sqlite3_stmt *s = stmt_get(db, ST_TAKE, req->self);

	sqlite3_bind_text(s, 1, req->network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, addr);
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
	sqlite3_bind_int64(s, 2, addr);
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

enum lease_result lease_allocate(struct lease_db *db, const struct lease_request *req,
				 uint32_t *addr, char *err, size_t err_size)
{
	char mac[MAC_TEXT_LEN];
	enum lease_result result = LEASE_OK;
	unsigned held = 0;
	int found = 0;

	mac_text(req->mac, mac);
	if (tx_begin(db) < 0)
		goto db_error;
	if (req->requested_only) {
		found = requested_is_free(db, req);
		*addr = req->requested;
		if (found == 0)
			result = LEASE_TAKEN;
	} else {
		found = find_sticky(db, req, mac, addr);
		if (found == 0 && req->requested) {
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
				req->last - req->first + 1, held);
		}
	}
	if (found < 0 || (found == 1 && take(db, req, mac, *addr) < 0))
		goto db_error;
	if (tx_commit(db) < 0)
		goto db_error;
	return result;
db_error:
	set_err(err, err_size, "lease database \"%s\": %s", db->path, sqlite3_errmsg(db->db));
	tx_rollback(db);
	return LEASE_DB_ERROR;
}

int lease_release(struct lease_db *db, const char *network, uint32_t addr,
		  const struct lease_owner *self, int64_t now)
{
	sqlite3_stmt *s = stmt_get(db, ST_RELEASE, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, addr);
	sqlite3_bind_int64(s, 3, now);
	return stmt_exec(db, s);
}

int lease_decline(struct lease_db *db, const char *network, uint32_t addr,
		  const struct lease_owner *self, int64_t until, int64_t now)
{
	sqlite3_stmt *s = stmt_get(db, ST_DECLINE, self);

	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, addr);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, until);
	return stmt_exec(db, s);
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
		struct lease_row row = {
			.network = (const char *)sqlite3_column_text(s, 0),
			.address = (uint32_t)sqlite3_column_int64(s, 1),
			.mac = (const char *)sqlite3_column_text(s, 2),
			.bound = sqlite3_column_int(s, 7) != 0,
			.expires = sqlite3_column_int64(s, 8),
			.quarantined_until = sqlite3_column_int64(s, 9),
			.updated = sqlite3_column_int64(s, 10),
		};

		column_owner(s, 3, &row.owner);
		row.state = lease_owner_state(&row.owner, &db->self, row.expires, now);
		if (!row.network)
			row.network = "";
		if (!row.mac)
			row.mac = "";
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		set_err(err, err_size, "--lease-db: \"%s\": %s", db->path, sqlite3_errmsg(db->db));
		return -1;
	}
	return 0;
}
