// SPDX-License-Identifier: MIT
/* dns_name.c — domain names and name patterns as rules write them: checked, normalized, matched */
#include "proto/dns_name.h"

#include <stdio.h>
#include <string.h>

/* RFC 1035 2.3.4: 255 octets on the wire are 253 characters in text form */
#define NAME_TEXT_MAX 253
#define LABEL_MAX 63

static bool is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool dns_name_normalize(const char *text, char out[DNS_NAME_TEXT_LEN], char *why,
			size_t why_size)
{
	size_t len = strlen(text), label = 0;

	if (len && text[len - 1] == '.')
		len--; /* the root's dot: "github.com." is "github.com" */
	if (len == 0) {
		snprintf(why, why_size, "an empty name");
		return false;
	}
	if (len > NAME_TEXT_MAX) {
		snprintf(why, why_size, "longer than %d characters", NAME_TEXT_MAX);
		return false;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? text[i] : '.';

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0) {
				snprintf(why, why_size, "an empty label");
				return false;
			}
			if (out[i - 1] == '-' || out[i - label] == '-') {
				snprintf(why, why_size, "label \"%.*s\" starts or ends with '-'",
					 (int)label, out + i - label);
				return false;
			}
			label = 0;
		} else if ((unsigned char)c >= 0x80) {
			snprintf(why, why_size, "not ASCII: write an internationalized name in its "
				 "ASCII form (xn--...)");
			return false;
		} else if (!is_label_char(c)) {
			snprintf(why, why_size, "'%c' is not a letter, digit, '-' or '_'", c);
			return false;
		} else if (++label > LABEL_MAX) {
			snprintf(why, why_size, "a label longer than %d characters", LABEL_MAX);
			return false;
		}
		if (i < len)
			out[i] = c;
	}
	out[len] = '\0';
	return true;
}

bool dns_pattern_parse(const char *text, struct dns_pattern *p, char *why, size_t why_size)
{
	p->wildcard = strncmp(text, "*.", 2) == 0;
	if (strchr(text + (p->wildcard ? 2 : 0), '*')) {
		snprintf(why, why_size, "'*' only as the first label (\"*.example.com\")");
		return false;
	}
	return dns_name_normalize(text + (p->wildcard ? 2 : 0), p->name, why, why_size);
}

bool dns_pattern_match(const struct dns_pattern *p, const char *name)
{
	size_t n = strlen(name), m = strlen(p->name);

	if (!p->wildcard)
		return n == m && memcmp(name, p->name, n) == 0;
	/* strictly below: "x.example.com" for "*.example.com", never "example.com" */
	return n > m + 1 && name[n - m - 1] == '.' && memcmp(name + n - m, p->name, m) == 0;
}

void dns_pattern_format(const struct dns_pattern *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", p->wildcard ? "*." : "", p->name);
}

bool dns_name_looks_like(const char *text)
{
	if (strncmp(text, "*.", 2) == 0)
		return true;
	if (text[0] == '@')
		return false; /* "@host" */
	for (; *text && *text != '/'; text++)
		if ((*text >= 'a' && *text <= 'z') || (*text >= 'A' && *text <= 'Z') ||
		    (unsigned char)*text >= 0x80)
			return true;
	return false;
}
