// SPDX-License-Identifier: MIT
/* privileges.c — after setup: no root (--user, or a default identity), then the sandbox */
#include "app/privileges.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "os/process.h"
#include "os/sandbox.h"

/* As root with --sandbox=on and no --user: this user if the system has it, else the next. */
static const char *const default_users[] = {"sock-vmnet", "nobody"};

/** struct identity - who sock-vmnet is after setup */
struct identity {
	uid_t uid;
	gid_t gid;
	char name[64]; /* the user's name, or "uid N" */
};

/*
 * With --socket, sock-vmnet connects to the hypervisor's own socket once its first datagram
 * came (vfkit, krunkit, QEMU's dgram netdev bind one), and a unix socket takes datagrams
 * only from who may write its file: its owner, as a socket is made by the umask (0755 or
 * so). The hypervisor's user is who ran sock-vmnet with sudo (vmnet-helper drops to the
 * same, SUDO_UID); without sudo that user is unknown and root stays (--user names it).
 */
static struct passwd *socket_peer_user(void)
{
	const char *text = getenv("SUDO_UID");
	char *end;
	unsigned long uid;

	if (!text || !*text)
		return NULL;
	uid = strtoul(text, &end, 10);
	return *end || uid == 0 || uid > UINT32_MAX ? NULL : getpwuid((uid_t)uid);
}

/* --user and --group, resolved; or the default. Return: 1 to switch, 0 to stay, -1. */
static int choose(const struct config *cfg, struct identity *id, char *err, size_t err_size)
{
	struct passwd *pw = NULL;

	*id = (struct identity){.uid = getuid(), .gid = getgid()};
	if (cfg->user) {
		pw = getpwnam(cfg->user);
		if (!pw) {
			snprintf(err, err_size, "--user: \"%s\" is not a user", cfg->user);
			return -1;
		}
	} else if (!cfg->group && cfg->sandbox && geteuid() == 0 &&
		   cfg->vm.transport == VM_SOCKET_DGRAM) {
		pw = socket_peer_user();
		if (!pw) {
			log_info("sandbox: staying root: --socket writes to the hypervisor's own "
				 "socket, which only its owner may (--user names that user)");
			return 0;
		}
	} else if (!cfg->group && cfg->sandbox && geteuid() == 0) {
		for (size_t i = 0; !pw && i < sizeof(default_users) / sizeof(default_users[0]); i++)
			pw = getpwnam(default_users[i]);
		if (!pw) {
			snprintf(err, err_size, "--sandbox: no \"sock-vmnet\" or \"nobody\" user to "
				 "run as after setup: name one with --user");
			return -1;
		}
	} else if (!cfg->group) {
		return 0;
	}
	if (pw) {
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
	} else {
		snprintf(id->name, sizeof(id->name), "uid %u", (unsigned)id->uid);
	}
	if (cfg->group) {
		struct group *gr = getgrnam(cfg->group);

		if (!gr) {
			snprintf(err, err_size, "--group: \"%s\" is not a group", cfg->group);
			return -1;
		}
		id->gid = gr->gr_gid;
	}
	return 1;
}

/* Whether @id may do @mode (a mask of 2: write, 1: search) in a directory of @st. */
static bool permits(const struct stat *st, const struct identity *id, unsigned mode)
{
	unsigned bits = st->st_uid == id->uid ? (st->st_mode >> 6) & 7
		      : st->st_gid == id->gid ? (st->st_mode >> 3) & 7
					      : st->st_mode & 7;

	return id->uid == 0 || (bits & mode) == mode;
}

/*
 * Whether @id may make and remove files in @path's directory: the directory writable and
 * searchable, every one above it searchable. By the mode bits (ACLs are not read): a
 * refusal here names the directory, and a directory writable through an ACL only can be
 * had with --sandbox=off.
 */
