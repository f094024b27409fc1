/* SPDX-License-Identifier: MIT */
/* api/schema.c: checks Firecracker's request/config objects field by field and applies them to a vm_config. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/schema.h"
#include "arch/x86/cpu_template.h"
#include "mem/layout.h"
#include "util/log.h"

#define ERR(...) do { snprintf(why, why_len, __VA_ARGS__); return -EINVAL; } while (0)
#define TRY(x) do { int __e = (x); if (__e < 0) return __e; } while (0)

#define MAX_PATH_LEN	4096

/* ---- generic field access ---------------------------------------------- */

static int check_object(json_t *j, const char *what, const char *const *allowed,
			char *why, size_t why_len)
{
	const char *key;
	json_t *v;

	if (!json_is_object(j))
		ERR("%s must be a JSON object", what);
	json_object_foreach(j, key, v) {
		size_t i;
		char list[512] = "";
		size_t used = 0;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (allowed[i])
			continue;
		for (i = 0; allowed[i] && used < sizeof(list); i++) {
			int n = snprintf(list + used, sizeof(list) - used, "%s%s",
					 i ? ", " : "", allowed[i]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		ERR("unknown field `%s` in %s; expected one of: %s", key, what, list);
	}
	return 0;
}

/* Each getter returns 1 when the field is present, 0 when it is absent or
 * null (an error if `required`), -EINVAL on a wrong type or value. */
static int get_str(json_t *o, const char *key, const char *what, bool required,
		   const char **out, char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (required)
			ERR("missing field `%s` in %s", key, what);
		return 0;
	}
	if (!json_is_string(v))
		ERR("field `%s` in %s must be a string", key, what);
	if (json_string_length(v) > MAX_PATH_LEN)
		ERR("field `%s` in %s is longer than %d bytes", key, what, MAX_PATH_LEN);
	*out = json_string_value(v);
	return 1;
}

static int get_bool(json_t *o, const char *key, const char *what, bool required, bool *out,
		    char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (required)
			ERR("missing field `%s` in %s", key, what);
		return 0;
	}
	if (!json_is_boolean(v))
		ERR("field `%s` in %s must be true or false", key, what);
	*out = json_is_true(v);
	return 1;
}

static int get_uint(json_t *o, const char *key, const char *what, bool required,
		    uint64_t max, uint64_t *out, char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);
	json_int_t x;

	if (!v || json_is_null(v)) {
		if (required)
			ERR("missing field `%s` in %s", key, what);
		return 0;
	}
	if (!json_is_integer(v))
		ERR("field `%s` in %s must be an unsigned integer", key, what);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > max)
		ERR("field `%s` in %s is %lld, out of range 0..%" PRIu64, key, what,
		    (long long)x, max);
	*out = (uint64_t)x;
	return 1;
}

