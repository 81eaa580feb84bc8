// SPDX-License-Identifier: MIT
/* leases.c — the lease database shared by every sock-vmnet on the host (SQLite) */
#include <sqlite3.h>

/* Placeholder until the DHCP issue lands. */
const char *leases_sqlite_version(void);
const char *leases_sqlite_version(void)
{
	return sqlite3_libversion();
}
