// SPDX-License-Identifier: MIT
/* tests/unit/test_api_http.c: the HTTP/1.1 request parser: complete, partial, pipelined and malformed input, and limits. */
#include <errno.h>
#include "harness.h"
#include "api/http.h"

static const struct http_limits lim = { 64, 4, 128 };

static ssize_t parse(const char *s, struct http_request *r, const char **why)
{
	return http_parse_request((const uint8_t *)s, strlen(s), &lim, r, why);
}

static void test_http_get_complete(void)
{
	struct http_request r;
	const char *why;
	const char *s = "GET /machine-config HTTP/1.1\r\nHost: x\r\n\r\n";

	CHECK_EQ(parse(s, &r, &why), strlen(s));
	CHECK_EQ(r.method, HTTP_GET);
	CHECK_STR(r.path, "/machine-config");
	CHECK(r.keep_alive);
	CHECK(!r.body);
}

static void test_http_put_body(void)
{
	struct http_request r;
	const char *why;
	const char *s = "PUT /actions HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\"}GET";

	CHECK_EQ(parse(s, &r, &why), strlen(s) - 3);	/* the pipelined "GET" is left */
	CHECK_EQ(r.method, HTTP_PUT);
	CHECK_EQ(r.body_len, 5);
	CHECK(!memcmp(r.body, "{\"a\"}", 5));
}

static void test_http_incomplete(void)
{
	struct http_request r;
	const char *why;

	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost", &r, &why), 0);
	CHECK(!r.headers_done);
	CHECK_EQ(parse("GET / HTTP/1.1\r", &r, &why), 0);
	CHECK_EQ(parse("PUT / HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n{}",
		       &r, &why), 0);
	CHECK(r.headers_done);
	CHECK(r.expect_continue);
}

static void test_http_connection_header(void)
{
	struct http_request r;
	const char *why;

	CHECK(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r, &why) > 0);
	CHECK(!r.keep_alive);
	CHECK(parse("GET / HTTP/1.0\r\n\r\n", &r, &why) > 0);
	CHECK(!r.keep_alive);
	CHECK(parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &r, &why) > 0);
	CHECK(r.keep_alive);
}

static void test_http_malformed(void)
{
	static const struct { const char *req; int err; } cases[] = {
		{ "GET / HTTP/1.1\nHost: x\n\n", -EINVAL },		/* bare LF */
		{ "GET /\r\n\r\n", -EINVAL },				/* no version */
		{ "GET  / HTTP/1.1\r\n\r\n", -EINVAL },			/* two spaces */
		{ "GET x HTTP/1.1\r\n\r\n", -EINVAL },			/* not a path */
		{ "GET /a b HTTP/1.1\r\n\r\n", -EINVAL },
		{ "GET /\x01 HTTP/1.1\r\n\r\n", -EINVAL },
		{ "GET / HTTP/2.0\r\n\r\n", -ENOTSUP },
		{ "GET / HTTP/1.2\r\n\r\n", -ENOTSUP },
		{ "GET / FTP/1.1\r\n\r\n", -EINVAL },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", -EINVAL },
		{ "GET / HTTP/1.1\r\n Folded: x\r\n\r\n", -EINVAL },
		{ "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", -EINVAL },
		{ "PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -EINVAL },
		{ "PUT / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", -EINVAL },
		{ "PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", -EINVAL },
		{ "PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", -EINVAL },
		{ "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -ENOTSUP },
		{ "PUT / HTTP/1.1\r\nExpect: something\r\n\r\n", -ENOTSUP },
		{ "PUT / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", -E2BIG },	/* body limit 64 */
		{ "GET / HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n", -E2BIG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request r;
		const char *why = NULL;
		ssize_t n = parse(cases[i].req, &r, &why);

		if (n != cases[i].err)
			fprintf(stderr, "  case %zu: got %zd\n", i, n);
		CHECK_EQ(n, cases[i].err);
		CHECK(why && *why);
	}
}

static void test_http_line_limit(void)
{
	char buf[300];
	struct http_request r;
	const char *why;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	/* No CRLF within max_line bytes: refused without waiting for more. */
	CHECK_EQ(http_parse_request((const uint8_t *)buf, sizeof(buf), &lim, &r, &why), -E2BIG);
	/* A shorter unterminated prefix is just incomplete. */
	CHECK_EQ(http_parse_request((const uint8_t *)buf, 100, &lim, &r, &why), 0);
}

static void test_http_method_other(void)
{
	struct http_request r;
	const char *why;

	CHECK(parse("DELETE /drives/a HTTP/1.1\r\n\r\n", &r, &why) > 0);
	CHECK_EQ(r.method, HTTP_OTHER);
	CHECK_STR(r.method_name, "DELETE");
}

static void test_http_format_response(void)
{
	char out[256];
	size_t n = http_format_response(out, sizeof(out), 400, "{\"x\":1}", 7, true);

	CHECK(n > 0);
	out[n] = 0;
	CHECK(strstr(out, "HTTP/1.1 400 Bad Request\r\n") == out);
	CHECK(strstr(out, "Content-Length: 7\r\n"));
	CHECK(strstr(out, "Connection: keep-alive\r\n"));
	CHECK(!strcmp(out + n - 7, "{\"x\":1}"));
	n = http_format_response(out, sizeof(out), 204, NULL, 0, false);
	out[n] = 0;
	CHECK(strstr(out, "204 No Content"));
	CHECK(!strstr(out, "Content-Length"));
	CHECK_EQ(http_format_response(out, 10, 200, "{}", 2, true), 0);
}

int main(void)
{
	RUN(test_http_get_complete);
	RUN(test_http_put_body);
	RUN(test_http_incomplete);
	RUN(test_http_connection_header);
	RUN(test_http_malformed);
	RUN(test_http_line_limit);
	RUN(test_http_method_other);
	RUN(test_http_format_response);
	return harness_summary("api_http");
}
