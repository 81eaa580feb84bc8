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
 * Measured with the null path (bench/run.sh --paths null --pump-opts "--batch N", TCP at
 * MTU 1500, median of 3 x 4 s, two interleaved rounds; Gbit/s VM->host | host->VM, then
 * CPU ns per frame of pump | null-relay in VM->host):
 *   batch 1:   1.30 1.43 | 1.36 1.81   3400 3125 | 6724 6246
 *   batch 32:  1.59 1.67 | 1.47 2.46   3083 2718 | 6110 5599
 *   batch 128: 1.69 1.63 | 2.05 2.61   3014 2732 | 6030 5694
 * Batching gains 10-20 %; 32 and 128 are within the noise of each other (the receiving
 * side then takes ~31 and ~120 frames per recvmmsg(): the queue is rarely empty). The rest
 * of the ~3 us per frame is the kernel's work for each frame (TAP, bridge, routing), which
 * no batching of system calls removes. 32 bounds what a burst touches at MTU 65520 (2 MiB).
 */
#define FC_DEFAULT_BATCH 32
#define FC_MAX_BATCH 1024 /* bound for --batch: 128 already gains nothing over 32 */

/*
 * Send buffer of our socketpair end, in bytes (SO_SNDBUFFORCE, doubled by the kernel).
 * Measured as above (TCP, median of 3 x 4 s, two rounds, Gbit/s):
 *   MTU 1500 host->VM:  212992 (kernel default): 2.25 2.48   4 MiB: 2.71 2.85
 *   MTU 65520 VM->host: 212992: 12.77 14.01                  4 MiB: 13.73 15.52
 *   MTU 65520 host->VM: 212992: 11.85 15.40                  4 MiB: 13.20 14.95
 * The default holds ~6 frames of 64 KiB; 4 MiB is a bit faster or the same everywhere.
 */
#define FC_DEFAULT_SNDBUF (4 << 20)

/* Largest Ethernet frame for a TAP MTU: the MTU plus the 14-byte header and one VLAN tag. */
#define FC_FRAME_MAX(mtu) ((size_t)(mtu) + 14 + 4)

/* Largest MTU a TAP accepts: 65535 less the Ethernet header ("maxmtu 65521" in ip -d link). */
#define FC_MAX_MTU 65521

/*
 * The "VM" with offloads, as a virtio-net guest with krunkit's offloading=on has them: its TAP
 * opened with IFF_VNET_HDR and a 12-byte virtio_net_hdr_v1 (TUNSETVNETHDRSZ, TUNSETVNETLE),
 * TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 (libkrun's COMPAT_NET_FEATURES: CSUM and HOST_TSO4
 * towards the device), so that the namespace's TCP sends 64 KiB packets with partial
 * checksums, and takes large packets as a guest with GUEST_TSO4 does. On the socket:
 *   FC_OFFLOAD_KRUNKIT   what krunkit/libkrun send today: the header dropped, frames of up to
 *                        65550 bytes with partial checksums; frames from the socket get an
 *                        all-zero header (libkrun unixgram.rs write_virtio_net_hdr())
 *   FC_OFFLOAD_VNET_HDR  the header passed both ways (libkrun PR #493's
 *                        NET_FLAG_INCLUDE_VNET_HEADER)
 */
enum fc_offload { FC_OFFLOAD_NONE, FC_OFFLOAD_KRUNKIT, FC_OFFLOAD_VNET_HDR };
#define FC_VNET_HDR_LEN 12
#define FC_OFFLOAD_FRAME_MAX 65550 /* libkrun's 65562-byte buffer less the header */

/**
 * struct fc_tap_config - how to create a TAP device.
 * @name: interface name, or a template with "%d" the kernel completes.
 * @netns: network namespace to create it in: a name under /run/netns, a path, or NULL for ours.
 * @bridge: bridge to attach it to (in the same namespace), or NULL.
 * @mtu: MTU to set, or 0 to keep the kernel's default.
 * @mac: MAC address to set when @set_mac.
 * @set_mac: whether @mac is valid.
 * @offload: FC_OFFLOAD_NONE, or the TAP carries a virtio-net header and offloads (see above).
 */
struct fc_tap_config {
	const char *name;
	const char *netns;
	const char *bridge;
	int mtu;
	uint8_t mac[6];
	bool set_mac;
	enum fc_offload offload;
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
 * @offload: what the socket carries: frames, or frames of an offloading VM (see above).
 * @one_thread: both directions in one thread (a single-threaded forwarder's shape), not one each
 * @to_sock: TAP->socket counters.
 * @to_tap: socket->TAP counters.
 */
struct fc_pair {
	int tap_fd;
	int sock_fd;
	size_t frame_max;
	unsigned int batch;
	enum fc_offload offload;
	bool one_thread;
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
 * fc_cpu_us() - CPU time (user + system) the process has used so far, all threads.
 *
 * Return: microseconds.
 */
uint64_t fc_cpu_us(void);

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
