/* SPDX-License-Identifier: MIT */
/* core/vmm.c: runs API actions on the VMM thread: pre-boot configuration, InstanceStart, pause/resume, metrics. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "api/schema.h"
#include "core/devices.h"
#include "core/vmm.h"
#include "dev/legacy.h"
#include "ember/guest_abi.h"
#include "snapshot/snapshot.h"
#include "util/metrics.h"
#include "virtio/balloon.h"
#include "virtio/blk/blk.h"
#include "virtio/net/net.h"

#define NOT_AFTER_BOOT	"The requested operation is not supported after starting the microVM."
#define NOT_BEFORE_BOOT	"The requested operation is not supported before starting the microVM."

/* ---- replies ------------------------------------------------------------ */

static void reply_json(struct vmm_action *a, json_t *j)
{
	a->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	a->status = a->body ? 200 : 400;
	if (!a->body)
		a->body = strdup("{\"fault_message\":\"out of memory\"}");
}

static void __printf(2, 3) reply_fault(struct vmm_action *a, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(a->body);
	a->body = NULL;
	reply_json(a, json_pack("{s:s}", "fault_message", msg));
	a->status = 400;
	log_info("API request %s failed: %s", api_op_name(a->call.op), msg);
}

static void reply_ok(struct vmm_action *a)
{
	a->status = 204;
	a->body = NULL;
}

/* ---- logging and metrics ------------------------------------------------ */

int vmm_apply_logging(const struct vm_config *cfg, char *why, size_t why_len)
{
	int err;

	if (cfg->logger.set) {
		if (cfg->logger.log_path) {
			err = log_open_path(cfg->logger.log_path);
			if (err) {
				METRIC_INC(logger, log_fails);
				snprintf(why, why_len, "cannot open log_path '%s': %s",
					 cfg->logger.log_path, strerror(-err));
				return -EINVAL;
			}
		}
		log_set_level((enum log_level)cfg->logger.level);
		log_set_show_level(cfg->logger.show_level);
		log_set_show_origin(cfg->logger.show_log_origin);
	}
	if (cfg->metrics.metrics_path) {
		err = metrics_open_path(cfg->metrics.metrics_path);
		if (err) {
			METRIC_INC(logger, metrics_fails);
			snprintf(why, why_len, "cannot open metrics_path '%s': %s",
				 cfg->metrics.metrics_path, strerror(-err));
			return -EINVAL;
		}
	}
	return 0;
}

