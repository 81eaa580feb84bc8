/* SPDX-License-Identifier: MIT */
/* dns.h — DNS for the VM: the gateway's port 53 forwarded to the host's resolvers */
#ifndef SVM_DNS_H
#define SVM_DNS_H

#include <stddef.h>

#include "loop.h"
#include "options.h"

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

#endif
