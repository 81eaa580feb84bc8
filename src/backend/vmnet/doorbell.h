/* SPDX-License-Identifier: MIT */
/* doorbell.h — how vmnet's event block (on a dispatch queue) wakes the loop: one byte in a pipe */
#ifndef SVM_BACKEND_VMNET_DOORBELL_H
#define SVM_BACKEND_VMNET_DOORBELL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/**
 * struct doorbell - "packets may wait in vmnet", from any thread to the loop's
 * @fds: a pipe: the loop watches [0]; a ring writes one byte to [1]
 * @rung: a byte is in the pipe or on its way, so further rings write nothing (the pipe
 *        holds at most one byte however often vmnet calls)
 * @lock: orders a ring against doorbell_close(), so that a late event block never writes
 *        to a descriptor number that was closed (and perhaps reused)
 * @closed: set by doorbell_close()
 *
 * This is the only state the vmnet back-end shares between threads: everything vmnet
 * hands over is read, judged and relayed on the loop's thread, as with the TAP.
 */
struct doorbell {
	int fds[2];
	atomic_bool rung;
	pthread_mutex_t lock;
	bool closed;
};

/** doorbell_open() - the pipe, both ends non-blocking and close-on-exec. Return: 0 or -errno. */
int doorbell_open(struct doorbell *d);

/** doorbell_ring() - make doorbell_fd() readable, if it is not already (any thread) */
void doorbell_ring(struct doorbell *d);

/**
 * doorbell_clear() - empty the pipe, then allow the next ring (the loop's thread, right
 * before each vmnet_read(): a ring that comes after the clear wakes the loop again; one
 * before it is for packets the read that follows sees). A clear not followed by a read
 * loses the ring, and vmnet need not ring again.
 */
void doorbell_clear(struct doorbell *d);

static inline int doorbell_fd(const struct doorbell *d)
{
	return d->fds[0];
}

/** doorbell_close() - no ring writes from now on; close the pipe */
void doorbell_close(struct doorbell *d);

#endif
