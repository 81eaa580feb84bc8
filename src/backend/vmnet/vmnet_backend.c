// SPDX-License-Identifier: MIT
/* vmnet_backend.c — the back-end "vmnet": the VM on a vmnet.framework interface (macOS) */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/vmnet/vmnet_forward.h"
#include "backend/vmnet/vmnet_link.h"
#include "backend/vmnet/vmnet_port.h"
#include "core/clock.h"
#include "core/log.h"
#include "hostnet/arp_probe.h"
#include "hostnet/port_claim.h"
#include "proto/addr.h"
#include "proto/wire.h"
#include "vmnet/vmnet_ident.h"

extern const struct backend_ops backend_vmnet;

/*
 * Asking for the gateway's MAC when the interface is up: three ARP requests, 300 ms
 * apart. The host answers its own bridge at once; a bridged LAN's router within a few
 * milliseconds; 0.9 s in all is what a start may spend on a router that is down.
 */
#define GATEWAY_ARP_TRIES 3
#define GATEWAY_ARP_WAIT_MS 300

/**
 * struct vmnet_backend - the back-end and what it owns
 * @link: the vmnet interface
 * @port: its frames, as the relay sees them
 * @prober: ARP on the host side: the gateway's MAC, and the probe hook (backend.probe)
 */
/**
 * struct vmnet_fwd - one --expose, as vmnet forwards it
 * @to: the VM's address vmnet forwards to (0: none yet)
 */
struct vmnet_fwd {
	struct expose e;
	uint32_t to;
	struct vmnet_fwd *next;
};

struct vmnet_backend {
	struct backend backend;
	struct vmnet_link link;
	struct vmnet_port port;
	struct arp_prober prober;
	bool port_ready, prober_ready;
	enum vmnet_mode_kind mode;
	struct vmnet_fwd *forwards;
};

/** struct probe_request - one backend.probe() question, freed when answered */
struct probe_request {
	struct arp_probe probe;
	void (*done)(void *ctx, uint32_t ipv4, bool in_use);
	void *ctx;
};

static void vmnet_identify(const struct backend_setup *setup, struct backend_info *info)
{
	vmnet_network_name(&setup->backend->vmnet, &setup->net4->subnet, info->network_id,
			   sizeof(info->network_id), info->network_desc, sizeof(info->network_desc));
}

/* The gateway's ARP answer among what vmnet holds, if it came. */
static bool read_gateway_answer(struct vmnet_backend *v, uint32_t gateway, uint8_t mac[6],
				uint8_t *buf, size_t size)
{
	uint8_t sender[6];
	uint32_t ip;
	int len;

	while ((len = vmnet_port_read_one(&v->port, buf, size)) > 0) {
		if (arp_sender_of(buf, (size_t)len, &ip, sender) && ip == gateway) {
			memcpy(mac, sender, 6);
			return true;
		}
	}
	return false;
}

/*
 * find_gateway_mac() - ask the gateway for its MAC, the source of what sock-vmnet sends as
 * the gateway (DHCP). Before the relay runs: whatever else arrives meanwhile is not for a
 * VM that has not been served yet. Return: true with @mac set.
 */
static bool find_gateway_mac(struct vmnet_backend *v, uint32_t gateway, uint8_t mac[6])
{
	uint8_t frame[ARP_FRAME_LEN];
	size_t size = v->link.max_packet_size;
	uint8_t *buf = malloc(size);
	bool found = false;

	if (!buf)
		return false;
	arp_build_request(frame, v->link.mac, 0, gateway);
	for (int i = 0; i < GATEWAY_ARP_TRIES && !found; i++) {
		uint64_t until = clock_mono_ms() + GATEWAY_ARP_WAIT_MS, now;

		vmnet_port_write_one(&v->port, frame, sizeof(frame));
		while (!found && (now = clock_mono_ms()) < until) {
			struct pollfd pfd = {.fd = doorbell_fd(&v->port.bell), .events = POLLIN};

			poll(&pfd, 1, (int)(until - now));
			found = read_gateway_answer(v, gateway, mac, buf, size);
		}
	}
	free(buf);
	return found;
}

static void probe_answered(struct arp_probe *p)
{
	struct probe_request *req = container_of(p, struct probe_request, probe);

	req->done(req->ctx, p->ip, p->in_use);
	free(req);
}

