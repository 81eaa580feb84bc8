// SPDX-License-Identifier: MIT
/* pcap_writer.c — frames captured into a pcap file by libpcap, on a thread of its own, size-bounded */
#include "app/pcap_writer.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/spool.h"
#include "core/log.h"

/* libpcap's own largest snapshot length: every frame is kept whole (at most MTU + 14). */
#define SNAPLEN 262144
/* The file's stdio buffer: 256 KiB, 64 times fewer write()s than the default's. */
#define PCAP_STDIO_BUFFER (256u << 10)
/* A pcap file's header; each record's header (struct pcap_sfthdr on disk). */
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

/*
 * libpcap is loaded (dlopen) when the first capture begins, not linked: on Debian it pulls
 * in libdbus, libsystemd, libgcrypt, liblzma, libzstd and liblz4, which every instance
 * would map and relocate. Measured, 100 idle instances (tests/soak/soak.py, concurrent):
 * PSS 846 -> 639 kB each (median), RSS 6.1 -> 5.0 MB without them. Once loaded it stays
 * (those libraries are not made to be unloaded).
 */
#ifdef __APPLE__
#define LIBPCAP "libpcap.A.dylib"
#else
#define LIBPCAP "libpcap.so.0.8" /* the soname of Debian's libpcap0.8 (1.10) */
#endif

