/* SPDX-License-Identifier: MIT */
/* snapshot/state.h: the machine, memory and KVM state of a snapshot, and its tag-by-tag encoding (pure). */
#ifndef EMBER_SNAP_STATE_H
#define EMBER_SNAP_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "arch/x86/cpuid.h"
#include "core/config.h"
#include "mem/gmem.h"
#include "snapshot/format.h"

/* Top-level sections (docs/snapshot-format.md lists every tag below them). */
enum {
	SNAP_SEC_MACHINE = 0x01,
	SNAP_SEC_MEMORY = 0x02,
	SNAP_SEC_VCPUS = 0x03,
	SNAP_SEC_IRQCHIP = 0x04,
	SNAP_SEC_PIT = 0x05,
	SNAP_SEC_CLOCK = 0x06,
	SNAP_SEC_SERIAL = 0x07,
	SNAP_SEC_I8042 = 0x08,
	SNAP_SEC_RTC = 0x09,
	SNAP_SEC_DEVICES = 0x0a,
	SNAP_SEC_INFO = 0x0b,		/* optional: who wrote it and when */
};

#define SNAP_MAX_MSRS		256
#define SNAP_MAX_XSAVE		16384	/* bytes; KVM_CAP_XSAVE2 sizes (AMX: 11008) fit */
#define SNAP_MIN_XSAVE		4096	/* struct kvm_xsave */
#define SNAP_MAX_XCRS		16
#define SNAP_NR_EVENTS		21	/* u64 values encoding struct kvm_vcpu_events */
#define SNAP_PIT_CHANNEL_VALUES	13
#define SNAP_PAGE_SIZE		4096u

enum snap_kind { SNAP_KIND_FULL = 1, SNAP_KIND_DIFF = 2 };

/* What the builder needs to rebuild the VM (a subset of struct vm_config). */
struct snap_machine {
	uint32_t vcpus;
	uint64_t mem_mib;
	bool pit, acpi, ucall;
};

/* Guest RAM regions and where each lies in the memory file. */
struct snap_memory {
	uint32_t kind;			/* enum snap_kind of the snapshot that wrote it */
	uint32_t nregions;
	struct {
		uint64_t gpa, size, file_offset;
	} region[GMEM_MAX_REGIONS];
	uint64_t file_size;		/* the memory file must be at least this long */
};

struct snap_vcpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint32_t nmsrs;
	struct kvm_msr_entry msrs[SNAP_MAX_MSRS];
	uint32_t xsave_len;
	uint8_t xsave[SNAP_MAX_XSAVE];
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	struct kvm_debugregs debugregs;
	uint32_t ncpuid;
	struct kvm_cpuid_entry2 cpuid[CPUID_MAX_ENTRIES];
	uint32_t tsc_khz;		/* 0: unknown */
};

/* Everything KVM keeps for the VM as a whole. */
struct snap_vmstate {
	struct kvm_pic_state pic[2];	/* master, slave */
	struct kvm_ioapic_state ioapic;
	bool has_pit;
	struct kvm_pit_state2 pit;
	uint64_t clock;			/* kvmclock, ns */
};

/* A decoded snapshot (heap: the vCPU array is large). */
struct snap_state {
	struct snap_machine machine;
	struct snap_memory memory;
	struct snap_vmstate vm;
	struct snap_vcpu vcpu[CONFIG_MAX_VCPUS];
};

/* Writers: one section each, in the documented layout. */
void snap_encode_machine(struct snap_writer *w, const struct snap_machine *m);
void snap_encode_memory(struct snap_writer *w, const struct snap_memory *m);
/* One element of the VCPUS array (the caller opens/closes SNAP_SEC_VCPUS). */
void snap_encode_vcpu(struct snap_writer *w, uint32_t index, const struct snap_vcpu *v);
void snap_encode_vmstate(struct snap_writer *w, const struct snap_vmstate *s);
void snap_encode_info(struct snap_writer *w, const char *creator, uint64_t unix_time,
		      uint32_t kind);

/*
 * Decode and check the MACHINE, MEMORY, VCPUS, IRQCHIP, PIT and CLOCK
 * sections of an opened file into *st (its header parts and its first
 * machine.vcpus vCPU entries zeroed first; later vCPU entries are left as
 * they are and never read).  Every length, count and range is checked;
 * the memory regions must be exactly the x86 layout of machine.mem_mib
 * (gmem_create_x86) packed back to back in the file.
 * 0 or -EINVAL with the reason in top->ctx->why.  Device sections are left
 * for the devices' own restore functions.
 */
int snap_decode(struct snap_reader *top, struct snap_state *st) __must_check;

/*
 * Virtio device configuration: the VIRTIO_SNAP_CONFIG section of each
 * DEVICES element (what the builder recreates the device from, as
 * Firecracker's ConstructorArgs).  Writers fill the open section.
 */
void snap_encode_drive_cfg(struct snap_writer *w, const struct drive_cfg *d);
void snap_encode_net_cfg(struct snap_writer *w, const struct net_cfg *n);	/* MAC as used */
void snap_encode_vsock_cfg(struct snap_writer *w, const struct vsock_cfg *v);
void snap_encode_entropy_cfg(struct snap_writer *w, const struct entropy_cfg *e);
void snap_encode_balloon_cfg(struct snap_writer *w, const struct balloon_cfg *b);

/*
 * Read the configuration of every device in the DEVICES section into cfg,
 * replacing its drives, network interfaces, vsock, entropy and balloon.
 * Every field is checked (ids, ranges, device order: drives, nets, vsock,
 * entropy, balloon, as devices_attach creates them; config_check_devices).
 * Only the device id, config id and CONFIG records are read here; the rest
 * of each element is checked when the state is applied.  0 / -EINVAL / -ENOMEM.
 */
int snap_decode_devices_cfg(struct snap_reader *top, struct vm_config *cfg) __must_check;

/* The region table gmem_create_x86() would build for `mem_mib`, packed
 * back to back from file offset 0.  0 / -EINVAL. */
int snap_memory_layout(uint64_t mem_mib, struct snap_memory *m) __must_check;

#endif
