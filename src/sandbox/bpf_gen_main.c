/* SPDX-License-Identifier: MIT */
/* sandbox/bpf_gen_main.c: the generator's entry point: bpf-gen OUT.c writes every class's precompiled filter. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/bpf_gen.h"

/* Any failure (unknown syscall, libseccomp error, short write) exits 1 and
 * leaves no OUT behind, so the build stops. */
int main(int argc, char **argv)
{
	FILE *f;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.c\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "bpf-gen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = sandbox_bpf_emit(f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		fprintf(stderr, "bpf-gen: %s not written: %s\n", argv[1], strerror(-err));
		unlink(argv[1]);
		return 1;
	}
	return 0;
}
