// SPDX-License-Identifier: MIT
/* sim_config.c — the simulation's settings from the environment, its log lines, injected faults */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

/* macOS's shared-mode bridge */
#define SIM_DEFAULT_BRIDGE "bridge100"
/* the newest macOS the simulation knows: network objects (26) and batch limits (15) */
#define SIM_DEFAULT_MACOS 26
/* what vmnet reports for vmnet_read_max_packets_key on macOS 26 (vmnet-helper's logs) */
#define SIM_DEFAULT_MAX_PACKETS 256

static struct sim_config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

void sim_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fprintf(stderr, "vmnet-sim[%d]: %.*s", (int)getpid(), n, line);
}

_Noreturn void sim_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmnet-sim: fatal: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static const struct {
	const char *name;
	vmnet_return_t status;
} fault_names[] = {
	{"failure", VMNET_FAILURE},
	{"mem_failure", VMNET_MEM_FAILURE},
	{"invalid_argument", VMNET_INVALID_ARGUMENT},
	{"invalid_access", VMNET_INVALID_ACCESS},
	{"too_big", VMNET_PACKET_TOO_BIG},
	{"exhausted", VMNET_BUFFER_EXHAUSTED},
	{"too_many", VMNET_TOO_MANY_PACKETS},
};

/* One "CALL:STATUS@FIRST[xCOUNT]", e.g. "write:exhausted@5x20". */
static void parse_fault(const char *text)
{
	char call[8], status[24];
	unsigned long first = 0, count = 1;
	struct sim_fault *f = &config.faults[config.fault_count];
	int fields = sscanf(text, "%7[a-z]:%23[a-z_]@%lux%lu", call, status, &first, &count);

	if (fields < 3 || first == 0 || count == 0 || config.fault_count == SIM_MAX_FAULTS)
		sim_fatal("SVM_VMNET_SIM_FAULTS: \"%s\" is not CALL:STATUS@FIRST[xCOUNT]", text);
	if (strcmp(call, "read") != 0 && strcmp(call, "write") != 0)
		sim_fatal("SVM_VMNET_SIM_FAULTS: \"%s\": CALL is read or write", text);
	*f = (struct sim_fault){.call = call[0] == 'r' ? SIM_CALL_READ : SIM_CALL_WRITE,
				.first = first, .count = count};
	for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (strcmp(status, fault_names[i].name) == 0)
			f->status = fault_names[i].status;
	if (!f->status)
		sim_fatal("SVM_VMNET_SIM_FAULTS: \"%s\": unknown STATUS", text);
	config.fault_count++;
}

static unsigned env_uint(const char *name, unsigned dflt, unsigned min, unsigned max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return dflt;
	n = strtoul(v, &end, 10);
	if (*end || n < min || n > max)
		sim_fatal("%s: \"%s\" is not a number from %u to %u", name, v, min, max);
	return (unsigned)n;
}

static void load(void)
{
	const char *bridge = getenv("SVM_VMNET_SIM_BRIDGE"), *faults = getenv("SVM_VMNET_SIM_FAULTS");
	const char *events, *privilege, *fault_src;
	char *copy, *save = NULL;

	snprintf(config.bridge, sizeof(config.bridge), "%s",
		 bridge && *bridge ? bridge : SIM_DEFAULT_BRIDGE);
	config.macos_major = env_uint("SVM_VMNET_SIM_MACOS", SIM_DEFAULT_MACOS, 11, 99);
	config.max_packets = env_uint("SVM_VMNET_SIM_MAX_PACKETS", SIM_DEFAULT_MAX_PACKETS, 1, 4096);
	config.report_max_packets = config.macos_major >= 15 &&
				    env_uint("SVM_VMNET_SIM_REPORT_MAX", 1, 0, 1) == 1;
	events = getenv("SVM_VMNET_SIM_EVENTS");
	if (events && *events && strcmp(events, "burst") != 0 && strcmp(events, "before-return") != 0)
		sim_fatal("SVM_VMNET_SIM_EVENTS: \"%s\" is neither burst nor before-return", events);
	config.events_before_return = events && strcmp(events, "before-return") == 0;
	privilege = getenv("SVM_VMNET_SIM_PRIVILEGE");
	if (!privilege || !*privilege || strcmp(privilege, "root") == 0)
		config.privilege = SIM_PRIV_ROOT;
	else if (strcmp(privilege, "virtualization") == 0)
		config.privilege = SIM_PRIV_VIRTUALIZATION;
	else if (strcmp(privilege, "none") == 0)
		config.privilege = SIM_PRIV_NONE;
	else
		sim_fatal("SVM_VMNET_SIM_PRIVILEGE: \"%s\" is none of root, virtualization, none",
			  privilege);
	fault_src = getenv("SVM_VMNET_SIM_FAULT_SRC");
	if (fault_src && *fault_src) {
		uint8_t *m = config.fault_src;

		if (sscanf(fault_src, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5]) != 6)
			sim_fatal("SVM_VMNET_SIM_FAULT_SRC: \"%s\" is not a MAC", fault_src);
		config.fault_src_set = true;
	}
	if (!faults || !*faults)
		return;
	copy = strdup(faults);
	if (!copy)
		sim_fatal("out of memory");
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save))
		parse_fault(f);
	free(copy);
}

const struct sim_config *sim_config(void)
{
	pthread_once(&config_once, load);
	return &config;
}

bool sim_fault_counts(const struct vmpktdesc *packets, int count)
{
	const struct sim_config *c = sim_config();
	const struct iovec *iov = count > 0 ? packets[0].vm_pkt_iov : NULL;

	if (!c->fault_src_set)
		return true;
	return iov && packets[0].vm_pkt_iovcnt >= 1 && iov[0].iov_len >= 12 &&
	       memcmp((const uint8_t *)iov[0].iov_base + 6, c->fault_src, 6) == 0;
}

vmnet_return_t sim_fault_status(struct vmnet_interface *iface, enum sim_call call)
{
	const struct sim_config *c = sim_config();
	unsigned long n = ++iface->calls[call];

	for (unsigned i = 0; i < c->fault_count; i++) {
		const struct sim_fault *f = &c->faults[i];

		if (f->call == call && n >= f->first && n - f->first < f->count)
			return f->status;
	}
	return VMNET_SUCCESS;
}

const char *sim_status_name(vmnet_return_t status)
{
	switch (status) {
	case VMNET_SUCCESS:
		return "VMNET_SUCCESS";
	case VMNET_FAILURE:
		return "VMNET_FAILURE";
	case VMNET_MEM_FAILURE:
		return "VMNET_MEM_FAILURE";
	case VMNET_INVALID_ARGUMENT:
		return "VMNET_INVALID_ARGUMENT";
	case VMNET_SETUP_INCOMPLETE:
		return "VMNET_SETUP_INCOMPLETE";
	case VMNET_INVALID_ACCESS:
		return "VMNET_INVALID_ACCESS";
	case VMNET_PACKET_TOO_BIG:
		return "VMNET_PACKET_TOO_BIG";
	case VMNET_BUFFER_EXHAUSTED:
		return "VMNET_BUFFER_EXHAUSTED";
	case VMNET_TOO_MANY_PACKETS:
		return "VMNET_TOO_MANY_PACKETS";
	case VMNET_SHARING_SERVICE_BUSY:
		return "VMNET_SHARING_SERVICE_BUSY";
	case VMNET_NOT_AUTHORIZED:
		return "VMNET_NOT_AUTHORIZED";
	}
	return "VMNET_?";
}
