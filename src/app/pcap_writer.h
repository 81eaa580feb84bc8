/* SPDX-License-Identifier: MIT */
/* pcap_writer.h — frames captured into a pcap file by libpcap, on a thread of its own, size-bounded */
#ifndef SVM_APP_PCAP_WRITER_H
#define SVM_APP_PCAP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * --pcap-size's default: 16 MiB per file. A capture is for reading by a person: 16 MiB hold
 * ~11 000 full 1514-byte frames or ~150 000 small ones (handshakes, DNS, DHCP: what a
 * capture is usually taken to see), and a file keeps at most twice that on disk (the file
 * and its predecessor, FILE.1), so 100 VMs capturing both files take 6.4 GB at most. Bulk
 * traffic fills a file in a fraction of a second at any size worth keeping per VM.
 */
#define PCAP_SIZE_DEFAULT (16u << 20)
/* The least --pcap-size: the file header and one frame of the largest MTU. */
#define PCAP_SIZE_MIN (64u << 10)

/*
 * Frames waiting for the writer thread, per capture: 4 MiB, ~2 800 full frames, ~7 ms of a
 * 4.5 Gbit/s stream: a disk that stalls for a moment costs no frame. What a capture of
 * everything at full speed costs was measured (bench/obs_cost.sh, TCP at MTU 1500 on this
 * 2-core machine, ~500 MB/s of pcap to write): the writer thread takes a core the relay,
 * the pump and iperf3 share, throughput drops by 10-33 %, and ~20 % of the frames are lost
 * (counted) instead of slowing the VM: the ring's size is not what bounds it then.
 */
#define PCAP_RING_BYTES (4u << 20)

struct pcap_writer;

/**
 * pcap_writer_open() - start capturing into @path (Ethernet, microsecond timestamps)
 * @path: the file: created (mode 0600: it holds the VM's traffic) or truncated; a symbolic
 *        link is refused
 * @max_bytes: when the file would grow past it, it is renamed @path.1 (replacing an older
 *             one) and a new @path begun: the latest frames are kept
 * @err: why not, one line (without the option's name)
 * @err_size: its size
 * Return: the writer, or NULL.
 */
struct pcap_writer *pcap_writer_open(const char *path, uint64_t max_bytes, char *err,
				     size_t err_size);

/**
 * pcap_writer_frame() - capture one frame (copied; never waits: a full ring loses it)
 * @w: the writer
 * @data: the Ethernet frame
 * @len: its length
 * @now_us: the capture time, microseconds since the epoch
 */
void pcap_writer_frame(struct pcap_writer *w, const uint8_t *data, uint32_t len, int64_t now_us);

/** pcap_writer_kick() - wake the writer thread if frames wait (once a turn of the loop) */
void pcap_writer_kick(struct pcap_writer *w);

/** pcap_writer_path() - the file it writes */
const char *pcap_writer_path(const struct pcap_writer *w);

/** pcap_writer_frames() - frames written; pcap_writer_lost(): frames not captured */
uint64_t pcap_writer_frames(const struct pcap_writer *w);
uint64_t pcap_writer_lost(const struct pcap_writer *w);

/** pcap_writer_close() - write every frame captured, close the file properly, free @w */
void pcap_writer_close(struct pcap_writer *w);

#endif
