/* SPDX-License-Identifier: MIT */
/* policy.h — the VM's destination policy: --allow/--block rules, longest prefix wins */
#ifndef SVM_POLICY_H
#define SVM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_RULES 256

/**
 * struct policy_rule - one --allow or --block entry
 * @allow: true for --allow, false for --block
 * @is_gateway: the rule named "@host": it means the gateway address /32
 * @net: network, host byte order (host bits clear)
 * @prefix_len: 0..32
 * @proto: 0 for any protocol, else IPPROTO_TCP/UDP/ICMP
 * @port_lo: first destination port (0 with @port_hi 65535 = any port)
 * @port_hi: last destination port
 */
struct policy_rule {
	bool allow;
	bool is_gateway;
	uint32_t net;
	uint8_t prefix_len;
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

/**
 * policy_rule_parse() - read one rule as written after --allow/--block
 * @text: "CIDR", "@host", or "PROTO:CIDR[:PORT[-PORT]]" (see README, security model)
 * @allow: which flag it came with
 * @out: the rule
 * @err: on failure, why (without the option name), e.g. "\"10.0.0.0/33\" is not a CIDR"
 * @err_size: size of @err
 * Return: true on success.
 */
bool policy_rule_parse(const char *text, bool allow, struct policy_rule *out, char *err,
		       size_t err_size);

#endif
