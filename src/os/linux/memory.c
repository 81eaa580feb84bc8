// SPDX-License-Identifier: MIT
/* memory.c — glibc's allocator knobs: a fixed mmap threshold, and trimming */
#include <malloc.h>

#include "os/memory.h"

void memory_pin_mmap_threshold(unsigned long bytes)
{
	mallopt(M_MMAP_THRESHOLD, (int)bytes);
}

void memory_trim(void)
{
	malloc_trim(0);
}
