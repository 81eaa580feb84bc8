// SPDX-License-Identifier: MIT
/* framecopy.h — TAP setup and the two frame-copy threads shared by the benchmark pump and null relay */
#ifndef SVMB_FRAMECOPY_H
#define SVMB_FRAMECOPY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Frames moved per recvmmsg()/sendmmsg() call and per burst of TAP reads.
 * MEASURE-BATCH
 */
#define FC_DEFAULT_BATCH 32
#define FC_MAX_BATCH 1024

/*
 * Send buffer of our socketpair end, in bytes (SO_SNDBUFFORCE, doubled by the kernel).
 * MEASURE-SNDBUF
 */
#define FC_DEFAULT_SNDBUF (4 << 20)

/* Largest Ethernet frame for a TAP MTU: the MTU plus the 14-byte header and one VLAN tag. */
#define FC_FRAME_MAX(mtu) ((size_t)(mtu) + 14 + 4)

/* Largest MTU a TAP accepts here (tun's MAX_MTU is 65535; 65520 is what pasta and slirp4netns use). */
#define FC_MAX_MTU 65535

/**
 * struct fc_tap_config - how to create a TAP device.
 * @name: interface name, or a template with "%d" the kernel completes.
 * @netns: network namespace to create it in: a name under /run/netns, a path, or NULL for ours.
 * @bridge: bridge to attach it to (in the same namespace), or NULL.
 * @mtu: MTU to set, or 0 to keep the kernel's default.
 * @mac: MAC address to set when @set_mac.
 * @set_mac: whether @mac is valid.
 */
struct fc_tap_config {
	const char *name;
	const char *netns;
	const char *bridge;
	int mtu;
	uint8_t mac[6];
	bool set_mac;
};

/**
 * struct fc_stats - counters of one copy direction, updated only by its thread.
 * @frames: frames copied.
 * @bytes: bytes copied.
 * @dropped: frames dropped (truncated, refused by the destination).
 * @calls: batched system calls made on the socket side.
 */
struct fc_stats {
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t calls;
};

/**
 * struct fc_pair - a TAP and a datagram socket whose frames are copied both ways.
 * @tap_fd: the TAP, or -1 to drain the socket and discard (sink mode).
 * @sock_fd: one end of an AF_UNIX SOCK_DGRAM socketpair, one frame per datagram.
 * @frame_max: receive buffer per frame, in bytes.
 * @batch: frames per batched call, 1..FC_MAX_BATCH.
 * @to_sock: TAP->socket counters.
 * @to_tap: socket->TAP counters.
 */
struct fc_pair {
	int tap_fd;
	int sock_fd;
	size_t frame_max;
	unsigned int batch;
	struct fc_stats to_sock;
	struct fc_stats to_tap;
};

/**
 * fc_tap_open() - Create a TAP device, configure it and bring it up.
 * @cfg: what to create.
 * @ifname: receives the name the kernel gave it.
 *
 * The device lives as long as the returned descriptor. When @cfg->netns is set the calling
 * thread enters that namespace to create the device and returns to its own before returning;
 * call it before starting threads.
 *
 * Return: the TAP descriptor (blocking, IFF_TAP | IFF_NO_PI), or -1 with a message on stderr.
 */
int fc_tap_open(const struct fc_tap_config *cfg, char ifname[IF_NAMESIZE]);

/**
 * fc_sock_tune() - Size the send buffer of a socketpair end.
 * @fd: the socket.
 * @sndbuf: bytes to ask for; SO_SNDBUFFORCE is tried first, SO_SNDBUF after.
 *
 * Return: 0, or -1 with a message on stderr.
 */
int fc_sock_tune(int fd, int sndbuf);

/**
 * fc_start() - Start the two copy threads of @pair.
 * @pair: descriptors and sizes; must stay valid while the process lives.
 *
 * The threads run until the process exits. On an error they cannot recover from (the peer
 * closed its end, the TAP vanished) they print a message and send SIGUSR1 to the process, so
 * a main thread waiting in sigwait() for SIGUSR1 learns of it. The caller must block SIGCHLD,
 * SIGINT, SIGTERM, SIGHUP and SIGUSR1 before calling, so that the threads inherit the mask.
 *
 * Return: 0, or -1 with a message on stderr.
 */
int fc_start(struct fc_pair *pair);

/**
 * fc_parse_mac() - Parse "aa:bb:cc:dd:ee:ff".
 * @text: the text.
 * @mac: receives the six bytes.
 *
 * Return: true if @text is a MAC address.
 */
bool fc_parse_mac(const char *text, uint8_t mac[6]);

/**
 * fc_parse_uint() - Parse a decimal number within bounds.
 * @text: the text.
 * @min: smallest value accepted.
 * @max: largest value accepted.
 * @out: receives the value.
 *
 * Return: true if @text is a number in [@min, @max].
 */
bool fc_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out);

#endif
