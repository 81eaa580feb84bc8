/* SPDX-License-Identifier: MIT */
/* bridge_owner.h — one bridge, one lease database: the bridge's alias names it, changed under a lock */
#ifndef SVM_BACKEND_LINUX_BRIDGE_OWNER_H
#define SVM_BACKEND_LINUX_BRIDGE_OWNER_H

#include <stddef.h>

struct netlink;
struct netlink_link;

/**
 * bridge_lock() - take the lock of bridge @name: one instance at a time settles it
 * @name: the bridge
 * @wait_ms: how long to wait for another holder (0: try once)
 *
 * An abstract unix socket name, so it lives exactly as long as the network namespace the
 * bridge is in, needs no file, and goes with its holder whatever way it exits.
 * Return: the lock (a descriptor) to hand to bridge_unlock(), -EBUSY if it stayed taken,
 * or another -errno.
 */
int bridge_lock(const char *name, unsigned wait_ms);
void bridge_unlock(int lock);

/**
 * bridge_owner_check() - make sure @bridge is served by the lease database at @lease_db
 * @nl: netlink
 * @bridge: the bridge, as just read
 * @own_port: this instance's TAP (not counted among the others)
 * @port_prefix: the names of sock-vmnet's TAPs start with it
 * @lease_db: this instance's --lease-db
 * @err: why not, one line naming --lease-db
 * @err_size: its size
 *
 * The alias of a bridge that sock-vmnet serves names its lease database: path, device and
 * inode. A bridge without one (new), with this one, or whose TAPs are all gone takes this
 * instance's; a bridge with VMs on it whose alias names another file is refused: two
 * databases would hand out one address twice and let one MAC be served twice. An alias
 * that sock-vmnet did not write is left alone, and nothing is checked. Call it holding
 * bridge_lock().
 * Return: 0, or -1 with @err set.
 */
int bridge_owner_check(struct netlink *nl, const struct netlink_link *bridge, int own_port,
		       const char *port_prefix, const char *lease_db, char *err, size_t err_size);

#endif
