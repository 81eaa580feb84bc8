/* SPDX-License-Identifier: MIT */
/* control_msg.h — the control socket's requests: one JSON object a line, read and checked */
#ifndef SVM_APP_CONTROL_MSG_H
#define SVM_APP_CONTROL_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/expose.h"
#include "guard/policy.h"

/*
 * Requests (one JSON object per line; answers likewise, see control.c):
 *   {"cmd":"stats"}                                    the counters, as printed at exit
 *   {"cmd":"rules"}                                    every rule with its hit counter
 *   {"cmd":"names"}                                    addresses learned for name rules
 *   {"cmd":"rule-add","verdict":"allow","rule":"tcp:github.com:443"}
 *   {"cmd":"rule-del","verdict":"block","rule":"10.0.0.0/8"}
 *   {"cmd":"exposes"}                                  the port forwards, with counters
 *   {"cmd":"expose-add","spec":"127.0.0.1:8080:80/tcp"}
 *   {"cmd":"expose-del","spec":"8080:80"}
 *   {"cmd":"flows"}                                    the VM's live flows (as the audit says)
 *   {"cmd":"metrics"}                                  the Prometheus text of --metrics
 *   {"cmd":"reload"}                                   read --policy's file again
 *   {"cmd":"pcap-start","file":"/abs/path.pcap"}       capture the frames that pass
 *   {"cmd":"pcap-stop"}
 */
enum control_cmd {
	CONTROL_STATS,
	CONTROL_RULES,
	CONTROL_NAMES,
	CONTROL_RULE_ADD,
	CONTROL_RULE_DEL,
	CONTROL_EXPOSES,
	CONTROL_EXPOSE_ADD,
	CONTROL_EXPOSE_DEL,
	CONTROL_FLOWS,
	CONTROL_METRICS,
	CONTROL_RELOAD,
	CONTROL_PCAP_START,
	CONTROL_PCAP_STOP,
};

/* The longest path a request names (pcap-start's file), its NUL included. */
#define CONTROL_PATH_MAX 1024

/**
 * struct control_request - one request, checked
 * @cmd: what is asked
 * @rule: with CONTROL_RULE_ADD and CONTROL_RULE_DEL, the rule (its verdict in @rule.allow)
 * @expose: with CONTROL_EXPOSE_ADD and CONTROL_EXPOSE_DEL, the forward
 * @file: with CONTROL_PCAP_START, an absolute path (the instance's working directory is
 *        not the client's)
 */
struct control_request {
	enum control_cmd cmd;
	struct policy_rule rule;
	struct expose expose;
	char file[CONTROL_PATH_MAX];
};

/* An error answer's longest text (a rule's text and why it was refused fit). */
#define CONTROL_ERROR_MAX 512

struct json_object;

/**
 * struct control_answer - what a request got, to be written back as one line
 * @key: the answer's field ("stats", "rules"...), or NULL for a bare {"ok":true}
 * @value: its value (json-c's; whoever writes the answer takes it)
 * @error: "" on success; else why the request failed: {"ok":false,"error":@error}
 */
struct control_answer {
	const char *key;
	struct json_object *value;
	char error[CONTROL_ERROR_MAX];
};

/* The longest request line read; a longer one is refused whole. */
#define CONTROL_LINE_MAX 4096

/**
 * control_request_parse() - read one request line (without its newline)
 * @line: the bytes (not NUL-terminated; may hold anything)
 * @len: how many
 * @req: filled in
 * @err: on failure, one line saying what is wrong ("\"verdict\" must be \"allow\" or
 *       \"block\"")
 * @err_size: its size
 * Return: true if @req holds a valid request.
 */
bool control_request_parse(const char *line, size_t len, struct control_request *req, char *err,
			   size_t err_size);

#endif
