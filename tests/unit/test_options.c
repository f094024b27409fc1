/* SPDX-License-Identifier: MIT */
/* tests/unit/test_options.c: `ember run` option parsing, parse_u64 and config validation. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/options.h"
#include "harness.h"
#include "mem/layout.h"
#include "util/log.h"

static struct vm_config cfg;
static int level;
static char why[256];

/* Parse "ember run" arguments given as a NULL-terminated list (stdout muted). */
static enum options_result parse(const char *first, ...)
{
	char *argv[32];
	int argc = 0, saved, devnull;
	enum options_result r;
	va_list ap;

	argv[argc++] = strdup("ember");
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = strdup(a);
	va_end(ap);
	argv[argc] = NULL;

	config_free(&cfg);
	config_init(&cfg);
	level = -1;
	why[0] = 0;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, STDOUT_FILENO);
	r = options_parse_run(argc, argv, &cfg, &level, why, sizeof(why));
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(devnull);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return r;
}

static void test_options_defaults(void)
{
	CHECK_EQ(parse("--kernel", "vmlinux", NULL), OPTIONS_RUN);
	CHECK_STR(cfg.kernel_path, "vmlinux");
	CHECK(cfg.initrd_path == NULL);
	CHECK(cfg.cmdline == NULL);
	CHECK_EQ(cfg.vcpus, 1);
	CHECK_EQ(cfg.mem_mib, CONFIG_DEFAULT_MEM_MIB);
	CHECK(cfg.pit && cfg.serial_raw && !cfg.ucall && !cfg.boot_time);
	CHECK_EQ(level, -1);				/* untouched without --log-level */
}

static void test_options_every_long_flag(void)
{
	CHECK_EQ(parse("--kernel", "k", "--initrd", "i", "--cmdline", "console=ttyS0 quiet",
		       "--cpus", "4", "--mem", "256", "--boot-time", "--no-pit", "--no-raw",
		       "--ucall", "--log-level", "debug", NULL), OPTIONS_RUN);
	CHECK_STR(cfg.kernel_path, "k");
	CHECK_STR(cfg.initrd_path, "i");
	CHECK_STR(cfg.cmdline, "console=ttyS0 quiet");
	CHECK_EQ(cfg.vcpus, 4);
	CHECK_EQ(cfg.mem_mib, 256);
	CHECK(cfg.boot_time && !cfg.pit && !cfg.serial_raw && cfg.ucall);
	CHECK_EQ(level, LOG_DEBUG);
}

static void test_options_short_and_equals_forms(void)
{
	CHECK_EQ(parse("-k", "k", "-i", "i", "-c", "x", "-n", "2", "-m64", NULL), OPTIONS_RUN);
	CHECK_STR(cfg.kernel_path, "k");
	CHECK_STR(cfg.initrd_path, "i");
	CHECK_STR(cfg.cmdline, "x");
	CHECK_EQ(cfg.vcpus, 2);
	CHECK_EQ(cfg.mem_mib, 64);
	CHECK_EQ(parse("--kernel=a", "--cpus=32", "--mem=8", NULL), OPTIONS_RUN);
	CHECK_STR(cfg.kernel_path, "a");
	CHECK_EQ(cfg.vcpus, 32);
	CHECK_EQ(cfg.mem_mib, 8);
}

/* Repeated options: the last one wins (and the earlier string is freed). */
static void test_options_last_repeat_wins(void)
{
	CHECK_EQ(parse("--kernel", "a", "--kernel", "b", "--cpus", "3", "--cpus", "5", NULL),
		 OPTIONS_RUN);
	CHECK_STR(cfg.kernel_path, "b");
	CHECK_EQ(cfg.vcpus, 5);
}

static void test_options_cpus_out_of_range_refused(void)
{
	static const char *const bad[] = { "0", "33", "abc", "-1", "", "+1", "1x", " 1", "\t1",
					   "99999999999999999999999", "0x2" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(parse("--kernel", "k", "--cpus", bad[i], NULL), OPTIONS_BAD);
		CHECK(strstr(why, "--cpus") != NULL);
	}
	CHECK_EQ(parse("--kernel", "k", "--cpus", "1", NULL), OPTIONS_RUN);
	CHECK_EQ(parse("--kernel", "k", "--cpus", "032", NULL), OPTIONS_RUN);	/* decimal */
	CHECK_EQ(cfg.vcpus, 32);
}

