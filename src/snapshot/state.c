/* SPDX-License-Identifier: MIT */
/* snapshot/state.c: field-by-field encoding and checked decoding of machine, memory and KVM state. */
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "mem/layout.h"
#include "snapshot/state.h"
#include "virtio/abi.h"
#include "virtio/device.h"

/* MACHINE */
enum { M_VCPUS = 1, M_MEM_MIB, M_PIT, M_ACPI, M_UCALL };
/* MEMORY; each region: R_GPA, R_SIZE, R_OFFSET */
enum { MEM_PAGE_SIZE = 1, MEM_REGIONS, MEM_FILE_SIZE, MEM_KIND };
enum { R_GPA = 1, R_SIZE, R_OFFSET };
/* one vCPU */
enum {
	V_REGS = 1, V_SREGS, V_MSRS, V_XSAVE, V_XCRS, V_LAPIC, V_EVENTS, V_MP_STATE,
	V_DEBUGREGS, V_CPUID, V_TSC_KHZ,
};
/* sregs */
enum {
	S_CS = 1, S_DS, S_ES, S_FS, S_GS, S_SS, S_TR, S_LDT, S_GDT, S_IDT, S_CRS,
	S_INTERRUPT_BITMAP,
};
/* IRQCHIP */
enum { IC_PIC_MASTER = 1, IC_PIC_SLAVE, IC_IOAPIC };
enum { IO_BASE = 1, IO_IOREGSEL, IO_ID, IO_IRR, IO_REDIRTBL };
/* PIT */
enum { PIT_FLAGS = 1, PIT_CHANNELS };
/* CLOCK */
enum { CLK_NS = 1 };
/* INFO */
enum { INFO_CREATOR = 1, INFO_TIME, INFO_KIND };

#define SEG_BYTES	24
#define MSR_BYTES	16
#define XCR_BYTES	16
#define CPUID_BYTES	28
#define NR_SREGS_CRS	7
#define PIC_BYTES	16

static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------ encoding */

void snap_encode_machine(struct snap_writer *w, const struct snap_machine *m)
{
	snap_begin(w, SNAP_SEC_MACHINE);
	snap_put_u32(w, M_VCPUS, m->vcpus);
	snap_put_u64(w, M_MEM_MIB, m->mem_mib);
	snap_put_u32(w, M_PIT, m->pit);
	snap_put_u32(w, M_ACPI, m->acpi);
	snap_put_u32(w, M_UCALL, m->ucall);
	snap_end(w);
}

void snap_encode_memory(struct snap_writer *w, const struct snap_memory *m)
{
	snap_begin(w, SNAP_SEC_MEMORY);
	snap_put_u32(w, MEM_PAGE_SIZE, SNAP_PAGE_SIZE);
	snap_put_u32(w, MEM_KIND, m->kind);
	snap_put_u64(w, MEM_FILE_SIZE, m->file_size);
	snap_begin(w, MEM_REGIONS);
	for (uint32_t i = 0; i < m->nregions; i++) {
		snap_begin(w, i);
		snap_put_u64(w, R_GPA, m->region[i].gpa);
		snap_put_u64(w, R_SIZE, m->region[i].size);
		snap_put_u64(w, R_OFFSET, m->region[i].file_offset);
		snap_end(w);
	}
	snap_end(w);
	snap_end(w);
}

static void put_segment(struct snap_writer *w, uint32_t tag, const struct kvm_segment *s)
{
	uint8_t b[SEG_BYTES];

	snap_le64(b, s->base);
	le32(b + 8, s->limit);
	b[12] = (uint8_t)s->selector;
	b[13] = (uint8_t)(s->selector >> 8);
	b[14] = s->type;
	b[15] = s->present;
	b[16] = s->dpl;
	b[17] = s->db;
	b[18] = s->s;
	b[19] = s->l;
	b[20] = s->g;
	b[21] = s->avl;
	b[22] = s->unusable;
	b[23] = 0;
	snap_put_bytes(w, tag, b, sizeof(b));
}

static void put_sregs(struct snap_writer *w, const struct kvm_sregs *s)
{
	const struct kvm_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};
	uint64_t crs[NR_SREGS_CRS] = { s->cr0, s->cr2, s->cr3, s->cr4, s->cr8, s->efer,
				       s->apic_base };
	uint64_t gdt[2] = { s->gdt.base, s->gdt.limit }, idt[2] = { s->idt.base, s->idt.limit };
	uint64_t ibm[ARRAY_SIZE(s->interrupt_bitmap)];

	snap_begin(w, V_SREGS);
	for (uint32_t i = 0; i < ARRAY_SIZE(segs); i++)
		put_segment(w, S_CS + i, segs[i]);
	snap_put_u64_array(w, S_GDT, gdt, 2);
	snap_put_u64_array(w, S_IDT, idt, 2);
	snap_put_u64_array(w, S_CRS, crs, NR_SREGS_CRS);
	for (size_t i = 0; i < ARRAY_SIZE(s->interrupt_bitmap); i++)
		ibm[i] = s->interrupt_bitmap[i];
	snap_put_u64_array(w, S_INTERRUPT_BITMAP, ibm, ARRAY_SIZE(ibm));
	snap_end(w);
}

static void regs_to_array(const struct kvm_regs *r, uint64_t a[18])
{
	const uint64_t v[18] = {
		r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip, r->rflags,
	};

	memcpy(a, v, sizeof(v));
}

static void array_to_regs(const uint64_t a[18], struct kvm_regs *r)
{
	r->rax = a[0]; r->rbx = a[1]; r->rcx = a[2]; r->rdx = a[3];
	r->rsi = a[4]; r->rdi = a[5]; r->rsp = a[6]; r->rbp = a[7];
	r->r8 = a[8]; r->r9 = a[9]; r->r10 = a[10]; r->r11 = a[11];
	r->r12 = a[12]; r->r13 = a[13]; r->r14 = a[14]; r->r15 = a[15];
	r->rip = a[16]; r->rflags = a[17];
}

