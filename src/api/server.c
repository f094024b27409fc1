/* SPDX-License-Identifier: MIT */
/* api/server.c: accepts connections, parses requests with limits, posts them to the VMM thread, writes replies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/routes.h"
#include "api/server.h"
#include "core/vmm.h"
#include "sandbox/sandbox.h"
#include "util/log.h"
#include "util/metrics.h"

#define TAG_LISTEN	((uint64_t)API_MAX_CONNS)
#define TAG_STOP	((uint64_t)API_MAX_CONNS + 1)

int api_server_bind(struct api_server *s, const char *path, size_t max_body, char *why,
		    size_t why_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int err;

	memset(s, 0, sizeof(*s));
	s->listen_fd = s->epfd = s->stop_efd = -1;
	for (int i = 0; i < API_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->lim = (struct http_limits){ max_body, HTTP_DEFAULT_MAX_HEADERS, HTTP_DEFAULT_MAX_LINE };
	s->in_cap = HTTP_DEFAULT_MAX_LINE * (HTTP_DEFAULT_MAX_HEADERS + 2) + max_body;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(why, why_len, "--api-sock '%s' is longer than %zu bytes", path,
			 sizeof(addr.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto fail_errno;
	if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot bind the API socket '%s': %s%s", path,
			 strerror(errno), errno == EADDRINUSE ? " (remove the stale socket first)"
							     : "");
		close(s->listen_fd);
		s->listen_fd = -1;
		return err;
	}
	s->sock_path = strdup(path);
	if (listen(s->listen_fd, 16) < 0)
		goto fail_errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epfd < 0 || s->stop_efd < 0 || !s->sock_path)
		goto fail_errno;
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0)
			goto fail_errno;
		ev.data.u64 = TAG_STOP;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stop_efd, &ev) < 0)
			goto fail_errno;
	}
	return 0;
fail_errno:
	err = errno ? -errno : -ENOMEM;
	snprintf(why, why_len, "API socket '%s': %s", path, strerror(-err));
	api_server_stop(s, true);
	return err;
}

static void conn_close(struct api_server *s, struct api_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	/* The input buffer is mmap'd, not malloc'd: freeing a large block from
	 * a thread's malloc arena can make glibc open /proc/sys/vm/overcommit_memory,
	 * which the API thread's seccomp filter does not allow. */
	if (c->in)
		munmap(c->in, s->in_cap);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send what is pending; EPOLLOUT stays armed only while bytes remain. */
