/* SPDX-License-Identifier: MIT */
/* service.h — one VM's network service: set up every module, run the loop, tear down */
#ifndef SVM_APP_SERVICE_H
#define SVM_APP_SERVICE_H

#include <sys/types.h>

#include "app/config.h"

/**
 * service_run() - serve the VM until it goes, a signal stops us, or an error
 * @cfg: the command line
 * @child: for "sock-vmnet run": the hypervisor process we started (its exit ends the
 *         service, and SIGINT/SIGTERM are passed on to it); 0 otherwise
 * @child_status: for @child, its wait status once it ended
 *
 * Everything set up is undone on every path: the TAP removed, the lease released, the
 * counters printed as one JSON line on stderr.
 *
 * Return: 0 for a clean stop (signal, VM gone), 1 for a setup or runtime error.
 */
int service_run(const struct config *cfg, pid_t child, int *child_status);

#endif
