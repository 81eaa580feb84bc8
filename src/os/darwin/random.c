// SPDX-License-Identifier: MIT
/* random.c — unpredictable bytes on macOS: arc4random_buf(), seeded by the kernel, never failing */
#include <stdlib.h>

#include "os/random.h"

int os_random(void *buf, size_t len)
{
	arc4random_buf(buf, len); /* the kernel's generator; it neither blocks nor fails */
	return 0;
}
