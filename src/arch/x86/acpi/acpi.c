/* SPDX-License-Identifier: MIT */
/* arch/x86/acpi/acpi.c: RSDP/XSDT/FADT/MADT/DSDT for a hardware-reduced x86 microVM (ACPI 6.x). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/acpi/acpi.h"
#include "arch/x86/acpi/aml.h"
#include "mem/layout.h"

#define SDT_HEADER_LEN	36
#define FADT_LEN	276
#define FADT_FLAG_PWR_BUTTON	(1u << 4)
#define FADT_FLAG_SLP_BUTTON	(1u << 5)
#define FADT_FLAG_RESET_REG_SUP	(1u << 10)
#define FADT_FLAG_HW_REDUCED	(1u << 20)
#define IAPC_BOOT_ARCH_8042	(1u << 1)
#define IAPC_BOOT_ARCH_NO_VGA	(1u << 2)
#define IAPC_BOOT_ARCH_NO_MSI	(1u << 3)
#define GAS_SYSTEM_IO	1
#define ACPI_TABLES_ALIGN 16

static void put16(uint8_t *p, size_t o, uint16_t v) { memcpy(p + o, &v, 2); }
static void put32(uint8_t *p, size_t o, uint32_t v) { memcpy(p + o, &v, 4); }
static void put64(uint8_t *p, size_t o, uint64_t v) { memcpy(p + o, &v, 8); }

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memset(t, 0, SDT_HEADER_LEN);
	memcpy(t, sig, 4);
	put32(t, 4, len);
	t[8] = rev;
	memcpy(t + 10, "EMBER ", 6);
	memcpy(t + 16, "MICROVM ", 8);
	put32(t, 24, 1);		/* OEM revision */
	memcpy(t + 28, "EMBR", 4);	/* creator id */
	put32(t, 32, 1);
}

static void sdt_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)(0 - acpi_checksum(t, len));
}

/* A generic address structure for an 8-bit I/O port. */
static void gas_io8(uint8_t *p, uint64_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = 8;	/* bit width */
	p[2] = 0;	/* bit offset */
	p[3] = 1;	/* byte access */
	put64(p, 4, port);
}

static void res_io(uint8_t **p, uint16_t base, uint8_t len)
{
	uint8_t *d = *p;

	d[0] = 0x47;	/* I/O port descriptor */
	d[1] = 1;	/* 16-bit decode */
	put16(d, 2, base);
	put16(d, 4, base);
	d[6] = 1;
	d[7] = len;
	*p += 8;
}

static void res_irq(uint8_t **p, unsigned int irq)
{
	uint8_t *d = *p;

	d[0] = 0x22;	/* IRQ descriptor, no flags: edge, active high */
	put16(d, 1, (uint16_t)(1u << irq));
	*p += 3;
}

static void res_end(uint8_t **p)
{
	(*p)[0] = 0x79;
	(*p)[1] = 0;
	*p += 2;
}

static void legacy_device(struct aml *a, const char *name, const char *hid, unsigned int uid,
			  const uint8_t *crs, size_t crs_len)
{
	static const uint8_t device_op[] = { 0x5b, 0x82 };
	size_t dev = aml_open(a, device_op, sizeof(device_op), name);

	aml_name(a, "_HID");
	aml_eisaid(a, hid);
	aml_name(a, "_UID");
	aml_integer(a, uid);
	aml_name(a, "_CRS");
	aml_buffer(a, crs, crs_len);
	aml_close(a, dev);
}

long acpi_build_dsdt(uint8_t *buf, size_t len, const struct acpi_config *cfg)
{
	static const uint8_t scope_op = 0x10, device_op[] = { 0x5b, 0x82 };
	static const uint8_t package_op = 0x12;
	uint8_t crs[64], *p;
	struct aml a;
	size_t sb;

	if (cfg->n_virtio > ACPI_MAX_VIRTIO)
		return -EINVAL;
	aml_init(&a, buf, len);
	sb = aml_open(&a, &scope_op, 1, "\\_SB_");

	p = crs;
	res_io(&p, 0x3f8, 8);
	res_irq(&p, 4);
	res_end(&p);
	legacy_device(&a, "COM1", "PNP0501", 0, crs, (size_t)(p - crs));

	p = crs;
	res_io(&p, 0x60, 1);
	res_io(&p, 0x64, 1);
	res_irq(&p, 1);
	res_end(&p);
	legacy_device(&a, "PS2K", "PNP0303", 0, crs, (size_t)(p - crs));

	p = crs;
	res_io(&p, 0x70, 2);
	res_end(&p);
	legacy_device(&a, "RTC_", "PNP0B00", 0, crs, (size_t)(p - crs));

	for (unsigned int i = 0; i < cfg->n_virtio; i++) {
		const struct acpi_virtio_dev *v = &cfg->virtio[i];
		char name[16];
		size_t dev;

		if (v->mmio_base > UINT32_MAX - 0x1000)
			return -EINVAL;
		snprintf(name, sizeof(name), "V%03u", i);
		dev = aml_open(&a, device_op, sizeof(device_op), name);
		aml_name(&a, "_HID");
		aml_string(&a, "LNRO0005");
		aml_name(&a, "_UID");
		aml_integer(&a, i);
		aml_name(&a, "_CCA");	/* cache coherent DMA */
		aml_integer(&a, 1);
		p = crs;
		p[0] = 0x86;		/* Memory32Fixed, read/write */
		put16(p, 1, 9);
		p[3] = 1;
		put32(p, 4, (uint32_t)v->mmio_base);
		put32(p, 8, 0x1000);
		p += 12;
		p[0] = 0x89;		/* Extended Interrupt: consumer, edge, high, exclusive */
		put16(p, 1, 6);
		p[3] = 0x03;
		p[4] = 1;
		put32(p, 5, v->gsi);
		p += 9;
		res_end(&p);
		aml_name(&a, "_CRS");
		aml_buffer(&a, crs, (size_t)(p - crs));
		aml_close(&a, dev);
	}
	aml_close(&a, sb);

	if (cfg->sleep_port) {
		/* \_S5: SLP_TYP 5 for poweroff through the sleep control register. */
		size_t pkg;

		aml_name(&a, "\\_S5_");
		pkg = aml_open(&a, &package_op, 1, NULL);
		aml_byte(&a, 2);	/* NumElements */
		aml_integer(&a, 5);
		aml_integer(&a, 5);
		aml_close(&a, pkg);
	}
	return a.err ? a.err : (long)a.pos;
}

