/* SPDX-License-Identifier: MIT */
/* kvm/vcpu.c: per-vCPU KVM state set-up and the exit dispatch loop (PIO/MMIO to the buses). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86/cpu_template.h"
#include "arch/x86/regs.h"
#include "kvm/coalesced.h"
#include "kvm/vcpu.h"
#include "util/metrics.h"
#include "sandbox/sandbox.h"

#define MSR_IA32_TSC			0x10
#define MSR_IA32_SYSENTER_CS		0x174
#define MSR_IA32_SYSENTER_ESP		0x175
#define MSR_IA32_SYSENTER_EIP		0x176
#define MSR_IA32_MISC_ENABLE		0x1a0
#define MSR_STAR			0xc0000081
#define MSR_LSTAR			0xc0000082
#define MSR_CSTAR			0xc0000083
#define MSR_SYSCALL_MASK		0xc0000084
#define MSR_KERNEL_GS_BASE		0xc0000102
#define MISC_ENABLE_FAST_STRING		0x1

#define APIC_LVT0			0x350
#define APIC_LVT1			0x360
#define APIC_MODE_NMI			0x4
#define APIC_MODE_EXTINT		0x7

int vcpu_create(struct vm *vm, unsigned int index)
{
	struct vcpu *v = &vm->vcpus[index];
	void *run;

	v->vm = vm;
	v->index = index;
	v->unhandled_rl = (struct ratelimit)RATELIMIT_INIT(10, 1000);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0)
		return -errno;
	run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		int err = -errno;

		close(v->fd);
		v->fd = -1;
		return err;
	}
	v->run = run;
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static int set_msrs(struct vcpu *v)
{
	static const uint32_t zero_msrs[] = {
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
		MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
		MSR_IA32_TSC,
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(zero_msrs) + 1];
	} msrs;
	unsigned int n = 0;

	memset(&msrs, 0, sizeof(msrs));
	for (; n < ARRAY_SIZE(zero_msrs); n++)
		msrs.e[n].index = zero_msrs[n];
	msrs.e[n].index = MSR_IA32_MISC_ENABLE;
	msrs.e[n++].data = MISC_ENABLE_FAST_STRING;
	msrs.hdr.nmsrs = n;
	/* KVM_SET_MSRS returns how many it set; a short count is not fatal (host
	 * without SYSENTER on AMD, say) but we report it at debug level. */
	int r = ioctl(v->fd, KVM_SET_MSRS, &msrs);
	if (r < 0)
		return -errno;
	if ((unsigned int)r != n)
		log_debug("vcpu%u: KVM_SET_MSRS set %d of %u MSRs", v->index, r, n);
	return 0;
}

/*
 * The custom CPU template's MSR modifiers, after ember's own MSRs: each MSR
 * is read back from KVM, its bitmap applied, and written.  An MSR KVM does
 * not know is an error (-ENOENT), as in Firecracker.
 */
static int apply_msr_modifiers(struct vcpu *v, const struct cpu_config_cfg *cc)
{
	for (unsigned int i = 0; i < cc->n_msr; i++) {
		const struct msr_modifier_cfg *m = &cc->msr[i];
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e[1];
		} msrs;
		uint64_t old;
		int r;

		memset(&msrs, 0, sizeof(msrs));
		msrs.hdr.nmsrs = 1;
		msrs.e[0].index = m->addr;
		r = ioctl(v->fd, KVM_GET_MSRS, &msrs);
		if (r < 0)
			return -errno;
		if (r != 1) {
			log_error("vcpu%u: the CPU template changes MSR 0x%x, which KVM does not "
				  "support", v->index, m->addr);
			return -ENOENT;
		}
		old = msrs.e[0].data;
		msrs.e[0].data = cpu_template_apply(old, m->filter, m->value);
		r = ioctl(v->fd, KVM_SET_MSRS, &msrs);
		if (r < 0)
			return -errno;
		if (r != 1) {
			log_error("vcpu%u: KVM refused the CPU template's value 0x%llx for MSR 0x%x",
				  v->index, (unsigned long long)msrs.e[0].data, m->addr);
			return -ENOENT;
		}
		if (v->index == 0)
			log_debug("CPU template: MSR 0x%x 0x%llx -> 0x%llx", m->addr,
				  (unsigned long long)old, (unsigned long long)msrs.e[0].data);
	}
	return 0;
}