/* Request counters with Firecracker's names: *_count per request, *_fails per failure. */
static void count_request(enum api_op op, bool failed)
{
#define PUT(n) do { METRIC_INC(put_api_requests, n##_count); \
		    if (failed) METRIC_INC(put_api_requests, n##_fails); } while (0)
#define PATCH(n) do { METRIC_INC(patch_api_requests, n##_count); \
		      if (failed) METRIC_INC(patch_api_requests, n##_fails); } while (0)
	switch (op) {
	case OP_GET_INFO: METRIC_INC(get_api_requests, instance_info_count); break;
	case OP_GET_VERSION: METRIC_INC(get_api_requests, vmm_version_count); break;
	case OP_GET_VM_CONFIG: METRIC_INC(get_api_requests, vm_config_count); break;
	case OP_GET_MACHINE: METRIC_INC(get_api_requests, machine_cfg_count); break;
	case OP_GET_BALLOON:
	case OP_GET_BALLOON_STATS: METRIC_INC(get_api_requests, balloon_count); break;
	case OP_PUT_MACHINE: PUT(machine_cfg); break;
	case OP_PUT_BOOT_SOURCE: PUT(boot_source); break;
	case OP_PUT_DRIVE: PUT(drive); break;
	case OP_PUT_NET: PUT(network); break;
	case OP_PUT_VSOCK: PUT(vsock); break;
	case OP_PUT_ENTROPY: PUT(entropy); break;
	case OP_PUT_BALLOON: PUT(balloon); break;
	case OP_PUT_LOGGER: PUT(logger); break;
	case OP_PUT_METRICS: PUT(metrics); break;
	case OP_PUT_SERIAL: PUT(serial); break;
	case OP_PUT_CPU_CONFIG: PUT(cpu_cfg); break;
	case OP_PUT_ACTIONS: PUT(actions); break;
	case OP_PATCH_MACHINE: PATCH(machine_cfg); break;
	case OP_PATCH_DRIVE: PATCH(drive); break;
	case OP_PATCH_NET: PATCH(network); break;
	case OP_PATCH_BALLOON:
	case OP_PATCH_BALLOON_STATS: PATCH(balloon); break;
	case OP_PATCH_VM: PATCH(vm); break;
	case OP_PUT_SNAPSHOT_CREATE:
	case OP_PUT_SNAPSHOT_LOAD: break;	/* logged; no Firecracker counter */
	}
#undef PUT
#undef PATCH
}

/* ---- the VM's lifecycle ------------------------------------------------- */

static const char *state_name(const struct vmm *v)
{
	if (!v->vm)
		return "Not started";
	return vm_is_paused(v->vm) ? "Paused" : "Running";
}

static int instance_start(struct vmm *v, char *why, size_t why_len)
{
	char inner[512];
	struct vm *vm;
	int err;

	if (v->vm) {
		snprintf(why, why_len, NOT_AFTER_BOOT);
		return -EINVAL;
	}
	v->instance_start_ns = now_ns();
	if (!v->cfg.boot_source_set && !v->cfg.kernel_path) {
		snprintf(why, why_len, "Cannot start microvm without kernel configuration.");
		return -EINVAL;
	}
	if (config_validate(&v->cfg, inner, sizeof(inner))) {
		snprintf(why, why_len, "Cannot start the microVM: %s", inner);
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(why, why_len, "Cannot start the microVM: out of memory");
		return -ENOMEM;
	}
	err = vm_create(vm, &v->cfg, inner, sizeof(inner));
	if (err) {
		free(vm);
		snprintf(why, why_len, "Cannot start the microVM: %s", inner);
		return err;
	}
	vm->times.process_start = v->process_start_ns;
	vm->times.config_done = v->instance_start_ns;
	v->vm = vm;
	v->start_requested = true;
	loop_stop(&v->preboot);
	log_info("InstanceStart: VM built in %.3f ms",
		 (double)(now_ns() - v->instance_start_ns) / 1e6);
	return 0;
}

int vmm_start_now(struct vmm *v, char *why, size_t why_len)
{
	return instance_start(v, why, why_len);
}

/* ---- one action --------------------------------------------------------- */

typedef int (*apply_fn)(struct vm_config *c, json_t *j, char *why, size_t why_len);

/* Apply a pre-boot change to a copy and keep it only if it is valid. */
static void apply_preboot(struct vmm *v, struct vmm_action *a, apply_fn fn)
{
	struct vm_config tmp;
	char why[512];
	int err;

	if (v->vm) {
		reply_fault(a, NOT_AFTER_BOOT);
		return;
	}
	if (config_copy(&tmp, &v->cfg)) {
		reply_fault(a, "out of memory");
		return;
	}
	switch (a->call.op) {
	case OP_PUT_DRIVE:
		err = schema_put_drive(&tmp, a->call.body, a->call.id, why, sizeof(why));
		break;
	case OP_PUT_NET:
		err = schema_put_net(&tmp, a->call.body, a->call.id, why, sizeof(why));
		break;
	default:
		err = fn(&tmp, a->call.body, why, sizeof(why));
		break;
	}
	if (!err && a->call.op == OP_PUT_LOGGER) {
		struct vm_config only = { .logger = tmp.logger };

		err = vmm_apply_logging(&only, why, sizeof(why));
	}
	if (!err && a->call.op == OP_PUT_METRICS) {
		struct vm_config only = { .metrics = tmp.metrics };

		err = vmm_apply_logging(&only, why, sizeof(why));
	}
	if (err) {
		config_free(&tmp);
		reply_fault(a, "%s", why);
		return;
	}
	config_free(&v->cfg);
	v->cfg = tmp;
	/* Logging, metrics and the serial output may be set before a snapshot
	 * load; anything else describes a VM to boot (Firecracker's rule). */
	if (a->call.op != OP_PUT_LOGGER && a->call.op != OP_PUT_METRICS &&
	    a->call.op != OP_PUT_SERIAL)
		v->resources_set = true;
	reply_ok(a);
}

/* ---- snapshots (docs/snapshots.md) -------------------------------------- */

static void snapshot_create(struct vmm *v, struct vmm_action *a)
{
	struct snapshot_create_req r;
	struct snap_create_stats st;
	char why[600];
	int err;

	if (schema_parse_snapshot_create(a->call.body, &r, why, sizeof(why))) {
		reply_fault(a, "%s", why);
		return;
	}
	if (!v->vm) {
		reply_fault(a, NOT_BEFORE_BOOT);
		return;
	}
	if (!vm_is_paused(v->vm)) {
		reply_fault(a, "Cannot create a snapshot: the microVM must be paused first "
			    "(PATCH /vm {\"state\": \"Paused\"}).");
		return;
	}
	err = snap_create(v->vm, &(struct snap_create_args){ .snap_path = r.snapshot_path,
			  .mem_path = r.mem_file_path, .diff = r.diff }, &st, why, sizeof(why));
	if (err) {
		reply_fault(a, "Cannot create a snapshot: %s", why);
		return;
	}
	log_info("snapshot %s created: state %.3f ms (%llu bytes), memory %.3f ms "
		 "(%llu KiB written), total %.3f ms", r.diff ? "diff" : "full",
		 (double)st.state_ns / 1e6, (unsigned long long)st.state_bytes,
		 (double)st.mem_ns / 1e6, (unsigned long long)(st.mem_bytes >> 10),
		 (double)st.total_ns / 1e6);
	reply_ok(a);
}

static void snapshot_load(struct vmm *v, struct vmm_action *a)
{
	struct snapshot_load_req r;
	struct snap_restore s;
	struct vm_config tmp, old;
	char why[600], inner[512];
	struct vm *vm;
	uint64_t t0 = now_ns();
	int err;

	if (v->vm || v->resources_set) {
		reply_fault(a, "Loading a microVM snapshot is not allowed after configuring "
			    "boot-specific resources or starting a microVM.");
		return;
	}
	if (schema_parse_snapshot_load(a->call.body, &r, why, sizeof(why))) {
		reply_fault(a, "%s", why);
		return;
	}
	if (config_copy(&tmp, &v->cfg)) {
		reply_fault(a, "out of memory");
		return;
	}
	/* The whole state file is checked before anything else happens. */
	err = snap_restore_open(&s, r.snapshot_path, r.mem_path, &tmp, inner, sizeof(inner));
	for (size_t i = 0; !err && i < r.n_net; i++) {
		unsigned int k;

		for (k = 0; k < tmp.n_nets; k++)
			if (!strcmp(tmp.nets[k].id, r.net[i].iface_id))
				break;
		if (k == tmp.n_nets) {
			snprintf(inner, sizeof(inner), "network override: the snapshot has no "
				 "interface '%s'", r.net[i].iface_id);
			err = -EINVAL;
		} else {
			snprintf(tmp.nets[k].host_dev_name, sizeof(tmp.nets[k].host_dev_name), "%s",
				 r.net[i].host_dev_name);
		}
	}
	if (!err && r.vsock_uds_path) {
		if (!tmp.vsock.enabled) {
			snprintf(inner, sizeof(inner), "vsock_override: the snapshot has no vsock "
				 "device");
			err = -EINVAL;
		} else {
			free(tmp.vsock.uds_path);
			tmp.vsock.uds_path = strdup(r.vsock_uds_path);
			err = tmp.vsock.uds_path ? 0 : -ENOMEM;
		}
	}
	if (!err && config_check_devices(&tmp, inner, sizeof(inner)))
		err = -EINVAL;
	tmp.track_dirty_pages = r.track_dirty_pages;
	vm = err ? NULL : calloc(1, sizeof(*vm));
	if (!err && !vm)
		err = -ENOMEM;
	if (!err) {
		/* vm->cfg points at v->cfg: install the snapshot's configuration
		 * first, and put the old one back if the build fails. */
		old = v->cfg;
		v->cfg = tmp;
		memset(&tmp, 0, sizeof(tmp));
		err = vm_create_restored(vm, &v->cfg, &s, inner, sizeof(inner));
		if (err) {
			tmp = v->cfg;
			v->cfg = old;
		} else {
			config_free(&old);
		}
	}
	snap_restore_close(&s);
	config_free(&tmp);
	if (err) {
		free(vm);
		reply_fault(a, "Cannot load the snapshot: %s", err == -ENOMEM ? "out of memory"
								      : inner);
		return;
	}
	vm->times.process_start = v->process_start_ns;
	vm->times.config_done = t0;
	v->instance_start_ns = t0;
	v->vm = vm;
	v->restored = true;
	v->start_requested = true;
	loop_stop(&v->preboot);
	/* No vCPU thread exists yet: this only marks the VM paused. */
	if (!r.resume_vm && vm_pause(vm))
		log_warn("cannot keep the restored VM paused");
	log_info("LoadSnapshot: VM restored in %.3f ms (%s)", (double)(now_ns() - t0) / 1e6,
		 r.resume_vm ? "running" : "paused");
	reply_ok(a);
}

static void do_action(struct vmm *v, struct vmm_action *a)
{
	enum api_action_type type;
	char why[600];

	if (schema_parse_action(a->call.body, &type, why, sizeof(why))) {
		reply_fault(a, "%s", why);
		return;
	}
	switch (type) {
	case ACTION_INSTANCE_START:
		if (instance_start(v, why, sizeof(why))) {
			reply_fault(a, "%s", why);
			return;
		}
		reply_ok(a);
		return;
	case ACTION_SEND_CTRL_ALT_DEL:
		if (!v->vm) {
			reply_fault(a, NOT_BEFORE_BOOT);
			return;
		}
		i8042_send_ctrl_alt_del(v->vm->i8042);
		reply_ok(a);
		return;
	case ACTION_FLUSH_METRICS: {
		int err = metrics_flush();

		if (err == -ENODEV)
			reply_fault(a, "metrics are not configured: PUT /metrics first");
		else if (err)
			reply_fault(a, "cannot write metrics: %s", strerror(-err));
		else
			reply_ok(a);
		return;
	}
	}
}

/* ---- post-boot device updates (PATCH after InstanceStart) --------------- */

/* PATCH /drives/{id}: the block device swaps its file and/or rate limiter,
 * then the configuration follows, so GET /vm/config shows what runs. */
static void patch_drive(struct vmm *v, struct vmm_action *a, const struct drive_patch *p)
{
	struct virtio_blk *b = devices_find_blk(v->vm, a->call.id);
	struct drive_cfg *dc = NULL;
	char why[600], *path = NULL;

	for (unsigned int i = 0; i < v->cfg.n_drives; i++)
		if (!strcmp(v->cfg.drives[i].id, a->call.id))
			dc = &v->cfg.drives[i];
	if (!b || !dc) {
		reply_fault(a, "no drive with id '%s' is attached", a->call.id);
		return;
	}
	if (p->path && !(path = strdup(p->path))) {
		reply_fault(a, "out of memory");
		return;
	}
	if (virtio_blk_update(b, p->path, p->has_rate_limiter ? &p->rate_limiter : NULL, why,
			      sizeof(why))) {
		free(path);
		reply_fault(a, "%s", why);
		return;
	}
	if (path) {
		free(dc->path);
		dc->path = path;
	}
	if (p->has_rate_limiter)
		dc->rate_limiter = p->rate_limiter;
	log_info("drive '%s' updated%s%s%s", a->call.id, p->path ? ": path_on_host " : "",
		 p->path ? p->path : "", p->has_rate_limiter ? " (new rate limiter)" : "");
	reply_ok(a);
}

/* PATCH /network-interfaces/{id}: new rx and/or tx rate limiters. */
static void patch_net(struct vmm *v, struct vmm_action *a, const struct net_patch *p)
{
	struct virtio_net *n = devices_find_net(v->vm, a->call.id);
	struct net_cfg *nc = NULL;

	for (unsigned int i = 0; i < v->cfg.n_nets; i++)
		if (!strcmp(v->cfg.nets[i].id, a->call.id))
			nc = &v->cfg.nets[i];
	if (!n || !nc) {
		reply_fault(a, "no network interface with id '%s' is attached", a->call.id);
		return;
	}
	virtio_net_update_rate_limiters(n, p->has_rx ? &p->rx : NULL, p->has_tx ? &p->tx : NULL);
	if (p->has_rx)
		nc->rx_rate_limiter = p->rx;
	if (p->has_tx)
		nc->tx_rate_limiter = p->tx;
	log_info("network interface '%s': rate limiters updated", a->call.id);
	reply_ok(a);
}

/* PATCH /balloon and PATCH /balloon/statistics after boot. */
static void patch_balloon(struct vmm *v, struct vmm_action *a)
{
	struct virtio_balloon *b = devices_balloon(v->vm);
	struct vm_config tmp;
	struct balloon_cfg nb;
	char why[600];
	int err;

	if (config_copy(&tmp, &v->cfg)) {
		reply_fault(a, "out of memory");
		return;
	}
	err = a->call.op == OP_PATCH_BALLOON
		? schema_patch_balloon(&tmp, a->call.body, why, sizeof(why))
		: schema_patch_balloon_stats(&tmp, a->call.body, why, sizeof(why));
	nb = tmp.balloon;
	config_free(&tmp);
	if (err) {
		reply_fault(a, "%s", why);
		return;
	}
	if (!b) {
		reply_fault(a, "no balloon device is attached");
		return;
	}
	if (a->call.op == OP_PATCH_BALLOON) {
		virtio_balloon_set_target(b, nb.amount_mib);
		log_info("balloon target %u MiB", nb.amount_mib);
	} else {
		/* The statistics queue is offered (or not) at boot; as in
		 * Firecracker only its period can change afterwards. */
		if (!v->cfg.balloon.stats_polling_interval_s != !nb.stats_polling_interval_s) {
			reply_fault(a, "balloon statistics cannot be %s after boot (the statistics "
				    "queue is negotiated with the guest at boot)",
				    nb.stats_polling_interval_s ? "enabled" : "disabled");
			return;
		}
		virtio_balloon_set_stats_interval(b, nb.stats_polling_interval_s);
		log_info("balloon statistics every %u s", nb.stats_polling_interval_s);
	}
	v->cfg.balloon = nb;
	reply_ok(a);
}

/* GET /balloon/statistics: Firecracker's BalloonStats; a statistic appears
 * once the guest has reported it. */
static json_t *balloon_stats_json(const struct balloon_stats *st)
{
	static const char *const names[BALLOON_NR_STATS] = {
		"swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
		"total_memory", "available_memory", "disk_caches", "hugetlb_allocations",
		"hugetlb_failures", "oom_kill", "alloc_stall", "async_scan", "direct_scan",
		"async_reclaim", "direct_reclaim",
	};
	const uint32_t per_mib = (uint32_t)(MiB(1) / BALLOON_PAGE);
	json_t *j = json_pack("{s:I,s:I,s:I,s:I}", "target_pages", (json_int_t)st->target_pages,
			      "actual_pages", (json_int_t)st->actual_pages,
			      "target_mib", (json_int_t)(st->target_pages / per_mib),
			      "actual_mib", (json_int_t)(st->actual_pages / per_mib));

	for (unsigned int t = 0; j && t < BALLOON_NR_STATS; t++) {
		/* JSON integers are signed 64-bit: clamp what no guest can mean. */
		uint64_t val = st->stats[t] > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX
								  : st->stats[t];

		if (st->valid[t] && json_object_set_new(j, names[t], json_integer((json_int_t)val))) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

static void get_balloon_stats(struct vmm *v, struct vmm_action *a)
{
	struct virtio_balloon *b;
	struct balloon_stats st;

	if (!v->vm) {
		reply_fault(a, NOT_BEFORE_BOOT);
		return;
	}
	b = devices_balloon(v->vm);
	if (!v->cfg.balloon.enabled || !b) {
		reply_fault(a, "no balloon device is configured");
		return;
	}
	if (!v->cfg.balloon.stats_polling_interval_s) {
		reply_fault(a, "Statistics for the balloon device are not enabled "
			    "(stats_polling_interval_s is 0)");
		return;
	}
	virtio_balloon_get_stats(b, &st);
	reply_json(a, balloon_stats_json(&st));
}

static void execute(struct vmm *v, struct vmm_action *a)
{
	char why[600];
	json_t *j;

	log_info("API request: %s%s%s", api_op_name(a->call.op), a->call.id[0] ? " " : "",
		 a->call.id);
	switch (a->call.op) {
	case OP_GET_INFO:
		reply_json(a, json_pack("{s:s,s:s,s:s,s:s}", "id", v->id, "state", state_name(v),
					"vmm_version", EMBER_VERSION, "app_name", "ember"));
		break;
	case OP_GET_VERSION:
		reply_json(a, json_pack("{s:s}", "firecracker_version", EMBER_VERSION));
		break;
	case OP_GET_VM_CONFIG:
		reply_json(a, schema_vm_config_json(&v->cfg));
		break;
	case OP_GET_MACHINE:
		reply_json(a, schema_machine_config_json(&v->cfg));
		break;
	case OP_PUT_MACHINE: apply_preboot(v, a, schema_put_machine_config); break;
	case OP_PATCH_MACHINE: apply_preboot(v, a, schema_patch_machine_config); break;
	case OP_PUT_BOOT_SOURCE: apply_preboot(v, a, schema_put_boot_source); break;
	case OP_PUT_DRIVE:
	case OP_PUT_NET: apply_preboot(v, a, NULL); break;
	case OP_PUT_VSOCK: apply_preboot(v, a, schema_put_vsock); break;
	case OP_PUT_ENTROPY: apply_preboot(v, a, schema_put_entropy); break;
	case OP_PUT_BALLOON: apply_preboot(v, a, schema_put_balloon); break;
	case OP_PUT_LOGGER: apply_preboot(v, a, schema_put_logger); break;
	case OP_PUT_METRICS: apply_preboot(v, a, schema_put_metrics); break;
	case OP_PUT_SERIAL: apply_preboot(v, a, schema_put_serial); break;
	case OP_PUT_CPU_CONFIG: apply_preboot(v, a, schema_put_cpu_config); break;
	case OP_PATCH_DRIVE: {
		struct drive_patch p;

		if (!v->vm) {
			reply_fault(a, NOT_BEFORE_BOOT);
			break;
		}
		if (schema_patch_drive(&v->cfg, a->call.body, a->call.id, &p, why, sizeof(why))) {
			reply_fault(a, "%s", why);
			break;
		}
		patch_drive(v, a, &p);
		free(p.path);
		break;
	}
	case OP_PATCH_NET: {
		struct net_patch p;

		if (!v->vm) {
			reply_fault(a, NOT_BEFORE_BOOT);
			break;
		}
		if (schema_patch_net(&v->cfg, a->call.body, a->call.id, &p, why, sizeof(why))) {
			reply_fault(a, "%s", why);
			break;
		}
		patch_net(v, a, &p);
		break;
	}
	case OP_GET_BALLOON:
		j = schema_balloon_json(&v->cfg);
		if (!j)
			reply_fault(a, "no balloon device is configured");
		else
			reply_json(a, j);
		break;
	case OP_PATCH_BALLOON:
	case OP_PATCH_BALLOON_STATS:
		if (!v->vm) {
			apply_preboot(v, a, a->call.op == OP_PATCH_BALLOON ? schema_patch_balloon
									 : schema_patch_balloon_stats);
			break;
		}
		patch_balloon(v, a);
		break;
	case OP_GET_BALLOON_STATS:
		get_balloon_stats(v, a);
		break;
	case OP_PUT_ACTIONS:
		do_action(v, a);
		break;
	case OP_PUT_SNAPSHOT_CREATE:
		snapshot_create(v, a);
		break;
	case OP_PUT_SNAPSHOT_LOAD:
		snapshot_load(v, a);
		break;
	case OP_PATCH_VM: {
		bool pause;

		if (schema_parse_vm_state(a->call.body, &pause, why, sizeof(why))) {
			reply_fault(a, "%s", why);
			break;
		}
		if (!v->vm) {
			reply_fault(a, NOT_BEFORE_BOOT);
			break;
		}
		if (pause) {
			if (!vm_is_paused(v->vm) && vm_pause(v->vm)) {
				reply_fault(a, "cannot pause: the VM is stopping");
				break;
			}
			log_info("VM paused");
		} else {
			vm_resume(v->vm);
			log_info("VM resumed");
		}
		reply_ok(a);
		break;
	}
	default:
		reply_fault(a, "unsupported operation");
		break;
	}
	count_request(a->call.op, a->status >= 400);
}

/* ---- loop callbacks ----------------------------------------------------- */

static void on_action(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	struct vmm_action *a;
	bool booted;
	uint64_t n;

	(void)events;
	if (read(v->action_efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("action eventfd: %s", strerror(errno));
	for (;;) {
		pthread_mutex_lock(&v->lock);
		a = v->head;
		if (a) {
			v->head = a->next;
			if (!v->head)
				v->tail = NULL;
		}
		pthread_mutex_unlock(&v->lock);
		if (!a)
			break;
		booted = v->vm != NULL;
		execute(v, a);
		pthread_mutex_lock(&v->lock);
		a->done = true;
		pthread_cond_broadcast(&v->cond);
		pthread_mutex_unlock(&v->lock);
		/* After InstanceStart the rest waits for the VM's loop (vmm_run rings again). */
		if (!booted && v->vm)
			break;
	}
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(v->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("signal %u: stopping", si.ssi_signo);
	if (v->vm) {
		vm_request_stop(v->vm, VM_STOP_USER);
	} else {
		v->exit_requested = true;
		loop_stop(&v->preboot);
	}
}

static void on_timer(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	uint64_t n;

	(void)events;
	if (read(v->timer_fd, &n, sizeof(n)) < 0)
		return;
	if (metrics_enabled() && metrics_flush())
		log_debug("periodic metrics flush failed");
}

/* ---- set-up and the run loop -------------------------------------------- */

int vmm_init(struct vmm *v, const char *id, struct vm_config *cfg, uint64_t process_start_ns,
	     char *why, size_t why_len)
{
	sigset_t set;
	int err;

	memset(v, 0, sizeof(*v));
	v->action_efd = v->sig_fd = v->timer_fd = -1;
	v->preboot.epfd = -1;
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	v->process_start_ns = process_start_ns;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client closing its socket mid-reply must not kill the process. */
	signal(SIGPIPE, SIG_IGN);

	err = loop_init(&v->preboot);
	if (err) {
		snprintf(why, why_len, "epoll: %s", strerror(-err));
		return err;
	}
	v->action_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->action_efd < 0 || v->sig_fd < 0 || v->timer_fd < 0) {
		err = -errno;
		snprintf(why, why_len, "eventfd/signalfd/timerfd: %s", strerror(errno));
		return err;
	}
	err = loop_add_fd(&v->preboot, v->action_efd, EPOLLIN, on_action, v);
	if (!err)
		err = loop_add_fd(&v->preboot, v->sig_fd, EPOLLIN, on_signal, v);
	if (!err)
		err = loop_add_fd(&v->preboot, v->timer_fd, EPOLLIN, on_timer, v);
	if (err) {
		snprintf(why, why_len, "event loop: %s", strerror(-err));
		return err;
	}
	return 0;
}

int vmm_post(struct vmm *v, struct vmm_action *a)
{
	uint64_t one = 1;

	pthread_mutex_lock(&v->lock);
	if (v->shutting_down) {
		pthread_mutex_unlock(&v->lock);
		return -ESHUTDOWN;
	}
	a->done = false;
	a->next = NULL;
	a->body = NULL;
	if (v->tail)
		v->tail->next = a;
	else
		v->head = a;
	v->tail = a;
	if (write(v->action_efd, &one, sizeof(one)) < 0)
		log_debug("action eventfd: %s", strerror(errno));
	while (!a->done)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

/* Move the pre-boot loop's fds into the VM's loop (same callbacks). */
static int move_loop(struct loop *from, struct loop *to)
{
	for (unsigned int i = 0; i < from->n; i++) {
		struct loop_entry *e = &from->entries[i];
		int err;

		if (!e->fn)
			continue;
		err = loop_add_fd(to, e->fd, EPOLLIN, e->fn, e->opaque);
		if (err)
			return err;
	}
	loop_destroy(from);
	return 0;
}

static double ms_between(uint64_t a, uint64_t b)
{
	return a && b >= a ? (double)(b - a) / 1e6 : -1.0;
}

int vmm_run(struct vmm *v)
{
	struct itimerspec period = {
		.it_interval = { VMM_METRICS_PERIOD_S, 0 },
		.it_value = { VMM_METRICS_PERIOD_S, 0 },
	};
	enum vm_stop_reason r;
	uint64_t one = 1, first;
	int status, err;

	if (!v->start_requested) {
		err = loop_run(&v->preboot);
		if (err) {
			log_error("event loop failed: %s", strerror(-err));
			return EMBER_EXIT_VMM_ERROR;
		}
	}
	if (!v->vm)
		return v->exit_requested ? EMBER_EXIT_OK : EMBER_EXIT_VMM_ERROR;

	err = move_loop(&v->preboot, &v->vm->loop);
	if (err) {
		log_error("event loop: %s", strerror(-err));
		return EMBER_EXIT_VMM_ERROR;
	}
	if (console_attach(&v->con, v->vm, v->cfg.serial_raw))
		log_warn("cannot attach stdin to the serial console");
	else
		v->con_attached = true;
	/* Actions queued behind InstanceStart run on the VM's loop. */
	if (write(v->action_efd, &one, sizeof(one)) < 0)
		log_debug("action eventfd: %s", strerror(errno));
	if (timerfd_settime(v->timer_fd, 0, &period, NULL) < 0)
		log_warn("metrics timer: %s", strerror(errno));
	if (metrics_enabled() && metrics_flush())
		log_warn("cannot write metrics at InstanceStart");

	r = vm_run(v->vm);

	if (v->con_attached)
		console_detach(&v->con);
	v->con_attached = false;
	status = vm_exit_status(v->vm, r);
	first = atomic_load(&v->vm->times.first_exit);
	log_info("%s to the first guest exit: %.3f ms; VM ran %.3f ms",
		 v->restored ? "LoadSnapshot" : "InstanceStart",
		 ms_between(v->instance_start_ns, first),
		 ms_between(v->vm->times.vcpus_ready, v->vm->times.stopped));
	if (v->cfg.boot_time)
		fprintf(stderr, "ember: InstanceStart at %.3f ms after process start; first guest "
			"exit %.3f ms after InstanceStart; VM built in %.3f ms\n",
			ms_between(v->process_start_ns, v->instance_start_ns),
			ms_between(v->instance_start_ns, first),
			ms_between(v->instance_start_ns, v->vm->times.vcpus_ready));
	if (r == VM_STOP_PANIC || atomic_load(&v->vm->guest_panicked))
		METRIC_INC(vmm, panic_count);
	if (metrics_enabled())
		(void)metrics_flush();
	return status;
}

void vmm_shutdown(struct vmm *v)
{
	struct vmm_action *a;

	pthread_mutex_lock(&v->lock);
	v->shutting_down = true;
	while ((a = v->head)) {
		v->head = a->next;
		a->status = 400;
		a->body = strdup("{\"fault_message\":\"the VMM is shutting down\"}");
		a->done = true;
	}
	v->tail = NULL;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vmm_destroy(struct vmm *v)
{
	if (v->vm) {
		vm_destroy(v->vm);
		free(v->vm);
		v->vm = NULL;
	}
	if (v->preboot.epfd >= 0)
		loop_destroy(&v->preboot);
	if (v->action_efd >= 0)
		close(v->action_efd);
	if (v->sig_fd >= 0)
		close(v->sig_fd);
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	v->action_efd = v->sig_fd = v->timer_fd = -1;
	config_free(&v->cfg);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->cond);
}