static void events_to_array(const struct kvm_vcpu_events *e, uint64_t a[SNAP_NR_EVENTS])
{
	const uint64_t v[SNAP_NR_EVENTS] = {
		e->exception.injected, e->exception.nr, e->exception.has_error_code,
		e->exception.pending, e->exception.error_code,
		e->interrupt.injected, e->interrupt.nr, e->interrupt.soft, e->interrupt.shadow,
		e->nmi.injected, e->nmi.pending, e->nmi.masked,
		e->sipi_vector, e->flags,
		e->smi.smm, e->smi.pending, e->smi.smm_inside_nmi, e->smi.latched_init,
		e->triple_fault.pending, e->exception_has_payload, e->exception_payload,
	};

	memcpy(a, v, sizeof(v));
}

void snap_encode_vcpu(struct snap_writer *w, uint32_t index, const struct snap_vcpu *v)
{
	uint64_t regs[18], events[SNAP_NR_EVENTS];
	uint64_t dbg[6] = { v->debugregs.db[0], v->debugregs.db[1], v->debugregs.db[2],
			    v->debugregs.db[3], v->debugregs.dr6, v->debugregs.dr7 };
	uint8_t buf[CPUID_MAX_ENTRIES * CPUID_BYTES];

	snap_begin(w, index);
	regs_to_array(&v->regs, regs);
	snap_put_u64_array(w, V_REGS, regs, 18);
	put_sregs(w, &v->sregs);
	BUILD_BUG_ON(SNAP_MAX_MSRS * MSR_BYTES > sizeof(buf));
	for (uint32_t i = 0; i < v->nmsrs && i < SNAP_MAX_MSRS; i++) {
		le32(buf + i * MSR_BYTES, v->msrs[i].index);
		le32(buf + i * MSR_BYTES + 4, 0);
		snap_le64(buf + i * MSR_BYTES + 8, v->msrs[i].data);
	}
	snap_put_bytes(w, V_MSRS, buf, (size_t)MIN(v->nmsrs, SNAP_MAX_MSRS) * MSR_BYTES);
	snap_put_bytes(w, V_XSAVE, v->xsave, MIN(v->xsave_len, SNAP_MAX_XSAVE));
	for (uint32_t i = 0; i < v->xcrs.nr_xcrs && i < SNAP_MAX_XCRS; i++) {
		le32(buf + i * XCR_BYTES, v->xcrs.xcrs[i].xcr);
		le32(buf + i * XCR_BYTES + 4, 0);
		snap_le64(buf + i * XCR_BYTES + 8, v->xcrs.xcrs[i].value);
	}
	snap_put_bytes(w, V_XCRS, buf, (size_t)MIN(v->xcrs.nr_xcrs, SNAP_MAX_XCRS) * XCR_BYTES);
	snap_put_bytes(w, V_LAPIC, v->lapic.regs, sizeof(v->lapic.regs));
	events_to_array(&v->events, events);
	snap_put_u64_array(w, V_EVENTS, events, SNAP_NR_EVENTS);
	snap_put_u32(w, V_MP_STATE, v->mp_state.mp_state);
	snap_put_u64_array(w, V_DEBUGREGS, dbg, 6);
	for (uint32_t i = 0; i < v->ncpuid && i < CPUID_MAX_ENTRIES; i++) {
		const struct kvm_cpuid_entry2 *e = &v->cpuid[i];
		const uint32_t f[7] = { e->function, e->index, e->flags, e->eax, e->ebx,
					e->ecx, e->edx };

		for (int j = 0; j < 7; j++)
			le32(buf + i * CPUID_BYTES + 4 * j, f[j]);
	}
	snap_put_bytes(w, V_CPUID, buf, (size_t)MIN(v->ncpuid, CPUID_MAX_ENTRIES) * CPUID_BYTES);
	snap_put_u32(w, V_TSC_KHZ, v->tsc_khz);
	snap_end(w);
}

static void pic_bytes(const struct kvm_pic_state *p, uint8_t b[PIC_BYTES])
{
	const uint8_t v[PIC_BYTES] = {
		p->last_irr, p->irr, p->imr, p->isr, p->priority_add, p->irq_base,
		p->read_reg_select, p->poll, p->special_mask, p->init_state, p->auto_eoi,
		p->rotate_on_auto_eoi, p->special_fully_nested_mode, p->init4, p->elcr,
		p->elcr_mask,
	};

	memcpy(b, v, PIC_BYTES);
}

void snap_encode_vmstate(struct snap_writer *w, const struct snap_vmstate *s)
{
	uint64_t redir[KVM_IOAPIC_NUM_PINS];
	uint8_t b[PIC_BYTES];

	snap_begin(w, SNAP_SEC_IRQCHIP);
	pic_bytes(&s->pic[0], b);
	snap_put_bytes(w, IC_PIC_MASTER, b, sizeof(b));
	pic_bytes(&s->pic[1], b);
	snap_put_bytes(w, IC_PIC_SLAVE, b, sizeof(b));
	snap_begin(w, IC_IOAPIC);
	snap_put_u64(w, IO_BASE, s->ioapic.base_address);
	snap_put_u32(w, IO_IOREGSEL, s->ioapic.ioregsel);
	snap_put_u32(w, IO_ID, s->ioapic.id);
	snap_put_u32(w, IO_IRR, s->ioapic.irr);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		redir[i] = s->ioapic.redirtbl[i].bits;
	snap_put_u64_array(w, IO_REDIRTBL, redir, KVM_IOAPIC_NUM_PINS);
	snap_end(w);
	snap_end(w);

	if (s->has_pit) {
		snap_begin(w, SNAP_SEC_PIT);
		snap_put_u32(w, PIT_FLAGS, s->pit.flags);
		snap_begin(w, PIT_CHANNELS);
		for (uint32_t i = 0; i < 3; i++) {
			const struct kvm_pit_channel_state *c = &s->pit.channels[i];
			const uint64_t v[SNAP_PIT_CHANNEL_VALUES] = {
				c->count, c->latched_count, c->count_latched, c->status_latched,
				c->status, c->read_state, c->write_state, c->write_latch,
				c->rw_mode, c->mode, c->bcd, c->gate, (uint64_t)c->count_load_time,
			};

			snap_put_u64_array(w, i, v, SNAP_PIT_CHANNEL_VALUES);
		}
		snap_end(w);
		snap_end(w);
	}

	snap_begin(w, SNAP_SEC_CLOCK);
	snap_put_u64(w, CLK_NS, s->clock);
	snap_end(w);
}

