// SPDX-License-Identifier: MIT
/* metrics.c — Prometheus text exposition of the counters (--metrics, `ctl metrics`) */
#include "app/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/expose_spec.h"
#include "core/clock.h"
#include "core/log.h"
#include "proto/addr.h"

/* ---- the text ------------------------------------------------------------------------------- */

/**
 * struct text - a growing text
 * @base: the labels every sample carries: mac="...",name="..."
 * @failed: out of memory: the text is dropped
 */
struct text {
	char *buf;
	size_t len, cap;
	bool failed;
	char base[256];
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (t->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = t->cap * 2 + (n > 0 ? (size_t)n : 0);
			char *more = realloc(t->buf, cap);

			if (!more) {
				t->failed = true;
				return;
			}
			t->buf = more;
			t->cap = cap;
		}
	}
}

/* A label value, escaped as the exposition format asks (\\, \", \n). */
static void escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < size; s++) {
		if (*s == '\\' || *s == '"') {
			out[n++] = '\\';
			out[n++] = *s;
		} else if (*s == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP sock_vmnet_%s %s\n# TYPE sock_vmnet_%s %s\n", name, help, name, type);
}

/* One sample: sock_vmnet_NAME{base,LABELS} VALUE (@labels "" or `key="v",...`) */
static void sample(struct text *t, const char *name, const char *labels, uint64_t value)
{
	put(t, "sock_vmnet_%s{%s%s%s} %llu\n", name, t->base, labels[0] ? "," : "", labels,
	    (unsigned long long)value);
}

static void one(struct text *t, const char *name, const char *type, const char *help,
		uint64_t value)
{
	family(t, name, type, help);
	sample(t, name, "", value);
}

static void traffic(struct text *t, const struct stats *s)
{
	family(t, "frames_total", "counter", "Frames relayed, by direction.");
	sample(t, "frames_total", "direction=\"vm_to_host\"", s->vm_to_host.frames);
	sample(t, "frames_total", "direction=\"host_to_vm\"", s->host_to_vm.frames);
	family(t, "bytes_total", "counter", "Bytes of the frames relayed, by direction.");
	sample(t, "bytes_total", "direction=\"vm_to_host\"", s->vm_to_host.bytes);
	sample(t, "bytes_total", "direction=\"host_to_vm\"", s->host_to_vm.bytes);
	family(t, "drops_total", "counter", "Frames dropped, by reason.");
	for (int r = DROP_NONE + 1; r < DROP__COUNT; r++) {
		char label[64];

		snprintf(label, sizeof(label), "reason=\"%s\"", drop_reason_name((enum drop_reason)r));
		sample(t, "drops_total", label, s->drops[r]);
	}
	one(t, "dhcp_frames_total", "counter", "DHCP messages the VM sent to sock-vmnet.",
	    s->dhcp.frames);
	one(t, "dns_frames_total", "counter", "DNS frames the VM sent to the gateway.",
	    s->dns.frames);
	family(t, "offload_packets_total", "counter",
	       "Large packets joined for the host or split for the VM.");
	sample(t, "offload_packets_total", "kind=\"joined\"", s->joined.packets);
	sample(t, "offload_packets_total", "kind=\"split\"", s->split.packets);
	family(t, "offload_frames_total", "counter", "The VM's frames those packets held.");
	sample(t, "offload_frames_total", "kind=\"joined\"", s->joined.frames);
	sample(t, "offload_frames_total", "kind=\"split\"", s->split.frames);
	one(t, "dns_answers_total", "counter", "DNS answers read for the name rules.",
	    s->names.answers);
	one(t, "names_learned_total", "counter", "Addresses learned for name rules.",
	    s->names.learned);
	one(t, "names_rebinding_total", "counter",
	    "Addresses an answer gave an allowed name that a name never opens.", s->names.rebinding);
	one(t, "name_check_held_total", "counter",
	    "Segments of name-checked flows kept back until their bytes were judged.",
	    s->names.held);
	one(t, "name_check_released_total", "counter",
	    "Segments made to send judged bytes on in their place.", s->names.released);
}

static void policy(struct text *t, const struct guard *g, const struct rulebook *rb)
{
	const struct policy *p = guard_policy(g);
	size_t n = policy_entry_count(p), shown = 0;
	uint64_t decisions[2][RULE_CTL + 1] = {{0}};
	size_t rules[RULE_CTL + 1] = {0};

	for (size_t i = 0; i < n; i++) {
		uint32_t line;
		enum rule_origin o = rb ? rulebook_origin(rb, i, &line)
					: policy_entry(p, i)->builtin ? RULE_BUILTIN
								       : RULE_COMMAND_LINE;

		decisions[policy_entry(p, i)->rule.allow][o] += *policy_hits(p, i);
		rules[o]++;
	}
	family(t, "policy_decisions_total", "counter",
	       "Packets the policy decided, by verdict and the deciding rule's origin.");
	for (int allow = 1; allow >= 0; allow--)
		for (int o = RULE_BUILTIN; o <= RULE_CTL; o++) {
			char label[64];

			snprintf(label, sizeof(label), "verdict=\"%s\",origin=\"%s\"",
				 allow ? "allow" : "block", rule_origin_name((enum rule_origin)o));
			sample(t, "policy_decisions_total", label, decisions[allow][o]);
		}
	family(t, "rule_hits_total", "counter",
	       "Packets each rule decided (rules that decided at least once).");
	for (size_t i = 0; i < n && shown < METRICS_RULES_MAX; i++) {
		const struct policy_entry *e = policy_entry(p, i);
		char text[POLICY_RULE_TEXT_LEN], esc[2 * POLICY_RULE_TEXT_LEN];
		char label[2 * POLICY_RULE_TEXT_LEN + 64];
		uint32_t line;
		enum rule_origin o = rb ? rulebook_origin(rb, i, &line)
					: e->builtin ? RULE_BUILTIN
						     : RULE_COMMAND_LINE;

		if (!*policy_hits(p, i))
			continue;
		escape(esc, sizeof(esc), policy_rule_format(&e->rule, text, sizeof(text)));
		snprintf(label, sizeof(label), "verdict=\"%s\",rule=\"%s\",origin=\"%s\"",
			 e->rule.allow ? "allow" : "block", esc, rule_origin_name(o));
		sample(t, "rule_hits_total", label, *policy_hits(p, i));
		shown++;
	}
	family(t, "rules", "gauge", "Rules in force, by origin.");
	for (int o = RULE_BUILTIN; o <= RULE_CTL; o++) {
		char label[32];

		snprintf(label, sizeof(label), "origin=\"%s\"", rule_origin_name((enum rule_origin)o));
		sample(t, "rules", label, rules[o]);
	}
	if (rb) {
		family(t, "policy_reloads_total", "counter", "Reloads of --policy's file, by result.");
		sample(t, "policy_reloads_total", "result=\"ok\"", rb->reloads);
		sample(t, "policy_reloads_total", "result=\"error\"", rb->reload_errors);
	}
	one(t, "vm_has_lease", "gauge", "1 while the VM holds a DHCP lease.",
	    guard_vm_address(g) != 0);
	one(t, "learned_addresses", "gauge", "Addresses held for name rules.",
	    g->learned ? learned_count(g->learned) : 0);
	one(t, "name_flows", "gauge", "Flows a name rule let through, held.",
	    g->flows ? flows_count(g->flows) : 0);
}

static void forwards(struct text *t, const struct exposes *x, const struct guard *g)
{
	family(t, "forward_connections_total", "counter",
	       "Connections a port forward (--expose) brought to the VM.");
	for (size_t i = 0; i < x->count && i < guard_forward_count(g); i++) {
		char spec[EXPOSE_SPEC_TEXT_LEN], label[EXPOSE_SPEC_TEXT_LEN + 16];

		snprintf(label, sizeof(label), "spec=\"%s\"",
			 expose_spec_format(&x->list[i], spec, sizeof(spec)));
		sample(t, "forward_connections_total", label, guard_forward(g, i)->connections);
	}
	family(t, "forward_packets_total", "counter", "Packets port forwards carried to the VM.");
	for (size_t i = 0; i < x->count && i < guard_forward_count(g); i++) {
		char spec[EXPOSE_SPEC_TEXT_LEN], label[EXPOSE_SPEC_TEXT_LEN + 16];

		snprintf(label, sizeof(label), "spec=\"%s\"",
			 expose_spec_format(&x->list[i], spec, sizeof(spec)));
		sample(t, "forward_packets_total", label, guard_forward(g, i)->packets);
	}
}

static void watched(struct text *t, const struct watch *w)
{
	struct audit_counts a = {0};

	family(t, "pcap_frames_total", "counter", "Frames written to a capture file.");
	sample(t, "pcap_frames_total", "capture=\"pcap\"", w->pcap ? pcap_writer_frames(w->pcap) : 0);
	sample(t, "pcap_frames_total", "capture=\"drops\"",
	       w->drops ? pcap_writer_frames(w->drops) : 0);
	family(t, "pcap_lost_total", "counter",
	       "Frames a capture lost: its writer did not keep up, or the file could not be written.");
	sample(t, "pcap_lost_total", "capture=\"pcap\"", w->pcap ? pcap_writer_lost(w->pcap) : 0);
	sample(t, "pcap_lost_total", "capture=\"drops\"", w->drops ? pcap_writer_lost(w->drops) : 0);
	if (w->audit)
		audit_counts(w->audit, &a);
	one(t, "audit_lines_total", "counter", "Lines handed to the audit file.", a.lines);
	one(t, "audit_suppressed_total", "counter", "Audit lines the rate limit kept back.",
	    a.suppressed);
	one(t, "audit_lost_total", "counter", "Audit lines that could not be written.", a.lost);
	one(t, "flows", "gauge", "Flows of the VM held for the audit and `ctl flows`.", a.flows);
}

char *metrics_render(const struct metrics_view *v)
{
	struct text t = {.cap = 8192};
	char mac[64], name[160], backend[64];

	t.buf = malloc(t.cap);
	if (!t.buf)
		return NULL;
	escape(mac, sizeof(mac), v->mac);
	if (v->name) {
		escape(name, sizeof(name), v->name);
		snprintf(t.base, sizeof(t.base), "mac=\"%s\",name=\"%s\"", mac, name);
	} else {
		snprintf(t.base, sizeof(t.base), "mac=\"%s\"", mac);
	}
	escape(backend, sizeof(backend), v->backend ? v->backend : "");
	family(&t, "info", "gauge", "This instance: its version and back-end.");
	put(&t, "sock_vmnet_info{%s,backend=\"%s\",version=\"%s\"} 1\n", t.base, backend,
	    SVM_VERSION);
	one(&t, "start_time_seconds", "gauge", "When this instance started, seconds since the epoch.",
	    (uint64_t)v->start_unix);
	if (v->stats)
		traffic(&t, v->stats);
	if (v->guard)
		policy(&t, v->guard, v->rules);
	if (v->exposes && v->guard)
		forwards(&t, v->exposes, v->guard);
	if (v->watch)
		watched(&t, v->watch);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}

uint64_t metrics_activity(const struct stats *s)
{
	uint64_t sum = s->vm_to_host.frames + s->host_to_vm.frames + s->dhcp.frames + s->dns.frames +
		       s->names.answers;

	for (int r = 0; r < DROP__COUNT; r++)
		sum += s->drops[r];
	return sum;
}

/* ---- the file ------------------------------------------------------------------------------- */

/**
 * struct metrics - --metrics's file, written at most once per interval and only on change
 * @timer: armed while a write is due (never while nothing changed)
 * @last_ms: when the file was last written
 * @activity: metrics_activity() when the loop last looked
 * @last: the text last written (a write that would change nothing is skipped)
 */
struct metrics {
	struct loop *loop;
	char *path, *tmp_template;
	unsigned interval_s;
	void (*view)(void *ctx, struct metrics_view *out);
	void *ctx;
	struct loop_timer timer;
	uint64_t last_ms, activity, writes;
	char *last;
	bool failed;
};

/* The text into a temporary file beside @m->path, renamed over it. Return: 0, or -errno. */
static int write_file(struct metrics *m, const char *text)
{
	size_t n = strlen(m->tmp_template) + 1, len = strlen(text);
	char *tmp = malloc(n);
	mode_t mask;
	int fd, e = 0;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, m->tmp_template, n);
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -errno;
	}
	/* readable as any file this process makes (node_exporter runs as its own user) */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0)
		e = -errno;
	for (size_t off = 0; !e && off < len;) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno != EINTR)
			e = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, m->path) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	free(tmp);
	return e;
}

