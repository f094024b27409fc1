/* SPDX-License-Identifier: MIT */
/* core/config.h: the one validated VM configuration shared by the CLI, the config file and the API. */
#ifndef EMBER_CONFIG_H
#define EMBER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

#define CONFIG_MAX_VCPUS	32
#define CONFIG_DEFAULT_MEM_MIB	128
#define CONFIG_DEFAULT_CMDLINE \
	"console=ttyS0 reboot=k panic=1 i8042.noaux i8042.nomux i8042.dumbkbd"

struct vm_config {
	char *kernel_path;
	char *initrd_path;	/* NULL: none */
	char *cmdline;		/* NULL: CONFIG_DEFAULT_CMDLINE */
	unsigned int vcpus;	/* 1..CONFIG_MAX_VCPUS */
	uint64_t mem_mib;
	bool ucall;		/* honour the test-guest ucall port */
	bool boot_time;		/* print the boot-time breakdown on exit */
	bool pit;		/* in-kernel PIT (default on) */
	bool serial_raw;	/* put a tty stdin into raw mode (default on) */
};

/* Defaults: 1 vCPU, 128 MiB, PIT on, no kernel. */
void config_init(struct vm_config *c);
void config_free(struct vm_config *c);
/* Check ranges and required fields; on error writes a one-line reason. 0 / -EINVAL. */
int config_validate(const struct vm_config *c, char *why, size_t why_len) __must_check;

#endif
