/* SPDX-License-Identifier: MIT */
/* api/schema.h: Firecracker's JSON objects <-> struct vm_config, shared by the API and --config-file. */
#ifndef EMBER_SCHEMA_H
#define EMBER_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"

/*
 * Every schema_* function is pure: it checks one JSON value against
 * Firecracker's schema for that object (unknown fields, missing required
 * fields, types and ranges are all refused, as serde's deny_unknown_fields
 * does) and applies it to *c.  On error it returns -EINVAL with one line in
 * *why and may have changed *c partly: callers apply to a copy and keep the
 * copy only on success.  `path_id` is the id from the URL (/drives/{id}),
 * or NULL when the object comes from a config file.
 */
int schema_put_boot_source(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_machine_config(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_patch_machine_config(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_drive(struct vm_config *c, json_t *j, const char *path_id, char *why,
		     size_t why_len) __must_check;
int schema_put_net(struct vm_config *c, json_t *j, const char *path_id, char *why,
		   size_t why_len) __must_check;
int schema_put_vsock(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_entropy(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_balloon(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_patch_balloon(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_patch_balloon_stats(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_logger(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_metrics(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_serial(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;
int schema_put_cpu_config(struct vm_config *c, json_t *j, char *why, size_t why_len) __must_check;

/* PATCH /drives/{id}: {drive_id, path_on_host?, rate_limiter?}; checked only
 * (the drive must exist in c).  Outputs what the patch asks for. */
struct drive_patch {
	char *path;			/* NULL: unchanged; caller frees */
	bool has_rate_limiter;
	struct rate_limiter_cfg rate_limiter;
};
int schema_patch_drive(const struct vm_config *c, json_t *j, const char *path_id,
		       struct drive_patch *out, char *why, size_t why_len) __must_check;

/* PATCH /network-interfaces/{id}: {iface_id, rx_rate_limiter?, tx_rate_limiter?}. */
struct net_patch {
	bool has_rx, has_tx;
	struct rate_limiter_cfg rx, tx;
};
int schema_patch_net(const struct vm_config *c, json_t *j, const char *path_id,
		     struct net_patch *out, char *why, size_t why_len) __must_check;

/* PUT /actions {action_type}. */
enum api_action_type { ACTION_INSTANCE_START = 1, ACTION_SEND_CTRL_ALT_DEL, ACTION_FLUSH_METRICS };
int schema_parse_action(json_t *j, enum api_action_type *out, char *why, size_t why_len) __must_check;
/* PATCH /vm {state: Paused|Resumed}; *pause is true for Paused. */
int schema_parse_vm_state(json_t *j, bool *pause, char *why, size_t why_len) __must_check;

/* PUT /snapshot/create {snapshot_type: Full|Diff (default Full), snapshot_path,
 * mem_file_path}.  Strings point into j. */
struct snapshot_create_req {
	bool diff;
	const char *snapshot_path;
	const char *mem_file_path;
};
int schema_parse_snapshot_create(json_t *j, struct snapshot_create_req *out, char *why,
				 size_t why_len) __must_check;

/* PUT /snapshot/load {snapshot_path, mem_backend {backend_type File, backend_path} or
 * the deprecated mem_file_path, track_dirty_pages (or enable_diff_snapshots),
 * resume_vm, network_overrides [{iface_id, host_dev_name}], vsock_override
 * {uds_path}}; Uffd and clock_realtime true are refused.  Strings point into j. */
struct snapshot_load_req {
	const char *snapshot_path;
	const char *mem_path;
	bool track_dirty_pages;
	bool resume_vm;
	size_t n_net;
	struct {
		char iface_id[CONFIG_ID_MAX + 1];
		char host_dev_name[16];
	} net[CONFIG_MAX_NETS];
	const char *vsock_uds_path;	/* NULL: keep the snapshot's */
};
int schema_parse_snapshot_load(json_t *j, struct snapshot_load_req *out, char *why,
			       size_t why_len) __must_check;

/*
 * A whole Firecracker config file (kebab-case top-level keys) applied to c.
 * Sections that are null are skipped; mmds-config other than null is refused.
 */
int schema_apply_document(struct vm_config *c, json_t *root, char *why, size_t why_len) __must_check;

/* Renderings for GET; new references (NULL on allocation failure). */
json_t *schema_vm_config_json(const struct vm_config *c);	/* GET /vm/config; same schema as the file */
json_t *schema_machine_config_json(const struct vm_config *c);
json_t *schema_balloon_json(const struct vm_config *c);	/* NULL if no balloon either */

/* Parse a JSON text that must be an object: duplicate keys and trailing
 * bytes are refused.  NULL with *why on error. */
json_t *schema_load(const char *text, size_t len, char *why, size_t why_len);

#endif
