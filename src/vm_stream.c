// SPDX-License-Identifier: MIT
/* vm_stream.c — VM transport over a unix stream socket, frames framed by a 4-byte length */
#include <stdio.h>

#include "vm_transport.h"

/* Placeholder until the transports issue lands. */
struct frame_port *vm_stream_open(const struct config *cfg, char *err, size_t err_size)
{
	(void)cfg;
	snprintf(err, err_size, "--fd: SOCK_STREAM transport is not implemented yet");
	return NULL;
}
