/* SPDX-License-Identifier: MIT */
/* cli/device_options.c: parsing of the --disk/--net/--vsock/--rng/--balloon values into struct vm_config (pure). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/device_options.h"
#include "cli/options.h"

#define ERR(...) do { snprintf(why, why_len, __VA_ARGS__); return -EINVAL; } while (0)

/* Next comma-separated item of *s into buf (NUL-terminated); false at the end. */
static bool next_item(const char **s, char *buf, size_t len)
{
	const char *c;
	size_t n;

	if (!*s || !**s)
		return false;
	c = strchr(*s, ',');
	n = c ? (size_t)(c - *s) : strlen(*s);
	if (n >= len)
		n = len - 1;	/* truncated items fail validation below */
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s = c ? c + 1 : NULL;
	return true;
}

/* "key=value": value pointer, or NULL when item is not `key=`. */
static const char *val(const char *item, const char *key)
{
	size_t k = strlen(key);

	return !strncmp(item, key, k) && item[k] == '=' ? item + k + 1 : NULL;
}

/* A per-second limit as a token bucket: `rate` tokens refilled every second. */
static int rate(const char *v, struct token_bucket_cfg *b)
{
	uint64_t n;

	if (parse_u64(v, 1, UINT64_MAX / 2, &n))
		return -EINVAL;
	b->size = n;
	b->refill_time_ms = 1000;
	b->one_time_burst = 0;
	return 0;
}

static int dup_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int devopt_disk(struct vm_config *cfg, const char *arg, char *why, size_t why_len)
{
	struct drive_cfg *d;
	const char *s = arg, *v;
	char item[512];

	if (cfg->n_drives == CONFIG_MAX_DRIVES)
		ERR("--disk: at most %u disks", CONFIG_MAX_DRIVES);
	d = &cfg->drives[cfg->n_drives];
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "drive%u", cfg->n_drives);
	d->io_engine = IO_ENGINE_SYNC;
	d->cache_type = CACHE_WRITEBACK;
	if (!next_item(&s, item, sizeof(item)) || !*item || strlen(item) >= sizeof(item) - 1)
		ERR("--disk '%s': expected PATH[,ro][,root][,...]", arg);
	if (dup_str(&d->path, (v = val(item, "path")) ? v : item))
		ERR("out of memory");
	cfg->n_drives++;	/* from here config_free owns d->path */
	while (next_item(&s, item, sizeof(item))) {
		if (!strcmp(item, "ro")) {
			d->read_only = true;
		} else if (!strcmp(item, "root")) {
			for (unsigned int i = 0; i + 1 < cfg->n_drives; i++)
				if (cfg->drives[i].is_root)
					ERR("--disk '%s': only one disk can be the root device", arg);
			d->is_root = true;
		} else if ((v = val(item, "id"))) {
			if (!*v || strlen(v) > CONFIG_ID_MAX)
				ERR("--disk '%s': id must be 1 to %d characters", arg, CONFIG_ID_MAX);
			snprintf(d->id, sizeof(d->id), "%s", v);
		} else if ((v = val(item, "partuuid"))) {
			if (dup_str(&d->partuuid, v))
				ERR("out of memory");
		} else if ((v = val(item, "io"))) {
			if (!strcmp(v, "sync"))
				d->io_engine = IO_ENGINE_SYNC;
			else if (!strcmp(v, "uring") || !strcmp(v, "async"))
				d->io_engine = IO_ENGINE_ASYNC;
			else
				ERR("--disk '%s': io must be sync or uring", arg);
		} else if ((v = val(item, "cache"))) {
			if (!strcmp(v, "unsafe"))
				d->cache_type = CACHE_UNSAFE;
			else if (!strcmp(v, "writeback"))
				d->cache_type = CACHE_WRITEBACK;
			else
				ERR("--disk '%s': cache must be unsafe or writeback", arg);
		} else if ((v = val(item, "bw"))) {
			if (rate(v, &d->rate_limiter.bandwidth))
				ERR("--disk '%s': bw is bytes per second, a positive number", arg);
		} else if ((v = val(item, "iops"))) {
			if (rate(v, &d->rate_limiter.ops))
				ERR("--disk '%s': iops is a positive number", arg);
		} else {
			ERR("--disk '%s': unknown item '%s'", arg, item);
		}
	}
	for (unsigned int i = 0; i + 1 < cfg->n_drives; i++)
		if (!strcmp(cfg->drives[i].id, d->id))
			ERR("--disk '%s': id '%s' is already used", arg, d->id);
	return 0;
}

