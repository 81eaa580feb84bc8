// SPDX-License-Identifier: MIT
/* vmnet_sim.c — simulated vmnet: starting and stopping interfaces, and their packet events */
#include <Block.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "proto/wire.h"
#include "sim.h"

/* The keys' values are the simulation's own; callers only ever use the symbols. */
const char *const vmnet_operation_mode_key = "vmnet_operation_mode";
const char *const vmnet_mac_address_key = "vmnet_mac_address";
const char *const vmnet_mtu_key = "vmnet_mtu";
const char *const vmnet_max_packet_size_key = "vmnet_max_packet_size";
const char *const vmnet_interface_id_key = "vmnet_interface_id";
const char *const vmnet_estimated_packets_available_key = "vmnet_estimated_packets_available";
const char *const vmnet_allocate_mac_address_key = "vmnet_allocate_mac_address";
const char *const vmnet_shared_interface_name_key = "vmnet_shared_interface_name";
const char *const vmnet_start_address_key = "vmnet_start_address";
const char *const vmnet_end_address_key = "vmnet_end_address";
const char *const vmnet_subnet_mask_key = "vmnet_subnet_mask";
const char *const vmnet_nat66_prefix_key = "vmnet_nat66_prefix";
const char *const vmnet_enable_tso_key = "vmnet_enable_tso";
const char *const vmnet_enable_checksum_offload_key = "vmnet_enable_checksum_offload";
const char *const vmnet_read_max_packets_key = "vmnet_read_max_packets";
const char *const vmnet_write_max_packets_key = "vmnet_write_max_packets";
const char *const vmnet_enable_virtio_header_key = "vmnet_enable_virtio_header";

/* What the simulation accepts for vmnet_mtu_key: sock-vmnet's own range (vmnet's is unknown). */
#define SIM_MIN_MTU 576
#define SIM_MAX_MTU 65521
/* With TSO, vmnet "may generate large (64K) TCP frames": an IPv4 datagram in a frame. */
#define SIM_TSO_PACKET_MAX (ETH_HDR_LEN + 65535)

/* ---- the event watcher: a readable TAP raises one event, then waits for a read ---- */

static void *watch_main(void *arg)
{
	struct vmnet_interface *iface = arg;

	pthread_mutex_lock(&iface->lock);
	for (;;) {
		struct pollfd fds[2] = {{.fd = iface->host.fd, .events = POLLIN},
					{.fd = iface->stop_pipe[0], .events = POLLIN}};
		vmnet_interface_event_callback_t cb;
		dispatch_queue_t q;
		xpc_object_t event;

		while (!iface->armed && !iface->stopping)
			pthread_cond_wait(&iface->rearm, &iface->lock);
		if (iface->stopping)
			break;
		pthread_mutex_unlock(&iface->lock);
		while (poll(fds, 2, -1) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&iface->lock);
		if (iface->stopping)
			break;
		/* not armed any more: a read delivered the event itself (before-return) */
		if (!(fds[0].revents & POLLIN) || !iface->callback || !iface->armed)
			continue;
		iface->armed = false;
		cb = Block_copy(iface->callback);
		q = iface->callback_queue;
		pthread_mutex_unlock(&iface->lock);
		/* vmnet cannot count packets in a TAP: the estimate is "at least one" */
		event = xpc_dictionary_create(NULL, NULL, 0);
		xpc_dictionary_set_uint64(event, vmnet_estimated_packets_available_key, 1);
		dispatch_async(q, ^{
			cb(VMNET_INTERFACE_PACKETS_AVAILABLE, event);
			xpc_release(event);
			Block_release(cb);
		});
		pthread_mutex_lock(&iface->lock);
	}
	pthread_mutex_unlock(&iface->lock);
	return NULL;
}

/*
 * The event for packets a read left behind, delivered before the read returns: Apple
 * does not say when vmnet's queue runs the callback, so a ring may come at any moment
 * after a read, the one just before the reader's next step included. The caller's queue
 * runs it; this thread waits until it has.
 */
