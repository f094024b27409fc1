/* SPDX-License-Identifier: MIT */
/* util/metrics.h: process-wide counters, written as one JSON line per flush with Firecracker's names. */
#ifndef EMBER_METRICS_H
#define EMBER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

/*
 * X(group, name, kind): every metric ember reports.  kind INC is a counter
 * reported as the increase since the previous flush (Firecracker's
 * SharedIncMetric); kind STORE is a value reported as is (SharedStoreMetric).
 * Names follow Firecracker's metrics.rs where the meaning is the same.
 * Devices add to block.* and net.* with METRIC_ADD.
 */
#define METRICS_TABLE(X)							\
	X(api_server, process_startup_time_us, STORE)				\
	X(api_server, process_startup_time_cpu_us, STORE)			\
	X(api_server, sync_response_fails, INC)					\
	X(api_server, sync_vmm_send_timeout_count, INC)				\
	X(get_api_requests, instance_info_count, INC)				\
	X(get_api_requests, machine_cfg_count, INC)				\
	X(get_api_requests, vmm_version_count, INC)				\
	X(get_api_requests, vm_config_count, INC)				\
	X(get_api_requests, balloon_count, INC)					\
	X(put_api_requests, actions_count, INC)					\
	X(put_api_requests, actions_fails, INC)					\
	X(put_api_requests, boot_source_count, INC)				\
	X(put_api_requests, boot_source_fails, INC)				\
	X(put_api_requests, drive_count, INC)					\
	X(put_api_requests, drive_fails, INC)					\
	X(put_api_requests, logger_count, INC)					\
	X(put_api_requests, logger_fails, INC)					\
	X(put_api_requests, machine_cfg_count, INC)				\
	X(put_api_requests, machine_cfg_fails, INC)				\
	X(put_api_requests, cpu_cfg_count, INC)					\
	X(put_api_requests, cpu_cfg_fails, INC)					\
	X(put_api_requests, metrics_count, INC)					\
	X(put_api_requests, metrics_fails, INC)					\
	X(put_api_requests, network_count, INC)					\
	X(put_api_requests, network_fails, INC)					\
	X(put_api_requests, vsock_count, INC)					\
	X(put_api_requests, vsock_fails, INC)					\
	X(put_api_requests, entropy_count, INC)					\
	X(put_api_requests, entropy_fails, INC)					\
	X(put_api_requests, balloon_count, INC)					\
	X(put_api_requests, balloon_fails, INC)					\
	X(put_api_requests, serial_count, INC)					\
	X(put_api_requests, serial_fails, INC)					\
	X(patch_api_requests, drive_count, INC)					\
	X(patch_api_requests, drive_fails, INC)					\
	X(patch_api_requests, network_count, INC)				\
	X(patch_api_requests, network_fails, INC)				\
	X(patch_api_requests, machine_cfg_count, INC)				\
	X(patch_api_requests, machine_cfg_fails, INC)				\
	X(patch_api_requests, balloon_count, INC)				\
	X(patch_api_requests, balloon_fails, INC)				\
	X(patch_api_requests, vm_count, INC)					\
	X(patch_api_requests, vm_fails, INC)					\
	X(vmm, panic_count, INC)						\
	X(vcpu, exit_io_in, INC)						\
	X(vcpu, exit_io_out, INC)						\
	X(vcpu, exit_mmio_read, INC)						\
	X(vcpu, exit_mmio_write, INC)						\
	X(vcpu, failures, INC)							\
	X(logger, missed_metrics_count, INC)					\
	X(logger, metrics_fails, INC)						\
	X(logger, missed_log_count, INC)					\
	X(logger, log_fails, INC)						\
	X(block, activate_fails, INC)						\
	X(block, cfg_fails, INC)						\
	X(block, event_fails, INC)						\
	X(block, execute_fails, INC)						\
	X(block, invalid_reqs_count, INC)					\
	X(block, flush_count, INC)						\
	X(block, queue_event_count, INC)					\
	X(block, read_bytes, INC)						\
	X(block, write_bytes, INC)						\
	X(block, read_count, INC)						\
	X(block, write_count, INC)						\
	X(block, rate_limiter_throttled_events, INC)				\
	X(net, activate_fails, INC)						\
	X(net, cfg_fails, INC)							\
	X(net, event_fails, INC)						\
	X(net, rx_queue_event_count, INC)					\
	X(net, rx_bytes_count, INC)						\
	X(net, rx_packets_count, INC)						\
	X(net, rx_fails, INC)							\
	X(net, tx_queue_event_count, INC)					\
	X(net, tx_bytes_count, INC)						\
	X(net, tx_packets_count, INC)						\
	X(net, tx_fails, INC)							\
	X(net, rx_rate_limiter_throttled, INC)					\
	X(net, tx_rate_limiter_throttled, INC)

struct metrics {
#define METRICS_FIELD(g, n, k) _Atomic uint64_t g##__##n;
	METRICS_TABLE(METRICS_FIELD)
#undef METRICS_FIELD
};

extern struct metrics metrics;

/* Thread-safe, lock-free; any thread (vCPU, VMM, API). */
#define METRIC_ADD(g, n, v) \
	atomic_fetch_add_explicit(&metrics.g##__##n, (uint64_t)(v), memory_order_relaxed)
#define METRIC_INC(g, n) METRIC_ADD(g, n, 1)
#define METRIC_SET(g, n, v) \
	atomic_store_explicit(&metrics.g##__##n, (uint64_t)(v), memory_order_relaxed)
#define METRIC_GET(g, n) atomic_load_explicit(&metrics.g##__##n, memory_order_relaxed)

/*
 * Format one JSON object (no newline) into buf: {"utc_timestamp_ms":T,
 * "api_server":{...},...}.  INC metrics are reported as the increase since
 * the previous call that had `advance` set.  Returns the length, or 0 when
 * buf is too small (nothing advanced then).
 */
size_t metrics_format(char *buf, size_t len, uint64_t utc_ms, bool advance);

/* Open the metrics file or FIFO (created 0600 if missing; never blocks). 0 / -errno. */
int metrics_open_path(const char *path) __must_check;
bool metrics_enabled(void);
/* Write one line to the metrics fd.  0, -ENODEV (none configured) or -errno. */
int metrics_flush(void);
/* For unit tests: forget the fd and zero every metric. */
void metrics_reset(void);

#endif
