/* SPDX-License-Identifier: MIT */
/* log.h — one-line log messages on stderr: "sock-vmnet[pid]: LEVEL message key=value" */
#ifndef SVM_CORE_LOG_H
#define SVM_CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/** log_set_debug() - turn DEBUG lines on or off (--debug) */
void log_set_debug(bool on);
bool log_debug_enabled(void);

/** log_set_quiet() - write no line at all (fuzz targets, which exercise every error path) */
void log_set_quiet(bool on);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                     \
	do {                                                                               \
		if (log_debug_enabled())                                                   \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                               \
	} while (0)

#endif
