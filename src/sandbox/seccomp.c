/* SPDX-License-Identifier: MIT */
/* sandbox/seccomp.c: loads each thread class's filter, compiled to BPF at build time, with one seccomp(2) call. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sys/socket.h>

#include "kvm/vcpu.h"
#include "sandbox/bpf.h"
#include "sandbox/sandbox.h"
#include "util/log.h"

static atomic_bool disabled;

static const char *const class_names[SANDBOX_NR_CLASSES] = {
	[SANDBOX_VMM] = "vmm", [SANDBOX_API] = "api", [SANDBOX_VCPU] = "vcpu",
};

const char *sandbox_class_name(enum sandbox_class cls)
{
	return (unsigned int)cls < SANDBOX_NR_CLASSES ? class_names[cls] : "?";
}

void sandbox_disable(void)
{
	if (atomic_exchange(&disabled, true))
		return;
	fprintf(stderr,
		"ember: WARNING: seccomp filters are DISABLED (--no-seccomp): a compromised "
		"vCPU, VMM or API thread can make any system call. Do not use this in "
		"production.\n");
}

bool sandbox_enabled(void)
{
	return !atomic_load(&disabled);
}

#ifdef EMBER_SECCOMP_SELFTEST
/*
 * Test builds only (build/tests/seccomp/ember-selftest, never `ember`): once
 * the filter is on, make a call the class must not make, chosen by
 * EMBER_SECCOMP_SELFTEST=<class>[-ioctl].  tests/seccomp/run.sh expects the
 * process to die by SIGSYS.
 */
static void selftest_trigger(enum sandbox_class cls)
{
	const char *want = getenv("EMBER_SECCOMP_SELFTEST");
	size_t n = strlen(class_names[cls]);

	if (!want || strncmp(want, class_names[cls], n))
		return;
	if (!strcmp(want + n, "-ioctl")) {
		/* A KVM request outside every list: the request filter must fire. */
		fprintf(stderr, "ember-selftest: %s thread: ioctl(KVM_CREATE_VM)\n", want);
		if (ioctl(-1, KVM_CREATE_VM, 0) < 0)
			fprintf(stderr, "ember-selftest: still alive: %s\n", strerror(errno));
	} else if (want[n] == '\0') {
		/* No thread class may create sockets once its filter is on. */
		fprintf(stderr, "ember-selftest: %s thread: socket(AF_INET)\n", want);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		fprintf(stderr, "ember-selftest: still alive: socket returned %d\n", fd);
		if (fd >= 0)
			close(fd);
	}
}
#endif

/*
 * glibc reads /proc/sys/vm/overcommit_memory the first time it gives memory
 * at the top of a thread arena back to the kernel (shrink_heap()), and
 * caches the answer.  Make that happen now, while open() is allowed: fill
 * this thread's arena past the trim threshold (128 KiB) with blocks below
 * the mmap threshold, then free them.
 */
static void warm_up_malloc(void)
{
	void *p[6];

	for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = malloc(96 * 1024);
		if (p[i])
			memset(p[i], 0, 64);
	}
	for (size_t i = ARRAY_SIZE(p); i-- > 0;)
		free(p[i]);
}

/*
 * The filters are compiled to BPF when ember is built (bpf_gen.c writes
 * $(BUILD)/gen/sandbox_bpf.c, as Firecracker's seccompiler does): no
 * compiler runs at start-up, and each thread only loads its class's program
 * with one seccomp(2) call.  What is left to prepare is glibc's.
 */
static struct {
	pthread_mutex_t lock;
	bool prepared;
	int err;
} prep = { .lock = PTHREAD_MUTEX_INITIALIZER };

int sandbox_prepare(void)
{
	int err = 0;

	if (!sandbox_enabled())
		return 0;
	pthread_mutex_lock(&prep.lock);
	if (!prep.prepared) {
		/* glibc's gmtime_r() (dev/rtc.c) reads /etc/localtime on its first
		 * call and malloc trimming reads overcommit_memory once: make both
		 * happen now, while open() is still allowed everywhere. */
		tzset();
		warm_up_malloc();
		/* The vCPU filter's tgkill rule carries the kick signal's number
		 * as the generator's libc saw it; a different one here would kill
		 * the process on the first vcpu_kick(). */
		if (sandbox_bpf_kick_signal != VCPU_KICK_SIGNAL) {
			log_error("seccomp: filters built for kick signal %d, ember uses %d",
				  sandbox_bpf_kick_signal, (int)VCPU_KICK_SIGNAL);
			err = -EINVAL;
		}
		prep.err = err;
		prep.prepared = true;
	}
	err = prep.err;
	pthread_mutex_unlock(&prep.lock);
	return err;
}

int sandbox_apply(enum sandbox_class cls)
{
	const struct sock_filter *insns;
	struct sock_fprog prog;
	size_t len = 0;
	int err;

	if ((unsigned int)cls >= SANDBOX_NR_CLASSES)
		return -EINVAL;
	if (!sandbox_enabled())
		return 0;
	err = sandbox_prepare();
	if (err) {
		log_error("seccomp: preparing the filters: %s", strerror(-err));
		return err;
	}
	insns = sandbox_bpf_program(cls, &len);
	if (!insns || !len || len > BPF_MAXINSNS) {
		log_error("seccomp: no %s filter in this build", class_names[cls]);
		return -EINVAL;
	}
	/* The kernel copies the program and never writes through the pointer. */
	prog.len = (unsigned short)len;
	prog.filter = (struct sock_filter *)(uintptr_t)insns;
	/* What libseccomp's seccomp_load() does, with the program built in advance. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		err = -errno;
		log_error("seccomp: loading the %s filter: %s", class_names[cls], strerror(-err));
		return err;
	}
	log_debug("seccomp: %s filter on (%zu instructions)", class_names[cls], len);
#ifdef EMBER_SECCOMP_SELFTEST
	selftest_trigger(cls);
#endif
	return 0;
}
