/* SPDX-License-Identifier: MIT */
/* leases.h — the lease database shared by every sock-vmnet on the host (SQLite) */
#ifndef SVM_LEASES_LEASES_H
#define SVM_LEASES_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/process.h"
#include "proto/addr.h"

/*
 * Who holds an address: the sock-vmnet process that serves the VM, as a process_identity
 * (os/process.h). An owner is alive while a process with its pid still has its start
 * time, in the same boot:
 *
 *   - boot_id differs from ours          → dead (the host rebooted: nothing survives)
 *   - same PID namespace, and the start
 *     time of its pid is still its own   → alive (pid reuse gives another start time)
 *   - another PID namespace (its
 *     processes are out of sight)        → alive until the lease it last wrote expires
 *
 * The check is made only when someone needs the address (a DISCOVER, a REQUEST, a
 * start with the same MAC), so no timer ever runs: a process that ends by any path,
 * SIGKILL and power loss included, frees its address for whoever asks next.
 */
enum lease_owner_state {
	OWNER_NONE,    /* nobody holds it (released, or the instance stopped cleanly) */
	OWNER_RUNNING, /* a live sock-vmnet holds it */
	OWNER_GONE,    /* its holder ended without letting go (SIGKILL, crash, reboot) */
};

/**
 * lease_owner_state() - is the process @o still running?
 * @o: the owner recorded in the database
 * @self: this process (lease_owner_self())
 * @lease_end: when the owner's lease ends (unix time): the answer for an owner in
 *             another PID namespace, whose /proc is out of sight
 * @now: unix time
 */
enum lease_owner_state lease_owner_state(const struct process_identity *o,
					 const struct process_identity *self, int64_t lease_end,
					 int64_t now);

struct lease_db;

/**
 * lease_db_open() - open (or create) the lease database
 * @path: the file (--lease-db)
 * @read_only: for listing: never create or change anything
 * @err: why not, one line naming the file (the caller names the option)
 * @err_size: size of @err
 *
 * Missing directories are created 0700 and a new database file 0600. The database is
 * checked (PRAGMA quick_check) and, unless @read_only, written to once, so a corrupt or
 * read-only database is an error here rather than at the first DHCP message. A database
 * of an older schema is brought up to date in the same write (schema 1: IPv4 integers).
 *
 * Return: the database, or NULL with @err set.
 */
struct lease_db *lease_db_open(const char *path, bool read_only, char *err, size_t err_size);
void lease_db_close(struct lease_db *db);

/**
 * lease_db_wait() - how long a call may wait for another process's lock, in ms
 *
 * lease_db_open() leaves it at 5 s, for start-up; a running instance sets 0, so that no
 * call ever stops its event loop: a busy database answers LEASE_BUSY at once, and the
 * caller tries again later (responder/dhcp4.c).
 */
void lease_db_wait(struct lease_db *db, unsigned ms);

/**
 * lease_claim_mac() - record that this instance serves @mac on @network
 * @db: the database
 * @network: the back-end's name for the network (backend_info): each has its own pool
 *           and MACs
 * @mac: the VM's MAC
 * @self: this instance
 * @until: unix time until which the claim holds for an owner in another PID namespace
 * @now: unix time
 * @holder: set to the pid of the running instance that already serves @mac
 * @err: on a database error, why, one line
 * @err_size: size of @err
 *
 * Return: 0; 1 when a running instance already serves @mac on @network; -1 on a
 * database error.
 */
int lease_claim_mac(struct lease_db *db, const char *network, const uint8_t mac[6],
		    const struct process_identity *self, int64_t until, int64_t now,
		    int64_t *holder, char *err, size_t err_size);

/**
 * lease_unclaim() - this instance ends: free what it holds (its IPv6 address claims too),
 * keep the MAC→address memory
 * Return: 0, or -1 on a database error.
 */
int lease_unclaim(struct lease_db *db, const char *network, const uint8_t mac[6],
		  const struct process_identity *self, int64_t now);

/**
 * struct lease_request - what lease_allocate() is asked for
 * @network: the back-end's name for the network
 * @first: the pool's first address
 * @last: its last address (of the same family)
 * @mac: the VM's MAC
 * @client_id: DHCP option 61 as the VM sent it, or NULL
 * @client_id_len: its length
 * @requested: the address the VM asked for (option 50 or ciaddr); unspecified for none
 * @requested_only: give @requested or nothing (REQUEST); otherwise any address (DISCOVER)
 * @lease_end: the lease's end, unix time
 * @now: unix time
 * @self: this instance
 */
struct lease_request {
	const char *network;
	struct inet_addr first, last;
	const uint8_t *mac;
	const uint8_t *client_id;
	size_t client_id_len;
	struct inet_addr requested;
	bool requested_only;
	bool bind; /* the VM acknowledged it (DHCPACK), not only offered */
	int64_t lease_end;
	int64_t now;
	const struct process_identity *self;
};

enum lease_result {
	LEASE_OK,
	LEASE_TAKEN,     /* @requested_only and the address is held, quarantined or outside */
	LEASE_EXHAUSTED, /* every address in the pool is held by a running instance */
	LEASE_BUSY,      /* another process holds the database's lock: try again later */
	LEASE_DB_ERROR,  /* the database cannot be written (full, read-only, broken) */
};