static int parse_mac(const char *v, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (strlen(v) != 17 || sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return -EINVAL;	/* multicast */
	return 0;
}

int devopt_net(struct vm_config *cfg, const char *arg, char *why, size_t why_len)
{
	struct net_cfg *n;
	const char *s = arg, *v;
	char item[256];
	uint64_t x;

	if (cfg->n_nets == CONFIG_MAX_NETS)
		ERR("--net: at most %u interfaces", CONFIG_MAX_NETS);
	n = &cfg->nets[cfg->n_nets];
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "net%u", cfg->n_nets);
	while (next_item(&s, item, sizeof(item))) {
		if ((v = val(item, "tap"))) {
			if (!*v || strlen(v) >= sizeof(n->host_dev_name))
				ERR("--net '%s': tap name must be 1 to %zu characters", arg,
				    sizeof(n->host_dev_name) - 1);
			snprintf(n->host_dev_name, sizeof(n->host_dev_name), "%s", v);
		} else if ((v = val(item, "mac"))) {
			if (parse_mac(v, n->mac))
				ERR("--net '%s': mac must be a unicast XX:XX:XX:XX:XX:XX", arg);
			n->has_mac = true;
		} else if ((v = val(item, "mtu"))) {
			if (parse_u64(v, 68, 65535, &x))
				ERR("--net '%s': mtu must be 68 to 65535", arg);
			n->mtu = (uint16_t)x;
		} else if ((v = val(item, "id"))) {
			if (!*v || strlen(v) > CONFIG_ID_MAX)
				ERR("--net '%s': id must be 1 to %d characters", arg, CONFIG_ID_MAX);
			snprintf(n->id, sizeof(n->id), "%s", v);
		} else if ((v = val(item, "rx_bw"))) {
			if (rate(v, &n->rx_rate_limiter.bandwidth))
				ERR("--net '%s': rx_bw is bytes per second", arg);
		} else if ((v = val(item, "tx_bw"))) {
			if (rate(v, &n->tx_rate_limiter.bandwidth))
				ERR("--net '%s': tx_bw is bytes per second", arg);
		} else if ((v = val(item, "rx_pps"))) {
			if (rate(v, &n->rx_rate_limiter.ops))
				ERR("--net '%s': rx_pps is packets per second", arg);
		} else if ((v = val(item, "tx_pps"))) {
			if (rate(v, &n->tx_rate_limiter.ops))
				ERR("--net '%s': tx_pps is packets per second", arg);
		} else {
			ERR("--net '%s': unknown item '%s'", arg, item);
		}
	}
	if (!n->host_dev_name[0])
		ERR("--net '%s': tap=NAME is required", arg);
	cfg->n_nets++;
	return 0;
}

int devopt_vsock(struct vm_config *cfg, const char *arg, char *why, size_t why_len)
{
	const char *comma = strchr(arg, ',');
	char cid[16];
	uint64_t v;

	if (!comma || comma == arg || (size_t)(comma - arg) >= sizeof(cid) || !comma[1])
		ERR("--vsock '%s': expected CID,UDS_PATH", arg);
	memcpy(cid, arg, (size_t)(comma - arg));
	cid[comma - arg] = '\0';
	if (parse_u64(cid, 3, UINT32_MAX - 1, &v))
		ERR("--vsock '%s': CID must be 3 to 4294967294", arg);
	if (strlen(comma + 1) >= 100)
		ERR("--vsock '%s': UDS path longer than 99 bytes", arg);
	cfg->vsock.enabled = true;
	cfg->vsock.guest_cid = (uint32_t)v;
	if (dup_str(&cfg->vsock.uds_path, comma + 1))
		ERR("out of memory");
	return 0;
}

int devopt_rng(struct vm_config *cfg, const char *arg, char *why, size_t why_len)
{
	const char *s = arg, *v;
	char item[128];

	cfg->entropy.enabled = true;
	while (next_item(&s, item, sizeof(item))) {
		if ((v = val(item, "bw"))) {
			if (rate(v, &cfg->entropy.rate_limiter.bandwidth))
				ERR("--rng '%s': bw is bytes per second", arg);
		} else if ((v = val(item, "ops"))) {
			if (rate(v, &cfg->entropy.rate_limiter.ops))
				ERR("--rng '%s': ops is requests per second", arg);
		} else {
			ERR("--rng '%s': unknown item '%s'", arg, item);
		}
	}
	return 0;
}

int devopt_balloon(struct vm_config *cfg, const char *arg, char *why, size_t why_len)
{
	const char *s = arg, *v;
	char item[128];
	uint64_t x;

	if (!next_item(&s, item, sizeof(item)) || parse_u64(item, 0, UINT32_MAX, &x))
		ERR("--balloon '%s': expected MiB[,deflate_on_oom][,stats=SECONDS]", arg);
	cfg->balloon.enabled = true;
	cfg->balloon.amount_mib = (uint32_t)x;
	while (next_item(&s, item, sizeof(item))) {
		if (!strcmp(item, "deflate_on_oom")) {
			cfg->balloon.deflate_on_oom = true;
		} else if ((v = val(item, "stats"))) {
			if (parse_u64(v, 0, 3600, &x))
				ERR("--balloon '%s': stats is 0 to 3600 seconds", arg);
			cfg->balloon.stats_polling_interval_s = (uint32_t)x;
		} else {
			ERR("--balloon '%s': unknown item '%s'", arg, item);
		}
	}
	return 0;
}