static void conn_flush(struct api_server *s, struct api_conn *c)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)(c - s->conns) };

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ev.events = EPOLLOUT;
				epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			conn_close(s, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->close_after) {
		/*
		 * Lingering close: closing with unread input would reset the
		 * connection and the peer could lose the reply.  The reply said
		 * "Connection: close"; discard input until the peer closes or
		 * API_DRAIN_TIMEOUT_MS passes.  (No shutdown(2): the API
		 * thread's seccomp filter does not need it this way.)
		 */
		c->draining = true;
		c->in_len = 0;
		c->last_active_ns = now_ns();
		ev.events = EPOLLIN;
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	ev.events = EPOLLIN;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_queue(struct api_conn *c, int status, const char *body, bool keep_alive)
{
	size_t blen = body ? strlen(body) : 0, cap = blen + 256, n;
	char *buf = malloc(cap);

	if (!buf) {
		c->close_after = true;
		return;
	}
	n = http_format_response(buf, cap, status, body, blen, keep_alive);
	if (!n) {
		free(buf);
		c->close_after = true;
		return;
	}
	free(c->out);
	c->out = buf;
	c->out_len = n;
	c->out_off = 0;
	if (!keep_alive)
		c->close_after = true;
}

static void conn_fault(struct api_conn *c, const char *msg, bool keep_alive)
{
	json_t *j = json_pack("{s:s}", "fault_message", msg);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	conn_queue(c, 400, body ? body : "{\"fault_message\":\"bad request\"}", keep_alive);
	free(body);
	log_info("API: 400: %s", msg);
}

/* Handle one complete request: route it, run it on the VMM thread, queue the reply. */
static void handle_request(struct api_server *s, struct api_conn *c, const struct http_request *req)
{
	struct vmm_action a;
	char why[600];

	memset(&a, 0, sizeof(a));
	if (api_route(req, &a.call, why, sizeof(why))) {
		conn_fault(c, why, req->keep_alive);
		return;
	}
	if (vmm_post(s->vmm, &a)) {
		api_call_free(&a.call);
		conn_fault(c, "the VMM is shutting down", false);
		return;
	}
	api_call_free(&a.call);
	if (a.status >= 400)
		METRIC_INC(api_server, sync_response_fails);
	conn_queue(c, a.status, a.body, req->keep_alive);
	free(a.body);
}

/* Parse and handle every complete request in the buffer, one reply at a time. */
static void conn_process(struct api_server *s, struct api_conn *c)
{
	while (c->fd >= 0 && !c->out && !c->close_after && c->in_len) {
		struct http_request req;
		const char *why;
		ssize_t n = http_parse_request(c->in, c->in_len, &s->lim, &req, &why);

		if (n < 0) {
			/* Unknown framing: answer and close, the stream cannot be resynchronised. */
			conn_fault(c, why, false);
			conn_flush(s, c);
			break;
		}
		if (n == 0) {
			if (req.headers_done && req.expect_continue && !c->sent_continue) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

				c->sent_continue = true;
				if (send(c->fd, cont, sizeof(cont) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
					conn_close(s, c);
			}
			break;
		}
		c->sent_continue = false;
		handle_request(s, c, &req);
		memmove(c->in, c->in + n, c->in_len - (size_t)n);
		c->in_len -= (size_t)n;
		conn_flush(s, c);
	}
}

static void conn_drain(struct api_server *s, struct api_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in, s->in_cap, MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			conn_close(s, c);
		return;
	}
}

static void conn_read(struct api_server *s, struct api_conn *c)
{
	if (c->draining) {
		conn_drain(s, c);
		return;
	}
	for (;;) {
		ssize_t n;

		if (c->in_len == s->in_cap) {
			conn_fault(c, "request too large", false);
			conn_flush(s, c);
			return;
		}
		n = recv(c->fd, c->in + c->in_len, s->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_close(s, c);
			break;
		}
		if (n == 0) {
			/* Peer closed.  Bytes left over are a truncated request: say so
			 * if the peer still reads (half-close), then close. */
			if (c->in_len && !c->out) {
				conn_fault(c, "truncated request: the connection ended inside a "
					   "request", false);
				conn_flush(s, c);
			} else if (!c->out) {
				conn_close(s, c);
			} else {
				c->close_after = true;
			}
			return;
		}
		c->in_len += (size_t)n;
		c->last_active_ns = now_ns();
		conn_process(s, c);
		if (c->fd < 0 || c->out || c->close_after)
			return;
	}
}

static void accept_conn(struct api_server *s)
{
	static const char full[] = "HTTP/1.1 503 Service Unavailable\r\nServer: ember API\r\n"
				   "Connection: close\r\nContent-Type: application/json\r\n"
				   "Content-Length: 48\r\n\r\n"
				   "{\"fault_message\":\"too many open connections\"}\r\n";
	int fd;

	while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct api_conn *c = NULL;
		struct epoll_event ev = { .events = EPOLLIN };

		for (int i = 0; i < API_MAX_CONNS; i++) {
			if (s->conns[i].fd < 0) {
				c = &s->conns[i];
				break;
			}
		}
		if (!c) {
			if (send(fd, full, sizeof(full) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				log_debug("API: %s", strerror(errno));
			close(fd);
			continue;
		}
		c->in = mmap(NULL, s->in_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
		if (c->in == MAP_FAILED) {
			c->in = NULL;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->last_active_ns = now_ns();
		ev.data.u64 = (uint64_t)(c - s->conns);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(s, c);
	}
}

static void close_idle(struct api_server *s)
{
	uint64_t now = now_ns();

	for (int i = 0; i < API_MAX_CONNS; i++) {
		struct api_conn *c = &s->conns[i];

		uint64_t limit = c->draining ? API_DRAIN_TIMEOUT_MS : API_IDLE_TIMEOUT_MS;

		if (c->fd >= 0 && c->draining && now - c->last_active_ns > limit * 1000000ull) {
			conn_close(s, c);
			continue;
		}
		if (c->fd >= 0 && now - c->last_active_ns > limit * 1000000ull) {
			log_info("API: closing a connection idle for %u s", API_IDLE_TIMEOUT_MS / 1000);
			conn_close(s, c);
		}
	}
}

static void *api_thread(void *arg)
{
	struct api_server *s = arg;
	struct epoll_event evs[API_MAX_CONNS + 2];

	if (s->seccomp && sandbox_apply(SANDBOX_API)) {
		log_error("cannot install the API thread's seccomp filter; the API is off");
		return NULL;
	}
	for (;;) {
		int n = epoll_wait(s->epfd, evs, API_MAX_CONNS + 2, 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("API: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			struct api_conn *c;

			if (tag == TAG_STOP)
				return NULL;
			if (tag == TAG_LISTEN) {
				accept_conn(s);
				continue;
			}
			c = &s->conns[tag];
			if (c->fd < 0)
				continue;
			if (evs[i].events & EPOLLOUT) {
				conn_flush(s, c);
				if (c->fd >= 0 && !c->out)
					conn_process(s, c);
			} else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				conn_read(s, c);
			}
		}
		close_idle(s);
	}
	return NULL;
}

int api_server_start(struct api_server *s, struct vmm *vmm, bool seccomp)
{
	int err;

	s->vmm = vmm;
	s->seccomp = seccomp;
	/* jansson seeds its hash function from /dev/urandom on first use: do
	 * it now, before the API thread's seccomp filter forbids open(). */
	json_object_seed(0);
	err = pthread_create(&s->thread, NULL, api_thread, s);
	if (err)
		return -err;
	s->thread_started = true;
	return 0;
}

void api_server_stop(struct api_server *s, bool remove_socket)
{
	uint64_t one = 1;

	if (s->thread_started) {
		if (write(s->stop_efd, &one, sizeof(one)) < 0)
			log_debug("API stop: %s", strerror(errno));
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	for (int i = 0; i < API_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0 || s->conns[i].in)
			conn_close(s, &s->conns[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	s->listen_fd = s->epfd = s->stop_efd = -1;
	if (s->sock_path) {
		if (remove_socket)
			unlink(s->sock_path);
		free(s->sock_path);
		s->sock_path = NULL;
	}
}
