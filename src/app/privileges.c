// SPDX-License-Identifier: MIT
/* privileges.c — after setup, run as --user/--group instead of root */
#include "app/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/process.h"

int privileges_drop(const struct config *cfg, char *err, size_t err_size)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (!cfg->user && !cfg->group)
		return 0;
	if (cfg->user) {
		struct passwd *pw = getpwnam(cfg->user);

		if (!pw) {
			snprintf(err, err_size, "--user: \"%s\" is not a user", cfg->user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (cfg->group) {
		struct group *gr = getgrnam(cfg->group);

		if (!gr) {
			snprintf(err, err_size, "--group: \"%s\" is not a group", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/*
	 * As root, setgid() and setuid() set the real, effective and saved IDs alike (POSIX),
	 * so there is no way back; checked anyway, since a way back would make the drop moot.
	 */
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		snprintf(err, err_size, "--%s: cannot switch to it: %s", cfg->user ? "user" : "group",
			 strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		snprintf(err, err_size, "--%s: could switch back to root after the switch",
			 cfg->user ? "user" : "group");
		return -1;
	}
	process_forbid_new_privileges();
	return 0;
}
