/* SPDX-License-Identifier: MIT */
/* backend.h — the host side: where the VM's frames go once the guard lets them through */
#ifndef SVM_BACKEND_H
#define SVM_BACKEND_H

#include <stddef.h>

#include "frame_port.h"
#include "options.h"

/**
 * backend_open() - set up the host side for one VM and return its frame port
 * @cfg: the command line
 * @err: why it failed, one line naming the option at fault
 * @err_size: size of @err
 *
 * Linux "shared" mode: the bridge with the gateway address and NAT (created if missing,
 * shared by every instance), and a TAP for this VM on it. The TAP disappears when the
 * port is closed, or when the process dies by any path.
 *
 * Return: the port, or NULL.
 */
struct frame_port *backend_open(const struct config *cfg, char *err, size_t err_size);

#endif
