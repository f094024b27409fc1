/* SPDX-License-Identifier: MIT */
/* tests/lab/kvm-hold.c: keeps one idle VM (irqchip + a vCPU that never runs) open for the whole lab run. */
/*
 * Why: the lab kernel patches its own text and IPIs every CPU whenever KVM's
 * counts cross zero — the first VM enables SVM on all CPUs and the last one
 * disables it again, and each new vCPU's software-disabled LAPIC flips the
 * apic_sw_disabled static key (jump labels patched with int3 + text_poke_bp).
 * Under TCG's multi-threaded emulation that cross-CPU code patching froze
 * the lab: one CPU spinning in native_queued_spin_lock_slowpath, the other
 * looping through exc_int3.  With this VM alive, the counts never reach zero
 * while the tests start and stop their VMs, so nothing is patched.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("LAB-WARN kvm-hold");
		return 1;
	}
	printf("LAB-KVM-HOLD one idle VM holds KVM's static keys and SVM enable\n");
	fflush(stdout);
	for (;;)
		pause();
}