static void test_options_mem_out_of_range_refused(void)
{
	static const char *const bad[] = { "7", "0", "1048577", "18446744073709551616", "lots",
					   "128M", "-128", "" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(parse("--kernel", "k", "--mem", bad[i], NULL), OPTIONS_BAD);
		CHECK(strstr(why, "--mem") != NULL);
	}
	CHECK_EQ(parse("--kernel", "k", "--mem", "1048576", NULL), OPTIONS_RUN);
	CHECK_EQ(cfg.mem_mib, LAYOUT_MAX_MEM_MIB);
}

static void test_options_acpi_and_seccomp_switches(void)
{
	CHECK_EQ(parse("--kernel", "k", NULL), OPTIONS_RUN);
	CHECK(cfg.acpi && !cfg.no_seccomp);			/* defaults */
	CHECK_EQ(parse("--kernel", "k", "--acpi", "off", "--no-seccomp", NULL), OPTIONS_RUN);
	CHECK(!cfg.acpi && cfg.no_seccomp);
	CHECK_EQ(parse("--kernel", "k", "--acpi=off", "--acpi", "on", NULL), OPTIONS_RUN);
	CHECK(cfg.acpi);
	CHECK_EQ(parse("--kernel", "k", "--acpi", "yes", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "--acpi") != NULL);
	CHECK_EQ(parse("--kernel", "k", "--acpi", NULL), OPTIONS_BAD);
}

static void test_options_bad_log_level_refused(void)
{
	CHECK_EQ(parse("--kernel", "k", "--log-level", "loud", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "--log-level") != NULL);
	CHECK_EQ(parse("--kernel", "k", "--log-level", "WARN", NULL), OPTIONS_RUN);
	CHECK_EQ(level, LOG_WARN);
}

static void test_options_unknown_option_refused(void)
{
	CHECK_EQ(parse("--kernel", "k", "--frobnicate", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "--frobnicate") != NULL);
	CHECK_EQ(parse("--kernel", "k", "-z", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "unknown option") != NULL);
	CHECK_EQ(parse("--kernel", "k", "--boot-time=yes", NULL), OPTIONS_BAD);
}

/* The message names the option the user typed, also inside a cluster ("-xk"). */
static void test_options_unknown_option_named(void)
{
	CHECK_EQ(parse("-zq", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "'-z'") != NULL);
	CHECK_EQ(parse("--kernel", "k", "-Vx", NULL), OPTIONS_EXIT_OK);
	CHECK_EQ(parse("--kernel", "k", "-xk", "v", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "'-x'") != NULL);
	CHECK_EQ(parse("--kernel", "k", "--frob", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "'--frob'") != NULL);
	CHECK_EQ(parse("--kernel", "k", "--boot-time=yes", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "'--boot-time=yes'") != NULL);
	CHECK_EQ(parse("--kernel", "k", "--help=x", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "'--help=x'") != NULL);
}

static void test_options_missing_value_refused(void)
{
	CHECK_EQ(parse("--kernel", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "needs a value") != NULL);
	CHECK(strstr(why, "--kernel") != NULL);
	CHECK_EQ(parse("--kernel", "k", "-n", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "needs a value") != NULL);
}

static void test_options_stray_argument_refused(void)
{
	CHECK_EQ(parse("--kernel", "k", "extra", NULL), OPTIONS_BAD);
	CHECK(strstr(why, "unexpected argument 'extra'") != NULL);
	CHECK_EQ(parse("vmlinux", NULL), OPTIONS_BAD);
	CHECK_EQ(parse("--kernel", "k", "--", "x", NULL), OPTIONS_BAD);
}

static void test_options_help_and_version_exit_ok(void)
{
	CHECK_EQ(parse("--help", NULL), OPTIONS_EXIT_OK);
	CHECK_EQ(parse("-h", NULL), OPTIONS_EXIT_OK);
	CHECK_EQ(parse("--version", NULL), OPTIONS_EXIT_OK);
	CHECK_EQ(parse("-V", NULL), OPTIONS_EXIT_OK);
	CHECK_EQ(parse("--cpus", "4", "--help", "--bogus", NULL), OPTIONS_EXIT_OK);
}

static void test_options_kernel_required(void)
{
	CHECK_EQ(parse(NULL), OPTIONS_BAD);
	CHECK(strstr(why, "--kernel") != NULL);
	CHECK_EQ(parse("--cpus", "2", NULL), OPTIONS_BAD);
	CHECK_EQ(parse("--kernel", "", NULL), OPTIONS_BAD);
}

