/* SPDX-License-Identifier: MIT */
/* util/log.h: leveled logging to stderr or a file, with a rate limiter for guest-triggerable paths. */
#ifndef EMBER_LOG_H
#define EMBER_LOG_H

#include <stdint.h>
#include "util/compiler.h"

enum log_level { LOG_OFF = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* Process-wide logger settings; safe to change from any thread. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Redirect log lines to fd (not closed by the logger).  Default is stderr. */
void log_set_fd(int fd);
void log_set_show_origin(bool show);

/*
 * Firecracker-style output (--log-path, PUT /logger): open `path` (a file,
 * created 0600 if missing, or a FIFO; never blocks) and write there as
 *   <UTC time> [<instance id>(:<LEVEL>)(:<function>)] <message>
 * one line per write, flushed as written.  A line that cannot be written
 * (full FIFO) is dropped and counted.  0 / -errno.
 */
int log_open_path(const char *path) __must_check;
void log_set_show_level(bool show);
/* Instance id shown in file output (copied; at most 64 characters). */
void log_set_instance_id(const char *id);
/* Lines dropped because the log fd could not take them. */
uint64_t log_missed_count(void);
/* Parse "error|warn|warning|info|debug|trace|off" (case-insensitive). 0 / -EINVAL. */
int log_level_parse(const char *s, enum log_level *out) __must_check;

void log_msg(enum log_level level, const char *func, const char *fmt, ...) __printf(3, 4);

#define log_error(...) log_msg(LOG_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

/*
 * Token bucket for logs a guest can trigger: at most `burst` messages, then
 * one per `interval_ms`; suppressed messages are counted and reported with
 * the next one that passes.  Embed one per call site or per device.
 */
struct ratelimit {
	uint64_t last_ns;
	uint32_t tokens;
	uint32_t suppressed;
	uint32_t burst;
	uint32_t interval_ms;
	int initialised;
};
#define RATELIMIT_INIT(b, ms) { .burst = (b), .interval_ms = (ms) }
/* true: log now (and *suppressed gets the count of dropped messages). */
bool ratelimit_allow(struct ratelimit *rl, uint32_t *suppressed);
/* The same decision at time `now` (ns, CLOCK_MONOTONIC); lets tests drive the clock. */
bool ratelimit_allow_at(struct ratelimit *rl, uint64_t now, uint32_t *suppressed);

#define log_warn_ratelimited(rl, fmt, ...) do {					\
	uint32_t __sup;								\
	if (ratelimit_allow((rl), &__sup))					\
		log_msg(LOG_WARN, __func__, fmt "%s", ##__VA_ARGS__,		\
			__sup ? " (earlier messages suppressed)" : "");	\
} while (0)

uint64_t now_ns(void);		/* CLOCK_MONOTONIC in ns */

#endif
