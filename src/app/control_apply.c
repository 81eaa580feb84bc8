// SPDX-License-Identifier: MIT
/* control_apply.c — the control socket's requests carried out on the service's state */
#include "app/control_apply.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "app/expose_spec.h"
#include "core/clock.h"
#include "core/log.h"
#include "proto/addr.h"

static json_object *rule_json(const struct policy_rule *r)
{
	char text[POLICY_RULE_TEXT_LEN];

	return json_object_new_string(policy_rule_format(r, text, sizeof(text)));
}

static json_object *rules_json(const struct guard *g, const struct rulebook *rb)
{
	const struct policy *p = guard_policy(g);
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < policy_entry_count(p); i++) {
		const struct policy_entry *e = policy_entry(p, i);
		json_object *o = json_object_new_object();

		json_object_object_add(o, "verdict",
				       json_object_new_string(e->rule.allow ? "allow" : "block"));
		json_object_object_add(o, "rule", rule_json(&e->rule));
		json_object_object_add(o, "builtin", json_object_new_boolean(e->builtin));
		if (rb) {
			uint32_t line;
			enum rule_origin origin = rulebook_origin(rb, i, &line);

			json_object_object_add(o, "origin",
					       json_object_new_string(rule_origin_name(origin)));
			if (origin == RULE_FILE)
				json_object_object_add(o, "line", json_object_new_uint64(line));
		}
		json_object_object_add(o, "hits", json_object_new_uint64(*policy_hits(p, i)));
		json_object_array_add(list, o);
	}
	return list;
}

struct names_ctx {
	const struct policy *policy;
	json_object *list;
	uint64_t now_ms;
};

static void name_json(const struct learned_entry *e, void *ctx)
{
	struct names_ctx *nc = ctx;
	const struct policy_entry *pe = policy_entry(nc->policy, e->rule);
	json_object *o = json_object_new_object();
	char addr[INET_TEXT_LEN];

	inet_format(&e->addr, addr);
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "address", json_object_new_string(addr));
	json_object_object_add(o, "verdict", json_object_new_string(pe->rule.allow ? "allow" : "block"));
	json_object_object_add(o, "rule", rule_json(&pe->rule));
	json_object_object_add(o, "expires_in", json_object_new_uint64((e->expires_ms - nc->now_ms +
									 999) / 1000));
	json_object_array_add(nc->list, o);
}

static json_object *names_json(const struct guard *g)
{
	struct names_ctx nc = {guard_policy(g), json_object_new_array(), clock_mono_ms()};

	guard_each_learned(g, nc.now_ms, name_json, &nc);
	return nc.list;
}

static void change_rule(const struct control_state *st, const struct control_request *req,
			struct control_answer *ans)
{
	bool add = req->cmd == CONTROL_RULE_ADD;
	char text[POLICY_RULE_TEXT_LEN];
	int r = st->rules ? add ? rulebook_add(st->rules, &req->rule)
				: rulebook_del(st->rules, &req->rule)
			  : guard_change_rule(st->guard, add, &req->rule);

	policy_rule_format(&req->rule, text, sizeof(text));
	if (r == 0) {
		log_info("control: rule %s %s %s", add ? "added" : "removed",
			 req->rule.allow ? "allow" : "block", text);
		return;
	}
	snprintf(ans->error, sizeof(ans->error), "%s %s: %s", req->rule.allow ? "allow" : "block",
		 text,
		 r == -EEXIST   ? "that rule is in force already"
		 : r == -ENOENT ? "no such rule (built-in rules stay)"
		 : r == -E2BIG  ? "too many rules"
				: "out of memory");
}

static json_object *exposes_json(const struct control_state *st)
{
	json_object *list = json_object_new_array();
	const struct exposes *x = st->exposes;
	char spec[EXPOSE_SPEC_TEXT_LEN], addr[IPV4_TEXT_LEN];

	ipv4_format(x->vm_addr, addr);
	for (size_t i = 0; i < x->count; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "spec", json_object_new_string(
			expose_spec_format(&x->list[i], spec, sizeof(spec))));
		json_object_object_add(o, "to", x->vm_addr ? json_object_new_string(addr) : NULL);
		if (i < guard_forward_count(st->guard)) {
			const struct guard_forward *f = guard_forward(st->guard, i);

			json_object_object_add(o, "connections",
					       json_object_new_uint64(f->connections));
			json_object_object_add(o, "packets", json_object_new_uint64(f->packets));
		}
		json_object_array_add(list, o);
	}
	return list;
}

static void change_expose(const struct control_state *st, const struct control_request *req,
			  struct control_answer *ans)
{
	bool add = req->cmd == CONTROL_EXPOSE_ADD;
	char spec[EXPOSE_SPEC_TEXT_LEN];
	int r = add ? exposes_add(st->exposes, &req->expose, ans->error, sizeof(ans->error))
		    : exposes_del(st->exposes, &req->expose, ans->error, sizeof(ans->error));

	if (r == 0)
		log_info("control: expose %s %s", add ? "added" : "removed",
			 expose_spec_format(&req->expose, spec, sizeof(spec)));
}

void control_apply(const struct control_state *st, const struct control_request *req,
		   struct control_answer *ans)
{
	*ans = (struct control_answer){0};
	switch (req->cmd) {
	case CONTROL_STATS:
		if (st->refresh_stats)
			st->refresh_stats(st->ctx);
		ans->key = "stats";
		ans->value = stats_json(st->stats);
		json_object_object_add(ans->value, "tables", control_tables_json(st));
		return;
	case CONTROL_RULES:
		ans->key = "rules";
		ans->value = rules_json(st->guard, st->rules);
		return;
	case CONTROL_NAMES:
		ans->key = "names";
		ans->value = names_json(st->guard);
		return;
	case CONTROL_RULE_ADD:
	case CONTROL_RULE_DEL:
		change_rule(st, req, ans);
		return;
	case CONTROL_EXPOSES:
		ans->key = "exposes";
		ans->value = exposes_json(st);
		return;
	case CONTROL_EXPOSE_ADD:
	case CONTROL_EXPOSE_DEL:
		change_expose(st, req, ans);
		return;
	case CONTROL_FLOWS:
	case CONTROL_METRICS:
	case CONTROL_RELOAD:
	case CONTROL_PCAP_START:
	case CONTROL_PCAP_STOP:
		control_apply_watch(st, req, ans);
		return;
	}
	snprintf(ans->error, sizeof(ans->error), "internal error");
}
