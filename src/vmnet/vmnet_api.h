/* SPDX-License-Identifier: MIT */
/* vmnet_api.h — vmnet.framework's C API: the SDK's header, or our transcription of Apple's docs */
#ifndef SVM_VMNET_VMNET_API_H
#define SVM_VMNET_VMNET_API_H

/*
 * On a Mac with Xcode or the Command Line Tools, <vmnet/vmnet.h> is the SDK's and is used
 * as it is. Where there is none — the cross-compile on Linux (scripts/macos-link.sh, whose
 * sysroot has libc, dispatch and xpc but no vmnet) and the simulation (sim/vmnet, which
 * implements these functions over a TAP) — the declarations below stand in. They are this
 * project's own transcription of the API as Apple documents it at
 * https://developer.apple.com/documentation/vmnet and in the SDKs' header documentation
 * (names, types, values, availability; SDK 11.3, 13.3, 14.0, 15.5 and 26.1 compared in
 * issue 20's research); no Apple file was copied. dispatch and xpc come from the sysroot
 * on macOS and from sim/vmnet/include in the simulation.
 *
 * What an SDK declares differs, and the code asks SVM_VMNET_HAVE_* rather than a version:
 * the SDK's own version macros (Availability.h's __MAC_*) say it on a Mac; the
 * transcription plays SDK SVM_VMNET_SDK (meson -Dvmnet_sdk=11|12|15|26, 26 by default),
 * hiding what that SDK lacks, so that the cross-compile proves the code builds against
 * each (make macos-link).
 *   SVM_VMNET_HAVE_CHECKSUM_OFFLOAD    vmnet_enable_checksum_offload_key (macOS 12.0)
 *   SVM_VMNET_HAVE_IP_PORT_FORWARDING  vmnet_interface_*_ip_port_forwarding_rule (marked
 *                                      macOS 11.0, but absent from SDK 11.3: from SDK 12;
 *                                      before, the in_addr-by-value calls of 10.15)
 *   SVM_VMNET_HAVE_MAX_PACKETS_KEYS    vmnet_read/write_max_packets_key (macOS 15.0)
 *   SVM_VMNET_HAVE_NETWORK_OBJECTS     vmnet_network_* (macOS 26.0)
 * VMNET_NOT_AUTHORIZED (1010) is declared from SDK 14 on; the code compares with
 * SVM_VMNET_NOT_AUTHORIZED, which every SDK compiles.
 */
#include <dispatch/dispatch.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <xpc/xpc.h>

#define SVM_VMNET_NOT_AUTHORIZED 1010 /* vmnet_return_t's VMNET_NOT_AUTHORIZED (SDK 14 on) */

#if defined(__has_include) && __has_include(<vmnet/vmnet.h>) && !defined(SVM_VMNET_SIM)
/* vmnet.h's prototypes use struct in_addr, but only SDK 15 on includes <netinet/in.h> */
#include <netinet/in.h>
#include <vmnet/vmnet.h>
#if defined(__MAC_12_0)
#define SVM_VMNET_HAVE_CHECKSUM_OFFLOAD 1
#define SVM_VMNET_HAVE_IP_PORT_FORWARDING 1
#endif
#if defined(__MAC_15_0)
#define SVM_VMNET_HAVE_MAX_PACKETS_KEYS 1
#endif
#if defined(__MAC_26_0)
#define SVM_VMNET_HAVE_NETWORK_OBJECTS 1
#include <CoreFoundation/CFBase.h> /* CFRelease(), which releases network objects */
#endif
#else /* no SDK header: the project's transcription */

#include <netinet/in.h>

#ifndef API_AVAILABLE
#if defined(__APPLE__)
#include <os/availability.h>
#else
#define API_AVAILABLE(...)
#define API_DEPRECATED(...)
#endif
#endif

#ifndef SVM_VMNET_SDK
#define SVM_VMNET_SDK 26
#endif
#if SVM_VMNET_SDK >= 12
#define SVM_VMNET_HAVE_CHECKSUM_OFFLOAD 1
#define SVM_VMNET_HAVE_IP_PORT_FORWARDING 1
#endif
#if SVM_VMNET_SDK >= 15
#define SVM_VMNET_HAVE_MAX_PACKETS_KEYS 1
#endif
#if SVM_VMNET_SDK >= 26
#define SVM_VMNET_HAVE_NETWORK_OBJECTS 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* vmnet_return_t: what every vmnet call and completion handler reports (macOS 10.10) */
typedef enum {
	VMNET_SUCCESS = 1000,
	VMNET_FAILURE = 1001,
	VMNET_MEM_FAILURE = 1002,
	VMNET_INVALID_ARGUMENT = 1003,
	VMNET_SETUP_INCOMPLETE = 1004,
	VMNET_INVALID_ACCESS = 1005,
	VMNET_PACKET_TOO_BIG = 1006,
	VMNET_BUFFER_EXHAUSTED = 1007,
	VMNET_TOO_MANY_PACKETS = 1008,
	VMNET_SHARING_SERVICE_BUSY = 1009,
#if SVM_VMNET_SDK >= 14
	VMNET_NOT_AUTHORIZED = 1010,
#endif
} vmnet_return_t;

