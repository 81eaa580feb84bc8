/* SPDX-License-Identifier: MIT */
/* control_apply.h — the control socket's requests carried out on the service's state */
#ifndef SVM_APP_CONTROL_APPLY_H
#define SVM_APP_CONTROL_APPLY_H

#include "app/control_msg.h"
#include "app/exposes.h"
#include "app/rulebook.h"
#include "app/watch.h"
#include "core/stats.h"
#include "guard/guard.h"

/**
 * struct control_state - what the requests show and change: the service's own
 * @guard: the rules, their counters and the learned names
 * @stats: the counters of `stats`
 * @exposes: the port forwards
 * @refresh_stats: (optional) bring @stats up to date first (the back-end's own counters)
 * @ctx: its argument
 * @rules: (optional) the rules by origin: rule changes go through it (else the guard's own)
 * @watch: (optional) the captures and the audit's flows
 * @metrics_text: (optional) the metrics' text, malloc'd (@ctx its argument)
 */
struct control_state {
	struct guard *guard;
	struct stats *stats;
	struct exposes *exposes;
	void (*refresh_stats)(void *ctx);
	void *ctx;
	struct rulebook *rules;
	struct watch *watch;
	char *(*metrics_text)(void *ctx);
};

/**
 * control_tables_json() - how full every table is (control_watch.c), for `ctl stats`:
 * {"rules":N,"learned":N,"name_flows":N,"name_checks":N,"forwards":N,
 *  "forward_flows":N,"audit_flows":N} — what a soak watches for leaks
 */
struct json_object *control_tables_json(const struct control_state *st);

/**
 * control_apply_watch() - the requests of the operators' tools (control_watch.c): flows,
 * metrics, reload, pcap-start, pcap-stop
 */
void control_apply_watch(const struct control_state *st, const struct control_request *req,
			 struct control_answer *ans);

/**
 * control_apply() - carry out one checked request
 * @st: the service's state
 * @req: the request (control_request_parse()'s)
 * @ans: filled in: a value to answer with, or an error
 *
 * This is the one place where a request changes anything (the policy in force, the
 * forwards): the control socket only reads lines and writes answers, so a
 * privilege-separated or threaded design would pass these messages instead.
 */
void control_apply(const struct control_state *st, const struct control_request *req,
		   struct control_answer *ans);

#endif
