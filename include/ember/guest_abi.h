/* SPDX-License-Identifier: MIT */
/* include/ember/guest_abi.h: the ports and structures ember shares with guests (boot marker, ucall). */
#ifndef EMBER_GUEST_ABI_H
#define EMBER_GUEST_ABI_H

#include <stdint.h>

/*
 * Boot marker port: the guest writes one byte.  The value 123 means
 * "userspace /init reached" (the same magic Firecracker's boot timer uses);
 * ember records the time for --boot-time.  Other values are ignored.
 */
#define EMBER_PORT_BOOT_MARK	0x440
#define EMBER_BOOT_MARK_INIT	123

/*
 * ucall port (only with `ember run --ucall`, meant for test guests): the
 * guest does a 32-bit OUT of the guest-physical address of a struct
 * ember_ucall.  ember copies the struct through the checked guest-memory
 * gate and acts on `cmd`.  Without --ucall the port is ignored.
 */
#define EMBER_PORT_UCALL	0x444

enum ember_ucall_cmd {
	EMBER_UCALL_PRINT = 1,	/* print msg on ember's stderr as "guest: <msg>" */
	EMBER_UCALL_ASSERT = 2,	/* assertion failed: file, line, msg, args[0..1]; VM ends, exit status 4 */
	EMBER_UCALL_DONE = 3,	/* test passed; VM ends, exit status 0 */
	EMBER_UCALL_ABORT = 4,	/* test aborted: msg; VM ends, exit status 4 */
};

struct ember_ucall {
	uint32_t cmd;		/* enum ember_ucall_cmd */
	uint32_t line;		/* source line for ASSERT */
	uint64_t args[4];	/* values for ASSERT (e.g. actual, expected) */
	char file[64];		/* NUL-terminated; ember stops at the first NUL or the end */
	char msg[192];		/* NUL-terminated; ditto */
};

_Static_assert(sizeof(struct ember_ucall) == 296, "ucall ABI size");

/* Exit statuses of `ember run` (also documented in docs/boot.md). */
#define EMBER_EXIT_OK		0	/* guest powered off or rebooted */
#define EMBER_EXIT_VMM_ERROR	1	/* ember failed at run time */
#define EMBER_EXIT_BAD_INPUT	2	/* bad option, file or size */
#define EMBER_EXIT_GUEST_PANIC	3	/* guest kernel panicked */
#define EMBER_EXIT_TEST_FAILED	4	/* test guest reported ASSERT or ABORT via ucall */

#endif
