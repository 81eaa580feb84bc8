// SPDX-License-Identifier: MIT
/* vmnet_link.c — a vmnet interface started the way the running macOS allows, watched, stopped */
#include "backend/vmnet/vmnet_link.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/vmnet/vmnet_nat66.h"
#include "core/log.h"
#include "proto/addr.h"
#include "proto/wire.h"
#include "vmnet/vmnet_ident.h"

/*
 * How long vmnet may take to start an interface. The first shared-mode interface makes the
 * bridge and starts NAT (and, with the classic API, bootpd); QEMU waits without limit.
 * 30 s is far beyond any start we know of and keeps a stuck vmnet from hanging sock-vmnet
 * without a word.
 */
#define VMNET_START_TIMEOUT_S 30
/* A stop only tears down what the start made. */
#define VMNET_STOP_TIMEOUT_S 5

const char *vmnet_status_name(vmnet_return_t status)
{
	static const char *const names[] = {
		"VMNET_SUCCESS",	  "VMNET_FAILURE",	    "VMNET_MEM_FAILURE",
		"VMNET_INVALID_ARGUMENT", "VMNET_SETUP_INCOMPLETE", "VMNET_INVALID_ACCESS",
		"VMNET_PACKET_TOO_BIG",	  "VMNET_BUFFER_EXHAUSTED", "VMNET_TOO_MANY_PACKETS",
		"VMNET_SHARING_SERVICE_BUSY", "VMNET_NOT_AUTHORIZED",
	};
	unsigned i = (unsigned)status - VMNET_SUCCESS;

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : "VMNET_(unknown)";
}

/**
 * struct start_result - what the start's completion handler reports (on vmnet's queue)
 * @done: signalled by the handler; the loop's thread waits for it before reading the rest
 * @network_status, @network_why: why no macOS 26 network was made (VMNET_SUCCESS: none was
 *                                 tried, or it was), for the error if the classic API fails too
 */
struct start_result {
	dispatch_semaphore_t done;
	vmnet_return_t status;
	unsigned mtu;
	size_t max_packet_size;
	unsigned read_max, write_max;
	uint8_t mac[6];
	vmnet_return_t network_status;
	const char *network_why;
};

static unsigned max_packets(xpc_object_t param, bool read)
{
#ifdef SVM_VMNET_HAVE_MAX_PACKETS_KEYS
	if (__builtin_available(macOS 15.0, *))
		return (unsigned)xpc_dictionary_get_uint64(param, read ? vmnet_read_max_packets_key
								       : vmnet_write_max_packets_key);
#endif
	(void)param;
	(void)read;
	return 0;
}

static void read_param(struct start_result *r, xpc_object_t param)
{
	const char *mac = xpc_dictionary_get_string(param, vmnet_mac_address_key);

	r->mtu = (unsigned)xpc_dictionary_get_uint64(param, vmnet_mtu_key);
	r->max_packet_size = (size_t)xpc_dictionary_get_uint64(param, vmnet_max_packet_size_key);
	r->read_max = max_packets(param, true);
	r->write_max = max_packets(param, false);
	if (!mac || !mac_parse(mac, r->mac))
		memset(r->mac, 0, sizeof(r->mac));
}

/* Checksum offload (macOS 12.0; SDK 11's header lacks the key: TSO alone there). */
static void enable_checksum_offload(xpc_object_t d)
{
#ifdef SVM_VMNET_HAVE_CHECKSUM_OFFLOAD
	xpc_dictionary_set_bool(d, vmnet_enable_checksum_offload_key, true);
#else
	(void)d;
#endif
}

/*
 * vmnet's virtio-net header (macOS 15.4; declared from SDK 15.5 on, which defines the name
 * to itself): Apple, vmnet_enable_virtio_header_key: "Enable virtio headers in all packets",
 * pointing at virtio 1.1 §5.1.6 "Device Operation", whose struct virtio_net_hdr has
 * num_buffers: 12 bytes (unverified on a Mac). "This property must not be specified if
 * vmnet_enable_checksum_offload_key is specified": TSO only beside it.
 * Return: whether it was asked for (false: this SDK or this macOS has none).
 */
