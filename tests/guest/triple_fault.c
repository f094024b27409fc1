// SPDX-License-Identifier: MIT
/* tests/guest/triple_fault.c: an empty IDT and then ud2 (or int3 with op=int3): a triple fault, which ember treats as reset. */
#include "guest.h"

void guest_main(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) empty = { 0, 0 };
	bool int3 = cmdline_has("op=int3");

	GUEST_PRINTF("triple_fault: empty IDT, then %s", int3 ? "int3" : "ud2");
	asm volatile("lidt %0" : : "m"(empty) : "memory");
	if (int3)
		asm volatile("int3" ::: "memory");
	else
		asm volatile("ud2" ::: "memory");
	GUEST_ABORT("survived an exception with an empty IDT");
}
