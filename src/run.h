/* SPDX-License-Identifier: MIT */
/* run.h — "sock-vmnet run": start the hypervisor on a socketpair and serve its VM */
#ifndef SVM_RUN_H
#define SVM_RUN_H

/**
 * run_main() - the "run" subcommand
 * @argc: arguments after "run"... argv[0] is "run"
 * @argv: sock-vmnet options, "--", then the hypervisor command
 * Return: the hypervisor's exit status (128+signal if killed), or 2 for bad usage.
 */
int run_main(int argc, char **argv);

#endif
