// SPDX-License-Identifier: MIT
/* policy_file.c — --policy: the rules of --allow/--block in a file, one per line, # comments */
#include "app/policy_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool policy_file_append(struct policy_file *f, const struct policy_rule *r, uint32_t line)
{
	size_t n = f->count;

	if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow by doubling */
		size_t cap = n ? 2 * n : 1;
		struct policy_rule *rules = realloc(f->rules, cap * sizeof(*rules));
		uint32_t *lines;

		if (!rules)
			return false;
		f->rules = rules;
		lines = realloc(f->lines, cap * sizeof(*lines));
		if (!lines)
			return false;
		f->lines = lines;
	}
	f->rules[n] = *r;
	f->lines[n] = line;
	f->count++;
	return true;
}

void policy_file_remove(struct policy_file *f, size_t i)
{
	memmove(&f->rules[i], &f->rules[i + 1], (f->count - i - 1) * sizeof(*f->rules));
	memmove(&f->lines[i], &f->lines[i + 1], (f->count - i - 1) * sizeof(*f->lines));
	f->count--;
}

void policy_file_free(struct policy_file *f)
{
	free(f->rules);
	free(f->lines);
	*f = (struct policy_file){0};
}

__attribute__((format(printf, 4, 5))) static bool line_fail(char *err, size_t err_size,
							    unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, err_size, "%u: ", line);

	if (n < 0 || (size_t)n >= err_size)
		return false;
	va_start(ap, fmt);
	vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One line, its newline (and a CR before it) gone; NUL-terminated in @buf. */
static bool parse_line(char *buf, unsigned line, struct policy_file *out, char *err,
		       size_t err_size)
{
	char *p = buf, *end, *value, *save = NULL, why[300];
	unsigned parts = 0;
	bool allow;

	if ((end = strchr(p, '#')))
		*end = '\0'; /* no rule holds a '#' */
	while (blank(*p))
		p++;
	end = p + strlen(p);
	while (end > p && blank(end[-1]))
		*--end = '\0';
	if (!*p)
		return true;
	if (strncmp(p, "allow", 5) == 0 && blank(p[5]))
		allow = true;
	else if (strncmp(p, "block", 5) == 0 && blank(p[5]))
		allow = false;
	else
		return line_fail(err, err_size, line,
				 "\"%.60s\": a line is \"allow RULE\" or \"block RULE\"", p);
	value = p + 6;
	for (char *part = strtok_r(value, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		struct policy_rule r;

		parts++;
		while (blank(*part))
			part++;
		end = part + strlen(part);
		while (end > part && blank(end[-1]))
			*--end = '\0';
		if (!*part)
			return line_fail(err, err_size, line, "an empty rule");
		if (out->count == POLICY_MAX_RULES)
			return line_fail(err, err_size, line, "more than %d rules", POLICY_MAX_RULES);
		if (!policy_rule_parse(part, allow, &r, why, sizeof(why)))
			return line_fail(err, err_size, line, "%s", why);
		if (!policy_file_append(out, &r, line))
			return line_fail(err, err_size, line, "out of memory");
	}
	if (!parts)
		return line_fail(err, err_size, line, "an empty rule");
	return true;
}

bool policy_file_parse(const char *text, size_t len, struct policy_file *out, char *err,
		       size_t err_size)
{
	char buf[POLICY_FILE_LINE_MAX + 2];
	unsigned line = 0;
	size_t pos = 0;

	*out = (struct policy_file){0};
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t line_end = nl ? (size_t)(nl - text) : len, n = line_end - pos;

		line++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (n > POLICY_FILE_LINE_MAX)
			return line_fail(err, err_size, line, "longer than %d bytes",
					 POLICY_FILE_LINE_MAX);
		if (memchr(text + pos, '\0', n))
			return line_fail(err, err_size, line, "a NUL byte");
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		if (!parse_line(buf, line, out, err, err_size))
			return false;
		pos = nl ? line_end + 1 : len;
	}
	return true;
}

bool policy_file_load(const char *path, struct policy_file *out, char *err, size_t err_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text = NULL, why[400];
	struct stat st;
	size_t len = 0;
	bool ok = false;

	*out = (struct policy_file){0};
	if (fd < 0) {
		snprintf(err, err_size, "\"%s\": %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "\"%s\": not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > POLICY_FILE_MAX) {
		snprintf(err, err_size, "\"%s\": larger than %u bytes", path, POLICY_FILE_MAX);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		snprintf(err, err_size, "\"%s\": out of memory", path);
		goto out;
	}
	while (len <= (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_size, "\"%s\": %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		snprintf(err, err_size, "\"%s\": changed while it was read", path);
		goto out;
	}
	ok = policy_file_parse(text, len, out, why, sizeof(why));
	if (!ok)
		snprintf(err, err_size, "%s:%s", path, why);
out:
	if (!ok)
		policy_file_free(out);
	free(text);
	close(fd);
	return ok;
}
