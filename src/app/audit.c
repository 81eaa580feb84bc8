// SPDX-License-Identifier: MIT
/* audit.c — what the VM tried: one JSON line per new flow and per refusal (--audit), `ctl flows` */
#include "app/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/audit_flows.h"
#include "app/audit_names.h"
#include "app/spool.h"
#include "core/log.h"
#include "proto/byteorder.h"
#include "proto/wire.h"

/**
 * struct audit - the flows, the names, and the file
 * @fd: the audit file (the writer thread's once open), or -1
 * @bytes: what the file holds (the writer thread's)
 * @tokens: lines left in the rate limit's budget; @refill_ms when it was last refilled
 * @suppressed: lines kept back since the last one written
 */
struct audit {
	struct audit_setup setup;
	char *path;
	char mac[MAC_TEXT_LEN];
	struct audit_flows *flows;
	struct audit_names *names;
	struct spool *spool;
	int fd;
	uint64_t bytes;
	bool failed;
	unsigned tokens;
	uint64_t refill_ms;
	uint64_t suppressed, suppressed_total, lines;
};

/* ---- the file (on the writer thread) -------------------------------------------------------- */

static int open_file(const char *path, uint64_t *size, char *err, size_t err_size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;

	if (fd < 0) {
		snprintf(err, err_size, "\"%s\": %s", path,
			 errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return -1;
	}
	*size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return fd;
}

static void rotate(struct audit *a)
{
	size_t n = strlen(a->path) + 3;
	char *old = malloc(n), err[300];

	close(a->fd);
	a->fd = -1;
	if (!old || (snprintf(old, n, "%s.1", a->path), rename(a->path, old) < 0))
		log_warn("audit \"%s\": cannot keep the full file as .1: %s", a->path,
			 old ? strerror(errno) : "out of memory");
	free(old);
	a->fd = open_file(a->path, &a->bytes, err, sizeof(err));
	if (a->fd < 0 && !a->failed) {
		a->failed = true;
		log_error("audit %s: lines are lost", err);
	}
}

static bool sink_write(void *ctx, const uint8_t *data, uint32_t len)
{
	struct audit *a = ctx;

	if (a->fd >= 0 && a->bytes + len > a->setup.max_bytes)
		rotate(a);
	while (a->fd >= 0 && len) {
		ssize_t n = write(a->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!a->failed)
				log_error("audit \"%s\": cannot write: %s", a->path, strerror(errno));
			a->failed = true;
			return false;
		}
		data += n;
		len -= (uint32_t)n;
		a->bytes += (uint64_t)n;
	}
	return a->fd >= 0;
}

/* ---- lines ---------------------------------------------------------------------------------- */

struct line {
	char *buf;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= l->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	l->len = n < 0 ? l->cap : l->len + (size_t)n;
}

/* A JSON string (quoted, escaped), or null for NULL and "". */
static void put_string(struct line *l, const char *s)
{
	if (!s || !*s) {
		put(l, "null");
		return;
	}
	put(l, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(l, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(l, "\\u%04x", c);
		else
			put(l, "%c", c);
	}
	put(l, "\"");
}

static const char *proto_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case 0:
		return "arp";
	case IPPROTO_TCP_:
		return "tcp";
	case IPPROTO_UDP_:
		return "udp";
	case IPPROTO_ICMP_:
		return "icmp";
	case IPPROTO_ICMPV6_:
		return "icmpv6";
	default:
		snprintf(buf, 4, "%u", proto);
		return buf;
	}
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_;
}

static const char *verdict_of(const struct audit_flow *fl)
{
	return !fl->refused ? "allow"
	       : fl->why == DROP_NAME_MISMATCH || fl->why == DROP_NAME_UNCHECKED ? "reset"
										 : "block";
}

/* The fields a line and a `ctl flows` entry share, as JSON members (no braces). */
static void put_fields(const struct audit *a, struct line *l, const struct audit_flow *fl)
{
	char addr[INET_TEXT_LEN], proto[4];

	inet_format(&fl->dst, addr);
	put(l, "\"vm\":{\"mac\":\"%s\",\"name\":", a->mac);
	put_string(l, a->setup.name);
	put(l, "},\"proto\":\"%s\"", proto_name(fl->proto, proto));
	if (has_ports(fl->proto))
		put(l, ",\"src_port\":%u", fl->sport);
	put(l, ",\"dst\":\"%s\"", addr);
	if (has_ports(fl->proto))
		put(l, ",\"dst_port\":%u", fl->dport);
	put(l, ",\"name\":");
	put_string(l, fl->name);
	put(l, ",\"verdict\":\"%s\",\"reason\":", verdict_of(fl));
	put_string(l, fl->refused ? drop_reason_name((enum drop_reason)fl->why) : NULL);
	put(l, ",\"rule\":");
	put_string(l, fl->rule);
	put(l, ",\"rule_origin\":");
	put_string(l, fl->rule[0] ? rule_origin_name((enum rule_origin)fl->origin) : NULL);
}

