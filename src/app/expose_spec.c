// SPDX-License-Identifier: MIT
/* expose_spec.c — --expose's SPEC: [BIND_ADDR:]HOST_PORT[-END]:VM_PORT[-END][/tcp|/udp] */
#include "app/expose_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/addr.h"

/* "PORT" or "PORT-PORT", 1-65535, not backwards. */
static bool parse_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	a = strtoul(text, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return false;
		b = strtoul(end + 1, &end, 10);
	}
	if (errno || *end || a == 0 || a > 65535 || b < a || b > 65535)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

bool expose_spec_parse(const char *text, struct expose *out, char *err, size_t err_size)
{
	char copy[64], *proto, *fields[3];
	int n = 0;

	*out = (struct expose){.proto = 6};
	if (strlen(text) >= sizeof(copy)) {
		snprintf(err, err_size, "\"%.40s...\": too long for a SPEC", text);
		return false;
	}
	strcpy(copy, text);
	proto = strchr(copy, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			out->proto = 17;
		else if (strcmp(proto, "tcp") != 0) {
			snprintf(err, err_size, "\"%s\": \"/%s\" is neither /tcp nor /udp", text, proto);
			return false;
		}
	}
	for (char *p = copy, *colon; n < 3; p = colon + 1) {
		fields[n++] = p;
		colon = strchr(p, ':');
		if (!colon)
			break;
		*colon = '\0';
		if (n == 3) {
			snprintf(err, err_size, "\"%s\": too many ':' (want "
				 "[BIND_ADDR:]HOST_PORT[-END]:VM_PORT[-END][/tcp|/udp])", text);
			return false;
		}
	}
	if (n < 2) {
		snprintf(err, err_size, "\"%s\": want HOST_PORT:VM_PORT, e.g. 2222:22 or "
			 "127.0.0.1:8080:80/tcp", text);
		return false;
	}
	if (n == 3 && !ipv4_parse(fields[0], &out->bind)) {
		snprintf(err, err_size, "\"%s\": \"%s\" is not an IPv4 address to listen on", text,
			 fields[0]);
		return false;
	}
	if (!parse_range(fields[n - 2], &out->host_lo, &out->host_hi) ||
	    !parse_range(fields[n - 1], &out->vm_lo, &out->vm_hi)) {
		snprintf(err, err_size, "\"%s\": \"%s\" is not a port or a range of ports (1-65535, "
			 "e.g. 8080 or 8000-8009)", text,
			 parse_range(fields[n - 2], &out->host_lo, &out->host_hi) ? fields[n - 1]
										  : fields[n - 2]);
		return false;
	}
	if (out->host_hi - out->host_lo != out->vm_hi - out->vm_lo) {
		snprintf(err, err_size, "\"%s\": the host's %u ports and the VM's %u differ in number",
			 text, out->host_hi - out->host_lo + 1u, out->vm_hi - out->vm_lo + 1u);
		return false;
	}
	if (out->host_hi - out->host_lo + 1u > EXPOSE_MAX_PORTS) {
		snprintf(err, err_size, "\"%s\": more than %d ports", text, EXPOSE_MAX_PORTS);
		return false;
	}
	return true;
}

static void format_range(char *buf, size_t size, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		snprintf(buf, size, "%u", lo);
	else
		snprintf(buf, size, "%u-%u", lo, hi);
}

char *expose_spec_format(const struct expose *e, char *buf, size_t size)
{
	char bind[IPV4_TEXT_LEN + 1] = "", host[12], vm[12];

	if (e->bind) {
		ipv4_format(e->bind, bind);
		strcat(bind, ":");
	}
	format_range(host, sizeof(host), e->host_lo, e->host_hi);
	format_range(vm, sizeof(vm), e->vm_lo, e->vm_hi);
	snprintf(buf, size, "%s%s:%s/%s", bind, host, vm, e->proto == 17 ? "udp" : "tcp");
	return buf;
}
