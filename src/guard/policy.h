/* SPDX-License-Identifier: MIT */
/* policy.h — the VM's destination policy: --allow/--block rules, longest prefix wins */
#ifndef SVM_GUARD_POLICY_H
#define SVM_GUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"

#define POLICY_MAX_RULES 256

/*
 * Rule syntax (after --allow/--block; options.c splits the value at commas):
 *
 *   RULE   = TARGET | PROTO ":" [TARGET] [":" PORTS]
 *   TARGET = CIDR | "@host"            empty TARGET = 0.0.0.0/0
 *   CIDR   = A.B.C.D ["/" 0-32]        bare address = /32; host bits must be clear
 *   PROTO  = "tcp" | "udp" | "icmp" | 1-255
 *   PORTS  = PORT ["-" PORT]           0-65535, tcp and udp only; destination port
 *
 * e.g. 203.0.113.0/24, @host, tcp:203.0.113.0/24:443, udp::53, tcp:@host:8000-8999, icmp:@host
 *
 * Which rule decides (the most specific one that matches the packet):
 *   1. the longest prefix;
 *   2. then a rule with ports over a rule with only a protocol, over a rule with neither;
 *   3. then a command-line rule over a built-in default;
 *   4. then block over allow.
 * The built-in defaults: allow 0.0.0.0/0 and the gateway (@host, so DNS on it too); block
 * every block of the IANA IPv4 special-purpose registry and multicast (POLICY_BUILTIN).
 */

/**
 * struct policy_rule - one --allow or --block entry, as parsed
 * @allow: true for --allow, false for --block
 * @is_gateway: the rule named "@host": it means the gateway address /32
 * @dst: the destination network (host bits clear); 0.0.0.0/32 when @is_gateway
 * @proto: 0 for any protocol, else an IPv4 protocol number (6 tcp, 17 udp, 1 icmp, ...)
 * @port_lo: first destination port (0 with @port_hi 65535 = any port)
 * @port_hi: last destination port
 */
struct policy_rule {
	bool allow;
	bool is_gateway;
	struct inet_prefix dst;
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

/**
 * policy_rule_parse() - read one rule as written after --allow/--block
 * @text: the rule, in the syntax above
 * @allow: which flag it came with
 * @out: the rule
 * @err: on failure, why (without the option name), the rule quoted, e.g.
 *       "\"10.0.0.0/33\": \"/33\" is not a prefix length from 0 to 32"
 * @err_size: size of @err
 * Return: true on success.
 */
bool policy_rule_parse(const char *text, bool allow, struct policy_rule *out, char *err,
		       size_t err_size);

/**
 * policy_rule_format() - write a rule back in the syntax policy_rule_parse() reads
 * @r: the rule
 * @buf: output, at least POLICY_RULE_TEXT_LEN bytes
 * @size: its size
 * Return: @buf.
 */
char *policy_rule_format(const struct policy_rule *r, char *buf, size_t size);
#define POLICY_RULE_TEXT_LEN 64 /* "255:" + an address "/128" + ":65535-65535" + NUL */

/* The built-in rules that apply under the command line's: see policy.c. */
#define POLICY_BUILTIN_MAX 32
#define POLICY_MAX_ENTRIES (POLICY_MAX_RULES + POLICY_BUILTIN_MAX)
/* n prefixes cut the address space into at most 2n + 1 intervals */
#define POLICY_MAX_INTERVALS (2 * POLICY_MAX_ENTRIES + 1)

/**
 * struct policy_qualified - a compiled rule with a protocol (and perhaps ports)
 * @net: network, host order
 * @mask: its netmask
 * @rank: the rule's place in the order above; higher wins (see policy.c)
 * @proto: protocol number, never 0
 * @has_ports: false when the rule names only a protocol
 * @allow: the rule's verdict
 * @port_lo: first destination port
 * @port_hi: last destination port
 */
struct policy_qualified {
	uint32_t net, mask;
	uint16_t rank;
	uint8_t proto;
	bool has_ports;
	bool allow;
	uint16_t port_lo, port_hi;
};

/**
 * struct policy - the rules compiled for a fast lookup, built once by policy_compile()
 * @interval_count: entries in @interval_start and @interval_rank
 * @interval_start: ascending first addresses of the intervals that the rules' prefixes
 *                  cut the address space into; [0] is always 0
 * @interval_rank: for each interval, the rank of the winning rule without a protocol
 *                 (lowest bit set: block), and a flag for "a rule with a protocol
 *                 covers this interval and outranks that winner" (see policy.c)
 * @qualified_count: entries in @qualified
 * @qualified: rules with a protocol, highest rank first
 *
 * A lookup is a binary search of the intervals; only inside the network of a rule with
 * a protocol does it go on to scan the qualified rules that outrank the interval's winner.
 * No allocation.
 */
struct policy {
	unsigned interval_count;
	uint32_t interval_start[POLICY_MAX_INTERVALS];
	uint16_t interval_rank[POLICY_MAX_INTERVALS];
	unsigned qualified_count;
	struct policy_qualified qualified[POLICY_MAX_ENTRIES];
};

/**
 * enum policy_ports - what a lookup knows of the destination port
 * @POLICY_PORT_KNOWN: @port is the packet's (ignored unless tcp/udp)
 * @POLICY_PORT_EVERY: unknown (a non-first IP fragment): allow only if the policy allows
 *                     the protocol to this destination on every port
 * @POLICY_PORT_ANY: the question is whether any traffic at all, of any protocol, may go
 *                   to the destination (used for ARP)
 */
enum policy_ports {
	POLICY_PORT_KNOWN,
	POLICY_PORT_EVERY,
	POLICY_PORT_ANY,
};

/**
 * policy_compile() - build the lookup structure from the built-in and command-line rules
 * @p: filled in
 * @rules: the command line's rules (at most POLICY_MAX_RULES)
 * @count: their number
 * @gateway: the address "@host" stands for (IPv4)
 */
void policy_compile(struct policy *p, const struct policy_rule *rules, size_t count,
		    const struct inet_addr *gateway);

/**
 * policy_allows() - may the VM send this packet to @dst?
 * @p: a compiled policy
 * @dst: destination address (an IPv6 one is never allowed yet)
 * @proto: IP protocol number
 * @port: destination port (tcp/udp with POLICY_PORT_KNOWN)
 * @ports: how much is known of the port
 * Return: true to allow.
 */
bool policy_allows(const struct policy *p, const struct inet_addr *dst, uint8_t proto,
		   uint16_t port, enum policy_ports ports);

/**
 * policy_allows_reference() - policy_allows() by a plain scan of every rule
 *
 * Slow and obviously right: the tests and the fuzzer compare the compiled lookup with it.
 * Same arguments as policy_compile() and policy_allows() together.
 */
bool policy_allows_reference(const struct policy_rule *rules, size_t count,
			     const struct inet_addr *gateway, const struct inet_addr *dst,
			     uint8_t proto, uint16_t port, enum policy_ports ports);

#endif
