/* SPDX-License-Identifier: MIT */
/* boot/cmdline.c: builds the kernel command line from the user's text plus device announcements. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot/cmdline.h"

void cmdline_init(struct cmdline *c, const char *base)
{
	size_t n = strlen(base);

	c->overflow = n >= sizeof(c->buf);
	if (c->overflow)
		n = 0;
	memcpy(c->buf, base, n);
	c->buf[n] = 0;
	c->len = n;
}

int cmdline_append(struct cmdline *c, const char *fmt, ...)
{
	char item[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(item) ||
	    c->len + (c->len ? 1 : 0) + (size_t)n + 1 > sizeof(c->buf)) {
		c->overflow = true;
		return -E2BIG;
	}
	if (c->len)
		c->buf[c->len++] = ' ';
	memcpy(c->buf + c->len, item, (size_t)n + 1);
	c->len += (size_t)n;
	return 0;
}

bool cmdline_has(const struct cmdline *c, const char *key)
{
	size_t klen = strlen(key);
	const char *p = c->buf;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && (p[klen] == '=' || p[klen] == ' ' || !p[klen]))
			return true;
		while (*p && *p != ' ')
			p++;
	}
	return false;
}
