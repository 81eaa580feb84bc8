// SPDX-License-Identifier: MIT
/* stats.c — frame, byte and drop counters, printed as one JSON line */
#include "core/stats.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/frame.h"

/*
 * --debug logs at most this many drops of one reason per second; the rest are only
 * counted. A flood of 1 Mframe/s of garbage then costs ~10 log lines a second.
 */
#define DROP_LOG_PER_SECOND 10

void stats_drop(struct stats *s, enum drop_reason reason, const char *direction,
		const struct frame_view *v)
{
	stats_drop_detail(s, reason, direction, v, "");
}

void stats_drop_detail(struct stats *s, enum drop_reason reason, const char *direction,
		       const struct frame_view *v, const char *detail)
{
	char summary[160];
	uint64_t now;

	s->drops[reason]++;
	if (!log_debug_enabled())
		return;
	now = clock_mono_ms();
	if (now - s->log_window_start_ms[reason] >= 1000) {
		s->log_window_start_ms[reason] = now;
		s->log_window_count[reason] = 0;
	}
	if (s->log_window_count[reason]++ >= DROP_LOG_PER_SECOND)
		return;
	log_debug("drop reason=%s dir=%s %s total=%llu%s%s", drop_reason_name(reason), direction,
		  v ? frame_summary(v, summary, sizeof(summary)) : "",
		  (unsigned long long)s->drops[reason], detail[0] ? " " : "", detail);
}

static json_object *direction_json(const struct direction_counters *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "frames", json_object_new_uint64(d->frames));
	json_object_object_add(o, "bytes", json_object_new_uint64(d->bytes));
	return o;
}

static json_object *offload_json(const struct offload_counters *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", json_object_new_uint64(c->packets));
	json_object_object_add(o, "frames", json_object_new_uint64(c->frames));
	return o;
}

json_object *stats_json(const struct stats *s)
{
	json_object *root = json_object_new_object(), *drops = json_object_new_object();
	json_object *offload = json_object_new_object(), *names;

	json_object_object_add(root, "vm_to_host", direction_json(&s->vm_to_host));
	json_object_object_add(root, "host_to_vm", direction_json(&s->host_to_vm));
	json_object_object_add(root, "dhcp", direction_json(&s->dhcp));
	json_object_object_add(root, "dns", direction_json(&s->dns));
	json_object_object_add(root, "ndp", direction_json(&s->ndp));
	json_object_object_add(offload, "joined", offload_json(&s->joined));
	json_object_object_add(offload, "split", offload_json(&s->split));
	json_object_object_add(offload, "from_vm", offload_json(&s->from_vm));
	json_object_object_add(offload, "to_vm", offload_json(&s->to_vm));
	json_object_object_add(root, "offload", offload);
	names = json_object_new_object();
	json_object_object_add(names, "answers", json_object_new_uint64(s->names.answers));
	json_object_object_add(names, "learned", json_object_new_uint64(s->names.learned));
	json_object_object_add(names, "rebinding", json_object_new_uint64(s->names.rebinding));
	json_object_object_add(names, "held", json_object_new_uint64(s->names.held));
	json_object_object_add(names, "released", json_object_new_uint64(s->names.released));
	json_object_object_add(root, "names", names);
	for (int r = DROP_NONE + 1; r < DROP__COUNT; r++)
		json_object_object_add(drops, drop_reason_name((enum drop_reason)r),
				       json_object_new_uint64(s->drops[r]));
	json_object_object_add(root, "drops", drops);
	return root;
}

char *stats_to_json(const struct stats *s)
{
	json_object *root = stats_json(s);
	char *text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));

	json_object_put(root);
	return text;
}

void stats_print(const struct stats *s, FILE *out)
{
	char *text = stats_to_json(s);

	if (text) {
		fprintf(out, "%s\n", text);
		fflush(out);
		free(text);
	}
}
