/* SPDX-License-Identifier: MIT */
/* sandbox/bpf.h: the seccomp programs compiled at build time ($(BUILD)/gen/sandbox_bpf.c, written by bpf_gen.c). */
#ifndef EMBER_SANDBOX_BPF_H
#define EMBER_SANDBOX_BPF_H

#include <stddef.h>
#include <linux/filter.h>

#include "sandbox/sandbox.h"

/* The BPF program of a class and its length in instructions; NULL and 0
 * for an unknown class. */
const struct sock_filter *sandbox_bpf_program(enum sandbox_class cls, size_t *len);

/* The signal number the generator gave the tgkill rule for the vCPU kick
 * (VCPU_KICK_SIGNAL there); sandbox_prepare() checks it against its own. */
extern const int sandbox_bpf_kick_signal;

#endif