/*
 * Each parse starts from scratch: a parse that stopped inside an option
 * cluster ("-hV" returns at -h) must not leave getopt positioned at the
 * "V", which the next parse would then take as --version.
 */
static void test_options_reparse_starts_clean(void)
{
	CHECK_EQ(parse("-hV", NULL), OPTIONS_EXIT_OK);
	CHECK_EQ(parse("--kernel", "vmlinux", NULL), OPTIONS_RUN);
	CHECK_STR(cfg.kernel_path, "vmlinux");
	CHECK_EQ(parse("-zk", "x", NULL), OPTIONS_BAD);
	CHECK_EQ(parse("--kernel", "vmlinux", NULL), OPTIONS_RUN);
}

static void test_options_cmdline_too_long_refused(void)
{
	char *s = malloc(LAYOUT_CMDLINE_MAX);

	memset(s, 'a', LAYOUT_CMDLINE_MAX - 512);
	s[LAYOUT_CMDLINE_MAX - 512] = 0;
	CHECK_EQ(parse("--kernel", "k", "--cmdline", s, NULL), OPTIONS_BAD);
	CHECK(strstr(why, "command line") != NULL);
	s[LAYOUT_CMDLINE_MAX - 513] = 0;
	CHECK_EQ(parse("--kernel", "k", "--cmdline", s, NULL), OPTIONS_RUN);
	free(s);
}

/* parse_u64: the whole string, decimal digits only, within [min, max]. */
static void test_parse_u64_strict(void)
{
	uint64_t v = 7;

	CHECK_EQ(parse_u64("0", 0, 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(parse_u64("10", 0, 10, &v), 0);
	CHECK_EQ(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(parse_u64("11", 0, 10, &v), -ERANGE);
	CHECK_EQ(parse_u64("4", 5, 10, &v), -ERANGE);
	CHECK_EQ(parse_u64(NULL, 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("-1", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("+1", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64(" 1", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("\t1", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("\n1", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("1 ", 0, 10, &v), -EINVAL);
	CHECK_EQ(parse_u64("0x1", 0, 10, &v), -EINVAL);
	CHECK_EQ(v, UINT64_MAX);			/* untouched on error */
}

static void test_config_validate_ranges(void)
{
	struct vm_config c;
	char w[128];

	config_init(&c);
	CHECK_EQ(config_validate(&c, w, sizeof(w)), -EINVAL);	/* no kernel */
	c.kernel_path = strdup("k");
	CHECK_EQ(config_validate(&c, w, sizeof(w)), 0);
	c.vcpus = 0;
	CHECK_EQ(config_validate(&c, w, sizeof(w)), -EINVAL);
	c.vcpus = CONFIG_MAX_VCPUS + 1;
	CHECK_EQ(config_validate(&c, w, sizeof(w)), -EINVAL);
	c.vcpus = CONFIG_MAX_VCPUS;
	c.mem_mib = LAYOUT_MIN_MEM_MIB - 1;
	CHECK_EQ(config_validate(&c, w, sizeof(w)), -EINVAL);
	c.mem_mib = LAYOUT_MAX_MEM_MIB + 1;
	CHECK_EQ(config_validate(&c, w, sizeof(w)), -EINVAL);
	config_free(&c);
}

int main(void)
{
	RUN(test_options_defaults);
	RUN(test_options_every_long_flag);
	RUN(test_options_short_and_equals_forms);
	RUN(test_options_last_repeat_wins);
	RUN(test_options_cpus_out_of_range_refused);
	RUN(test_options_mem_out_of_range_refused);
	RUN(test_options_acpi_and_seccomp_switches);
	RUN(test_options_bad_log_level_refused);
	RUN(test_options_unknown_option_refused);
	RUN(test_options_unknown_option_named);
	RUN(test_options_missing_value_refused);
	RUN(test_options_stray_argument_refused);
	RUN(test_options_help_and_version_exit_ok);
	RUN(test_options_kernel_required);
	RUN(test_options_reparse_starts_clean);
	RUN(test_options_cmdline_too_long_refused);
	RUN(test_parse_u64_strict);
	RUN(test_config_validate_ranges);
	config_free(&cfg);
	return harness_summary("options");
}
