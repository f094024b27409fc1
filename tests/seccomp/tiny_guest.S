/* SPDX-License-Identifier: MIT */
/* tests/seccomp/tiny_guest.S: PVH guest that prints a line on COM1 and resets through the i8042 (-DHANG: halts forever). */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18			/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:					/* PVH: 32-bit protected mode, paging off */
	mov	$msg, %esi
	mov	$0x3f8, %dx		/* COM1 data register */
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:
#ifndef HANG
	mov	$0xfe, %al		/* i8042: pulse the reset line */
	outb	%al, $0x64
#endif
3:	hlt
	jmp	3b

	.section .rodata
msg:	.asciz "ember-seccomp-guest: hello\n"
