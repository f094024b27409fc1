/* SPDX-License-Identifier: MIT */
/* api/server.h: the API thread: HTTP/1.1 over a Unix socket, requests handed to the VMM thread. */
#ifndef EMBER_API_SERVER_H
#define EMBER_API_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/http.h"
#include "util/compiler.h"

struct vmm;

#define API_MAX_CONNS		16
#define API_IDLE_TIMEOUT_MS	30000	/* a connection silent this long is closed */
#define API_DRAIN_TIMEOUT_MS	1000	/* after an error reply: wait this long for the peer's EOF */

struct api_conn {
	int fd;			/* -1: free slot */
	uint8_t *in;		/* received, not yet consumed */
	size_t in_len;
	char *out;		/* response bytes not yet sent */
	size_t out_len, out_off;
	uint64_t last_active_ns;
	bool close_after;	/* close once `out` is sent */
	bool sent_continue;	/* "100 Continue" sent for the pending request */
	bool draining;		/* reply sent and write side shut: discard input until EOF */
};

struct api_server {
	struct vmm *vmm;
	char *sock_path;
	int listen_fd;
	int epfd;
	int stop_efd;		/* written by api_server_stop() */
	struct http_limits lim;
	size_t in_cap;		/* request line + headers + body limit */
	pthread_t thread;
	bool thread_started;
	bool seccomp;		/* install the API thread's filter once serving */
	struct api_conn conns[API_MAX_CONNS];
};

/* Create, bind and listen on the socket (path must not exist).  0 / -errno with *why. */
int api_server_bind(struct api_server *s, const char *path, size_t max_body, char *why,
		    size_t why_len) __must_check;
/* Start the API thread serving `vmm`. 0 / -errno. */
int api_server_start(struct api_server *s, struct vmm *vmm, bool seccomp) __must_check;
/*
 * Stop and join the thread and close everything; remove the socket file if
 * remove_socket (the caller passes false once the VMM thread's seccomp filter,
 * which has no unlink, is on: like Firecracker, the socket is then left for
 * the launcher to remove).
 */
void api_server_stop(struct api_server *s, bool remove_socket);

#endif
