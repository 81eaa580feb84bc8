/* SPDX-License-Identifier: MIT */
/* run.h — "sock-vmnet run": start the hypervisor on a socketpair and serve its VM */
#ifndef SVM_APP_RUN_H
#define SVM_APP_RUN_H

#include <stdbool.h>

/**
 * run_main() - the "run" subcommand
 * @argc: arguments after "run"... argv[0] is "run"
 * @argv: sock-vmnet options, "--", then the hypervisor command
 *
 * The command gets one end of an AF_UNIX SOCK_DGRAM socketpair as fd 3 (or
 * --vm-fd-number), default signal dispositions and mask, and PR_SET_PDEATHSIG; sock-vmnet
 * serves the other end until the command exits.
 *
 * Return: the command's exit status (128+signal if killed); 2 for bad usage; 127 if the
 * command was not found, 126 if it could not be executed; 1 if sock-vmnet itself failed
 * (the command is then stopped with SIGTERM).
 */
int run_main(int argc, char **argv);

/**
 * krunkit_offloads() - whether the hypervisor command @cmd (NULL-terminated) gives krunkit
 * a virtio-net device on fd @fd_number with offloading=on: then `run` takes --vm-offload=on
 * unless its options say otherwise
 */
bool krunkit_offloads(char *const *cmd, int fd_number);

#endif
