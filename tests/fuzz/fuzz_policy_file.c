// SPDX-License-Identifier: MIT
/* fuzz_policy_file.c — libFuzzer target: --policy files as an operator (or anyone) may write them */
/*
 * Input: a policy file's bytes.
 * Checks, beyond "no crash, no sanitizer report": a file refused says why, beginning with
 * the number of a line the file has; a file read gives every rule with the line it came
 * from, lines never going back, and each rule printed back to text parses to the same rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/policy_file.h"
#include "fuzz_promise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_file f;
	char err[400] = "", text[POLICY_RULE_TEXT_LEN], why[300];
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (!policy_file_parse((const char *)data, size, &f, err, sizeof(err))) {
		unsigned long line = strtoul(err, NULL, 10);

		promise(err[0] >= '1' && err[0] <= '9' && strstr(err, ": "));
		promise(line >= 1 && line <= lines);
		policy_file_free(&f);
		return 0;
	}
	promise(f.count <= POLICY_MAX_RULES);
	for (size_t i = 0; i < f.count; i++) {
		struct policy_rule again;

		promise(f.lines[i] >= 1 && f.lines[i] <= lines);
		promise(i == 0 || f.lines[i] >= f.lines[i - 1]);
		policy_rule_format(&f.rules[i], text, sizeof(text));
		promise(policy_rule_parse(text, f.rules[i].allow, &again, why, sizeof(why)));
		promise(policy_rule_same(&again, &f.rules[i]));
	}
	policy_file_free(&f);
	return 0;
}