static int set_str(char **dst, const char *v)
{
	char *s = v ? strdup(v) : NULL;

	if (v && !s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* ---- rate limiters ------------------------------------------------------ */

static int parse_bucket(json_t *j, const char *what, struct token_bucket_cfg *b,
			char *why, size_t why_len)
{
	static const char *const keys[] = { "size", "one_time_burst", "refill_time", NULL };
	uint64_t v;
	int r;

	memset(b, 0, sizeof(*b));
	if (!j || json_is_null(j))
		return 0;
	TRY(check_object(j, what, keys, why, why_len));
	TRY(get_uint(j, "size", what, true, UINT64_MAX >> 1, &b->size, why, why_len));
	r = get_uint(j, "one_time_burst", what, false, UINT64_MAX >> 1, &v, why, why_len);
	TRY(r);
	b->one_time_burst = r ? v : 0;
	TRY(get_uint(j, "refill_time", what, true, UINT64_MAX >> 1, &b->refill_time_ms,
		     why, why_len));
	if (b->size && !b->refill_time_ms)
		ERR("%s: refill_time must be more than 0 when size is set", what);
	return 0;
}

static int parse_rate_limiter(json_t *j, const char *what, struct rate_limiter_cfg *rl,
			      char *why, size_t why_len)
{
	static const char *const keys[] = { "bandwidth", "ops", NULL };
	char sub[96];

	memset(rl, 0, sizeof(*rl));
	if (!j || json_is_null(j))
		return 0;
	TRY(check_object(j, what, keys, why, why_len));
	snprintf(sub, sizeof(sub), "%s.bandwidth", what);
	TRY(parse_bucket(json_object_get(j, "bandwidth"), sub, &rl->bandwidth, why, why_len));
	snprintf(sub, sizeof(sub), "%s.ops", what);
	TRY(parse_bucket(json_object_get(j, "ops"), sub, &rl->ops, why, why_len));
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

int schema_put_boot_source(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "kernel_image_path", "boot_args", "initrd_path", NULL };
	const char *kernel = NULL, *args = NULL, *initrd = NULL;

	TRY(check_object(j, "boot-source", keys, why, why_len));
	TRY(get_str(j, "kernel_image_path", "boot-source", true, &kernel, why, why_len));
	TRY(get_str(j, "boot_args", "boot-source", false, &args, why, why_len));
	TRY(get_str(j, "initrd_path", "boot-source", false, &initrd, why, why_len));
	if (!*kernel)
		ERR("kernel_image_path in boot-source is empty");
	if (args && strlen(args) >= LAYOUT_CMDLINE_MAX - 512)
		ERR("boot_args longer than %u bytes", LAYOUT_CMDLINE_MAX - 512);
	if (set_str(&c->kernel_path, kernel) || set_str(&c->cmdline, args) ||
	    set_str(&c->initrd_path, initrd))
		ERR("out of memory");
	c->boot_source_set = true;
	return 0;
}

static const char *const machine_keys[] = {
	"vcpu_count", "mem_size_mib", "smt", "ht_enabled", "cpu_template", "track_dirty_pages",
	"huge_pages", NULL,
};

static int machine_common(struct vm_config *c, json_t *j, bool put, char *why, size_t why_len)
{
	const char *s;
	uint64_t v;
	bool b;
	int r;

	if (put) {
		c->track_dirty_pages = false;
	}
	r = get_uint(j, "vcpu_count", "machine-config", put, 255, &v, why, why_len);
	TRY(r);
	if (r)
		c->vcpus = (unsigned int)v;
	r = get_uint(j, "mem_size_mib", "machine-config", put, UINT32_MAX, &v, why, why_len);
	TRY(r);
	if (r)
		c->mem_mib = v;
	r = get_bool(j, "smt", "machine-config", false, &b, why, why_len);
	TRY(r);
	if (r && b)
		ERR("smt (simultaneous multithreading) is not supported; set it to false");
	r = get_bool(j, "ht_enabled", "machine-config", false, &b, why, why_len);
	TRY(r);
	if (r && b)
		ERR("ht_enabled is not supported; set it to false");
	r = get_bool(j, "track_dirty_pages", "machine-config", false, &b, why, why_len);
	TRY(r);
	if (r)
		c->track_dirty_pages = b;
	r = get_str(j, "huge_pages", "machine-config", false, &s, why, why_len);
	TRY(r);
	if (r && strcmp(s, "None")) {
		if (!strcmp(s, "2M") || !strcmp(s, "Transparent"))
			ERR("huge_pages \"%s\" is not supported yet; use \"None\"", s);
		ERR("huge_pages must be \"None\", \"2M\" or \"Transparent\", not \"%s\"", s);
	}
	r = get_str(j, "cpu_template", "machine-config", false, &s, why, why_len);
	TRY(r);
	if (r && strcmp(s, "None"))
		ERR("static CPU template \"%s\" is not supported (deprecated by Firecracker); use "
		    "PUT /cpu-config with a custom template", s);
	return config_check_machine(c, why, why_len);
}

int schema_put_machine_config(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	TRY(check_object(j, "machine-config", machine_keys, why, why_len));
	return machine_common(c, j, true, why, why_len);
}

int schema_patch_machine_config(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	TRY(check_object(j, "machine-config", machine_keys, why, why_len));
	if (json_object_size(j) == 0)
		ERR("empty PATCH request: give at least one machine-config field");
	return machine_common(c, j, false, why, why_len);
}

static const char *const drive_keys[] = {
	"drive_id", "path_on_host", "is_root_device", "partuuid", "is_read_only", "cache_type",
	"io_engine", "rate_limiter", "socket", NULL,
};

static int check_path_id(const char *body_id, const char *path_id, const char *what,
			 char *why, size_t why_len)
{
	if (path_id && strcmp(body_id, path_id))
		ERR("the %s from the path (%s) does not match the one in the body (%s)", what,
		    path_id, body_id);
	return config_check_id(body_id, what, why, why_len);
}

int schema_put_drive(struct vm_config *c, json_t *j, const char *path_id, char *why,
		     size_t why_len)
{
	struct drive_cfg d, *slot = NULL;
	const char *id, *path, *s;
	bool b;
	int r;

	memset(&d, 0, sizeof(d));
	TRY(check_object(j, "drive", drive_keys, why, why_len));
	TRY(get_str(j, "drive_id", "drive", true, &id, why, why_len));
	TRY(check_path_id(id, path_id, "drive_id", why, why_len));
	snprintf(d.id, sizeof(d.id), "%s", id);
	r = get_str(j, "socket", "drive", false, &s, why, why_len);
	TRY(r);
	if (r)
		ERR("drive '%s': vhost-user block devices (socket) are not supported", id);
	TRY(get_str(j, "path_on_host", "drive", true, &path, why, why_len));
	if (!*path)
		ERR("drive '%s': path_on_host is empty", id);
	TRY(get_bool(j, "is_root_device", "drive", true, &d.is_root, why, why_len));
	r = get_bool(j, "is_read_only", "drive", false, &b, why, why_len);
	TRY(r);
	d.read_only = r ? b : false;
	r = get_str(j, "cache_type", "drive", false, &s, why, why_len);
	TRY(r);
	if (r) {
		if (!strcmp(s, "Unsafe"))
			d.cache_type = CACHE_UNSAFE;
		else if (!strcmp(s, "Writeback"))
			d.cache_type = CACHE_WRITEBACK;
		else
			ERR("drive '%s': cache_type must be \"Unsafe\" or \"Writeback\"", id);
	}
	r = get_str(j, "io_engine", "drive", false, &s, why, why_len);
	TRY(r);
	if (r) {
		if (!strcmp(s, "Sync"))
			d.io_engine = IO_ENGINE_SYNC;
		else if (!strcmp(s, "Async"))
			d.io_engine = IO_ENGINE_ASYNC;
		else
			ERR("drive '%s': io_engine must be \"Sync\" or \"Async\"", id);
	}
	TRY(parse_rate_limiter(json_object_get(j, "rate_limiter"), "drive rate_limiter",
			       &d.rate_limiter, why, why_len));
	r = get_str(j, "partuuid", "drive", false, &s, why, why_len);
	TRY(r);
	for (unsigned int i = 0; i < c->n_drives; i++) {
		if (!strcmp(c->drives[i].id, id))
			slot = &c->drives[i];
		else if (d.is_root && c->drives[i].is_root)
			ERR("drive '%s' cannot be the root device: drive '%s' already is", id,
			    c->drives[i].id);
	}
	if (!slot) {
		if (c->n_drives >= CONFIG_MAX_DRIVES)
			ERR("too many drives (at most %u)", CONFIG_MAX_DRIVES);
		slot = &c->drives[c->n_drives++];
		memset(slot, 0, sizeof(*slot));
	}
	if (set_str(&d.path, path) || set_str(&d.partuuid, r ? s : NULL)) {
		free(d.path);
		ERR("out of memory");
	}
	free(slot->path);
	free(slot->partuuid);
	*slot = d;
	return 0;
}

int schema_patch_drive(const struct vm_config *c, json_t *j, const char *path_id,
		       struct drive_patch *out, char *why, size_t why_len)
{
	static const char *const keys[] = { "drive_id", "path_on_host", "rate_limiter", NULL };
	const char *id, *path;
	bool found = false;
	int r;

	memset(out, 0, sizeof(*out));
	TRY(check_object(j, "drive update", keys, why, why_len));
	TRY(get_str(j, "drive_id", "drive update", true, &id, why, why_len));
	TRY(check_path_id(id, path_id, "drive_id", why, why_len));
	for (unsigned int i = 0; i < c->n_drives; i++)
		found |= !strcmp(c->drives[i].id, id);
	if (!found)
		ERR("no drive with id '%s'", id);
	r = get_str(j, "path_on_host", "drive update", false, &path, why, why_len);
	TRY(r);
	if (r && !*path)
		ERR("drive '%s': path_on_host is empty", id);
	if (json_object_get(j, "rate_limiter")) {
		out->has_rate_limiter = true;
		TRY(parse_rate_limiter(json_object_get(j, "rate_limiter"), "drive rate_limiter",
				       &out->rate_limiter, why, why_len));
	}
	if (r && !(out->path = strdup(path)))
		ERR("out of memory");
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (s[i * 3 + 2] != ':' && i < 5)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int schema_put_net(struct vm_config *c, json_t *j, const char *path_id, char *why,
		   size_t why_len)
{
	static const char *const keys[] = { "iface_id", "host_dev_name", "guest_mac", "mtu",
					    "rx_rate_limiter", "tx_rate_limiter", NULL };
	struct net_cfg n, *slot = NULL;
	const char *id, *dev, *mac;
	uint64_t v;
	int r;

	memset(&n, 0, sizeof(n));
	TRY(check_object(j, "network interface", keys, why, why_len));
	TRY(get_str(j, "iface_id", "network interface", true, &id, why, why_len));
	TRY(check_path_id(id, path_id, "iface_id", why, why_len));
	snprintf(n.id, sizeof(n.id), "%s", id);
	TRY(get_str(j, "host_dev_name", "network interface", true, &dev, why, why_len));
	if (!*dev || strlen(dev) >= sizeof(n.host_dev_name))
		ERR("network interface '%s': host_dev_name must be 1 to %zu characters", id,
		    sizeof(n.host_dev_name) - 1);
	snprintf(n.host_dev_name, sizeof(n.host_dev_name), "%s", dev);
	r = get_str(j, "guest_mac", "network interface", false, &mac, why, why_len);
	TRY(r);
	if (r) {
		if (parse_mac(mac, n.mac))
			ERR("network interface '%s': guest_mac '%s' is not xx:xx:xx:xx:xx:xx", id,
			    mac);
		if (n.mac[0] & 1)
			ERR("network interface '%s': guest_mac '%s' is a multicast address", id,
			    mac);
		n.has_mac = true;
	}
	r = get_uint(j, "mtu", "network interface", false, 65535, &v, why, why_len);
	TRY(r);
	if (r) {
		if (v < 68)
			ERR("network interface '%s': mtu %" PRIu64 " is below 68", id, v);
		n.mtu = (uint16_t)v;
	}
	TRY(parse_rate_limiter(json_object_get(j, "rx_rate_limiter"), "rx_rate_limiter",
			       &n.rx_rate_limiter, why, why_len));
	TRY(parse_rate_limiter(json_object_get(j, "tx_rate_limiter"), "tx_rate_limiter",
			       &n.tx_rate_limiter, why, why_len));
	for (unsigned int i = 0; i < c->n_nets; i++) {
		if (!strcmp(c->nets[i].id, id)) {
			slot = &c->nets[i];
			continue;
		}
		if (!strcmp(c->nets[i].host_dev_name, n.host_dev_name))
			ERR("host_dev_name '%s' is already used by network interface '%s'",
			    n.host_dev_name, c->nets[i].id);
		if (n.has_mac && c->nets[i].has_mac && !memcmp(c->nets[i].mac, n.mac, 6))
			ERR("guest_mac '%s' is already used by network interface '%s'", mac,
			    c->nets[i].id);
	}
	if (!slot) {
		if (c->n_nets >= CONFIG_MAX_NETS)
			ERR("too many network interfaces (at most %u)", CONFIG_MAX_NETS);
		slot = &c->nets[c->n_nets++];
	}
	*slot = n;
	return 0;
}

int schema_patch_net(const struct vm_config *c, json_t *j, const char *path_id,
		     struct net_patch *out, char *why, size_t why_len)
{
	static const char *const keys[] = { "iface_id", "rx_rate_limiter", "tx_rate_limiter",
					    NULL };
	const char *id;
	bool found = false;

	memset(out, 0, sizeof(*out));
	TRY(check_object(j, "network interface update", keys, why, why_len));
	TRY(get_str(j, "iface_id", "network interface update", true, &id, why, why_len));
	TRY(check_path_id(id, path_id, "iface_id", why, why_len));
	for (unsigned int i = 0; i < c->n_nets; i++)
		found |= !strcmp(c->nets[i].id, id);
	if (!found)
		ERR("no network interface with id '%s'", id);
	if (json_object_get(j, "rx_rate_limiter")) {
		out->has_rx = true;
		TRY(parse_rate_limiter(json_object_get(j, "rx_rate_limiter"), "rx_rate_limiter",
				       &out->rx, why, why_len));
	}
	if (json_object_get(j, "tx_rate_limiter")) {
		out->has_tx = true;
		TRY(parse_rate_limiter(json_object_get(j, "tx_rate_limiter"), "tx_rate_limiter",
				       &out->tx, why, why_len));
	}
	return 0;
}

int schema_put_vsock(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "guest_cid", "uds_path", "vsock_id", NULL };
	const char *uds, *vid;
	uint64_t cid;

	TRY(check_object(j, "vsock", keys, why, why_len));
	TRY(get_uint(j, "guest_cid", "vsock", true, UINT32_MAX, &cid, why, why_len));
	TRY(get_str(j, "uds_path", "vsock", true, &uds, why, why_len));
	TRY(get_str(j, "vsock_id", "vsock", false, &vid, why, why_len));
	if (cid < 3)
		ERR("vsock guest_cid %" PRIu64 " is reserved; use 3 or more", cid);
	if (!*uds)
		ERR("vsock uds_path is empty");
	if (strlen(uds) >= 108)
		ERR("vsock uds_path is longer than a Unix socket path may be (107 bytes)");
	if (set_str(&c->vsock.uds_path, uds))
		ERR("out of memory");
	c->vsock.guest_cid = (uint32_t)cid;
	c->vsock.enabled = true;
	return 0;
}

int schema_put_entropy(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "rate_limiter", NULL };

	TRY(check_object(j, "entropy", keys, why, why_len));
	TRY(parse_rate_limiter(json_object_get(j, "rate_limiter"), "entropy rate_limiter",
			       &c->entropy.rate_limiter, why, why_len));
	c->entropy.enabled = true;
	return 0;
}

int schema_put_balloon(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "amount_mib", "deflate_on_oom",
					    "stats_polling_interval_s", "free_page_hinting",
					    "free_page_reporting", NULL };
	struct balloon_cfg b = { .enabled = true };
	uint64_t v;
	int r;

	TRY(check_object(j, "balloon", keys, why, why_len));
	TRY(get_uint(j, "amount_mib", "balloon", true, UINT32_MAX, &v, why, why_len));
	b.amount_mib = (uint32_t)v;
	TRY(get_bool(j, "deflate_on_oom", "balloon", true, &b.deflate_on_oom, why, why_len));
	r = get_uint(j, "stats_polling_interval_s", "balloon", false, UINT16_MAX, &v, why, why_len);
	TRY(r);
	b.stats_polling_interval_s = r ? (uint32_t)v : 0;
	TRY(get_bool(j, "free_page_hinting", "balloon", false, &b.free_page_hinting, why, why_len));
	TRY(get_bool(j, "free_page_reporting", "balloon", false, &b.free_page_reporting, why,
		     why_len));
	if (b.amount_mib > c->mem_mib)
		ERR("balloon amount_mib %u is larger than guest memory (%llu MiB)", b.amount_mib,
		    (unsigned long long)c->mem_mib);
	c->balloon = b;
	return 0;
}