static int vmnet_probe(struct backend *b, uint32_t ipv4,
		       void (*done)(void *ctx, uint32_t ipv4, bool in_use), void *ctx)
{
	struct vmnet_backend *v = container_of(b, struct vmnet_backend, backend);
	struct probe_request *req = calloc(1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	req->done = done;
	req->ctx = ctx;
	arp_probe_start(&v->prober, &req->probe, ipv4, probe_answered);
	return 0;
}

/* ---- port forwarding: vmnet's own rules --------------------------------------------------- */

/*
 * vmnet forwards a port of every address of the Mac to an address of its shared network,
 * so there is no BIND_ADDR; and it has no way to claim a port before the VM's address is
 * known: a port another process listens on is found by binding it for a moment, and one
 * vmnet itself refuses when the VM's address comes (logged then).
 */
static int vmnet_expose_reserve(struct backend *b, const struct expose *e, char *err,
				size_t err_size)
{
	struct vmnet_backend *v = container_of(b, struct vmnet_backend, backend);
	struct vmnet_fwd *f;
	int fds[EXPOSE_MAX_PORTS];

	if (v->mode != VMNET_MODE_SHARED) {
		snprintf(err, err_size, "vmnet forwards ports in shared mode only");
		return -1;
	}
	if (vmnet_forward_refused(&v->link, err, err_size))
		return -1; /* a forward added at run time: --expose at start takes the classic API */
	if (e->bind) {
		snprintf(err, err_size, "vmnet forwards on every address of the Mac: no BIND_ADDR");
		return -1;
	}
	if (port_claim_all(e, fds, err, err_size) < 0)
		return -1;
	port_release_all(e, fds);
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	f->e = *e;
	f->next = v->forwards;
	v->forwards = f;
	return 0;
}

static void unforward(struct vmnet_backend *v, struct vmnet_fwd *f)
{
	for (unsigned i = 0; f->to && i < expose_ports(&f->e); i++)
		vmnet_unforward_port(&v->link, f->e.proto, (uint16_t)(f->e.host_lo + i));
	f->to = 0;
}

static int vmnet_expose_apply(struct backend *b, const struct expose *e, uint32_t vm_addr,
			      char *err, size_t err_size)
{
	struct vmnet_backend *v = container_of(b, struct vmnet_backend, backend);
	struct vmnet_fwd *f = v->forwards;

	while (f && !expose_same(&f->e, e))
		f = f->next;
	if (!f || f->to == vm_addr)
		return 0;
	unforward(v, f);
	for (unsigned i = 0; vm_addr && i < expose_ports(e); i++) {
		if (vmnet_forward_port(&v->link, e->proto, (uint16_t)(e->host_lo + i), vm_addr,
				       (uint16_t)(e->vm_lo + i), err, err_size) < 0) {
			while (i--)
				vmnet_unforward_port(&v->link, e->proto, (uint16_t)(e->host_lo + i));
			return -1;
		}
	}
	f->to = vm_addr;
	return 0;
}

static void vmnet_expose_release(struct backend *b, const struct expose *e)
{
	struct vmnet_backend *v = container_of(b, struct vmnet_backend, backend);

	for (struct vmnet_fwd **p = &v->forwards; *p; p = &(*p)->next) {
		struct vmnet_fwd *f = *p;

		if (!expose_same(&f->e, e))
			continue;
		unforward(v, f);
		*p = f->next;
		free(f);
		return;
	}
}

static void vmnet_free(struct vmnet_backend *v)
{
	while (v->forwards)
		vmnet_expose_release(&v->backend, &v->forwards->e);
	if (v->prober_ready) {
		/* unanswered questions: their requests go with the back-end */
		while (v->prober.pending) {
			struct arp_probe *p = v->prober.pending;

			arp_probe_cancel(p);
			free(container_of(p, struct probe_request, probe));
		}
	}
	vmnet_link_stop(&v->link); /* after this, no event block rings the port's doorbell */
	if (v->port_ready)
		vmnet_port_fini(&v->port);
	free(v);
}

static void vmnet_close(struct backend *b)
{
	vmnet_free(container_of(b, struct vmnet_backend, backend));
}

/* The gateway's MAC, or (no answer) the interface's own: an address nobody else uses. */
static void set_gateway_mac(struct vmnet_backend *v, const struct backend_setup *setup)
{
	char text[IPV4_TEXT_LEN];
	uint32_t gateway = inet_v4(&setup->net4->gateway);

	if (find_gateway_mac(v, gateway, v->backend.info.gateway_mac))
		return;
	ipv4_format(gateway, text);
	log_warn("vmnet: the gateway %s does not answer ARP: DHCP replies come from the "
		 "interface's own MAC", text);
	memcpy(v->backend.info.gateway_mac, v->link.mac, 6);
}

static void log_ready(const struct vmnet_backend *v, const struct backend_setup *setup)
{
	static const char *const modes[] = {"shared", "host", "bridged"};
	char mac[MAC_TEXT_LEN], gw[MAC_TEXT_LEN];

	mac_format(v->link.mac, mac);
	mac_format(v->backend.info.gateway_mac, gw);
	if (v->link.mtu != setup->vm->mtu)
		log_warn("vmnet: the interface's MTU is %u, --mtu %u", v->link.mtu, setup->vm->mtu);
	log_info("vmnet ready mode=%s api=%s interface-mac=%s gateway-mac=%s mtu=%u "
		 "max-packet=%zu read-max=%u write-max=%u offload=%s%s%s",
		 modes[setup->backend->vmnet.mode], v->link.network ? "network" : "classic", mac, gw,
		 v->link.mtu, v->link.max_packet_size, v->port.read_max, v->port.write_max,
		 v->port.join ? "tcp" : v->link.offload ? "csum" : "off",
		 v->port.whole ? " vm_offload=whole" : "", v->port.vhdr ? " virtio-header=on" : "");
}

static struct backend *vmnet_open(const struct backend_setup *setup, struct loop *loop, char *err,
				  size_t err_size)
{
	struct vmnet_backend *v = calloc(1, sizeof(*v));

	if (!v) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	v->mode = setup->backend->vmnet.mode;
	if (vmnet_link_start(&v->link, setup, err, err_size) < 0)
		goto fail;
	v->port_ready = true; /* vmnet_port_fini() undoes a half-made port too */
	if (vmnet_port_init(&v->port, &v->link, loop, setup->vm->mtu,
			    setup->vm->offload != VM_OFFLOAD_OFF, err, err_size) < 0)
		goto fail;
	set_gateway_mac(v, setup);
	arp_prober_init(&v->prober, loop, v->link.mac, setup->vm->mac, vmnet_port_write_one,
			&v->port);
	v->prober_ready = true;
	v->port.prober = &v->prober;
	v->backend.ops = &backend_vmnet;
	v->backend.port = &v->port.port;
	v->backend.probe = vmnet_probe;
	vmnet_identify(setup, &v->backend.info);
	/* DNS: sock-vmnet's own responder answers the VM's queries to the gateway on the
	 * frame path; they never reach vmnet, whose DNS proxy is off on a macOS 26 network */
	v->backend.info.offloads = v->port.join ? BACKEND_OFFLOAD_TCP4 : 0;
	log_ready(v, setup);
	return &v->backend;
fail:
	vmnet_free(v);
	return NULL;
}

/*
 * vmnet's classic API needs root (or the com.apple.vm.networking entitlement, which only
 * Apple grants); without root, auto leaves vmnet to a process that asks for it by name
 * (--backend=vmnet: an ad-hoc signed binary on macOS 26) and takes the userspace NAT.
 */
static bool vmnet_usable(char *why, size_t why_size)
{
	if (geteuid() == 0)
		return true;
	snprintf(why, why_size, "not root (name it with --backend=vmnet where an entitlement "
		 "allows it)");
	return false;
}

const struct backend_ops backend_vmnet = {
	.name = "vmnet",
	.identify = vmnet_identify,
	.open = vmnet_open,
	.close = vmnet_close,
	.usable = vmnet_usable,
	.expose_reserve = vmnet_expose_reserve,
	.expose_apply = vmnet_expose_apply,
	.expose_release = vmnet_expose_release,
#ifdef SVM_VMNET_SIM
	/* the simulation's forwards are nftables rules made on the loop's thread */
	.keep = SANDBOX_KEEP_NET_ADMIN,
#else
	/*
	 * Nothing: vmnet needs root to start an interface only; reading, writing and
	 * stopping it need none (vmnet-helper, github.com/nirs/vmnet-helper README: "requires
	 * root only to start the vmnet interface, then immediately drops privileges"). macOS
	 * could keep nothing anyway (os/darwin/sandbox.c).
	 */
	.keep = 0,
#endif
};
