/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_config.c: bytes -> config_file_parse and GET /vm/config rendering; a rendered config must parse back. */
#include <string.h>

#include "api/schema.h"
#include "cli/config_file.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config c, again;
	char why[512];

	config_init(&c);
	if (config_file_parse((const char *)data, size, &c, why, sizeof(why)) == 0) {
		json_t *j = schema_vm_config_json(&c);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_ASSERT(text);
		config_init(&again);
		/* What GET /vm/config shows is itself an accepted config file. */
		FUZZ_ASSERT(config_file_parse(text, strlen(text), &again, why, sizeof(why)) == 0);
		FUZZ_ASSERT(again.vcpus == c.vcpus && again.mem_mib == c.mem_mib);
		FUZZ_ASSERT(again.n_drives == c.n_drives && again.n_nets == c.n_nets);
		config_free(&again);
		free(text);
		json_decref(j);
	} else {
		FUZZ_ASSERT(why[0]);
	}
	config_free(&c);
	return 0;
}