void snap_encode_info(struct snap_writer *w, const char *creator, uint64_t unix_time,
		      uint32_t kind)
{
	snap_begin_flags(w, SNAP_SEC_INFO, SNAP_F_OPTIONAL);
	snap_put_str(w, INFO_CREATOR, creator);
	snap_put_u64(w, INFO_TIME, unix_time);
	snap_put_u32(w, INFO_KIND, kind);
	snap_end(w);
}

/* ------------------------------------------------------------ decoding */

int snap_memory_layout(uint64_t mem_mib, struct snap_memory *m)
{
	uint64_t size, low;

	if (mem_mib < LAYOUT_MIN_MEM_MIB || mem_mib > LAYOUT_MAX_MEM_MIB)
		return -EINVAL;
	size = MiB(mem_mib);
	low = MIN(size, LAYOUT_MMIO32_START);
	memset(m->region, 0, sizeof(m->region));
	m->nregions = 1;
	m->region[0].gpa = 0;
	m->region[0].size = low;
	m->region[0].file_offset = 0;
	if (size > low) {
		m->region[1].gpa = LAYOUT_HIGH_START;
		m->region[1].size = size - low;
		m->region[1].file_offset = low;
		m->nregions = 2;
	}
	m->file_size = size;
	return 0;
}

static int get_machine(struct snap_reader *top, struct snap_machine *m)
{
	struct snap_reader r;
	uint64_t mib = 0;

	if (snap_require(top, SNAP_SEC_MACHINE) || snap_get_section(top, SNAP_SEC_MACHINE, &r))
		return -EINVAL;
	if (snap_get_u32_range(&r, M_VCPUS, 1, CONFIG_MAX_VCPUS, &m->vcpus) ||
	    snap_get_u64_range(&r, M_MEM_MIB, LAYOUT_MIN_MEM_MIB, LAYOUT_MAX_MEM_MIB, &mib) ||
	    snap_get_bool(&r, M_PIT, &m->pit) || snap_get_bool(&r, M_ACPI, &m->acpi) ||
	    snap_get_bool(&r, M_UCALL, &m->ucall)) {
		snap_close(&r);
		return -EINVAL;
	}
	m->mem_mib = mib;
	return snap_close(&r);
}

static int get_memory(struct snap_reader *top, uint64_t mem_mib, struct snap_memory *m)
{
	struct snap_reader r, regs, one;
	struct snap_memory want;
	uint32_t page = 0;

	if (snap_require(top, SNAP_SEC_MEMORY) || snap_get_section(top, SNAP_SEC_MEMORY, &r))
		return -EINVAL;
	if (snap_memory_layout(mem_mib, &want))
		return snap_fail(&r, "no memory layout for %llu MiB", (unsigned long long)mem_mib);
	if (snap_get_u32_range(&r, MEM_PAGE_SIZE, SNAP_PAGE_SIZE, SNAP_PAGE_SIZE, &page) ||
	    snap_get_u32_range(&r, MEM_KIND, SNAP_KIND_FULL, SNAP_KIND_DIFF, &m->kind) ||
	    snap_get_u64_range(&r, MEM_FILE_SIZE, want.file_size, want.file_size, &m->file_size) ||
	    snap_require(&r, MEM_REGIONS) || snap_get_section(&r, MEM_REGIONS, &regs)) {
		snap_close(&r);
		return -EINVAL;
	}
	if (snap_count(&regs) != want.nregions) {
		snap_fail(&regs, "%u memory regions, %llu MiB of RAM has %u",
			  snap_count(&regs), (unsigned long long)mem_mib, want.nregions);
		goto out;
	}
	m->nregions = want.nregions;
	for (uint32_t i = 0; i < want.nregions; i++) {
		if (snap_require(&regs, i) || snap_get_section(&regs, i, &one))
			goto out;
		if (snap_get_u64_range(&one, R_GPA, want.region[i].gpa, want.region[i].gpa,
				       &m->region[i].gpa) ||
		    snap_get_u64_range(&one, R_SIZE, want.region[i].size, want.region[i].size,
				       &m->region[i].size) ||
		    snap_get_u64_range(&one, R_OFFSET, want.region[i].file_offset,
				       want.region[i].file_offset, &m->region[i].file_offset)) {
			snap_close(&one);
			goto out;
		}
		if (snap_close(&one))
			goto out;
	}
out:
	snap_close(&regs);
	return snap_close(&r);
}

static int get_segment(struct snap_reader *r, uint32_t tag, struct kvm_segment *s)
{
	uint8_t b[SEG_BYTES];

	if (snap_require(r, tag) || snap_get_bytes(r, tag, b, sizeof(b)))
		return -EINVAL;
	s->base = snap_rd64(b);
	s->limit = rd32(b + 8);
	s->selector = (uint16_t)(b[12] | b[13] << 8);
	s->type = b[14];
	s->present = b[15];
	s->dpl = b[16];
	s->db = b[17];
	s->s = b[18];
	s->l = b[19];
	s->g = b[20];
	s->avl = b[21];
	s->unusable = b[22];
	if (s->type > 15 || s->dpl > 3 || s->present > 1 || s->db > 1 || s->s > 1 ||
	    s->l > 1 || s->g > 1 || s->avl > 1 || s->unusable > 1 || b[23])
		return snap_fail(r, "segment 0x%x has out-of-range attributes", tag);
	return 0;
}

