/* SPDX-License-Identifier: MIT */
/* tests/api/guest.S: a tiny PVH guest for the API tests: greets on COM1, then loops doing port I/O until it sees a key. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define COM1		0x3f8
#define POST_PORT	0x80	/* every loop turn: one I/O exit, so vcpu.exit_io_out grows while running */
#define KBD_DATA	0x60
#define KBD_STATUS	0x64

	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f
	.long 4f - 3f
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.balign 4
3:	.long pvh_start
4:	.balign 4
	.popsection

	.text
	.code32
	.globl pvh_start
pvh_start:
	/* PVH: 32-bit protected mode, flat segments, paging off, no stack. */
	movl $stack_top, %esp
	movl $hello, %esi
	call puts
loop:
	movb $0x42, %al
	outb %al, $POST_PORT
	inb $KBD_STATUS, %al
	testb $1, %al			/* output buffer full: a scancode is waiting */
	jnz key
	movl $200, %ecx
1:	decl %ecx
	jnz 1b
	jmp loop
key:
	inb $KBD_DATA, %al
	movl $bye, %esi
	call puts
	movb $0xfe, %al			/* pulse the reset line: the VM ends */
	outb %al, $KBD_STATUS
2:	hlt
	jmp 2b

/* Write the NUL-terminated string at %esi to COM1. */
puts:
	movw $COM1, %dx
3:	lodsb
	testb %al, %al
	jz 4f
	outb %al, %dx
	jmp 3b
4:	ret

	.section .rodata
hello:	.asciz "ember-api-guest: running\n"
bye:	.asciz "ember-api-guest: key seen, resetting\n"
	.bss
	.balign 16
	.skip 4096
stack_top:
	.section .note.GNU-stack, "", @progbits