static void event_now(vmnet_interface_event_callback_t cb, dispatch_queue_t q)
{
	dispatch_semaphore_t ran = dispatch_semaphore_create(0);
	xpc_object_t event = xpc_dictionary_create(NULL, NULL, 0);

	xpc_dictionary_set_uint64(event, vmnet_estimated_packets_available_key, 1);
	dispatch_async(q, ^{
		cb(VMNET_INTERFACE_PACKETS_AVAILABLE, event);
		xpc_release(event);
		Block_release(cb);
		dispatch_semaphore_signal(ran);
	});
	dispatch_semaphore_wait(ran, DISPATCH_TIME_FOREVER);
	dispatch_release(ran);
}

void sim_rearm(struct vmnet_interface *iface)
{
	struct pollfd pfd = {.fd = iface->host.fd, .events = POLLIN};
	bool now = sim_config()->events_before_return && poll(&pfd, 1, 0) == 1 &&
		   (pfd.revents & POLLIN);
	vmnet_interface_event_callback_t cb = NULL;
	dispatch_queue_t q = NULL;

	pthread_mutex_lock(&iface->lock);
	now = now && iface->callback && !iface->stopping;
	iface->armed = !now; /* delivered now: the watcher waits for the next read */
	if (now) {
		cb = Block_copy(iface->callback);
		q = iface->callback_queue;
	}
	pthread_cond_signal(&iface->rearm);
	pthread_mutex_unlock(&iface->lock);
	if (now)
		event_now(cb, q);
}

static void watcher_stop(struct vmnet_interface *iface)
{
	bool watching;

	pthread_mutex_lock(&iface->lock);
	iface->stopping = true;
	watching = iface->watching;
	iface->watching = false;
	pthread_cond_signal(&iface->rearm);
	pthread_mutex_unlock(&iface->lock);
	if (write(iface->stop_pipe[1], "", 1) < 0) {
		/* a full pipe is rung already */
	}
	if (watching)
		pthread_join(iface->watcher, NULL);
}

vmnet_return_t vmnet_interface_set_event_callback(interface_ref iface, interface_event_t mask,
						  dispatch_queue_t queue,
						  vmnet_interface_event_callback_t callback)
{
	vmnet_return_t status = VMNET_SUCCESS;

	if (!iface || (callback && (!queue || mask != VMNET_INTERFACE_PACKETS_AVAILABLE)))
		return VMNET_INVALID_ARGUMENT;
	if (atomic_load(&iface->stopped))
		return VMNET_INVALID_ACCESS;
	if (!callback) {
		watcher_stop(iface);
		pthread_mutex_lock(&iface->lock);
		iface->stopping = false;
		Block_release(iface->callback);
		iface->callback = NULL;
		pthread_mutex_unlock(&iface->lock);
		return VMNET_SUCCESS;
	}
	pthread_mutex_lock(&iface->lock);
	if (iface->callback)
		Block_release(iface->callback);
	iface->callback = Block_copy(callback);
	iface->callback_queue = queue;
	iface->armed = true;
	if (!iface->watching) {
		iface->watching = pthread_create(&iface->watcher, NULL, watch_main, iface) == 0;
		if (!iface->watching)
			status = VMNET_FAILURE;
	}
	pthread_cond_signal(&iface->rearm);
	pthread_mutex_unlock(&iface->lock);
	return status;
}

/* ---- starting ----------------------------------------------------------------------- */

/*
 * The interface's MAC follows its identifier, as vmnet promises for vmnet_interface_id_key:
 * a locally administered unicast address from an FNV-1a hash of the uuid (vmnet allocates
 * its own; nothing ties it to the MAC the guest uses).
 */
static void mac_of_uuid(const uuid_t id, char out[18])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ id[i]) * 0x100000001b3ull;
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)((h >> 40) & 0xfe) | 0x02,
		 (unsigned)(h >> 32) & 0xff, (unsigned)(h >> 24) & 0xff, (unsigned)(h >> 16) & 0xff,
		 (unsigned)(h >> 8) & 0xff, (unsigned)h & 0xff);
}