static int get_dtable(struct snap_reader *r, uint32_t tag, struct kvm_dtable *d)
{
	uint64_t v[2];

	if (snap_require(r, tag) || snap_get_u64_array(r, tag, v, 2))
		return -EINVAL;
	if (v[1] > 0xffff)
		return snap_fail(r, "descriptor table 0x%x limit 0x%llx exceeds 0xffff", tag,
				 (unsigned long long)v[1]);
	d->base = v[0];
	d->limit = (uint16_t)v[1];
	return 0;
}

static int get_sregs(struct snap_reader *vr, struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss,
				       &s->tr, &s->ldt };
	uint64_t crs[NR_SREGS_CRS], ibm[ARRAY_SIZE(s->interrupt_bitmap)];
	struct snap_reader r;

	if (snap_require(vr, V_SREGS) || snap_get_section(vr, V_SREGS, &r))
		return -EINVAL;
	for (uint32_t i = 0; i < ARRAY_SIZE(segs); i++)
		if (get_segment(&r, S_CS + i, segs[i]))
			goto out;
	if (get_dtable(&r, S_GDT, &s->gdt) || get_dtable(&r, S_IDT, &s->idt) ||
	    snap_require(&r, S_CRS) || snap_get_u64_array(&r, S_CRS, crs, NR_SREGS_CRS) ||
	    snap_require(&r, S_INTERRUPT_BITMAP) ||
	    snap_get_u64_array(&r, S_INTERRUPT_BITMAP, ibm, ARRAY_SIZE(ibm)))
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(ibm); i++)
		s->interrupt_bitmap[i] = ibm[i];
	s->cr0 = crs[0]; s->cr2 = crs[1]; s->cr3 = crs[2]; s->cr4 = crs[3];
	s->cr8 = crs[4]; s->efer = crs[5]; s->apic_base = crs[6];
	if (s->cr8 > 15)
		snap_fail(&r, "cr8 = %llu is out of range 0..15", (unsigned long long)s->cr8);
out:
	return snap_close(&r);
}

static int get_events(struct snap_reader *r, struct kvm_vcpu_events *e)
{
	static const uint64_t max[SNAP_NR_EVENTS] = {
		1, 255, 1, 1, UINT32_MAX,	/* exception */
		1, 255, 1, 255,			/* interrupt */
		1, 255, 1,			/* nmi */
		UINT32_MAX,			/* sipi_vector */
		KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
		KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |
		KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT,	/* flags: mask */
		255, 255, 255, 255,		/* smi */
		1, 1, UINT64_MAX,		/* triple fault, payload */
	};
	uint64_t a[SNAP_NR_EVENTS];

	if (snap_require(r, V_EVENTS) || snap_get_u64_array(r, V_EVENTS, a, SNAP_NR_EVENTS))
		return -EINVAL;
	for (int i = 0; i < SNAP_NR_EVENTS; i++) {
		if (i == 13 ? (a[i] & ~max[i]) != 0 : a[i] > max[i])
			return snap_fail(r, "vCPU event value %d = 0x%llx is out of range", i,
					 (unsigned long long)a[i]);
	}
	memset(e, 0, sizeof(*e));
	e->exception.injected = (uint8_t)a[0];
	e->exception.nr = (uint8_t)a[1];
	e->exception.has_error_code = (uint8_t)a[2];
	e->exception.pending = (uint8_t)a[3];
	e->exception.error_code = (uint32_t)a[4];
	e->interrupt.injected = (uint8_t)a[5];
	e->interrupt.nr = (uint8_t)a[6];
	e->interrupt.soft = (uint8_t)a[7];
	e->interrupt.shadow = (uint8_t)a[8];
	e->nmi.injected = (uint8_t)a[9];
	e->nmi.pending = (uint8_t)a[10];
	e->nmi.masked = (uint8_t)a[11];
	e->sipi_vector = (uint32_t)a[12];
	e->flags = (uint32_t)a[13];
	e->smi.smm = (uint8_t)a[14];
	e->smi.pending = (uint8_t)a[15];
	e->smi.smm_inside_nmi = (uint8_t)a[16];
	e->smi.latched_init = (uint8_t)a[17];
	e->triple_fault.pending = (uint8_t)a[18];
	e->exception_has_payload = (uint8_t)a[19];
	e->exception_payload = a[20];
	return 0;
}

