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
 */
struct start_result {
	dispatch_semaphore_t done;
	vmnet_return_t status;
	unsigned mtu;
	size_t max_packet_size;
	unsigned read_max, write_max;
	uint8_t mac[6];
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

static uint64_t operation_mode(enum vmnet_mode_kind mode)
{
	return mode == VMNET_MODE_HOST	    ? VMNET_HOST_MODE
	       : mode == VMNET_MODE_BRIDGED ? VMNET_BRIDGED_MODE
					    : VMNET_SHARED_MODE;
}

/*
 * interface_desc() - the interface as vmnet_start_interface() or, on a network (@classic
 * false: the network says mode and subnet), vmnet_interface_start_with_network() takes it
 */
static xpc_object_t interface_desc(const struct backend_setup *setup, bool classic)
{
	xpc_object_t d = xpc_dictionary_create(NULL, NULL, 0);
	char text[IPV4_TEXT_LEN];
	uint8_t uuid[VMNET_UUID_SIZE];

	vmnet_interface_uuid(setup->vm->mac, uuid);
	xpc_dictionary_set_uuid(d, vmnet_interface_id_key, uuid);
	xpc_dictionary_set_uint64(d, vmnet_mtu_key, setup->vm->mtu);
	if (setup->backend->offload) {
		xpc_dictionary_set_bool(d, vmnet_enable_tso_key, true);
		xpc_dictionary_set_bool(d, vmnet_enable_checksum_offload_key, true);
	}
	if (!classic)
		return d;
	xpc_dictionary_set_uint64(d, vmnet_operation_mode_key, operation_mode(setup->backend->vmnet.mode));
	if (setup->backend->vmnet.mode == VMNET_MODE_BRIDGED) {
		xpc_dictionary_set_string(d, vmnet_shared_interface_name_key, setup->backend->vmnet.interface);
		return d;
	}
	/* vmnet's start address is the gateway (the host's), as sock-vmnet's --start-addr */
	ipv4_format(inet_v4(&setup->net4->gateway), text);
	xpc_dictionary_set_string(d, vmnet_start_address_key, text);
	ipv4_format(inet_v4(&setup->net4->range_end), text);
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
 * address is reserved for the host".
 */
static bool network_objects_fit(const struct backend_setup *setup)
{
	if (setup->backend->vmnet.mode == VMNET_MODE_BRIDGED)
		return false;
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
static vmnet_network_ref make_network(const struct backend_setup *setup, vmnet_return_t *status)
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
			vmnet_network_ref net = make_network(setup, &status);

			if (net) {
				desc = interface_desc(setup, false);
				iface = vmnet_interface_start_with_network(net, desc, l->queue, handler);
				xpc_release(desc);
				l->network = net;
				log_info("vmnet: macOS 26 network, its DHCP server and DNS proxy off");
				return iface;
			}
			log_warn("vmnet: no macOS 26 network (%s): using the classic API, whose "
				 "DHCP server (bootpd) also serves the bridge",
				 vmnet_status_name(status));
		}
	}
#endif
	desc = interface_desc(setup, true);
	iface = vmnet_start_interface(desc, l->queue, handler);
	xpc_release(desc);
	return iface;
}

/* One line naming the option that decides what vmnet refused. */
static void start_error(const struct backend_setup *setup, vmnet_return_t status, char *err,
			size_t err_size)
{
	const char *name = vmnet_status_name(status);

	if (status == VMNET_NOT_AUTHORIZED)
		snprintf(err, err_size, "--backend: vmnet refused (%s): run as root, or sign with the "
			 "com.apple.vm.networking entitlement (README, macOS)", name);
	else if (setup->backend->vmnet.mode == VMNET_MODE_BRIDGED)
		snprintf(err, err_size, "--vmnet-interface: vmnet cannot bridge to \"%s\": %s",
			 setup->backend->vmnet.interface, name);
	else
		snprintf(err, err_size, "--start-addr: vmnet refused the %s network with the "
			 "gateway, range and mask given (or --mtu %u): %s",
			 setup->backend->vmnet.mode == VMNET_MODE_HOST ? "host" : "shared", setup->vm->mtu, name);
}

int vmnet_link_start(struct vmnet_link *l, const struct backend_setup *setup, char *err, size_t err_size)
{
	struct start_result *r = calloc(1, sizeof(*r));

	*l = (struct vmnet_link){.offload = setup->backend->offload};
	if (vmnet_nat66_check(setup, err, err_size) < 0)
		return -1;
	l->queue = dispatch_queue_create("sock-vmnet.vmnet", DISPATCH_QUEUE_SERIAL);
	if (!r || !l->queue || !(r->done = dispatch_semaphore_create(0))) {
		snprintf(err, err_size, "vmnet: out of memory");
		return -1;
	}
	r->status = VMNET_FAILURE;
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
		start_error(setup, r->status, err, err_size);
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
	if (l->network)
		CFRelease(l->network);
	l->network = NULL;
	if (l->queue)
		dispatch_release(l->queue);
	l->queue = NULL;
}
