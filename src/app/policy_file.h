/* SPDX-License-Identifier: MIT */
/* policy_file.h — --policy: the rules of --allow/--block in a file, one per line, # comments */
#ifndef SVM_APP_POLICY_FILE_H
#define SVM_APP_POLICY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guard/policy.h"

/*
 * The file's grammar, one rule per line:
 *
 *   LINE = [VERDICT WS VALUE] [WS] ["#" COMMENT]
 *   VERDICT = "allow" | "block"
 *   VALUE = what --allow and --block take: a RULE, or RULEs separated by commas
 *
 * e.g.   # the build VM: GitHub and the Debian mirror, nothing else
 *        block 0.0.0.0/0
 *        allow tcp:github.com:443, tcp:*.github.com:443
 *        allow tcp:deb.debian.org:80   # apt
 *
 * Blank lines and comments are skipped; white space is spaces and tabs; a CR before the
 * newline is ignored. A line longer than POLICY_FILE_LINE_MAX is an error, and so is a file
 * larger than POLICY_FILE_MAX or with more than POLICY_MAX_RULES rules.
 */
#define POLICY_FILE_LINE_MAX 1024
/* 4096 rules of ~40 bytes, comments, and room: 1 MiB */
#define POLICY_FILE_MAX (1u << 20)

/**
 * struct policy_file - the rules of one file (or of one origin: see rulebook.h)
 * @rules: the rules, in order (malloc'd); @count of them
 * @lines: the line of each (NULL for rules of no file)
 */
struct policy_file {
	struct policy_rule *rules;
	uint32_t *lines;
	size_t count;
};

/**
 * policy_file_parse() - read a policy file's text
 * @text: the bytes (not NUL-terminated; anything may be in them)
 * @len: how many
 * @out: the rules (zeroed first; policy_file_free() it, also after a failure)
 * @err: on failure "LINE: why", e.g. "3: \"10.0.0.1/8\": 10.0.0.1 has host bits set ..."
 * @err_size: its size
 * Return: true when every line is valid.
 */
bool policy_file_parse(const char *text, size_t len, struct policy_file *out, char *err,
		       size_t err_size);

/**
 * policy_file_load() - read the file at @path and parse it
 * @err: on failure "PATH:LINE: why" or "PATH: why" (not readable, too large)
 * Return: true when @out holds the file's rules.
 */
bool policy_file_load(const char *path, struct policy_file *out, char *err, size_t err_size);

/** policy_file_append() - add @r (from @line, 0 for none) at the end. Return: false on ENOMEM */
bool policy_file_append(struct policy_file *f, const struct policy_rule *r, uint32_t line);

/** policy_file_remove() - remove rule @i */
void policy_file_remove(struct policy_file *f, size_t i);

void policy_file_free(struct policy_file *f);

#endif