static int get_vcpu(struct snap_reader *vcpus, uint32_t index, struct snap_vcpu *v)
{
	struct snap_reader r;
	uint64_t a[18], dbg[6];
	const uint8_t *p;
	size_t len;

	if (snap_require(vcpus, index) || snap_get_section(vcpus, index, &r))
		return -EINVAL;
	if (snap_require(&r, V_REGS) || snap_get_u64_array(&r, V_REGS, a, 18))
		goto out;
	array_to_regs(a, &v->regs);
	if (get_sregs(&r, &v->sregs))
		goto out;

	if (snap_require(&r, V_MSRS) ||
	    snap_get_blob(&r, V_MSRS, &p, &len, (size_t)SNAP_MAX_MSRS * MSR_BYTES))
		goto out;
	if (len % MSR_BYTES) {
		snap_fail(&r, "MSR list of %zu bytes is not a multiple of %u", len, MSR_BYTES);
		goto out;
	}
	v->nmsrs = (uint32_t)(len / MSR_BYTES);
	for (uint32_t i = 0; i < v->nmsrs; i++) {
		v->msrs[i].index = rd32(p + i * MSR_BYTES);
		v->msrs[i].reserved = 0;
		v->msrs[i].data = snap_rd64(p + i * MSR_BYTES + 8);
		if (rd32(p + i * MSR_BYTES + 4)) {
			snap_fail(&r, "MSR entry %u has non-zero reserved bits", i);
			goto out;
		}
	}

	if (snap_require(&r, V_XSAVE) || snap_get_blob(&r, V_XSAVE, &p, &len, SNAP_MAX_XSAVE))
		goto out;
	if (len < SNAP_MIN_XSAVE || len % 4) {
		snap_fail(&r, "XSAVE area of %zu bytes (expected a multiple of 4, %u to %u)", len,
			  SNAP_MIN_XSAVE, SNAP_MAX_XSAVE);
		goto out;
	}
	v->xsave_len = (uint32_t)len;
	memcpy(v->xsave, p, len);

	if (snap_require(&r, V_XCRS) ||
	    snap_get_blob(&r, V_XCRS, &p, &len, (size_t)SNAP_MAX_XCRS * XCR_BYTES))
		goto out;
	if (len % XCR_BYTES) {
		snap_fail(&r, "XCR list of %zu bytes is not a multiple of %u", len, XCR_BYTES);
		goto out;
	}
	memset(&v->xcrs, 0, sizeof(v->xcrs));
	v->xcrs.nr_xcrs = (uint32_t)(len / XCR_BYTES);
	for (uint32_t i = 0; i < v->xcrs.nr_xcrs; i++) {
		v->xcrs.xcrs[i].xcr = rd32(p + i * XCR_BYTES);
		v->xcrs.xcrs[i].value = snap_rd64(p + i * XCR_BYTES + 8);
		if (rd32(p + i * XCR_BYTES + 4)) {
			snap_fail(&r, "XCR entry %u has non-zero reserved bits", i);
			goto out;
		}
	}

	if (snap_require(&r, V_LAPIC) ||
	    snap_get_bytes(&r, V_LAPIC, v->lapic.regs, sizeof(v->lapic.regs)) ||
	    get_events(&r, &v->events) ||
	    snap_get_u32_range(&r, V_MP_STATE, 0, KVM_MP_STATE_SUSPENDED, &v->mp_state.mp_state) ||
	    snap_require(&r, V_DEBUGREGS) || snap_get_u64_array(&r, V_DEBUGREGS, dbg, 6))
		goto out;
	memset(&v->debugregs, 0, sizeof(v->debugregs));
	memcpy(v->debugregs.db, dbg, sizeof(v->debugregs.db));
	v->debugregs.dr6 = dbg[4];
	v->debugregs.dr7 = dbg[5];

	if (snap_require(&r, V_CPUID) ||
	    snap_get_blob(&r, V_CPUID, &p, &len, (size_t)CPUID_MAX_ENTRIES * CPUID_BYTES))
		goto out;
	if (len % CPUID_BYTES || !len) {
		snap_fail(&r, "CPUID table of %zu bytes is not a non-empty multiple of %u", len,
			  CPUID_BYTES);
		goto out;
	}
	v->ncpuid = (uint32_t)(len / CPUID_BYTES);
	for (uint32_t i = 0; i < v->ncpuid; i++) {
		struct kvm_cpuid_entry2 *e = &v->cpuid[i];
		const uint8_t *q = p + i * CPUID_BYTES;

		memset(e, 0, sizeof(*e));
		e->function = rd32(q);
		e->index = rd32(q + 4);
		e->flags = rd32(q + 8);
		e->eax = rd32(q + 12);
		e->ebx = rd32(q + 16);
		e->ecx = rd32(q + 20);
		e->edx = rd32(q + 24);
	}
	if (snap_get_u32_range(&r, V_TSC_KHZ, 0, 100000000, &v->tsc_khz))
		goto out;
out:
	return snap_close(&r);
}

static int get_pic(struct snap_reader *r, uint32_t tag, struct kvm_pic_state *p)
{
	uint8_t b[PIC_BYTES];

	if (snap_require(r, tag) || snap_get_bytes(r, tag, b, sizeof(b)))
		return -EINVAL;
	p->last_irr = b[0]; p->irr = b[1]; p->imr = b[2]; p->isr = b[3];
	p->priority_add = b[4]; p->irq_base = b[5]; p->read_reg_select = b[6];
	p->poll = b[7]; p->special_mask = b[8]; p->init_state = b[9]; p->auto_eoi = b[10];
	p->rotate_on_auto_eoi = b[11]; p->special_fully_nested_mode = b[12];
	p->init4 = b[13]; p->elcr = b[14]; p->elcr_mask = b[15];
	if (p->priority_add > 7 || p->init_state > 3)
		return snap_fail(r, "PIC 0x%x state out of range", tag);
	return 0;
}

