/* SPDX-License-Identifier: MIT */
/* api/http.h: a strict HTTP/1.1 request parser (bytes in, request or error out) and response writer. */
#ifndef EMBER_HTTP_H
#define EMBER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/compiler.h"

#define HTTP_DEFAULT_MAX_BODY	51200	/* Firecracker's --http-api-max-payload-size default */
#define HTTP_DEFAULT_MAX_HEADERS 32
#define HTTP_DEFAULT_MAX_LINE	4096
#define HTTP_MAX_PATH		1024

struct http_limits {
	size_t max_body;	/* Content-Length above this is refused */
	unsigned int max_headers;
	size_t max_line;	/* request line and each header line, CRLF included */
};

enum http_method { HTTP_GET = 1, HTTP_PUT, HTTP_PATCH, HTTP_OTHER };

struct http_request {
	enum http_method method;
	char method_name[16];		/* as sent, for messages */
	char path[HTTP_MAX_PATH + 1];	/* request target, starts with '/' */
	int minor;			/* HTTP/1.<minor>: 0 or 1 */
	bool keep_alive;		/* from the version and Connection: */
	bool has_content_length;
	bool expect_continue;		/* "Expect: 100-continue" */
	bool headers_done;		/* set even when the body is still incomplete */
	size_t content_length;
	const uint8_t *body;		/* points into the parsed buffer; NULL if none */
	size_t body_len;
};

/*
 * Parse one request from buf[0..len).
 * Returns the number of bytes it occupies (> 0) when complete; 0 when more
 * bytes are needed (req->headers_done tells whether the header block is in,
 * so a caller can answer "100 Continue"); or a negative errno when the bytes
 * can never be a valid request: -EINVAL (malformed), -E2BIG (a limit
 * exceeded), -ENOTSUP (a feature ember refuses: chunked encoding, HTTP/2...).
 * *why then names the problem in one line (a static string).
 * Pure: no allocation, no I/O; the input need not be NUL-terminated.
 */
ssize_t http_parse_request(const uint8_t *buf, size_t len, const struct http_limits *lim,
			   struct http_request *req, const char **why);

/* "OK", "No Content", "Bad Request"... for the status codes ember sends. */
const char *http_reason(int status);

/*
 * Write a complete HTTP/1.1 response into out[0..cap).  body may be NULL
 * (then no Content-Type); a 204 carries no body.  Returns the length, or 0
 * if it does not fit.
 */
size_t http_format_response(char *out, size_t cap, int status, const char *body,
			    size_t body_len, bool keep_alive);

#endif
