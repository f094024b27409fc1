/* SPDX-License-Identifier: MIT */
/* cli/vmm_options.c: table-driven parser for ember's Firecracker-compatible command line. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "cli/vmm_options.h"
#include "util/log.h"

enum {
	O_API_SOCK = 256, O_ID, O_CONFIG_FILE, O_NO_API, O_LOG_PATH, O_LEVEL, O_SHOW_LEVEL,
	O_SHOW_ORIGIN, O_MODULE, O_METRICS_PATH, O_MAX_PAYLOAD, O_START_US, O_START_CPU_US,
	O_BOOT_TIMER, O_NO_SECCOMP, O_HELP, O_VERSION,
};

static const struct {
	struct option opt;
	const char *arg;
	const char *help;
} table[] = {
	{ { "api-sock", required_argument, NULL, O_API_SOCK }, "PATH",
	  "serve the API on this Unix socket (must not exist)" },
	{ { "id", required_argument, NULL, O_ID }, "ID",
	  "instance id, 1-64 of [A-Za-z0-9-] (default anonymous-instance)" },
	{ { "config-file", required_argument, NULL, O_CONFIG_FILE }, "FILE",
	  "configure from a Firecracker JSON file and start the VM" },
	{ { "no-api", no_argument, NULL, O_NO_API }, NULL,
	  "no API socket (needs --config-file)" },
	{ { "log-path", required_argument, NULL, O_LOG_PATH }, "PATH",
	  "write the log to this file or FIFO" },
	{ { "level", required_argument, NULL, O_LEVEL }, "LEVEL",
	  "Error, Warning, Info, Debug, Trace or Off (default Warning)" },
	{ { "show-level", no_argument, NULL, O_SHOW_LEVEL }, NULL, "put the level in log lines" },
	{ { "show-log-origin", no_argument, NULL, O_SHOW_ORIGIN }, NULL,
	  "put the logging function in log lines" },
	{ { "module", required_argument, NULL, O_MODULE }, "NAME", "accepted; not used for filtering" },
	{ { "metrics-path", required_argument, NULL, O_METRICS_PATH }, "PATH",
	  "write JSON metrics to this file or FIFO" },
	{ { "http-api-max-payload-size", required_argument, NULL, O_MAX_PAYLOAD }, "BYTES",
	  "largest request body accepted (default 51200)" },
	{ { "start-time-us", required_argument, NULL, O_START_US }, "US",
	  "process start, CLOCK_MONOTONIC us (set by a launcher)" },
	{ { "start-time-cpu-us", required_argument, NULL, O_START_CPU_US }, "US",
	  "CPU time already used before exec, us (set by a launcher)" },
	{ { "boot-timer", no_argument, NULL, O_BOOT_TIMER }, NULL,
	  "print boot times on stderr when the VM ends" },
	{ { "no-seccomp", no_argument, NULL, O_NO_SECCOMP }, NULL, "no seccomp filters" },
	{ { "help", no_argument, NULL, O_HELP }, NULL, "this help" },
	{ { "version", no_argument, NULL, O_VERSION }, NULL, "print the version" },
};

bool vmm_options_match(const char *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		size_t n = strlen(table[i].opt.name);

		if (table[i].opt.val == O_HELP || table[i].opt.val == O_VERSION)
			continue;
		if (!strncmp(arg, "--", 2) && !strncmp(arg + 2, table[i].opt.name, n) &&
		    (arg[2 + n] == 0 || arg[2 + n] == '='))
			return true;
	}
	return false;
}

void vmm_options_usage(FILE *f)
{
	fprintf(f, "usage: ember --api-sock PATH [--id ID] [--config-file FILE] [options]\n"
		   "       ember --no-api --config-file FILE [options]\n\n"
		   "Runs one microVM driven by Firecracker's HTTP API (docs/api.md).\n\noptions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		char left[48];

		snprintf(left, sizeof(left), "--%s%s%s", table[i].opt.name,
			 table[i].arg ? " " : "", table[i].arg ? table[i].arg : "");
		fprintf(f, "  %-34s %s\n", left, table[i].help);
	}
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static bool valid_instance_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return false;
	return true;
}

enum options_result vmm_options_parse(int argc, char **argv, struct vmm_options *o,
				      struct vm_config *cfg, char *why, size_t why_len)
{
	struct option longopts[ARRAY_SIZE(table) + 1];
	enum log_level lv;
	int c;

	memset(o, 0, sizeof(*o));
	o->id = "anonymous-instance";
	if (!cfg->logger.set)
		cfg->logger.level = LOG_INFO;	/* Firecracker's default once a logger is set */
	o->max_payload = HTTP_DEFAULT_MAX_BODY;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		longopts[i] = table[i].opt;
	memset(&longopts[ARRAY_SIZE(table)], 0, sizeof(longopts[0]));
	/* optind = 0, not 1: a full reset of getopt's state (see options.c). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case O_API_SOCK: o->api_sock = optarg; break;
		case O_CONFIG_FILE: o->config_file = optarg; break;
		case O_NO_API: o->no_api = true; break;
		case O_ID:
			if (!valid_instance_id(optarg)) {
				snprintf(why, why_len, "--id '%s': 1 to 64 letters, digits or '-'",
					 optarg);
				return OPTIONS_BAD;
			}
			o->id = optarg;
			break;
		case O_LOG_PATH:
		case O_MODULE:
			if (set_str(c == O_LOG_PATH ? &cfg->logger.log_path : &cfg->logger.module,
				    optarg)) {
				snprintf(why, why_len, "out of memory");
				return OPTIONS_BAD;
			}
			cfg->logger.set = true;
			break;
		case O_LEVEL:
			if (log_level_parse(optarg, &lv)) {
				snprintf(why, why_len, "--level '%s': expected Error, Warning, Info, "
					 "Debug, Trace or Off", optarg);
				return OPTIONS_BAD;
			}
			cfg->logger.level = (int)lv;
			cfg->logger.set = true;
			break;
		case O_SHOW_LEVEL: cfg->logger.show_level = cfg->logger.set = true; break;
		case O_SHOW_ORIGIN: cfg->logger.show_log_origin = cfg->logger.set = true; break;
		case O_METRICS_PATH:
			if (set_str(&cfg->metrics.metrics_path, optarg)) {
				snprintf(why, why_len, "out of memory");
				return OPTIONS_BAD;
			}
			break;
		case O_MAX_PAYLOAD:
			if (parse_u64(optarg, 1, 1u << 30, &o->max_payload)) {
				snprintf(why, why_len, "--http-api-max-payload-size '%s': expected bytes "
					 "from 1 to %u", optarg, 1u << 30);
				return OPTIONS_BAD;
			}
			break;
		case O_START_US:
		case O_START_CPU_US:
			if (parse_u64(optarg, 0, UINT64_MAX / 1000,
				      c == O_START_US ? &o->start_time_us : &o->start_time_cpu_us)) {
				snprintf(why, why_len, "%s '%s': expected microseconds",
					 argv[optind - 1], optarg);
				return OPTIONS_BAD;
			}
			break;
		case O_BOOT_TIMER: cfg->boot_time = true; break;
		case O_NO_SECCOMP: cfg->no_seccomp = true; break;
		case O_HELP:
			vmm_options_usage(stdout);
			return OPTIONS_EXIT_OK;
		case O_VERSION:
			printf("ember %s\n", EMBER_VERSION);
			return OPTIONS_EXIT_OK;
		case ':':
			snprintf(why, why_len, "option '%s' needs a value", argv[optind - 1]);
			return OPTIONS_BAD;
		default:
			snprintf(why, why_len, "unknown option '%s' (see ember --help)",
				 argv[optind - 1]);
			return OPTIONS_BAD;
		}
	}
	if (optind < argc) {
		snprintf(why, why_len, "unexpected argument '%s'", argv[optind]);
		return OPTIONS_BAD;
	}
	if (o->no_api && !o->config_file) {
		snprintf(why, why_len, "--no-api needs --config-file");
		return OPTIONS_BAD;
	}
	if (o->no_api && o->api_sock) {
		snprintf(why, why_len, "--no-api and --api-sock exclude each other");
		return OPTIONS_BAD;
	}
	if (!o->no_api && !o->api_sock) {
		snprintf(why, why_len, "give --api-sock PATH (or --no-api --config-file FILE)");
		return OPTIONS_BAD;
	}
	return OPTIONS_RUN;
}
