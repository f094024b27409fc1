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
	memset(c, 0, sizeof(*c));
}

int config_validate(const struct vm_config *c, char *why, size_t why_len)
{
	if (!c->kernel_path || !*c->kernel_path) {
		snprintf(why, why_len, "no kernel: --kernel PATH is required");
		return -EINVAL;
	}
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
	if (c->cmdline && strlen(c->cmdline) >= LAYOUT_CMDLINE_MAX - 512) {
		snprintf(why, why_len, "kernel command line longer than %u bytes",
			 LAYOUT_CMDLINE_MAX - 512);
		return -EINVAL;
	}
	return 0;
}
