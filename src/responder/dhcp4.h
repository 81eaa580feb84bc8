/* SPDX-License-Identifier: MIT */
/* dhcp4.h — the VM's DHCPv4 server, answered on the frame path, leases in the shared database */
#ifndef SVM_RESPONDER_DHCP4_H
#define SVM_RESPONDER_DHCP4_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "leases/leases.h"
#include "os/process.h"
#include "responder/responder.h"

/**
 * struct dhcp4_clock - the clocks the DHCP responder reads: real ones unless a test's
 * @mono_ms: monotonic milliseconds (the message budget)
 * @wall_s: unix time (lease ends, the age of the database's record)
 *
 * Its retries of the database run on loop timers, on the loop's own clock.
 */
struct dhcp4_clock {
	uint64_t (*mono_ms)(void);
	int64_t (*wall_s)(void);
};

/**
 * struct dhcp4_setup - what the DHCP responder works with
 * @cfg: the command line (MAC, subnet, range, lease time, MTU, domain)
 * @db: the lease database, open, with @cfg's MAC claimed on @network (the caller's)
 * @self: this instance, as the owner of what it allocates
 * @network: the back-end's name for the network (backend_info.network_id)
 * @server_mac: the gateway's MAC, the source of every reply
 * @clock: the clocks; zeroed: the real ones
 */
struct dhcp4_setup {
	const struct config *cfg;
	struct lease_db *db;
	const struct process_identity *self;
	const char *network;
	const uint8_t *server_mac;
	struct dhcp4_clock clock;
};

/**
 * dhcp4_new() - the DHCP responder of one VM
 * @setup: what it works with; @setup's pointers must outlive the responder
 * @err: why it failed, one line
 * @err_size: size of @err
 *
 * Its handle() answers DHCPDISCOVER, REQUEST (every state), DECLINE, RELEASE and INFORM
 * from the VM (RFC 2131) and tells its env when the VM gets or loses its address. It never
 * waits for the database (set it to lease_db_wait(db, 0)): the lease the VM holds is
 * answered from memory and written when the database takes writes; a message that needs a
 * new address while another process holds the lock waits on a loop timer (env->loop) and
 * is answered when the lock is free; a database that takes no writes at all gives no new
 * address. Its close() lets nothing go: what the instance holds in the database is let go
 * by lease_unclaim() when the instance ends.
 * Return: the responder, or NULL.
 */
struct responder *dhcp4_new(const struct dhcp4_setup *setup, char *err, size_t err_size);

#endif
