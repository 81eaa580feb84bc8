// SPDX-License-Identifier: MIT
/* control_msg.c — the control socket's requests: one JSON object a line, read and checked */
#include "app/control_msg.h"

#include "app/expose_spec.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* What a command takes besides "cmd". */
enum takes { TAKES_NOTHING, TAKES_RULE, TAKES_SPEC, TAKES_FILE };

static const struct {
	const char *name;
	enum control_cmd cmd;
	enum takes takes;
} commands[] = {
	{"stats", CONTROL_STATS, TAKES_NOTHING},       {"rules", CONTROL_RULES, TAKES_NOTHING},
	{"names", CONTROL_NAMES, TAKES_NOTHING},       {"rule-add", CONTROL_RULE_ADD, TAKES_RULE},
	{"rule-del", CONTROL_RULE_DEL, TAKES_RULE},    {"exposes", CONTROL_EXPOSES, TAKES_NOTHING},
	{"expose-add", CONTROL_EXPOSE_ADD, TAKES_SPEC}, {"expose-del", CONTROL_EXPOSE_DEL, TAKES_SPEC},
	{"flows", CONTROL_FLOWS, TAKES_NOTHING},        {"metrics", CONTROL_METRICS, TAKES_NOTHING},
	{"reload", CONTROL_RELOAD, TAKES_NOTHING},      {"pcap-start", CONTROL_PCAP_START, TAKES_FILE},
	{"pcap-stop", CONTROL_PCAP_STOP, TAKES_NOTHING},
};

#define COMMAND_LIST                                                                          \
	"stats, rules, names, rule-add, rule-del, exposes, expose-add, expose-del, flows, "    \
	"metrics, reload, pcap-start, pcap-stop"

/* A string member of @obj, or NULL when it is missing or not a string. */
static const char *string_member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool parse_rule(json_object *obj, struct policy_rule *rule, char *err, size_t err_size)
{
	const char *verdict = string_member(obj, "verdict"), *text = string_member(obj, "rule");
	char why[300];

	if (!verdict || (strcmp(verdict, "allow") != 0 && strcmp(verdict, "block") != 0)) {
		snprintf(err, err_size, "\"verdict\" must be \"allow\" or \"block\"");
		return false;
	}
	if (!text) {
		snprintf(err, err_size, "\"rule\" must be a string (a rule as --allow takes it)");
		return false;
	}
	if (!policy_rule_parse(text, verdict[0] == 'a', rule, why, sizeof(why))) {
		snprintf(err, err_size, "rule: %s", why);
		return false;
	}
	return true;
}

static bool parse_spec(json_object *obj, struct expose *e, char *err, size_t err_size)
{
	const char *text = string_member(obj, "spec");
	char why[200];

	if (!text) {
		snprintf(err, err_size, "\"spec\" must be a string (as --expose takes it)");
		return false;
	}
	if (!expose_spec_parse(text, e, why, sizeof(why))) {
		snprintf(err, err_size, "spec: %s", why);
		return false;
	}
	return true;
}

static bool parse_file(json_object *obj, char file[CONTROL_PATH_MAX], char *err, size_t err_size)
{
	json_object *v;
	const char *text;
	size_t len;

	if (!json_object_object_get_ex(obj, "file", &v) || !json_object_is_type(v, json_type_string)) {
		snprintf(err, err_size, "\"file\" must be a string (an absolute path)");
		return false;
	}
	text = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || text[0] != '/' || strlen(text) != len) {
		snprintf(err, err_size, "\"file\" must be an absolute path");
		return false;
	}
	if (len >= CONTROL_PATH_MAX) {
		snprintf(err, err_size, "\"file\" is longer than %d bytes", CONTROL_PATH_MAX - 1);
		return false;
	}
	memcpy(file, text, len + 1);
	return true;
}

bool control_request_parse(const char *line, size_t len, struct control_request *req, char *err,
			   size_t err_size)
{
	json_tokener *tok;
	json_object *obj;
	const char *cmd;
	bool ok = false;

	if (len > CONTROL_LINE_MAX) {
		snprintf(err, err_size, "a request longer than %d bytes", CONTROL_LINE_MAX);
		return false;
	}
	if (memchr(line, '\0', len)) {
		snprintf(err, err_size, "not JSON: a NUL byte");
		return false;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(err, err_size, "not JSON: %s",
			 json_tokener_error_desc(e == json_tokener_continue ? json_tokener_error_parse_eof
									  : e));
		goto out;
	}
	/* parse_ex stops after one value: only white space may follow it */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (!strchr(" \t\r", line[i])) {
			snprintf(err, err_size, "not JSON: more after the object");
			goto out;
		}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, err_size, "a request is a JSON object, {\"cmd\": ...}");
		goto out;
	}
	cmd = string_member(obj, "cmd");
	if (!cmd) {
		snprintf(err, err_size, "no \"cmd\" (one of " COMMAND_LIST ")");
		goto out;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		*req = (struct control_request){.cmd = commands[i].cmd};
		ok = commands[i].takes == TAKES_RULE   ? parse_rule(obj, &req->rule, err, err_size)
		     : commands[i].takes == TAKES_SPEC ? parse_spec(obj, &req->expose, err, err_size)
		     : commands[i].takes == TAKES_FILE ? parse_file(obj, req->file, err, err_size)
						       : true;
		goto out;
	}
	snprintf(err, err_size, "unknown command \"%.40s\" (one of " COMMAND_LIST ")", cmd);
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}
