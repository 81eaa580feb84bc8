// SPDX-License-Identifier: MIT
/* ready.c — --ready-fd: one JSON line for the launcher when the VM's network is ready, then the fd closed */
#include "app/ready.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/addr.h"

static json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

char *ready_line(const struct ready_info *r)
{
	json_object *o = json_object_new_object(), *offloads = json_object_new_array();
	char mac[MAC_TEXT_LEN], gw[INET_TEXT_LEN], net[INET_TEXT_LEN], subnet[INET_TEXT_LEN + 4];
	char prefix6[INET_TEXT_LEN + 4] = "";
	char *line;

	mac_format(r->vm->mac, mac);
	inet_format(&r->net4->gateway, gw);
	inet_format(&r->net4->subnet.addr, net);
	snprintf(subnet, sizeof(subnet), "%s/%u", net, r->net4->subnet.len);
	if (r->net6 && r->net6->enabled) {
		inet_format(&r->net6->prefix.addr, net);
		snprintf(prefix6, sizeof(prefix6), "%s/%u", net, r->net6->prefix.len);
	}
	if (r->info->offloads & BACKEND_OFFLOAD_TCP4)
		json_object_array_add(offloads, json_object_new_string("tcp"));
	if (r->info->offloads & BACKEND_OFFLOAD_UDP4)
		json_object_array_add(offloads, json_object_new_string("udp"));
	json_object_object_add(o, "ready", json_object_new_boolean(1));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "version", json_object_new_string(SVM_VERSION));
	json_object_object_add(o, "name", string_or_null(r->name));
	json_object_object_add(o, "backend", json_object_new_string(r->backend));
	json_object_object_add(o, "network", json_object_new_string(r->info->network_id));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "mtu", json_object_new_int((int)r->vm->mtu));
	json_object_object_add(o, "gateway", json_object_new_string(gw));
	json_object_object_add(o, "subnet", json_object_new_string(subnet));
	json_object_object_add(o, "ipv6_prefix", prefix6[0] ? json_object_new_string(prefix6) : NULL);
	json_object_object_add(o, "offloads", offloads);
	json_object_object_add(o, "control", string_or_null(r->control));
	line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return line;
}

int ready_write(int fd, const struct ready_info *r)
{
	char *line = ready_line(r);
	size_t len;
	int e = 0;

	if (!line) {
		close(fd);
		return -ENOMEM;
	}
	len = strlen(line);
	line[len] = '\n'; /* the NUL's place: one write of the whole line */
	for (size_t off = 0; off < len + 1 && !e;) {
		ssize_t n = write(fd, line + off, len + 1 - off);

		if (n < 0 && errno != EINTR)
			e = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	free(line);
	close(fd);
	return e;
}