/* Render, and write when the text changed. Return: 0, or -errno. */
static int flush(struct metrics *m)
{
	struct metrics_view v = {0};
	char *text;
	int e;

	m->view(m->ctx, &v);
	text = metrics_render(&v);
	if (!text)
		return -ENOMEM;
	if (m->last && strcmp(m->last, text) == 0) {
		free(text);
		return 0;
	}
	e = write_file(m, text);
	if (e < 0) {
		if (!m->failed && m->last)
			log_error("--metrics: cannot write \"%s\": %s", m->path, strerror(-e));
		m->failed = true;
		free(text);
		return e;
	}
	m->failed = false;
	m->writes++;
	m->last_ms = clock_mono_ms();
	free(m->last);
	m->last = text;
	return 0;
}

static void on_timer(struct loop_timer *t)
{
	struct metrics *m = container_of(t, struct metrics, timer);

	(void)flush(m);
}

void metrics_note(struct metrics *m, uint64_t activity, bool changed)
{
	uint64_t due;

	if (!m || (activity == m->activity && !changed))
		return;
	m->activity = activity;
	if (loop_timer_armed(&m->timer))
		return;
	due = m->last_ms + (uint64_t)m->interval_s * 1000;
	loop_timer_arm(m->loop, &m->timer, due > clock_mono_ms() ? due : clock_mono_ms());
}

