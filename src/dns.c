// SPDX-License-Identifier: MIT
/* dns.c — DNS for the VM: the gateway's port 53 forwarded to the host's resolvers */
#include "dns.h"

#include <stdlib.h>

/* Placeholder until the DNS part of the DHCP issue lands. */
struct dns_proxy {
	int unused;
};

struct dns_proxy *dns_proxy_new(const struct config *cfg, struct loop *loop, char *err,
				size_t err_size)
{
	(void)cfg;
	(void)loop;
	(void)err;
	(void)err_size;
	return calloc(1, sizeof(struct dns_proxy));
}

void dns_proxy_free(struct dns_proxy *p)
{
	free(p);
}
