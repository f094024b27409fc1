/* SPDX-License-Identifier: MIT */
/* util/metrics.c: the metric table, its JSON rendering and the metrics file or FIFO. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/metrics.h"

struct metrics metrics;

enum { INC, STORE };

static const struct metric_desc {
	const char *group, *name;
	int kind;
	size_t off;
} table[] = {
#define METRICS_DESC(g, n, k) { #g, #n, k, offsetof(struct metrics, g##__##n) },
	METRICS_TABLE(METRICS_DESC)
#undef METRICS_DESC
};

/* Values at the previous advancing flush, for INC deltas; guarded by `lock`. */
static uint64_t last[ARRAY_SIZE(table)];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int metrics_fd = -1;

static _Atomic uint64_t *slot(size_t i)
{
	return (_Atomic uint64_t *)((char *)&metrics + table[i].off);
}

#define APPEND(...) do {							\
	int __n = snprintf(buf + used, len - used, __VA_ARGS__);		\
	if (__n < 0 || (size_t)__n >= len - used)				\
		goto too_small;							\
	used += (size_t)__n;							\
} while (0)

static size_t format_locked(char *buf, size_t len, uint64_t utc_ms, bool advance)
{
	uint64_t now[ARRAY_SIZE(table)];
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		now[i] = atomic_load_explicit(slot(i), memory_order_relaxed);
	APPEND("{\"utc_timestamp_ms\":%llu", (unsigned long long)utc_ms);
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		bool first = i == 0 || strcmp(table[i].group, table[i - 1].group);
		bool last_of = i + 1 == ARRAY_SIZE(table) ||
			       strcmp(table[i].group, table[i + 1].group);
		uint64_t v = table[i].kind == INC ? now[i] - last[i] : now[i];

		if (first)
			APPEND(",\"%s\":{", table[i].group);
		APPEND("%s\"%s\":%llu", first ? "" : ",", table[i].name, (unsigned long long)v);
		if (last_of)
			APPEND("}");
	}
	APPEND("}");
	if (advance)
		memcpy(last, now, sizeof(last));
	return used;
too_small:
	return 0;
}

size_t metrics_format(char *buf, size_t len, uint64_t utc_ms, bool advance)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = format_locked(buf, len, utc_ms, advance);
	pthread_mutex_unlock(&lock);
	return n;
}

int metrics_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&lock);
	if (metrics_fd >= 0)
		close(metrics_fd);
	metrics_fd = fd;
	pthread_mutex_unlock(&lock);
	return 0;
}

bool metrics_enabled(void)
{
	bool on;

	pthread_mutex_lock(&lock);
	on = metrics_fd >= 0;
	pthread_mutex_unlock(&lock);
	return on;
}

int metrics_flush(void)
{
	static char buf[8192];	/* under `lock` */
	struct timespec ts;
	uint64_t utc_ms;
	size_t n;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	utc_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	METRIC_SET(logger, missed_log_count, log_missed_count());
	pthread_mutex_lock(&lock);
	if (metrics_fd < 0) {
		pthread_mutex_unlock(&lock);
		return -ENODEV;
	}
	n = format_locked(buf, sizeof(buf) - 1, utc_ms, true);
	if (!n) {
		err = -ENOSPC;
	} else {
		buf[n++] = '\n';
		if (write(metrics_fd, buf, n) != (ssize_t)n)
			err = errno ? -errno : -EIO;
	}
	pthread_mutex_unlock(&lock);
	if (err) {
		METRIC_INC(logger, missed_metrics_count);
		METRIC_INC(logger, metrics_fails);
	}
	return err;
}

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	if (metrics_fd >= 0)
		close(metrics_fd);
	metrics_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		atomic_store(slot(i), 0);
	memset(last, 0, sizeof(last));
	pthread_mutex_unlock(&lock);
}
