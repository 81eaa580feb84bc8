/* SPDX-License-Identifier: MIT */
/* dhcp4.h — the VM's DHCPv4 server, answered on the frame path, leases in the shared database */
#ifndef SVM_RESPONDER_DHCP4_H
#define SVM_RESPONDER_DHCP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm_config.h"
#include "leases/leases.h"
#include "os/process.h"
#include "responder/responder.h"

#define DEFAULT_LEASE_DB "/var/lib/sock-vmnet/leases.db"
#define DEFAULT_LEASE_TIME 600 /* seconds, as softnet */

/**
 * struct dhcp_config - the DHCP server and its lease database (the command line's section)
 * @lease_db: --lease-db
 * @lease_time: --lease-time, seconds
 * @domain: --domain, or NULL
 */
struct dhcp_config {
	const char *lease_db;
	unsigned lease_time;
	const char *domain;
};

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
 * struct dhcp4_probe - asks the network whether an address is in use, before it is offered
 * @ask: start the question about @ipv4 (host order); @done gets the answer on the loop's
 *       thread, perhaps before @ask returns. Return: 0, or -errno (then no answer comes).
 * @owner: @ask's first argument
 *
 * For a network that another DHCP server serves too (vmnet's bootpd, with the classic API):
 * an address it gave away is seen answering ARP. NULL @ask: nothing to ask, offers go out
 * at once.
 */
struct dhcp4_probe {
	int (*ask)(void *owner, uint32_t ipv4,
		   void (*done)(void *ctx, uint32_t ipv4, bool in_use), void *ctx);
	void *owner;
};

/**
 * struct dhcp4_setup - what the DHCP responder works with
 * @vm: the VM (its MAC, the MTU)
 * @net4: its network (subnet, range, gateway)
 * @dhcp: lease time, domain, the database's path (for the log)
 * @db: the lease database, open, with @vm's MAC claimed on @network (the caller's)
 * @self: this instance, as the owner of what it allocates
 * @network: the back-end's name for the network (backend_info.network_id)
 * @server_mac: the gateway's MAC, the source of every reply
 * @clock: the clocks; zeroed: the real ones
 * @probe: how to ask whether a new address is in use (struct dhcp4_probe); zeroed: never
 */
struct dhcp4_setup {
	const struct vm_config *vm;
	const struct net4_config *net4;
	const struct dhcp_config *dhcp;
	struct lease_db *db;
	const struct process_identity *self;
	const char *network;
	const uint8_t *server_mac;
	struct dhcp4_clock clock;
	struct dhcp4_probe probe;
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
 * address. With a @setup->probe, a new address is offered only once the network says
 * nobody uses it; one in use is quarantined and the next one asked about. Its close() lets
 * nothing go: what the instance holds in the database is let go
 * by lease_unclaim() when the instance ends.
 * Return: the responder, or NULL.
 */
struct responder *dhcp4_new(const struct dhcp4_setup *setup, char *err, size_t err_size);

#endif
