/* SPDX-License-Identifier: MIT */
/* leases_cli.h — "sock-vmnet leases": what the lease database holds, as a table or JSON */
#ifndef SVM_APP_LEASES_CLI_H
#define SVM_APP_LEASES_CLI_H

/**
 * leases_cli_main() - "sock-vmnet leases [--lease-db PATH] [--json]"
 * @argc: argument count
 * @argv: arguments; argv[0] is the subcommand's name ("leases")
 * Return: the exit status (0, 1 for a database error, 2 for a usage error).
 */
int leases_cli_main(int argc, char **argv);

#endif
