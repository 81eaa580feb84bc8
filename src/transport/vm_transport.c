// SPDX-License-Identifier: MIT
/* vm_transport.c — picks the VM transport the command line names */
#include "transport/vm_transport.h"

struct frame_port *vm_transport_open(const struct vm_config *cfg, char *err, size_t err_size)
{
	switch (cfg->transport) {
	case VM_FD_DGRAM:
	case VM_SOCKET_DGRAM:
		return vm_dgram_open(cfg, err, err_size);
	case VM_FD_STREAM:
	case VM_LISTEN_STREAM:
		return vm_stream_open(cfg, err, err_size);
	}
	return NULL;
}
