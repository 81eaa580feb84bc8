// SPDX-License-Identifier: MIT
/* run.c — "sock-vmnet run": start the hypervisor on a socketpair and serve its VM */
#include "run.h"

#include <stdio.h>

/* Placeholder until the transports issue lands. */
int run_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sock-vmnet: run: not implemented yet\n");
	return 2;
}
