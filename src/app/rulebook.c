// SPDX-License-Identifier: MIT
/* rulebook.c — the rules in force by where they came from: the command line, the policy file, ctl */
#include "app/rulebook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static const char *const origin_names[] = {"builtin", "command-line", "file", "ctl"};

const char *rule_origin_name(enum rule_origin o)
{
	return o <= RULE_CTL ? origin_names[o] : "?";
}

/* Whether any origin has @r; its origin and index when one has. */
static bool find(const struct rulebook *rb, const struct policy_rule *r, int *origin, size_t *at)
{
	for (int o = RULE_CTL; o >= RULE_COMMAND_LINE; o--)
		for (size_t i = 0; i < rb->lists[o].count; i++)
			if (policy_rule_same(&rb->lists[o].rules[i], r)) {
				*origin = o;
				*at = i;
				return true;
			}
	return false;
}

/*
 * The lists in one policy, in the order command line, file, ctl (a rule two origins give
 * is there twice, each listed with its origin), judged by the guard from now on.
 * Return: 0, or -errno with nothing changed.
 */
static int compose(struct rulebook *rb)
{
	size_t total = 0, n = 0;
	struct policy_rule *rules;
	struct policy *p;
	struct rule_source *origin;
	int r;

	for (int o = RULE_COMMAND_LINE; o <= RULE_CTL; o++)
		total += rb->lists[o].count;
	if (total > POLICY_MAX_RULES)
		return -E2BIG;
	rules = malloc((total ? total : 1) * sizeof(*rules));
	origin = malloc((total ? total : 1) * sizeof(*origin));
	if (!rules || !origin) {
		free(rules);
		free(origin);
		return -ENOMEM;
	}
	for (int o = RULE_COMMAND_LINE; o <= RULE_CTL; o++) {
		const struct policy_file *l = &rb->lists[o];

		for (size_t i = 0; i < l->count; i++, n++) {
			origin[n].origin = (uint8_t)o;
			origin[n].line = l->lines ? l->lines[i] : 0;
			rules[n] = l->rules[i];
		}
	}
	p = guard_compile(rb->guard, rules, n);
	free(rules);
	r = p ? guard_set_policy(rb->guard, p) : -ENOMEM;
	if (r < 0) {
		free(origin);
		return r;
	}
	free(rb->origin);
	rb->origin = origin;
	rb->composed = n;
	rb->builtins = policy_entry_count(guard_policy(rb->guard)) - n;
	rb->generation++;
	return 0;
}

int rulebook_init(struct rulebook *rb, struct guard *guard, const struct policy_config *cmdline,
		  const char *path, const struct policy_file *file)
{
	struct policy_file *cl = &rb->lists[RULE_COMMAND_LINE];

	*rb = (struct rulebook){.guard = guard, .path = path};
	int e;

	for (size_t i = 0; i < cmdline->count; i++)
		if (!policy_file_append(cl, &cmdline->rules[i], 0))
			goto nomem;
	for (size_t i = 0; file && i < file->count; i++)
		if (!policy_file_append(&rb->lists[RULE_FILE], &file->rules[i], file->lines[i]))
			goto nomem;
	e = compose(rb);
	if (e < 0)
		rulebook_fini(rb);
	return e;
nomem:
	rulebook_fini(rb);
	return -ENOMEM;
}

void rulebook_fini(struct rulebook *rb)
{
	for (int o = RULE_COMMAND_LINE; o <= RULE_CTL; o++)
		policy_file_free(&rb->lists[o]);
	free(rb->origin);
	rb->origin = NULL;
	rb->composed = 0;
}

int rulebook_add(struct rulebook *rb, const struct policy_rule *r)
{
	struct policy_file *ctl = &rb->lists[RULE_CTL];
	size_t at;
	int o, e;

	if (find(rb, r, &o, &at))
		return -EEXIST;
	if (!policy_file_append(ctl, r, 0))
		return -ENOMEM;
	e = compose(rb);
	if (e < 0)
		ctl->count--; /* as it was */
	return e;
}

int rulebook_del(struct rulebook *rb, const struct policy_rule *r)
{
	struct policy_file *l;
	struct policy_rule gone;
	uint32_t line;
	size_t at;
	int o, e;

	if (!find(rb, r, &o, &at))
		return -ENOENT;
	l = &rb->lists[o];
	gone = l->rules[at];
	line = l->lines[at];
	policy_file_remove(l, at);
	e = compose(rb);
	if (e < 0) { /* put it back where it was */
		policy_file_append(l, &gone, line); /* room is there: the list held it */
		memmove(&l->rules[at + 1], &l->rules[at], (l->count - 1 - at) * sizeof(*l->rules));
		memmove(&l->lines[at + 1], &l->lines[at], (l->count - 1 - at) * sizeof(*l->lines));
		l->rules[at] = gone;
		l->lines[at] = line;
	}
	return e;
}

long rulebook_reload(struct rulebook *rb, char *err, size_t err_size)
{
	struct policy_file fresh, old;
	int e;

	if (!rb->path) {
		snprintf(err, err_size, "no --policy file to reload");
		return -1;
	}
	if (!policy_file_load(rb->path, &fresh, err, err_size)) {
		rb->reload_errors++;
		return -1;
	}
	old = rb->lists[RULE_FILE];
	rb->lists[RULE_FILE] = fresh;
	e = compose(rb);
	if (e < 0) {
		rb->lists[RULE_FILE] = old;
		policy_file_free(&fresh);
		snprintf(err, err_size, "%s: %s", rb->path,
			 e == -E2BIG ? "too many rules with the others in force" : "out of memory");
		rb->reload_errors++;
		return -1;
	}
	policy_file_free(&old);
	rb->reloads++;
	return (long)rb->lists[RULE_FILE].count;
}

enum rule_origin rulebook_origin(const struct rulebook *rb, size_t i, uint32_t *line)
{
	*line = 0;
	if (i < rb->builtins || i - rb->builtins >= rb->composed)
		return RULE_BUILTIN;
	*line = rb->origin[i - rb->builtins].line;
	return (enum rule_origin)rb->origin[i - rb->builtins].origin;
}
