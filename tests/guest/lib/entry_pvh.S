/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/entry_pvh.S: PVH entry (Xen ELF note 18): records the 32-bit entry state, then goes to long mode. */
#include "boot.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f			/* namesz */
	.long 4f - 3f			/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.balign 4
3:	.long pvh_start32		/* 32-bit physical entry */
4:	.balign 4
	.popsection

	.section .text.entry, "ax"
	.code32
	.globl _start, pvh_start32
_start:
pvh_start32:
	/* Nothing may change the flags or a register before it is recorded. */
	movl %eax, entry_state + ES_RAX
	movl %ebx, entry_state + ES_RBX
	movl %ecx, entry_state + ES_RCX
	movl %edx, entry_state + ES_RDX
	movl %esi, entry_state + ES_RSI
	movl %edi, entry_state + ES_RDI
	movl %esp, entry_state + ES_RSP
	movl %ebp, entry_state + ES_RBP
	movl $boot_stack_top, %esp
	pushfl
	popl entry_state + ES_RFLAGS

	movl %cr0, %eax
	movl %eax, entry_state + ES_CR0
	movl %cr3, %eax
	movl %eax, entry_state + ES_CR3
	movl %cr4, %eax
	movl %eax, entry_state + ES_CR4
	movl $0xc0000080, %ecx
	rdmsr
	movl %eax, entry_state + ES_EFER
	movl %edx, entry_state + ES_EFER + 4

	movw %cs, entry_state + ES_CS
	movw %ds, entry_state + ES_DS
	movw %es, entry_state + ES_ES
	movw %ss, entry_state + ES_SS
	movw %fs, entry_state + ES_FS
	movw %gs, entry_state + ES_GS

	/* Descriptor rights and limits as the GDT describes them (0 if LAR fails). */
	sgdtl entry_state + ES_GDTR
	sidtl entry_state + ES_IDTR

	/* A CALL pushes EIP: equal to the link address only if CS's base is 0. */
	call 1f
1:	popl %eax
	movl %eax, entry_state + ES_EIP_SEEN
	movl $1b, entry_state + ES_EIP_LINK
	movl $BOOT_PVH, entry_state + ES_PROTOCOL

	cld
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl $start64, %esi
	jmp long_mode_from32

	.section .note.GNU-stack, "", @progbits
