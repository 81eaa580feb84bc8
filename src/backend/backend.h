/* SPDX-License-Identifier: MIT */
/* backend.h — the host side: where the VM's frames go once the guard lets them through */
#ifndef SVM_BACKEND_BACKEND_H
#define SVM_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/expose.h"
#include "core/frame_port.h"
#include "core/loop.h"
#include "core/vm_config.h"
#include "os/sandbox.h"
#include "vmnet/vmnet_config.h"

#define BACKEND_NETWORK_ID_SIZE 64
#define BACKEND_NAME_SIZE 16
#define DEFAULT_BRIDGE "svmnet0"
#define BRIDGE_NAME_SIZE 16 /* IFNAMSIZ: a Linux interface name and its NUL */

/**
 * struct backend_config - the host side (the command line's section)
 * @name: --backend ("tap", "vmnet", "user", "auto")
 * @bridge: --bridge, for the tap back-end
 * @offload: --offload: large packets between sock-vmnet and the host
 * @vmnet: --vmnet-mode and --vmnet-interface, for the vmnet back-end
 * @lease_db: --lease-db: the tap back-end records in its bridge which database serves it
 */
struct backend_config {
	char name[BACKEND_NAME_SIZE];
	char bridge[BRIDGE_NAME_SIZE];
	bool offload;
	struct vmnet_config vmnet;
	const char *lease_db;
};

/**
 * struct backend_setup - what a back-end is asked to serve: its own section, the VM and the
 * VM's networks (each the command line's, read only, outliving the back-end); @net6 is
 * never NULL (@net6->enabled false: no IPv6)
 */
struct backend_setup {
	const struct backend_config *backend;
	const struct vm_config *vm;
	const struct net4_config *net4;
	const struct net6_config *net6;
};

/* What a back-end's port does with packet sizes (struct backend_info.offloads). */
#define BACKEND_OFFLOAD_TCP4 0x1u /* joins the VM's TCP segments, cuts the host's TSO packets */
#define BACKEND_OFFLOAD_UDP4 0x2u /* joins the VM's UDP datagrams of one flow too */

/**
 * struct backend_info - what the rest of sock-vmnet needs to know of the host side
 * @network_id: the lease database's name for the network this VM joins: instances on the
 *              same network share one address pool, and each MAC may be served by only one
 *              of them (tap: the bridge's name). Known before anything is set up, so that a
 *              MAC conflict is refused before the VM touches the network.
 * @network_desc: the same for people, in messages ("bridge svmnet0")
 * @gateway_mac: the gateway's MAC, the source of what sock-vmnet sends as the gateway
 *               (DHCP replies); known once the back-end is open
 * @offloads: BACKEND_OFFLOAD_* that the port does
 */
struct backend_info {
	char network_id[BACKEND_NETWORK_ID_SIZE];
	char network_desc[BACKEND_NETWORK_ID_SIZE + 16];
	uint8_t gateway_mac[6];
	unsigned offloads;
};

struct backend;
struct stats;

/**
 * struct backend_ops - one kind of host side
 * @name: as --backend names it
 * @identify: fill @info->network_id and ->network_desc from @setup alone (no side effect)
 * @open: set up the host side for one VM; on success the backend's @port and @info are
 *        complete. @err: why not, one line naming the option at fault. Return: the
 *        back-end, or NULL.
 * @close: undo everything @open did (what it shares with other instances stays)
 * @read_counters: (optional) put what the host side counted itself into @stats: frames
 *                 it dropped before sock-vmnet could read them (DROP_HOST_QUEUE)
 * @usable: (optional: always) whether this process can open it (root, a capability...);
 *          if not, @why says what is missing. --backend=auto takes the first usable one.
 * @expose_reserve: (NULL: no port forwarding) claim @e's host ports: a port someone else
 *                  holds (another process, another instance) is refused with @err; nothing
 *                  is forwarded yet
 * @expose_apply: forward @e's ports to the VM at @vm_addr (host order), or stop (0) and
 *                keep the claim. Return: 0, or -1 with @err
 * @expose_release: stop forwarding @e and give its ports back
 * @keep: what it needs after setup (enum sandbox_keep), when sock-vmnet gives up root:
 *        measured by running its tests without (see README, "The sandbox")
 */
struct backend_ops {
	const char *name;
	void (*identify)(const struct backend_setup *setup, struct backend_info *info);
	struct backend *(*open)(const struct backend_setup *setup, struct loop *loop, char *err,
				size_t err_size);
	void (*close)(struct backend *b);
	void (*read_counters)(struct backend *b, struct stats *stats);
	bool (*usable)(char *why, size_t why_size);
	int (*expose_reserve)(struct backend *b, const struct expose *e, char *err, size_t err_size);
	int (*expose_apply)(struct backend *b, const struct expose *e, uint32_t vm_addr, char *err,
			    size_t err_size);
	void (*expose_release)(struct backend *b, const struct expose *e);
	unsigned keep;
};

/**
 * struct backend - an open back-end
 * @ops: its kind
 * @port: the frames to and from the host side
 * @info: what it is (struct backend_info)
 * @failure: NULL while the host side works; once it is lost for good (what it depends on
 *           vanished and cannot be made again), why, in one line: the instance then ends
 *           with it as its error
 * @probe: optional (NULL: the host side cannot tell): ask whether @ipv4 (host order) is
 *         in use by another host on the network — before the DHCP server offers an
 *         address that another DHCP server on the same network (vmnet's bootpd) may have
 *         given away. @done gets the answer on the loop's thread, perhaps before this
 *         returns. Return: 0, or -errno (then no answer comes).
 */
struct backend {
	const struct backend_ops *ops;
	struct frame_port *port;
	struct backend_info info;
	const char *failure;
	int (*probe)(struct backend *b, uint32_t ipv4,
		     void (*done)(void *ctx, uint32_t ipv4, bool in_use), void *ctx);
};

/** backend_find() - the back-end called @name on this system, or NULL */
const struct backend_ops *backend_find(const char *name);

/**
 * backend_auto() - the back-end --backend=auto means here: the first of this build's (the
 * system's own before "user") that this process can open
 * @why: set to one line saying why the others were passed over ("" if none was)
 * Return: the back-end (never NULL when the build has "user").
 */
const struct backend_ops *backend_auto(char *why, size_t why_size);

/** backend_names() - the names --backend takes here, comma-separated, for messages */
const char *backend_names(void);

#endif
