// SPDX-License-Identifier: MIT
/* leases_cli.c — "sock-vmnet leases": what the lease database holds, as a table or JSON */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/leases_cli.h"

#include "app/config.h"
#include "app/options.h"
#include "leases/leases.h"
#include "proto/addr.h"

static const char leases_usage[] =
	"Usage: sock-vmnet leases [--lease-db=PATH] [--json]\n"
	"\n"
	"Lists the leases of every sock-vmnet sharing the database: address, MAC, state of the\n"
	"instance that holds it, and the VM's lease expiry.\n"
	"\n"
	"  --lease-db=PATH  the database (root: " DEFAULT_LEASE_DB ";\n"
	"                   others: $XDG_STATE_HOME or ~/.local/state, sock-vmnet/leases.db)\n"
	"  --json           one JSON array of objects instead of a table\n"
	"\n"
	"STATE: running (held by a live sock-vmnet), gone (its sock-vmnet ended without\n"
	"releasing it: the address is free), free (released), quarantined (declined by a VM).\n"
	"BOUND: yes (the VM acknowledged it), offered (held, not acknowledged yet), - (free).\n";

struct listing {
	int64_t now;
	json_object *array; /* --json */
	unsigned rows;
};

static const char *row_state(const struct lease_row *r, int64_t now)
{
	if (r->quarantined_until > now)
		return "quarantined";
	switch (r->state) {
	case OWNER_RUNNING:
		return "running";
	case OWNER_GONE:
		return "gone";
	case OWNER_NONE:
		break;
	}
	return "free";
}

/* The BOUND column: only an address somebody holds is bound or merely offered. */
static const char *bound_text(const struct lease_row *r, const char *state)
{
	if (strcmp(state, "running") != 0 && strcmp(state, "gone") != 0)
		return "-";
	return r->bound ? "yes" : "offered";
}

static void format_time(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "-");
}

static void print_row(const struct lease_row *r, void *ctx)
{
	struct listing *l = ctx;
	char addr[INET_TEXT_LEN], expires[32];
	const char *state = row_state(r, l->now);

	inet_format(&r->address, addr);
	format_time(r->quarantined_until > l->now ? r->quarantined_until : r->expires, expires,
		    sizeof(expires));
	if (l->array) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "network", json_object_new_string(r->network));
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "mac", json_object_new_string(r->mac));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "bound", json_object_new_boolean(r->bound));
		json_object_object_add(o, "pid", r->owner.pid ? json_object_new_int64(r->owner.pid)
							      : NULL);
		json_object_object_add(o, "expires", json_object_new_int64(r->expires));
		json_object_object_add(o, "quarantined_until",
				       json_object_new_int64(r->quarantined_until));
		json_object_object_add(o, "updated", json_object_new_int64(r->updated));
		json_object_array_add(l->array, o);
	} else {
		char pid[24] = "-";

		if (r->owner.pid)
			snprintf(pid, sizeof(pid), "%" PRId64, r->owner.pid);
		if (l->rows == 0)
			printf("%-12s %-15s %-17s %-11s %-8s %-7s %s\n", "NETWORK", "ADDRESS",
			       "MAC", "STATE", "PID", "BOUND", "EXPIRES");
		printf("%-12s %-15s %-17s %-11s %-8s %-7s %s\n", r->network, addr,
		       r->mac[0] ? r->mac : "-", state, pid, bound_text(r, state), expires);
	}
	l->rows++;
}

int leases_cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"lease-db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = options_default_lease_db();
	struct listing l = {.now = (int64_t)time(NULL)};
	struct lease_db *db;
	bool json = false;
	char err[512];
	int id, status = 0;

	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (id) {
		case 'd':
			if (optarg[0] == '\0') {
				fprintf(stderr, "sock-vmnet: --lease-db: the path is empty\n");
				return 2;
			}
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(leases_usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "sock-vmnet: %s: needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "sock-vmnet: %s: unknown option (see leases --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sock-vmnet: \"%s\": unexpected argument (see leases --help)\n",
			argv[optind]);
		return 2;
	}
	db = lease_db_open(path, true, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "sock-vmnet: --lease-db: %s\n", err);
		return 1;
	}
	if (json)
		l.array = json_object_new_array();
	if (lease_list(db, print_row, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "sock-vmnet: --lease-db: %s\n", err);
		status = 1;
	} else if (json) {
		puts(json_object_to_json_string_ext(l.array, JSON_C_TO_STRING_PLAIN));
	} else if (l.rows == 0) {
		printf("no leases in %s\n", path);
	}
	json_object_put(l.array);
	lease_db_close(db);
	return status;
}
