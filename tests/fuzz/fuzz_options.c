/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_options.c: NUL-separated bytes as argv -> options_parse_run, then a clean parse must still work. */
#include <string.h>

#include "cli/options.h"
#include "fuzz.h"

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* --help and --version print to stdout; libFuzzer reports on stderr. */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

static enum options_result parse(int argc, char **argv, struct vm_config *cfg)
{
	char why[256] = "";
	int level = -1;
	enum options_result r;

	config_init(cfg);
	r = options_parse_run(argc, argv, cfg, &level, why, sizeof(why));
	if (r == OPTIONS_BAD)
		FUZZ_ASSERT(why[0]);
	if (r == OPTIONS_RUN) {
		FUZZ_ASSERT(config_validate(cfg, why, sizeof(why)) == 0);
		FUZZ_ASSERT(cfg->kernel_path && cfg->vcpus >= 1 && cfg->vcpus <= 32);
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *copies[MAX_ARGS + 1];
	char *fixed[] = { (char *)"ember", (char *)"--kernel", (char *)"k", NULL };
	struct vm_config cfg;
	int argc = 1, ncopies = 0;
	size_t start = 0;

	argv[0] = (char *)"ember";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i < size && data[i])
			continue;
		/* Not strndup: the input has no NUL after its last byte. */
		copies[ncopies] = malloc(i - start + 1);
		FUZZ_ASSERT(copies[ncopies]);
		memcpy(copies[ncopies], data + start, i - start);
		copies[ncopies][i - start] = 0;
		argv[argc++] = copies[ncopies++];
		start = i + 1;
	}
	argv[argc] = NULL;
	(void)parse(argc, argv, &cfg);
	config_free(&cfg);

	/*
	 * No parser state may leak into the next parse.  The fuzzed strings stay
	 * allocated until then: freed, a stale pointer into them would read
	 * whatever the allocator left there instead of failing reliably.
	 */
	FUZZ_ASSERT(parse(3, fixed, &cfg) == OPTIONS_RUN);
	FUZZ_ASSERT(!strcmp(cfg.kernel_path, "k"));
	config_free(&cfg);
	for (int i = 0; i < ncopies; i++)
		free(copies[i]);
	return 0;
}
