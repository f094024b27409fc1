/* SPDX-License-Identifier: MIT */
/* event/loop.h: the VMM's epoll event loop (one thread) with fd callbacks. */
#ifndef EMBER_LOOP_H
#define EMBER_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

typedef void (*loop_fn)(void *opaque, uint32_t events);

#define LOOP_MAX_FDS 256

struct loop_entry {
	int fd;
	loop_fn fn;
	void *opaque;
};

struct loop {
	int epfd;
	bool stop;
	unsigned int n;
	struct loop_entry entries[LOOP_MAX_FDS];
};

int loop_init(struct loop *l) __must_check;
void loop_destroy(struct loop *l);
/* Watch fd for `events` (EPOLLIN...); fn runs on the loop thread. 0 / -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque) __must_check;
int loop_del_fd(struct loop *l, int fd);
/* Run until loop_stop() is called from a callback. 0 / -errno. */
int loop_run(struct loop *l) __must_check;
void loop_stop(struct loop *l);

#endif