/* operating_modes_t: the values of vmnet_operation_mode_key */
typedef enum {
	VMNET_HOST_MODE = 1000,
	VMNET_SHARED_MODE = 1001,
	VMNET_BRIDGED_MODE = 1002,
} operating_modes_t;

#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
/* vmnet_mode_t: the same modes, as the macOS 26 network configuration takes them */
typedef operating_modes_t vmnet_mode_t;
#endif

/* interface_event_t: the events vmnet_interface_set_event_callback() reports */
typedef enum {
	VMNET_INTERFACE_PACKETS_AVAILABLE = 1 << 0,
} interface_event_t;

/**
 * struct vmpktdesc - one packet of a vmnet_read()/vmnet_write() batch
 * @vm_pkt_size: bytes of the packet (read: room in @vm_pkt_iov, then the packet's size)
 * @vm_pkt_iov: where the bytes are
 * @vm_pkt_iovcnt: entries in @vm_pkt_iov
 * @vm_flags: 0 on read
 */
struct vmpktdesc {
	size_t vm_pkt_size;
	struct iovec *vm_pkt_iov;
	uint32_t vm_pkt_iovcnt;
	uint32_t vm_flags;
};

typedef struct vmnet_interface *interface_ref;

typedef void (^vmnet_start_interface_completion_handler_t)(vmnet_return_t status,
							   xpc_object_t interface_param);
typedef void (^vmnet_interface_completion_handler_t)(vmnet_return_t status);
typedef void (^vmnet_interface_event_callback_t)(interface_event_t event_mask,
						 xpc_object_t event);

/* interface_desc keys (what the caller asks for) and interface_param keys (what it got) */
extern const char *const vmnet_operation_mode_key API_AVAILABLE(macos(10.10));
extern const char *const vmnet_mac_address_key API_AVAILABLE(macos(10.10));
extern const char *const vmnet_mtu_key API_AVAILABLE(macos(10.10));
extern const char *const vmnet_max_packet_size_key API_AVAILABLE(macos(10.10));
extern const char *const vmnet_interface_id_key API_AVAILABLE(macos(10.10));
extern const char *const vmnet_estimated_packets_available_key API_AVAILABLE(macos(10.10));
extern const char *const vmnet_allocate_mac_address_key API_AVAILABLE(macos(10.15));
extern const char *const vmnet_shared_interface_name_key API_AVAILABLE(macos(10.15));
extern const char *const vmnet_start_address_key API_AVAILABLE(macos(10.15));
extern const char *const vmnet_end_address_key API_AVAILABLE(macos(10.15));
extern const char *const vmnet_subnet_mask_key API_AVAILABLE(macos(10.15));
/* shared mode's NAT66 prefix, a string: "The prefix must be a ULA i.e. start with fd00::/8" */
extern const char *const vmnet_nat66_prefix_key API_AVAILABLE(macos(10.15));
extern const char *const vmnet_enable_tso_key API_AVAILABLE(macos(11.0));
extern const char *const vmnet_enable_isolation_key API_AVAILABLE(macos(11.0));
#ifdef SVM_VMNET_HAVE_CHECKSUM_OFFLOAD
extern const char *const vmnet_enable_checksum_offload_key API_AVAILABLE(macos(12.0));
#endif
#ifdef SVM_VMNET_HAVE_MAX_PACKETS_KEYS
extern const char *const vmnet_read_max_packets_key API_AVAILABLE(macos(15.0));
extern const char *const vmnet_write_max_packets_key API_AVAILABLE(macos(15.0));
/*
 * virtio_net_hdr on every packet (macOS 15.4; SDK 15.5 on, which defines the name to
 * itself so that #ifdef finds it); "must not be specified if
 * vmnet_enable_checksum_offload_key is specified" (SDK 26.1). sock-vmnet asks for it with
 * --vmnet-virtio-header (backend/vmnet/vmnet_link.c).
 */
extern const char *const vmnet_enable_virtio_header_key API_AVAILABLE(macos(15.4));
#define vmnet_enable_virtio_header_key vmnet_enable_virtio_header_key
#endif

/* the classic API (macOS 10.10) */
interface_ref vmnet_start_interface(xpc_object_t interface_desc, dispatch_queue_t queue,
				    vmnet_start_interface_completion_handler_t handler)
	API_AVAILABLE(macos(10.10));
vmnet_return_t vmnet_interface_set_event_callback(interface_ref interface,
						  interface_event_t event_mask,
						  dispatch_queue_t queue,
						  vmnet_interface_event_callback_t callback)
	API_AVAILABLE(macos(10.10));
