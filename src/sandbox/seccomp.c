/* SPDX-License-Identifier: MIT */
/* sandbox/seccomp.c: builds a thread class's allow-list with libseccomp and loads it on the calling thread. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <sys/socket.h>

#include "kvm/vcpu.h"
#include "sandbox/rules.h"
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

static int add_rule(scmp_filter_ctx ctx, const struct sandbox_rule *r)
{
	struct scmp_arg_cmp cmp[2];
	int nr = seccomp_syscall_resolve_name(r->name);

	if (nr == __NR_SCMP_ERROR) {
		log_error("seccomp: unknown syscall '%s' in the allow-list", r->name);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < r->nargs && i < 2; i++) {
		cmp[i].arg = r->cmp[i].arg;
		cmp[i].op = (enum scmp_compare)r->cmp[i].op;
		cmp[i].datum_a = r->cmp[i].a;
		cmp[i].datum_b = r->cmp[i].b;
		if (cmp[i].datum_a == SANDBOX_KICK_SIGNAL)
			cmp[i].datum_a = (scmp_datum_t)VCPU_KICK_SIGNAL;
	}
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, r->nargs, cmp);
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

int sandbox_apply(enum sandbox_class cls)
{
	const struct sandbox_rule *rules;
	scmp_filter_ctx ctx;
	size_t n;
	int err;

	if ((unsigned int)cls >= SANDBOX_NR_CLASSES)
		return -EINVAL;
	if (!sandbox_enabled())
		return 0;
	/* glibc's gmtime_r() (dev/rtc.c) reads /etc/localtime on its first call;
	 * do that now, while open() is still allowed. */
	tzset();
	warm_up_malloc();
	rules = sandbox_rules(cls, &n);
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = add_rule(ctx, &rules[i]);
		if (err) {
			log_error("seccomp: %s rule %zu (%s): %s", class_names[cls], i,
				  rules[i].name, strerror(-err));
			goto out;
		}
	}
	err = seccomp_load(ctx);
	if (err)
		log_error("seccomp: loading the %s filter: %s", class_names[cls], strerror(-err));
	else
		log_debug("seccomp: %s filter on (%zu rules)", class_names[cls], n);
out:
	seccomp_release(ctx);
#ifdef EMBER_SECCOMP_SELFTEST
	if (!err)
		selftest_trigger(cls);
#endif
	return err;
}
