/* SPDX-License-Identifier: MIT */
/* dns_name.h — domain names and name patterns as rules write them: checked, normalized, matched */
#ifndef SVM_PROTO_DNS_NAME_H
#define SVM_PROTO_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/dns_msg.h"

/**
 * dns_name_normalize() - check a host name and write it in the form names are compared in
 * @text: the name as written ("GitHub.com.", "xn--bcher-kva.example")
 * @out: lower case, without the trailing dot (DNS_NAME_TEXT_LEN bytes)
 * @why: on failure, what is wrong, one phrase ("label \"a_b\" has a character other than
 *       a-z, 0-9 and '-'")
 * @why_size: its size
 *
 * A name is 1 to 127 labels of 1 to 63 letters, digits and hyphens (no hyphen first or last),
 * at most 253 characters; internationalized names are accepted in their ASCII form
 * ("xn--..."), as DNS carries them. Return: true if @text is such a name.
 */
bool dns_name_normalize(const char *text, char out[DNS_NAME_TEXT_LEN], char *why,
			size_t why_size);

/**
 * struct dns_pattern - a name rule's target: one name, or every name below one
 * @name: normalized (dns_name_normalize())
 * @wildcard: written "*.NAME": matches names strictly below @name, never @name itself
 */
struct dns_pattern {
	char name[DNS_NAME_TEXT_LEN];
	bool wildcard;
};

/**
 * dns_pattern_parse() - read "NAME" or "*.NAME"
 * Return: true, or false with @why set (as dns_name_normalize()).
 */
bool dns_pattern_parse(const char *text, struct dns_pattern *p, char *why, size_t why_size);

/**
 * dns_pattern_match() - does @name (normalized: lower case, no trailing dot) match @p?
 */
bool dns_pattern_match(const struct dns_pattern *p, const char *name);

/** dns_pattern_format() - @p as written: "name" or "*.name" */
void dns_pattern_format(const struct dns_pattern *p, char *buf, size_t size);

/**
 * dns_name_looks_like() - does @text look like a name rather than an address or a CIDR?
 *
 * A rule's target is a name when it has a letter (and does not start with '@'), or
 * starts with "*.": "10.0.0.0/8" and "@host" are not names; "github.com" and
 * "*.example.net" are.
 */
bool dns_name_looks_like(const char *text);

#endif
