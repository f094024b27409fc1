/* SPDX-License-Identifier: MIT */
/* cli/vmm_options.h: Firecracker-style top-level flags (--api-sock, --config-file, --no-api, logging, metrics). */
#ifndef EMBER_VMM_OPTIONS_H
#define EMBER_VMM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli/options.h"
#include "core/config.h"

struct vmm_options {
	const char *api_sock;		/* NULL with --no-api */
	const char *config_file;
	const char *id;			/* default "anonymous-instance" */
	bool no_api;
	uint64_t max_payload;		/* --http-api-max-payload-size */
	uint64_t start_time_us;		/* --start-time-us (CLOCK_MONOTONIC), 0: unset */
	uint64_t start_time_cpu_us;	/* --start-time-cpu-us, 0: unset */
};

/* Is argv[1] one of the flags below (so this is not `ember run`)? */
bool vmm_options_match(const char *arg);

/*
 * Parse the whole argv (argv[0] is the program).  Logger, metrics and
 * boot-timer flags go into cfg (the config file may override them later).
 * Pure: no files are opened.  Returns OPTIONS_RUN, OPTIONS_EXIT_OK or
 * OPTIONS_BAD with *why.
 */
enum options_result vmm_options_parse(int argc, char **argv, struct vmm_options *o,
				      struct vm_config *cfg, char *why, size_t why_len);
void vmm_options_usage(FILE *f);

#endif
