/* SPDX-License-Identifier: MIT */
/* cli/config_file.h: --config-file: Firecracker's JSON VM configuration into a struct vm_config. */
#ifndef EMBER_CONFIG_FILE_H
#define EMBER_CONFIG_FILE_H

#include <stddef.h>
#include "core/config.h"

#define CONFIG_FILE_MAX_BYTES	(1u << 20)

/*
 * Apply a whole config document (text[0..len)) to c, which holds defaults
 * or flags given before.  Unknown keys anywhere are refused.  The result is
 * validated as for `ember run`.  0 / -EINVAL with a one-line *why.  Pure.
 */
int config_file_parse(const char *text, size_t len, struct vm_config *c, char *why,
		      size_t why_len) __must_check;

/* Read `path` (at most CONFIG_FILE_MAX_BYTES) and parse it. 0 / -EINVAL / -errno. */
int config_file_load(const char *path, struct vm_config *c, char *why, size_t why_len) __must_check;

/* Read a custom CPU template (the body of PUT /cpu-config) from `path` into
 * c->cpu_config, for `ember run --cpu-config`.  0 / -EINVAL / -errno. */
int config_file_load_cpu_template(const char *path, struct vm_config *c, char *why,
				  size_t why_len) __must_check;

#endif
