// SPDX-License-Identifier: MIT
/* random.c — unpredictable bytes on Linux: getrandom(), never blocking */
#include <errno.h>
#include <sys/random.h>

#include "os/random.h"

int os_random(void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom((char *)buf + got, len - got, GRND_NONBLOCK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno; /* EAGAIN: the pool is not initialized yet (early boot) */
		}
		got += (size_t)n;
	}
	return 0;
}
