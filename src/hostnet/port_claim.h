/* SPDX-License-Identifier: MIT */
/* port_claim.h — a forwarded host port held by a socket of ours, so that nobody else takes it */
#ifndef SVM_HOSTNET_PORT_CLAIM_H
#define SVM_HOSTNET_PORT_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/expose.h"

/**
 * port_claim() - a socket bound to @port of @e's address and protocol
 *
 * A TCP one listens (and is never accepted from), with SO_REUSEADDR: connections in
 * TIME_WAIT (a killed instance's) do not keep the port from it, another listener does. A UDP
 * one is bound without SO_REUSEADDR, which would let two instances bind the same port.
 * Return: the socket, or -errno (-EADDRINUSE: someone has the port).
 */
int port_claim(const struct expose *e, uint16_t port);

/**
 * port_claim_all() - claim every host port of @e into @fds (expose_ports(e) of them)
 * Return: 0, or -1 with @err ("host port 8080/tcp: taken (...)"); nothing held then.
 */
int port_claim_all(const struct expose *e, int *fds, char *err, size_t err_size);

/**
 * port_claim_reset_waiting() - reset the TCP connections that came to @e's claimed ports
 * before the forward was there (the kernel accepted them into the listener's backlog): they
 * would wait for ever, the forward now takes every new one
 */
void port_claim_reset_waiting(const struct expose *e, const int *fds);

/** port_release_all() - close what port_claim_all() holds (-1 entries are skipped) */
void port_release_all(const struct expose *e, int *fds);

/**
 * port_claim_new() - port_claim_all() into an array of its own
 * Return: the array (port_claim_free() gives it back), or NULL with @err.
 */
int *port_claim_new(const struct expose *e, char *err, size_t err_size);

/** port_claim_free() - release @fds and free the array (NULL: nothing) */
void port_claim_free(const struct expose *e, int *fds);

/**
 * struct claimed_forward - one forward of a back-end (--expose), in a list of them
 * @e: the forward
 * @held: sockets on its host ports (port_claim_new()), so that nobody else binds them while
 *        we forward; -1 where a socket of the forwarder's own holds the port
 * @to: the VM's address it forwards to now (0: none yet)
 */
struct claimed_forward {
	struct expose e;
	int *held;
	uint32_t to;
	struct claimed_forward *next;
};

/** claimed_forward_find() - the forward of @list equal to @e (expose_same()), or NULL */
struct claimed_forward *claimed_forward_find(struct claimed_forward *list,
					     const struct expose *e);

/**
 * claimed_forward_add() - claim @e's host ports and put it at the head of @list
 * Return: the new forward (to 0), or NULL with @err (a port taken, out of memory).
 */
struct claimed_forward *claimed_forward_add(struct claimed_forward **list,
					    const struct expose *e, char *err, size_t err_size);

/**
 * claimed_forward_take() - unlink the forward equal to @e from @list
 * Return: it (claimed_forward_free() releases it), or NULL when there is none.
 */
struct claimed_forward *claimed_forward_take(struct claimed_forward **list,
					     const struct expose *e);

/** claimed_forward_free() - give @f's ports back and free it (NULL: nothing) */
void claimed_forward_free(struct claimed_forward *f);

#endif
