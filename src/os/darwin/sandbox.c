// SPDX-License-Identifier: MIT
/* sandbox.c — macOS: setuid only; no capabilities to keep, no system-call filter to install */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/sandbox.h"

/*
 * macOS has no capabilities: a process is root or it is not. What the vmnet back-end does
 * after vmnet_start_interface() (reading and writing packets, vmnet_stop_interface()) needs
 * no root — vmnet-helper (github.com/nirs/vmnet-helper, README: "requires root only to
 * start the vmnet interface, then immediately drops privileges") does just that — so an
 * identity switch that keeps nothing works; what would need a privilege kept (stopping a
 * hypervisor started as root) cannot be had: the caller asks sandbox_can_keep() first.
 */
bool sandbox_can_keep(unsigned keep)
{
	return keep == 0;
}

int sandbox_become(uid_t uid, gid_t gid, unsigned keep, char *err, size_t err_size)
{
	(void)keep;
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		snprintf(err, err_size, "cannot switch to uid %u gid %u: %s", (unsigned)uid,
			 (unsigned)gid, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		snprintf(err, err_size, "could switch back to root after the switch");
		return -1;
	}
	return 0;
}

unsigned sandbox_kept(void)
{
	return 0;
}

/*
 * No seccomp on macOS. Its equivalent, the Seatbelt sandbox (sandbox_init(3), a profile in
 * SBPL), is deprecated since macOS 10.8 for anything but Apple's own use, its profile
 * language is undocumented, and the App Sandbox entitlement is for App Store bundles,
 * not for a command-line daemon. Nothing is installed: the caller logs that it ran without.
 */
int sandbox_confine(const struct sandbox_limits *limits, char *err, size_t err_size)
{
	(void)limits;
	(void)err;
	(void)err_size;
	return 0;
}

const char *sandbox_kind(void)
{
	return NULL;
}
