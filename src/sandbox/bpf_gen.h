/* SPDX-License-Identifier: MIT */
/* sandbox/bpf_gen.h: the build-time seccomp compiler (libseccomp) that writes $(BUILD)/gen/sandbox_bpf.c. */
#ifndef EMBER_SANDBOX_BPF_GEN_H
#define EMBER_SANDBOX_BPF_GEN_H

#include <stddef.h>
#include <stdio.h>
#include <linux/filter.h>

#include "sandbox/sandbox.h"

/*
 * Compile one class's allow-list (filters.c) with libseccomp: default action
 * kill the process, x86-64 only.  On success *insns is a malloc'd program of
 * *len instructions (the caller frees it).  Returns 0 or -errno; unknown
 * syscall names and libseccomp failures are errors, reported on stderr.
 */
int sandbox_bpf_compile(enum sandbox_class cls, struct sock_filter **insns, size_t *len);

/* Write the C source of every class's program (bpf.h's interface) to `out`.
 * The text depends only on the lists, the headers and libseccomp.
 * Returns 0 or -errno. */
int sandbox_bpf_emit(FILE *out);

#endif
