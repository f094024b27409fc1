/* SPDX-License-Identifier: MIT */
/* cli/options.h: `ember run` option table and parser producing a struct vm_config. */
#ifndef EMBER_OPTIONS_H
#define EMBER_OPTIONS_H

#include <stdio.h>
#include "core/config.h"

enum options_result {
	OPTIONS_RUN = 0,	/* cfg is filled and valid */
	OPTIONS_EXIT_OK,	/* --help / --version printed */
	OPTIONS_BAD,		/* why holds one line */
};

/* Parse argv after "run". Pure: no files are opened. */
enum options_result options_parse_run(int argc, char **argv, struct vm_config *cfg,
				      int *log_level, char *why, size_t why_len);
void options_usage(FILE *f);

/* Strict unsigned parse of the whole string within [min, max]. 0 / -EINVAL / -ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) __must_check;

#endif
