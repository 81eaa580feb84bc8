// SPDX-License-Identifier: MIT
/* copy_opts.c — the command line the benchmark's frame copiers share (pump, null-relay) */
#include "copy_opts.h"

#include <stdlib.h>
#include <string.h>

void copy_opts_init(struct copy_opts *o, const char *tap_name)
{
	*o = (struct copy_opts){
		.tap = {.name = tap_name},
		.batch = FC_DEFAULT_BATCH,
		.sndbuf = FC_DEFAULT_SNDBUF,
	};
}

const char *copy_opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, len) != 0)
		return NULL;
	if (a[len] == '=')
		return a + len + 1;
	if (a[len] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int copy_opt_parse(int argc, char **argv, int *i, struct copy_opts *o, void (*usage)(FILE *f))
{
	unsigned long v;
	const char *val;

	if ((val = copy_opt_value(argc, argv, i, "--tap"))) {
		o->tap.name = val;
	} else if ((val = copy_opt_value(argc, argv, i, "--mtu"))) {
		if (!fc_parse_uint(val, 68, FC_MAX_MTU, &v))
			return -1;
		o->tap.mtu = (int)v;
	} else if ((val = copy_opt_value(argc, argv, i, "--batch"))) {
		if (!fc_parse_uint(val, 1, FC_MAX_BATCH, &v))
			return -1;
		o->batch = (unsigned int)v;
	} else if ((val = copy_opt_value(argc, argv, i, "--sndbuf"))) {
		if (!fc_parse_uint(val, 4096, 1 << 30, &v))
			return -1;
		o->sndbuf = (int)v;
	} else if ((val = copy_opt_value(argc, argv, i, "--offload"))) {
		if (strcmp(val, "krunkit") == 0)
			o->tap.offload = FC_OFFLOAD_KRUNKIT;
		else if (strcmp(val, "vnet-hdr") == 0)
			o->tap.offload = FC_OFFLOAD_VNET_HDR;
		else if (strcmp(val, "none") == 0)
			o->tap.offload = FC_OFFLOAD_NONE;
		else
			return -1;
	} else if (strcmp(argv[*i], "--stats") == 0) {
		o->stats = true;
	} else if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0) {
		usage(stdout);
		exit(0);
	} else {
		return 0;
	}
	return 1;
}
