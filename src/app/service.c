// SPDX-License-Identifier: MIT
/* service.c — one VM's network service: set up every module in order, run the loop, tear down */
#include "app/service.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/control.h"
#include "app/control_apply.h"
#include "app/exposes.h"
#include "app/metrics.h"
#include "app/privileges.h"
#include "app/ready.h"
#include "app/rulebook.h"
#include "app/watch.h"
#include "backend/backend.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/stats.h"
#include "datapath/relay.h"
#include "leases/leases.h"
#include "os/memory.h"
#include "os/peer_watch.h"
#include "os/process.h"
#include "responder/dhcp4.h"
#include "responder/dns.h"
#include "responder/ndp.h"
#include "transport/vm_transport.h"

/*
 * A fixed mmap threshold (glibc's default, 128 KiB, no longer raised dynamically): setup
 * frees big blocks (nftables' parser, up to 2.3 MB), which would otherwise lift the
 * threshold so that a large calloc() after setup (the DNS proxy's 341 kB, when it was
 * measured) lands in reused heap and is zeroed
 * page by page, all of it resident; from mmap() it is fresh zero pages and only what is
 * written becomes resident. No frame path allocates. Measured, one idle instance:
 * Private_Dirty 828 -> 564 kB ([heap] 580 -> 248 kB, anonymous mappings 48 -> 116 kB).
 */
#define MMAP_THRESHOLD_BYTES (128 * 1024)

static const int watched_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};

/*
 * A VM restarted at once finds its predecessor still exiting: SIGTERM to released lease
 * takes it 10-20 ms (teardown: the relay, the TAP, the database), and a SIGKILLed one
 * counts as running until its parent reaps it. The MAC is claimed again every 10 ms for up
 * to 2 s before the predecessor is taken for a live instance with the same MAC.
 */
#define CLAIM_WAIT_MS 2000
#define CLAIM_RETRY_MS 10

/* At exit, how long the lease database may make us wait to let the VM's lease go. */
#define RELEASE_WAIT_MS 2000

/**
 * struct service - everything one instance runs, owned here and torn down here
 * @backend_setup: what the back-end is asked to serve (sections of @cfg)
 * @self: this process, as the owner of what it holds in the lease database
 * @network: the back-end's network, as the lease database knows it
 * @db: the lease database, with the VM's MAC claimed on @network
 * @guard: the verdicts on every frame; the relay asks it, the control requests change it
 */
struct service {
	const struct config *cfg;
	struct backend_setup backend_setup;
	struct loop *loop;
	struct stats stats;
	struct process_identity self;
	struct backend_info network;
	struct lease_db *db;
	bool claimed;
	struct frame_port *vm;
	struct backend *backend;
	struct responder *dhcp;
	struct dns_io *dns_io;
	struct responder *dns;
	struct responder *ndp;
	struct guard guard;
	bool guard_ready;
	struct relay relay;
	bool relay_ready;
	struct peer_watch *peer;
	struct control *control;
	struct exposes exposes;
	bool exposes_ready;
	struct rulebook rules;
	bool rules_ready;
	struct watch watch;
	struct metrics *metrics;
	bool changed; /* something the counters do not show changed: the metrics are due */
	int64_t start_unix;
	struct loop_signals signals;
	struct loop_process child;
	int child_status;
	bool child_done;
	bool stop;
};

/* What the back-end counted itself, brought into the counters. */
static void refresh_stats(void *ctx)
{
	struct service *s = ctx;

	if (s->backend && s->backend->ops->read_counters)
		s->backend->ops->read_counters(s->backend, &s->stats);
}

static void print_stats(struct service *s)
{
	refresh_stats(s);
	stats_print(&s->stats, stderr);
}

