/* SPDX-License-Identifier: MIT */
/* config.h — what the command line says: one section per module, checked once, then only read */
#ifndef SVM_APP_CONFIG_H
#define SVM_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "app/policy_file.h"
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
 * struct ops_config - what an operator watches and steers the instance by
 * @pcap: --pcap, or NULL; @pcap_drops: --pcap-drops, or NULL; @pcap_size: --pcap-size
 * @metrics: --metrics, or NULL; @metrics_interval: --metrics-interval (seconds)
 * @name: --name (the VM's name in metrics and the audit), or NULL
 * @audit: --audit, or NULL; @audit_size: --audit-size
 * @policy: --policy, or NULL; @policy_rules: its rules as read at start (malloc'd)
 * @ready_fd: --ready-fd, or -1
 */
struct ops_config {
	const char *pcap, *pcap_drops;
	uint64_t pcap_size;
	const char *metrics;
	unsigned metrics_interval;
	const char *name;
	const char *audit;
	uint64_t audit_size;
	const char *policy;
	struct policy_file policy_rules;
	int ready_fd;
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
	struct ops_config ops;
	const char *user, *group; /* drop privileges to these after setup */
	bool sandbox;             /* --sandbox: the default identity and the allow-list */
	const char *control;      /* --control: the control socket's path, or NULL */
	bool debug;
};

#endif
