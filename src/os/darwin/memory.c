// SPDX-License-Identifier: MIT
/* memory.c — macOS's allocator: no threshold to pin; trimming is a pressure relief */
#include <malloc/malloc.h>

#include "os/memory.h"

void memory_pin_mmap_threshold(unsigned long bytes)
{
	/* macOS's malloc serves large blocks from their own regions anyway: nothing to pin */
	(void)bytes;
}

void memory_trim(void)
{
	malloc_zone_pressure_relief(NULL, 0); /* every zone, as much as it can */
}