static xpc_object_t interface_param(const struct vmnet_interface *iface, const uuid_t id)
{
	const struct sim_config *c = sim_config();
	xpc_object_t p = xpc_dictionary_create(NULL, NULL, 0);
	char mac[18];

	mac_of_uuid(id, mac);
	xpc_dictionary_set_string(p, vmnet_mac_address_key, mac);
	xpc_dictionary_set_uint64(p, vmnet_mtu_key, iface->mtu);
	xpc_dictionary_set_uint64(p, vmnet_max_packet_size_key, iface->max_packet_size);
	xpc_dictionary_set_uuid(p, vmnet_interface_id_key, id);
	if (c->report_max_packets) {
		xpc_dictionary_set_uint64(p, vmnet_read_max_packets_key, c->max_packets);
		xpc_dictionary_set_uint64(p, vmnet_write_max_packets_key, c->max_packets);
	}
	return p;
}

static struct vmnet_interface *interface_new(const struct sim_net *net, xpc_object_t desc,
					     vmnet_return_t *status)
{
	struct vmnet_interface *iface = calloc(1, sizeof(*iface));
	/* a network's interface has its network's MTU: vmnet_mtu_key is not one of the keys
	 * vmnet_interface_start_with_network() reads (SDK 26 vmnet.h) */
	uint64_t mtu = net->network ? net->mtu : xpc_dictionary_get_uint64(desc, vmnet_mtu_key);

	*status = VMNET_MEM_FAILURE;
	if (!iface)
		return NULL;
	iface->mtu = mtu ? (unsigned)mtu : 1500;
	iface->tso = xpc_dictionary_get_bool(desc, vmnet_enable_tso_key);
	iface->checksum_offload = xpc_dictionary_get_bool(desc, vmnet_enable_checksum_offload_key);
	/* the virtio header came with macOS 15.4 (played as 15): an older vmnet ignores the key */
	iface->virtio_header = vmnet_sim_has_virtio_header() &&
			       xpc_dictionary_get_bool(desc, vmnet_enable_virtio_header_key);
	iface->max_packet_size = iface->tso ? SIM_TSO_PACKET_MAX : iface->mtu + ETH_HDR_LEN;
	/* a guess (Apple says nothing): vm_pkt_size and the maximum count the header too */
	if (iface->virtio_header)
		iface->max_packet_size += SIM_VIRTIO_HDR_LEN;
	iface->bounce = malloc(SIM_TSO_PACKET_MAX + 64 + SIM_VIRTIO_HDR_LEN);
	iface->rx = malloc(SIM_TSO_PACKET_MAX + 64);
	iface->host.fd = iface->stop_pipe[0] = iface->stop_pipe[1] = -1;
	if (!iface->bounce || !iface->rx || pipe2(iface->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(iface->bounce);
		free(iface->rx);
		free(iface);
		return NULL;
	}
	pthread_mutex_init(&iface->lock, NULL);
	pthread_cond_init(&iface->rearm, NULL);
	*status = iface->mtu < SIM_MIN_MTU || iface->mtu > SIM_MAX_MTU ? VMNET_INVALID_ARGUMENT
									: VMNET_SUCCESS;
	/*
	 * Apple, vmnet_enable_virtio_header_key: "This property must not be specified if
	 * vmnet_enable_checksum_offload_key is specified" (what vmnet answers is not said:
	 * refused as an invalid argument here)
	 */
	if (iface->virtio_header && iface->checksum_offload)
		*status = VMNET_INVALID_ARGUMENT;
	return iface;
}

static void interface_free(struct vmnet_interface *iface)
{
	sim_host_close(&iface->host);
	close(iface->stop_pipe[0]);
	close(iface->stop_pipe[1]);
	free(iface->bounce);
	free(iface->rx);
	pthread_mutex_destroy(&iface->lock);
	pthread_cond_destroy(&iface->rearm);
	free(iface);
}

interface_ref sim_interface_start(const struct sim_net *net, xpc_object_t desc,
				  dispatch_queue_t queue,
				  vmnet_start_interface_completion_handler_t handler)
{
	/*
	 * On a network, vmnet_interface_id_key is ignored: vmnet-helper (commits c36688d,
	 * 56c133b): "vmnet on macOS 26.2 ignores this key and still generates a random MAC
	 * address and interface id on every start"; SDK 26 vmnet.h lists the keys
	 * vmnet_interface_start_with_network() reads, and it is not one of them.
	 */
	const uint8_t *given = net->network ? NULL : xpc_dictionary_get_uuid(desc, vmnet_interface_id_key);
	vmnet_return_t status;
	struct vmnet_interface *iface = interface_new(net, desc, &status);
	xpc_object_t param = NULL;
	uuid_t id;

	if (given)
		memcpy(id, given, sizeof(id));
	else if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		status = VMNET_FAILURE;
	if (status == VMNET_SUCCESS)
		status = sim_host_open(&iface->host, net, iface->mtu,
				       iface->tso || iface->checksum_offload || iface->virtio_header);
	if (status == VMNET_SUCCESS)
		iface->shared = net->mode == VMNET_SHARED_MODE;
	if (status == VMNET_SUCCESS && net->network) {
		/* SDK 26 vmnet.h: "On success, this call retains the network object." */
		iface->network = net->network;
		sim_network_retain(net->network);
	}
	if (status == VMNET_SUCCESS) {
		param = interface_param(iface, id);
	} else if (iface) {
		interface_free(iface);
		iface = NULL;
	}
	dispatch_async(queue, ^{
		handler(status, param);
		if (param)
			xpc_release(param);
	});
	return iface;
}

/* "a.b.c.d" of a key, host order; 0 when absent or not an address */
static uint32_t address_of(xpc_object_t desc, const char *key)
{
	const char *text = xpc_dictionary_get_string(desc, key);
	struct in_addr a;

	return text && inet_pton(AF_INET, text, &a) == 1 ? ntohl(a.s_addr) : 0;
}

/* Shared and host mode's subnet: vmnet's default unless all three keys are given. */
static vmnet_return_t classic_subnet(xpc_object_t desc, struct sim_net *net)
{
	uint32_t start = address_of(desc, vmnet_start_address_key);
	uint32_t end = address_of(desc, vmnet_end_address_key);
	uint32_t mask = address_of(desc, vmnet_subnet_mask_key);

	if (!start && !end && !mask) {
		net->gateway = 0xc0a84001; /* 192.168.64.1/24, macOS's first shared network */
		net->prefix_len = 24;
		return VMNET_SUCCESS;
	}
	if (!start || !end || !mask || (start & mask) != (end & mask) || start >= end ||
	    (~mask & (~mask + 1)) != 0)
		return VMNET_INVALID_ARGUMENT;
	net->gateway = start;
	net->prefix_len = (unsigned)__builtin_popcount(mask);
	/* bootpd's range, for the tests: vmnet takes an end on the broadcast address too
	 * (vmnet-helper PR #261's review: it "does not enforce" either end) */
	sim_log("classic dhcp-range=%u.%u.%u.%u-%u.%u.%u.%u", start >> 24, (start >> 16) & 255,
		(start >> 8) & 255, start & 255, end >> 24, (end >> 16) & 255, (end >> 8) & 255,
		end & 255);
	return VMNET_SUCCESS;
}

void sim_random_ula(struct inet_addr *prefix)
{
	*prefix = (struct inet_addr){{0xfd}};
	if (getrandom(prefix->b + 1, 7, 0) != 7)
		sim_fatal("getrandom: %s", strerror(errno));
}

/*
 * Shared mode's NAT66 (vmnet_nat66_prefix_key, macOS 10.15): "The prefix must be a ULA i.e.
 * start with fd00::/8", its length 64 (the deprecated length key: "must be 64"); without
 * the key, a random ULA, which is what a guest is seen to get (notes of issue 20). vmnet
 * advertises the prefix itself: the classic API cannot turn that off.
 */
static vmnet_return_t classic_nat66(xpc_object_t desc, struct sim_net *net)
{
	const char *text = xpc_dictionary_get_string(desc, vmnet_nat66_prefix_key);
	struct inet_addr a;
	static const uint8_t zero[8];

	net->nat66 = net->ra = true;
	if (!text) {
		sim_random_ula(&net->prefix6);
		return VMNET_SUCCESS;
	}
	if (inet_pton(AF_INET6, text, a.b) != 1 || a.b[0] != 0xfd || memcmp(a.b + 8, zero, 8)) {
		sim_log("vmnet_nat66_prefix_key: \"%s\" is not a ULA /64 prefix", text);
		return VMNET_INVALID_ARGUMENT;
	}
	net->prefix6 = a;
	return VMNET_SUCCESS;
}

interface_ref vmnet_start_interface(xpc_object_t desc, dispatch_queue_t queue,
				    vmnet_start_interface_completion_handler_t handler)
{
	struct sim_net net = {.mode = (operating_modes_t)xpc_dictionary_get_uint64(
				      desc, vmnet_operation_mode_key)};
	const char *shared_if = xpc_dictionary_get_string(desc, vmnet_shared_interface_name_key);
	vmnet_return_t status = VMNET_SUCCESS;

	if (!desc || !queue || !handler)
		return NULL;
	if (net.mode == VMNET_BRIDGED_MODE) {
		/*
		 * vmnet.h, vmnet_mtu_key (SDK 11.3 to 26.1): "In bridged mode, specifying the MTU
		 * in the interface_desc dictionary results in an error."
		 */
		if (!shared_if || strlen(shared_if) >= sizeof(net.bridged_if) ||
		    xpc_dictionary_get_value(desc, vmnet_mtu_key))
			status = VMNET_INVALID_ARGUMENT;
		else
			snprintf(net.bridged_if, sizeof(net.bridged_if), "%s", shared_if);
	} else if (net.mode == VMNET_SHARED_MODE || net.mode == VMNET_HOST_MODE) {
		status = classic_subnet(desc, &net);
		net.nat = net.mode == VMNET_SHARED_MODE;
		if (status == VMNET_SUCCESS && net.nat)
			status = classic_nat66(desc, &net);
	} else {
		status = VMNET_INVALID_ARGUMENT;
	}
	/* the classic API needs root (or com.apple.vm.networking, which only Apple grants) */
	if (status == VMNET_SUCCESS && sim_config()->privilege != SIM_PRIV_ROOT)
		status = sim_config()->macos_major >= 14 ? VMNET_NOT_AUTHORIZED : VMNET_FAILURE;
	if (status != VMNET_SUCCESS) {
		dispatch_async(queue, ^{
			handler(status, NULL);
		});
		return NULL;
	}
	return sim_interface_start(&net, desc, queue, handler);
}

vmnet_return_t vmnet_stop_interface(interface_ref iface, dispatch_queue_t queue,
				    vmnet_interface_completion_handler_t handler)
{
	if (!iface || !queue || !handler)
		return VMNET_INVALID_ARGUMENT;
	if (atomic_exchange(&iface->stopped, true))
		return VMNET_INVALID_ACCESS;
	watcher_stop(iface);
	sim_forwards_stop(iface);
	sim_log("stopped interface=%s bad_checksums=%lu bad_headers=%lu", iface->host.name,
		iface->bad_checksums, iface->bad_headers);
	sim_host_close(&iface->host);
	/*
	 * The interface_ref stays valid memory (never freed) so that a call after the stop
	 * gets VMNET_INVALID_ACCESS, which is what it means, rather than a crash.
	 */
	free(iface->bounce);
	free(iface->rx);
	iface->bounce = iface->rx = NULL;
	/* SDK 26 vmnet.h, vmnet_stop_interface(): "this call releases the associated network" */
	if (iface->network)
		sim_network_release(iface->network);
	iface->network = NULL;
	/*
	 * The event callback goes on the queue, after every event block queued before: its
	 * last use and its release are then on one thread, in order (Blocks' own reference
	 * counts are invisible to ThreadSanitizer).
	 */
	pthread_mutex_lock(&iface->lock);
	vmnet_interface_event_callback_t callback = iface->callback;
	iface->callback = NULL;
	pthread_mutex_unlock(&iface->lock);
	dispatch_async(queue, ^{
		if (callback)
			Block_release(callback);
		handler(VMNET_SUCCESS);
	});
	return VMNET_SUCCESS;
}
