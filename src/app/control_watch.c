// SPDX-License-Identifier: MIT
/* control_watch.c — the control requests of the operators' tools: flows, metrics, reload, pcap */
#include "app/control_apply.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"

static void flows(const struct control_state *st, struct control_answer *ans)
{
	ans->key = "flows";
	ans->value = st->watch && st->watch->audit
			     ? audit_flows_json(st->watch->audit, clock_mono_ms())
			     : json_object_new_array();
}

static void metrics(const struct control_state *st, struct control_answer *ans)
{
	char *text = st->metrics_text ? st->metrics_text(st->ctx) : NULL;

	if (!text) {
		snprintf(ans->error, sizeof(ans->error), "out of memory");
		return;
	}
	ans->key = "metrics";
	ans->value = json_object_new_string(text);
	free(text);
}

static void reload(const struct control_state *st, struct control_answer *ans)
{
	long n;

	if (!st->rules || !st->rules->path) {
		snprintf(ans->error, sizeof(ans->error), "no --policy file to reload");
		return;
	}
	n = rulebook_reload(st->rules, ans->error, sizeof(ans->error));
	if (n < 0) {
		log_error("--policy: %s (the rules in force stay)", ans->error);
		return;
	}
	log_info("--policy: \"%s\" reloaded: %ld rules", st->rules->path, n);
	ans->key = "rules";
	ans->value = json_object_new_int64(n);
}

static json_object *capture_json(const struct pcap_writer *w)
{
	json_object *o;

	if (!w)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(pcap_writer_path(w)));
	json_object_object_add(o, "frames", json_object_new_uint64(pcap_writer_frames(w)));
	json_object_object_add(o, "lost", json_object_new_uint64(pcap_writer_lost(w)));
	return o;
}

static void pcap(const struct control_state *st, const struct control_request *req,
		 struct control_answer *ans)
{
	char why[CONTROL_ERROR_MAX - 16];

	if (!st->watch) {
		snprintf(ans->error, sizeof(ans->error), "captures are not available here");
		return;
	}
	if (req->cmd == CONTROL_PCAP_START) {
		if (watch_pcap_start(st->watch, req->file, why, sizeof(why)) < 0) {
			snprintf(ans->error, sizeof(ans->error), "pcap: %s", why);
			return;
		}
		log_info("control: capture started file=%s", req->file);
	} else {
		struct json_object *last = capture_json(st->watch->pcap);

		if (!watch_pcap_stop(st->watch)) {
			snprintf(ans->error, sizeof(ans->error), "no capture runs");
			return;
		}
		log_info("control: capture stopped");
		ans->key = "pcap";
		ans->value = last;
		return;
	}
	ans->key = "pcap";
	ans->value = capture_json(st->watch->pcap);
}

struct json_object *control_tables_json(const struct control_state *st)
{
	const struct guard *g = st->guard;
	json_object *o = json_object_new_object();
	struct audit_counts a = {0};

	if (st->watch && st->watch->audit)
		audit_counts(st->watch->audit, &a);
	json_object_object_add(o, "rules", json_object_new_uint64(policy_entry_count(guard_policy(g))));
	json_object_object_add(o, "learned",
			       json_object_new_uint64(g->learned ? learned_count(g->learned) : 0));
	json_object_object_add(o, "name_flows",
			       json_object_new_uint64(g->flows ? flows_count(g->flows) : 0));
	json_object_object_add(o, "name_checks", json_object_new_uint64(g->checks));
	json_object_object_add(o, "forwards", json_object_new_uint64(guard_forward_count(g)));
	json_object_object_add(o, "forward_flows",
			       json_object_new_uint64(g->forward_flows ? flows_count(g->forward_flows)
								       : 0));
	json_object_object_add(o, "audit_flows", json_object_new_uint64(a.flows));
	return o;
}

void control_apply_watch(const struct control_state *st, const struct control_request *req,
			 struct control_answer *ans)
{
	switch (req->cmd) {
	case CONTROL_FLOWS:
		flows(st, ans);
		return;
	case CONTROL_METRICS:
		metrics(st, ans);
		return;
	case CONTROL_RELOAD:
		reload(st, ans);
		return;
	case CONTROL_PCAP_START:
	case CONTROL_PCAP_STOP:
		pcap(st, req, ans);
		return;
	default:
		snprintf(ans->error, sizeof(ans->error), "internal error");
	}
}