/**
 * lease_allocate() - choose and hold an address for the VM, in one transaction
 * @db: the database
 * @req: what is asked
 * @addr: the address now held by @req->self
 * @err: on LEASE_EXHAUSTED or LEASE_DB_ERROR, why, one line
 * @err_size: size of @err
 *
 * The first that is free (nobody, or an owner that is gone, or @self) wins:
 *  1. an address this MAC held before, the most recent first (sticky);
 *  2. @req->requested;
 *  3. the lowest address never handed out;
 *  4. the address least recently used by anyone.
 * Any other address @self held is let go in the same transaction.
 *
 * Return: LEASE_OK with @addr set, or why not (LEASE_BUSY: nothing was changed, try again).
 */
enum lease_result lease_allocate(struct lease_db *db, const struct lease_request *req,
				 struct inet_addr *addr, char *err, size_t err_size);

/**
 * lease_release() - the VM gave @addr back (DHCPRELEASE): it stays remembered for its MAC
 * Return: LEASE_OK, LEASE_BUSY or LEASE_DB_ERROR.
 */
enum lease_result lease_release(struct lease_db *db, const char *network,
				const struct inet_addr *addr, const struct process_identity *self,
				int64_t now);

/**
 * lease_decline() - the VM found @addr in use (DHCPDECLINE): nobody gets it until @until
 * Return: LEASE_OK, LEASE_BUSY or LEASE_DB_ERROR.
 */
enum lease_result lease_decline(struct lease_db *db, const char *network,
				const struct inet_addr *addr, const struct process_identity *self,
				int64_t until, int64_t now);

/** struct lease_row - one row of the database, for listing */
struct lease_row {
	const char *network;
	struct inet_addr address;
	const char *mac; /* "aa:bb:cc:dd:ee:ff", "" after a decline */
	struct process_identity owner;
	enum lease_owner_state state;
	bool bound;      /* acknowledged (DHCPACK), not only offered */
	int64_t expires; /* the VM's lease end, unix time */
	int64_t quarantined_until;
	int64_t updated;
};

/**
 * lease_list() - call @fn for every lease, by network then address
 * Return: 0, or -1 with @err set.
 */
int lease_list(struct lease_db *db, void (*fn)(const struct lease_row *row, void *ctx), void *ctx,
	       char *err, size_t err_size);

/**
 * lease_peek() - the row of @addr on @network, as lease_list() would show it
 * @row: filled in; its strings are valid until the next call on @db
 * Return: 1 found, 0 no such row, -1 a database error. Reads only: a database that takes
 * no writes (full, read-only) still answers.
 */
int lease_peek(struct lease_db *db, const char *network, const struct inet_addr *addr,
	       struct lease_row *row);

/* ---- IPv6 addresses claimed by duplicate address detection (claims6.c) ------------------- */

/**
 * lease_claim_addr() - this instance's VM @mac claims IPv6 address @addr on @network
 * @db: the database
 * @network: the back-end's name for the network
 * @addr: the address (the target of the VM's duplicate address detection)
 * @mac: the VM's MAC
 * @self: this instance
 * @until: unix time until which the claim holds for an owner in another PID namespace
 * @now: unix time
 * @holder: with LEASE_TAKEN, the MAC of the VM that holds it
 *
 * The first claim wins while its owner runs, whoever asks later (lease_owner_state()): a
 * claim of an owner that ended (SIGKILL, crash, reboot) is free again. One transaction.
 * Return: LEASE_OK (this instance's now, or already), LEASE_TAKEN, LEASE_BUSY or
 * LEASE_DB_ERROR.
 */
enum lease_result lease_claim_addr(struct lease_db *db, const char *network,
				   const struct inet_addr *addr, const uint8_t mac[6],
				   const struct process_identity *self, int64_t until, int64_t now,
				   uint8_t holder[6]);

/**
 * lease_release_addr() - this instance lets @addr go (its VM gave it up). lease_unclaim()
 * lets every claim of the instance go at its end. Return: LEASE_OK, LEASE_BUSY or
 * LEASE_DB_ERROR.
 */
enum lease_result lease_release_addr(struct lease_db *db, const char *network,
				     const struct inet_addr *addr,
				     const struct process_identity *self);

/** struct lease_addr_claim - one claimed IPv6 address, for listing */
struct lease_addr_claim {
	const char *network;
	struct inet_addr address;
	const char *mac;
	struct process_identity owner;
	enum lease_owner_state state;
	int64_t claimed;
};

/**
 * lease_list_addr_claims() - call @fn for every claimed address, by network then address
 * Return: 0 (also for a database that has no claims yet), or -1 with @err set.
 */
int lease_list_addr_claims(struct lease_db *db,
			   void (*fn)(const struct lease_addr_claim *c, void *ctx), void *ctx,
			   char *err, size_t err_size);

/** lease_db_sqlite_error() - the last SQLite error message of @db */
const char *lease_db_sqlite_error(struct lease_db *db);

#endif