int schema_patch_balloon(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "amount_mib", NULL };
	uint64_t v;

	TRY(check_object(j, "balloon update", keys, why, why_len));
	if (!c->balloon.enabled)
		ERR("no balloon device is configured");
	TRY(get_uint(j, "amount_mib", "balloon update", true, UINT32_MAX, &v, why, why_len));
	if (v > c->mem_mib)
		ERR("balloon amount_mib %" PRIu64 " is larger than guest memory (%llu MiB)", v,
		    (unsigned long long)c->mem_mib);
	c->balloon.amount_mib = (uint32_t)v;
	return 0;
}

int schema_patch_balloon_stats(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "stats_polling_interval_s", NULL };
	uint64_t v;

	TRY(check_object(j, "balloon statistics update", keys, why, why_len));
	if (!c->balloon.enabled)
		ERR("no balloon device is configured");
	TRY(get_uint(j, "stats_polling_interval_s", "balloon statistics update", true, UINT16_MAX,
		     &v, why, why_len));
	c->balloon.stats_polling_interval_s = (uint32_t)v;
	return 0;
}

int schema_put_logger(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "log_path", "level", "show_level", "show_log_origin",
					    "module", NULL };
	struct logger_cfg l = { .set = true, .level = LOG_INFO };
	const char *path = NULL, *level = NULL, *module = NULL;
	enum log_level lv;

	TRY(check_object(j, "logger", keys, why, why_len));
	TRY(get_str(j, "log_path", "logger", false, &path, why, why_len));
	TRY(get_str(j, "level", "logger", false, &level, why, why_len));
	TRY(get_bool(j, "show_level", "logger", false, &l.show_level, why, why_len));
	TRY(get_bool(j, "show_log_origin", "logger", false, &l.show_log_origin, why, why_len));
	TRY(get_str(j, "module", "logger", false, &module, why, why_len));
	if (path && !*path)
		ERR("logger log_path is empty");
	if (level) {
		if (log_level_parse(level, &lv))
			ERR("logger level \"%s\" must be one of Error, Warning, Info, Debug, "
			    "Trace, Off", level);
		l.level = (int)lv;
	}
	if (set_str(&l.log_path, path) || set_str(&l.module, module)) {
		free(l.log_path);
		ERR("out of memory");
	}
	free(c->logger.log_path);
	free(c->logger.module);
	c->logger = l;
	return 0;
}

