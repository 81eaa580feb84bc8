// SPDX-License-Identifier: MIT
/* test_leases.c — unit tests of src/leases/leases.c: owners, allocation, stickiness, races, errors */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leases/leases.h"

#define NET "svmtest0"
#define POOL_FIRST 0xc0a84002u /* 192.168.64.2 */

struct fixture {
	char dir[64];
	char path[128];
	struct lease_db *db;
	struct process_identity self;
	int64_t now;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/svm-test-leases-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/leases.db", f->dir);
	f->db = lease_db_open(f->path, false, err, sizeof(err));
	if (!f->db)
		fail_msg("open: %s", err);
	assert_int_equal(process_identity_self(&f->self), 0);
	f->now = time(NULL);
	*state = f;
	return 0;
}

static void remove_tree(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lease_db_close(f->db);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/*
 * A running owner other than this process: one in another PID namespace, whose lease
 * runs for an hour (lease_owner_state() cannot look it up in /proc, so it believes it).
 */
static struct process_identity other_running(const struct fixture *f, int n)
{
	struct process_identity o = f->self;

	o.pid = 100000 + n;
	o.pid_ns = f->self.pid_ns + 1;
	return o;
}

/* An owner that has ended: our own pid with another start time (a recycled pid). */
static struct process_identity other_gone(const struct fixture *f, int n)
{
	struct process_identity o = f->self;

	o.start_time = f->self.start_time + 1000 + n;
	return o;
}

/* The tests speak IPv4 in host order; the database takes struct inet_addr. */
static struct inet_addr v4(uint32_t a)
{
	return inet_from_v4(a);
}

static enum lease_result allocate(struct fixture *f, const struct process_identity *who,
				  const uint8_t mac[6], uint32_t last, uint32_t requested,
				  bool requested_only, uint32_t *addr)
{
	char err[256];
	struct inet_addr got = v4(0);
	struct lease_request req = {
		.network = NET,
		.first = v4(POOL_FIRST),
		.last = v4(last),
		.mac = mac,
		.requested = v4(requested),
		.requested_only = requested_only,
		.lease_end = f->now + 3600,
		.now = f->now,
		.self = who,
	};
	enum lease_result r = lease_allocate(f->db, &req, &got, err, sizeof(err));

	if (r == LEASE_OK || requested_only)
		*addr = inet_v4(&got);
	if (r == LEASE_OK)
		assert_true(inet_is_v4(&got));
	return r;
}

static int release(struct fixture *f, uint32_t addr, const struct process_identity *who,
		   int64_t now)
{
	struct inet_addr a = v4(addr);

	return lease_release(f->db, NET, &a, who, now);
}

static int decline(struct fixture *f, uint32_t addr, const struct process_identity *who,
		   int64_t until, int64_t now)
{
	struct inet_addr a = v4(addr);

	return lease_decline(f->db, NET, &a, who, until, now);
}

/* lease_claim_mac(): 0, 1 (with the holder's pid in @holder), or -1 */
static int claim(struct fixture *f, const char *net, const uint8_t mac[6],
		 const struct process_identity *who, int64_t until, int64_t *holder)
{
	char err[256] = "";
	int64_t ignored;

	return lease_claim_mac(f->db, net, mac, who, until, f->now, holder ? holder : &ignored,
			       err, sizeof(err));
}

static void mac_n(uint8_t mac[6], int n)
{
	uint8_t m[6] = {0x52, 0x54, 0x00, 0x00, (uint8_t)(n >> 8), (uint8_t)n};

	memcpy(mac, m, 6);
}

static void owner_self_is_this_process(void **state)
{
	struct fixture *f = *state;

	(void)state;
	assert_int_equal(f->self.pid, getpid());
	assert_true(f->self.start_time > 0);
	assert_int_equal(strlen(f->self.boot_id), 36);
	assert_int_equal(lease_owner_state(&f->self, &f->self, 0, f->now), OWNER_RUNNING);
}

static void owner_states(void **state)
{
	struct fixture *f = *state;
	struct process_identity o, none = {0};
	struct process_identity child_owner;
	assert_int_equal(lease_owner_state(&none, &f->self, 0, f->now), OWNER_NONE);
	/* a recycled pid: same number, another start time */
	o = other_gone(f, 0);
	assert_int_equal(lease_owner_state(&o, &f->self, f->now + 100, f->now), OWNER_GONE);
	/* another boot: whatever /proc says now is about other processes */
	o = f->self;
	memcpy(o.boot_id, "00000000-0000-0000-0000-000000000000", 37);
	assert_int_equal(lease_owner_state(&o, &f->self, f->now + 100, f->now), OWNER_GONE);
	/* a pid that does not exist */
	o = f->self;
	o.pid = 0x3fffffff;
	assert_int_equal(lease_owner_state(&o, &f->self, f->now + 100, f->now), OWNER_GONE);
	/* another PID namespace: its lease decides */
	o = other_running(f, 1);
	assert_int_equal(lease_owner_state(&o, &f->self, f->now + 100, f->now), OWNER_RUNNING);
	assert_int_equal(lease_owner_state(&o, &f->self, f->now - 1, f->now), OWNER_GONE);
	/* a child that runs, then ends: its pid alone does not keep it alive */
	{
		int pipefd[2];
		pid_t child;

		assert_int_equal(pipe(pipefd), 0);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			struct process_identity me;

			close(pipefd[0]);
			process_identity_self(&me);
			if (write(pipefd[1], &me, sizeof(me)) != sizeof(me))
				_exit(1);
			pause();
			_exit(0);
		}
		close(pipefd[1]);
		assert_int_equal(read(pipefd[0], &child_owner, sizeof(child_owner)),
				 sizeof(child_owner));
		assert_int_equal(child_owner.pid, child);
		assert_int_equal(lease_owner_state(&child_owner, &f->self, 0, f->now),
				 OWNER_RUNNING);
		kill(child, SIGKILL);
		/* a zombie, not yet reaped, has ended all the same */
		for (int i = 0; i < 1000; i++) {
			char stat_path[64], buf[256];
			FILE *fp;
			bool zombie = false;

			snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", (int)child);
			fp = fopen(stat_path, "r");
			if (fp && fgets(buf, sizeof(buf), fp))
				zombie = strstr(buf, ") Z ") != NULL;
			if (fp)
				fclose(fp);
			if (zombie)
				break;
			usleep(1000);
		}
		assert_int_equal(lease_owner_state(&child_owner, &f->self, 0, f->now), OWNER_GONE);
		waitpid(child, NULL, 0);
		assert_int_equal(lease_owner_state(&child_owner, &f->self, 0, f->now), OWNER_GONE);
		close(pipefd[0]);
	}
}

