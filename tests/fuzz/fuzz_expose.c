// SPDX-License-Identifier: MIT
/* fuzz_expose.c — libFuzzer target: --expose's SPEC (the command line's and `ctl expose add`'s) */
/*
 * Input: one SPEC's bytes (a NUL ends it early, as it would a command-line argument).
 * Checks, beyond "no crash, no sanitizer report": a SPEC refused says why, the SPEC quoted
 * first; a SPEC read is a forward sock-vmnet can set up (ports 1-65535, ranges not backwards
 * and as long as each other, at most EXPOSE_MAX_PORTS of them, tcp or udp), and printed back
 * it fits EXPOSE_SPEC_TEXT_LEN and reads as the same forward.
 */
#include <string.h>

#include "app/expose_spec.h"
#include "fuzz_promise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], err[200] = "", again_err[200] = "", spec[EXPOSE_SPEC_TEXT_LEN + 8];
	struct expose e, again;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!expose_spec_parse(text, &e, err, sizeof(err))) {
		promise(err[0] == '"' && strlen(err) > 2);
		return 0;
	}
	promise(e.proto == 6 || e.proto == 17);
	promise(e.host_lo >= 1 && e.host_lo <= e.host_hi && e.vm_lo >= 1 && e.vm_lo <= e.vm_hi);
	promise(e.host_hi - e.host_lo == e.vm_hi - e.vm_lo);
	promise(expose_ports(&e) <= EXPOSE_MAX_PORTS);
	expose_spec_format(&e, spec, sizeof(spec));
	promise(strlen(spec) < EXPOSE_SPEC_TEXT_LEN);
	promise(expose_spec_parse(spec, &again, again_err, sizeof(again_err)));
	promise(expose_same(&again, &e));
	return 0;
}
