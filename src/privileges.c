// SPDX-License-Identifier: MIT
/* privileges.c — after setup, run as --user/--group instead of root */
#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

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
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		snprintf(err, err_size, "--%s: cannot switch to it: %s", cfg->user ? "user" : "group",
			 strerror(errno));
		return -1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
