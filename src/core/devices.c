/* SPDX-License-Identifier: MIT */
/* core/devices.c: attaches the configured virtio-mmio devices in a fixed, documented order. */
#include "core/devices.h"
#include "core/vm.h"

int devices_attach(struct vm *vm, struct cmdline *cmdline, char *why, size_t why_len)
{
	/* Devices arrive with the virtio work (docs/devices.md); none configured yet. */
	(void)vm; (void)cmdline; (void)why; (void)why_len;
	return 0;
}

void devices_destroy(struct vm *vm)
{
	(void)vm;
}
