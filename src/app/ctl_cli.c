// SPDX-License-Identifier: MIT
/* ctl_cli.c — "sock-vmnet ctl PATH COMMAND...": one request to a running instance's control socket */
#include "app/ctl_cli.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"

/* How long an answer may take: a rule change compiles the policy (~1 ms at 1000 rules). */
#define CTL_TIMEOUT_MS 5000
/* The largest answer read (the control socket sends at most 8 MiB). */
#define CTL_ANSWER_MAX (8u << 20)

static const char usage[] =
	"usage: sock-vmnet ctl PATH COMMAND\n"
	"  stats                          the counters (as printed at exit)\n"
	"  rules                          every rule and how often it decided\n"
	"  names                          addresses learned for name rules, and until when\n"
	"  rule add allow|block RULE      add a rule (as --allow/--block take it)\n"
	"  rule del allow|block RULE      remove a rule\n"
	"  exposes                        the port forwards and their counters\n"
	"  expose add SPEC                forward a port (as --expose takes it)\n"
	"  expose del SPEC                stop forwarding it\n"
	"  flows                          the VM's live flows (and refusals of the last 30 s)\n"
	"  metrics                        the Prometheus text of --metrics (printed as text)\n"
	"  reload                         read --policy's file again\n"
	"  pcap start FILE                capture the frames that pass into FILE\n"
	"  pcap stop                      stop that capture (the file closed properly)\n";

static int usage_error(const char *why)
{
	fprintf(stderr, "sock-vmnet ctl: %s\n%s", why, usage);
	return 2;
}

/* @path as the instance must see it: relative to this process's directory, not its own. */
static char *absolute(const char *path)
{
	char cwd[4096];
	size_t n;
	char *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	n = strlen(cwd) + strlen(path) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, path);
	return out;
}

/* The request line for COMMAND..., or NULL with a usage error printed. */
static json_object *request_of(int argc, char **argv)
{
	json_object *req = json_object_new_object();
	const char *cmd = argv[0];

	if ((strcmp(cmd, "stats") == 0 || strcmp(cmd, "rules") == 0 || strcmp(cmd, "names") == 0 ||
	     strcmp(cmd, "exposes") == 0 || strcmp(cmd, "flows") == 0 ||
	     strcmp(cmd, "metrics") == 0 || strcmp(cmd, "reload") == 0) &&
	    argc == 1) {
		json_object_object_add(req, "cmd", json_object_new_string(cmd));
		return req;
	}
	if (strcmp(cmd, "rule") == 0 && argc == 4 &&
	    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0) &&
	    (strcmp(argv[2], "allow") == 0 || strcmp(argv[2], "block") == 0)) {
		json_object_object_add(req, "cmd", json_object_new_string(argv[1][0] == 'a'
										 ? "rule-add"
										 : "rule-del"));
		json_object_object_add(req, "verdict", json_object_new_string(argv[2]));
		json_object_object_add(req, "rule", json_object_new_string(argv[3]));
		return req;
	}
	if (strcmp(cmd, "expose") == 0 && argc == 3 &&
	    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0)) {
		json_object_object_add(req, "cmd", json_object_new_string(argv[1][0] == 'a'
										 ? "expose-add"
										 : "expose-del"));
		json_object_object_add(req, "spec", json_object_new_string(argv[2]));
		return req;
	}
	if (strcmp(cmd, "pcap") == 0 && argc == 2 && strcmp(argv[1], "stop") == 0) {
		json_object_object_add(req, "cmd", json_object_new_string("pcap-stop"));
		return req;
	}
	if (strcmp(cmd, "pcap") == 0 && argc == 3 && strcmp(argv[1], "start") == 0 && argv[2][0]) {
		char *path = absolute(argv[2]);

		if (path) {
			json_object_object_add(req, "cmd", json_object_new_string("pcap-start"));
			json_object_object_add(req, "file", json_object_new_string(path));
			free(path);
			return req;
		}
	}
	json_object_put(req);
	return NULL;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0); /* a CLI that execs nothing: no CLOEXEC needed */
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static bool write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read up to the first newline, within the timeout. Return: the line (malloc'd), or NULL. */
static char *read_line(int fd, const char **why)
{
	uint64_t deadline = clock_mono_ms() + CTL_TIMEOUT_MS;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	while (buf) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = clock_mono_ms();
		char *nl;
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) == 0) {
			*why = "no answer within 5 s";
			break;
		}
		if (len + 1 >= cap) {
			char *more = cap < CTL_ANSWER_MAX ? realloc(buf, cap * 2) : NULL;

			if (!more) {
				*why = "an answer too long to read";
				break;
			}
			buf = more;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = n == 0 ? "the instance closed the connection" : strerror(errno);
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int ctl_cli_main(int argc, char **argv)
{
	json_object *req, *answer, *ok;
	const char *why = "out of memory";
	char *line;
	int fd, status;

	if (argc < 3)
		return usage_error(argc < 2 ? "no PATH" : "no COMMAND");
	req = request_of(argc - 2, argv + 2);
	if (!req)
		return usage_error("unknown command");
	fd = connect_to(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "sock-vmnet ctl: cannot connect to \"%s\": %s\n", argv[1],
			strerror(errno));
		json_object_put(req);
		return 1;
	}
	line = NULL;
	{
		const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);

		if (write_all(fd, text, strlen(text)) && write_all(fd, "\n", 1))
			line = read_line(fd, &why);
		else
			why = strerror(errno);
	}
	json_object_put(req);
	close(fd);
	if (!line) {
		fprintf(stderr, "sock-vmnet ctl: %s: %s\n", argv[1], why);
		return 1;
	}
	answer = json_tokener_parse(line);
	status = answer && json_object_object_get_ex(answer, "ok", &ok) &&
			 json_object_get_boolean(ok)
		 ? 0
		 : 1;
	/* `metrics` prints the text itself, as --metrics's file holds it */
	if (status == 0 && json_object_object_get_ex(answer, "metrics", &ok) &&
	    json_object_is_type(ok, json_type_string))
		fputs(json_object_get_string(ok), stdout);
	else
		puts(line);
	json_object_put(answer);
	free(line);
	return status;
}