static void on_signal(struct loop_signals *sig, int signo)
{
	struct service *s = container_of(sig, struct service, signals);

	switch (signo) {
	case SIGUSR1:
		print_stats(s);
		break;
	case SIGHUP:
		if (s->cfg->ops.policy && s->rules_ready) {
			char err[CONTROL_ERROR_MAX];
			long n = rulebook_reload(&s->rules, err, sizeof(err));

			if (n < 0)
				log_error("--policy: %s (the rules in force stay)", err);
			else
				log_info("--policy: \"%s\" reloaded on SIGHUP: %ld rules",
					 s->cfg->ops.policy, n);
			s->changed = true;
			break;
		}
		/* without --policy, SIGHUP stops as it always did */
		__attribute__((fallthrough));
	case SIGINT:
	case SIGTERM:
		if (s->child.pid && !s->child_done) {
			log_info("signal=%s passed on to pid=%d", strsignal(signo), (int)s->child.pid);
			kill(s->child.pid, signo);
		} else {
			log_info("stopping on signal=%s", strsignal(signo));
			s->stop = true;
		}
		break;
	default:
		break;
	}
}

/*
 * The hypervisor exited: reap it with a wait that blocks. macOS posts NOTE_EXIT before the
 * process is a zombie (XNU proc_exit(): proc_knote(NOTE_EXIT) comes before p_stat = SZOMB;
 * EVFILT_PROC's ESRCH starts earlier still, in proc_prepareexit()), so a WNOHANG wait at
 * that moment may find nothing, and NOTE_EXIT is reported once (filt_proc(): EV_ONESHOT):
 * the exit would be lost and sock-vmnet would hang. The zombie follows at once; libuv
 * waits the same way on kqueue (libuv#3521). Linux's pidfd reports the zombie itself.
 */
static void on_child_exit(struct loop_process *p)
{
	struct service *s = container_of(p, struct service, child);
	pid_t r;

	while ((r = waitpid(p->pid, &s->child_status, 0)) < 0 && errno == EINTR)
		;
	if (r != p->pid) {
		log_warn("hypervisor pid=%d ended, but cannot be waited for: %s", (int)p->pid,
			 strerror(errno));
		s->child_status = 1 << 8; /* as if it exited 1: its status is unknown */
	}
	s->child_done = true;
	s->stop = true;
	log_info("hypervisor pid=%d ended status=%d", (int)p->pid,
		 WIFEXITED(s->child_status) ? WEXITSTATUS(s->child_status)
					    : 128 + WTERMSIG(s->child_status));
}

static void on_vm_gone(void *ctx)
{
	struct service *s = ctx;

	s->stop = true;
}

/*
 * The lease database first: a MAC that a running instance already serves on this network
 * is refused before anything of this instance touches the network (a MAC conflict on a
 * bridge is an outage for the VM that was there first).
 */
static int claim_lease(struct service *s, const struct backend_ops *ops, char *err,
		       size_t err_size)
{
	const struct config *cfg = s->cfg;
	int64_t now = (int64_t)time(NULL), holder;
	char why[400], mac[MAC_TEXT_LEN];
	int r;

	ops->identify(&s->backend_setup, &s->network);
	r = process_identity_self(&s->self);
	if (r < 0) {
		snprintf(err, err_size, "cannot tell this process's identity: %s", strerror(-r));
		return -1;
	}
	s->db = lease_db_open(cfg->dhcp.lease_db, false, why, sizeof(why));
	if (!s->db) {
		snprintf(err, err_size, "--lease-db: %s", why);
		return -1;
	}
	for (int waited = 0;; waited += CLAIM_RETRY_MS) {
		struct timespec pause = {.tv_nsec = CLAIM_RETRY_MS * 1000000L};

		now = (int64_t)time(NULL);
		r = lease_claim_mac(s->db, s->network.network_id, cfg->vm.mac, &s->self,
				    now + cfg->dhcp.lease_time, now, &holder, why, sizeof(why));
		if (r != 1 || waited >= CLAIM_WAIT_MS)
			break;
		if (waited == 0)
			log_info("lease: the VM's MAC is served by pid %lld: waiting for it to end",
				 (long long)holder);
		nanosleep(&pause, NULL);
	}
	mac_format(cfg->vm.mac, mac);
	if (r == 1)
		snprintf(err, err_size,
			 "--mac: %s is already served on %s by a running sock-vmnet (pid %lld)", mac,
			 s->network.network_desc, (long long)holder);
	else if (r < 0)
		snprintf(err, err_size, "--lease-db: %s", why);
	s->claimed = r == 0;
	/* from now on no call waits: the loop never stops for the database */
	if (r == 0)
		lease_db_wait(s->db, 0);
	return r == 0 ? 0 : -1;
}