int schema_put_metrics(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "metrics_path", NULL };
	const char *path;

	TRY(check_object(j, "metrics", keys, why, why_len));
	TRY(get_str(j, "metrics_path", "metrics", true, &path, why, why_len));
	if (!*path)
		ERR("metrics_path is empty");
	if (set_str(&c->metrics.metrics_path, path))
		ERR("out of memory");
	return 0;
}

int schema_put_serial(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "serial_out_path", "rate_limiter", NULL };
	struct rate_limiter_cfg rl;
	const char *path = NULL;

	TRY(check_object(j, "serial", keys, why, why_len));
	TRY(get_str(j, "serial_out_path", "serial", false, &path, why, why_len));
	TRY(parse_rate_limiter(json_object_get(j, "rate_limiter"), "serial rate_limiter", &rl,
			       why, why_len));
	if (path && !*path)
		ERR("serial_out_path is empty");
	if (rl.bandwidth.size || rl.ops.size)
		log_info("serial rate_limiter accepted but not applied");
	if (set_str(&c->serial_out_path, path))
		ERR("out of memory");
	return 0;
}

/* ---- cpu-config --------------------------------------------------------- */

/* A u32/u64 written as a JSON integer or a string "0x1f", "0b101", "31". */
static int get_num(json_t *v, const char *what, uint64_t max, uint64_t *out, char *why,
		   size_t why_len)
{
	const char *s;
	char *end;
	unsigned long long x;
	int base = 10;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
			ERR("%s is out of range", what);
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		ERR("%s must be a number or a \"0x...\" string", what);
	s = json_string_value(v);
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
		base = 16;
		s += 2;
	} else if (!strncmp(s, "0b", 2)) {
		base = 2;
		s += 2;
	}
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		ERR("%s: '%s' is not a number", what, json_string_value(v));
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end || x > max)
		ERR("%s: '%s' is not a number in range", what, json_string_value(v));
	*out = x;
	return 0;
}

/* A register bitmap string (arch/x86/cpu_template.c has the syntax). */
static int parse_bitmap(json_t *v, unsigned int bits, uint64_t *filter, uint64_t *value,
			const char *what, char *why, size_t why_len)
{
	char inner[200];

	if (!json_is_string(v))
		ERR("%s bitmap must be a string \"0b...\"", what);
	if (cpu_template_parse_bitmap(json_string_value(v), bits, filter, value, inner,
				      sizeof(inner)))
		ERR("%s %s", what, inner);
	return 0;
}

