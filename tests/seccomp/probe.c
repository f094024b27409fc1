/* SPDX-License-Identifier: MIT */
/* tests/seccomp/probe.c: installs one thread class's filter, then makes one chosen call (allowed or not). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm/vcpu.h"
#include "sandbox/sandbox.h"

/*
 * usage: seccomp-probe list
 *        seccomp-probe CLASS CASE
 * CLASS is vmm, api or vcpu.  The filter goes on the calling thread, then
 * CASE runs; allowed cases print "alive" and exit 0, forbidden ones must
 * end the process by SIGSYS (tests/seccomp/run.sh checks the status).
 */

static void *thread_fn(void *arg)
{
	return arg;
}

static void list(void)
{
	for (int c = 0; c < SANDBOX_NR_CLASSES; c++) {
		const struct sandbox_rule *r;
		const char *seen[128];
		size_t n, distinct = 0, argf = 0;
		char args[1024] = "";

		r = sandbox_rules((enum sandbox_class)c, &n);
		for (size_t i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < distinct; j++)
				if (!strcmp(seen[j], r[i].name))
					break;
			if (j == distinct && distinct < 128)
				seen[distinct++] = r[i].name;
		}
		for (size_t j = 0; j < distinct; j++) {
			for (size_t i = 0; i < n; i++) {
				if (r[i].nargs && !strcmp(seen[j], r[i].name)) {
					argf++;
					strncat(args, " ", sizeof(args) - strlen(args) - 1);
					strncat(args, seen[j], sizeof(args) - strlen(args) - 1);
					break;
				}
			}
		}
		printf("%s: %zu rules, %zu distinct syscalls, %zu with argument checks:%s\n",
		       sandbox_class_name((enum sandbox_class)c), n, distinct, argf, args);
		printf("  syscalls:");
		for (size_t j = 0; j < distinct; j++)
			printf(" %s", seen[j]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	enum sandbox_class cls;
	const char *what;
	long r = 0;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		list();
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s list | CLASS CASE\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "vmm"))
		cls = SANDBOX_VMM;
	else if (!strcmp(argv[1], "api"))
		cls = SANDBOX_API;
	else if (!strcmp(argv[1], "vcpu"))
		cls = SANDBOX_VCPU;
	else
		return 2;
	what = argv[2];
	/* An unbuffered stdout: a buffered one would fstat() on first use. */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (sandbox_apply(cls)) {
		fprintf(stderr, "probe: sandbox_apply failed\n");
		return 3;
	}
	/* Allowed in every class. */
	if (!strcmp(what, "getpid"))
		r = getpid();
	else if (!strcmp(what, "mmap-rw")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		r = p == MAP_FAILED ? -1 : munmap(p, 4096);
	} else if (!strcmp(what, "kick-self")) {
		/* vcpu_kick()'s pthread_kill(), with the signal blocked here. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, VCPU_KICK_SIGNAL);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		r = pthread_kill(pthread_self(), VCPU_KICK_SIGNAL);
	} else if (!strcmp(what, "ioctl-kvm-run"))		/* vcpu only */
		r = ioctl(-1, KVM_RUN, 0);
	else if (!strcmp(what, "ioctl-irq-line"))		/* vmm and vcpu */
		r = ioctl(-1, KVM_IRQ_LINE, NULL);
	else if (!strcmp(what, "accept4"))			/* api only */
		r = accept4(-1, NULL, NULL, SOCK_CLOEXEC);
	/* Forbidden everywhere. */
	else if (!strcmp(what, "open"))
		r = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	else if (!strcmp(what, "ioctl-create-vm"))
		r = ioctl(-1, KVM_CREATE_VM, 0);
	else if (!strcmp(what, "mmap-exec"))
		r = (long)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (!strcmp(what, "mprotect-exec"))
		r = mprotect(&r, 1, PROT_READ | PROT_WRITE | PROT_EXEC);
	else if (!strcmp(what, "socket"))
		r = socket(AF_INET, SOCK_STREAM, 0);
	else if (!strcmp(what, "execve")) {
		char *const av[] = { "true", NULL };

		r = execve("/bin/true", av, NULL);
	} else if (!strcmp(what, "tgkill-sigusr1"))
		r = syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	else if (!strcmp(what, "thread")) {
		pthread_t t;

		r = pthread_create(&t, NULL, thread_fn, NULL);
	} else if (!strcmp(what, "madvise-free"))
		r = madvise(&r, 1, MADV_FREE);
	else {
		fprintf(stderr, "probe: unknown case '%s'\n", what);
		return 2;
	}
	printf("alive: %s %s returned %ld\n", argv[1], what, r);
	return 0;
}
