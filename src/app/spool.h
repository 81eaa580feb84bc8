/* SPDX-License-Identifier: MIT */
/* spool.h — records handed from the loop to a writer thread, so the frame path never waits for a file */
#ifndef SVM_APP_SPOOL_H
#define SVM_APP_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct spool_sink - what the writer thread does with the records (runs on that thread)
 * @write: write one record (@data, @len bytes); false when it could not (counted as lost)
 * @flush: the ring is empty for now: push out what is buffered (optional)
 * @ctx: their first argument
 */
struct spool_sink {
	bool (*write)(void *ctx, const uint8_t *data, uint32_t len);
	void (*flush)(void *ctx);
	void *ctx;
};

struct spool;

/**
 * spool_new() - a ring of @ring_bytes and the thread that empties it into @sink
 * @ring_bytes: the ring's size (a power of two, at least twice the largest record)
 * @sink: what the records become
 * @err: why not, one line
 * @err_size: its size
 * Return: the spool, or NULL.
 */
struct spool *spool_new(size_t ring_bytes, const struct spool_sink *sink, char *err,
			size_t err_size);

/**
 * spool_reserve() - room for a record of @len bytes, to fill and spool_commit()
 *
 * Only the loop's thread calls it. Never waits: when the ring is full the record is lost
 * (counted) and NULL returned.
 */
void *spool_reserve(struct spool *s, uint32_t len);

/** spool_commit() - the record spool_reserve() gave is complete: the writer may take it */
void spool_commit(struct spool *s);

/**
 * spool_kick() - wake the writer if it sleeps and records wait (one write to a pipe)
 *
 * Called once a turn of the loop, not per record: a burst of frames costs one wake-up.
 */
void spool_kick(struct spool *s);

/** spool_lost() - records refused because the ring was full, or the sink failed */
uint64_t spool_lost(const struct spool *s);

/** spool_written() - records the sink took */
uint64_t spool_written(const struct spool *s);

/**
 * spool_free() - let the writer take every record left, flush, stop it and free the spool
 *
 * Nothing committed is lost: the call waits for the thread to write it all.
 */
void spool_free(struct spool *s);

#endif
