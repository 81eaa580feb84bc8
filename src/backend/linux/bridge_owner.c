// SPDX-License-Identifier: MIT
/* bridge_owner.c — one bridge, one lease database: the bridge's alias names it, changed under a lock */
#include "backend/linux/bridge_owner.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hostnet/linux/netlink.h"

#define ALIAS_TAG "sock-vmnet lease-db"
#define LOCK_RETRY_MS 1

int bridge_lock(const char *name, unsigned wait_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "sock-vmnet/bridge/%s", name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);

	if (fd < 0)
		return -errno;
	for (unsigned waited = 0;; waited += LOCK_RETRY_MS) {
		struct timespec pause = {0, LOCK_RETRY_MS * 1000000L};

		if (bind(fd, (struct sockaddr *)&sa, size) == 0)
			return fd;
		if (errno != EADDRINUSE || waited >= wait_ms) {
			int r = errno == EADDRINUSE ? -EBUSY : -errno;

			close(fd);
			return r;
		}
		nanosleep(&pause, NULL);
	}
}

void bridge_unlock(int lock)
{
	if (lock >= 0)
		close(lock);
}

struct db_identity {
	unsigned long long dev, ino;
	char path[PATH_MAX];
};

/* The alias: at most 75 bytes before the path, whose end is cut to fit (it only informs). */
static void format_identity(const struct db_identity *id, char out[NETLINK_ALIAS_SIZE])
{
	snprintf(out, NETLINK_ALIAS_SIZE, ALIAS_TAG " dev=%llu ino=%llu path=%.180s", id->dev,
		 id->ino, id->path);
}

/* Return: 1 if @alias is one of ours (then @id is what it names), 0 if it is not. */
static int parse_identity(const char *alias, struct db_identity *id)
{
	int path_at = 0;

	if (sscanf(alias, ALIAS_TAG " dev=%llu ino=%llu path=%n", &id->dev, &id->ino, &path_at) != 2 ||
	    path_at == 0)
		return 0;
	snprintf(id->path, sizeof(id->path), "%s", alias + path_at);
	return 1;
}

int bridge_owner_check(struct netlink *nl, const struct netlink_link *bridge, int own_port,
		       const char *port_prefix, const char *lease_db, char *err, size_t err_size)
{
	struct db_identity ours = {0}, theirs = {0};
	char alias[NETLINK_ALIAS_SIZE];
	struct stat st;
	int others, r;

	if (stat(lease_db, &st) < 0) {
		snprintf(err, err_size, "--lease-db: cannot read \"%s\": %s", lease_db, strerror(errno));
		return -1;
	}
	ours.dev = st.st_dev;
	ours.ino = st.st_ino;
	if (!realpath(lease_db, ours.path))
		snprintf(ours.path, sizeof(ours.path), "%s", lease_db);
	if (bridge->alias[0] && !parse_identity(bridge->alias, &theirs))
		return 0; /* someone else's alias: not ours to judge or change */
	if (bridge->alias[0] && theirs.dev == ours.dev && theirs.ino == ours.ino)
		return 0;
	if (bridge->alias[0]) {
		others = netlink_bridge_port_count(nl, bridge->ifindex, own_port, port_prefix);
		if (others < 0) {
			snprintf(err, err_size, "--bridge: cannot list the ports of \"%s\": %s",
				 bridge->name, strerror(-others));
			return -1;
		}
		if (others > 0) {
			snprintf(err, err_size,
				 "--lease-db: bridge %s is served by the lease database %s "
				 "(device %u:%u, inode %llu) for %d other VM%s, this instance's is %s "
				 "(device %u:%u, inode %llu): one bridge, one lease database%s",
				 bridge->name, theirs.path, major(theirs.dev), minor(theirs.dev),
				 theirs.ino, others, others == 1 ? "" : "s", ours.path,
				 major(ours.dev), minor(ours.dev), ours.ino,
				 strcmp(theirs.path, ours.path) == 0
					 ? " (the file was replaced or deleted while they ran)"
					 : "");
			return -1;
		}
	}
	format_identity(&ours, alias);
	r = netlink_link_set_alias(nl, bridge->ifindex, alias);
	if (r < 0) {
		snprintf(err, err_size, "--bridge: cannot record the lease database on \"%s\": %s",
			 bridge->name, strerror(-r));
		return -1;
	}
	return 0;
}
