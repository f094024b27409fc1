/* SPDX-License-Identifier: MIT */
/* core/config.c: defaults and validation of struct vm_config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "mem/layout.h"

void config_init(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpus = 1;
	c->mem_mib = CONFIG_DEFAULT_MEM_MIB;
	c->pit = true;
	c->serial_raw = true;
	c->acpi = true;
}

void config_free(struct vm_config *c)
{
	free(c->kernel_path);
	free(c->initrd_path);
	free(c->cmdline);
	for (unsigned int i = 0; i < c->n_drives; i++) {
		free(c->drives[i].path);
		free(c->drives[i].partuuid);
	}
	free(c->vsock.uds_path);
	free(c->serial_out_path);
	free(c->logger.log_path);
	free(c->logger.module);
	free(c->metrics.metrics_path);
	free(c->restore_path);
	free(c->restore_mem_path);
	free(c->marker_snap_path);
	free(c->marker_mem_path);
	memset(c, 0, sizeof(*c));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int config_copy(struct vm_config *dst, const struct vm_config *src)
{
	int err = 0;

	memcpy(dst, src, sizeof(*dst));
	err |= dup_str(&dst->kernel_path, src->kernel_path);
	err |= dup_str(&dst->initrd_path, src->initrd_path);
	err |= dup_str(&dst->cmdline, src->cmdline);
	for (unsigned int i = 0; i < src->n_drives; i++) {
		err |= dup_str(&dst->drives[i].path, src->drives[i].path);
		err |= dup_str(&dst->drives[i].partuuid, src->drives[i].partuuid);
	}
	err |= dup_str(&dst->vsock.uds_path, src->vsock.uds_path);
	err |= dup_str(&dst->serial_out_path, src->serial_out_path);
	err |= dup_str(&dst->logger.log_path, src->logger.log_path);
	err |= dup_str(&dst->logger.module, src->logger.module);
	err |= dup_str(&dst->metrics.metrics_path, src->metrics.metrics_path);
	err |= dup_str(&dst->restore_path, src->restore_path);
	err |= dup_str(&dst->restore_mem_path, src->restore_mem_path);
	err |= dup_str(&dst->marker_snap_path, src->marker_snap_path);
	err |= dup_str(&dst->marker_mem_path, src->marker_mem_path);
	if (err) {
		config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int config_check_machine(const struct vm_config *c, char *why, size_t why_len)
{
	if (c->vcpus < 1 || c->vcpus > CONFIG_MAX_VCPUS) {
		snprintf(why, why_len, "vCPU count %u out of range 1..%u", c->vcpus,
			 CONFIG_MAX_VCPUS);
		return -EINVAL;
	}
	if (c->mem_mib < LAYOUT_MIN_MEM_MIB || c->mem_mib > LAYOUT_MAX_MEM_MIB) {
		snprintf(why, why_len, "memory size %llu MiB out of range %llu..%llu",
			 (unsigned long long)c->mem_mib, LAYOUT_MIN_MEM_MIB,
			 LAYOUT_MAX_MEM_MIB);
		return -EINVAL;
	}
	return 0;
}

int config_check_id(const char *id, const char *what, char *why, size_t why_len)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > CONFIG_ID_MAX) {
		snprintf(why, why_len, "%s must be 1 to %u characters", what, CONFIG_ID_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_')) {
			snprintf(why, why_len, "%s '%s' may only contain letters, digits and '_'",
				 what, id);
			return -EINVAL;
		}
	}
	return 0;
}

int config_check_devices(const struct vm_config *c, char *why, size_t why_len)
{
	unsigned int roots = 0;

	for (unsigned int i = 0; i < c->n_drives; i++) {
		if (config_check_id(c->drives[i].id, "drive id", why, why_len))
			return -EINVAL;
		if (!c->drives[i].path || !*c->drives[i].path) {
			snprintf(why, why_len, "drive '%s' has no path_on_host", c->drives[i].id);
			return -EINVAL;
		}
		roots += c->drives[i].is_root;
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(c->drives[i].id, c->drives[j].id)) {
				snprintf(why, why_len, "drive id '%s' is used twice", c->drives[i].id);
				return -EINVAL;
			}
		}
	}
	if (roots > 1) {
		snprintf(why, why_len, "more than one drive is the root device");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->n_nets; i++) {
		if (config_check_id(c->nets[i].id, "network interface id", why, why_len))
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(c->nets[i].id, c->nets[j].id)) {
				snprintf(why, why_len, "network interface id '%s' is used twice",
					 c->nets[i].id);
				return -EINVAL;
			}
			if (!strcmp(c->nets[i].host_dev_name, c->nets[j].host_dev_name)) {
				snprintf(why, why_len, "host device '%s' is used by two network "
					 "interfaces", c->nets[i].host_dev_name);
				return -EINVAL;
			}
		}
	}
	if (c->vsock.enabled && c->vsock.guest_cid < 3) {
		snprintf(why, why_len, "vsock guest_cid %u is reserved; use 3 or more",
			 c->vsock.guest_cid);
		return -EINVAL;
	}
	if (c->balloon.enabled && c->balloon.amount_mib > c->mem_mib) {
		snprintf(why, why_len, "balloon target %u MiB is larger than guest memory "
			 "(%llu MiB)", c->balloon.amount_mib, (unsigned long long)c->mem_mib);
		return -EINVAL;
	}
	return 0;
}

int config_validate(const struct vm_config *c, char *why, size_t why_len)
{
	if (c->restore_path) {
		/* The machine comes from the snapshot (docs/snapshots.md). */
		if (c->kernel_path || c->initrd_path || c->cmdline) {
			snprintf(why, why_len, "--restore takes the machine from the snapshot: "
				 "--kernel, --initrd and --cmdline cannot be given with it");
			return -EINVAL;
		}
		if (!c->restore_mem_path) {
			snprintf(why, why_len, "--restore needs --mem-file PATH");
			return -EINVAL;
		}
		if (c->n_drives || c->n_nets || c->vsock.enabled || c->entropy.enabled ||
		    c->balloon.enabled) {
			snprintf(why, why_len, "--restore takes the devices from the snapshot: "
				 "--disk, --net, --vsock, --rng and --balloon cannot be given with it");
			return -EINVAL;
		}
		return config_check_devices(c, why, why_len);
	}
	if (c->restore_mem_path || c->restore_resume) {
		snprintf(why, why_len, "--mem-file and --resume go with --restore");
		return -EINVAL;
	}
	if (!c->kernel_path || !*c->kernel_path) {
		snprintf(why, why_len, "no kernel: --kernel PATH is required");
		return -EINVAL;
	}
	if (config_check_machine(c, why, why_len))
		return -EINVAL;
	if (c->cmdline && strlen(c->cmdline) >= LAYOUT_CMDLINE_MAX - 512) {
		snprintf(why, why_len, "kernel command line longer than %u bytes",
			 LAYOUT_CMDLINE_MAX - 512);
		return -EINVAL;
	}
	return config_check_devices(c, why, why_len);
}
