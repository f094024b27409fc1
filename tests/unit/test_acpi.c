/* SPDX-License-Identifier: MIT */
/* tests/unit/test_acpi.c: ACPI tables: checksums, pointers, MADT entries, and a DSDT that iasl accepts. */
#include <stdlib.h>
#include <unistd.h>

#include "arch/x86/acpi/acpi.h"
#include "arch/x86/acpi/aml.h"
#include "harness.h"

#define GPA 0xe0000u
static uint8_t tables[0x20000];

static struct acpi_config cfg3(void)
{
	struct acpi_config c = { .ncpus = 2, .ioapic_id = 2, .n_virtio = 3, .sleep_port = 0x600 };

	for (unsigned int i = 0; i < 3; i++) {
		c.virtio[i].mmio_base = 0xd0000000u + i * 0x1000u;
		c.virtio[i].gsi = 5 + i;
	}
	return c;
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static const uint8_t *table_at(uint64_t gpa)
{
	return tables + (gpa - GPA);
}

static void test_acpi_rsdp_xsdt_checksums(void)
{
	struct acpi_config c = cfg3();
	long n = acpi_build(tables, sizeof(tables), GPA, &c);
	const uint8_t *xsdt;

	CHECK(n > 0);
	CHECK(!memcmp(tables, "RSD PTR ", 8));
	CHECK_EQ(acpi_checksum(tables, 20), 0);
	CHECK_EQ(acpi_checksum(tables, 36), 0);
	xsdt = table_at(get64(tables + 24));
	CHECK(!memcmp(xsdt, "XSDT", 4));
	CHECK_EQ(get32(xsdt + 4), 36 + 16);
	CHECK_EQ(acpi_checksum(xsdt, get32(xsdt + 4)), 0);
	for (int i = 0; i < 2; i++) {
		const uint8_t *t = table_at(get64(xsdt + 36 + 8 * i));

		CHECK(!memcmp(t, i ? "APIC" : "FACP", 4));
		CHECK_EQ(acpi_checksum(t, get32(t + 4)), 0);
	}
}

static void test_acpi_fadt_hw_reduced_points_at_dsdt(void)
{
	struct acpi_config c = cfg3();
	const uint8_t *fadt, *dsdt;

	CHECK(acpi_build(tables, sizeof(tables), GPA, &c) > 0);
	fadt = table_at(get64(table_at(get64(tables + 24)) + 36));
	CHECK_EQ(get32(fadt + 4), 276);
	CHECK(get32(fadt + 112) & (1u << 20));	/* HW_REDUCED_ACPI */
	CHECK_EQ(get64(fadt + 140), get32(fadt + 40));
	dsdt = table_at(get64(fadt + 140));
	CHECK(!memcmp(dsdt, "DSDT", 4));
	CHECK_EQ(acpi_checksum(dsdt, get32(dsdt + 4)), 0);
	CHECK_EQ(fadt[116], 1);			/* reset register in I/O space */
	CHECK_EQ(get64(fadt + 120), 0x64);
	CHECK_EQ(fadt[128], 0xfe);
	CHECK_EQ(get64(fadt + 244 + 4), 0x600);	/* sleep control register */
}

static void test_acpi_madt_one_lapic_per_cpu(void)
{
	struct acpi_config c = cfg3();
	const uint8_t *madt;

	c.ncpus = 4;
	c.ioapic_id = 4;
	CHECK(acpi_build(tables, sizeof(tables), GPA, &c) > 0);
	madt = table_at(get64(table_at(get64(tables + 24)) + 44));
	CHECK_EQ(get32(madt + 4), 44 + 4 * 8 + 12 + 6);
	for (unsigned int i = 0; i < 4; i++) {
		const uint8_t *e = madt + 44 + 8 * i;

		CHECK_EQ(e[0], 0);
		CHECK_EQ(e[3], i);
		CHECK_EQ(get32(e + 4), 1);
	}
	CHECK_EQ(madt[44 + 32], 1);		/* IOAPIC */
	CHECK_EQ(madt[44 + 32 + 2], 4);
	CHECK_EQ(get32(madt + 44 + 32 + 4), 0xfec00000u);
}

static void test_acpi_refuses_bad_input(void)
{
	struct acpi_config c = cfg3();

	c.ncpus = 0;
	CHECK(acpi_build(tables, sizeof(tables), GPA, &c) < 0);
	c = cfg3();
	CHECK(acpi_build(tables, 64, GPA, &c) < 0);
	c.n_virtio = ACPI_MAX_VIRTIO + 1;
	CHECK(acpi_build(tables, sizeof(tables), GPA, &c) < 0);
}

static void test_aml_pkglength_multibyte(void)
{
	static const uint8_t scope = 0x10;
	uint8_t buf[512], fill[100];
	struct aml a;
	size_t tok;

	memset(fill, 0xa5, sizeof(fill));
	aml_init(&a, buf, sizeof(buf));
	tok = aml_open(&a, &scope, 1, "TEST");
	aml_bytes(&a, fill, sizeof(fill));
	aml_close(&a, tok);
	CHECK_EQ(a.err, 0);
	/* 4 name bytes + 100 body + 2 length bytes = 106 = 0x6a: lead byte 0x4a, next 0x06. */
	CHECK_EQ(buf[1], 0x4a);
	CHECK_EQ(buf[2], 0x06);
	CHECK_EQ(a.pos, 1 + 2 + 4 + 100);
	CHECK(!memcmp(buf + 3, "TEST", 4));
}

static void test_aml_eisaid(void)
{
	uint8_t buf[8];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "PNP0501");
	CHECK_EQ(buf[0], 0x0c);
	CHECK_EQ(get32(buf + 1), 0x0105d041u);	/* what iasl emits for EISAID("PNP0501") */
}

/* The DSDT disassembles cleanly with ACPICA's iasl (skipped when absent). */
static void test_acpi_dsdt_iasl_roundtrip(void)
{
	struct acpi_config c = cfg3();
	char dir[] = "/tmp/ember-acpi-XXXXXX", cmd[512], path[300];
	const uint8_t *dsdt;
	FILE *f;
	int rc;

	CHECK(acpi_build(tables, sizeof(tables), GPA, &c) > 0);
	dsdt = table_at(get32(table_at(get64(table_at(get64(tables + 24)) + 36)) + 40));
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/dsdt.dat", dir);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(dsdt, 1, get32(dsdt + 4), f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && iasl -d dsdt.dat >log 2>&1 && grep -q LNRO0005 dsdt.dsl && "
		 "grep -q 'PNP0501' dsdt.dsl && grep -q V002 dsdt.dsl && grep -q _S5_ dsdt.dsl",
		 dir);
	rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/log %s/dsdt.dsl >&2", dir, dir);
		if (system(cmd) != 0)
			fprintf(stderr, "  (no iasl output)\n");
	}
	CHECK_EQ(rc, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  cleanup of %s failed\n", dir);
}

int main(void)
{
	RUN(test_acpi_rsdp_xsdt_checksums);
	RUN(test_acpi_fadt_hw_reduced_points_at_dsdt);
	RUN(test_acpi_madt_one_lapic_per_cpu);
	RUN(test_acpi_refuses_bad_input);
	RUN(test_aml_pkglength_multibyte);
	RUN(test_aml_eisaid);
	if (access("/usr/bin/iasl", X_OK) == 0)
		RUN(test_acpi_dsdt_iasl_roundtrip);
	else
		printf("SKIP: test_acpi_dsdt_iasl_roundtrip: iasl (acpica-tools) not installed\n");
	return harness_summary("acpi");
}
