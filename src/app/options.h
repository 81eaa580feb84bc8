/* SPDX-License-Identifier: MIT */
/* options.h — the command line, parsed and checked into one immutable config */
#ifndef SVM_APP_OPTIONS_H
#define SVM_APP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config.h"

enum options_result {
	OPTIONS_OK,
	OPTIONS_EXIT_OK, /* --help or --version was printed */
	OPTIONS_ERROR,   /* @err says why */
};

/**
 * options_parse() - parse and check the command line of the helper
 * @argc: argument count
 * @argv: arguments (argv[0] is the program)
 * @need_vm: false for "sock-vmnet run", which makes the VM socket itself
 * @cfg: filled in
 * @err: one line naming the option, the value and why, e.g.
 *       "--mac: \"zz:zz\" is not a MAC address"
 * @err_size: size of @err
 */
enum options_result options_parse(int argc, char **argv, bool need_vm, struct config *cfg,
				  char *err, size_t err_size);

/**
 * options_default_lease_db() - --lease-db's default: /var/lib/sock-vmnet/leases.db for root,
 * else $XDG_STATE_HOME/sock-vmnet/leases.db (~/.local/state/... without it)
 */
const char *options_default_lease_db(void);

/** options_free() - what options_parse() allocated in @cfg (its rules) */
void options_free(struct config *cfg);

#endif
