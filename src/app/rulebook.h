/* SPDX-License-Identifier: MIT */
/* rulebook.h — the rules in force by where they came from: the command line, the policy file, ctl */
#ifndef SVM_APP_RULEBOOK_H
#define SVM_APP_RULEBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/policy_file.h"
#include "guard/guard.h"

/* Where a rule in force came from. */
enum rule_origin {
	RULE_BUILTIN,      /* sock-vmnet's defaults */
	RULE_COMMAND_LINE, /* --allow, --block */
	RULE_FILE,         /* --policy's file */
	RULE_CTL,          /* `ctl rule add` */
};

/** rule_origin_name() - "builtin", "command-line", "file" or "ctl" */
const char *rule_origin_name(enum rule_origin o);

/** struct rule_source - where one rule in force came from, and its line in the file */
struct rule_source {
	uint8_t origin; /* enum rule_origin */
	uint32_t line;
};

/**
 * struct rulebook - the rules of each origin, and the guard that judges by all of them
 * @guard: the guard (the service's); its policy is the rulebook's composition
 * @lists: the rules of each origin but RULE_BUILTIN (the file's with their line numbers)
 * @path: --policy, or NULL
 * @origin: for each rule given to the policy (entries after the built-in ones), where it
 *          came from and, from the file, its line; @composed of them
 * @builtins: how many built-in entries the policy has before them
 * @reloads: reloads of the file that took; @reload_errors: those refused
 * @generation: bumped at every change of the rules in force
 */
struct rulebook {
	struct guard *guard;
	struct policy_file lists[RULE_CTL + 1];
	const char *path;
	struct rule_source *origin;
	size_t composed, builtins;
	uint64_t reloads, reload_errors;
	uint64_t generation;
};

/**
 * rulebook_init() - the guard judges by the command line's rules and @file's (taken)
 * @rb: the rulebook
 * @guard: the guard, already initialized with @cmdline's rules
 * @cmdline: --allow and --block
 * @path: --policy (kept for reloads), or NULL
 * @file: its rules as read at start (copied), or NULL
 * Return: 0, or -errno (-E2BIG: too many rules in all).
 */
int rulebook_init(struct rulebook *rb, struct guard *guard, const struct policy_config *cmdline,
		  const char *path, const struct policy_file *file);
void rulebook_fini(struct rulebook *rb);

/**
 * rulebook_add() - add @r as a ctl rule
 * Return: 0; -EEXIST when it is in force already (from any origin), -E2BIG, -ENOMEM.
 */
int rulebook_add(struct rulebook *rb, const struct policy_rule *r);

/**
 * rulebook_del() - remove @r from whichever origin has it (ctl's first, then the file's,
 * then the command line's) for as long as this process runs (a reload brings a file's back)
 * Return: 0; -ENOENT when no origin has it (built-in rules stay); -ENOMEM.
 */
int rulebook_del(struct rulebook *rb, const struct policy_rule *r);

/**
 * rulebook_reload() - read --policy's file again and judge by it
 * @rb: the rulebook
 * @err: why not: "FILE:LINE: why" (or why the file cannot be read)
 * @err_size: its size
 *
 * A file with an error changes nothing: the rules in force stay.
 * Return: the number of rules the file now gives, or -1.
 */
long rulebook_reload(struct rulebook *rb, char *err, size_t err_size);

/**
 * rulebook_origin() - where policy entry @i came from (and with RULE_FILE its @line)
 */
enum rule_origin rulebook_origin(const struct rulebook *rb, size_t i, uint32_t *line);

#endif
