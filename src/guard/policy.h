/* SPDX-License-Identifier: MIT */
/* policy.h — the VM's destination policy: --allow/--block rules, longest prefix wins */
#ifndef SVM_GUARD_POLICY_H
#define SVM_GUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/dns_name.h"

/* Rules a policy holds besides the built-in ones (the command line's and those added later). */
#define POLICY_MAX_RULES 4096

/*
 * Rule syntax (after --allow/--block; options.c splits the value at commas):
 *
 *   RULE   = TARGET | PROTO ":" [TARGET] [":" PORTS]
 *          | IPV6 | PROTO ":[" IPV6 "]" [":" PORTS]
 *   TARGET = CIDR | "@host" | NAME | "*." NAME     empty TARGET = 0.0.0.0/0
 *   CIDR   = A.B.C.D ["/" 0-32]        bare address = /32; host bits must be clear
 *   IPV6   = an IPv6 address ["/" 0-128] (bare: /128; host bits must be clear); with a
 *            protocol it goes in brackets, its colons are not the rule's
 *   A /0 is every address of both families: 0.0.0.0/0 and ::/0 are the same rule
 *   NAME   = a host name (letters, digits, '-', '_'; an IDN in its xn-- form); case and a
 *            trailing dot do not matter. "*.NAME" is every name below NAME, not NAME itself
 *   PROTO  = "tcp" | "udp" | "icmp" | "icmpv6" | 1-255   ("icmp" is each family's:
 *            ICMPv6 in IPv6; "icmpv6" only that)
 *   PORTS  = PORT ["-" PORT]           0-65535, tcp and udp only; destination port
 *
 * e.g. 203.0.113.0/24, @host, tcp:203.0.113.0/24:443, udp::53, tcp:github.com:443,
 *      '*.githubusercontent.com', udp:'*.example.net', 2001:db8:100::/64,
 *      tcp:[2001:db8::/32]:443
 *
 * A name stands for the addresses the VM's DNS answers give it (guard/learned.c), each as a
 * /32 (an IPv6 one as a /128) while its answer's TTL lasts. @host is the gateway: its IPv4
 * address and, with IPv6, its global and link-local ones. Which rule decides (the most
 * specific one that matches; IPv4 and IPv6 rules each judge their own family):
 *   1. the longest prefix (a name's addresses are /32 and /128);
 *   2. then a rule with ports over a rule with only a protocol, over a rule with neither;
 *   3. then a rule of the command line (or added later) over a built-in default;
 *   4. then block over allow.
 * The built-in defaults: allow 0.0.0.0/0 (both families); block every block of the IANA IPv4
 * and IPv6 special-purpose registries and multicast, and the gateway (@host, both
 * families): the host is closed unless a rule opens it, but for what sock-vmnet answers
 * itself (the guard keeps the gateway's DNS and ping open while that built-in decides; see
 * policy.c).
 */

/**
 * struct policy_rule - one --allow or --block entry, as parsed
 * @allow: true for --allow, false for --block
 * @is_gateway: the rule named "@host": it means the gateway's addresses (/32, /128)
 * @is_name: the target is a name (@name), not an address
 * @dst: the destination network (host bits clear), of either family (a /0 of both);
 *       0.0.0.0/32 when @is_gateway or @is_name
 * @name: with @is_name, the name or the names below it
 * @proto: 0 for any protocol, else a protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6...)
 * @port_lo: first destination port (0 with @port_hi 65535 = any port)
 * @port_hi: last destination port
 */
