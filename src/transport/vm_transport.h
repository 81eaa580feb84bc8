/* SPDX-License-Identifier: MIT */
/* vm_transport.h — the VM's end: frames to and from the hypervisor's socket */
#ifndef SVM_TRANSPORT_VM_TRANSPORT_H
#define SVM_TRANSPORT_VM_TRANSPORT_H

#include <stddef.h>

#include "core/frame_port.h"
#include "core/vm_config.h"

/**
 * vm_transport_open() - the frame port for the VM socket the config names
 * @cfg: the VM section: --fd (dgram or stream), --socket or --listen, the MTU
 * @err: why it failed, one line naming the option
 * @err_size: size of @err
 * Return: the port (free it with its ->close), or NULL.
 */
struct frame_port *vm_transport_open(const struct vm_config *cfg, char *err, size_t err_size);

/* The transports, one file each. */
struct frame_port *vm_dgram_open(const struct vm_config *cfg, char *err, size_t err_size);
struct frame_port *vm_stream_open(const struct vm_config *cfg, char *err, size_t err_size);

/* Socket buffer sizes asked of the VM socket (see vm_dgram.c for the measurement). */
#define VM_SOCKET_RCVBUF (4 << 20)
#define VM_SOCKET_SNDBUF (1 << 20)

#endif