static struct {
	__typeof__(&pcap_open_dead_with_tstamp_precision) open_dead;
	__typeof__(&pcap_dump_fopen) dump_fopen;
	__typeof__(&pcap_dump) dump;
	__typeof__(&pcap_dump_flush) dump_flush;
	__typeof__(&pcap_dump_close) dump_close;
	__typeof__(&pcap_close) close;
	__typeof__(&pcap_geterr) geterr;
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static char lib_error[200];

static void load_lib(void)
{
	void *h = dlopen(LIBPCAP, RTLD_NOW | RTLD_LOCAL);
	const char *why;

	if (!h) {
		why = dlerror();
		snprintf(lib_error, sizeof(lib_error), "cannot load " LIBPCAP ": %s",
			 why ? why : "unknown error");
		return;
	}
#define PCAP_SYM(field, name)                                                                     \
	do {                                                                                      \
		*(void **)&lib.field = dlsym(h, #name);                                           \
		if (!lib.field) {                                                                 \
			snprintf(lib_error, sizeof(lib_error), LIBPCAP " has no " #name);         \
			return;                                                                   \
		}                                                                                 \
	} while (0)
	PCAP_SYM(open_dead, pcap_open_dead_with_tstamp_precision);
	PCAP_SYM(dump_fopen, pcap_dump_fopen);
	PCAP_SYM(dump, pcap_dump);
	PCAP_SYM(dump_flush, pcap_dump_flush);
	PCAP_SYM(dump_close, pcap_dump_close);
	PCAP_SYM(close, pcap_close);
	PCAP_SYM(geterr, pcap_geterr);
#undef PCAP_SYM
}

/* A frame in the ring: its time, then its bytes. */
struct rec {
	int64_t us;
	uint8_t data[];
};

/**
 * struct pcap_writer - one capture file
 * @path: the file
 * @max_bytes: its bound (--pcap-size)
 * @bytes: what the file holds now (the writer thread's)
 * @pcap: libpcap's handle of a "dead" Ethernet capture: what the dumper needs
 * @dumper: the open file, or NULL after an error (frames then counted as lost)
 * @failed: an error was logged already (the writer thread's)
 */
struct pcap_writer {
	char *path;
	uint64_t max_bytes;
	uint64_t bytes;
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	bool failed;
	struct spool *spool;
};

/* Open @path for writing: created 0600 or truncated, never through a symbolic link. */
static pcap_dumper_t *open_dump(struct pcap_writer *w, char *err, size_t err_size)
{
	int fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	pcap_dumper_t *d;
	FILE *f;

	if (fd < 0) {
		snprintf(err, err_size, "\"%s\": %s", w->path,
			 errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		snprintf(err, err_size, "\"%s\": %s", w->path, strerror(errno));
		close(fd);
		return NULL;
	}
	/* frames come by the thousand: fewer, larger writes than stdio's default 4 KiB */
	setvbuf(f, NULL, _IOFBF, PCAP_STDIO_BUFFER);
	d = lib.dump_fopen(w->pcap, f);
	if (!d) {
		snprintf(err, err_size, "\"%s\": %s", w->path, lib.geterr(w->pcap));
		fclose(f);
		return NULL;
	}
	w->bytes = PCAP_FILE_HDR;
	return d;
}

/* The file is full: it becomes PATH.1 and a new one begins (the writer thread's). */
static void rotate(struct pcap_writer *w)
{
	size_t n = strlen(w->path) + 3;
	char *old = malloc(n), err[300];

	lib.dump_close(w->dumper);
	w->dumper = NULL;
	if (!old || (snprintf(old, n, "%s.1", w->path), rename(w->path, old) < 0)) {
		log_warn("pcap \"%s\": cannot keep the full file as .1: %s", w->path,
			 old ? strerror(errno) : "out of memory");
	}
	free(old);
	w->dumper = open_dump(w, err, sizeof(err));
	if (!w->dumper && !w->failed) {
		w->failed = true;
		log_error("pcap %s: capture stopped", err);
	}
}

static bool sink_write(void *ctx, const uint8_t *data, uint32_t len)
{
	struct pcap_writer *w = ctx;
	const struct rec *r = (const struct rec *)data;
	uint32_t frame_len = len - (uint32_t)sizeof(*r);
	struct pcap_pkthdr h = {
		.ts = {.tv_sec = (time_t)(r->us / 1000000), .tv_usec = (suseconds_t)(r->us % 1000000)},
		.caplen = frame_len,
		.len = frame_len,
	};

	if (w->dumper && w->bytes + PCAP_REC_HDR + frame_len > w->max_bytes)
		rotate(w);
	if (!w->dumper)
		return false;
	lib.dump((u_char *)w->dumper, &h, r->data);
	w->bytes += PCAP_REC_HDR + frame_len;
	return true;
}

static void sink_flush(void *ctx)
{
	struct pcap_writer *w = ctx;

	if (w->dumper && lib.dump_flush(w->dumper) < 0 && !w->failed) {
		w->failed = true;
		log_error("pcap \"%s\": cannot write: %s", w->path, strerror(errno));
	}
}

struct pcap_writer *pcap_writer_open(const char *path, uint64_t max_bytes, char *err,
				     size_t err_size)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));
	struct spool_sink sink = {.write = sink_write, .flush = sink_flush, .ctx = w};

	if (!w || !(w->path = strdup(path))) {
		snprintf(err, err_size, "out of memory");
		free(w);
		return NULL;
	}
	w->max_bytes = max_bytes;
	pthread_once(&lib_once, load_lib);
	if (!lib.geterr) {
		snprintf(err, err_size, "%s", lib_error);
		goto fail;
	}
	w->pcap = lib.open_dead(DLT_EN10MB, SNAPLEN,
							 PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->pcap) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	w->dumper = open_dump(w, err, err_size);
	if (!w->dumper)
		goto fail;
	/* the header on disk at once: the file reads as an empty capture from the start */
	lib.dump_flush(w->dumper);
	w->spool = spool_new(PCAP_RING_BYTES, &sink, err, err_size);
	if (w->spool)
		return w;
	lib.dump_close(w->dumper);
fail:
	if (w->pcap)
		lib.close(w->pcap);
	free(w->path);
	free(w);
	return NULL;
}

void pcap_writer_frame(struct pcap_writer *w, const uint8_t *data, uint32_t len, int64_t now_us)
{
	struct rec *r = spool_reserve(w->spool, (uint32_t)sizeof(*r) + len);

	if (!r)
		return;
	r->us = now_us;
	memcpy(r->data, data, len);
	spool_commit(w->spool);
}

void pcap_writer_kick(struct pcap_writer *w)
{
	spool_kick(w->spool);
}

const char *pcap_writer_path(const struct pcap_writer *w)
{
	return w->path;
}

uint64_t pcap_writer_frames(const struct pcap_writer *w)
{
	return spool_written(w->spool);
}

uint64_t pcap_writer_lost(const struct pcap_writer *w)
{
	return spool_lost(w->spool);
}

void pcap_writer_close(struct pcap_writer *w)
{
	if (!w)
		return;
	spool_free(w->spool); /* every frame written first */
	if (w->dumper)
		lib.dump_close(w->dumper);
	lib.close(w->pcap);
	free(w->path);
	free(w);
}
