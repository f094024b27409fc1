/* SPDX-License-Identifier: MIT */
/* tests/unit/test_sandbox_bpf.c: the seccomp programs compiled at build time: shape, verdicts, freshness, determinism. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "harness.h"
#include "kvm/vcpu.h"
#include "sandbox/bpf.h"
#include "sandbox/bpf_gen.h"
#include "sandbox/rules.h"
#include "sandbox/sandbox.h"

#define BAD	0xdeadbeefu	/* run_bpf(): the program is not one the kernel would run */

/*
 * A classic-BPF interpreter for what libseccomp emits, with the kernel's
 * checks (aligned loads inside seccomp_data, jumps inside the program, no
 * fall-through past the end).  Returns the program's verdict, or BAD.
 */
static uint32_t run_bpf(const struct sock_filter *p, size_t n, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	unsigned char data[sizeof(*d)];
	size_t pc = 0;

	memcpy(data, d, sizeof(data));
	while (pc < n) {
		const struct sock_filter *f = &p[pc++];
		size_t skip = 0;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k % 4 || f->k > sizeof(data) - 4)
				return BAD;
			memcpy(&a, data + f->k, 4);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return BAD;
			if (f->code == (BPF_LD | BPF_MEM))
				a = mem[f->k];
			else if (f->code == (BPF_LDX | BPF_MEM))
				x = mem[f->k];
			else
				mem[f->k] = f->code == BPF_ST ? a : x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			a |= f->k;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			skip = f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			skip = a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			skip = a > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			skip = a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			skip = a & f->k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			fprintf(stderr, "  run_bpf: opcode 0x%04x at %zu\n", f->code, pc - 1);
			return BAD;
		}
		if (skip >= n - pc)
			return BAD;
		pc += skip;
	}
	return BAD;
}

static struct seccomp_data call(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };

	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	return d;
}

static uint32_t verdict(enum sandbox_class cls, struct seccomp_data d)
{
	size_t n = 0;
	const struct sock_filter *p = sandbox_bpf_program(cls, &n);

	return p ? run_bpf(p, n, &d) : BAD;
}

static const char *const names[SANDBOX_NR_CLASSES] = { "vmm", "api", "vcpu" };

/* Non-empty, within the kernel's limit, the x86-64 check first, every path a return. */
static void test_bpf_programs_shape(void)
{
	size_t n = 1;

	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		const struct sock_filter *p = sandbox_bpf_program((enum sandbox_class)c, &n);
		bool kill_process = false;

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK(n > 4 && n <= BPF_MAXINSNS);
		/* ld [arch]; jeq AUDIT_ARCH_X86_64 */
		CHECK_EQ(p[0].code, BPF_LD | BPF_W | BPF_ABS);
		CHECK_EQ(p[0].k, offsetof(struct seccomp_data, arch));
		CHECK_EQ(p[1].code, BPF_JMP | BPF_JEQ | BPF_K);
		CHECK_EQ(p[1].k, AUDIT_ARCH_X86_64);
		/* ends in returns, and returns only allow or a kill */
		CHECK_EQ(p[n - 1].code, BPF_RET | BPF_K);
		for (size_t i = 0; i < n; i++) {
			if (p[i].code != (BPF_RET | BPF_K))
				continue;
			CHECK(p[i].k == SECCOMP_RET_ALLOW || p[i].k == SECCOMP_RET_KILL_PROCESS ||
			      p[i].k == SECCOMP_RET_KILL_THREAD);
			kill_process |= p[i].k == SECCOMP_RET_KILL_PROCESS;
		}
		CHECK(kill_process);
		/* the default, for a call on no list */
		CHECK_EQ(verdict((enum sandbox_class)c, call(SYS_execve, 0, 0, 0)),
			 SECCOMP_RET_KILL_PROCESS);
	}
	CHECK(sandbox_bpf_program(SANDBOX_NR_CLASSES, &n) == NULL);
	CHECK_EQ(n, 0);
}

/* The kick signal was resolved to the number this libc uses. */
static void test_bpf_kick_signal(void)
{
	CHECK_EQ(sandbox_bpf_kick_signal, VCPU_KICK_SIGNAL);
	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		enum sandbox_class cls = (enum sandbox_class)c;

		CHECK_EQ(verdict(cls, call(SYS_tgkill, 1, 2, (uint64_t)VCPU_KICK_SIGNAL)),
			 SECCOMP_RET_ALLOW);
		CHECK_EQ(verdict(cls, call(SYS_tgkill, 1, 2, SIGUSR1)), SECCOMP_RET_KILL_PROCESS);
	}
}

/* Every entry of every list lets its own call through, arguments included. */
static void test_bpf_every_rule_allowed(void)
{
	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		size_t n = 0;
		const struct sandbox_rule *r = sandbox_rules((enum sandbox_class)c, &n);

		CHECK(n > 0);
		for (size_t i = 0; i < n; i++) {
			int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, r[i].name);
			struct seccomp_data d = call(nr, 0, 0, 0);
			uint32_t v;

			CHECK(nr >= 0);
			for (unsigned int j = 0; j < r[i].nargs && j < 2; j++) {
				uint64_t want = r[i].cmp[j].op == SCMP_CMP_MASKED_EQ ? r[i].cmp[j].b
										  : r[i].cmp[j].a;

				if (want == SANDBOX_KICK_SIGNAL)
					want = (uint64_t)VCPU_KICK_SIGNAL;
				d.args[r[i].cmp[j].arg] = want;
			}
			v = verdict((enum sandbox_class)c, d);
			if (v != SECCOMP_RET_ALLOW)
				fprintf(stderr, "  %s rule %zu (%s): verdict 0x%08x\n", names[c], i,
					r[i].name, v);
			CHECK_EQ(v, SECCOMP_RET_ALLOW);
		}
	}
}

