/* SPDX-License-Identifier: MIT */
/* cli/options.c: table-driven `ember run` options; --help is generated from the same table. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_file.h"
#include "cli/device_options.h"
#include "cli/options.h"
#include "mem/layout.h"
#include "util/log.h"

enum {
	OPT_KERNEL = 'k', OPT_INITRD = 'i', OPT_CMDLINE = 'c', OPT_CPUS = 'n', OPT_MEM = 'm',
	OPT_HELP = 'h', OPT_VERSION = 'V',
	OPT_BOOT_TIME = 256, OPT_UCALL, OPT_NO_PIT, OPT_LOG_LEVEL, OPT_NO_RAW, OPT_ACPI,
	OPT_NO_SECCOMP, OPT_DISK, OPT_NET, OPT_VSOCK, OPT_RNG, OPT_BALLOON,
	OPT_RESTORE, OPT_MEM_FILE, OPT_RESUME, OPT_SNAP_MARKER, OPT_TRACK_DIRTY,
	OPT_CPU_CONFIG,
};

static const struct {
	struct option opt;
	const char *arg;
	const char *help;
} table[] = {
	{ { "kernel", required_argument, NULL, OPT_KERNEL }, "PATH",
	  "kernel: ELF vmlinux (PVH note used when present) or bzImage" },
	{ { "initrd", required_argument, NULL, OPT_INITRD }, "PATH", "initial ramdisk" },
	{ { "cmdline", required_argument, NULL, OPT_CMDLINE }, "STR",
	  "kernel command line (default: \"" CONFIG_DEFAULT_CMDLINE "\")" },
	{ { "cpus", required_argument, NULL, OPT_CPUS }, "N", "vCPUs, 1-32 (default 1)" },
	{ { "mem", required_argument, NULL, OPT_MEM }, "MiB", "guest memory in MiB (default 128)" },
	{ { "boot-time", no_argument, NULL, OPT_BOOT_TIME }, NULL,
	  "print the boot-time breakdown on stderr when the VM ends" },
	{ { "acpi", required_argument, NULL, OPT_ACPI }, "on|off",
	  "ACPI tables: CPUs and devices for stock distro kernels (default on)" },
	{ { "no-pit", no_argument, NULL, OPT_NO_PIT }, NULL,
	  "no i8254 PIT (guest must not need it to calibrate)" },
	{ { "no-raw", no_argument, NULL, OPT_NO_RAW }, NULL,
	  "leave the terminal in cooked mode" },
	{ { "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP }, NULL,
	  "no seccomp filters (debugging only; a warning is printed)" },
	{ { "cpu-config", required_argument, NULL, OPT_CPU_CONFIG }, "FILE",
	  "custom CPU template (Firecracker JSON: cpuid_modifiers, msr_modifiers)" },
	{ { "ucall", no_argument, NULL, OPT_UCALL }, NULL,
	  "honour the test-guest ucall port 0x444 (for test guests)" },
	{ { "disk", required_argument, NULL, OPT_DISK }, "PATH[,..]",
	  "virtio-blk raw image (repeatable; first is /dev/vda): ro, root, id=, io=sync|uring, "
	  "cache=unsafe|writeback, bw=BYTES/s, iops=N (docs/devices.md)" },
	{ { "net", required_argument, NULL, OPT_NET }, "tap=NAME[,..]",
	  "virtio-net on a TAP device (repeatable): mac=, mtu=, rx_bw=, tx_bw=, rx_pps=, tx_pps=" },
	{ { "vsock", required_argument, NULL, OPT_VSOCK }, "CID,UDS",
	  "virtio-vsock with guest CID, host side on Unix socket UDS" },
	{ { "rng", optional_argument, NULL, OPT_RNG }, "[=bw=BYTES/s]",
	  "virtio-rng entropy device (from getrandom)" },
	{ { "balloon", required_argument, NULL, OPT_BALLOON }, "MiB[,..]",
	  "virtio-balloon with a target size: deflate_on_oom, stats=SECONDS" },
	{ { "restore", required_argument, NULL, OPT_RESTORE }, "SNAP",
	  "restore the VM from a snapshot state file instead of booting (with --mem-file)" },
	{ { "mem-file", required_argument, NULL, OPT_MEM_FILE }, "PATH",
	  "the snapshot's memory file, mapped copy-on-write" },
	{ { "resume", no_argument, NULL, OPT_RESUME }, NULL,
	  "run the restored VM at once (otherwise it waits paused)" },
	{ { "snapshot-at-marker", required_argument, NULL, OPT_SNAP_MARKER },
	  "SNAP,MEM[,diff][,continue]",
	  "at the guest's first boot marker (port 0x440 = 123) write a snapshot, then "
	  "stop (or continue)" },
	{ { "track-dirty-pages", no_argument, NULL, OPT_TRACK_DIRTY }, NULL,
	  "log guest writes so that diff snapshots can be taken" },
	{ { "log-level", required_argument, NULL, OPT_LOG_LEVEL }, "LEVEL",
	  "error, warn (default), info, debug" },
	{ { "help", no_argument, NULL, OPT_HELP }, NULL, "this help" },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL, "print the version" },
};

void options_usage(FILE *f)
{
	fprintf(f, "usage: ember run --kernel PATH [options]\n"
		   "       ember --version | --help\n\n"
		   "Boots a microVM in the foreground with its serial console on this terminal.\n"
		   "Press Ctrl-A then x to quit; Ctrl-A Ctrl-A sends Ctrl-A.\n\noptions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		char left[40];

		snprintf(left, sizeof(left), "--%s%s%s", table[i].opt.name,
			 table[i].arg ? " " : "", table[i].arg ? table[i].arg : "");
		fprintf(f, "  %-22s %s\n", left, table[i].help);
	}
	fprintf(f, "\nexit status: 0 guest powered off or rebooted, 1 VMM error, 2 bad input,\n"
		   "             3 guest panic, 4 test guest failure (--ucall)\n");
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull would skip any leading white space and take a sign. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

/* --snapshot-at-marker SNAP,MEM[,diff][,continue] */
static int parse_snap_marker(struct vm_config *cfg, const char *arg, char *why, size_t why_len)
{
	char *s = strdup(arg), *save = NULL, *tok;
	unsigned int n = 0;
	int err = 0;

	if (!s) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(s, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save), n++) {
		if (n == 0)
			err = set_str(&cfg->marker_snap_path, tok);
		else if (n == 1)
			err = set_str(&cfg->marker_mem_path, tok);
		else if (!strcmp(tok, "diff"))
			cfg->marker_diff = true;
		else if (!strcmp(tok, "continue"))
			cfg->marker_continue = true;
		else
			err = -EINVAL;
	}
	free(s);
	if (err || n < 2) {
		snprintf(why, why_len, "--snapshot-at-marker '%s': expected SNAP,MEM[,diff][,continue]",
			 arg);
		return -EINVAL;
	}
	return 0;
}

