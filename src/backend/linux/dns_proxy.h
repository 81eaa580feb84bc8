/* SPDX-License-Identifier: MIT */
/* dns_proxy.h — DNS for the VM: the gateway's port 53 forwarded to the host's resolvers */
#ifndef SVM_BACKEND_LINUX_DNS_PROXY_H
#define SVM_BACKEND_LINUX_DNS_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/loop.h"

struct dns_proxy;

/**
 * dns_proxy_new() - serve UDP and TCP port 53 on the gateway address
 * @cfg: the command line (gateway, --dns)
 * @loop: where to register the proxy's sockets
 * @err: why it failed, one line
 * @err_size: size of @err
 * Return: the proxy, or NULL with @err set.
 */
struct dns_proxy *dns_proxy_new(const struct config *cfg, struct loop *loop, char *err,
				size_t err_size);
void dns_proxy_free(struct dns_proxy *p);

/**
 * dns_resolv_conf_servers() - the IPv4 "nameserver" lines of a resolv.conf
 * @path: the file (/etc/resolv.conf)
 * @skip: an address to leave out (the gateway: forwarding to ourselves would loop)
 * @out: the servers, host order, in the file's order; a loopback stub (127.0.0.53) too
 * @max: room in @out
 * Return: how many were found (0 when the file cannot be read).
 */
size_t dns_resolv_conf_servers(const char *path, uint32_t skip, uint32_t *out, size_t max);

#endif