int schema_put_cpu_config(struct vm_config *c, json_t *j, char *why, size_t why_len)
{
	static const char *const keys[] = { "kvm_capabilities", "cpuid_modifiers",
					    "msr_modifiers", "reg_modifiers", "vcpu_features",
					    NULL };
	static const char *const cpuid_keys[] = { "leaf", "subleaf", "flags", "modifiers", NULL };
	static const char *const reg_keys[] = { "register", "bitmap", NULL };
	static const char *const msr_keys[] = { "addr", "bitmap", NULL };
	struct cpu_config_cfg *cc = malloc(sizeof(*cc));
	json_t *arr, *e;
	size_t i;
	uint64_t v;
	int err = -EINVAL;

	if (!cc)
		ERR("out of memory");
	memset(cc, 0, sizeof(*cc));
	cc->set = true;
#define CFAIL(...) do { snprintf(why, why_len, __VA_ARGS__); goto out; } while (0)
#define CTRY(x) do { if ((x) < 0) goto out; } while (0)
	CTRY(check_object(j, "cpu-config", keys, why, why_len));
	arr = json_object_get(j, "reg_modifiers");
	if (arr && !json_is_null(arr) && json_array_size(arr))
		CFAIL("reg_modifiers are for aarch64; this is an x86-64 VMM");
	arr = json_object_get(j, "vcpu_features");
	if (arr && !json_is_null(arr) && json_array_size(arr))
		CFAIL("vcpu_features are for aarch64; this is an x86-64 VMM");
	arr = json_object_get(j, "kvm_capabilities");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr) || json_array_size(arr) > CONFIG_MAX_KVM_CAPS)
			CFAIL("kvm_capabilities must be an array of at most %d strings",
			      CONFIG_MAX_KVM_CAPS);
		json_array_foreach(arr, i, e) {
			const char *s = json_is_string(e) ? json_string_value(e) : NULL;
			bool neg = s && *s == '!';
			char *end;
			long cap;

			if (!s)
				CFAIL("kvm_capabilities entries must be strings like \"56\" or \"!56\"");
			errno = 0;
			cap = strtol(s + neg, &end, 10);
			if (errno || *end || cap <= 0 || cap > INT32_MAX || !(s[neg] >= '0' && s[neg] <= '9'))
				CFAIL("kvm_capabilities entry '%s' is not a capability number", s);
			cc->kvm_caps[cc->n_kvm_caps++] = neg ? -(int32_t)cap : (int32_t)cap;
		}
	}
	arr = json_object_get(j, "cpuid_modifiers");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr) || json_array_size(arr) > CONFIG_MAX_CPUID_MODS)
			CFAIL("cpuid_modifiers must be an array of at most %d objects",
			      CONFIG_MAX_CPUID_MODS);
		json_array_foreach(arr, i, e) {
			struct cpuid_modifier_cfg *m = &cc->cpuid[cc->n_cpuid++];
			json_t *regs, *r;
			size_t k;

			CTRY(check_object(e, "cpuid modifier", cpuid_keys, why, why_len));
			if (!json_object_get(e, "leaf") || !json_object_get(e, "subleaf") ||
			    !json_object_get(e, "flags") || !json_object_get(e, "modifiers"))
				CFAIL("cpuid modifier needs leaf, subleaf, flags and modifiers");
			CTRY(get_num(json_object_get(e, "leaf"), "cpuid leaf", UINT32_MAX, &v, why,
				     why_len));
			m->leaf = (uint32_t)v;
			CTRY(get_num(json_object_get(e, "subleaf"), "cpuid subleaf", UINT32_MAX, &v,
				     why, why_len));
			m->subleaf = (uint32_t)v;
			CTRY(get_num(json_object_get(e, "flags"), "cpuid flags", UINT32_MAX, &v, why,
				     why_len));
			m->flags = (uint32_t)v;
			regs = json_object_get(e, "modifiers");
			if (!json_is_array(regs) || json_array_size(regs) > 4)
				CFAIL("cpuid modifiers must be an array of at most 4 registers");
			json_array_foreach(regs, k, r) {
				static const char *const names[] = { "eax", "ebx", "ecx", "edx" };
				const char *rn;
				uint64_t f, val;
				int idx = -1;

				CTRY(check_object(r, "cpuid register modifier", reg_keys, why,
						  why_len));
				CTRY(get_str(r, "register", "cpuid register modifier", true, &rn,
					     why, why_len));
				for (int q = 0; q < 4; q++)
					if (!strcmp(rn, names[q]))
						idx = q;
				if (idx < 0)
					CFAIL("cpuid register must be eax, ebx, ecx or edx, not '%s'",
					      rn);
				if (!json_object_get(r, "bitmap"))
					CFAIL("missing field `bitmap` in cpuid register modifier");
				CTRY(parse_bitmap(json_object_get(r, "bitmap"), 32, &f, &val,
						  "cpuid", why, why_len));
				m->regs[m->n_regs].reg = (enum cpuid_reg)idx;
				m->regs[m->n_regs].filter = (uint32_t)f;
				m->regs[m->n_regs].value = (uint32_t)val;
				m->n_regs++;
			}
		}
	}
	arr = json_object_get(j, "msr_modifiers");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr) || json_array_size(arr) > CONFIG_MAX_MSR_MODS)
			CFAIL("msr_modifiers must be an array of at most %d objects",
			      CONFIG_MAX_MSR_MODS);
		json_array_foreach(arr, i, e) {
			struct msr_modifier_cfg *m = &cc->msr[cc->n_msr++];

			CTRY(check_object(e, "msr modifier", msr_keys, why, why_len));
			if (!json_object_get(e, "addr") || !json_object_get(e, "bitmap"))
				CFAIL("msr modifier needs addr and bitmap");
			CTRY(get_num(json_object_get(e, "addr"), "msr addr", UINT32_MAX, &v, why,
				     why_len));
			m->addr = (uint32_t)v;
			CTRY(parse_bitmap(json_object_get(e, "bitmap"), 64, &m->filter, &m->value,
					  "msr", why, why_len));
		}
	}
	c->cpu_config = *cc;
	err = 0;
