/* SPDX-License-Identifier: MIT */
/* util/log.c: leveled logging and the log rate limiter. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/*
 * Logger settings are process-wide by nature (one stderr).  The API can
 * change them while other threads log, so the scalars are atomics and the
 * output fd and instance id are swapped under `lock`.
 */
static struct {
	_Atomic int level;
	_Atomic bool show_origin;
	_Atomic bool show_level;
	_Atomic bool file_format;	/* Firecracker-style lines (log_open_path) */
	_Atomic uint64_t missed;
	pthread_mutex_t lock;
	int fd;
	int owned_fd;			/* opened by log_open_path, closed on swap */
	char id[65];
} logger = {
	.level = LOG_WARN, .lock = PTHREAD_MUTEX_INITIALIZER, .fd = STDERR_FILENO,
	.owned_fd = -1, .id = "anonymous-instance",
};

void log_set_level(enum log_level level) { logger.level = (int)level; }
enum log_level log_get_level(void) { return (enum log_level)logger.level; }
void log_set_show_origin(bool show) { logger.show_origin = show; }
void log_set_show_level(bool show) { logger.show_level = show; }
uint64_t log_missed_count(void) { return logger.missed; }

static void swap_fd(int fd, int owned, bool file_format)
{
	int old;

	pthread_mutex_lock(&logger.lock);
	old = logger.owned_fd;
	logger.fd = fd;
	logger.owned_fd = owned;
	logger.file_format = file_format;
	pthread_mutex_unlock(&logger.lock);
	if (old >= 0 && old != fd)
		close(old);
}

void log_set_fd(int fd) { swap_fd(fd, -1, false); }

int log_open_path(const char *path)
{
	/* O_RDWR: a FIFO opens without a reader and never blocks the opener. */
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	swap_fd(fd, fd, true);
	return 0;
}

void log_set_instance_id(const char *id)
{
	pthread_mutex_lock(&logger.lock);
	snprintf(logger.id, sizeof(logger.id), "%s", id);
	pthread_mutex_unlock(&logger.lock);
}

/* "2026-01-02T03:04:05.123456789" (UTC) into buf; returns its length. */
static int format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	return (int)n + snprintf(buf + n, len - n, ".%09ld", ts.tv_nsec);
}

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
	static const char *const names[] = { "", "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };
	char line[1024], ts[48];
	va_list ap;
	int n, m;

	if ((int)level > logger.level || level == LOG_OFF)
		return;
	pthread_mutex_lock(&logger.lock);
	if (logger.file_format) {
		format_time(ts, sizeof(ts));
		n = snprintf(line, sizeof(line), "%s [%s%s%s%s%s] ", ts, logger.id,
			     logger.show_level ? ":" : "", logger.show_level ? names[level] : "",
			     logger.show_origin ? ":" : "", logger.show_origin ? func : "");
	} else if (logger.show_origin) {
		n = snprintf(line, sizeof(line), "ember: %s: %s: ", tags[level], func);
	} else {
		n = snprintf(line, sizeof(line), "ember: %s: ", tags[level]);
	}
	pthread_mutex_unlock(&logger.lock);
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
	/* One write per line so lines from different threads do not interleave;
	 * the lock keeps the fd from being closed under the write. */
	pthread_mutex_lock(&logger.lock);
	if (write(logger.fd, line, (size_t)n) != n)
		logger.missed++;
	pthread_mutex_unlock(&logger.lock);
}

bool ratelimit_allow(struct ratelimit *rl, uint32_t *suppressed)
{
	return ratelimit_allow_at(rl, now_ns(), suppressed);
}

bool ratelimit_allow_at(struct ratelimit *rl, uint64_t now, uint32_t *suppressed)
{
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