/* Take a line from the rate limit's budget. */
static bool line_token(struct audit *a, uint64_t now_ms)
{
	uint64_t earned = (now_ms - a->refill_ms) * AUDIT_LINES_PER_SECOND / 1000;

	if (earned) {
		a->tokens = a->tokens + earned > AUDIT_LINES_BURST ? AUDIT_LINES_BURST
								    : (unsigned)(a->tokens + earned);
		a->refill_ms = now_ms;
	}
	if (!a->tokens)
		return false;
	a->tokens--;
	return true;
}

/* One line for @fl: a new flow, or a refusal. */
static void write_line(struct audit *a, const struct audit_flow *fl, uint64_t now_ms)
{
	char text[AUDIT_LINE_MAX], stamp[32];
	struct line l = {text, 0, sizeof(text)};
	struct timespec ts;
	struct tm tm;
	char *rec;

	if (!a->spool)
		return;
	if (!line_token(a, now_ms)) {
		a->suppressed++;
		a->suppressed_total++;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	put(&l, "{\"time\":\"%s.%03ldZ\",\"event\":\"%s\",", stamp, ts.tv_nsec / 1000000,
	    fl->refused ? "refused" : "flow");
	put_fields(a, &l, fl);
	if (a->suppressed)
		put(&l, ",\"suppressed\":%llu", (unsigned long long)a->suppressed);
	put(&l, "}\n");
	if (l.len >= l.cap) /* cannot be with the bounds above; never a cut line */
		return;
	rec = spool_reserve(a->spool, (uint32_t)l.len);
	if (!rec)
		return;
	memcpy(rec, text, l.len);
	spool_commit(a->spool);
	a->lines++;
	a->suppressed = 0;
}

/* ---- flows ---------------------------------------------------------------------------------- */

/* Is this refusal about where the VM wanted to go (not a spoofed or malformed frame)? */
static bool audited_refusal(enum drop_reason why)
{
	switch (why) {
	case DROP_POLICY_BLOCK:
	case DROP_FOREIGN_DNS:
	case DROP_MULTICAST:
	case DROP_FRAGMENT:
	case DROP_NAME_MISMATCH:
	case DROP_NAME_UNCHECKED:
	case DROP_ARP_TARGET:
		return true;
	default:
		return false;
	}
}

/* The flow key of a frame of the VM's (@out: from it) or to it. False: no flow. */
static bool flow_key(const struct frame_view *v, bool out, uint8_t *proto,
		     struct inet_addr *dst, uint16_t *sport, uint16_t *dport)
{
	*sport = *dport = 0;
	if (v->arp) {
		if (!out)
			return false;
		*proto = 0;
		*dst = inet_from_v4(be32(v->arp_tpa));
		return true;
	}
	if (!v->ip && !v->ip6)
		return false;
	*proto = v->ip_proto;
	*dst = out ? v->ip_dst : v->ip_src;
	if (has_ports(v->ip_proto)) {
		if (!v->l4)
			return false; /* a later fragment: its flow is counted by its first */
		*sport = out ? v->src_port : v->dst_port;
		*dport = out ? v->dst_port : v->src_port;
	} else if (v->ip_proto == IPPROTO_ICMP_ && v->l4 && v->l4_len >= 8 &&
		   v->icmp_type == (out ? ICMP_TYPE_ECHO_REQUEST : ICMP_TYPE_ECHO_REPLY)) {
		*sport = be16(v->l4 + 4); /* the echo's identifier */
	} else if (v->ip_proto == IPPROTO_ICMPV6_ && v->l4 && v->l4_len >= 8 &&
		   v->icmp_type == (out ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY)) {
		*sport = be16(v->l4 + 4);
	}
	return true;
}

/* The deciding rule's text and origin, into @fl. */
static void note_rule(const struct audit *a, struct audit_flow *fl, const struct policy_entry *e)
{
	const struct policy *p = guard_policy(a->setup.guard);
	char text[POLICY_RULE_TEXT_LEN];
	uint32_t line;

	fl->rule[0] = '\0';
	if (!e)
		return;
	snprintf(fl->rule, sizeof(fl->rule), "%s %s", e->rule.allow ? "allow" : "block",
		 policy_rule_format(&e->rule, text, sizeof(text)));
	fl->origin = (uint8_t)rulebook_origin(a->setup.rules, (size_t)(e - policy_entry(p, 0)),
					      &line);
}

static void note_name(const struct audit *a, struct audit_flow *fl, uint64_t now_ms)
{
	const char *name = guard_learned_name(a->setup.guard, &fl->dst);

	if (!name)
		name = audit_names_find(a->names, &fl->dst, now_ms);
	snprintf(fl->name, sizeof(fl->name), "%s", name ? name : "");
}

static void tcp_flags(struct audit_flow *fl, const struct frame_view *v, bool out)
{
	uint8_t flags;

	if (fl->proto != IPPROTO_TCP_ || !v->l4)
		return;
	flags = v->l4[13];
	if (flags & TCP_RST)
		fl->tcp |= AUDIT_TCP_RST;
	if (flags & TCP_FIN)
		fl->tcp |= out ? AUDIT_TCP_FIN_VM : AUDIT_TCP_FIN_HOST;
	if (!out)
		fl->tcp |= AUDIT_TCP_ANSWERED;
}

void audit_seen(struct audit *a, const struct relay_seen *s, uint64_t now_ms)
{
	bool out = s->dir == TO_HOST, refused;
	uint16_t sport, dport;
	struct audit_flow *fl;
	uint8_t proto;
	struct inet_addr dst;

	if (s->made || !s->v || s->action == GUARD_LOCAL)
		return;
	refused = s->action == GUARD_DROP || s->action == GUARD_RESET;
	if (refused && (!out || !audited_refusal(s->why)))
		return;
	if (!refused && s->v->arp)
		return;
	if (!flow_key(s->v, out, &proto, &dst, &sport, &dport))
		return;
	fl = audit_flows_find(a->flows, proto, &dst, sport, dport, now_ms);
	if (fl) {
		audit_flows_touch(a->flows, fl, now_ms);
		if (out) {
			fl->packets_out++;
			fl->bytes_out += s->len;
		} else {
			fl->packets_in++;
			fl->bytes_in += s->len;
		}
		tcp_flags(fl, s->v, out);
		if (refused && !fl->refused) { /* let through at first, refused now (SNI/Host) */
			fl->refused = true;
			fl->why = (uint8_t)s->why;
			write_line(a, fl, now_ms);
		}
		return;
	}
	/* only the VM begins a flow: a TCP one with its SYN (a segment of a connection begun
	 * before, or an answer to a forwarded one, is not new) */
	if (!out || (!refused && proto == IPPROTO_TCP_ && s->v->l4 &&
		     (s->v->l4[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN))
		return;
	fl = audit_flows_add(a->flows, proto, &dst, sport, dport, now_ms);
	if (!fl)
		return;
	fl->first_unix_ms = (int64_t)time(NULL) * 1000;
	fl->packets_out = 1;
	fl->bytes_out = s->len;
	fl->refused = refused;
	fl->why = (uint8_t)s->why;
	tcp_flags(fl, s->v, out);
	note_rule(a, fl, s->rule);
	note_name(a, fl, now_ms);
	write_line(a, fl, now_ms);
}

void audit_answer(struct audit *a, const uint8_t *msg, size_t len, uint64_t now_ms)
{
	audit_names_learn(a->names, msg, len, now_ms);
}

void audit_kick(struct audit *a)
{
	if (a->spool)
		spool_kick(a->spool);
}

struct flows_ctx {
	const struct audit *a;
	json_object *list;
	uint64_t now_ms;
};

static void flow_json(const struct audit_flow *fl, void *ctx)
{
	struct flows_ctx *fc = ctx;
	char text[AUDIT_LINE_MAX];
	struct line l = {text, 0, sizeof(text)};

	put(&l, "{");
	put_fields(fc->a, &l, fl);
	put(&l, ",\"packets_out\":%llu,\"bytes_out\":%llu,\"packets_in\":%llu,\"bytes_in\":%llu,"
		"\"age_s\":%llu,\"idle_s\":%llu}",
	    (unsigned long long)fl->packets_out, (unsigned long long)fl->bytes_out,
	    (unsigned long long)fl->packets_in, (unsigned long long)fl->bytes_in,
	    (unsigned long long)((fc->now_ms - fl->first_ms) / 1000),
	    (unsigned long long)((fc->now_ms - fl->last_ms) / 1000));
	if (l.len < l.cap)
		json_object_array_add(fc->list, json_tokener_parse(text));
}

json_object *audit_flows_json(const struct audit *a, uint64_t now_ms)
{
	struct flows_ctx fc = {a, json_object_new_array(), now_ms};

	audit_flows_each(a->flows, now_ms, flow_json, &fc);
	return fc.list;
}

void audit_counts(const struct audit *a, struct audit_counts *out)
{
	*out = (struct audit_counts){
		.lines = a->lines,
		.suppressed = a->suppressed_total,
		.lost = a->spool ? spool_lost(a->spool) : 0,
		.flows = audit_flows_count(a->flows),
	};
}

struct audit *audit_open(const struct audit_setup *setup, char *err, size_t err_size)
{
	struct audit *a = calloc(1, sizeof(*a));
	struct spool_sink sink = {.write = sink_write, .ctx = a};

	if (!a || !(a->flows = audit_flows_new()) || !(a->names = audit_names_new())) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	a->setup = *setup;
	a->fd = -1;
	a->tokens = AUDIT_LINES_BURST;
	mac_format(setup->mac, a->mac);
	if (!setup->path)
		return a;
	a->path = strdup(setup->path);
	if (!a->path) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	a->fd = open_file(a->path, &a->bytes, err, err_size);
	if (a->fd < 0)
		goto fail;
	a->spool = spool_new(AUDIT_RING_BYTES, &sink, err, err_size);
	if (a->spool)
		return a;
fail:
	audit_close(a);
	return NULL;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	spool_free(a->spool); /* every line written first */
	if (a->fd >= 0)
		close(a->fd);
	audit_flows_free(a->flows);
	audit_names_free(a->names);
	free(a->path);
	free(a);
}
