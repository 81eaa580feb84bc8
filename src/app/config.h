/* SPDX-License-Identifier: MIT */
/* config.h — what the command line says: one section per module, checked once, then only read */
#ifndef SVM_APP_CONFIG_H
#define SVM_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"
#include "core/expose.h"
#include "core/vm_config.h"
#include "guard/policy.h"
#include "responder/dhcp4.h"
#include "responder/dns.h"

/** struct expose_config - the command line's --expose, in order (malloc'd: options_free()) */
struct expose_config {
	struct expose *list;
	size_t count;
};

/**
 * struct config - the whole command line (app/options.c fills it)
 *
 * Each module is handed only its own section (and the VM's and its network's, which every
 * floor reads): the guard @vm, @net4, @net6 and @policy; the DHCP responder @dhcp; the DNS
 * responder @dns; the back-end @backend; the transport @vm.
 */
struct config {
	struct vm_config vm;
	struct net4_config net4;
	struct net6_config net6;
	struct dhcp_config dhcp;
	struct dns_config dns;
	struct policy_config policy;
	struct expose_config expose;
	struct backend_config backend;
	const char *user, *group; /* drop privileges to these after setup */
	const char *control;      /* --control: the control socket's path, or NULL */
	bool debug;
};

#endif
