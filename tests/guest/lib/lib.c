// SPDX-License-Identifier: MIT
/* tests/guest/lib/lib.c: guest start-up (boot info, IDT), command-line parsing and TSC delays. */
#include "guest.h"

struct boot_info boot;

/* ---- exceptions end the test with ABORT; vectors 32-63 are counted ---- */

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __attribute__((packed));

struct exc_frame {
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

extern const u64 exception_stubs[IDT_VECTORS];
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
volatile u32 irq_count[IDT_VECTORS];

void irq_dispatch(u64 vector);
void irq_dispatch(u64 vector)
{
	if (vector < IDT_VECTORS)
		irq_count[vector]++;
	lapic_write(LAPIC_EOI, 0);
}

void exception_handler(struct exc_frame *f);
void exception_handler(struct exc_frame *f)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	guest_abort("exception", (u32)f->vector,
		    "unexpected exception %lu on CPU %u: error 0x%lx rip 0x%lx rsp 0x%lx",
		    f->vector, b >> 24, f->error, f->rip, f->rsp);
}

void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	unsigned int i;

	if (!idt[0].type) {
		for (i = 0; i < ARRAY_SIZE(idt); i++) {
			u64 h = exception_stubs[i];

			idt[i].offset_lo = (u16)h;
			idt[i].selector = SEL_CODE64;
			idt[i].type = 0x8e;	/* present, DPL 0, 64-bit interrupt gate */
			idt[i].offset_mid = (u16)(h >> 16);
			idt[i].offset_hi = (u32)(h >> 32);
		}
	}
	asm volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* ---- boot information ---- */

static void add_range(u64 addr, u64 size, u32 type)
{
	if (boot.nr_ranges >= MAX_MEM_RANGES)
		return;
	boot.ranges[boot.nr_ranges].addr = addr;
	boot.ranges[boot.nr_ranges].size = size;
	boot.ranges[boot.nr_ranges].type = type;
	boot.nr_ranges++;
}

static void parse_pvh(void)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)(u32)entry_state.rbx;
	u32 i;

	boot.pvh = si;
	if (!si || si->magic != XEN_HVM_START_MAGIC_VALUE)
		return;
	if (si->cmdline_paddr)
		boot.cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
	if (si->memmap_paddr) {
		const struct hvm_memmap_table_entry *m = (const void *)(uintptr_t)si->memmap_paddr;

		for (i = 0; i < si->memmap_entries; i++)
			add_range(m[i].addr, m[i].size, m[i].type);
	}
	if (si->nr_modules && si->modlist_paddr) {
		const struct hvm_modlist_entry *mod = (const void *)(uintptr_t)si->modlist_paddr;

		boot.initrd_addr = mod->paddr;
		boot.initrd_size = mod->size;
	}
}

static void parse_linux64(void)
{
	const u8 *zp = (const u8 *)(uintptr_t)entry_state.rsi;
	const struct boot_e820_entry *e;
	u64 ptr;
	u8 n, i;

	boot.zero_page = zp;
	if (!zp)
		return;
	ptr = *(const u32 *)(zp + BP_CMD_LINE_PTR) |
	      (u64)*(const u32 *)(zp + BP_EXT_CMD_LINE_PTR) << 32;
	if (ptr)
		boot.cmdline = (const char *)(uintptr_t)ptr;
	n = zp[BP_E820_ENTRIES];
	e = (const void *)(zp + BP_E820_TABLE);
	for (i = 0; i < n && i < BP_E820_MAX; i++)
		add_range(e[i].addr, e[i].size, e[i].type);
	boot.initrd_addr = *(const u32 *)(zp + BP_RAMDISK_IMAGE) |
			   (u64)*(const u32 *)(zp + BP_EXT_RAMDISK_IMAGE) << 32;
	boot.initrd_size = *(const u32 *)(zp + BP_RAMDISK_SIZE) |
			   (u64)*(const u32 *)(zp + BP_EXT_RAMDISK_SIZE) << 32;
}

void guest_start(void);
void guest_start(void)
{
	idt_load();
	boot.protocol = (int)entry_state.protocol;
	boot.cmdline = "";
	if (boot.protocol == BOOT_PVH)
		parse_pvh();
	else
		parse_linux64();
	guest_main();
	GUEST_DONE();
}

void __attribute__((weak)) ap_main(u32 slot)
{
	(void)slot;
	halt_forever();
}

struct seg_desc entry_gdt_desc(u16 sel)
{
	u16 limit = *(const u16 *)entry_state.gdtr;
	u64 base = *(const u64 *)(entry_state.gdtr + 2);
	struct seg_desc d = { 0 };
	u32 lo, hi;

	if (entry_state.protocol == BOOT_PVH)
		base &= 0xffffffff;	/* a 32-bit SGDT stores a 4-byte base */
	if (!sel || (sel & 4) || (u32)(sel & ~7) + 7 > limit)
		return d;
	lo = *(const u32 *)phys_ptr(base + (sel & ~7));
	hi = *(const u32 *)phys_ptr(base + (sel & ~7) + 4);
	d.ok = true;
	d.ar = hi & 0x00f0ff00;
	d.limit = (lo & 0xffff) | (hi & 0x000f0000);
	if (hi & (1u << 23))
		d.limit = (d.limit << 12) | 0xfff;
	d.base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
	return d;
}

/* ---- command line ---- */

static const char *cmdline_find(const char *key, size_t klen)
{
	const char *p = boot.cmdline;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && (p[klen] == '=' || p[klen] == ' ' || !p[klen]))
			return p + klen;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

bool cmdline_has(const char *word)
{
	return cmdline_find(word, strlen(word)) != NULL;
}

u64 cmdline_uint(const char *key, u64 dflt)
{
	const char *p = cmdline_find(key, strlen(key));
	unsigned int base = 10;
	u64 v = 0;

	if (!p || *p != '=')
		return dflt;
	p++;
	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			break;
		v = v * base + d;
	}
	return v;
}

/* ---- time ---- */

u64 tsc_khz(void)
{
	static u64 khz;
	u32 a, b, c, d;

	if (khz)
		return khz;
	cpuid(0x40000000, &a, &b, &c, &d);
	if (a >= 0x40000010 && a < 0x40000100) {
		cpuid(0x40000010, &a, &b, &c, &d);
		khz = a;
	}
	if (!khz)
		khz = 2000000;	/* unknown: assume 2 GHz, only used for timeouts */
	return khz;
}

u64 tsc_deadline_ms(u64 ms)
{
	return rdtsc() + ms * tsc_khz();
}

bool tsc_expired(u64 deadline)
{
	return (s64)(rdtsc() - deadline) >= 0;
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us * tsc_khz() / 1000;

	while ((s64)(rdtsc() - end) < 0)
		cpu_relax();
}
