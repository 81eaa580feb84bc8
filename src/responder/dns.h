/* SPDX-License-Identifier: MIT */
/* dns.h — the VM's DNS, answered on the frame path: its queries to the gateway, relayed upstream */
#ifndef SVM_RESPONDER_DNS_H
#define SVM_RESPONDER_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/vm_config.h"
#include "proto/addr.h"
#include "responder/responder.h"

#define MAX_DNS_SERVERS 3

/** struct dns_config - where the VM's DNS queries go (none given: /etc/resolv.conf's), of either family */
struct dns_config {
	struct inet_addr servers[MAX_DNS_SERVERS];
	size_t count;
};

/*
 * The VM's resolver is the gateway. Its queries (UDP, and TCP through responder/tcp_lite.c)
 * never leave the frame path: each instance answers its own VM, with its own upstreams
 * (--dns, or the host's /etc/resolv.conf), so no VM can crowd out another's queries or be
 * answered with another instance's configuration, and every answer the VM gets passes
 * through here.
 *
 * Upstream, every UDP query has a socket of its own (a port the kernel picks at random),
 * connected to the server asked, and a random ID; an answer must come from that socket,
 * carry that ID and ask the same question. A query over TCP gets a TCP connection of its
 * own to the server, and the bytes are relayed both ways.
 */

struct dns_io;

/**
 * struct dns_io_ops - how the DNS responder reaches the resolvers: sockets in a loop
 * (dns_io_sockets()), or a test's fakes
 * @udp_open: a UDP socket connected to @server port 53. Return: a handle >= 0, or -errno.
 * @tcp_open: a TCP connection to @server port 53, being made (writable once made)
 * @send: bytes taken (0 or fewer: full; try when LOOP_OUT), or -errno
 * @recv: bytes read, 0 at the end of a stream, -EAGAIN when nothing waits, or -errno
 * @shutdown_write: no more bytes to the server (TCP)
 * @watch: which of LOOP_IN, LOOP_OUT the responder wants for @h (its on_event gets them)
 * @close: the handle is done with
 * @arm: call on_timer at @deadline_ms (0: never)
 * @now_ms: the monotonic clock
 * @random: 32 unpredictable bits; false when the system cannot give them now
 */
struct dns_io_ops {
	int (*udp_open)(struct dns_io *io, const struct inet_addr *server);
	int (*tcp_open)(struct dns_io *io, const struct inet_addr *server);
	long (*send)(struct dns_io *io, int h, const void *buf, size_t len);
	long (*recv)(struct dns_io *io, int h, void *buf, size_t len);
	void (*shutdown_write)(struct dns_io *io, int h);
	void (*watch)(struct dns_io *io, int h, uint32_t events);
	void (*close)(struct dns_io *io, int h);
	void (*arm)(struct dns_io *io, uint64_t deadline_ms);
	uint64_t (*now_ms)(struct dns_io *io);
	bool (*random)(struct dns_io *io, uint32_t *out);
};

/**
 * struct dns_io - an io implementation, and where it reports
 * @ops: its operations
 * @on_event: set by the responder: @h is ready (LOOP_IN, LOOP_OUT, LOOP_ERR, LOOP_HUP)
 * @on_timer: set by the responder: the armed deadline has come
 * @ctx: for both
 */
struct dns_io {
	const struct dns_io_ops *ops;
	void (*on_event)(void *ctx, int h, uint32_t events);
	void (*on_timer)(void *ctx);
	void *ctx;
};

/** dns_io_sockets() - the real io: non-blocking sockets and a timer in @loop */
struct dns_io *dns_io_sockets(struct loop *loop);
void dns_io_sockets_free(struct dns_io *io);

/**
 * struct dns_setup - what the DNS responder works with
 * @vm: the VM (its MAC, the MTU)
 * @net4: its network (the gateway it answers as)
 * @net6: its IPv6 network (NULL or disabled: none), whose gateway addresses it answers as
 *        too
 * @dns: --dns
 * @gateway_mac: the source of its answers
 * @io: how it reaches the resolvers
 * @resolv_conf: where the host's resolvers are read when --dns names none
 *
 * Every answer relayed to the VM, whole, over UDP or TCP, is also given to
 * responder_env.learn_answer (the name rules learn addresses from them).
 */
struct dns_setup {
	const struct vm_config *vm;
	const struct net4_config *net4;
	const struct net6_config *net6;
	const struct dns_config *dns;
	const uint8_t *gateway_mac;
	struct dns_io *io;
	const char *resolv_conf;
};

/**
 * dns_new() - the DNS responder of one VM
 * Return: the responder (its handle() takes the VM's UDP and TCP frames to gateway:53), or
 * NULL with @err set.
 */
struct responder *dns_new(const struct dns_setup *setup, char *err, size_t err_size);

/**
 * dns_resolv_conf_servers() - the "nameserver" lines of a resolv.conf, of either family
 * @path: the file (/etc/resolv.conf)
 * @skip: addresses to leave out (the gateway's: forwarding to ourselves would loop)
 * @skip_count: how many
 * @out: the servers in the file's order; a loopback stub (127.0.0.53, ::1) too, a link-local
 *       one with its scope (fe80::1%eth0) not
 * @max: room in @out
 * Return: how many were found (0 when the file cannot be read).
 */
size_t dns_resolv_conf_servers(const char *path, const struct inet_addr *skip, size_t skip_count,
			       struct inet_addr *out, size_t max);

#endif