/* Let go of everything this instance holds in the lease database, and close it. */
static void release_lease(struct service *s)
{
	if (s->db)
		lease_db_wait(s->db, RELEASE_WAIT_MS); /* the VM is gone: waiting costs nothing */
	if (s->claimed && lease_unclaim(s->db, s->network.network_id, s->cfg->vm.mac, &s->self,
					(int64_t)time(NULL)) < 0)
		log_error("lease database \"%s\": cannot release the lease: %s",
			  s->cfg->dhcp.lease_db, lease_db_sqlite_error(s->db));
	lease_db_close(s->db);
}

/* The DHCP server's question "is this address in use?", put to the back-end. */
static int ask_backend(void *owner, uint32_t ipv4,
		       void (*done)(void *ctx, uint32_t ipv4, bool in_use), void *ctx)
{
	struct backend *b = owner;

	return b->probe(b, ipv4, done, ctx);
}

/* The VM's lease changed: the port forwards follow it. */
static void on_vm_address(void *ctx, uint32_t addr)
{
	struct service *s = ctx;

	if (s->exposes_ready)
		exposes_vm_address(&s->exposes, addr);
}

/* What the metrics show: the service's state. */
static void metrics_view(void *ctx, struct metrics_view *v)
{
	struct service *s = ctx;
	static char mac[MAC_TEXT_LEN];

	mac_format(s->cfg->vm.mac, mac);
	refresh_stats(s);
	*v = (struct metrics_view){.mac = mac, .name = s->cfg->ops.name,
				   .backend = s->backend ? s->backend->ops->name : NULL,
				   .start_unix = s->start_unix, .stats = &s->stats,
				   .guard = s->guard_ready ? &s->guard : NULL,
				   .rules = s->rules_ready ? &s->rules : NULL,
				   .exposes = s->exposes_ready ? &s->exposes : NULL, .watch = &s->watch};
}

static char *metrics_text(void *ctx)
{
	struct metrics_view v;

	metrics_view(ctx, &v);
	return metrics_render(&v);
}

/* A control request, checked by the control socket: carried out here, on the loop. */
static void apply_request(void *ctx, const struct control_request *req,
			  struct control_answer *ans)
{
	struct service *s = ctx;
	struct control_state st = {.guard = &s->guard, .stats = &s->stats,
				   .exposes = &s->exposes, .refresh_stats = refresh_stats, .ctx = s,
				   .rules = &s->rules, .watch = &s->watch,
				   .metrics_text = metrics_text};

	control_apply(&st, req, ans);
	s->changed = true;
}

/*
 * The operators' tools: the rules by origin (--policy), the captures, the audit and its
 * flows (also for `ctl flows`), the metrics file; the relay's observer when any watches.
 */
