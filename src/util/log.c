/* SPDX-License-Identifier: MIT */
/* util/log.c: leveled logging and the log rate limiter. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/*
 * Logger settings are process-wide by nature (one stderr); they are written
 * once by main() before any thread exists and read-only afterwards.
 */
static struct {
	enum log_level level;
	int fd;
	bool show_origin;
} logger = { LOG_WARN, STDERR_FILENO, false };

void log_set_level(enum log_level level) { logger.level = level; }
enum log_level log_get_level(void) { return logger.level; }
void log_set_fd(int fd) { logger.fd = fd; }
void log_set_show_origin(bool show) { logger.show_origin = show; }

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level level; } names[] = {
		{ "off", LOG_OFF }, { "error", LOG_ERROR }, { "warn", LOG_WARN },
		{ "warning", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
		{ "trace", LOG_TRACE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	static const char *const tags[] = { "", "error", "warn", "info", "debug", "trace" };
	char line[1024];
	va_list ap;
	int n, m;

	if (level > logger.level || level == LOG_OFF)
		return;
	if (logger.show_origin)
		n = snprintf(line, sizeof(line), "ember: %s: %s: ", tags[level], func);
	else
		n = snprintf(line, sizeof(line), "ember: %s: ", tags[level]);
	if (n < 0)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line so lines from different threads do not interleave. */
	if (write(logger.fd, line, (size_t)n) < 0)
		return;
}

bool ratelimit_allow(struct ratelimit *rl, uint32_t *suppressed)
{
	uint64_t now = now_ns();
	uint64_t interval = (uint64_t)rl->interval_ms * 1000000ull;

	if (!rl->initialised) {
		rl->initialised = 1;
		rl->tokens = rl->burst;
		rl->last_ns = now;
	}
	if (interval && now - rl->last_ns >= interval) {
		uint64_t refill = (now - rl->last_ns) / interval;

		rl->tokens = (uint32_t)MIN((uint64_t)rl->burst, rl->tokens + refill);
		rl->last_ns = now;
	}
	if (!rl->tokens) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
