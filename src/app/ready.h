/* SPDX-License-Identifier: MIT */
/* ready.h — --ready-fd: one JSON line for the launcher when the VM's network is ready, then the fd closed */
#ifndef SVM_APP_READY_H
#define SVM_APP_READY_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/vm_config.h"

/**
 * struct ready_info - what the line says
 * @backend: the back-end's name; @info: the open back-end's (network, offloads)
 * @vm: the VM (MAC, MTU); @net4: its network (gateway, subnet); @net6: its IPv6 network
 *       (the prefix; NULL or off: "ipv6_prefix":null)
 * @control: --control, or NULL; @name: --name, or NULL
 */
struct ready_info {
	const char *backend;
	const struct backend_info *info;
	const struct vm_config *vm;
	const struct net4_config *net4;
	const struct net6_config *net6;
	const char *control;
	const char *name;
};

/**
 * ready_line() - the line, without its newline:
 *   {"ready":true,"pid":N,"version":"…","name":…|null,"backend":"tap","network":"svmnet0",
 *    "mac":"…","mtu":1500,"gateway":"192.168.64.1","subnet":"192.168.64.0/24",
 *    "ipv6_prefix":"fd…::/64"|null,"offloads":["tcp","udp"],"control":"…"|null}
 * Return: a malloc'd string, or NULL when out of memory.
 */
char *ready_line(const struct ready_info *r);

/**
 * ready_write() - write ready_line() and a newline to @fd in one write, then close @fd
 * Return: 0, or -errno (the fd is closed all the same; a reader that went away is not an
 * error of the VM's network, only a line in the log).
 */
int ready_write(int fd, const struct ready_info *r);

#endif
