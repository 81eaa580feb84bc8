// SPDX-License-Identifier: MIT
/* policy.c — the VM's destination policy: --allow/--block rules, longest prefix wins */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"

/* Placeholder until the guard issue: CIDR and @host only. */
bool policy_rule_parse(const char *text, bool allow, struct policy_rule *out, char *err,
		       size_t err_size)
{
	unsigned len;

	*out = (struct policy_rule){.allow = allow, .port_hi = 65535};
	if (strcmp(text, "@host") == 0) {
		out->is_gateway = true;
		out->prefix_len = 32;
		return true;
	}
	if (!ipv4_cidr_parse(text, &out->net, &len)) {
		snprintf(err, err_size, "\"%s\" is not a CIDR such as 203.0.113.0/24", text);
		return false;
	}
	out->prefix_len = (uint8_t)len;
	return true;
}