static int get_vmstate(struct snap_reader *top, bool has_pit, struct snap_vmstate *s)
{
	struct snap_reader r, io, ch;
	uint64_t redir[KVM_IOAPIC_NUM_PINS];

	if (snap_require(top, SNAP_SEC_IRQCHIP) || snap_get_section(top, SNAP_SEC_IRQCHIP, &r))
		return -EINVAL;
	if (!get_pic(&r, IC_PIC_MASTER, &s->pic[0]) && !get_pic(&r, IC_PIC_SLAVE, &s->pic[1]) &&
	    !snap_require(&r, IC_IOAPIC) && !snap_get_section(&r, IC_IOAPIC, &io)) {
		uint64_t base = 0;

		if (!snap_get_u64_range(&io, IO_BASE, LAYOUT_IOAPIC, LAYOUT_IOAPIC, &base) &&
		    !snap_get_u32_range(&io, IO_IOREGSEL, 0, 0xff, &s->ioapic.ioregsel) &&
		    !snap_get_u32_range(&io, IO_ID, 0, 0xff, &s->ioapic.id) &&
		    !snap_get_u32(&io, IO_IRR, &s->ioapic.irr) && !snap_require(&io, IO_REDIRTBL) &&
		    !snap_get_u64_array(&io, IO_REDIRTBL, redir, KVM_IOAPIC_NUM_PINS)) {
			s->ioapic.base_address = base;
			for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
				s->ioapic.redirtbl[i].bits = redir[i];
		}
		snap_close(&io);
	}
	if (snap_close(&r))
		return -EINVAL;

	s->has_pit = has_pit;
	if (has_pit != snap_has(top, SNAP_SEC_PIT))
		return snap_fail(top, has_pit ? "the machine has a PIT but its state is missing"
					       : "PIT state for a machine without a PIT");
	if (has_pit) {
		if (snap_get_section(top, SNAP_SEC_PIT, &r))
			return -EINVAL;
		if (!snap_get_u32(&r, PIT_FLAGS, &s->pit.flags) && !snap_require(&r, PIT_CHANNELS) &&
		    !snap_get_section(&r, PIT_CHANNELS, &ch)) {
			for (uint32_t i = 0; i < 3; i++) {
				struct kvm_pit_channel_state *c = &s->pit.channels[i];
				uint64_t v[SNAP_PIT_CHANNEL_VALUES];

				if (snap_require(&ch, i) ||
				    snap_get_u64_array(&ch, i, v, SNAP_PIT_CHANNEL_VALUES))
					break;
				/* mode 0xff: a channel the guest never programmed */
				if (v[0] > 0x10000 || v[1] > 0xffff || (v[9] > 5 && v[9] != 0xff) || v[10] > 1 ||
				    v[11] > 1 || v[2] > 255 || v[3] > 255 || v[4] > 255 ||
				    v[5] > 255 || v[6] > 255 || v[7] > 255 || v[8] > 255) {
					snap_fail(&ch, "PIT channel %u state out of range", i);
					break;
				}
				c->count = (uint32_t)v[0];
				c->latched_count = (uint16_t)v[1];
				c->count_latched = (uint8_t)v[2];
				c->status_latched = (uint8_t)v[3];
				c->status = (uint8_t)v[4];
				c->read_state = (uint8_t)v[5];
				c->write_state = (uint8_t)v[6];
				c->write_latch = (uint8_t)v[7];
				c->rw_mode = (uint8_t)v[8];
				c->mode = (uint8_t)v[9];
				c->bcd = (uint8_t)v[10];
				c->gate = (uint8_t)v[11];
				c->count_load_time = (int64_t)v[12];
			}
			if (!snap_count(&ch) || snap_count(&ch) != 3)
				snap_fail(&ch, "PIT has %u channels, expected 3", snap_count(&ch));
			snap_close(&ch);
		}
		if (snap_close(&r))
			return -EINVAL;
	}

	if (snap_require(top, SNAP_SEC_CLOCK) || snap_get_section(top, SNAP_SEC_CLOCK, &r))
		return -EINVAL;
	if (!snap_require(&r, CLK_NS) && snap_get_u64(&r, CLK_NS, &s->clock))
		return snap_close(&r);
	return snap_close(&r);
}

int snap_decode(struct snap_reader *top, struct snap_state *st)
{
	struct snap_reader vcpus;

	/* Not the whole struct: its vCPU array is ~0.5 MiB, and zeroing it cost
	 * a page fault per 4 KiB on every restore (~0.4 ms here).  Entries past
	 * machine.vcpus are never read. */
	memset(st, 0, offsetof(struct snap_state, vcpu));
	if (get_machine(top, &st->machine) ||
	    get_memory(top, st->machine.mem_mib, &st->memory))
		return -EINVAL;
	if (snap_require(top, SNAP_SEC_VCPUS) || snap_get_section(top, SNAP_SEC_VCPUS, &vcpus))
		return -EINVAL;
	if (snap_count(&vcpus) != st->machine.vcpus)
		snap_fail(&vcpus, "%u vCPU states for a machine with %u vCPUs", snap_count(&vcpus),
			  st->machine.vcpus);
	for (uint32_t i = 0; i < st->machine.vcpus && i < CONFIG_MAX_VCPUS; i++) {
		memset(&st->vcpu[i], 0, sizeof(st->vcpu[i]));
		if (get_vcpu(&vcpus, i, &st->vcpu[i]))
			break;
	}
	if (snap_close(&vcpus))
		return -EINVAL;
	if (get_vmstate(top, st->machine.pit, &st->vm))
		return -EINVAL;
	/* Optional sections this ember knows but does not need. */
	if (snap_has(top, SNAP_SEC_INFO)) {
		struct snap_reader info;

		if (snap_get_section(top, SNAP_SEC_INFO, &info))
			return -EINVAL;
		for (unsigned int i = 0; i < info.n; i++)
			info.recs[i].used = true;
		if (snap_close(&info))
			return -EINVAL;
	}
	return top->ctx->err;
}

/* ------------------------------------------------------------ device configuration */

/* Tags of the VIRTIO_SNAP_CONFIG section, per kind (docs/snapshot-format.md). */
enum { RL_BANDWIDTH = 1, RL_OPS = 2 };
enum { DRV_ID = 1, DRV_PATH, DRV_RO, DRV_ROOT, DRV_PARTUUID, DRV_ENGINE, DRV_CACHE, DRV_RL };
enum { NET_ID = 1, NET_TAP, NET_MAC, NET_MTU, NET_RX_RL, NET_TX_RL };
enum { VSK_CID = 1, VSK_UDS };
enum { RNG_RL = 1 };
enum { BAL_AMOUNT = 1, BAL_DEFLATE, BAL_STATS_S, BAL_HINTING, BAL_REPORTING };

#define DEVCFG_PATH_MAX	4096

static void put_bucket(struct snap_writer *w, uint32_t tag, const struct token_bucket_cfg *b)
{
	uint64_t v[3] = { b->size, b->one_time_burst, b->refill_time_ms };

	snap_put_u64_array(w, tag, v, 3);
}

static void put_rl(struct snap_writer *w, uint32_t tag, const struct rate_limiter_cfg *rl)
{
	snap_begin(w, tag);
	put_bucket(w, RL_BANDWIDTH, &rl->bandwidth);
	put_bucket(w, RL_OPS, &rl->ops);
	snap_end(w);
}