static bool enable_virtio_header(xpc_object_t d)
{
#ifdef vmnet_enable_virtio_header_key
#ifdef SVM_VMNET_SIM
	if (vmnet_sim_has_virtio_header()) { /* the simulation says which macOS it plays */
#else
	if (__builtin_available(macOS 15.4, *)) {
#endif
		if (d)
			xpc_dictionary_set_bool(d, vmnet_enable_virtio_header_key, true);
		return true;
	}
#endif
	(void)d;
	return false;
}

static uint64_t operation_mode(enum vmnet_mode_kind mode)
{
	return mode == VMNET_MODE_HOST	    ? VMNET_HOST_MODE
	       : mode == VMNET_MODE_BRIDGED ? VMNET_BRIDGED_MODE
					    : VMNET_SHARED_MODE;
}

/*
 * The end of bootpd's range: --end-addr, but never the broadcast address. vmnet takes one
 * (vmnet-helper PR #261's review ran a /30 whose end was its broadcast) and documents no
 * check; what bootpd would offer is unknown. vmnet's own default ends on .254 (vmnet-helper's
 * output on macOS 26.4, renode#895), as socket_vmnet's (cli.c); sock-vmnet's own pool never
 * hands out the broadcast address either.
 */
static uint32_t dhcp_range_end(const struct net4_config *net4)
{
	uint32_t end = inet_v4(&net4->range_end);
	uint32_t broadcast = inet_v4(&net4->subnet.addr) | ~net4->mask;

	return end < broadcast ? end : broadcast - 1;
}

/*
 * interface_desc() - the interface as vmnet_start_interface() or, on a network (@classic
 * false), vmnet_interface_start_with_network() takes it
 *
 * A network's interface reads four keys (SDK 26 vmnet.h: vmnet_allocate_mac_address_key,
 * vmnet_enable_tso_key, vmnet_enable_isolation_key, vmnet_enable_checksum_offload_key): its
 * MTU is the network's (vmnet_network_configuration_set_mtu()), and vmnet gives it an id
 * and MAC of its own on every start (vmnet-helper c36688d: macOS 26.2 "ignores this key and
 * still generates a random MAC address and interface id"). Only those are sent there.
 */
static xpc_object_t interface_desc(const struct backend_setup *setup, bool classic,
				   bool *virtio_header)
{
	xpc_object_t d = xpc_dictionary_create(NULL, NULL, 0);
	char text[IPV4_TEXT_LEN];
	uint8_t uuid[VMNET_UUID_SIZE];

	*virtio_header = false;
	if (setup->backend->offload) {
		xpc_dictionary_set_bool(d, vmnet_enable_tso_key, true);
		if (setup->backend->vmnet.virtio_header)
			*virtio_header = enable_virtio_header(d);
		else
			enable_checksum_offload(d);
	}
	if (!classic)
		return d;
	vmnet_interface_uuid(setup->vm->mac, uuid);
	xpc_dictionary_set_uuid(d, vmnet_interface_id_key, uuid);
	xpc_dictionary_set_uint64(d, vmnet_operation_mode_key, operation_mode(setup->backend->vmnet.mode));
	if (setup->backend->vmnet.mode == VMNET_MODE_BRIDGED) {
		/*
		 * Neither MTU nor addresses: vmnet.h, vmnet_mtu_key: "In bridged mode, specifying
		 * the MTU in the interface_desc dictionary results in an error" (every SDK from
		 * 11.3 to 26.1); the addresses are the LAN's (QEMU's vmnet-bridged.m, vmnet-helper
		 * and socket_vmnet send none either).
		 */
		xpc_dictionary_set_string(d, vmnet_shared_interface_name_key, setup->backend->vmnet.interface);
		return d;
	}
	xpc_dictionary_set_uint64(d, vmnet_mtu_key, setup->vm->mtu);
	/* vmnet's start address is the gateway (the host's), as sock-vmnet's --start-addr */
	ipv4_format(inet_v4(&setup->net4->gateway), text);
	xpc_dictionary_set_string(d, vmnet_start_address_key, text);
	ipv4_format(dhcp_range_end(setup->net4), text);
	xpc_dictionary_set_string(d, vmnet_end_address_key, text);
	ipv4_format(setup->net4->mask, text);
	xpc_dictionary_set_string(d, vmnet_subnet_mask_key, text);
	vmnet_nat66_desc(d, setup);
	return d;
}

#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
/*
 * Network objects fit shared and host mode, and a gateway that is the subnet's first
 * address: Apple "reserves the first, second, and last addresses of the range. The second
 * address is reserved for the host". Not with --expose: an interface started on a network
 * refuses vmnet's forwarding calls at once with VMNET_FAILURE (kernova's lab notes, macOS
 * 27.0, 2026-09-22; Apple Feedback FB24895264), while a vmnet_start_interface() interface
 * takes them; the network's own rules (vmnet_network_configuration_add_port_forwarding_rule)
 * are fixed before the network exists, before the VM has an address, and cannot change.
 */
static bool network_objects_fit(const struct backend_setup *setup)
{
	if (setup->backend->vmnet.mode == VMNET_MODE_BRIDGED)
		return false;
	if (setup->backend->vmnet.forwards) {
		log_info("vmnet: --expose: an interface of a macOS 26 network refuses vmnet's "
			 "forwarding calls (Apple FB24895264): using the classic API");
		return false;
	}
	/* a network's interface reads four keys (SDK 26 vmnet.h), the virtio header not */
	if (setup->backend->vmnet.virtio_header) {
		log_info("vmnet: --vmnet-virtio-header: not among the keys an interface of a macOS "
			 "26 network reads: using the classic API");
		return false;
	}
	if (inet_v4(&setup->net4->gateway) != inet_v4(&setup->net4->subnet.addr) + 1) {
		log_info("vmnet: --start-addr is not the subnet's first address, which a macOS 26 "
			 "network gives the host: using the classic API");
		return false;
	}
#ifdef SVM_VMNET_SIM
	return vmnet_sim_has_network_objects(); /* the simulation says which macOS it plays */
#else
	return true; /* the caller asks the running system (__builtin_available) */
#endif
}

/* A macOS 26 network with vmnet's DHCP server and DNS proxy off: sock-vmnet serves both. */
static vmnet_network_ref network_now(const struct backend_setup *setup, vmnet_return_t *status)
	API_AVAILABLE(macos(26.0))
{
	vmnet_mode_t mode = setup->backend->vmnet.mode == VMNET_MODE_HOST ? VMNET_HOST_MODE : VMNET_SHARED_MODE;
	vmnet_network_configuration_ref conf = vmnet_network_configuration_create(mode, status);
	struct in_addr subnet = {htonl(inet_v4(&setup->net4->subnet.addr))};
	struct in_addr mask = {htonl(setup->net4->mask)};
	vmnet_network_ref net = NULL;

	if (!conf)
		return NULL;
	vmnet_network_configuration_disable_dhcp(conf);
	vmnet_network_configuration_disable_dns_proxy(conf);
	*status = vmnet_network_configuration_set_ipv4_subnet(conf, &subnet, &mask);
	if (*status == VMNET_SUCCESS)
		*status = vmnet_network_configuration_set_mtu(conf, setup->vm->mtu);
	if (*status == VMNET_SUCCESS)
		*status = vmnet_nat66_network(conf, setup);
	if (*status == VMNET_SUCCESS)
		net = vmnet_network_create(conf, status);
	CFRelease(conf);
	return net;
}

/**
 * struct network_result - a network made on vmnet's queue
 * @done: signalled when made (or not); after a wait that gave up, the result stays
 *        allocated for the block that may still come
 */
struct network_result {
	dispatch_semaphore_t done;
	vmnet_network_ref net;
	vmnet_return_t status;
};

/*
 * make_network() - network_now() on vmnet's queue, waited for as a start is: a sandboxed
 * process saw vmnet_network_create() never return (a repro on macOS 27 betas, issue 20's
 * research). Return: the network, or NULL with @status (VMNET_FAILURE after the wait).
 */
static vmnet_network_ref make_network(struct vmnet_link *l, const struct backend_setup *setup,
				      vmnet_return_t *status) API_AVAILABLE(macos(26.0))
{
	struct network_result *r = calloc(1, sizeof(*r));
	vmnet_network_ref net;

	*status = VMNET_MEM_FAILURE;
	if (!r || !(r->done = dispatch_semaphore_create(0))) {
		free(r);
		return NULL;
	}
	dispatch_async(l->queue, ^{
		r->net = network_now(setup, &r->status);
		dispatch_semaphore_signal(r->done);
	});
	if (dispatch_semaphore_wait(r->done, dispatch_time(DISPATCH_TIME_NOW,
							   VMNET_START_TIMEOUT_S * NSEC_PER_SEC))) {
		log_warn("vmnet: vmnet_network_create() did not return within %d s",
			 VMNET_START_TIMEOUT_S);
		*status = VMNET_FAILURE; /* @r stays: the block may still come and write to it */
		return NULL;
	}
	dispatch_release(r->done);
	net = r->net;
	*status = r->status;
	free(r);
	return net;
}

/* Why vmnet_network_create() said @status, as far as anyone has seen; NULL: not known. */
static const char *network_refusal(vmnet_return_t status)
{
	switch (status) {
	case VMNET_MEM_FAILURE:
		/*
		 * Not VMNET_NOT_AUTHORIZED: without com.apple.security.virtualization (nor root)
		 * the create answers VMNET_MEM_FAILURE (a third-party spike, macOS 26.3), and so
		 * does a sandbox that denies com.apple.NetworkSharing (a repro on macOS 27 betas)
		 */
		return "sock-vmnet lacks the com.apple.security.virtualization entitlement "
		       "(make macos-sign), or runs in a sandbox";
	case VMNET_FAILURE:
		/*
		 * A network pinned to a subnet another network holds is refused so (kernova,
		 * macOS 27.0, 2026-09-30); a killed creator's subnet stayed held 48 s later
		 * (kernova, 2026-09-22)
		 */
		return "its subnet is held by another macOS 26 network (another sock-vmnet on it, "
		       "or one that was killed: vmnet keeps the subnet for a while)";
	default:
		return NULL;
	}
}
#endif

/*
 * start_interface() - ask vmnet for the interface; @r is filled in by the completion
 * handler, on @l->queue. Return: the interface, or NULL (then @r->status may say why).
 */
static interface_ref start_interface(struct vmnet_link *l, const struct backend_setup *setup,
				     struct start_result *r)
{
	vmnet_start_interface_completion_handler_t handler =
		^(vmnet_return_t status, xpc_object_t param) {
			r->status = status;
			if (status == VMNET_SUCCESS && param)
				read_param(r, param);
			dispatch_semaphore_signal(r->done);
		};
	interface_ref iface = NULL;
	xpc_object_t desc;

#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
	if (network_objects_fit(setup)) {
		if (__builtin_available(macOS 26.0, *)) {
			vmnet_return_t status = VMNET_SUCCESS;
			vmnet_network_ref net = make_network(l, setup, &status);
			const char *why = network_refusal(status);

			if (net) {
				desc = interface_desc(setup, false, &l->virtio_header);
				iface = vmnet_interface_start_with_network(net, desc, l->queue, handler);
				xpc_release(desc);
				l->network = net;
				log_info("vmnet: macOS 26 network, its DHCP server and DNS proxy off");
				return iface;
			}
			r->network_status = status;
			r->network_why = why;
			log_warn("vmnet: no macOS 26 network (%s%s%s): using the classic API, whose "
				 "DHCP server (bootpd) also serves the bridge", vmnet_status_name(status),
				 why ? ": " : "", why ? why : "");
		}
	}
#endif
	desc = interface_desc(setup, true, &l->virtio_header);
	iface = vmnet_start_interface(desc, l->queue, handler);
	xpc_release(desc);
	return iface;
}

/* One line naming the option that decides what vmnet refused (@r: what the start said). */
static void start_error(const struct backend_setup *setup, const struct start_result *r,
			char *err, size_t err_size)
{
	const char *name = vmnet_status_name(r->status);
	char network[256] = "";

	if (r->network_status != VMNET_SUCCESS)
		snprintf(network, sizeof(network), "; no macOS 26 network either (%s%s%s)",
			 vmnet_status_name(r->network_status), r->network_why ? ": " : "",
			 r->network_why ? r->network_why : "");
	if ((int)r->status == SVM_VMNET_NOT_AUTHORIZED)
		/*
		 * The classic API needs root, or com.apple.vm.networking, which Apple grants only
		 * with a Developer ID and a provisioning profile (an ad-hoc signature carrying it
		 * is killed by AMFI at exec: issue 20's research); macOS 26's networks need only
		 * com.apple.security.virtualization, with an ad-hoc signature.
		 */
		snprintf(err, err_size, "--backend: vmnet refused (%s): the classic API needs root%s; "
			 "on macOS 26 a binary signed with com.apple.security.virtualization needs no "
			 "root (make macos-sign; README, macOS)", name, network);
	else if (setup->backend->vmnet.mode == VMNET_MODE_BRIDGED)
		snprintf(err, err_size, "--vmnet-interface: vmnet cannot bridge to \"%s\": %s",
			 setup->backend->vmnet.interface, name);
	else
		snprintf(err, err_size, "--start-addr: vmnet refused the %s network with the "
			 "gateway, range and mask given (or --mtu %u): %s%s",
			 setup->backend->vmnet.mode == VMNET_MODE_HOST ? "host" : "shared", setup->vm->mtu,
			 name, network);
}

int vmnet_link_start(struct vmnet_link *l, const struct backend_setup *setup, char *err, size_t err_size)
{
	struct start_result *r = calloc(1, sizeof(*r));

	*l = (struct vmnet_link){.offload = setup->backend->offload};
	if (setup->backend->vmnet.virtio_header && !enable_virtio_header(NULL)) {
		free(r);
		snprintf(err, err_size, "--vmnet-virtio-header: vmnet has a virtio header from macOS "
			 "15.4 on (and SDK 15.5): not here");
		return -1;
	}
	if (vmnet_nat66_check(setup, err, err_size) < 0) {
		free(r);
		return -1;
	}
	l->queue = dispatch_queue_create("sock-vmnet.vmnet", DISPATCH_QUEUE_SERIAL);
	if (!r || !l->queue || !(r->done = dispatch_semaphore_create(0))) {
		snprintf(err, err_size, "vmnet: out of memory");
		return -1;
	}
	r->status = VMNET_FAILURE;
	r->network_status = VMNET_SUCCESS;
	l->iface = start_interface(l, setup, r);
	if (dispatch_semaphore_wait(r->done, dispatch_time(DISPATCH_TIME_NOW,
							   VMNET_START_TIMEOUT_S * NSEC_PER_SEC))) {
		/* the handler may still come and write to @r: it stays allocated */
		snprintf(err, err_size, "--backend: vmnet did not start an interface within %d s",
			 VMNET_START_TIMEOUT_S);
		l->iface = NULL;
		return -1;
	}
	dispatch_release(r->done);
	if (r->status != VMNET_SUCCESS || !l->iface) {
		start_error(setup, r, err, err_size);
		free(r);
		l->iface = NULL;
		return -1;
	}
	l->mtu = r->mtu ? r->mtu : setup->vm->mtu;
	l->max_packet_size = r->max_packet_size ? r->max_packet_size : l->mtu + ETH_HDR_LEN;
	l->read_max = r->read_max;
	l->write_max = r->write_max;
	memcpy(l->mac, r->mac, sizeof(l->mac));
	free(r);
	return 0;
}

int vmnet_link_watch(struct vmnet_link *l, struct doorbell *bell, char *err, size_t err_size)
{
	vmnet_return_t status = vmnet_interface_set_event_callback(
		l->iface, VMNET_INTERFACE_PACKETS_AVAILABLE, l->queue,
		^(interface_event_t events, xpc_object_t event) {
			(void)events;
			(void)event;
			doorbell_ring(bell); /* and nothing else: frames are judged on the loop */
		});

	if (status == VMNET_SUCCESS)
		return 0;
	snprintf(err, err_size, "--backend: vmnet will not report packets: %s",
		 vmnet_status_name(status));
	return -1;
}

void vmnet_link_stop(struct vmnet_link *l)
{
	if (l->iface) {
		dispatch_semaphore_t done = dispatch_semaphore_create(0);
		vmnet_return_t status = done ? vmnet_stop_interface(l->iface, l->queue,
								    ^(vmnet_return_t s) {
									    (void)s;
									    dispatch_semaphore_signal(done);
								    })
					     : VMNET_MEM_FAILURE;

		if (status != VMNET_SUCCESS) {
			log_warn("vmnet: cannot stop the interface: %s", vmnet_status_name(status));
			if (done)
				dispatch_release(done);
		} else if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW,
								     VMNET_STOP_TIMEOUT_S * NSEC_PER_SEC)))
			log_warn("vmnet: the interface did not stop within %d s", VMNET_STOP_TIMEOUT_S);
		else
			dispatch_release(done); /* not after a timeout: the handler may still come */
		l->iface = NULL;
	}
#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
	if (l->network)
		CFRelease(l->network); /* after the stop, which released the interface's reference */
#endif
	l->network = NULL;
	if (l->queue)
		dispatch_release(l->queue);
	l->queue = NULL;
}
