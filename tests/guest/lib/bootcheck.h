/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/bootcheck.h: checks shared by the boot tests: memory map, command line, initrd. */
#ifndef GUEST_BOOTCHECK_H
#define GUEST_BOOTCHECK_H

#include "guest.h"

/*
 * They read their expectations from the command line the runner passes:
 * mem=<MiB as given to --mem>, len=<length of the whole command line>,
 * initrd_size=<bytes of the --initrd file> (absent: no initrd).
 */
void check_memory_map(void);
void check_cmdline(void);
void check_initrd(void);
bool is_ram(u64 addr, u64 size);
bool overlaps_image(u64 addr, u64 size);

#endif
