// SPDX-License-Identifier: MIT
/* frame_batch.c — the preallocated frame buffers of one direction of the relay */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core/frame_port.h"
#include "proto/offload.h"

/* Each buffer and the headroom before it; a multiple of 16, so every buffer is aligned alike. */
static size_t stride(size_t frame_cap)
{
	return (FRAME_HEADROOM + frame_cap + 15) & ~(size_t)15;
}

int frame_batch_init(struct frame_batch *b, unsigned cap, size_t frame_cap)
{
	size_t step = stride(frame_cap);
	uint8_t *area;

	*b = (struct frame_batch){.cap = cap, .frame_cap = frame_cap};
	/* mmap: untouched pages of large-MTU buffers cost no memory until a big frame comes */
	area = mmap(NULL, (size_t)cap * step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	b->data = calloc(cap, sizeof(*b->data));
	b->len = calloc(cap, sizeof(*b->len));
	b->offload = calloc(cap, sizeof(*b->offload));
	if (area == MAP_FAILED || !b->data || !b->len || !b->offload) {
		if (area != MAP_FAILED)
			munmap(area, (size_t)cap * step);
		free(b->data);
		free(b->len);
		free(b->offload);
		*b = (struct frame_batch){0};
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cap; i++)
		b->data[i] = area + (size_t)i * step + FRAME_HEADROOM;
	return 0;
}

void frame_batch_free(struct frame_batch *b)
{
	if (b->data) {
		munmap(b->data[0] - FRAME_HEADROOM, (size_t)b->cap * stride(b->frame_cap));
		free(b->data);
		free(b->len);
		free(b->offload);
	}
	*b = (struct frame_batch){0};
}