static bool dir_usable(const char *path, const struct identity *id)
{
	char dir[PATH_MAX];
	char *slash;
	unsigned mode = 3;
	struct stat st;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return false;
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	for (;;) {
		if (stat(dir, &st) < 0 || !permits(&st, id, mode))
			return false;
		mode = 1;
		slash = strrchr(dir, '/');
		if (!slash || (slash == dir && dir[1] == '\0'))
			return true;
		if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * The files sock-vmnet makes, renames or removes after setup, by the option naming them:
 * the metrics (written to a new file, renamed over), the captures and the audit (FILE.1
 * at their size), the control and VM sockets (removed at exit). Everything else it opened
 * during setup, and keeps open: the lease database (its -wal and -shm included), the TAP.
 */
static int check_dirs(const struct config *cfg, const struct identity *id, char *err,
		      size_t err_size)
{
	const struct {
		const char *option, *path;
	} paths[] = {
		{"metrics", cfg->ops.metrics},
		{"pcap", cfg->ops.pcap},
		{"pcap-drops", cfg->ops.pcap_drops},
		{"audit", cfg->ops.audit},
		{"control", cfg->control},
		{cfg->vm.transport == VM_LISTEN_STREAM ? "listen" : "socket",
		 cfg->vm.transport == VM_SOCKET_DGRAM || cfg->vm.transport == VM_LISTEN_STREAM
			 ? cfg->vm.path : NULL},
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i].path || dir_usable(paths[i].path, id))
			continue;
		snprintf(err, err_size, "--%s: \"%s\": its directory is not writable by %s, which "
			 "sock-vmnet runs as after setup (see --user, --sandbox)", paths[i].option,
			 paths[i].path, id->name);
		return -1;
	}
	return 0;
}

/* "CAP_NET_ADMIN CAP_KILL", "nothing" */
static const char *kept_text(unsigned kept, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", kept & SANDBOX_KEEP_NET_ADMIN ? "CAP_NET_ADMIN" : "",
		 (kept & SANDBOX_KEEP_NET_ADMIN) && (kept & SANDBOX_KEEP_KILL) ? " " : "",
		 kept & SANDBOX_KEEP_KILL ? "CAP_KILL" : "");
	return buf[0] ? buf : "no capability";
}

int privileges_drop(const struct config *cfg, unsigned keep, pid_t child, char *err,
		    size_t err_size)
{
	const struct sandbox_limits limits = {.child = child};
	struct identity id;
	char kept[64];
	int r = choose(cfg, &id, err, err_size);

	if (r < 0)
		return -1;
	if (r > 0 && child && id.uid != 0)
		keep |= SANDBOX_KEEP_KILL; /* the hypervisor, started as root, stopped at exit */
	if (r > 0 && !cfg->user && !cfg->group && !sandbox_can_keep(keep)) {
		/* macOS: nothing can be kept without root; only --user asks for the switch then */
		log_info("sandbox: staying root: this OS cannot keep what the %s needs after "
			 "setup without it", child ? "hypervisor" : "back-end");
		r = 0;
	}
	if (r > 0) {
		if (check_dirs(cfg, &id, err, err_size) < 0)
			return -1;
		if (sandbox_become(id.uid, id.gid, keep, err, err_size) < 0) {
			char why[200];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, err_size, "--%s: %s: %s", cfg->user ? "user" : cfg->group ? "group"
				 : "sandbox", id.name, why);
			return -1;
		}
		log_info("sandbox: running as %s (uid %u gid %u) with %s", id.name,
			 (unsigned)id.uid, (unsigned)id.gid,
			 id.uid ? kept_text(sandbox_kept(), kept, sizeof(kept)) : "root's privileges");
		process_forbid_new_privileges(); /* (the filter below sets it too) */
	}
	if (!cfg->sandbox) {
		log_info("sandbox: off (--sandbox=off)");
		return 0;
	}
	r = sandbox_confine(&limits, err, err_size);
	if (r > 0)
		log_info("sandbox: %s allow-list installed (%d system calls)", sandbox_kind(), r);
	else if (r == 0)
		log_info("sandbox: no system-call filter on this OS");
	return r < 0 ? -1 : 0;
}
