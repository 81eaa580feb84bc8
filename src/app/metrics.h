/* SPDX-License-Identifier: MIT */
/* metrics.h — Prometheus text exposition of the counters (--metrics, `ctl metrics`) */
#ifndef SVM_APP_METRICS_H
#define SVM_APP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/exposes.h"
#include "app/rulebook.h"
#include "app/watch.h"
#include "core/loop.h"
#include "core/stats.h"

/*
 * --metrics-interval's default: 15 s, Prometheus's own default scrape interval: a file
 * written more often than it is read is work nobody sees. The textfile collector reads
 * the file at each scrape, so a change is seen within one interval plus one scrape.
 */
#define METRICS_INTERVAL_DEFAULT_S 15

/*
 * Rules with a series of their own in sock_vmnet_rule_hits_total: those that decided at
 * least once, at most 256 (in the policy's order); hits of the rest are in
 * sock_vmnet_policy_decisions_total only. 100 VMs × 4096 rules would be 400 000 series.
 */
#define METRICS_RULES_MAX 256

/**
 * struct metrics_view - what the text shows (the service's state; pointers may be NULL)
 * @mac: the VM's MAC as text; @name: --name or NULL; @backend: the back-end's name
 * @start_unix: when this instance started (seconds since the epoch)
 */
struct metrics_view {
	const char *mac, *name, *backend;
	int64_t start_unix;
	const struct stats *stats;
	const struct guard *guard;
	const struct rulebook *rules;
	const struct exposes *exposes;
	const struct watch *watch;
};

/**
 * metrics_render() - the Prometheus text exposition (format 0.0.4) of @v
 * Return: a malloc'd NUL-terminated text, or NULL when out of memory.
 */
char *metrics_render(const struct metrics_view *v);

/**
 * metrics_activity() - a number that changes whenever a frame or drop is counted: how the
 * loop tells, cheaply after each of its turns, that the counters moved
 */
uint64_t metrics_activity(const struct stats *s);

struct metrics;

/**
 * metrics_open() - write @path (atomically: a temporary file renamed over it) now, and
 * again at most once per @interval_s when something changed
 * @view: fills in what to render (the service's)
 * Return: the writer, or NULL with @err (one line, without the option's name).
 */
struct metrics *metrics_open(struct loop *loop, const char *path, unsigned interval_s,
			     void (*view)(void *ctx, struct metrics_view *out), void *ctx,
			     char *err, size_t err_size);

/**
 * metrics_note() - after a turn of the loop: arm the write if @activity moved (or @changed:
 * something not counted by frames changed, a rule, a forward). No timer is armed while
 * nothing changes, so an idle instance is never woken for its metrics.
 */
void metrics_note(struct metrics *m, uint64_t activity, bool changed);

/** metrics_writes() - how often the file was written (for the tests' sake: and the log) */
uint64_t metrics_writes(const struct metrics *m);

/** metrics_close() - write the file a last time if anything changed, and free @m */
void metrics_close(struct metrics *m);

#endif
