/* SPDX-License-Identifier: MIT */
/* api/routes.h: maps an HTTP request (method, path, body) to one API operation; pure. */
#ifndef EMBER_ROUTES_H
#define EMBER_ROUTES_H

#include <jansson.h>
#include "api/http.h"
#include "core/config.h"

enum api_op {
	OP_GET_INFO = 1, OP_GET_VERSION, OP_GET_VM_CONFIG,
	OP_GET_MACHINE, OP_PUT_MACHINE, OP_PATCH_MACHINE,
	OP_PUT_BOOT_SOURCE, OP_PUT_DRIVE, OP_PATCH_DRIVE, OP_PUT_NET, OP_PATCH_NET,
	OP_PUT_VSOCK, OP_PUT_ENTROPY,
	OP_GET_BALLOON, OP_PUT_BALLOON, OP_PATCH_BALLOON, OP_GET_BALLOON_STATS,
	OP_PATCH_BALLOON_STATS,
	OP_PUT_LOGGER, OP_PUT_METRICS, OP_PUT_SERIAL, OP_PUT_CPU_CONFIG,
	OP_PUT_ACTIONS, OP_PATCH_VM,
	OP_PUT_SNAPSHOT_CREATE, OP_PUT_SNAPSHOT_LOAD,
};

struct api_call {
	enum api_op op;
	char id[CONFIG_ID_MAX + 1];	/* /drives/{id}, /network-interfaces/{id} */
	json_t *body;			/* parsed object, or NULL for GET; owned */
};

/*
 * Decide what a request asks for, following Firecracker's parsed_request.rs:
 * unknown paths and methods, a GET with a body, a PUT or PATCH without one,
 * bodies that are not one JSON object, and MMDS are all refused.
 * 0 with *call filled (free with api_call_free), or -EINVAL with *why.
 */
int api_route(const struct http_request *req, struct api_call *call, char *why,
	      size_t why_len) __must_check;
void api_call_free(struct api_call *call);

/* Name used in logs and metrics, e.g. "PUT /drives". */
const char *api_op_name(enum api_op op);

#endif
