// SPDX-License-Identifier: MIT
/* copy_opts.h — the command line the benchmark's frame copiers share (pump, null-relay) */
#ifndef SVMB_COPY_OPTS_H
#define SVMB_COPY_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "framecopy.h"

/**
 * struct copy_opts - what both copiers take.
 * @tap: TAP configuration (--tap, --mtu, --offload=none|krunkit|vnet-hdr; each copier adds
 *       its own).
 * @batch: frames per batched call (--batch).
 * @sndbuf: send buffer of the socket (--sndbuf).
 * @stats: print frame counters on exit (--stats).
 */
struct copy_opts {
	struct fc_tap_config tap;
	unsigned int batch;
	int sndbuf;
	bool stats;
};

/**
 * copy_opts_init() - The defaults.
 * @o: the options.
 * @tap_name: the TAP's name, or a template with "%d" the kernel completes.
 */
void copy_opts_init(struct copy_opts *o, const char *tap_name);

/**
 * copy_opt_value() - The value of option @name at argv[*i], given as "--opt=V" or "--opt V".
 * @argc: argument count.
 * @argv: arguments.
 * @i: index of the argument; advanced past a separate value.
 * @name: the option, e.g. "--mtu".
 *
 * Return: the value, or NULL if argv[*i] is not @name with a value.
 */
const char *copy_opt_value(int argc, char **argv, int *i, const char *name);

/**
 * copy_opt_parse() - Take argv[*i] if it is one of the options of struct copy_opts, or --help.
 * @argc: argument count.
 * @argv: arguments.
 * @i: index of the argument; advanced past a separate value.
 * @o: receives the option.
 * @usage: prints the copier's usage text; --help and -h print it on stdout and exit 0.
 *
 * Return: 1 taken, 0 not one of them, -1 a bad value (argv[*i] is the argument that has it).
 */
int copy_opt_parse(int argc, char **argv, int *i, struct copy_opts *o, void (*usage)(FILE *f));

#endif
