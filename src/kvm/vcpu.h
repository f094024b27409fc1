/* SPDX-License-Identifier: MIT */
/* kvm/vcpu.h: vCPU creation, architectural set-up and the KVM_RUN exit loop. */
#ifndef EMBER_VCPU_H
#define EMBER_VCPU_H

#include "arch/x86/cpuid.h"
#include "core/vm.h"

/* Create vCPU `index` (fd + kvm_run mapping). 0 / -errno. */
int vcpu_create(struct vm *vm, unsigned int index) __must_check;
/* CPUID, MSRs, FPU, LAPIC LINT pins; for the BSP also the entry registers. */
int vcpu_configure(struct vcpu *v, const struct cpuid_table *supported, uint32_t tsc_khz,
		   const struct boot_plan *plan) __must_check;
void vcpu_destroy(struct vcpu *v);

/* Thread body: KVM_RUN until the VM stops. */
void *vcpu_thread(void *arg);

/* Make a vCPU leave KVM_RUN promptly (any thread). */
void vcpu_kick(struct vcpu *v);

/* Signal used to kick vCPU threads out of KVM_RUN. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

#endif