static int set_lint(struct vcpu *v)
{
	struct kvm_lapic_state lapic;
	uint32_t lvt;

	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	/* Virtual-wire mode: LINT0 takes the 8259's ExtINT, LINT1 is NMI. */
	memcpy(&lvt, &lapic.regs[APIC_LVT0], 4);
	lvt = (lvt & ~0x700u) | (APIC_MODE_EXTINT << 8);
	memcpy(&lapic.regs[APIC_LVT0], &lvt, 4);
	memcpy(&lvt, &lapic.regs[APIC_LVT1], 4);
	lvt = (lvt & ~0x700u) | (APIC_MODE_NMI << 8);
	memcpy(&lapic.regs[APIC_LVT1], &lvt, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

int vcpu_configure(struct vcpu *v, const struct cpuid_table *supported, uint32_t tsc_khz,
		   const struct boot_plan *plan)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} cpuid2;
	const struct cpu_config_cfg *cc = &v->vm->cfg->cpu_config;
	struct cpuid_table *t = malloc(sizeof(*t));
	struct kvm_fpu fpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int err;

	if (!t)
		return -ENOMEM;
	err = cpuid_build(supported, v->index, v->vm->nvcpus, tsc_khz, t);
	if (err) {
		free(t);
		return err;
	}
	if (cc->n_cpuid) {
		unsigned int bad = 0;

		err = cpuid_apply_modifiers(t, cc->cpuid, cc->n_cpuid, &bad);
		if (err) {
			log_error("vcpu%u: the CPU template changes CPUID leaf 0x%x subleaf 0x%x, "
				  "which KVM does not support", v->index, cc->cpuid[bad].leaf,
				  cc->cpuid[bad].subleaf);
			free(t);
			return err;
		}
	}
	cpuid2.hdr.nent = t->nent;
	cpuid2.hdr.padding = 0;
	memcpy(cpuid2.e, t->e, t->nent * sizeof(t->e[0]));
	free(t);
	if (ioctl(v->fd, KVM_SET_CPUID2, &cpuid2) < 0)
		return -errno;
	err = set_msrs(v);
	if (!err)
		err = apply_msr_modifiers(v, cc);
	if (err)
		return err;
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	err = set_lint(v);
	if (err)
		return err;
	if (v->index != 0)
		return 0;	/* APs wait for INIT/SIPI from the guest */
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	x86_boot_sregs(plan->proto, &sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	x86_boot_regs(plan, &regs);
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (v->run)
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->thread_started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t size = run->io.size;

	/* KVM guarantees data_offset + size * count lies in the run page. */
	if (is_write)
		METRIC_INC(vcpu, exit_io_out);
	else
		METRIC_INC(vcpu, exit_io_in);
	for (uint32_t i = 0; i < run->io.count; i++, p += size) {
		/* Probing absent ports is normal for a booting guest: debug level
		 * only, and rate-limited because the guest controls how often. */
		if (!bus_dispatch(&v->vm->pio, run->io.port, p, size, is_write) &&
		    log_get_level() >= LOG_DEBUG) {
			uint32_t sup;

			if (ratelimit_allow(&v->unhandled_rl, &sup))
				log_debug("vcpu%u: unclaimed port %s 0x%x size %u", v->index,
					  is_write ? "write" : "read", run->io.port, size);
		}
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len;

	if (run->mmio.is_write)
		METRIC_INC(vcpu, exit_mmio_write);
	else
		METRIC_INC(vcpu, exit_mmio_read);
	if (len == 0 || len > 8)
		return;
	if (!bus_dispatch(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
			  run->mmio.is_write))
		log_warn_ratelimited(&v->unhandled_rl,
				     "vcpu%u: unclaimed MMIO %s 0x%llx len %u", v->index,
				     run->mmio.is_write ? "write" : "read",
				     (unsigned long long)run->mmio.phys_addr, len);
}

/* The guest's rip for an error message; 0 when KVM cannot tell. */
static unsigned long long vcpu_rip(struct vcpu *v)
{
	struct kvm_regs regs;

	return ioctl(v->fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
}

static void report_error_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned long long rip = vcpu_rip(v);

	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		log_error("vcpu%u: KVM internal error, suberror %u, rip 0x%llx", v->index,
			  run->internal.suberror, rip);
	else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		log_error("vcpu%u: VM entry failed, hardware reason 0x%llx, rip 0x%llx",
			  v->index,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason, rip);
	else
		log_error("vcpu%u: unhandled exit reason %u, rip 0x%llx", v->index,
			  run->exit_reason, rip);
	if (v->vm->pvm_backend)
		log_error("this host's /dev/kvm is the PVM software backend: it emulates "
			  "unmodified guest code and cannot run every instruction "
			  "(see docs/boot.md)");
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	/* Last step before guest code runs: the vCPU allow-list (docs/seccomp.md). */
	if (sandbox_apply(SANDBOX_VCPU)) {
		log_error("vcpu%u: cannot install the seccomp filter; not running", v->index);
		vm_request_stop(vm, VM_STOP_ERROR);
		return NULL;
	}
	while (atomic_load(&vm->stop_reason) == VM_RUNNING) {
		int r;

		/*
		 * A pause is pending: enter with immediate_exit set, so that KVM
		 * first completes a pending PIO/MMIO and then returns -EINTR
		 * without running guest code (KVM_RUN in the KVM API docs).  The
		 * thread parks only after such an -EINTR: then the vCPU state is
		 * whole and a snapshot can read it (docs/snapshots.md).
		 */
		if (atomic_load(&vm->pause_pending))
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		r = ioctl(v->fd, KVM_RUN, 0);
		/* Writes KVM queued instead of exiting happened before this exit:
		 * the devices see them first. */
		coalesced_drain(vm->coalesced);

		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				vm_vcpu_pause_point(v);
				continue;
			}
			METRIC_INC(vcpu, failures);
			log_error("vcpu%u: KVM_RUN failed: %s", v->index, strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
		v->exits++;
		if (v->index == 0 && v->exits == 1)
			atomic_store(&vm->times.first_exit, now_ns());
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		case KVM_EXIT_SHUTDOWN: {
			/* Triple fault: what a PC does is reset, which ends a microVM
			 * (status 0, as a reboot).  A warning, once per VM: unlike a
			 * reboot the guest did not ask for it.  On Intel the rip is
			 * where to start looking; KVM on AMD has already INITed the
			 * vCPU (its VMCB is undefined after a shutdown), so there the
			 * rip is the reset vector and says nothing. */
			unsigned long long rip = vcpu_rip(v);

			if (rip == 0xfff0)
				log_warn("vcpu%u: triple fault (the vCPU is already at the reset "
					 "vector, as KVM on AMD reports it): the guest resets, "
					 "which ends the VM", v->index);
			else
				log_warn("vcpu%u: triple fault at rip 0x%llx: the guest resets, "
					 "which ends the VM", v->index, rip);
			vm_request_stop(vm, VM_STOP_RESET);
			break;
		}
		case KVM_EXIT_SYSTEM_EVENT:
			vm_request_stop(vm, v->run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN
						    ? VM_STOP_POWEROFF : VM_STOP_RESET);
			break;
		case KVM_EXIT_HLT:
			/* Only without an in-kernel LAPIC; ember always has one. */
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			METRIC_INC(vcpu, failures);
			report_error_exit(v);
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
	}
	return NULL;
}
