// SPDX-License-Identifier: MIT
/* http_head.c — an HTTP/1 request's head read strictly: where it ends, what it names, its body's framing */
#include "proto/http_head.h"

#include <string.h>
#include <strings.h>

#include "proto/dns_name.h"

/* A method is a token (RFC 9110 9.1); every registered one is upper-case letters, <= 17 long. */
#define METHOD_MAX 20
/* The longest Content-Length taken: 2^62 - 1 written out (a larger one is no real body). */
#define CONTENT_LENGTH_DIGITS_MAX 18

static enum http_head_result malformed(struct http_head *h, const char *why)
{
	h->why = why;
	return HTTP_HEAD_MALFORMED;
}

/* No end yet: more may come, unless the head is already too long to be read. */
static enum http_head_result unfinished(size_t len)
{
	return len >= HTTP_HEAD_MAX ? HTTP_HEAD_TOO_LONG : HTTP_HEAD_MORE;
}

/* RFC 9110 5.6.2: tchar */
static bool is_tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 9110 5.5: a field value's characters (VCHAR, obs-text, SP, HTAB); no control ones */
static bool is_value_char(uint8_t c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

struct line {
	const uint8_t *p;
	size_t n; /* without its CRLF or LF */
};

/*
 * The line at *@off: 1 (and *@off past its LF), 0 when its LF has not come yet, -1 when it
 * holds a bare CR (RFC 9112 2.2: a recipient must not take it as a line end; servers differ
 * on what they do instead).
 */
static int next_line(const uint8_t *d, size_t len, size_t *off, struct line *l)
{
	const uint8_t *lf = memchr(d + *off, '\n', len - *off);
	size_t n;

	if (!lf)
		return 0;
	n = (size_t)(lf - (d + *off));
	l->p = d + *off;
	l->n = n && l->p[n - 1] == '\r' ? n - 1 : n;
	*off += n + 1;
	return memchr(l->p, '\r', l->n) ? -1 : 1;
}

/* A name from the wire: a valid host name, lower case; an IP literal is not a name. */
static bool take_name(const uint8_t *text, size_t len, char name[DNS_NAME_TEXT_LEN])
{
	char copy[DNS_NAME_TEXT_LEN], why[96];

	if (len == 0 || len >= sizeof(copy))
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return dns_name_looks_like(copy) && dns_name_normalize(copy, name, why, sizeof(why));
}

/*
 * host [":" port] (RFC 9110 7.2, RFC 3986 3.2): a host name only — an IP literal ("[...]",
 * an IPv4 address) names no server a rule could name, and userinfo ("user@") is refused
 * (servers disagree on it).
 */
static bool take_host_port(const uint8_t *p, size_t n, bool port_required,
			   char name[DNS_NAME_TEXT_LEN])
{
	const uint8_t *colon = memchr(p, ':', n);
	size_t host = colon ? (size_t)(colon - p) : n;

	if (n == 0 || p[0] == '[' || memchr(p, '@', n))
		return false;
	if (colon) {
		size_t digits = n - host - 1;
		unsigned long port = 0;

		if (digits == 0 || digits > 5)
			return false;
		for (size_t i = host + 1; i < n; i++) {
			if (p[i] < '0' || p[i] > '9')
				return false;
			port = port * 10 + (unsigned long)(p[i] - '0');
		}
		if (port > 65535)
			return false;
	} else if (port_required) {
		return false;
	}
	return take_name(p, host, name);
}

/* The request-target (RFC 9112 3.2): the name of an absolute- or authority-form one. */
static enum http_head_result read_target(struct http_head *h, const uint8_t *method, size_t m,
					 const uint8_t *t, size_t n)
{
	size_t scheme = 0, start, end;

	if (m == 7 && memcmp(method, "CONNECT", 7) == 0) {
		h->switches = true;
		return take_host_port(t, n, true, h->target_host)
			       ? HTTP_HEAD_COMPLETE
			       : malformed(h, "CONNECT's target is not host:port with a host name");
	}
	if (t[0] == '/')
		return HTTP_HEAD_COMPLETE;
	if (n == 1 && t[0] == '*')
		return m == 7 && memcmp(method, "OPTIONS", 7) == 0
			       ? HTTP_HEAD_COMPLETE
			       : malformed(h, "\"*\" is OPTIONS' target only");
	/* absolute-form: scheme "://" authority [path...] */
	while (scheme < n && ((t[scheme] >= 'a' && t[scheme] <= 'z') ||
			      (t[scheme] >= 'A' && t[scheme] <= 'Z') ||
			      (scheme && ((t[scheme] >= '0' && t[scheme] <= '9') ||
					  t[scheme] == '+' || t[scheme] == '-' || t[scheme] == '.'))))
		scheme++;
	if (scheme == 0 || n - scheme < 3 || memcmp(t + scheme, "://", 3) != 0)
		return malformed(h, "a request-target that is no URI");
	start = end = scheme + 3;
	while (end < n && t[end] != '/' && t[end] != '?' && t[end] != '#')
		end++;
	return take_host_port(t + start, end - start, false, h->target_host)
		       ? HTTP_HEAD_COMPLETE
		       : malformed(h, "the target's authority is not a host name");
}

/* method SP request-target SP HTTP-version (RFC 9112 3) */
static enum http_head_result read_request_line(struct http_head *h, const struct line *l,
					       size_t m, bool *http10)
{
	const uint8_t *t = l->p + m + 1, *sp, *end = l->p + l->n;
	size_t n;

	sp = memchr(t, ' ', (size_t)(end - t));
	if (!sp || sp == t)
		return malformed(h, "a request line without a target");
	n = (size_t)(sp - t);
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return malformed(h, "a stray character in the request-target");
	if ((size_t)(end - sp - 1) != 8 || memcmp(sp + 1, "HTTP/", 5) != 0)
		return malformed(h, "a request line that does not end in HTTP/x.y");
	if (memcmp(sp + 6, "2.0", 3) == 0)
		return HTTP_HEAD_NOT_HTTP; /* HTTP/2's preface: not read here */
	if (memcmp(sp + 6, "1.1", 3) != 0 && memcmp(sp + 6, "1.0", 3) != 0)
		return malformed(h, "an HTTP version other than 1.0 and 1.1");
	*http10 = sp[8] == '0';
	return read_target(h, l->p, m, t, n);
}

/* Content-Length: 1*DIGIT (RFC 9110 8.6); a list, even of equal values, is refused. */
static bool read_length(const uint8_t *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > CONTENT_LENGTH_DIGITS_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

/**
 * struct fields_seen - what the header fields said, as far as the framing and names go
 */
struct fields_seen {
	bool host, length, chunked;
};

/* One field line: name ":" OWS value OWS (RFC 9112 5). */
static enum http_head_result read_field(struct http_head *h, const struct line *l,
					struct fields_seen *seen)
{
	const uint8_t *colon, *v, *v_end = l->p + l->n;
	size_t name_len;

	if (l->p[0] == ' ' || l->p[0] == '\t')
		return malformed(h, "a folded field line (obs-fold)");
	colon = memchr(l->p, ':', l->n);
	if (!colon || colon == l->p)
		return malformed(h, "a field line without a name and a colon");
	name_len = (size_t)(colon - l->p);
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar(l->p[i]))
			return malformed(h, "whitespace or a stray character in a field name");
	for (v = colon + 1; v < v_end; v++)
		if (!is_value_char(*v))
			return malformed(h, "a control character in a field value");
	v = colon + 1;
	while (v < v_end && (*v == ' ' || *v == '\t'))
		v++;
	while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
		v_end--;
#define FIELD_IS(s) (name_len == sizeof(s) - 1 && strncasecmp((const char *)l->p, s, name_len) == 0)
	if (FIELD_IS("host")) {
		if (seen->host)
			return malformed(h, "two Host fields");
		seen->host = true;
		if (!take_host_port(v, (size_t)(v_end - v), false, h->host))
			return malformed(h, "a Host that is not a host name");
	} else if (FIELD_IS("content-length")) {
		if (seen->length || !read_length(v, (size_t)(v_end - v), &h->body_len))
			return malformed(h, "a Content-Length that is not one number");
		seen->length = true;
	} else if (FIELD_IS("transfer-encoding")) {
		if (seen->chunked || v_end - v != 7 || strncasecmp((const char *)v, "chunked", 7) != 0)
			return malformed(h, "a Transfer-Encoding other than one \"chunked\"");
		seen->chunked = true;
	} else if (FIELD_IS("upgrade")) {
		h->switches = true;
	}
#undef FIELD_IS
	return HTTP_HEAD_COMPLETE;
}

enum http_head_result http_head_parse(const uint8_t *data, size_t len, struct http_head *head)
{
	struct fields_seen seen = {0};
	size_t off = 0, m = 0, empties = 0;
	bool http10 = false;
	struct line l;
	enum http_head_result r;
	int got;

	*head = (struct http_head){0};
	/* empty lines before the request line are skipped, as servers do */
	while (off < len && (data[off] == '\r' || data[off] == '\n')) {
		size_t eol = data[off] == '\n' ? 1 : 2;

		if (eol == 2 && off + 1 == len)
			return HTTP_HEAD_MORE;
		if (eol == 2 && data[off + 1] != '\n')
			return malformed(head, "a bare CR");
		if (++empties > HTTP_EMPTY_LINES_MAX)
			return malformed(head, "too many empty lines before the request line");
		off += eol;
	}
	while (off + m < len && m <= METHOD_MAX && data[off + m] >= 'A' && data[off + m] <= 'Z')
		m++;
	if (m > METHOD_MAX)
		return HTTP_HEAD_NOT_HTTP;
	if (off + m == len)
		return HTTP_HEAD_MORE; /* a method so far */
	if (m == 0 || data[off + m] != ' ')
		return HTTP_HEAD_NOT_HTTP;
	got = next_line(data, len, &off, &l);
	if (got == 0)
		return unfinished(len);
	if (got < 0)
		return malformed(head, "a bare CR");
	r = read_request_line(head, &l, m, &http10);
	if (r != HTTP_HEAD_COMPLETE)
		return r;
	for (;;) {
		got = next_line(data, len, &off, &l);
		if (got == 0)
			return unfinished(len);
		if (got < 0)
			return malformed(head, "a bare CR");
		if (l.n == 0)
			break;
		r = read_field(head, &l, &seen);
		if (r != HTTP_HEAD_COMPLETE)
			return r;
	}
	if (off > HTTP_HEAD_MAX)
		return HTTP_HEAD_TOO_LONG;
	if (seen.chunked && (seen.length || http10))
		return malformed(head, seen.length ? "both Content-Length and Transfer-Encoding"
						  : "Transfer-Encoding in HTTP/1.0");
	head->len = off;
	head->body = seen.chunked  ? HTTP_BODY_CHUNKED
		     : seen.length ? HTTP_BODY_LENGTH
				   : HTTP_BODY_NONE;
	return HTTP_HEAD_COMPLETE;
}

/* ---- chunked bodies ------------------------------------------------------------------------ */

enum chunked_state {
	CK_SIZE,         /* the chunk-size's hex digits */
	CK_EXT,          /* chunk extensions, up to the line's CR */
	CK_SIZE_LF,      /* the size line's LF */
	CK_DATA,         /* the chunk's data */
	CK_DATA_CR,      /* the CRLF after the data */
	CK_DATA_LF,
	CK_TRAILER_LINE, /* the start of a trailer line, or the last CRLF */
	CK_TRAILER_NAME, /* a trailer field's name, up to its colon */
	CK_TRAILER,      /* a trailer field's value, up to its CR */
	CK_TRAILER_LF,
	CK_END_LF,       /* the LF of the last line */
	CK_DONE,
	CK_BAD,
};

static int hex_value(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	if (b >= 'A' && b <= 'F')
		return b - 'A' + 10;
	return -1;
}

/* One byte of the framing (not of a chunk's data). Return: the next state. */
static enum chunked_state chunked_byte(struct http_chunked *c, uint8_t b)
{
	int hex;

	switch ((enum chunked_state)c->state) {
	case CK_SIZE:
		hex = hex_value(b);
		if (hex >= 0 && c->digits < 15) { /* 15 hex digits: 2^60, no body is larger */
			c->left = c->left * 16 + (uint64_t)hex;
			c->digits++;
			return CK_SIZE;
		}
		if (!c->digits)
			return CK_BAD;
		if (b == '\r')
			return CK_SIZE_LF;
		return b == ';' || b == ' ' || b == '\t' ? CK_EXT : CK_BAD;
	case CK_EXT:
		if (b == '\r')
			return CK_SIZE_LF;
		return is_value_char(b) && ++c->trailer <= HTTP_CHUNK_LINE_MAX ? CK_EXT : CK_BAD;
	case CK_SIZE_LF:
		if (b != '\n')
			return CK_BAD;
		c->digits = 0;
		c->trailer = 0;
		return c->left ? CK_DATA : CK_TRAILER_LINE;
	case CK_DATA_CR:
		return b == '\r' ? CK_DATA_LF : CK_BAD;
	case CK_DATA_LF:
		return b == '\n' ? CK_SIZE : CK_BAD;
	case CK_TRAILER_LINE:
		if (b == '\r')
			return CK_END_LF;
		return is_tchar(b) && ++c->trailer <= HTTP_TRAILER_MAX ? CK_TRAILER_NAME : CK_BAD;
	case CK_TRAILER_NAME:
		if (++c->trailer > HTTP_TRAILER_MAX)
			return CK_BAD;
		return b == ':' ? CK_TRAILER : is_tchar(b) ? CK_TRAILER_NAME : CK_BAD;
	case CK_TRAILER:
		if (b == '\r')
			return CK_TRAILER_LF;
		return is_value_char(b) && ++c->trailer <= HTTP_TRAILER_MAX ? CK_TRAILER : CK_BAD;
	case CK_TRAILER_LF:
		return b == '\n' ? CK_TRAILER_LINE : CK_BAD;
	case CK_END_LF:
		return b == '\n' ? CK_DONE : CK_BAD;
	case CK_DATA:
	case CK_DONE:
	case CK_BAD:
		break;
	}
	return CK_BAD;
}

enum http_chunked_result http_chunked_feed(struct http_chunked *c, const uint8_t *data,
					   size_t len, size_t *used)
{
	size_t i = 0;

	*used = 0;
	while (i < len && c->state != CK_DONE && c->state != CK_BAD) {
		if (c->state == CK_DATA) {
			size_t take = len - i < c->left ? len - i : (size_t)c->left;

			i += take;
			c->left -= take;
			if (!c->left)
				c->state = CK_DATA_CR;
			continue;
		}
		c->state = (uint8_t)chunked_byte(c, data[i++]);
	}
	if (c->state == CK_BAD)
		return HTTP_CHUNKED_MALFORMED;
	if (c->state == CK_DONE) {
		*used = i;
		return HTTP_CHUNKED_DONE;
	}
	return HTTP_CHUNKED_MORE;
}
