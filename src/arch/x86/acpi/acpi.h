/* SPDX-License-Identifier: MIT */
/* arch/x86/acpi/acpi.h: ACPI tables for a hardware-reduced microVM: RSDP, XSDT, FADT, MADT, DSDT (pure). */
#ifndef EMBER_ACPI_H
#define EMBER_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

#define ACPI_MAX_VIRTIO 32

struct acpi_virtio_dev {
	uint64_t mmio_base;	/* 4 KiB virtio-mmio window */
	uint32_t gsi;
};

struct acpi_config {
	unsigned int ncpus;		/* Local APIC entries with IDs 0..ncpus-1 */
	uint32_t ioapic_id;
	unsigned int n_virtio;
	struct acpi_virtio_dev virtio[ACPI_MAX_VIRTIO];
	uint64_t sleep_port;		/* hardware-reduced sleep control/status port, 0: none */
};

/*
 * Build every table into buf, which will be placed at guest-physical `gpa`;
 * the RSDP comes first (so it can sit at the 0xE0000 search address).
 * Returns the bytes used, or -ENOSPC / -EINVAL.
 */
long acpi_build(uint8_t *buf, size_t len, uint64_t gpa, const struct acpi_config *cfg) __must_check;

/* Exposed for tests: the DSDT's AML body builder and the table checksum. */
long acpi_build_dsdt(uint8_t *buf, size_t len, const struct acpi_config *cfg) __must_check;
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