static void allocates_lowest_then_next(void **state)
{
	struct fixture *f = *state;
	struct process_identity a = other_running(f, 1), b = other_running(f, 2);
	uint8_t ma[6], mb[6];
	uint32_t addr = 0;

	mac_n(ma, 1);
	mac_n(mb, 2);
	assert_int_equal(allocate(f, &a, ma, POOL_FIRST + 9, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST);
	/* the same owner asking again keeps its address */
	assert_int_equal(allocate(f, &a, ma, POOL_FIRST + 9, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST);
	assert_int_equal(allocate(f, &b, mb, POOL_FIRST + 9, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST + 1);
}

static void exhausted_by_running_owners(void **state)
{
	struct fixture *f = *state;
	uint32_t last = POOL_FIRST + 2, addr = 0, seen[3];
	uint8_t mac[6];

	for (int i = 0; i < 3; i++) {
		struct process_identity o = other_running(f, i);

		mac_n(mac, i);
		assert_int_equal(allocate(f, &o, mac, last, 0, false, &addr), LEASE_OK);
		seen[i] = addr;
		for (int j = 0; j < i; j++)
			assert_int_not_equal(seen[j], addr);
	}
	{
		struct process_identity o = other_running(f, 3);

		mac_n(mac, 3);
		assert_int_equal(allocate(f, &o, mac, last, 0, false, &addr), LEASE_EXHAUSTED);
	}
	/* once one of them stops, its address is free again */
	{
		struct process_identity holder = other_running(f, 1);

		mac_n(mac, 1);
		assert_int_equal(lease_unclaim(f->db, NET, mac, &holder, f->now), 0);
		mac_n(mac, 9);
		assert_int_equal(allocate(f, &f->self, mac, last, 0, false, &addr), LEASE_OK);
		assert_int_equal(addr, seen[1]);
	}
}

static void dead_owner_address_is_reused(void **state)
{
	struct fixture *f = *state;
	struct process_identity dead = other_gone(f, 1);
	uint32_t last = POOL_FIRST, addr = 0;
	uint8_t m1[6], m2[6];

	mac_n(m1, 1);
	mac_n(m2, 2);
	assert_int_equal(allocate(f, &dead, m1, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST);
	/* pool of one, held by an owner that has ended (SIGKILL): the next VM gets it */
	assert_int_equal(allocate(f, &f->self, m2, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST);
}

static void sticky_address_comes_back(void **state)
{
	struct fixture *f = *state;
	struct process_identity a1 = other_gone(f, 1), b = other_running(f, 2);
	uint32_t last = POOL_FIRST + 9, first_addr = 0, addr = 0;
	uint8_t ma[6], mb[6];

	mac_n(ma, 1);
	mac_n(mb, 2);
	/* A's first instance gets an address and ends (without releasing: killed) */
	assert_int_equal(allocate(f, &a1, ma, last, 0, false, &first_addr), LEASE_OK);
	/* B gets a fresh address rather than A's, which is remembered for A */
	assert_int_equal(allocate(f, &b, mb, last, 0, false, &addr), LEASE_OK);
	assert_int_not_equal(addr, first_addr);
	/* A's next instance (this process) gets its old address back */
	assert_int_equal(allocate(f, &f->self, ma, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, first_addr);
}

static void sticky_only_while_free(void **state)
{
	struct fixture *f = *state;
	struct process_identity a1 = other_gone(f, 1), b = other_running(f, 2);
	uint32_t last = POOL_FIRST, a_addr = 0, addr = 0;
	uint8_t ma[6], mb[6];

	mac_n(ma, 1);
	mac_n(mb, 2);
	assert_int_equal(allocate(f, &a1, ma, last + 1, 0, false, &a_addr), LEASE_OK);
	/* B (running) takes A's old address by asking for it; A then gets another one */
	assert_int_equal(allocate(f, &b, mb, last + 1, a_addr, true, &addr), LEASE_OK);
	assert_int_equal(addr, a_addr);
	assert_int_equal(allocate(f, &f->self, ma, last + 1, 0, false, &addr), LEASE_OK);
	assert_int_not_equal(addr, a_addr);
}

static void requested_address(void **state)
{
	struct fixture *f = *state;
	struct process_identity a = other_running(f, 1);
	uint32_t last = POOL_FIRST + 9, addr = 0;
	uint8_t ma[6], mb[6];

	mac_n(ma, 1);
	mac_n(mb, 2);
	/* a free requested address is given, even when lower ones are free */
	assert_int_equal(allocate(f, &a, ma, last, POOL_FIRST + 5, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST + 5);
	/* held by a running instance: REQUEST gets nothing, DISCOVER gets another address */
	assert_int_equal(allocate(f, &f->self, mb, last, POOL_FIRST + 5, true, &addr), LEASE_TAKEN);
	assert_int_equal(allocate(f, &f->self, mb, last, POOL_FIRST + 5, false, &addr), LEASE_OK);
	assert_int_not_equal(addr, POOL_FIRST + 5);
	/* outside the pool */
	assert_int_equal(allocate(f, &f->self, mb, last, last + 1, true, &addr), LEASE_TAKEN);
}

static void moving_lets_go_of_the_old_address(void **state)
{
	struct fixture *f = *state;
	uint32_t last = POOL_FIRST + 1, addr = 0;
	uint8_t ma[6], mb[6];
	struct process_identity b = other_running(f, 2);

	mac_n(ma, 1);
	mac_n(mb, 2);
	assert_int_equal(allocate(f, &f->self, ma, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST);
	assert_int_equal(allocate(f, &f->self, ma, last, POOL_FIRST + 1, true, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST + 1);
	/* the first one is free again: nobody else has to wait for it */
	assert_int_equal(allocate(f, &b, mb, last, POOL_FIRST, true, &addr), LEASE_OK);
}

static void decline_quarantines(void **state)
{
	struct fixture *f = *state;
	uint32_t last = POOL_FIRST + 1, addr = 0;
	uint8_t ma[6];

	mac_n(ma, 1);
	assert_int_equal(allocate(f, &f->self, ma, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(decline(f, addr, &f->self, f->now + 600, f->now), 0);
	assert_int_equal(allocate(f, &f->self, ma, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, POOL_FIRST + 1);
	assert_int_equal(allocate(f, &f->self, ma, last, POOL_FIRST, true, &addr), LEASE_TAKEN);
	/* after the quarantine it is an address like any other */
	f->now += 601;
	assert_int_equal(allocate(f, &f->self, ma, last, POOL_FIRST, true, &addr), LEASE_OK);
}

static void release_keeps_memory(void **state)
{
	struct fixture *f = *state;
	struct process_identity b = other_running(f, 2);
	uint32_t last = POOL_FIRST + 9, a_addr = 0, addr = 0;
	uint8_t ma[6], mb[6];

	mac_n(ma, 1);
	mac_n(mb, 2);
	assert_int_equal(allocate(f, &f->self, ma, last, 0, false, &a_addr), LEASE_OK);
	assert_int_equal(release(f, a_addr, &f->self, f->now), 0);
	assert_int_equal(allocate(f, &b, mb, last, 0, false, &addr), LEASE_OK);
	assert_int_not_equal(addr, a_addr);
	assert_int_equal(allocate(f, &f->self, ma, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, a_addr);
}

static void least_recently_used_goes_first(void **state)
{
	struct fixture *f = *state;
	uint32_t last = POOL_FIRST + 2, addr = 0, order[3];
	uint8_t mac[6];

	/* three ended owners, at t, t+1, t+2 */
	for (int i = 0; i < 3; i++) {
		struct process_identity o = other_gone(f, i);

		mac_n(mac, i);
		assert_int_equal(allocate(f, &o, mac, last, 0, false, &order[i]), LEASE_OK);
		f->now++;
	}
	mac_n(mac, 50);
	assert_int_equal(allocate(f, &f->self, mac, last, 0, false, &addr), LEASE_OK);
	assert_int_equal(addr, order[0]);
}

static void other_networks_are_separate(void **state)
{
	struct fixture *f = *state;
	struct lease_request req = {
		.network = "otherbr",
		.first = v4(POOL_FIRST),
		.last = v4(POOL_FIRST),
		.lease_end = f->now + 60,
		.now = f->now,
	};
	struct process_identity a = other_running(f, 1), b = other_running(f, 2);
	uint8_t ma[6], mb[6];
	uint32_t addr = 0;
	struct inet_addr got;
	char err[256];

	mac_n(ma, 1);
	mac_n(mb, 2);
	assert_int_equal(allocate(f, &a, ma, POOL_FIRST, 0, false, &addr), LEASE_OK);
	req.mac = mb;
	req.self = &b;
	assert_int_equal(lease_allocate(f->db, &req, &got, err, sizeof(err)), LEASE_OK);
	assert_int_equal(inet_v4(&got), POOL_FIRST);
}

static void claim_refuses_running_duplicate(void **state)
{
	struct fixture *f = *state;
	struct process_identity running = other_running(f, 1), gone = other_gone(f, 2);
	uint8_t mac[6];
	int64_t holder = 0;

	mac_n(mac, 7);
	assert_int_equal(claim(f, NET, mac, &running, f->now + 600, NULL), 0);
	/* already served by a running instance: who serves it is said */
	assert_int_equal(claim(f, NET, mac, &f->self, f->now + 600, &holder), 1);
	assert_int_equal(holder, running.pid);
	/* on another bridge the same MAC is another VM */
	assert_int_equal(claim(f, "otherbr", mac, &f->self, f->now + 600, NULL), 0);
	/* an owner that ended does not block */
	mac_n(mac, 8);
	assert_int_equal(claim(f, NET, mac, &gone, f->now + 600, NULL), 0);
	assert_int_equal(claim(f, NET, mac, &f->self, f->now + 600, NULL), 0);
	/* claiming twice is fine for the same owner */
	assert_int_equal(claim(f, NET, mac, &f->self, f->now + 600, NULL), 0);
	assert_int_equal(lease_unclaim(f->db, NET, mac, &f->self, f->now), 0);
}

static void claims_of_ended_instances_are_pruned(void **state)
{
	struct fixture *f = *state;
	struct process_identity running = other_running(f, 1);
	char cmd[300];
	long long rows = -1;
	uint8_t mac[6];
	FILE *p;

	for (int i = 0; i < 20; i++) {
		struct process_identity gone = other_gone(f, i);

		mac_n(mac, i);
		assert_int_equal(claim(f, NET, mac, &gone, f->now + 600, NULL), 0);
	}
	mac_n(mac, 100);
	assert_int_equal(claim(f, NET, mac, &running, f->now + 600, NULL), 0);
	mac_n(mac, 101);
	assert_int_equal(claim(f, NET, mac, &f->self, f->now + 600, NULL), 0);
	/* the 20 claims whose owners ended are gone; the two running ones stay */
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'SELECT count(*) FROM instances' 2>/dev/null",
		 f->path);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%lld", &rows) != 1) {
		if (p)
			pclose(p);
		skip(); /* no sqlite3 command */
	}
	pclose(p);
	assert_int_equal(rows, 2);
}

struct list_ctx {
	unsigned rows, running;
};

static void count_row(const struct lease_row *row, void *ctx)
{
	struct list_ctx *c = ctx;

	c->rows++;
	c->running += row->state == OWNER_RUNNING;
}

static void list_and_unclaim(void **state)
{
	struct fixture *f = *state;
	struct list_ctx c = {0};
	uint32_t addr;
	uint8_t mac[6];
	char err[256];

	mac_n(mac, 1);
	assert_int_equal(claim(f, NET, mac, &f->self, f->now, NULL), 0);
	assert_int_equal(allocate(f, &f->self, mac, POOL_FIRST + 3, 0, false, &addr), LEASE_OK);
	assert_int_equal(lease_list(f->db, count_row, &c, err, sizeof(err)), 0);
	assert_int_equal(c.rows, 1);
	assert_int_equal(c.running, 1);
	assert_int_equal(lease_unclaim(f->db, NET, mac, &f->self, f->now), 0);
	c = (struct list_ctx){0};
	assert_int_equal(lease_list(f->db, count_row, &c, err, sizeof(err)), 0);
	assert_int_equal(c.rows, 1);
	assert_int_equal(c.running, 0);
}

/* ---- opening ---------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void open_errors_are_clear(void **state)
{
	struct fixture *f = *state;
	char path[200], err[512];
	struct lease_db *db;

	/* garbage */
	snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
	write_file(path,
		   "this is certainly not an SQLite database, but it is long enough to "
		   "look like a header of one hundred bytes or more, padded padded padded.\n");
	db = lease_db_open(path, false, err, sizeof(err));
	assert_null(db);
	/* the file and why; the caller (service.c) names the option */
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a database"));
	/* a directory */
	db = lease_db_open(f->dir, false, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, f->dir));
	/* a parent that is a file */
	snprintf(path, sizeof(path), "%s/garbage.db/leases.db", f->dir);
	db = lease_db_open(path, false, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "cannot create directory"));
	/* another program's SQLite database */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'CREATE TABLE t (x)' 2>/dev/null", path);
		if (system(cmd) != 0)
			skip();
	}
	db = lease_db_open(path, false, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "another program"));
	/* listing a database that does not exist */
	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	db = lease_db_open(path, true, err, sizeof(err));
	assert_null(db);
	assert_null(fopen(path, "r")); /* and it was not created */
}

static void open_creates_private_directories(void **state)
{
	struct fixture *f = *state;
	char path[200], err[512];
	struct lease_db *db;
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/leases.db", f->dir);
	db = lease_db_open(path, false, err, sizeof(err));
	if (!db)
		fail_msg("%s", err);
	lease_db_close(db);
	snprintf(path, sizeof(path), "%s/a/b", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/a/b/leases.db", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	/* reopening, read-only too */
	db = lease_db_open(path, true, err, sizeof(err));
	if (!db)
		fail_msg("%s", err);
	lease_db_close(db);
}

/* ---- races ---------------------------------------------------------------------------- */

/*
 * 50 processes, each with its own connection, allocate at the same moment (released by
 * one pipe closing) and stay alive until all have answered: no address twice.
 */
#define RACERS 50
static void racing_processes_get_distinct_addresses(void **state)
{
	struct fixture *f = *state;
	int go[2], answers[2];
	pid_t pids[RACERS];
	uint32_t got[RACERS];

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(answers), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct process_identity me;
			struct lease_db *db;
			uint32_t addr = 0;
			uint8_t mac[6];
			char err[256], c;

			close(go[1]);
			close(answers[0]);
			db = lease_db_open(f->path, false, err, sizeof(err));
			f->db = db; /* never the parent's connection */
			process_identity_self(&me);
			mac_n(mac, 1000 + i);
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			if (!db ||
			    allocate(f, &me, mac, POOL_FIRST + 99, 0, false, &addr) != LEASE_OK)
				addr = 0;
			if (write(answers[1], &addr, sizeof(addr)) != sizeof(addr))
				_exit(2);
			pause(); /* stay alive: a dead owner's address may be reused */
			_exit(0);
		}
	}
	close(go[0]);
	close(answers[1]);
	close(go[1]); /* go */
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(read(answers[0], &got[i], sizeof(got[i])), sizeof(got[i]));
	for (int i = 0; i < RACERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	close(answers[0]);
	for (int i = 0; i < RACERS; i++) {
		assert_int_not_equal(got[i], 0);
		assert_true(got[i] >= POOL_FIRST && got[i] <= POOL_FIRST + 99);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(got[i], got[j]);
	}
}

/* ---- measurement: the number the docs quote ---------------------------------------------- */

static double elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

/* Allocate @rounds times for new MACs with @owner; the mean and worst time, in us. */
static void time_allocations(struct fixture *f, uint32_t last, int rounds, bool release_each,
			     double *mean, double *worst)
{
	struct timespec t0, t1;
	double total = 0;
	uint32_t addr;
	uint8_t mac[6];

	*worst = 0;
	for (int i = 0; i < rounds; i++) {
		struct process_identity o = other_running(f, 1000 + i);

		mac_n(mac, 1000 + i);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(allocate(f, &o, mac, last, 0, false, &addr), LEASE_OK);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		total += elapsed_us(&t0, &t1);
		if (elapsed_us(&t0, &t1) > *worst)
			*worst = elapsed_us(&t0, &t1);
		if (release_each)
			assert_int_equal(release(f, addr, &o, f->now), 0);
		f->now++;
	}
	*mean = total / rounds;
}

/*
 * The number the docs quote: allocation with 200 leases in the database.
 *  - typical: 100 held by running owners, 100 by owners that ended; a new MAC takes the
 *    least recently used free address;
 *  - worst: 199 addresses held by a running owner in our PID namespace (pid 1, so each is
 *    checked in /proc) and the one free address last in least-recently-used order.
 */
static void allocation_time_with_200_leases(void **state)
{
	struct fixture *f = *state;
	uint32_t last = POOL_FIRST + 199, addr;
	struct process_identity init;
	double mean, worst;
	uint8_t mac[6];
	FILE *fp;

	for (int i = 0; i < 200; i++) {
		struct process_identity o = i % 2 ? other_running(f, i) : other_gone(f, i);

		mac_n(mac, i);
		assert_int_equal(allocate(f, &o, mac, last, 0, false, &addr), LEASE_OK);
	}
	time_allocations(f, last, 50, false, &mean, &worst);
	printf("# allocation, 200 leases, half of them free: mean %.0f us, worst %.0f us\n", mean,
	       worst);
	assert_true(mean < 50000); /* far below a DHCP client's 4 s retry */

	/* pid 1 as the owner of 199 addresses, as /proc shows it */
	fp = fopen("/proc/1/stat", "r");
	if (!fp)
		skip();
	fclose(fp);
	init = f->self;
	init.pid = 1;
	{
		char buf[1024], *p;
		FILE *st = fopen("/proc/1/stat", "r");

		assert_non_null(fgets(buf, sizeof(buf), st));
		fclose(st);
		p = strrchr(buf, ')');
		for (int field = 3; field <= 22; field++)
			p = strchr(p, ' ') + 1;
		init.start_time = strtoll(p, NULL, 10);
	}
	assert_int_equal(lease_owner_state(&init, &f->self, 0, f->now), OWNER_RUNNING);
	lease_db_close(f->db); /* a fresh database for this part */
	remove_tree(f->dir);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	f->db = lease_db_open(f->path, false, (char[256]){0}, 256);
	assert_non_null(f->db);
	f->now = time(NULL);
	mac_n(mac, 5000);
	assert_int_equal(allocate(f, &f->self, mac, last, POOL_FIRST + 199, true, &addr), LEASE_OK);
	assert_int_equal(release(f, addr, &f->self, f->now + 10000), 0);
	for (int i = 0; i < 199; i++) {
		mac_n(mac, i);
		assert_int_equal(
			allocate(f, &init, mac, last, POOL_FIRST + (uint32_t)i, true, &addr),
			LEASE_OK);
	}
	/* each round releases its address, which goes last in least-recently-used order */
	f->now += 20000;
	time_allocations(f, last, 50, true, &mean, &worst);
	printf("# allocation, 200 leases, 199 held by a running process checked in /proc: "
	       "mean %.0f us, worst %.0f us\n", mean, worst);
	assert_true(mean < 50000);
}

/* A DISCOVER on @network's pool 192.168.64.2-254. */
static enum lease_result allocate_on(struct fixture *f, const char *network,
				     const struct process_identity *who, const uint8_t mac[6],
				     uint32_t *addr)
{
	char err[256];
	struct inet_addr got = v4(0);
	struct lease_request req = {
		.network = network,
		.first = v4(0xc0a84002),
		.last = v4(0xc0a840fe),
		.mac = mac,
		.requested = v4(0),
		.lease_end = f->now + 3600,
		.now = f->now,
		.self = who,
	};
	enum lease_result r = lease_allocate(f->db, &req, &got, err, sizeof(err));

	*addr = inet_v4(&got);
	return r;
}

/*
 * Issue 11 item 3: instances started at the same moment on a database that does not exist
 * yet. Each child opens it as an instance does and keeps it open for a while (closing the
 * last connection of a WAL database checkpoints it under a lock), all released together by
 * closing a pipe; all
 * must succeed (the switch to WAL used to answer "locked" at once, and a schema read outside
 * a transaction could see another's tables without its application_id: "another program").
 */
static void simultaneous_first_opens_all_succeed(void **state)
{
	struct fixture *f = *state;
	/* b93c94a failed 3 of these 1200 opens (two "another program", one "locked") */
	enum { ROUNDS = 6, OPENERS = 200 };
	struct timespec hold = {.tv_nsec = 30 * 1000 * 1000}; /* an instance keeps it open */

	for (int round = 0; round < ROUNDS; round++) {
		char path[200];
		pid_t kids[OPENERS];
		int gate[2], failed = 0;

		snprintf(path, sizeof(path), "%s/new-%d/leases.db", f->dir, round);
		assert_int_equal(pipe(gate), 0);
		for (int i = 0; i < OPENERS; i++) {
			kids[i] = fork();
			assert_true(kids[i] >= 0);
			if (kids[i] == 0) {
				char err[256], c;
				struct lease_db *db;

				close(gate[1]);
				if (read(gate[0], &c, 1) < 0)
					_exit(3);
				db = lease_db_open(path, false, err, sizeof(err));
				if (!db) {
					fprintf(stderr, "opener %d: %s\n", i, err);
					_exit(1);
				}
				nanosleep(&hold, NULL);
				lease_db_close(db);
				_exit(0);
			}
		}
		close(gate[0]);
		close(gate[1]); /* everyone goes */
		for (int i = 0; i < OPENERS; i++) {
			int status;

			assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
			failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		}
		assert_int_equal(failed, 0);
	}
}

static void copy_file(const char *from, const char *to)
{
	char buf[4096];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

struct v1_rows {
	unsigned count;
	uint32_t address[4];
	char mac[4][MAC_TEXT_LEN];
	enum lease_owner_state state[4];
	bool quarantined[4];
};

static void collect_row(const struct lease_row *row, void *ctx)
{
	struct v1_rows *r = ctx;

	if (r->count == 4)
		return;
	assert_true(inet_is_v4(&row->address));
	r->address[r->count] = inet_v4(&row->address);
	snprintf(r->mac[r->count], MAC_TEXT_LEN, "%s", row->mac);
	r->state[r->count] = row->state;
	r->quarantined[r->count] = row->quarantined_until > time(NULL);
	r->count++;
}

static void check_v1_rows(struct lease_db *db)
{
	struct v1_rows rows = {0};
	char err[256];

	assert_int_equal(lease_list(db, collect_row, &rows, err, sizeof(err)), 0);
	assert_int_equal(rows.count, 3);
	assert_int_equal(rows.address[0], 0xc0a84002);
	assert_string_equal(rows.mac[0], "52:54:00:12:34:56");
	assert_int_equal(rows.state[0], OWNER_GONE); /* its instance was SIGKILLed */
	assert_int_equal(rows.address[1], 0xc0a84003);
	assert_string_equal(rows.mac[1], "52:54:00:aa:00:01");
	assert_int_equal(rows.state[1], OWNER_NONE); /* released */
	assert_int_equal(rows.address[2], 0xc0a84004);
	assert_true(rows.quarantined[2]); /* declined */
}

/*
 * tests/data/leases-v1.db was written by sock-vmnet b93c94a (schema 1: addresses as IPv4
 * integers), with that version's own lease functions: 52:54:00:12:34:56 bound to .2 by an
 * instance that then died, 52:54:00:aa:00:01 given .3 and released, .4 declined by
 * 52:54:00:aa:00:02 and quarantined for 20 years. Listed as it is, then opened for writing
 * (migrated to schema 2), it keeps every lease: each MAC gets its address back.
 */
static void database_of_the_previous_version_opens(void **state)
{
	struct fixture *f = *state;
	struct process_identity me = f->self;
	char path[200], err[256];
	uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct lease_db *db;
	uint32_t addr = 0;

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	copy_file(TEST_DATA_DIR "/leases-v1.db", path);
	db = lease_db_open(path, true, err, sizeof(err)); /* "sock-vmnet leases" first */
	if (!db)
		fail_msg("listing a schema-1 database: %s", err);
	check_v1_rows(db);
	lease_db_close(db);
	lease_db_close(f->db);
	f->db = lease_db_open(path, false, err, sizeof(err));
	if (!f->db)
		fail_msg("opening a schema-1 database: %s", err);
	check_v1_rows(f->db);
	/* every MAC is sticky to its old address; a new one gets the first never used */
	assert_int_equal(allocate_on(f, "svmnet0", &me, mac, &addr), LEASE_OK);
	assert_int_equal(addr, 0xc0a84002);
	me.start_time++; /* another instance */
	mac[3] = 0xaa, mac[4] = 0, mac[5] = 1;
	assert_int_equal(allocate_on(f, "svmnet0", &me, mac, &addr), LEASE_OK);
	assert_int_equal(addr, 0xc0a84003);
	me.start_time++;
	mac[5] = 9;
	assert_int_equal(allocate_on(f, "svmnet0", &me, mac, &addr), LEASE_OK);
	assert_int_equal(addr, 0xc0a84005); /* .4 is quarantined */
	/* and it opens again as schema 2, with nothing to migrate */
	lease_db_close(f->db);
	f->db = lease_db_open(path, false, err, sizeof(err));
	assert_non_null(f->db);
}

/* ---- IPv6 address claims (claims6.c) ------------------------------------------------------ */

static void count_claim(const struct lease_addr_claim *c, void *ctx)
{
	unsigned *n = ctx;

	if (c->state == OWNER_RUNNING)
		n[0]++;
	else
		n[1]++;
}

static void addresses_go_to_the_first_claim(void **state)
{
	struct fixture *f = *state;
	struct process_identity a = f->self, b = other_running(f, 1), gone = other_gone(f, 2);
	uint8_t mac_a[6] = {0x52, 0x54, 0, 0, 0, 0xa}, mac_b[6] = {0x52, 0x54, 0, 0, 0, 0xb};
	uint8_t holder[6];
	struct inet_addr x = {{0xfd, 0x12, [15] = 0x10}}, y = x;
	unsigned counts[2] = {0, 0};
	char err[256];

	y.b[15] = 0x11;
	assert_int_equal(lease_claim_addr(f->db, NET, &x, mac_a, &a, f->now + 600, f->now, holder),
			 LEASE_OK);
	/* again by the same instance: still its own */
	assert_int_equal(lease_claim_addr(f->db, NET, &x, mac_a, &a, f->now + 600, f->now, holder),
			 LEASE_OK);
	/* another running instance is told who holds it */
	assert_int_equal(lease_claim_addr(f->db, NET, &x, mac_b, &b, f->now + 600, f->now, holder),
			 LEASE_TAKEN);
	assert_memory_equal(holder, mac_a, 6);
	/* ... on this network only */
	assert_int_equal(lease_claim_addr(f->db, "other0", &x, mac_b, &b, f->now + 600, f->now,
					  holder),
			 LEASE_OK);
	/* an owner that ended holds nothing */
	assert_int_equal(lease_claim_addr(f->db, NET, &y, mac_b, &gone, f->now + 600, f->now,
					  holder),
			 LEASE_OK);
	assert_int_equal(lease_claim_addr(f->db, NET, &y, mac_a, &a, f->now + 600, f->now, holder),
			 LEASE_OK);
	assert_int_equal(lease_list_addr_claims(f->db, count_claim, counts, err, sizeof(err)), 0);
	assert_int_equal(counts[0], 3);
	/* a release lets it go; only the holder's counts */
	assert_int_equal(lease_release_addr(f->db, NET, &x, &b), LEASE_OK);
	assert_int_equal(lease_claim_addr(f->db, NET, &x, mac_b, &b, f->now + 600, f->now, holder),
			 LEASE_TAKEN);
	assert_int_equal(lease_release_addr(f->db, NET, &x, &a), LEASE_OK);
	assert_int_equal(lease_claim_addr(f->db, NET, &x, mac_b, &b, f->now + 600, f->now, holder),
			 LEASE_OK);
	/* the instance's end lets every claim of it go */
	assert_int_equal(lease_claim_mac(f->db, NET, mac_a, &a, f->now + 600, f->now,
					 &(int64_t){0}, err, sizeof(err)),
			 0);
	assert_int_equal(lease_unclaim(f->db, NET, mac_a, &a, f->now), 0);
	assert_int_equal(lease_claim_addr(f->db, NET, &y, mac_b, &b, f->now + 600, f->now, holder),
			 LEASE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(addresses_go_to_the_first_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(database_of_the_previous_version_opens, setup,
						teardown),
		cmocka_unit_test_setup_teardown(simultaneous_first_opens_all_succeed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(owner_self_is_this_process, setup, teardown),
		cmocka_unit_test_setup_teardown(owner_states, setup, teardown),
		cmocka_unit_test_setup_teardown(allocates_lowest_then_next, setup, teardown),
		cmocka_unit_test_setup_teardown(exhausted_by_running_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(dead_owner_address_is_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(sticky_address_comes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(sticky_only_while_free, setup, teardown),
		cmocka_unit_test_setup_teardown(requested_address, setup, teardown),
		cmocka_unit_test_setup_teardown(moving_lets_go_of_the_old_address, setup, teardown),
		cmocka_unit_test_setup_teardown(decline_quarantines, setup, teardown),
		cmocka_unit_test_setup_teardown(release_keeps_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(least_recently_used_goes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(other_networks_are_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_refuses_running_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(claims_of_ended_instances_are_pruned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(list_and_unclaim, setup, teardown),
		cmocka_unit_test_setup_teardown(open_errors_are_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(open_creates_private_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(racing_processes_get_distinct_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(allocation_time_with_200_leases, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