static int start_watching(struct service *s, char *err, size_t err_size)
{
	const struct ops_config *ops = &s->cfg->ops;
	struct audit_setup audit = {.path = ops->audit, .max_bytes = ops->audit_size,
				    .mac = s->cfg->vm.mac, .name = ops->name, .guard = &s->guard,
				    .rules = &s->rules};
	char why[400];
	int r = rulebook_init(&s->rules, &s->guard, &s->cfg->policy, ops->policy,
			      ops->policy ? &ops->policy_rules : NULL);

	if (r < 0) {
		snprintf(err, err_size, "--policy: %s", r == -E2BIG ? "too many rules" : "out of memory");
		return -1;
	}
	s->rules_ready = true;
	s->watch = (struct watch){.guard = &s->guard, .pcap_size = ops->pcap_size};
	if (ops->pcap && !(s->watch.pcap = pcap_writer_open(ops->pcap, ops->pcap_size, why,
							      sizeof(why)))) {
		snprintf(err, err_size, "--pcap: %s", why);
		return -1;
	}
	if (ops->pcap_drops && !(s->watch.drops = pcap_writer_open(ops->pcap_drops, ops->pcap_size,
								     why, sizeof(why)))) {
		snprintf(err, err_size, "--pcap-drops: %s", why);
		return -1;
	}
	if ((ops->audit || s->cfg->control) && !(s->watch.audit = audit_open(&audit, why,
									      sizeof(why)))) {
		snprintf(err, err_size, "--audit: %s", why);
		return -1;
	}
	/* a capture may begin later (ctl pcap start): with a control socket the observer stays */
	if (s->watch.pcap || s->watch.drops || s->watch.audit)
		s->relay.observer = watch_observer(&s->watch);
	s->start_unix = (int64_t)time(NULL);
	if (ops->metrics && !(s->metrics = metrics_open(s->loop, ops->metrics, ops->metrics_interval,
							   metrics_view, s, why, sizeof(why)))) {
		snprintf(err, err_size, "--metrics: %s", why);
		return -1;
	}
	return 0;
}

/* The frame path: the relay between the VM and the back-end, DHCP and DNS answered on it. */
static int start_relay(struct service *s, char *err, size_t err_size)
{
	const struct config *cfg = s->cfg;
	struct dhcp4_setup dhcp = {
		.vm = &cfg->vm,
		.net4 = &cfg->net4,
		.dhcp = &cfg->dhcp,
		.db = s->db,
		.self = &s->self,
		.network = s->backend->info.network_id,
		.server_mac = s->backend->info.gateway_mac,
		.probe = {.ask = s->backend->probe ? ask_backend : NULL, .owner = s->backend},
	};

	struct dns_setup dns = {.vm = &cfg->vm, .net4 = &cfg->net4, .net6 = &cfg->net6,
				.dns = &cfg->dns, .gateway_mac = s->backend->info.gateway_mac};

	s->dhcp = dhcp4_new(&dhcp, err, err_size);
	if (!s->dhcp)
		return -1;
	s->dhcp->counters = &s->stats.dhcp;
	dns.io = s->dns_io = dns_io_sockets(s->loop);
	s->dns = s->dns_io ? dns_new(&dns, err, err_size) : NULL;
	if (!s->dns) {
		if (!s->dns_io)
			snprintf(err, err_size, "dns: out of memory");
		return -1;
	}
	s->dns->counters = &s->stats.dns;
	if (cfg->net6.enabled) {
		struct ndp_setup ndp = {.vm = &cfg->vm, .net6 = &cfg->net6, .db = s->db,
					.self = &s->self, .network = s->backend->info.network_id,
					.gateway_mac = s->backend->info.gateway_mac,
					.claim_s = cfg->dhcp.lease_time};

		s->ndp = ndp_new(&ndp, err, err_size);
		if (!s->ndp)
			return -1;
		s->ndp->counters = &s->stats.ndp;
	}
	if (guard_init(&s->guard, &cfg->vm, &cfg->net4, &cfg->net6, &cfg->policy,
		       &s->stats.names) < 0) {
		snprintf(err, err_size, "out of memory for the policy");
		return -1;
	}
	s->guard_ready = true;
	if (relay_init(&s->relay, s->loop, cfg->vm.mtu, s->vm, s->backend->port, &s->guard,
		       &s->stats) < 0) {
		snprintf(err, err_size, "out of memory for frame buffers (mtu %u)", cfg->vm.mtu);
		return -1;
	}
	s->relay_ready = true;
	relay_attach(&s->relay, LOCAL_DHCP4, s->dhcp);
	relay_attach(&s->relay, LOCAL_DNS, s->dns);
	if (s->ndp)
		relay_attach(&s->relay, LOCAL_NDP, s->ndp);
	if (start_watching(s, err, err_size) < 0)
		return -1;
	if (exposes_init(&s->exposes, s->backend, &s->guard, &cfg->expose, err, err_size) < 0) {
		exposes_fini(&s->exposes);
		return -1;
	}
	s->exposes_ready = true;
	s->relay.on_vm_address = on_vm_address;
	s->relay.vm_address_ctx = s;
	if (cfg->control) {
		struct control_handler handler = {.apply = apply_request, .ctx = s};

		s->control = control_open(s->loop, cfg->control, &handler, err, err_size);
		if (!s->control)
			return -1;
	}
	return 0;
}