void snap_encode_drive_cfg(struct snap_writer *w, const struct drive_cfg *d)
{
	snap_put_str(w, DRV_ID, d->id);
	snap_put_str(w, DRV_PATH, d->path);
	snap_put_u32(w, DRV_RO, d->read_only);
	snap_put_u32(w, DRV_ROOT, d->is_root);
	if (d->partuuid)
		snap_put_str(w, DRV_PARTUUID, d->partuuid);
	snap_put_u32(w, DRV_ENGINE, d->io_engine);
	snap_put_u32(w, DRV_CACHE, d->cache_type);
	put_rl(w, DRV_RL, &d->rate_limiter);
}

void snap_encode_net_cfg(struct snap_writer *w, const struct net_cfg *n)
{
	snap_put_str(w, NET_ID, n->id);
	snap_put_str(w, NET_TAP, n->host_dev_name);
	snap_put_bytes(w, NET_MAC, n->mac, sizeof(n->mac));
	snap_put_u32(w, NET_MTU, n->mtu);
	put_rl(w, NET_RX_RL, &n->rx_rate_limiter);
	put_rl(w, NET_TX_RL, &n->tx_rate_limiter);
}

void snap_encode_vsock_cfg(struct snap_writer *w, const struct vsock_cfg *v)
{
	snap_put_u32(w, VSK_CID, v->guest_cid);
	snap_put_str(w, VSK_UDS, v->uds_path);
}

void snap_encode_entropy_cfg(struct snap_writer *w, const struct entropy_cfg *e)
{
	put_rl(w, RNG_RL, &e->rate_limiter);
}

void snap_encode_balloon_cfg(struct snap_writer *w, const struct balloon_cfg *b)
{
	snap_put_u32(w, BAL_AMOUNT, b->amount_mib);
	snap_put_u32(w, BAL_DEFLATE, b->deflate_on_oom);
	snap_put_u32(w, BAL_STATS_S, b->stats_polling_interval_s);
	snap_put_u32(w, BAL_HINTING, b->free_page_hinting);
	snap_put_u32(w, BAL_REPORTING, b->free_page_reporting);
}

/* A required string field of at most max-1 bytes. */
static int req_str(struct snap_reader *r, uint32_t tag, char *dst, size_t max)
{
	return snap_require(r, tag) || snap_get_str(r, tag, dst, max) ? -EINVAL : 0;
}

/* A required string, heap-copied. */
static int req_dup(struct snap_reader *r, uint32_t tag, char **out)
{
	char buf[DEVCFG_PATH_MAX + 1];

	if (req_str(r, tag, buf, sizeof(buf)))
		return -EINVAL;
	*out = strdup(buf);
	if (!*out) {
		r->ctx->err = r->ctx->err ? r->ctx->err : -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

static int get_bucket(struct snap_reader *r, uint32_t tag, struct token_bucket_cfg *b)
{
	uint64_t v[3];

	if (snap_require(r, tag) || snap_get_u64_array(r, tag, v, 3))
		return -EINVAL;
	b->size = v[0];
	b->one_time_burst = v[1];
	b->refill_time_ms = v[2];
	if (b->size && !b->refill_time_ms)
		return snap_fail(r, "a rate limiter bucket of %llu tokens has no refill time",
				 (unsigned long long)b->size);
	return 0;
}

static int get_rl(struct snap_reader *r, uint32_t tag, struct rate_limiter_cfg *rl)
{
	struct snap_reader s;

	if (snap_require(r, tag) || snap_get_section(r, tag, &s))
		return -EINVAL;
	if (get_bucket(&s, RL_BANDWIDTH, &rl->bandwidth) == 0)
		(void)get_bucket(&s, RL_OPS, &rl->ops);
	return snap_close(&s);
}

static int get_drive(struct snap_reader *r, struct drive_cfg *d)
{
	uint32_t engine, cache;

	if (req_str(r, DRV_ID, d->id, sizeof(d->id)) || req_dup(r, DRV_PATH, &d->path) ||
	    snap_get_bool(r, DRV_RO, &d->read_only) || snap_get_bool(r, DRV_ROOT, &d->is_root) ||
	    snap_get_u32_range(r, DRV_ENGINE, 0, IO_ENGINE_ASYNC, &engine) ||
	    snap_get_u32_range(r, DRV_CACHE, 0, CACHE_WRITEBACK, &cache) ||
	    get_rl(r, DRV_RL, &d->rate_limiter))
		return -EINVAL;
	d->io_engine = (enum io_engine)engine;
	d->cache_type = (enum cache_type)cache;
	if (snap_has(r, DRV_PARTUUID) && req_dup(r, DRV_PARTUUID, &d->partuuid))
		return -EINVAL;
	return 0;
}

static int get_net(struct snap_reader *r, struct net_cfg *n)
{
	uint32_t mtu;

	if (req_str(r, NET_ID, n->id, sizeof(n->id)) ||
	    req_str(r, NET_TAP, n->host_dev_name, sizeof(n->host_dev_name)) ||
	    snap_require(r, NET_MAC) || snap_get_bytes(r, NET_MAC, n->mac, sizeof(n->mac)) ||
	    snap_get_u32_range(r, NET_MTU, 0, 65535, &mtu) ||
	    get_rl(r, NET_RX_RL, &n->rx_rate_limiter) || get_rl(r, NET_TX_RL, &n->tx_rate_limiter))
		return -EINVAL;
	if (mtu && mtu < 68)
		return snap_fail(r, "network interface '%s': mtu %u is below 68", n->id, mtu);
	/* The MAC the guest saw, kept even when the TAP is overridden at load. */
	if ((n->mac[0] & 1) || !(n->mac[0] | n->mac[1] | n->mac[2] | n->mac[3] | n->mac[4] |
				 n->mac[5]))
		return snap_fail(r, "network interface '%s': MAC is not a unicast address", n->id);
	n->has_mac = true;
	n->mtu = (uint16_t)mtu;
	return 0;
}

/* Attach order (core/devices.c): the rank of each kind. */
static int kind_rank(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_BLOCK: return 0;
	case VIRTIO_ID_NET: return 1;
	case VIRTIO_ID_VSOCK: return 2;
	case VIRTIO_ID_RNG: return 3;
	case VIRTIO_ID_BALLOON: return 4;
	default: return -1;
	}
}

static void clear_devices(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_drives; i++) {
		free(cfg->drives[i].path);
		free(cfg->drives[i].partuuid);
	}
	free(cfg->vsock.uds_path);
	memset(cfg->drives, 0, sizeof(cfg->drives));
	memset(cfg->nets, 0, sizeof(cfg->nets));
	memset(&cfg->vsock, 0, sizeof(cfg->vsock));
	memset(&cfg->entropy, 0, sizeof(cfg->entropy));
	memset(&cfg->balloon, 0, sizeof(cfg->balloon));
	cfg->n_drives = cfg->n_nets = 0;
}

