/* SPDX-License-Identifier: MIT */
/* privileges.h — after setup: no root (--user, or a default identity), then the sandbox */
#ifndef SVM_APP_PRIVILEGES_H
#define SVM_APP_PRIVILEGES_H

#include <stddef.h>
#include <sys/types.h>

#include "app/config.h"

/**
 * privileges_drop() - at the end of setup: switch for good to --user and --group, or (as
 * root, --sandbox=on) to the sock-vmnet user, else nobody, keeping @keep (enum
 * sandbox_keep: what the back-end does at run time; CAP_KILL added for @child, the
 * hypervisor started as root); then, --sandbox=on, the system-call allow-list
 * Return: 0, or -1 with @err naming the option at fault.
 */
int privileges_drop(const struct config *cfg, unsigned keep, pid_t child, char *err,
		    size_t err_size);

#endif