static int serve(struct service *s)
{
	while (!s->stop && !s->relay.vm_gone && !s->relay.failed) {
		int r = loop_run_once(s->loop, -1);

		/* after each turn: the writer threads woken, the metrics due if anything moved */
		watch_kick(&s->watch);
		metrics_note(s->metrics, metrics_activity(&s->stats), s->changed);
		s->changed = false;
		if (r < 0 && r != -EINTR) {
			log_error("event loop: %s", strerror(-r));
			return 1;
		}
		if (s->backend->failure) {
			log_error("%s", s->backend->failure);
			return 1;
		}
	}
	return s->relay.failed ? 1 : 0;
}

/* --backend, "auto" resolved; logged with the reason when auto passed one over. */
static const struct backend_ops *choose_backend(const struct config *cfg, char *why,
						size_t why_size)
{
	const struct backend_ops *ops;

	if (strcmp(cfg->backend.name, "auto") != 0) {
		ops = backend_find(cfg->backend.name);
		if (!ops)
			snprintf(why, why_size, "\"%s\" is not a back-end of this build",
				 cfg->backend.name);
		return ops;
	}
	ops = backend_auto(why, why_size);
	if (!ops)
		return NULL; /* @why says what each one lacks */
	if (why[0])
		log_info("backend auto: %s (%s)", ops->name, why);
	else
		log_info("backend auto: %s", ops->name);
	return ops;
}

static int set_up(struct service *s, pid_t child, char *err, size_t err_size)
{
	const struct config *cfg = s->cfg;
	const struct backend_ops *ops;
	char why[400];
	int r;

	s->loop = loop_new();
	if (!s->loop) {
		snprintf(err, err_size, "cannot set up the event loop: out of memory");
		return -1;
	}
	r = loop_watch_signals(s->loop, &s->signals, watched_signals,
			       sizeof(watched_signals) / sizeof(watched_signals[0]));
	if (r < 0) {
		snprintf(err, err_size, "cannot set up the event loop: %s", strerror(-r));
		return -1;
	}
	if (child && (r = loop_watch_process(s->loop, &s->child, child)) < 0) {
		snprintf(err, err_size, "cannot watch pid %d: %s", (int)child, strerror(-r));
		return -1;
	}
	ops = choose_backend(cfg, why, sizeof(why));
	if (!ops) {
		snprintf(err, err_size, "--backend: %s", why);
		return -1;
	}
	if (claim_lease(s, ops, err, err_size) < 0)
		return -1;
	s->vm = vm_transport_open(&cfg->vm, err, err_size);
	if (!s->vm)
		return -1;
	s->backend = ops->open(&s->backend_setup, s->loop, err, err_size);
	if (!s->backend || start_relay(s, err, err_size) < 0)
		return -1;
	/* before the drop: its probe enters the VM socket's network namespace (Linux) */
	if (!child && (cfg->vm.transport == VM_FD_DGRAM || cfg->vm.transport == VM_FD_STREAM))
		s->peer = peer_watch_start(s->loop, s->vm->fd, on_vm_gone, s);
	return privileges_drop(cfg, ops->keep, child, err, err_size);
}