out:
	free(cc);
	return err;
#undef CFAIL
#undef CTRY
}

/* ---- actions ------------------------------------------------------------ */

int schema_parse_action(json_t *j, enum api_action_type *out, char *why, size_t why_len)
{
	static const char *const keys[] = { "action_type", NULL };
	const char *t;

	TRY(check_object(j, "action", keys, why, why_len));
	TRY(get_str(j, "action_type", "action", true, &t, why, why_len));
	if (!strcmp(t, "InstanceStart"))
		*out = ACTION_INSTANCE_START;
	else if (!strcmp(t, "SendCtrlAltDel"))
		*out = ACTION_SEND_CTRL_ALT_DEL;
	else if (!strcmp(t, "FlushMetrics"))
		*out = ACTION_FLUSH_METRICS;
	else
		ERR("unknown action_type \"%s\"; expected InstanceStart, SendCtrlAltDel or "
		    "FlushMetrics", t);
	return 0;
}

int schema_parse_vm_state(json_t *j, bool *pause, char *why, size_t why_len)
{
	static const char *const keys[] = { "state", NULL };
	const char *s;

	TRY(check_object(j, "vm state", keys, why, why_len));
	TRY(get_str(j, "state", "vm state", true, &s, why, why_len));
	if (!strcmp(s, "Paused"))
		*pause = true;
	else if (!strcmp(s, "Resumed"))
		*pause = false;
	else
		ERR("vm state must be \"Paused\" or \"Resumed\", not \"%s\"", s);
	return 0;
}

/* ---- whole documents ---------------------------------------------------- */

int schema_apply_document(struct vm_config *c, json_t *root, char *why, size_t why_len)
{
	static const char *const keys[] = {
		"boot-source", "drives", "machine-config", "cpu-config", "balloon",
		"network-interfaces", "vsock", "logger", "metrics", "mmds-config", "entropy",
		"serial", NULL,
	};
	json_t *v, *e;
	size_t i;

	TRY(check_object(root, "the configuration", keys, why, why_len));
	v = json_object_get(root, "mmds-config");
	if (v && !json_is_null(v))
		ERR("mmds-config: MMDS is not supported by ember");
	/* machine-config first: the balloon check needs the memory size. */
	if ((v = json_object_get(root, "machine-config")) && !json_is_null(v))
		TRY(schema_put_machine_config(c, v, why, why_len));
	v = json_object_get(root, "boot-source");
	if (!v || json_is_null(v))
		ERR("missing section `boot-source`: a kernel is needed to start the VM");
	TRY(schema_put_boot_source(c, v, why, why_len));
	if ((v = json_object_get(root, "cpu-config")) && !json_is_null(v))
		TRY(schema_put_cpu_config(c, v, why, why_len));
	if ((v = json_object_get(root, "drives")) && !json_is_null(v)) {
		if (!json_is_array(v))
			ERR("drives must be an array");
		json_array_foreach(v, i, e) {
			const char *id = json_string_value(json_object_get(e, "drive_id"));

			for (unsigned int k = 0; id && k < c->n_drives; k++)
				if (!strcmp(c->drives[k].id, id))
					ERR("drive id '%s' is used twice", id);
			TRY(schema_put_drive(c, e, NULL, why, why_len));
		}
	}
	if ((v = json_object_get(root, "network-interfaces")) && !json_is_null(v)) {
		if (!json_is_array(v))
			ERR("network-interfaces must be an array");
		json_array_foreach(v, i, e) {
			const char *id = json_string_value(json_object_get(e, "iface_id"));

			for (unsigned int k = 0; id && k < c->n_nets; k++)
				if (!strcmp(c->nets[k].id, id))
					ERR("network interface id '%s' is used twice", id);
			TRY(schema_put_net(c, e, NULL, why, why_len));
		}
	}
	if ((v = json_object_get(root, "balloon")) && !json_is_null(v))
		TRY(schema_put_balloon(c, v, why, why_len));
	if ((v = json_object_get(root, "vsock")) && !json_is_null(v))
		TRY(schema_put_vsock(c, v, why, why_len));
	if ((v = json_object_get(root, "entropy")) && !json_is_null(v))
		TRY(schema_put_entropy(c, v, why, why_len));
	if ((v = json_object_get(root, "logger")) && !json_is_null(v))
		TRY(schema_put_logger(c, v, why, why_len));
	if ((v = json_object_get(root, "metrics")) && !json_is_null(v))
		TRY(schema_put_metrics(c, v, why, why_len));
	if ((v = json_object_get(root, "serial")) && !json_is_null(v))
		TRY(schema_put_serial(c, v, why, why_len));
	return config_validate(c, why, why_len);
}

