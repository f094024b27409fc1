/* SPDX-License-Identifier: MIT */
/* boot/cmdline.h: bounded kernel command-line builder (pure). */
#ifndef EMBER_CMDLINE_H
#define EMBER_CMDLINE_H

#include <stddef.h>
#include "util/compiler.h"

#define CMDLINE_CAP 4096

struct cmdline {
	char buf[CMDLINE_CAP];
	size_t len;
	bool overflow;		/* sticky: an append did not fit */
};

void cmdline_init(struct cmdline *c, const char *base);
/* Append one space-separated item (printf format). -E2BIG when it does not fit. */
int cmdline_append(struct cmdline *c, const char *fmt, ...) __printf(2, 3);
/* True when the command line already has parameter `key` (as "key=" or "key"). */
bool cmdline_has(const struct cmdline *c, const char *key);

#endif
