/* SPDX-License-Identifier: MIT */
/* sandbox/seccomp.c: compiles each thread class's allow-list once with libseccomp; loads it per thread. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
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

/*
 * Filters are compiled once per process to BPF (libseccomp's compiler is the
 * costly part: allocation, rule sorting, code generation) and each thread
 * then only loads its class's program with one seccomp(2) call.  The
 * programs are process-wide by nature, like the filters themselves; they
 * are written before any thread that applies them exists, or under `lock`.
 */
static struct {
	pthread_mutex_t lock;
	bool prepared;
	int err;
	struct sock_fprog prog[SANDBOX_NR_CLASSES];
} compiled = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int compile_class(enum sandbox_class cls, struct sock_fprog *out)
{
	const struct sandbox_rule *rules;
	size_t n = 0;
	scmp_filter_ctx ctx;
	struct stat st;
	void *buf = NULL;
	int fd = -1, err;

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
	/* libseccomp 2.5 exports BPF only to a file descriptor. */
	fd = memfd_create("ember-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = seccomp_export_bpf(ctx, fd);
	if (err)
		goto out;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		err = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		err = buf ? -EIO : -ENOMEM;
		free(buf);
		goto out;
	}
	out->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	out->filter = buf;
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return err;
}

int sandbox_prepare(void)
{
	int err = 0;

	if (!sandbox_enabled())
		return 0;
	pthread_mutex_lock(&compiled.lock);
	if (!compiled.prepared) {
		/* glibc's gmtime_r() (dev/rtc.c) reads /etc/localtime on its first
		 * call and malloc trimming reads overcommit_memory once: make both
		 * happen now, while open() is still allowed everywhere. */
		tzset();
		warm_up_malloc();
		for (int c = 0; c < SANDBOX_NR_CLASSES && !err; c++)
			err = compile_class((enum sandbox_class)c, &compiled.prog[c]);
		compiled.err = err;
		compiled.prepared = true;
	}
	err = compiled.err;
	pthread_mutex_unlock(&compiled.lock);
	return err;
}

int sandbox_apply(enum sandbox_class cls)
{
	int err;

	if ((unsigned int)cls >= SANDBOX_NR_CLASSES)
		return -EINVAL;
	if (!sandbox_enabled())
		return 0;
	err = sandbox_prepare();
	if (err) {
		log_error("seccomp: compiling the filters: %s", strerror(-err));
		return err;
	}
	/* What seccomp_load() does, with the program compiled in advance. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &compiled.prog[cls]) < 0) {
		err = -errno;
		log_error("seccomp: loading the %s filter: %s", class_names[cls], strerror(-err));
		return err;
	}
	log_debug("seccomp: %s filter on (%u instructions)", class_names[cls],
		  compiled.prog[cls].len);
#ifdef EMBER_SECCOMP_SELFTEST
	selftest_trigger(cls);
#endif
	return 0;
}
