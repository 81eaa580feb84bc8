// SPDX-License-Identifier: MIT
/* log.c — one-line log messages on stderr: "sock-vmnet[pid]: LEVEL message key=value" */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static bool debug_on;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_debug(bool on)
{
	debug_on = on;
}

bool log_debug_enabled(void)
{
	return debug_on;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	/* one write() per line, so lines of concurrent instances never interleave */
	n = snprintf(line, sizeof(line), "sock-vmnet[%d]: %s ", (int)getpid(), level_names[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("sock-vmnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	exit(2);
}
