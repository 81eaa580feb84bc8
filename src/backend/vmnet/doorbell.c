// SPDX-License-Identifier: MIT
/* doorbell.c — vmnet's event block rings, the loop answers: a coalescing pipe between threads */
#include "backend/vmnet/doorbell.h"

#include <errno.h>
#include <unistd.h>

#include "os/socket.h"

int doorbell_open(struct doorbell *d)
{
	int r = os_pipe(d->fds);

	if (r < 0)
		return r;
	os_set_nonblock_cloexec(d->fds[0]);
	os_set_nonblock_cloexec(d->fds[1]);
	atomic_init(&d->rung, false);
	d->closed = false;
	pthread_mutex_init(&d->lock, NULL);
	return 0;
}

void doorbell_ring(struct doorbell *d)
{
	if (atomic_exchange_explicit(&d->rung, true, memory_order_acq_rel))
		return; /* a byte waits already */
	pthread_mutex_lock(&d->lock);
	if (!d->closed && write(d->fds[1], "!", 1) < 0) {
		/* EAGAIN: the pipe is not empty, which is all a ring has to achieve */
	}
	pthread_mutex_unlock(&d->lock);
}

void doorbell_clear(struct doorbell *d)
{
	char buf[64];

	while (read(d->fds[0], buf, sizeof(buf)) > 0)
		;
	atomic_store_explicit(&d->rung, false, memory_order_release);
}

void doorbell_close(struct doorbell *d)
{
	pthread_mutex_lock(&d->lock);
	d->closed = true;
	close(d->fds[0]);
	close(d->fds[1]);
	d->fds[0] = d->fds[1] = -1;
	pthread_mutex_unlock(&d->lock);
	/* the lock stays: an event block queued before the stop may still take it */
}
