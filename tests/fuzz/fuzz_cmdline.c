/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_cmdline.c: newline-separated items -> cmdline_init + cmdline_append, checking bounds and has(). */
#include <string.h>

#include "boot/cmdline.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The parameter name of an item: up to '=', or all of it. */
static size_t key_len(const char *item)
{
	const char *eq = strchr(item, '=');

	return eq ? (size_t)(eq - item) : strlen(item);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline c;
	char *text = malloc(size + 1), *save = NULL, *item;
	bool failed = false;
	unsigned int n = 0;

	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = 0;
	/* First line is the user's base command line, the rest are appends. */
	item = strtok_r(text, "\n", &save);
	cmdline_init(&c, item ? item : "");
	FUZZ_ASSERT(c.len == strlen(c.buf) && c.len < CMDLINE_CAP);
	while ((item = strtok_r(NULL, "\n", &save)) && n++ < 64) {
		size_t before = c.len, klen = key_len(item);
		int err = (n & 1) ? cmdline_append(&c, "%s", item)
				  : cmdline_append(&c, "%.*s=%s", (int)klen, item,
						   item[klen] ? item + klen + 1 : "");

		FUZZ_ASSERT(c.len == strlen(c.buf) && c.len < CMDLINE_CAP);
		if (err) {
			FUZZ_ASSERT(c.overflow && c.len == before);
			failed = true;
			continue;
		}
		FUZZ_ASSERT(c.len > before);	/* strtok_r yields no empty items */
		/* A key without spaces that was just appended must be found. */
		if (klen && !memchr(item, ' ', klen) && item[0] != ' ') {
			char key[CMDLINE_CAP];

			memcpy(key, item, klen);
			key[klen] = 0;
			FUZZ_ASSERT(cmdline_has(&c, key));
		}
	}
	if (failed)
		FUZZ_ASSERT(c.overflow);
	free(text);
	return 0;
}
