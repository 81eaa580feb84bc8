/* SPDX-License-Identifier: MIT */
/* dhcp4_internal.h — the DHCP server's state, shared by dhcp4.c, dhcp4_reply.c, dhcp4_lease.c */
#ifndef SVM_RESPONDER_DHCP4_INTERNAL_H
#define SVM_RESPONDER_DHCP4_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/dhcp_msg.h"
#include "responder/dhcp4.h"

/* The largest client message kept while it waits for the database (RFC 2131: 576). */
#define DHCP_PENDING_MAX 1500

/** enum db_debt - what the database has still to be told */
enum db_debt {
	DEBT_NONE,
	DEBT_REFRESH, /* @held as this instance holds it (bound or not, expiry moved on) */
	DEBT_RELEASE, /* the VM released @debt_addr */
	DEBT_DECLINE, /* the VM declined @debt_addr: quarantine it until @debt_until */
};

/**
 * struct dhcp_server - the DHCP server of one VM
 * @resp: what the relay sees
 * @vm: the VM (its MAC, the MTU)
 * @net4: its network
 * @cfg: the DHCP section of the command line (lease time, domain, database path)
 * @db: the shared lease database (never waits: a locked database answers LEASE_BUSY)
 * @self: this process, as the owner of the address it holds
 * @network: the lease database's name for the network
 * @server_mac: the gateway's MAC, the replies' source
 * @gateway: the gateway, host order: the server identifier, router and DNS server
 * @pool_first: the first address handed out (the one after the gateway)
 * @pool_last: the last (--end-addr, less the broadcast address)
 * @held: the address this instance holds in the database (offered or acknowledged)
 * @held_bound: the VM acknowledged @held (DHCPACK)
 * @held_written: when the database last recorded @held as it is (unix time; 0: it owes it)
 * @vm_addr: the address acknowledged to the VM, which the guard lets it use
 * @exhausted: the pool was exhausted at the last DISCOVER (logged once per episode)
 * @tokens: DHCP messages the VM may still send now (a token bucket, see DHCP_BURST)
 * @tokens_ms: when @tokens was last refilled (monotonic ms)
 * @declines: DECLINEs honoured so far (at most DHCP_MAX_DECLINES)
 * @debt: what the database must still be told, @debt_timer tries it again
 * @pending: a message that waits for the database's lock; @retry_timer tries it again
 * @clock: the clocks the protocol reads (real ones, or a test's); timers run on the loop's
 * @probe: how to ask whether an address is in use (NULL ask: never asked)
 * @msg, @msg_len, @retrying: the client message being answered, and whether it is a retry
 * @answer_later: the message being answered waits for a probe (neither answered nor pending)
 * @probe_addr: the address asked about (0: no question is out)
 * @probe_in_use: its answer; @probe_timer hands it to the loop's next turn
 * @probe_cleared: an address the network said is free, offered without asking again
 * @probe_tries: addresses found in use for the DISCOVER in @probe_msg
 * @probe_msg: that DISCOVER (the latest one, if the VM repeated it meanwhile)
 */
struct dhcp_server {
	struct responder resp;
	const struct vm_config *vm;
	const struct net4_config *net4;
	const struct dhcp_config *cfg;
	struct lease_db *db;
	const struct process_identity *self;
	const char *network;
	uint8_t server_mac[ETH_ALEN_];
	uint32_t gateway;
	uint32_t pool_first, pool_last;
	uint32_t held;
	bool held_bound;
	int64_t held_written;
	uint32_t vm_addr;
	bool exhausted;
	uint8_t *reply;
	size_t reply_cap;
	unsigned tokens;
	uint64_t tokens_ms;
	unsigned declines;
	enum db_debt debt;
	uint32_t debt_addr;
	int64_t debt_until;
	unsigned debt_wait_ms;
	struct loop_timer debt_timer;
	uint8_t pending[DHCP_PENDING_MAX];
	size_t pending_len;
	uint64_t pending_since_ms;
	unsigned pending_wait_ms;
	struct loop_timer retry_timer;
	struct dhcp4_clock clock;
	struct dhcp4_probe probe;
	const uint8_t *msg;
	size_t msg_len;
	bool retrying;
	bool answer_later;
	uint32_t probe_addr;
	bool probe_in_use;
	uint32_t probe_cleared;
	unsigned probe_tries;
	struct loop_timer probe_timer;
	uint8_t probe_msg[DHCP_PENDING_MAX];
	size_t probe_msg_len;
};

/* ---- dhcp4_reply.c: replies ---------------------------------------------------------------- */

/**
 * dhcp4_reply_config() - an OFFER or ACK with the network configuration, addressed to the VM
 * @s: the server
 * @m: the request
 * @reply: the frame buffer (the reply is written at DHCP_FRAME_HEADROOM)
 * @reply_size: its capacity
 * @type: DHCPOFFER or DHCPACK
 * @yiaddr: the address given (with the lease's options), or 0 (INFORM: without them)
 *
 * Return: the frame's length, 0 when the reply does not fit.
 */
size_t dhcp4_reply_config(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
			  size_t reply_size, uint8_t type, uint32_t yiaddr);

/**
 * dhcp4_reply_nak() - a NAK saying @why, broadcast
 * Return: the frame's length, 0 when the reply does not fit.
 */
size_t dhcp4_reply_nak(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t *reply,
		       size_t reply_size, const char *why);

/* ---- dhcp4_lease.c: the lease database ----------------------------------------------------- */

/**
 * dhcp4_lease_request() - what lease_allocate() is asked for this VM at @now
 * @s: the server
 * @m: the client message (its client identifier), or NULL
 * @now: unix time
 *
 * Return: the request for the whole pool; the caller sets what it asks for.
 */
struct lease_request dhcp4_lease_request(const struct dhcp_server *s, const struct dhcp_msg *m,
					 int64_t now);

/**
 * dhcp4_pay_debt() - write now what the database is owed, if it takes writes
 * Return: true when the database has it (or nothing was owed).
 */
bool dhcp4_pay_debt(struct dhcp_server *s);

/**
 * dhcp4_owe() - @debt is owed: paid now if the database lets us, else kept and tried again
 * on @s->debt_timer
 * @s: the server
 * @debt: what the database must be told
 * @addr: the address it concerns (DEBT_RELEASE, DEBT_DECLINE)
 * @until: a quarantine's end (DEBT_DECLINE)
 */
void dhcp4_owe(struct dhcp_server *s, enum db_debt debt, uint32_t addr, int64_t until);

/** dhcp4_on_debt_timer() - @s->debt_timer's expiry: the debt tried again */
void dhcp4_on_debt_timer(struct loop_timer *t);

/**
 * dhcp4_hold_again() - the lease @s holds, answered again from memory; the database is told
 * when its record is older than DHCP_DB_REFRESH_S (or the VM has just bound it)
 * @s: the server
 * @bind: the VM acknowledged it (REQUEST), not only asked again (DISCOVER)
 */
void dhcp4_hold_again(struct dhcp_server *s, bool bind);

#endif
