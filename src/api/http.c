/* SPDX-License-Identifier: MIT */
/* api/http.c: strict HTTP/1.1 request parsing with explicit limits, and response formatting. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/http.h"

#define FAIL(code, msg) do { *why = (msg); return (code); } while (0)

/* RFC 9110 token characters. */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* Characters allowed in an origin-form request target (RFC 3986 pchar, '/', '?'). */
static bool is_target_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~%!$&'()*+,;=:@/?", c);
}

/* Length of the line at p (without CRLF) if a CRLF ends it within `avail`;
 * -1 if no CRLF yet; -2 on a bare LF or CR. */
static ssize_t line_len(const uint8_t *p, size_t avail, size_t max_line)
{
	size_t lim = avail < max_line ? avail : max_line;

	for (size_t i = 0; i < lim; i++) {
		if (p[i] == '\n')
			return -2;			/* LF without CR */
		if (p[i] == '\r') {
			if (i + 1 >= avail)
				return -1;		/* need the LF */
			if (p[i + 1] != '\n')
				return -2;
			if (i + 2 > max_line)
				return -3;
			return (ssize_t)i;
		}
	}
	return avail >= max_line ? -3 : -1;
}

static bool token_eq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && !strncasecmp((const char *)p, s, n);
}

/* Does the comma-separated header value contain `word` (case-insensitive)? */
static bool list_has(const uint8_t *v, size_t n, const char *word)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && token_eq(v + s, e - s, word))
			return true;
	}
	return false;
}

static int parse_request_line(const uint8_t *p, size_t n, struct http_request *req,
			      const char **why)
{
	size_t i = 0, m, t;

	while (i < n && is_tchar(p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		FAIL(-EINVAL, "malformed request line: expected METHOD SP target SP HTTP/1.1");
	if (i >= sizeof(req->method_name))
		FAIL(-EINVAL, "request method too long");
	memcpy(req->method_name, p, i);
	req->method_name[i] = 0;
	if (!strcmp(req->method_name, "GET"))
		req->method = HTTP_GET;
	else if (!strcmp(req->method_name, "PUT"))
		req->method = HTTP_PUT;
	else if (!strcmp(req->method_name, "PATCH"))
		req->method = HTTP_PATCH;
	else
		req->method = HTTP_OTHER;
	m = ++i;
	while (i < n && p[i] != ' ')
		i++;
	t = i - m;
	if (t == 0 || i >= n)
		FAIL(-EINVAL, "malformed request line: expected METHOD SP target SP HTTP/1.1");
	if (p[m] != '/')
		FAIL(-EINVAL, "request target must be an absolute path starting with '/'");
	if (t > HTTP_MAX_PATH)
		FAIL(-E2BIG, "request target too long");
	for (size_t k = m; k < m + t; k++)
		if (!is_target_char(p[k]))
			FAIL(-EINVAL, "invalid character in the request target");
	memcpy(req->path, p + m, t);
	req->path[t] = 0;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7))
		FAIL(n - i == 8 && !memcmp(p + i, "HTTP/", 5) ? -ENOTSUP : -EINVAL,
		     n - i == 8 && !memcmp(p + i, "HTTP/", 5) ? "only HTTP/1.0 and HTTP/1.1 are supported"
							      : "malformed HTTP version");
	if (p[i + 7] != '0' && p[i + 7] != '1')
		FAIL(-ENOTSUP, "only HTTP/1.0 and HTTP/1.1 are supported");
	req->minor = p[i + 7] - '0';
	req->keep_alive = req->minor == 1;
	return 0;
}