struct policy_rule {
	bool allow;
	bool is_gateway;
	bool is_name;
	struct inet_prefix dst;
	struct dns_pattern name;
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

/* --block-mode: what a packet the policy refuses gets */
enum block_mode {
	BLOCK_REJECT, /* an answer: TCP RST, or ICMP "administratively prohibited" */
	BLOCK_DROP,   /* nothing: the VM's program waits for its timeout */
};

/* --check-names: the server-name check of TCP flows let through by a name rule only */
enum check_names {
	CHECK_NAMES_AUTO, /* on when a name rule exists */
	CHECK_NAMES_ON,
	CHECK_NAMES_OFF,
};

/**
 * struct policy_config - the destination policy of the command line
 * @rules: the --allow/--block rules, in command-line order (malloc'd: options_free())
 * @count: how many
 * @block_mode: --block-mode
 * @check_names: --check-names
 */
struct policy_config {
	struct policy_rule *rules;
	size_t count;
	enum block_mode block_mode;
	enum check_names check_names;
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
/* "255:" + "*." and a name of 253, or "[" an address "/128]", + ":65535-65535" + NUL */
#define POLICY_RULE_TEXT_LEN 280

/** policy_rule_same() - whether @a and @b are the same rule (same verdict, same text) */
bool policy_rule_same(const struct policy_rule *a, const struct policy_rule *b);

/** policy_rule_matches_name() - is @name (normalized) a target of name rule @r? */
bool policy_rule_matches_name(const struct policy_rule *r, const char *name);

/** policy_rule_matches_port() - do @r's protocol and ports cover this packet? */
bool policy_rule_matches_port(const struct policy_rule *r, uint8_t proto, uint16_t port);

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
 * struct policy_entry - a rule of a compiled policy, as listed to people
 * @rule: the rule (a built-in's too, with @builtin)
 * @builtin: a default of sock-vmnet's, not of the command line
 */
struct policy_entry {
	struct policy_rule rule;
	bool builtin;
};

/**
 * struct policy_verdict - a lookup's answer
 * @allow: the verdict
 * @entry: the deciding rule (index into the policy's entries), or -1 when no single rule
 *         decides (POLICY_PORT_EVERY and POLICY_PORT_ANY questions)
 * @rank: its rank (see policy.c): a name rule's addresses compare with it
 */
struct policy_verdict {
	bool allow;
	int entry;
	uint16_t rank;
};

struct policy;

/**
 * policy_compile() - build the lookup structure from the built-in and given rules
 * @rules: the rules (at most POLICY_MAX_RULES)
 * @count: their number
 * @hosts: the addresses "@host" stands for: the gateway's IPv4 address and, with IPv6, its
 *         global and link-local ones
 * @host_count: how many (1 to 3)
 *
 * Return: the compiled policy (policy_free() it), or NULL when out of memory.
 */
struct policy *policy_compile(const struct policy_rule *rules, size_t count,
			      const struct inet_addr *hosts, size_t host_count);
void policy_free(struct policy *p);

/**
 * policy_decide() - the verdict of the address rules (names aside) for a packet to @dst
 * @p: a compiled policy
 * @dst: destination address, IPv4, host order
 * @proto: IP protocol number
 * @port: destination port (tcp/udp with POLICY_PORT_KNOWN)
 * @ports: how much is known of the port
 */
struct policy_verdict policy_decide(const struct policy *p, uint32_t dst, uint8_t proto,
				    uint16_t port, enum policy_ports ports);

/** policy_decide_any() - policy_decide() for a destination of either family */
struct policy_verdict policy_decide_any(const struct policy *p, const struct inet_addr *dst,
					uint8_t proto, uint16_t port, enum policy_ports ports);

/**
 * policy_allows() - may the VM send this packet to @dst, by the address rules?
 * @p: a compiled policy
 * @dst: destination address, of either family
 * Return: true to allow.
 */
bool policy_allows(const struct policy *p, const struct inet_addr *dst, uint8_t proto,
		   uint16_t port, enum policy_ports ports);

/** policy_entry_count() - the rules of @p, built-in ones first */
size_t policy_entry_count(const struct policy *p);
const struct policy_entry *policy_entry(const struct policy *p, size_t i);

/**
 * policy_hits() - how often rule @i decided (its counter; the caller adds to it)
 *
 * The counters belong to the compiled policy but are not part of the lookup: a policy
 * compiled from another one's rules takes over the counts of the rules they share
 * (policy_take_counts()).
 */
uint64_t *policy_hits(const struct policy *p, size_t i);

/**
 * policy_is_host_default() - whether @entry (a verdict's) is the built-in block of @host:
 * no rule of the command line decided for the gateway
 */
bool policy_is_host_default(const struct policy *p, int entry);

/** policy_take_counts() - give @to's rules the counts of the same rules in @from */
void policy_take_counts(struct policy *to, const struct policy *from);

/** policy_has_names() - whether any rule of @p names a name */
bool policy_has_names(const struct policy *p);

/**
 * policy_name_rank() - the rank an address learned for name rule @i has, were it a /32
 *                      rule (@v6: a /128), to compare with policy_decide()'s
 */
uint16_t policy_name_rank(const struct policy *p, size_t i, bool v6);

/**
 * policy_allows_reference() - policy_allows() by a plain scan of every rule of @p
 *
 * Slow and obviously right: the tests and the fuzzer compare the compiled lookup with it.
 * It scans @p's rules as policy_compile() listed them (built-ins, @host, the given ones; see
 * policy_entry()) and its @host addresses, never the lookup built from them. Same
 * arguments as policy_allows(). Name rules are ignored.
 */
bool policy_allows_reference(const struct policy *p, const struct inet_addr *dst,
			     uint8_t proto, uint16_t port, enum policy_ports ports);

#endif
