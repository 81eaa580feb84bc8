/* SPDX-License-Identifier: MIT */
/* audit.h — what the VM tried: one JSON line per new flow and per refusal (--audit), `ctl flows` */
#ifndef SVM_APP_AUDIT_H
#define SVM_APP_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/rulebook.h"
#include "datapath/relay.h"

/*
 * Lines written at most: 200 a second, in bursts of up to 1000; the rest are counted and
 * the next line written says how many ("suppressed"). A VM's ordinary life opens a few
 * flows a second and a package install some hundreds in a burst; a port scan of thousands
 * a second is cut to 200 lines (~70 KB) a second, so that one VM cannot fill a disk or
 * keep the writer busy. --audit-size bounds the file as --pcap-size does.
 */
#define AUDIT_LINES_PER_SECOND 200
#define AUDIT_LINES_BURST 1000
/* --audit-size's default: 16 MiB, ~45 000 lines (the file and FILE.1 at most on disk) */
#define AUDIT_SIZE_DEFAULT (16u << 20)
/* Lines waiting for the writer thread: 256 KiB, ~750 lines, beyond a whole burst's rate */
#define AUDIT_RING_BYTES (256u << 10)
/* The longest line: the fields, a name of 63 and a rule of 111 characters fit */
#define AUDIT_LINE_MAX 1024

/**
 * struct audit_setup - what the audit needs
 * @path: --audit, or NULL (flows are still kept for `ctl flows`)
 * @max_bytes: --audit-size
 * @mac: the VM's MAC
 * @name: --name, or NULL
 * @guard: the guard (names it learned for rules)
 * @rules: the rulebook (where a deciding rule came from)
 */
struct audit_setup {
	const char *path;
	uint64_t max_bytes;
	const uint8_t *mac;
	const char *name;
	const struct guard *guard;
	const struct rulebook *rules;
};

struct audit;

/**
 * audit_open() - keep the VM's flows, and with @setup->path write the audit file (appended
 * to; created 0600; a symbolic link refused)
 * Return: the audit, or NULL with @err (one line, without the option's name).
 */
struct audit *audit_open(const struct audit_setup *setup, char *err, size_t err_size);

/** audit_seen() - a frame the relay dealt with (relay_observer.seen) at @now_ms */
void audit_seen(struct audit *a, const struct relay_seen *s, uint64_t now_ms);

/** audit_answer() - a DNS answer the VM is given: its names, for the "name" field */
void audit_answer(struct audit *a, const uint8_t *msg, size_t len, uint64_t now_ms);

/** audit_kick() - wake the writer if lines wait (once a turn of the loop) */
void audit_kick(struct audit *a);

struct json_object;
/** audit_flows_json() - the live flows, most recently seen first, as `ctl flows` lists them */
struct json_object *audit_flows_json(const struct audit *a, uint64_t now_ms);

/**
 * struct audit_counts - what the audit did
 * @lines: lines handed to the writer; @suppressed: lines the rate limit kept back;
 * @lost: lines the writer could not take or write; @flows: flows held now
 */
struct audit_counts {
	uint64_t lines, suppressed, lost;
	size_t flows;
};
void audit_counts(const struct audit *a, struct audit_counts *out);

/** audit_close() - write every line handed over, close the file and free @a */
void audit_close(struct audit *a);

#endif
