/* SPDX-License-Identifier: MIT */
/* privileges.h — after setup, run as --user/--group instead of root */
#ifndef SVM_APP_PRIVILEGES_H
#define SVM_APP_PRIVILEGES_H

#include <stddef.h>

#include "app/config.h"

/**
 * privileges_drop() - switch to --user and --group, if given, for good
 * Return: 0, or -1 with @err naming the option at fault.
 */
int privileges_drop(const struct config *cfg, char *err, size_t err_size);

#endif
