/* SPDX-License-Identifier: MIT */
/* expose_spec.h — --expose's SPEC: [BIND_ADDR:]HOST_PORT[-END]:VM_PORT[-END][/tcp|/udp] */
#ifndef SVM_APP_EXPOSE_SPEC_H
#define SVM_APP_EXPOSE_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config.h"

/* "255.255.255.255:65535-65535:65535-65535/udp" and its NUL */
#define EXPOSE_SPEC_TEXT_LEN 48

/**
 * expose_spec_parse() - read one SPEC
 * @text: e.g. "2222:22", "127.0.0.1:8080:80", "5000-5009:5000-5009/udp"
 * @out: the forward
 * @err: why not, the spec quoted (without the option's name)
 * @err_size: its size
 *
 * TCP unless "/udp"; both ranges as long as each other; no port 0.
 * Return: true on success.
 */
bool expose_spec_parse(const char *text, struct expose *out, char *err, size_t err_size);

/** expose_spec_format() - @e as a SPEC, the form expose_spec_parse() reads (its /tcp too) */
char *expose_spec_format(const struct expose *e, char *buf, size_t size);

#endif