/* One element: its device id, config id and configuration into cfg. */
static int decode_one(struct snap_reader *e, uint32_t i, int *last_rank, struct vm_config *cfg)
{
	struct snap_reader c;
	char id[CONFIG_ID_MAX + 1], why[160];
	uint32_t dev_id;
	int rank, err = 0;

	if (snap_require(e, VIRTIO_SNAP_DEVICE_ID) ||
	    snap_get_u32(e, VIRTIO_SNAP_DEVICE_ID, &dev_id) ||
	    req_str(e, VIRTIO_SNAP_CONFIG_ID, id, sizeof(id)))
		return -EINVAL;
	rank = kind_rank(dev_id);
	if (rank < 0)
		return snap_fail(e, "device %u: unknown virtio device id %u", i, dev_id);
	if (rank < *last_rank || (rank == *last_rank && rank >= 2))
		return snap_fail(e, "device %u (id %u) is out of the attach order", i, dev_id);
	*last_rank = rank;
	if (snap_require(e, VIRTIO_SNAP_CONFIG) || snap_get_section(e, VIRTIO_SNAP_CONFIG, &c))
		return -EINVAL;
	switch (dev_id) {
	case VIRTIO_ID_BLOCK:
		if (cfg->n_drives == CONFIG_MAX_DRIVES) {
			err = snap_fail(&c, "more than %u drives", CONFIG_MAX_DRIVES);
			break;
		}
		err = get_drive(&c, &cfg->drives[cfg->n_drives++]);
		if (!err && strcmp(id, cfg->drives[cfg->n_drives - 1].id))
			err = snap_fail(&c, "device %u: drive id differs from its element's", i);
		break;
	case VIRTIO_ID_NET:
		if (cfg->n_nets == CONFIG_MAX_NETS) {
			err = snap_fail(&c, "more than %u network interfaces", CONFIG_MAX_NETS);
			break;
		}
		err = get_net(&c, &cfg->nets[cfg->n_nets++]);
		if (!err && strcmp(id, cfg->nets[cfg->n_nets - 1].id))
			err = snap_fail(&c, "device %u: interface id differs from its element's", i);
		break;
	case VIRTIO_ID_VSOCK:
		cfg->vsock.enabled = true;
		err = snap_get_u32_range(&c, VSK_CID, 3, UINT32_MAX, &cfg->vsock.guest_cid) ||
		      req_dup(&c, VSK_UDS, &cfg->vsock.uds_path) ? -EINVAL : 0;
		break;
	case VIRTIO_ID_RNG:
		cfg->entropy.enabled = true;
		err = get_rl(&c, RNG_RL, &cfg->entropy.rate_limiter);
		break;
	case VIRTIO_ID_BALLOON:
		cfg->balloon.enabled = true;
		err = snap_get_u32(&c, BAL_AMOUNT, &cfg->balloon.amount_mib) ||
		      snap_get_bool(&c, BAL_DEFLATE, &cfg->balloon.deflate_on_oom) ||
		      snap_get_u32(&c, BAL_STATS_S, &cfg->balloon.stats_polling_interval_s) ||
		      snap_get_bool(&c, BAL_HINTING, &cfg->balloon.free_page_hinting) ||
		      snap_get_bool(&c, BAL_REPORTING, &cfg->balloon.free_page_reporting) ? -EINVAL : 0;
		break;
	}
	if (!err && (dev_id == VIRTIO_ID_BLOCK || dev_id == VIRTIO_ID_NET) &&
	    config_check_id(id, dev_id == VIRTIO_ID_BLOCK ? "drive id" : "network interface id",
			    why, sizeof(why)))
		err = snap_fail(&c, "device %u: %s", i, why);
	if (snap_close(&c))
		return -EINVAL;
	return err ? -EINVAL : 0;
}

int snap_decode_devices_cfg(struct snap_reader *top, struct vm_config *cfg)
{
	struct snap_reader devs, e;
	char why[200];
	int last_rank = 0, err = 0;

	clear_devices(cfg);
	if (snap_require(top, SNAP_SEC_DEVICES) || snap_get_section(top, SNAP_SEC_DEVICES, &devs))
		return -EINVAL;
	for (uint32_t i = 0; i < snap_count(&devs) && !err; i++) {
		if (snap_require(&devs, i) || snap_get_section(&devs, i, &e)) {
			err = -EINVAL;
			break;
		}
		err = decode_one(&e, i, &last_rank, cfg);
		snap_release(&e);	/* state records are checked when applied */
	}
	if (!err && config_check_devices(cfg, why, sizeof(why)))
		err = snap_fail(&devs, "device configuration: %s", why);
	snap_release(&devs);
	if (!err && top->ctx->err)
		err = top->ctx->err;
	return err ? (top->ctx->err == -ENOMEM ? -ENOMEM : -EINVAL) : 0;
}