json_t *schema_load(const char *text, size_t len, char *why, size_t why_len)
{
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);

	if (!j) {
		snprintf(why, why_len, "invalid JSON at line %d column %d: %s", e.line, e.column,
			 e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(why, why_len, "the JSON body must be an object");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- renderings --------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *bucket_json(const struct token_bucket_cfg *b)
{
	if (!b->size && !b->refill_time_ms && !b->one_time_burst)
		return json_null();
	return json_pack("{s:I,s:I,s:I}", "size", (json_int_t)b->size, "one_time_burst",
			 (json_int_t)b->one_time_burst, "refill_time", (json_int_t)b->refill_time_ms);
}

static json_t *rate_limiter_json(const struct rate_limiter_cfg *rl)
{
	if (!rl->bandwidth.size && !rl->ops.size && !rl->bandwidth.refill_time_ms &&
	    !rl->ops.refill_time_ms)
		return json_null();
	return json_pack("{s:o,s:o}", "bandwidth", bucket_json(&rl->bandwidth), "ops",
			 bucket_json(&rl->ops));
}

json_t *schema_machine_config_json(const struct vm_config *c)
{
	return json_pack("{s:i,s:I,s:b,s:b,s:s}", "vcpu_count", (int)c->vcpus, "mem_size_mib",
			 (json_int_t)c->mem_mib, "smt", 0, "track_dirty_pages",
			 (int)c->track_dirty_pages, "huge_pages", "None");
}

json_t *schema_balloon_json(const struct vm_config *c)
{
	if (!c->balloon.enabled)
		return NULL;
	return json_pack("{s:I,s:b,s:i,s:b,s:b}", "amount_mib", (json_int_t)c->balloon.amount_mib,
			 "deflate_on_oom", (int)c->balloon.deflate_on_oom,
			 "stats_polling_interval_s", (int)c->balloon.stats_polling_interval_s,
			 "free_page_hinting", (int)c->balloon.free_page_hinting,
			 "free_page_reporting", (int)c->balloon.free_page_reporting);
}

static json_t *bitmap_json(uint64_t filter, uint64_t value, unsigned int bits)
{
	char str[2 + 64 + 1];

	cpu_template_format_bitmap(filter, value, bits, str);
	return json_string(str);
}

static json_t *cpu_config_json(const struct cpu_config_cfg *cc)
{
	static const char *const names[] = { "eax", "ebx", "ecx", "edx" };
	json_t *caps = json_array(), *cpuid = json_array(), *msrs = json_array();
	char buf[32];

	for (unsigned int i = 0; i < cc->n_kvm_caps; i++) {
		snprintf(buf, sizeof(buf), "%s%d", cc->kvm_caps[i] < 0 ? "!" : "",
			 cc->kvm_caps[i] < 0 ? -cc->kvm_caps[i] : cc->kvm_caps[i]);
		json_array_append_new(caps, json_string(buf));
	}
	for (unsigned int i = 0; i < cc->n_cpuid; i++) {
		const struct cpuid_modifier_cfg *m = &cc->cpuid[i];
		json_t *regs = json_array();
		char leaf[16], sub[16];

		for (unsigned int r = 0; r < m->n_regs; r++)
			json_array_append_new(regs, json_pack("{s:s,s:o}", "register",
				names[m->regs[r].reg], "bitmap",
				bitmap_json(m->regs[r].filter, m->regs[r].value, 32)));
		snprintf(leaf, sizeof(leaf), "0x%x", m->leaf);
		snprintf(sub, sizeof(sub), "0x%x", m->subleaf);
		json_array_append_new(cpuid, json_pack("{s:s,s:s,s:i,s:o}", "leaf", leaf,
						       "subleaf", sub, "flags", (int)m->flags,
						       "modifiers", regs));
	}
	for (unsigned int i = 0; i < cc->n_msr; i++) {
		snprintf(buf, sizeof(buf), "0x%x", cc->msr[i].addr);
		json_array_append_new(msrs, json_pack("{s:s,s:o}", "addr", buf, "bitmap",
						      bitmap_json(cc->msr[i].filter,
								  cc->msr[i].value, 64)));
	}
	return json_pack("{s:o,s:o,s:o}", "kvm_capabilities", caps, "cpuid_modifiers", cpuid,
			 "msr_modifiers", msrs);
}

json_t *schema_vm_config_json(const struct vm_config *c)
{
	static const char *const level_names[] = { "Off", "Error", "Warning", "Info", "Debug",
						   "Trace" };
	json_t *root = json_object(), *drives = json_array(), *nets = json_array(), *b;

	if (!root || !drives || !nets)
		goto fail;
	for (unsigned int i = 0; i < c->n_drives; i++) {
		const struct drive_cfg *d = &c->drives[i];

		json_array_append_new(drives, json_pack("{s:s,s:o,s:b,s:s,s:b,s:o,s:o,s:s,s:n}",
			"drive_id", d->id, "partuuid", str_or_null(d->partuuid),
			"is_root_device", (int)d->is_root,
			"cache_type", d->cache_type == CACHE_WRITEBACK ? "Writeback" : "Unsafe",
			"is_read_only", (int)d->read_only, "path_on_host", str_or_null(d->path),
			"rate_limiter", rate_limiter_json(&d->rate_limiter),
			"io_engine", d->io_engine == IO_ENGINE_ASYNC ? "Async" : "Sync",
			"socket"));
	}
	for (unsigned int i = 0; i < c->n_nets; i++) {
		const struct net_cfg *n = &c->nets[i];
		json_t *o = json_pack("{s:s,s:s,s:o,s:o}", "iface_id", n->id, "host_dev_name",
				      n->host_dev_name, "rx_rate_limiter",
				      rate_limiter_json(&n->rx_rate_limiter), "tx_rate_limiter",
				      rate_limiter_json(&n->tx_rate_limiter));
		char mac[18];

		if (o && n->has_mac) {
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
				 n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
			json_object_set_new(o, "guest_mac", json_string(mac));
		}
		if (o && n->mtu)
			json_object_set_new(o, "mtu", json_integer(n->mtu));
		json_array_append_new(nets, o);
	}
	b = schema_balloon_json(c);
	json_object_set_new(root, "balloon", b ? b : json_null());
	json_object_set_new(root, "drives", drives);
	json_object_set_new(root, "boot-source", c->boot_source_set || c->kernel_path ?
		json_pack("{s:o,s:o,s:o}", "kernel_image_path", str_or_null(c->kernel_path),
			  "initrd_path", str_or_null(c->initrd_path),
			  "boot_args", str_or_null(c->cmdline)) : json_null());
	json_object_set_new(root, "cpu-config", c->cpu_config.set ? cpu_config_json(&c->cpu_config)
								   : json_null());
	json_object_set_new(root, "logger", c->logger.set ?
		json_pack("{s:o,s:s,s:b,s:b,s:o}", "log_path", str_or_null(c->logger.log_path),
			  "level", level_names[c->logger.level >= 0 && c->logger.level <= 5 ?
					       c->logger.level : 3],
			  "show_level", (int)c->logger.show_level,
			  "show_log_origin", (int)c->logger.show_log_origin,
			  "module", str_or_null(c->logger.module)) : json_null());
	json_object_set_new(root, "machine-config", schema_machine_config_json(c));
	json_object_set_new(root, "metrics", c->metrics.metrics_path ?
		json_pack("{s:s}", "metrics_path", c->metrics.metrics_path) : json_null());
	json_object_set_new(root, "mmds-config", json_null());
	json_object_set_new(root, "network-interfaces", nets);
	json_object_set_new(root, "vsock", c->vsock.enabled ?
		json_pack("{s:I,s:s}", "guest_cid", (json_int_t)c->vsock.guest_cid, "uds_path",
			  c->vsock.uds_path ? c->vsock.uds_path : "") : json_null());
	json_object_set_new(root, "entropy", c->entropy.enabled ?
		json_pack("{s:o}", "rate_limiter", rate_limiter_json(&c->entropy.rate_limiter))
		: json_null());
	json_object_set_new(root, "serial", c->serial_out_path ?
		json_pack("{s:s}", "serial_out_path", c->serial_out_path) : json_null());
	return root;
fail:
	json_decref(root);
	json_decref(drives);
	json_decref(nets);
	return NULL;
}

/* ---- snapshots ------------------------------------------------------------ */

int schema_parse_snapshot_create(json_t *j, struct snapshot_create_req *out, char *why,
				 size_t why_len)
{
	static const char *const keys[] = { "snapshot_type", "snapshot_path", "mem_file_path",
					    NULL };
	const char *t = "Full";

	memset(out, 0, sizeof(*out));
	TRY(check_object(j, "snapshot create", keys, why, why_len));
	TRY(get_str(j, "snapshot_type", "snapshot create", false, &t, why, why_len));
	TRY(get_str(j, "snapshot_path", "snapshot create", true, &out->snapshot_path, why,
		    why_len));
	TRY(get_str(j, "mem_file_path", "snapshot create", true, &out->mem_file_path, why,
		    why_len));
	if (!strcmp(t, "Diff"))
		out->diff = true;
	else if (strcmp(t, "Full"))
		ERR("snapshot_type must be \"Full\" or \"Diff\", not \"%s\"", t);
	if (!*out->snapshot_path || !*out->mem_file_path)
		ERR("snapshot create: snapshot_path and mem_file_path must not be empty");
	return 0;
}

int schema_parse_snapshot_load(json_t *j, struct snapshot_load_req *out, char *why,
			       size_t why_len)
{
	static const char *const keys[] = {
		"snapshot_path", "mem_backend", "mem_file_path", "track_dirty_pages",
		"enable_diff_snapshots", "resume_vm", "network_overrides", "vsock_override",
		"clock_realtime", NULL,
	};
	static const char *const backend_keys[] = { "backend_type", "backend_path", NULL };
	static const char *const net_keys[] = { "iface_id", "host_dev_name", NULL };
	static const char *const vsock_keys[] = { "uds_path", NULL };
	const char *what = "snapshot load", *old_mem = NULL;
	bool dirty = false, old_dirty = false, realtime = false;
	json_t *v, *e;
	size_t i;
	int has;

	memset(out, 0, sizeof(*out));
	TRY(check_object(j, what, keys, why, why_len));
	TRY(get_str(j, "snapshot_path", what, true, &out->snapshot_path, why, why_len));
	if (!*out->snapshot_path)
		ERR("snapshot load: snapshot_path must not be empty");
	TRY(get_str(j, "mem_file_path", what, false, &old_mem, why, why_len));
	v = json_object_get(j, "mem_backend");
	if (v && !json_is_null(v)) {
		const char *type;

		if (old_mem)
			ERR("snapshot load: give either mem_backend or the deprecated "
			    "mem_file_path, not both");
		TRY(check_object(v, "mem_backend", backend_keys, why, why_len));
		TRY(get_str(v, "backend_type", "mem_backend", true, &type, why, why_len));
		TRY(get_str(v, "backend_path", "mem_backend", true, &out->mem_path, why,
			    why_len));
		if (!strcmp(type, "Uffd"))
			ERR("mem_backend: the Uffd backend is not supported by ember; use File");
		if (strcmp(type, "File"))
			ERR("mem_backend: backend_type must be \"File\" or \"Uffd\", not \"%s\"",
			    type);
	} else if (old_mem) {
		out->mem_path = old_mem;
	} else {
		ERR("snapshot load: missing field `mem_backend` (or the deprecated "
		    "`mem_file_path`)");
	}
	if (!*out->mem_path)
		ERR("snapshot load: the memory file path must not be empty");
	has = get_bool(j, "track_dirty_pages", what, false, &dirty, why, why_len);
	TRY(has);
	TRY(get_bool(j, "enable_diff_snapshots", what, false, &old_dirty, why, why_len));
	out->track_dirty_pages = dirty || old_dirty;
	TRY(get_bool(j, "resume_vm", what, false, &out->resume_vm, why, why_len));
	TRY(get_bool(j, "clock_realtime", what, false, &realtime, why, why_len));
	if (realtime)
		ERR("snapshot load: clock_realtime is not supported by ember (the guest "
		    "clock continues from the snapshot)");
	v = json_object_get(j, "network_overrides");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v))
			ERR("network_overrides must be an array");
		if (json_array_size(v) > CONFIG_MAX_NETS)
			ERR("network_overrides: at most %d entries", CONFIG_MAX_NETS);
		json_array_foreach(v, i, e) {
			const char *id, *dev;

			TRY(check_object(e, "a network override", net_keys, why, why_len));
			TRY(get_str(e, "iface_id", "a network override", true, &id, why, why_len));
			TRY(get_str(e, "host_dev_name", "a network override", true, &dev, why,
				    why_len));
			if (config_check_id(id, "network override iface_id", why, why_len))
				return -EINVAL;
			if (!*dev || strlen(dev) >= sizeof(out->net[0].host_dev_name))
				ERR("network override '%s': host_dev_name must be 1..%zu bytes", id,
				    sizeof(out->net[0].host_dev_name) - 1);
			for (size_t k = 0; k < out->n_net; k++)
				if (!strcmp(out->net[k].iface_id, id))
					ERR("network override '%s' is given twice", id);
			snprintf(out->net[out->n_net].iface_id, sizeof(out->net[0].iface_id), "%s",
				 id);
			snprintf(out->net[out->n_net].host_dev_name,
				 sizeof(out->net[0].host_dev_name), "%s", dev);
			out->n_net++;
		}
	}
	v = json_object_get(j, "vsock_override");
	if (v && !json_is_null(v)) {
		TRY(check_object(v, "vsock_override", vsock_keys, why, why_len));
		TRY(get_str(v, "uds_path", "vsock_override", true, &out->vsock_uds_path, why,
			    why_len));
		if (!*out->vsock_uds_path)
			ERR("vsock_override: uds_path must not be empty");
	}
	return 0;
}