vmnet_return_t vmnet_read(interface_ref interface, struct vmpktdesc *packets, int *pktcnt)
	API_AVAILABLE(macos(10.10));
vmnet_return_t vmnet_write(interface_ref interface, struct vmpktdesc *packets, int *pktcnt)
	API_AVAILABLE(macos(10.10));
vmnet_return_t vmnet_stop_interface(interface_ref interface, dispatch_queue_t queue,
				    vmnet_interface_completion_handler_t handler)
	API_AVAILABLE(macos(10.10));

/*
 * Port forwarding of a shared-mode interface: the Mac's @external_port goes to
 * @internal_address:@internal_port; @callback gets the outcome. The address-family calls
 * are marked macOS 11.0 but came with SDK 12 (SDK 11.3 lacks them); SDK 11's are the
 * IPv4-only ones of 10.15, deprecated (macOS 12.0) in favour of these.
 */
#ifdef SVM_VMNET_HAVE_IP_PORT_FORWARDING
vmnet_return_t vmnet_interface_add_ip_port_forwarding_rule(interface_ref interface,
							   uint8_t protocol,
							   uint16_t external_port,
							   uint8_t address_family,
							   const void *internal_address,
							   uint16_t internal_port,
							   vmnet_interface_completion_handler_t callback)
	API_AVAILABLE(macos(11.0));
vmnet_return_t vmnet_interface_remove_ip_port_forwarding_rule(interface_ref interface,
							      uint8_t protocol,
							      uint16_t external_port,
							      uint8_t address_family,
							      vmnet_interface_completion_handler_t callback)
	API_AVAILABLE(macos(11.0));
#else
vmnet_return_t vmnet_interface_add_port_forwarding_rule(interface_ref interface, uint8_t protocol,
							uint16_t external_port,
							struct in_addr internal_address,
							uint16_t internal_port,
							vmnet_interface_completion_handler_t callback)
	API_AVAILABLE(macos(10.15));
vmnet_return_t vmnet_interface_remove_port_forwarding_rule(interface_ref interface,
							   uint8_t protocol,
							   uint16_t external_port,
							   vmnet_interface_completion_handler_t callback)
	API_AVAILABLE(macos(10.15));
#endif

#ifdef SVM_VMNET_HAVE_NETWORK_OBJECTS
/* network objects (macOS 26): a network configured first, then interfaces started on it */
typedef struct vmnet_network_configuration *vmnet_network_configuration_ref;
typedef struct vmnet_network *vmnet_network_ref;

vmnet_network_configuration_ref vmnet_network_configuration_create(vmnet_mode_t mode,
								   vmnet_return_t *status)
	API_AVAILABLE(macos(26.0));
void vmnet_network_configuration_disable_dhcp(vmnet_network_configuration_ref config)
	API_AVAILABLE(macos(26.0));
void vmnet_network_configuration_disable_dns_proxy(vmnet_network_configuration_ref config)
	API_AVAILABLE(macos(26.0));
vmnet_return_t vmnet_network_configuration_set_ipv4_subnet(vmnet_network_configuration_ref config,
							   const struct in_addr *subnet_addr,
							   const struct in_addr *subnet_mask)
	API_AVAILABLE(macos(26.0));
vmnet_return_t vmnet_network_configuration_set_mtu(vmnet_network_configuration_ref config,
						   uint32_t mtu) API_AVAILABLE(macos(26.0));
/* IPv6 of a network: NAT66 and vmnet's router advertisements are on, the prefix a random ULA */
vmnet_return_t vmnet_network_configuration_set_ipv6_prefix(vmnet_network_configuration_ref config,
							   const struct in6_addr *prefix,
							   uint8_t prefix_len)
	API_AVAILABLE(macos(26.0));
void vmnet_network_configuration_disable_nat66(vmnet_network_configuration_ref config)
	API_AVAILABLE(macos(26.0));
void vmnet_network_configuration_disable_router_advertisement(vmnet_network_configuration_ref config)
	API_AVAILABLE(macos(26.0));
vmnet_network_ref vmnet_network_create(vmnet_network_configuration_ref configuration,
				       vmnet_return_t *status) API_AVAILABLE(macos(26.0));
interface_ref vmnet_interface_start_with_network(vmnet_network_ref network,
						 xpc_object_t interface_desc,
						 dispatch_queue_t queue,
						 vmnet_start_interface_completion_handler_t start_block)
	API_AVAILABLE(macos(26.0));

/* Apple's documentation: network objects are released with CoreFoundation's CFRelease() */
void CFRelease(const void *object);
#endif /* SVM_VMNET_HAVE_NETWORK_OBJECTS */

#ifdef SVM_VMNET_SIM
/* sim/vmnet only: whether the macOS the simulation plays has network objects (>= 26) */
bool vmnet_sim_has_network_objects(void);
/* sim/vmnet only: whether it has the virtio header (15.4; the simulation plays 15 as 15.4) */
bool vmnet_sim_has_virtio_header(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* SDK header or transcription */
#endif