/* The argument checks and the class boundaries (tests/seccomp/run.sh does the same live). */
static void test_bpf_verdicts(void)
{
	const uint32_t ok = SECCOMP_RET_ALLOW, kill = SECCOMP_RET_KILL_PROCESS;
	struct seccomp_data d;

	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		enum sandbox_class cls = (enum sandbox_class)c;

		CHECK_EQ(verdict(cls, call(SYS_getpid, 0, 0, 0)), ok);
		CHECK_EQ(verdict(cls, call(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE)), ok);
		CHECK_EQ(verdict(cls, call(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC)), kill);
		CHECK_EQ(verdict(cls, call(SYS_mprotect, 0, 4096, PROT_EXEC)), kill);
		CHECK_EQ(verdict(cls, call(SYS_madvise, 0, 4096, MADV_DONTNEED)), ok);
		CHECK_EQ(verdict(cls, call(SYS_madvise, 0, 4096, MADV_FREE)), kill);
		CHECK_EQ(verdict(cls, call(SYS_socket, AF_INET, SOCK_STREAM, 0)), kill);
		CHECK_EQ(verdict(cls, call(SYS_open, 0, 0, 0)), kill);
		CHECK_EQ(verdict(cls, call(SYS_clone, 0, 0, 0)), kill);
		CHECK_EQ(verdict(cls, call(SYS_ioctl, 3, KVM_CREATE_VM, 0)), kill);
		/* the x32 ABI and other architectures never reach the lists:
		 * the bad-architecture action kills the process */
		CHECK_EQ(verdict(cls, call(SYS_getpid | 0x40000000, 0, 0, 0)), kill);
		d = call(SYS_getpid, 0, 0, 0);
		d.arch = AUDIT_ARCH_I386;
		CHECK_EQ(verdict(cls, d), kill);
	}
	/* KVM_RUN on vCPU threads only; the request is compared as 32 bits */
	CHECK_EQ(verdict(SANDBOX_VCPU, call(SYS_ioctl, 3, KVM_RUN, 0)), ok);
	CHECK_EQ(verdict(SANDBOX_VCPU, call(SYS_ioctl, 3, 0xffffffff00000000ull | KVM_RUN, 0)), ok);
	CHECK_EQ(verdict(SANDBOX_VMM, call(SYS_ioctl, 3, KVM_RUN, 0)), kill);
	CHECK_EQ(verdict(SANDBOX_API, call(SYS_ioctl, 3, KVM_IRQ_LINE, 0)), kill);
	CHECK_EQ(verdict(SANDBOX_VMM, call(SYS_ioctl, 3, KVM_IRQ_LINE, 0)), ok);
	/* open files: the VMM thread only (snapshots) */
	CHECK_EQ(verdict(SANDBOX_VMM, call(SYS_openat, 0, 0, 0)), ok);
	CHECK_EQ(verdict(SANDBOX_API, call(SYS_openat, 0, 0, 0)), kill);
	CHECK_EQ(verdict(SANDBOX_VCPU, call(SYS_openat, 0, 0, 0)), kill);
	/* sockets: AF_UNIX on the VMM thread (vsock), none elsewhere */
	CHECK_EQ(verdict(SANDBOX_VMM, call(SYS_socket, AF_UNIX, SOCK_STREAM, 0)), ok);
	CHECK_EQ(verdict(SANDBOX_API, call(SYS_socket, AF_UNIX, SOCK_STREAM, 0)), kill);
	CHECK_EQ(verdict(SANDBOX_API, call(SYS_accept4, 3, 0, 0)), ok);
	CHECK_EQ(verdict(SANDBOX_VCPU, call(SYS_accept4, 3, 0, 0)), kill);
}

/* The build's programs are what libseccomp gives for the lists now: the file
 * is not stale, and a second compile (another process) gives the same bytes. */
static void test_bpf_matches_fresh_compile(void)
{
	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		size_t n = 0, m = 0, m2 = 0;
		const struct sock_filter *p = sandbox_bpf_program((enum sandbox_class)c, &n);
		struct sock_filter *q = NULL, *q2 = NULL;

		CHECK_EQ(sandbox_bpf_compile((enum sandbox_class)c, &q, &m), 0);
		CHECK_EQ(sandbox_bpf_compile((enum sandbox_class)c, &q2, &m2), 0);
		CHECK_EQ(m, n);
		CHECK_EQ(m2, n);
		CHECK(p && q && q2 && m == n && m2 == n && !memcmp(p, q, n * sizeof(*p)) &&
		      !memcmp(q, q2, n * sizeof(*q)));
		free(q);
		free(q2);
	}
}

/* The generated source is byte-for-byte the same on every run. */
static void test_bpf_emit_deterministic(void)
{
	char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	FILE *fa = open_memstream(&a, &na), *fb = open_memstream(&b, &nb);

	CHECK(fa && fb);
	if (!fa || !fb)
		return;
	CHECK_EQ(sandbox_bpf_emit(fa), 0);
	CHECK_EQ(sandbox_bpf_emit(fb), 0);
	fclose(fa);
	fclose(fb);
	CHECK(na > 0 && na == nb && !memcmp(a, b, na));
	CHECK(a && strstr(a, "sandbox_bpf_program") && strstr(a, "vcpu_bpf["));
	free(a);
	free(b);
}

int main(void)
{
	RUN(test_bpf_programs_shape);
	RUN(test_bpf_kick_signal);
	RUN(test_bpf_every_rule_allowed);
	RUN(test_bpf_verdicts);
	RUN(test_bpf_matches_fresh_compile);
	RUN(test_bpf_emit_deterministic);
	return harness_summary("sandbox_bpf");
}
