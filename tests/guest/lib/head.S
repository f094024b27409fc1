/* SPDX-License-Identifier: MIT */
/* tests/guest/lib/head.S: GDT, identity page tables, 32-to-64-bit switch, AP start-up, exception and IRQ stubs. */
#include "boot.h"

#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define CR4_PAE		(1 << 5)
#define CR0_PE_PG	0x80000001

/* ---- data: GDT, page tables (identity map of the first 8 GiB), entry state ---- */

	.section .data
	.balign 16
	.globl gdt, gdt_end, gdt_desc
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* 0x08: 32-bit code, flat 4 GiB */
	.quad 0x00af9b000000ffff	/* 0x10: 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x18: data, flat 4 GiB */
gdt_end:
	.balign 8
gdt_desc:				/* a 32-bit LGDT reads the low half of the base */
	.word gdt_end - gdt - 1
	.quad gdt

	.balign 16
	.globl entry_state
entry_state:
	.skip ES_SIZE

	.globl ap_next_slot
ap_next_slot:
	.long 1				/* slot 0 is the boot CPU */

	.balign 4096
	.globl pml4
pml4:
	.quad pdpt + 0x3
	.fill 511, 8, 0
pdpt:
	.set i, 0
	.rept 8
	.quad pd + i * 4096 + 0x3
	.set i, i + 1
	.endr
	.fill 504, 8, 0
pd:
	.set addr, 0
	.rept 8 * 512
	.quad addr + 0x83		/* present, writable, 2 MiB page */
	.set addr, addr + 0x200000
	.endr

	.section .bss
	.balign 4096
	.globl boot_stack_top, ap_stacks
boot_stack:
	.skip 16384
boot_stack_top:
ap_stacks:
	.skip MAX_CPUS * STACK_SIZE

/* ---- 32-bit protected mode to long mode ---- */

	.text
	.code32
/*
 * Enter long mode and jump to the 64-bit address in %esi.  Needs no stack.
 * Clobbers %eax, %ecx, %edx.
 */
	.globl long_mode_from32
long_mode_from32:
	lgdtl gdt_desc
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PE_PG, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $1f
	.code64
1:	movl %esi, %esi
	jmp *%rsi

/* The boot CPU, in long mode on our page tables and GDT. */
	.globl start64
start64:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	call guest_start
	jmp halt

	.globl halt
halt:
	cli
	hlt
	jmp halt

/* ---- application processors ---- */

	.code32
ap_start32:				/* from the trampoline: CS = SEL_CODE32 of our GDT */
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $ap_start64, %esi
	jmp long_mode_from32

	.code64
ap_start64:
	movl $1, %eax
	lock xaddl %eax, ap_next_slot
	cmpl $MAX_CPUS, %eax
	jae halt
	movl %eax, %edi
	leal 1(%eax), %ecx
	imull $STACK_SIZE, %ecx
	addl $ap_stacks, %ecx
	movq %rcx, %rsp
	xorl %ebp, %ebp
	call ap_main
	jmp halt

/*
 * Real-mode trampoline, copied to AP_TRAMPOLINE and started by SIPI with
 * CS = AP_TRAMPOLINE >> 4, IP = 0.  It loads our GDT and jumps to the
 * 32-bit code above at its linked address.
 */
	.section .rodata
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_tramp_gdtr - ap_trampoline
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $ap_start32
	.balign 4
ap_tramp_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
ap_trampoline_end:

/* ---- exceptions: vector and error code, then C ---- */

	.text
	.code64
.macro EXC_STUB vec
	.balign 16
exc_stub_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp exc_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXC_STUB \v
	.endr

exc_common:
	movq %rsp, %rdi
	andq $-16, %rsp
	call exception_handler
	jmp halt

/* ---- interrupts 32-63: count them, EOI, return ---- */

.macro IRQ_STUB vec
	.balign 16
irq_stub_\vec:
	pushq $\vec
	jmp irq_common
.endm

	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	IRQ_STUB \v
	.endr

irq_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbp
	movq %rsp, %rbp
	movq 80(%rsp), %rdi		/* the vector */
	andq $-16, %rsp
	call irq_dispatch
	movq %rbp, %rsp
	popq %rbp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp
	iretq

	.section .rodata
	.balign 8
	.globl exception_stubs
exception_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc_stub_\v
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	.quad irq_stub_\v
	.endr

	.section .note.GNU-stack, "", @progbits