static void tear_down(struct service *s)
{
	peer_watch_stop(s->peer);
	control_close(s->control);
	metrics_close(s->metrics); /* the last counters */
	if (s->exposes_ready)
		exposes_fini(&s->exposes);
	if (s->relay_ready)
		relay_fini(&s->relay);
	watch_close(&s->watch); /* every frame and line captured, written */
	if (s->rules_ready)
		rulebook_fini(&s->rules);
	if (s->guard_ready)
		guard_fini(&s->guard);
	if (s->dhcp)
		s->dhcp->close(s->dhcp);
	if (s->dns)
		s->dns->close(s->dns);
	if (s->ndp)
		s->ndp->close(s->ndp);
	dns_io_sockets_free(s->dns_io);
	if (s->backend && s->backend->ops->read_counters) /* the last look, before it goes */
		s->backend->ops->read_counters(s->backend, &s->stats);
	if (s->backend)
		s->backend->ops->close(s->backend);
	if (s->vm)
		s->vm->close(s->vm);
	release_lease(s);
	if (s->child.pid && !s->child_done) {
		/* we are going first: take the hypervisor with us and collect its status */
		if (kill(s->child.pid, SIGTERM) == 0)
			waitpid(s->child.pid, &s->child_status, 0);
		else /* (its parent-death signal stops it when we are gone) */
			log_warn("cannot stop the hypervisor (pid %d): %s", (int)s->child.pid,
				 strerror(errno));
	}
	stats_print(&s->stats, stderr);
	if (s->loop) {
		loop_unwatch_process(s->loop, &s->child);
		loop_unwatch_signals(s->loop, &s->signals);
		loop_free(s->loop);
	}
}

/* --ready-fd: the launcher is told, once, and its fd closed. */
static void tell_ready(struct service *s)
{
	const struct ready_info info = {.backend = s->backend->ops->name, .info = &s->backend->info,
					.vm = &s->cfg->vm, .net4 = &s->cfg->net4,
					.net6 = &s->cfg->net6, .control = s->cfg->control, .name = s->cfg->ops.name};
	int r = ready_write(s->cfg->ops.ready_fd, &info);

	if (r < 0)
		log_warn("--ready-fd: %d: %s", s->cfg->ops.ready_fd, strerror(-r));
}

int service_run(const struct config *cfg, pid_t child, int *child_status)
{
	struct service s = {.cfg = cfg,
			    .backend_setup = {.backend = &cfg->backend, .vm = &cfg->vm, .net4 = &cfg->net4,
					      .net6 = &cfg->net6},
			    .signals = {.on_signal = on_signal, .impl.fd = -1},
			    .child = {.on_exit = on_child_exit, .impl.fd = -1}};
	char err[512] = "", mac[MAC_TEXT_LEN], host[GUARD_HOST_REACH_LEN];
	int status = 1;

	memory_pin_mmap_threshold(MMAP_THRESHOLD_BYTES);
	log_set_debug(cfg->debug);
	if (set_up(&s, child, err, sizeof(err)) == 0) {
		/*
		 * Setup (nftables' parser and cache, SQLite's first queries) leaves ~0.9 MiB of
		 * freed heap behind; hand it back, so an idle instance's private memory is what
		 * it uses.
		 */
		memory_trim();
		mac_format(cfg->vm.mac, mac);
		log_info("%s", guard_host_reach(&s.guard, host, sizeof(host)));
		log_info("ready mac=%s backend=%s network=%s", mac, s.backend->ops->name,
			 s.network.network_id);
		if (cfg->ops.ready_fd >= 0)
			tell_ready(&s);
		status = serve(&s);
	}
	if (err[0])
		log_error("%s", err);
	tear_down(&s);
	if (child_status)
		*child_status = s.child_status;
	return status;
}
