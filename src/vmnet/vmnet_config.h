/* SPDX-License-Identifier: MIT */
/* vmnet_config.h — the vmnet back-end's section of the command line: its mode and interface */
#ifndef SVM_VMNET_VMNET_CONFIG_H
#define SVM_VMNET_VMNET_CONFIG_H

#include <stdbool.h>

#define VMNET_INTERFACE_NAME_SIZE 16 /* IFNAMSIZ on macOS too: a name and its NUL */

/* --vmnet-mode: vmnet.framework's operating modes (backend/vmnet) */
enum vmnet_mode_kind {
	VMNET_MODE_SHARED,  /* NAT behind the host (macOS: bridge100), the default */
	VMNET_MODE_HOST,    /* the host and other host-mode VMs only */
	VMNET_MODE_BRIDGED, /* on a host interface's own network (--vmnet-interface) */
};

/**
 * struct vmnet_config - the vmnet back-end (macOS)
 * @mode: --vmnet-mode
 * @interface: --vmnet-interface, the host interface of bridged mode ("" otherwise)
 * @mode_given: --vmnet-mode or --vmnet-interface was on the command line
 * @forwards: --expose was given: vmnet's forwarding calls are needed from the start (an
 *            interface of a macOS 26 network refuses them: the classic API serves)
 */
struct vmnet_config {
	enum vmnet_mode_kind mode;
	char interface[VMNET_INTERFACE_NAME_SIZE];
	bool mode_given;
	bool forwards;
};

#endif
