// SPDX-License-Identifier: MIT
/* log.c — one-line log messages on stderr: "sock-vmnet[pid]: LEVEL message key=value" */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static bool debug_on;
static bool quiet;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_debug(bool on)
{
	debug_on = on;
}

bool log_debug_enabled(void)
{
	return debug_on;
}

void log_set_quiet(bool on)
{
	quiet = on;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (quiet)
		return;
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
