// SPDX-License-Identifier: MIT
/* fuzz_control.c — libFuzzer target: the control socket's request lines */
/*
 * Input: one request line as a client could send it (any bytes).
 * Checks, beyond "no crash, no sanitizer report": a request refused says why (a message
 * that is not empty; it may quote the client's bytes, which the JSON answer escapes); a rule
 * accepted prints back to text that parses to the same rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/control_msg.h"
#include "fuzz_promise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req;
	char err[400] = "", text[POLICY_RULE_TEXT_LEN], why[300];
	struct policy_rule again;

	if (!control_request_parse((const char *)data, size, &req, err, sizeof(err))) {
		promise(err[0] != '\0');
		return 0;
	}
	if (req.cmd == CONTROL_RULE_ADD || req.cmd == CONTROL_RULE_DEL) {
		policy_rule_format(&req.rule, text, sizeof(text));
		promise(policy_rule_parse(text, req.rule.allow, &again, why, sizeof(why)));
		promise(policy_rule_same(&again, &req.rule));
	}
	return 0;
}
