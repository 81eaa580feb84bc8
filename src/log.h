/* SPDX-License-Identifier: MIT */
/* log.h — one-line log messages on stderr: "sock-vmnet[pid]: LEVEL message key=value" */
#ifndef SVM_LOG_H
#define SVM_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/** log_set_debug() - turn DEBUG lines on or off (--debug) */
void log_set_debug(bool on);
bool log_debug_enabled(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                     \
	do {                                                                               \
		if (log_debug_enabled())                                                   \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                               \
	} while (0)

/**
 * die_usage() - report a bad command-line value and exit with status 2
 * @fmt: the message after "sock-vmnet: ", e.g. "--mac: \"zz\" is not a MAC address"
 */
_Noreturn void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