enum options_result options_parse_run(int argc, char **argv, struct vm_config *cfg,
				      int *log_level, char *why, size_t why_len)
{
	struct option longopts[ARRAY_SIZE(table) + 1];
	uint64_t v;
	int c;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		longopts[i] = table[i].opt;
	memset(&longopts[ARRAY_SIZE(table)], 0, sizeof(longopts[0]));
	/*
	 * optind = 0 makes glibc and musl reset all of getopt's state; with 1, a
	 * previous parse that returned inside a cluster ("-hV" stops at -h)
	 * leaves a pointer into its argv that the next parse would resume from.
	 */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:c:n:m:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
		case OPT_INITRD:
		case OPT_CMDLINE:
			if (set_str(c == OPT_KERNEL ? &cfg->kernel_path :
				    c == OPT_INITRD ? &cfg->initrd_path : &cfg->cmdline, optarg)) {
				snprintf(why, why_len, "out of memory");
				return OPTIONS_BAD;
			}
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, 1, 32, &v)) {
				snprintf(why, why_len, "--cpus '%s': expected a number from 1 to 32",
					 optarg);
				return OPTIONS_BAD;
			}
			cfg->vcpus = (unsigned int)v;
			break;
		case OPT_MEM:
			if (parse_u64(optarg, LAYOUT_MIN_MEM_MIB, LAYOUT_MAX_MEM_MIB, &v)) {
				snprintf(why, why_len,
					 "--mem '%s': expected MiB from %llu to %llu", optarg,
					 LAYOUT_MIN_MEM_MIB, LAYOUT_MAX_MEM_MIB);
				return OPTIONS_BAD;
			}
			cfg->mem_mib = v;
			break;
		case OPT_BOOT_TIME: cfg->boot_time = true; break;
		case OPT_UCALL: cfg->ucall = true; break;
		case OPT_CPU_CONFIG:
			if (config_file_load_cpu_template(optarg, cfg, why, why_len))
				return OPTIONS_BAD;
			break;
		case OPT_NO_PIT: cfg->pit = false; break;
		case OPT_ACPI:
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				snprintf(why, why_len, "--acpi '%s': expected on or off", optarg);
				return OPTIONS_BAD;
			}
			cfg->acpi = !strcmp(optarg, "on");
			break;
		case OPT_NO_RAW: cfg->serial_raw = false; break;
		case OPT_NO_SECCOMP: cfg->no_seccomp = true; break;
		case OPT_DISK:
		case OPT_NET:
		case OPT_VSOCK:
		case OPT_RNG:
		case OPT_BALLOON: {
			int (*fn)(struct vm_config *, const char *, char *, size_t) =
				c == OPT_DISK ? devopt_disk : c == OPT_NET ? devopt_net :
				c == OPT_VSOCK ? devopt_vsock : c == OPT_RNG ? devopt_rng
									     : devopt_balloon;

			if (fn(cfg, optarg ? optarg : "", why, why_len))
				return OPTIONS_BAD;
			break;
		}
		case OPT_RESTORE:
		case OPT_MEM_FILE:
			if (set_str(c == OPT_RESTORE ? &cfg->restore_path : &cfg->restore_mem_path,
				    optarg)) {
				snprintf(why, why_len, "out of memory");
				return OPTIONS_BAD;
			}
			break;
		case OPT_RESUME: cfg->restore_resume = true; break;
		case OPT_TRACK_DIRTY: cfg->track_dirty_pages = true; break;
		case OPT_SNAP_MARKER:
			if (parse_snap_marker(cfg, optarg, why, why_len))
				return OPTIONS_BAD;
			break;
		case OPT_LOG_LEVEL: {
			enum log_level l;

			if (log_level_parse(optarg, &l)) {
				snprintf(why, why_len, "--log-level '%s': expected error, warn, "
					 "info, debug or off", optarg);
				return OPTIONS_BAD;
			}
			*log_level = (int)l;
			break;
		}
		case OPT_HELP:
			options_usage(stdout);
			return OPTIONS_EXIT_OK;
		case OPT_VERSION:
			printf("ember %s\n", EMBER_VERSION);
			return OPTIONS_EXIT_OK;
		case ':':
			snprintf(why, why_len, "option '%s' needs a value", argv[optind - 1]);
			return OPTIONS_BAD;
		default:
			/*
			 * Inside a cluster ("-xk") optind has not moved past the word
			 * yet, so name an unknown short option by optopt.  A known
			 * one in optopt means "--help=x": its word is argv[optind - 1].
			 */
			if (optopt > 0 && optopt < 128 && !strchr("?kicnmhV", optopt))
				snprintf(why, why_len, "unknown option '-%c' (see ember run --help)",
					 optopt);
			else
				snprintf(why, why_len, "unknown option '%s' (see ember run --help)",
					 argv[optind - 1]);
			return OPTIONS_BAD;
		}
	}
	if (optind < argc) {
		snprintf(why, why_len, "unexpected argument '%s' (see ember run --help)",
			 argv[optind]);
		return OPTIONS_BAD;
	}
	return config_validate(cfg, why, why_len) ? OPTIONS_BAD : OPTIONS_RUN;
}