static int parse_content_length(const uint8_t *v, size_t n, size_t *out, const char **why)
{
	size_t x = 0;

	if (n == 0 || n > 19)
		FAIL(-EINVAL, "invalid Content-Length");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			FAIL(-EINVAL, "invalid Content-Length");
		x = x * 10 + (size_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int parse_header(const uint8_t *p, size_t n, struct http_request *req, const char **why)
{
	size_t i = 0, vs, ve;
	int err;

	if (n && (p[0] == ' ' || p[0] == '\t'))
		FAIL(-EINVAL, "obsolete header line folding is not accepted");
	while (i < n && is_tchar(p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ':')
		FAIL(-EINVAL, "malformed header line");
	vs = i + 1;
	while (vs < n && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;
	for (size_t k = vs; k < ve; k++)
		if ((p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f)
			FAIL(-EINVAL, "control character in a header value");
	if (token_eq(p, i, "Content-Length")) {
		size_t cl;

		err = parse_content_length(p + vs, ve - vs, &cl, why);
		if (err)
			return err;
		if (req->has_content_length)
			FAIL(-EINVAL, "duplicate Content-Length header");
		req->has_content_length = true;
		req->content_length = cl;
	} else if (token_eq(p, i, "Transfer-Encoding")) {
		FAIL(-ENOTSUP, "Transfer-Encoding (chunked) is not supported; send Content-Length");
	} else if (token_eq(p, i, "Connection")) {
		if (list_has(p + vs, ve - vs, "close"))
			req->keep_alive = false;
		else if (list_has(p + vs, ve - vs, "keep-alive"))
			req->keep_alive = true;
	} else if (token_eq(p, i, "Expect")) {
		if (!token_eq(p + vs, ve - vs, "100-continue"))
			FAIL(-ENOTSUP, "unsupported Expect header");
		req->expect_continue = true;
	}
	return 0;
}

ssize_t http_parse_request(const uint8_t *buf, size_t len, const struct http_limits *lim,
			   struct http_request *req, const char **why)
{
	size_t off = 0;
	unsigned int nheaders = 0;
	ssize_t n;
	int err;

	memset(req, 0, sizeof(*req));
	*why = "";
	n = line_len(buf, len, lim->max_line);
	if (n == -1)
		return 0;
	if (n == -2)
		FAIL(-EINVAL, "lines must end with CRLF");
	if (n == -3)
		FAIL(-E2BIG, "request line too long");
	err = parse_request_line(buf, (size_t)n, req, why);
	if (err)
		return err;
	off = (size_t)n + 2;
	for (;;) {
		n = line_len(buf + off, len - off, lim->max_line);
		if (n == -1)
			return 0;
		if (n == -2)
			FAIL(-EINVAL, "lines must end with CRLF");
		if (n == -3)
			FAIL(-E2BIG, "header line too long");
		if (n == 0) {
			off += 2;
			break;
		}
		if (++nheaders > lim->max_headers)
			FAIL(-E2BIG, "too many header lines");
		err = parse_header(buf + off, (size_t)n, req, why);
		if (err)
			return err;
		off += (size_t)n + 2;
	}
	req->headers_done = true;
	if (req->content_length > lim->max_body)
		FAIL(-E2BIG, "request body is larger than the API payload limit");
	if (req->content_length == 0)
		return (ssize_t)off;
	if (len - off < req->content_length)
		return 0;
	req->body = buf + off;
	req->body_len = req->content_length;
	return (ssize_t)(off + req->content_length);
}

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

size_t http_format_response(char *out, size_t cap, int status, const char *body,
			    size_t body_len, bool keep_alive)
{
	int n;

	if (status == 204 || !body)
		body_len = 0;
	if (status == 204)
		n = snprintf(out, cap, "HTTP/1.1 204 %s\r\nServer: ember API\r\n"
			     "Connection: %s\r\n\r\n", http_reason(status),
			     keep_alive ? "keep-alive" : "close");
	else
		n = snprintf(out, cap, "HTTP/1.1 %d %s\r\nServer: ember API\r\n"
			     "Connection: %s\r\n%sContent-Length: %zu\r\n\r\n", status,
			     http_reason(status), keep_alive ? "keep-alive" : "close",
			     body ? "Content-Type: application/json\r\n" : "", body_len);
	if (n < 0 || (size_t)n >= cap || cap - (size_t)n < body_len)
		return 0;
	if (body_len)
		memcpy(out + n, body, body_len);
	return (size_t)n + body_len;
}
