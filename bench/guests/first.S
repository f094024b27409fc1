/* SPDX-License-Identifier: MIT */
/* bench/guests/first.S: PVH guest whose first instructions report on COM1 and the boot marker, then reset or halt. */
/*
 * Entered in 32-bit protected mode (PVH).  The first instruction writes '!'
 * to COM1 so a harness can time exec -> first guest instruction from the
 * serial stream of any VMM; then a newline (ember's console is line
 * buffered), the boot marker, and either a reset (i8042, else a triple
 * fault: both end the VMM) or,
 * when the command line's first byte is 'h', a halt with interrupts off (an
 * idle VM for density tests).
 */
	.section .note.Xen, "a"
	.align 4
	.long 4, 4, 18		/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	mov $0x3f8, %dx
	mov $'!', %al
	out %al, %dx
	mov $'\n', %al
	out %al, %dx
	mov $0x440, %dx
	mov $123, %al
	out %al, %dx
	/* hvm_start_info.cmdline_paddr is at offset 24 of the struct in EBX. */
	mov 24(%ebx), %esi
	test %esi, %esi
	jz reset
	cmpb $'h', (%esi)
	je idle
reset:
	mov $0xfe, %al
	out %al, $0x64
	/* No i8042 (QEMU microvm): triple fault through an empty IDT. */
	lidt null_idt
	ud2
idle:
	cli
1:	hlt
	jmp 1b

	.align 8
null_idt:
	.word 0
	.long 0
