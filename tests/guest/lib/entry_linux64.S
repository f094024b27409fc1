/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/entry_linux64.S: Linux 64-bit boot protocol entry (e_entry, RSI = boot_params): records the state. */
#include "boot.h"

	.section .text.entry, "ax"
	.code64
	.globl _start, linux64_start
_start:
linux64_start:
	/* Nothing may change the flags or a register before it is recorded. */
	movq %rax, entry_state + ES_RAX
	movq %rbx, entry_state + ES_RBX
	movq %rcx, entry_state + ES_RCX
	movq %rdx, entry_state + ES_RDX
	movq %rsi, entry_state + ES_RSI
	movq %rdi, entry_state + ES_RDI
	movq %rsp, entry_state + ES_RSP
	movq %rbp, entry_state + ES_RBP
	movq $boot_stack_top, %rsp
	pushfq
	popq entry_state + ES_RFLAGS

	movq %cr0, %rax
	movq %rax, entry_state + ES_CR0
	movq %cr3, %rax
	movq %rax, entry_state + ES_CR3
	movq %cr4, %rax
	movq %rax, entry_state + ES_CR4
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

	sgdt entry_state + ES_GDTR
	sidt entry_state + ES_IDTR

	call 1f
1:	popq %rax
	movq %rax, entry_state + ES_EIP_SEEN
	movq $1b, entry_state + ES_EIP_LINK
	movq $BOOT_LINUX64, entry_state + ES_PROTOCOL

	cld
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	/*
	 * Switch to our GDT (same selectors, so CS needs no reload) and to our
	 * page tables, which also map 4-8 GiB.  CR4.PAE and EFER.LME stay.
	 */
	lgdt gdt_desc
	movq $pml4, %rax
	movq %rax, %cr3
	jmp start64

	.section .note.GNU-stack, "", @progbits