uint64_t metrics_writes(const struct metrics *m)
{
	return m->writes;
}

struct metrics *metrics_open(struct loop *loop, const char *path, unsigned interval_s,
			     void (*view)(void *ctx, struct metrics_view *out), void *ctx,
			     char *err, size_t err_size)
{
	struct metrics *m = calloc(1, sizeof(*m));
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0, n = strlen(path) + 16;
	int e;

	if (!m || !(m->path = strdup(path)) || !(m->tmp_template = malloc(n))) {
		snprintf(err, err_size, "out of memory");
		metrics_close(m);
		return NULL;
	}
	/* ".NAME.XXXXXX" beside it: the textfile collector reads *.prom files only */
	snprintf(m->tmp_template, n, "%.*s.%s.XXXXXX", (int)dir, path, path + dir);
	m->loop = loop;
	m->interval_s = interval_s;
	m->view = view;
	m->ctx = ctx;
	m->timer.on_expire = on_timer;
	e = flush(m);
	if (e < 0) {
		snprintf(err, err_size, "cannot write \"%s\": %s", path, strerror(-e));
		m->loop = NULL; /* nothing to write at close */
		metrics_close(m);
		return NULL;
	}
	return m;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	if (m->loop) {
		(void)flush(m); /* the last counters: written if they changed */
		loop_timer_disarm(m->loop, &m->timer);
	}
	free(m->last);
	free(m->path);
	free(m->tmp_template);
	free(m);
}
