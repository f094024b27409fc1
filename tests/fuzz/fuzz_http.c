/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_http.c: bytes -> http_parse_request (+ api_route on success), checking lengths and limits. */
#include <string.h>

#include "api/http.h"
#include "api/routes.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1);	/* deterministic */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_limits lim = { 4096, 16, 512 };
	/* A private copy with no terminator: the parser must not read past size. */
	uint8_t *buf = malloc(size ? size : 1);
	size_t off = 0;

	FUZZ_ASSERT(buf);
	memcpy(buf, data, size);
	/* Pipelined requests, as the server consumes them. */
	while (off < size) {
		struct http_request req;
		const char *why = NULL;
		ssize_t n = http_parse_request(buf + off, size - off, &lim, &req, &why);

		if (n <= 0) {
			FUZZ_ASSERT(n == 0 || (why && *why));
			break;
		}
		FUZZ_ASSERT((size_t)n <= size - off);
		FUZZ_ASSERT(req.path[0] == '/');
		FUZZ_ASSERT(strlen(req.path) <= HTTP_MAX_PATH);
		FUZZ_ASSERT(req.body_len <= lim.max_body);
		FUZZ_ASSERT(!req.body || (req.body >= buf + off && req.body + req.body_len <= buf + off + (size_t)n));
		{
			struct api_call call;
			char rwhy[256];

			if (api_route(&req, &call, rwhy, sizeof(rwhy)) == 0)
				api_call_free(&call);
			else
				FUZZ_ASSERT(rwhy[0]);
		}
		off += (size_t)n;
	}
	free(buf);
	return 0;
}