long acpi_build(uint8_t *buf, size_t len, uint64_t gpa, const struct acpi_config *cfg)
{
	size_t off = 0, rsdp = 0, xsdt, fadt, madt, dsdt, madt_len, xsdt_len;
	long aml_len;
	uint8_t *t;

	if (!cfg->ncpus || cfg->ncpus > 255 || gpa > UINT32_MAX - len)
		return -EINVAL;
	memset(buf, 0, len);

	/* Layout: RSDP, DSDT, FADT, MADT, XSDT, each 16-byte aligned. */
	off = ALIGN_UP((size_t)36, ACPI_TABLES_ALIGN);
	dsdt = off;
	if (len < dsdt + SDT_HEADER_LEN)
		return -ENOSPC;
	aml_len = acpi_build_dsdt(buf + dsdt + SDT_HEADER_LEN, len - dsdt - SDT_HEADER_LEN, cfg);
	if (aml_len < 0)
		return aml_len;
	sdt_header(buf + dsdt, "DSDT", (uint32_t)(SDT_HEADER_LEN + aml_len), 6);
	sdt_finish(buf + dsdt, (uint32_t)(SDT_HEADER_LEN + aml_len));
	off = ALIGN_UP(dsdt + SDT_HEADER_LEN + (size_t)aml_len, ACPI_TABLES_ALIGN);

	fadt = off;
	madt = ALIGN_UP(fadt + FADT_LEN, ACPI_TABLES_ALIGN);
	madt_len = SDT_HEADER_LEN + 8 + 8 * cfg->ncpus + 12 + 6;
	xsdt = ALIGN_UP(madt + madt_len, ACPI_TABLES_ALIGN);
	xsdt_len = SDT_HEADER_LEN + 2 * 8;
	if (xsdt + xsdt_len > len)
		return -ENOSPC;

	t = buf + fadt;
	sdt_header(t, "FACP", FADT_LEN, 6);
	put32(t, 40, (uint32_t)(gpa + dsdt));
	put16(t, 109, IAPC_BOOT_ARCH_8042 | IAPC_BOOT_ARCH_NO_VGA | IAPC_BOOT_ARCH_NO_MSI);
	put32(t, 112, FADT_FLAG_HW_REDUCED | FADT_FLAG_PWR_BUTTON | FADT_FLAG_SLP_BUTTON |
		      FADT_FLAG_RESET_REG_SUP);
	gas_io8(t + 116, 0x64);		/* reset register: i8042 command port */
	t[128] = 0xfe;			/* reset value: pulse the reset line */
	t[131] = 0;			/* FADT minor version */
	put64(t, 140, gpa + dsdt);	/* X_DSDT */
	if (cfg->sleep_port) {
		gas_io8(t + 244, cfg->sleep_port);	/* SLEEP_CONTROL_REG */
		gas_io8(t + 256, cfg->sleep_port);	/* SLEEP_STATUS_REG */
	}
	memcpy(t + 268, "EMBERVMM", 8);
	sdt_finish(t, FADT_LEN);

	t = buf + madt;
	sdt_header(t, "APIC", (uint32_t)madt_len, 5);
	put32(t, 36, (uint32_t)LAYOUT_LAPIC);
	put32(t, 40, 1);		/* PCAT_COMPAT: 8259s present */
	off = 44;
	for (unsigned int i = 0; i < cfg->ncpus; i++, off += 8) {
		t[off] = 0;		/* Processor Local APIC */
		t[off + 1] = 8;
		t[off + 2] = (uint8_t)i;	/* ACPI processor UID */
		t[off + 3] = (uint8_t)i;	/* APIC ID */
		put32(t, off + 4, 1);	/* enabled */
	}
	t[off] = 1;			/* I/O APIC */
	t[off + 1] = 12;
	t[off + 2] = (uint8_t)cfg->ioapic_id;
	put32(t, off + 4, (uint32_t)LAYOUT_IOAPIC);
	put32(t, off + 8, 0);		/* GSI base */
	off += 12;
	t[off] = 4;			/* Local APIC NMI on LINT1 of every CPU */
	t[off + 1] = 6;
	t[off + 2] = 0xff;
	put16(t, off + 3, 0);
	t[off + 5] = 1;
	sdt_finish(t, (uint32_t)madt_len);

	t = buf + xsdt;
	sdt_header(t, "XSDT", (uint32_t)xsdt_len, 1);
	put64(t, 36, gpa + fadt);
	put64(t, 44, gpa + madt);
	sdt_finish(t, (uint32_t)xsdt_len);

	t = buf + rsdp;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, "EMBER ", 6);
	t[15] = 2;			/* ACPI 2.0+ */
	put32(t, 16, 0);		/* no RSDT */
	put32(t, 20, 36);
	put64(t, 24, gpa + xsdt);
	t[8] = (uint8_t)(0 - acpi_checksum(t, 20));
	t[32] = (uint8_t)(0 - acpi_checksum(t, 36));
	return (long)(xsdt + xsdt_len);
}
