/* SPDX-License-Identifier: MIT */
/* api/routes.c: Firecracker's path and method table, and the body checks that need no VM state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/routes.h"
#include "api/schema.h"

#define MAX_SEGS 4

static const struct {
	enum http_method method;
	const char *path;	/* '*' segment: an id */
	enum api_op op;
	const char *name;
} table[] = {
	{ HTTP_GET, "", OP_GET_INFO, "GET /" },
	{ HTTP_GET, "version", OP_GET_VERSION, "GET /version" },
	{ HTTP_GET, "vm/config", OP_GET_VM_CONFIG, "GET /vm/config" },
	{ HTTP_GET, "machine-config", OP_GET_MACHINE, "GET /machine-config" },
	{ HTTP_PUT, "machine-config", OP_PUT_MACHINE, "PUT /machine-config" },
	{ HTTP_PATCH, "machine-config", OP_PATCH_MACHINE, "PATCH /machine-config" },
	{ HTTP_PUT, "boot-source", OP_PUT_BOOT_SOURCE, "PUT /boot-source" },
	{ HTTP_PUT, "drives/*", OP_PUT_DRIVE, "PUT /drives" },
	{ HTTP_PATCH, "drives/*", OP_PATCH_DRIVE, "PATCH /drives" },
	{ HTTP_PUT, "network-interfaces/*", OP_PUT_NET, "PUT /network-interfaces" },
	{ HTTP_PATCH, "network-interfaces/*", OP_PATCH_NET, "PATCH /network-interfaces" },
	{ HTTP_PUT, "vsock", OP_PUT_VSOCK, "PUT /vsock" },
	{ HTTP_PUT, "entropy", OP_PUT_ENTROPY, "PUT /entropy" },
	{ HTTP_GET, "balloon", OP_GET_BALLOON, "GET /balloon" },
	{ HTTP_PUT, "balloon", OP_PUT_BALLOON, "PUT /balloon" },
	{ HTTP_PATCH, "balloon", OP_PATCH_BALLOON, "PATCH /balloon" },
	{ HTTP_GET, "balloon/statistics", OP_GET_BALLOON_STATS, "GET /balloon/statistics" },
	{ HTTP_PATCH, "balloon/statistics", OP_PATCH_BALLOON_STATS, "PATCH /balloon/statistics" },
	{ HTTP_PUT, "logger", OP_PUT_LOGGER, "PUT /logger" },
	{ HTTP_PUT, "metrics", OP_PUT_METRICS, "PUT /metrics" },
	{ HTTP_PUT, "serial", OP_PUT_SERIAL, "PUT /serial" },
	{ HTTP_PUT, "cpu-config", OP_PUT_CPU_CONFIG, "PUT /cpu-config" },
	{ HTTP_PUT, "actions", OP_PUT_ACTIONS, "PUT /actions" },
	{ HTTP_PATCH, "vm", OP_PATCH_VM, "PATCH /vm" },
	{ HTTP_PUT, "snapshot/create", OP_PUT_SNAPSHOT_CREATE, "PUT /snapshot/create" },
	{ HTTP_PUT, "snapshot/load", OP_PUT_SNAPSHOT_LOAD, "PUT /snapshot/load" },
};

const char *api_op_name(enum api_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].op == op)
			return table[i].name;
	return "?";
}

/* Match "a/b/c" (after the leading '/') against a pattern with '*' segments. */
static bool match(const char *path, const char *pattern, char *id, size_t id_len)
{
	while (*pattern) {
		const char *pe = strchr(pattern, '/'), *e = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t l = e ? (size_t)(e - path) : strlen(path);

		if (pl == 1 && *pattern == '*') {
			if (l == 0 || l >= id_len)
				return false;
			memcpy(id, path, l);
			id[l] = 0;
		} else if (pl != l || strncmp(path, pattern, l)) {
			return false;
		}
		pattern += pl;
		path += l;
		if (*pattern != *path)
			return false;	/* one has another segment, the other ended */
		if (*pattern) {
			pattern++;
			path++;
		}
	}
	return !*path;
}

int api_route(const struct http_request *req, struct api_call *call, char *why,
	      size_t why_len)
{
	const char *path = req->path + 1;	/* the parser guarantees a leading '/' */
	bool path_known = false;
	char id[CONFIG_ID_MAX + 2];

	memset(call, 0, sizeof(*call));
	if (!strncmp(path, "mmds", 4) && (!path[4] || path[4] == '/')) {
		snprintf(why, why_len, "MMDS is not supported by ember (%s /%s)",
			 req->method_name, path);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		id[0] = 0;
		if (!match(path, table[i].path, id, sizeof(id)))
			continue;
		path_known = true;
		if (table[i].method != req->method)
			continue;
		if (strchr(table[i].path, '*') &&
		    config_check_id(id, "the id in the path", why, why_len))
			return -EINVAL;
		if (req->method == HTTP_GET && req->body_len) {
			snprintf(why, why_len, "GET request cannot have a body.");
			return -EINVAL;
		}
		if (req->method != HTTP_GET && !req->body_len) {
			snprintf(why, why_len, "Empty %s request.", req->method_name);
			return -EINVAL;
		}
		if (req->body_len) {
			char jwhy[200];

			call->body = schema_load((const char *)req->body, req->body_len, jwhy,
						 sizeof(jwhy));
			if (!call->body) {
				snprintf(why, why_len, "An error occurred when deserializing the "
					 "json body of a request: %s.", jwhy);
				return -EINVAL;
			}
		}
		call->op = table[i].op;
		snprintf(call->id, sizeof(call->id), "%s", id);
		return 0;
	}
	snprintf(why, why_len, "Invalid request method and/or path: %s /%s.%s", req->method_name,
		 path, path_known ? " (this path exists with another method)" : "");
	return -EINVAL;
}

void api_call_free(struct api_call *call)
{
	json_decref(call->body);
	call->body = NULL;
}
