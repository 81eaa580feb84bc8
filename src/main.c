// SPDX-License-Identifier: MIT
/* main.c — sock-vmnet's entry point: the helper itself, or one of its subcommands */
#include <stdio.h>
#include <string.h>

#include "app/ctl_cli.h"
#include "app/leases_cli.h"
#include "app/options.h"
#include "app/run.h"
#include "app/service.h"

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int status;

	if (argc > 1 && strcmp(argv[1], "leases") == 0)
		return leases_cli_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_cli_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return run_main(argc - 1, argv + 1);
	switch (options_parse(argc, argv, true, &cfg, err, sizeof(err))) {
	case OPTIONS_EXIT_OK:
		options_free(&cfg);
		return 0;
	case OPTIONS_ERROR:
		fprintf(stderr, "sock-vmnet: %s\n", err);
		options_free(&cfg);
		return 2;
	case OPTIONS_OK:
		break;
	}
	status = service_run(&cfg, 0, NULL);
	options_free(&cfg);
	return status;
}
