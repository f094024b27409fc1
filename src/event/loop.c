/* SPDX-License-Identifier: MIT */
/* event/loop.c: epoll wrapper; entries live in a fixed table so callbacks need no allocation. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event/loop.h"

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_destroy(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	unsigned int i;

	for (i = 0; i < LOOP_MAX_FDS; i++)
		if (!l->entries[i].fn)
			break;
	if (i == LOOP_MAX_FDS)
		return -ENOSPC;
	ev.data.u32 = i;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->entries[i] = (struct loop_entry){ fd, fn, opaque };
	if (i >= l->n)
		l->n = i + 1;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	for (unsigned int i = 0; i < l->n; i++) {
		if (l->entries[i].fn && l->entries[i].fd == fd) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			memset(&l->entries[i], 0, sizeof(l->entries[i]));
			return 0;
		}
	}
	return -ENOENT;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_entry *e = &l->entries[evs[i].data.u32];

			if (e->fn)
				e->fn(e->opaque, evs[i].events);
		}
	}
	return 0;
}
