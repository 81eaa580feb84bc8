/* SPDX-License-Identifier: MIT */
/* ctl_cli.h — "sock-vmnet ctl PATH COMMAND...": one request to a running instance's control socket */
#ifndef SVM_APP_CTL_CLI_H
#define SVM_APP_CTL_CLI_H

/**
 * ctl_cli_main() - send one request, print the answer as a JSON line
 * @argc: arguments after "sock-vmnet" (argv[0] is "ctl")
 * @argv: PATH COMMAND...: stats | rules | names | rule add|del allow|block RULE
 *
 * Return: 0 when the instance answered "ok", 1 when it answered an error (printed too) or
 * could not be reached, 2 for a usage error.
 */
int ctl_cli_main(int argc, char **argv);

#endif
