/* SPDX-License-Identifier: MIT */
/* core/vm.c: the builder (explicit creation order), the run loop and teardown of a VM. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/acpi/acpi.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/mptable.h"
#include "arch/x86/regs.h"
#include "boot/cmdline.h"
#include "core/devices.h"
#include "dev/legacy.h"
#include "dev/serial.h"
#include "ember/guest_abi.h"
#include "kvm/coalesced.h"
#include "kvm/vcpu.h"
#include "mem/layout.h"
#include "sandbox/sandbox.h"
#include "snapshot/snapshot.h"

#define KVM_TSS_ADDR		0xfffbd000ull	/* 3 pages just below the BIOS area */
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ull

#define FAIL(...) do { snprintf(why, why_len, __VA_ARGS__); goto fail; } while (0)
/* Bad user input (files, sizes) is reported as -EINVAL, host trouble otherwise. */
#define INPUT_FAIL(...) do { err = -EINVAL; input_error = true; FAIL(__VA_ARGS__); } while (0)

/* Capabilities ember cannot run without, with what each is for. */
static const struct { int cap; const char *what; } required_caps[] = {
	{ KVM_CAP_IRQCHIP, "in-kernel PIC/IOAPIC/LAPIC" },
	{ KVM_CAP_USER_MEMORY, "user memory slots" },
	{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	{ KVM_CAP_EXT_CPUID, "CPUID configuration" },
	{ KVM_CAP_IMMEDIATE_EXIT, "vCPU kick" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd" },
	{ KVM_CAP_IRQFD, "irqfd" },
};

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int open_kvm(struct vm *vm, char *why, size_t why_len)
{
	int v;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int err = -errno;

		snprintf(why, why_len, "cannot open /dev/kvm: %s%s", strerror(errno),
			 errno == ENOENT ? " (KVM is not available on this host)" : "");
		return err;
	}
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(why, why_len, "KVM API version %d, ember needs %d", v, KVM_API_VERSION);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(why, why_len, "KVM lacks capability %d (%s)",
				 required_caps[i].cap, required_caps[i].what);
			return -ENOTSUP;
		}
	}
	vm->pvm_backend = file_exists("/sys/module/kvm_pvm");
	if (vm->pvm_backend)
		log_warn("this host's /dev/kvm is PVM, a software KVM backend: unmodified "
			 "guest code is emulated, slowly, and unmodified Linux kernels may "
			 "not boot (run them where VT-x/AMD-V is available, or in the lab)");
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(why, why_len, "bad KVM_GET_VCPU_MMAP_SIZE %d", vm->run_size);
		return -ENOTSUP;
	}
	return 0;
}

static int map_file(const char *path, const char *what, uint8_t **buf, size_t *len,
		    char *why, size_t why_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0) {
		snprintf(why, why_len, "cannot open %s '%s': %s", what, path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s '%s' is not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		snprintf(why, why_len, "%s '%s' is empty", what, path);
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(why, why_len, "cannot map %s '%s': %s", what, path, strerror(errno));
		return -errno;
	}
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

static int set_memory(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->mem.regions[i].gpa,
			.memory_size = vm->mem.regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.regions[i].hva,
			/* diff snapshots read KVM's dirty log (docs/snapshots.md) */
			.flags = vm->cfg->track_dirty_pages ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return -errno;
	}
	return 0;
}

struct cpuid_fetch {
	int kvm_fd;
	bool seccomp;		/* also run sandbox_prepare() */
	struct cpuid_table *table;
	int err;
};

static int load_supported_cpuid(int kvm_fd, struct cpuid_table *t)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} c;

	memset(&c, 0, sizeof(c));
	c.hdr.nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &c) < 0)
		return -errno;
	t->nent = c.hdr.nent;
	memcpy(t->e, c.e, c.hdr.nent * sizeof(c.e[0]));
	return 0;
}

/*
 * Features KVM emulates but leaves out of KVM_GET_SUPPORTED_CPUID because
 * userspace must opt in (Documentation/virt/kvm/api.rst): the TSC-deadline
 * LAPIC timer.  Without the bit, Linux calibrates the LAPIC timer against the
 * PIT instead (about 200 ms of a nested boot here) and may give up on it.
 */
static void add_emulated_cpuid(int kvm_fd, struct cpuid_table *t)
{
	struct kvm_cpuid_entry2 *leaf1 = cpuid_find(t, 1, 0);

	if (leaf1 && ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		leaf1->ecx |= 1u << 24;
}

/* The host CPUs this process may run on, read once per build. */
struct host_cpus {
	cpu_set_t set;
	unsigned int count;	/* 0: unknown */
};

static void host_cpus_read(struct host_cpus *h)
{
	h->count = sched_getaffinity(0, sizeof(h->set), &h->set) ? 0
		   : (unsigned int)CPU_COUNT(&h->set);
}

/*
 * KVM_GET_SUPPORTED_CPUID is the most expensive ioctl of start-up here
 * (~0.45 ms, more than VM + memory + irqchip together), and nothing needs its
 * result until the vCPUs are configured: fetch it on a second thread while
 * the main thread builds the VM.
 */
/*
 * Start a helper thread on another CPU than the caller's.  Left to the
 * scheduler, a new thread here usually preempted its creator on the same
 * CPU and ran its work first: pthread_create() "took" 0.48 ms (median of
 * 25; 0.02 ms minimum) while the CPUID thread did KVM_GET_SUPPORTED_CPUID,
 * so nothing overlapped.  With one usable CPU, it is a plain thread.
 */
static int start_helper(const struct host_cpus *h, pthread_t *t, void *(*fn)(void *),
			void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int cpu = sched_getcpu(), err;

	if (cpu < 0 || h->count < 2 || !CPU_ISSET(cpu, &h->set))
		return pthread_create(t, NULL, fn, arg);
	set = h->set;
	CPU_CLR(cpu, &set);
	if (pthread_attr_init(&attr))
		return pthread_create(t, NULL, fn, arg);
	err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!err)
		err = pthread_create(t, &attr, fn, arg);
	else
		err = pthread_create(t, NULL, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

static void *cpuid_fetch_thread(void *arg)
{
	struct cpuid_fetch *f = arg;

	if (f->table) {
		f->err = load_supported_cpuid(f->kvm_fd, f->table);
		if (!f->err)
			add_emulated_cpuid(f->kvm_fd, f->table);
	}
	/* The filters are compiled at build time; what is left before they
	 * go on (glibc reading the time zone and the overcommit setting,
	 * sandbox_prepare()) is not needed until the threads start either:
	 * do it here too.  A failure shows again, and fatally, when a thread
	 * applies its filter. */
	if (f->seccomp && sandbox_prepare())
		log_debug("seccomp: preparing the filters failed; threads will refuse to run");
	return NULL;
}

/*
 * vCPU creation and set-up, in parallel: KVM_CREATE_VCPU and the per-vCPU
 * CPUID/MSR/FPU/register ioctls are independent between vCPUs and cost
 * ~0.2 ms each here, so a 32-vCPU guest waited ~7 ms for them one after the
 * other.  vCPU 0 is created first (its fd answers KVM_GET_TSC_KHZ, which
 * every vCPU's CPUID needs); then the builder and up to one helper thread
 * per further host CPU it may run on take the remaining vCPUs from a shared
 * counter.  The helpers end before anything else runs, so the thread model
 * after vm_build() is unchanged.
 */
struct vcpu_setup {
	struct vm *vm;
	const struct cpuid_table *supported;	/* NULL: create only (snapshot restore) */
	uint32_t tsc_khz;
	atomic_uint next;
	atomic_int err;
	atomic_uint failed;
};

static void setup_vcpus_from_counter(struct vcpu_setup *s)
{
	for (;;) {
		unsigned int i = atomic_fetch_add(&s->next, 1);
		int err;

		if (i >= s->vm->nvcpus || atomic_load(&s->err))
			return;
		err = s->vm->vcpus[i].fd >= 0 ? 0 : vcpu_create(s->vm, i);
		if (!err && s->supported)
			err = vcpu_configure(&s->vm->vcpus[i], s->supported, s->tsc_khz, &s->vm->plan);
		if (err) {
			int none = 0;

			if (atomic_compare_exchange_strong(&s->err, &none, err))
				atomic_store(&s->failed, i);
			return;
		}
	}
}

static void *vcpu_setup_thread(void *arg)
{
	setup_vcpus_from_counter(arg);
	return NULL;
}

#define VCPU_SETUP_MAX_HELPERS 7

static int create_vcpus(struct vm *vm, const struct host_cpus *host,
			const struct cpuid_table *supported, int tsc_khz, unsigned int *failed)
{
	struct vcpu_setup s = { .vm = vm, .supported = supported };
	pthread_t helpers[VCPU_SETUP_MAX_HELPERS];
	unsigned int nhelpers = 0, want;
	int err;

	*failed = 0;
	err = vcpu_create(vm, 0);
	if (err)
		return err;
	if (tsc_khz == 0) {
		tsc_khz = ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
		if (tsc_khz < 0)
			tsc_khz = 0;
	}
	s.tsc_khz = tsc_khz > 0 ? (uint32_t)tsc_khz : 0;
	atomic_init(&s.next, 0);
	atomic_init(&s.err, 0);
	atomic_init(&s.failed, 0);
	want = vm->nvcpus > 1 && host->count > 1 ? host->count - 1 : 0;
	if (want > vm->nvcpus - 1)
		want = vm->nvcpus - 1;
	if (want > VCPU_SETUP_MAX_HELPERS)
		want = VCPU_SETUP_MAX_HELPERS;
	/* A helper that cannot start only costs parallelism. */
	while (nhelpers < want &&
	       start_helper(host, &helpers[nhelpers], vcpu_setup_thread, &s) == 0)
		nhelpers++;
	setup_vcpus_from_counter(&s);
	for (unsigned int i = 0; i < nhelpers; i++)
		pthread_join(helpers[i], NULL);
	*failed = atomic_load(&s.failed);
	return atomic_load(&s.err);
}

/* Copy the built command line into guest memory. Returns its length or -errno. */
static int write_cmdline(struct vm *vm, const struct cmdline *c, uint32_t max)
{
	if (c->overflow || c->len + 1 > max)
		return -E2BIG;
	if (gmem_write(&vm->mem, LAYOUT_CMDLINE, c->buf, c->len + 1))
		return -EFAULT;
	return (int)c->len;
}

/*
 * The MP table and MADT give the IOAPIC the APIC ID after the last CPU; make
 * its ID register say the same (KVM starts it at 0, CPU 0's ID).
 */
static int set_ioapic_id(struct vm *vm, unsigned int id)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return -errno;
	chip.chip.ioapic.id = (uint8_t)id;
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
		return -errno;
	return 0;
}

/*
 * ACPI tables at 0xE0000.  The virtio-mmio devices are read back from the
 * MMIO bus: every range in the virtio window is a slot, and slot i raises
 * layout_virtio_gsi(i) (docs/memory-map.md), so the tables cannot disagree with what
 * devices_attach registered.
 */
static int write_acpi(struct vm *vm)
{
	struct acpi_config *ac = calloc(1, sizeof(*ac));
	uint64_t win_end = LAYOUT_VIRTIO_MMIO_BASE +
			   LAYOUT_VIRTIO_MMIO_SLOTS * LAYOUT_VIRTIO_MMIO_SLOT;
	long n;

	if (!ac)
		return -ENOMEM;
	ac->ncpus = vm->cfg->vcpus;
	ac->ioapic_id = vm->cfg->vcpus;	/* as in the MP table */
	ac->sleep_port = LAYOUT_ACPI_SLEEP_PORT;
	for (unsigned int i = 0; i < vm->mmio.n && ac->n_virtio < ACPI_MAX_VIRTIO; i++) {
		const struct bus_range *r = &vm->mmio.ranges[i];
		uint64_t slot;

		if (r->base < LAYOUT_VIRTIO_MMIO_BASE || r->base >= win_end)
			continue;
		slot = (r->base - LAYOUT_VIRTIO_MMIO_BASE) / LAYOUT_VIRTIO_MMIO_SLOT;
		ac->virtio[ac->n_virtio].mmio_base = r->base;
		ac->virtio[ac->n_virtio].gsi = layout_virtio_gsi((unsigned int)slot);
		ac->n_virtio++;
	}
	n = acpi_build(gmem_ptr(&vm->mem, LAYOUT_ACPI_START, LAYOUT_ACPI_END - LAYOUT_ACPI_START),
		       LAYOUT_ACPI_END - LAYOUT_ACPI_START, LAYOUT_ACPI_START, ac);
	free(ac);
	return n < 0 ? (int)n : 0;
}

/* Serial output: stdout, or cfg->serial_out_path (PUT /serial) appended to. */
static int open_serial_out(struct vm *vm, int *fd)
{
	*fd = STDOUT_FILENO;
	if (!vm->cfg->serial_out_path)
		return 0;
	vm->serial_out_fd = open(vm->cfg->serial_out_path,
				 O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
	if (vm->serial_out_fd < 0)
		return -errno;
	*fd = vm->serial_out_fd;
	return 0;
}

/* The builder; `snap` != NULL restores a snapshot instead of booting a kernel. */
static int build(struct vm *vm, const struct vm_config *cfg, struct snap_restore *snap,
		 char *why, size_t why_len)
{
	int out_fd;
	struct cpuid_table *supported = NULL;
	struct cpuid_fetch fetch = { .err = -EINVAL };
	struct host_cpus host;
	pthread_t fetch_thread;
	bool fetching = false;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_len = 0, initrd_len = 0;
	uint64_t initrd_gpa = 0;
	struct cmdline cmdline;
	int tsc_khz, cmdline_len, err;
	unsigned int failed_vcpu = 0;
	bool input_error = false;
	long mp;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->loop.epfd = -1;
	vm->serial_out_fd = -1;
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	vm->pause_sync_ready = true;

	/* 1. Inputs first: bad files fail before any KVM work (a snapshot has
	 *    been read and checked by snap_restore_open already). */
	err = snap ? 0 : map_file(cfg->kernel_path, "kernel", &kernel, &kernel_len, why, why_len);
	if (err) {
		err = -EINVAL;
		input_error = true;
		goto fail;
	}
	if (!snap) {
		err = kernel_check(kernel, kernel_len, MiB(cfg->mem_mib));
		if (err == -ENOEXEC)
			INPUT_FAIL("kernel '%s' is not an x86-64 ELF vmlinux or a bzImage",
				   cfg->kernel_path);
		if (err == -E2BIG)
			INPUT_FAIL("kernel '%s' does not fit in %llu MiB of guest memory",
				   cfg->kernel_path, (unsigned long long)cfg->mem_mib);
		if (err)
			INPUT_FAIL("kernel '%s' is malformed or unsupported (truncated image, bad "
				   "headers, or boot protocol older than 2.12)", cfg->kernel_path);
	}
	if (cfg->initrd_path && !snap) {
		err = map_file(cfg->initrd_path, "initrd", &initrd, &initrd_len, why, why_len);
		if (err) {
			err = -EINVAL;
			input_error = true;
			goto fail;
		}
		if (initrd_len >= MiB(cfg->mem_mib))
			INPUT_FAIL("initrd '%s' (%zu bytes) does not fit in %llu MiB of guest memory",
				   cfg->initrd_path, initrd_len, (unsigned long long)cfg->mem_mib);
	}

	/* 2. KVM and the VM. */
	err = open_kvm(vm, why, why_len);
	if (err) {
		err = -ENODEV;
		goto fail;
	}
	/* A snapshot carries its vCPUs' CPUID: nothing to fetch then, but
	 * sandbox_prepare() still runs off the critical path. */
	if (!snap) {
		supported = malloc(sizeof(*supported));
		if (!supported) {
			err = -ENOMEM;
			FAIL("out of memory");
		}
	}
	host_cpus_read(&host);
	fetch.kvm_fd = vm->kvm_fd;
	fetch.table = supported;
	fetch.seccomp = !cfg->no_seccomp;
	if (fetch.table || fetch.seccomp) {
		fetching = start_helper(&host, &fetch_thread, cpuid_fetch_thread, &fetch) == 0;
		if (!fetching)
			cpuid_fetch_thread(&fetch);
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		err = -errno;
		FAIL("KVM_CREATE_VM failed: %s", strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
		err = -errno;
		FAIL("KVM_SET_TSS_ADDR failed: %s", strerror(errno));
	}
	{
		uint64_t ident = KVM_IDENTITY_MAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
			log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}

	/* 3. Guest memory, registered before the irqchip: much cheaper that way
	 *    (see docs/performance.md). */
	if (snap) {
		err = snap_restore_memory(snap, &vm->mem, why, why_len);
		if (err) {
			input_error = err == -EINVAL;
			goto fail;
		}
	} else {
		err = gmem_create_x86(&vm->mem, MiB(cfg->mem_mib));
		if (err)
			FAIL("cannot map %llu MiB of guest memory: %s",
			     (unsigned long long)cfg->mem_mib, strerror(-err));
	}
	err = set_memory(vm);
	if (err)
		FAIL("KVM_SET_USER_MEMORY_REGION failed: %s", strerror(-err));
	/* Diff snapshots also need the pages the VMM writes (virtio rings and
	 * buffers, balloon): KVM's dirty log has only the guest's. */
	if (cfg->track_dirty_pages && gmem_dirty_enable(&vm->mem)) {
		err = -ENOMEM;
		FAIL("out of memory for the dirty-page bitmap");
	}

	/* 4. Interrupt controllers and timer. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		err = -errno;
		FAIL("KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
	}
	if (cfg->pit) {
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
			err = -errno;
			FAIL("KVM_CREATE_PIT2 failed: %s", strerror(errno));
		}
	}
	/* A snapshot's irqchip state carries the IOAPIC ID already. */
	err = snap ? 0 : set_ioapic_id(vm, cfg->vcpus);
	if (err)
		FAIL("cannot set the IOAPIC ID: %s", strerror(-err));
	vm->times.vm_created = now_ns();

	/* 5. Kernel, initrd, command line and boot tables: a restored guest's
	 *    memory holds them already. */
	if (snap)
		goto devices;
	err = kernel_load(&vm->mem, kernel, kernel_len, &vm->plan);
	if (err == -ENOEXEC)
		INPUT_FAIL("kernel '%s' is not an x86-64 ELF vmlinux or a bzImage", cfg->kernel_path);
	if (err == -E2BIG)
		INPUT_FAIL("kernel '%s' does not fit in %llu MiB of guest memory", cfg->kernel_path,
		     (unsigned long long)cfg->mem_mib);
	if (err)
		INPUT_FAIL("kernel '%s' is malformed or unsupported (truncated image, bad headers, "
		     "or boot protocol older than 2.12)", cfg->kernel_path);
	log_info("boot: %s entry at 0x%llx via %s", cfg->kernel_path,
		 (unsigned long long)vm->plan.entry,
		 vm->plan.proto == BOOT_PVH ? "PVH (hvm_start_info)"
		 : vm->plan.is_bzimage ? "bzImage, Linux 64-bit boot protocol"
				       : "ELF vmlinux, Linux 64-bit boot protocol");
	if (initrd) {
		err = initrd_place(&vm->mem, &vm->plan, initrd_len, &initrd_gpa);
		if (err)
			INPUT_FAIL("initrd '%s' (%zu bytes) does not fit in guest memory below the "
			     "kernel's limit", cfg->initrd_path, initrd_len);
		gmem_populate(&vm->mem, initrd_gpa, initrd_len);
		if (gmem_write(&vm->mem, initrd_gpa, initrd, initrd_len)) {
			err = -EFAULT;
			FAIL("initrd placement failed");
		}
	}
devices:
	/* 6. Devices: legacy ones in port order, then virtio-mmio slots, which
	 *    announce themselves on the command line.  First the event loop:
	 *    devices register kicks, timers and backend fds on it; then the
	 *    coalesced-write state, in which the RTC takes its write-only
	 *    index port (docs/performance.md).  Without KVM support those
	 *    writes exit. */
	err = loop_init(&vm->loop);
	if (err)
		FAIL("epoll: %s", strerror(-err));
	err = coalesced_create(vm, &vm->coalesced);
	if (err)
		FAIL("coalesced I/O: %s", strerror(-err));
	err = i8042_create(vm, &vm->i8042);
	if (!err)
		err = rtc_create(vm, &vm->rtc);
	if (!err)
		err = open_serial_out(vm, &out_fd);
	if (!err)
		err = serial_create(vm, out_fd, &vm->serial);
	if (!err)
		err = ember_ports_create(vm, &vm->ports);
	if (err)
		FAIL("cannot create legacy devices: %s", strerror(-err));
	cmdline_init(&cmdline, cfg->cmdline ? cfg->cmdline : CONFIG_DEFAULT_CMDLINE);
	err = devices_attach(vm, &cmdline, why, why_len);
	if (err)
		goto fail;


	if (snap)
		goto vcpus;
	/* 7. Command line and boot tables. */
	cmdline_len = write_cmdline(vm, &cmdline, vm->plan.cmdline_max);
	if (cmdline_len < 0) {
		INPUT_FAIL("kernel command line is %zu bytes; this kernel accepts at most %u",
			   cmdline.len, vm->plan.cmdline_max - 1);
	}
	err = x86_write_boot_tables(&vm->mem, vm->plan.proto);
	if (!err) {
		if (vm->plan.proto == BOOT_PVH)
			err = pvh_write(&vm->mem, LAYOUT_CMDLINE, initrd_gpa, initrd_len,
					cfg->acpi ? LAYOUT_ACPI_START : 0);
		else
			err = bootparams_write(&vm->mem, &vm->plan, LAYOUT_CMDLINE,
					       (uint32_t)cmdline_len, initrd_gpa, initrd_len);
	}
	if (!err && cfg->acpi) {
		err = write_acpi(vm);
		if (!err && vm->plan.proto == BOOT_LINUX64)
			err = bootparams_set_rsdp(&vm->mem, LAYOUT_ACPI_START);
	}
	if (err)
		FAIL("cannot write boot structures: %s", strerror(-err));
	mp = mptable_build(gmem_ptr(&vm->mem, LAYOUT_EBDA_START,
				    LAYOUT_EBDA_END - LAYOUT_EBDA_START),
			   LAYOUT_EBDA_END - LAYOUT_EBDA_START, LAYOUT_EBDA_START, cfg->vcpus);
	if (mp < 0) {
		err = (int)mp;
		FAIL("cannot build the MP table: %s", strerror(-err));
	}
	vm->times.kernel_loaded = now_ns();

vcpus:
	/* 8. vCPUs. */
	vm->nvcpus = cfg->vcpus;
	vm->vcpus = calloc(vm->nvcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		err = -ENOMEM;
		FAIL("out of memory");
	}
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		vm->vcpus[i].fd = -1;
	if (fetching) {
		pthread_join(fetch_thread, NULL);
		fetching = false;
	}
	err = snap ? 0 : fetch.err;
	if (err)
		FAIL("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(-err));
	tsc_khz = snap ? -1 : ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0 ? 0 : -1;
	err = create_vcpus(vm, &host, snap ? NULL : supported, tsc_khz, &failed_vcpu);
	if (err == -ENOENT)
		FAIL("cannot configure vCPU %u: the CPU template changes a CPUID leaf or MSR that "
		     "KVM does not support (the log names it)", failed_vcpu);
	if (err)
		FAIL("cannot create or configure vCPU %u: %s", failed_vcpu, strerror(-err));
	free(supported);
	supported = NULL;
	coalesced_attach_ring(vm->coalesced, vm->vcpus[0].run);

	/* 9. The stop signal (the event loop exists since step 6). */
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		err = -errno;
		FAIL("eventfd: %s", strerror(errno));
	}
	/* 10. A snapshot's vCPU, interrupt controller and device state. */
	if (snap) {
		err = snap_restore_apply(snap, vm, why, why_len);
		if (err) {
			input_error = err == -EINVAL;
			goto fail;
		}
	}
	vm->times.vcpus_ready = now_ns();

	vm->inputs[0].p = kernel;
	vm->inputs[0].len = kernel_len;
	vm->inputs[1].p = initrd;
	vm->inputs[1].len = initrd_len;
	return 0;

fail:
	if (fetching)
		pthread_join(fetch_thread, NULL);
	/* Host-side failures must not read as bad input. */
	if (err == -EINVAL && !input_error)
		err = -EIO;
	free(supported);
	if (kernel)
		munmap(kernel, kernel_len);
	if (initrd)
		munmap(initrd, initrd_len);
	vm_destroy(vm);
	return err ? err : -EIO;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len)
{
	return build(vm, cfg, NULL, why, why_len);
}

int vm_create_restored(struct vm *vm, const struct vm_config *cfg, struct snap_restore *snap,
		       char *why, size_t why_len)
{
	return build(vm, cfg, snap, why, why_len);
}

static void release_inputs(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(vm->inputs); i++) {
		if (vm->inputs[i].p)
			munmap(vm->inputs[i].p, vm->inputs[i].len);
		vm->inputs[i].p = NULL;
	}
}

void vm_destroy(struct vm *vm)
{
	release_inputs(vm);
	if (vm->vcpus) {
		for (unsigned int i = 0; i < vm->nvcpus; i++)
			if (vm->vcpus[i].vm)
				vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	devices_destroy(vm);	/* before the loop and the VM fd go */
	coalesced_destroy(vm->coalesced);
	vm->coalesced = NULL;
	ember_ports_destroy(vm->ports);
	serial_destroy(vm->serial);
	rtc_destroy(vm->rtc);
	i8042_destroy(vm->i8042);
	vm->ports = NULL;
	vm->serial = NULL;
	vm->rtc = NULL;
	vm->i8042 = NULL;
	if (vm->loop.epfd >= 0)
		loop_destroy(&vm->loop);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->serial_out_fd >= 0)
		close(vm->serial_out_fd);
	vm->serial_out_fd = -1;
	if (vm->pause_sync_ready) {
		pthread_mutex_destroy(&vm->pause_lock);
		pthread_cond_destroy(&vm->pause_cond);
		vm->pause_sync_ready = false;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->stop_efd = vm->vm_fd = vm->kvm_fd = -1;
	gmem_destroy(&vm->mem);
}

void vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_debug("KVM_IRQ_LINE %u: %s", gsi, strerror(errno));
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->stop_reason, &expected, (int)reason))
		return;
	/* Parked vCPUs wake up and see the stop. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		log_debug("stop eventfd: %s", strerror(errno));
}

static unsigned int running_vcpus(const struct vm *vm)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		n += vm->vcpus[i].thread_started;
	return n;
}

int vm_pause(struct vm *vm)
{
	unsigned int want = running_vcpus(vm);

	/* pause_pending before the kick: a vCPU that clears immediate_exit after
	 * our kick then sees the flag at its pause point (both seq_cst). */
	atomic_store(&vm->pause_pending, true);
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->paused_vcpus < want && atomic_load(&vm->stop_reason) == VM_RUNNING)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
	if (atomic_load(&vm->stop_reason) != VM_RUNNING)
		return -ESHUTDOWN;
	/* Every vCPU is parked: the devices get all the guest wrote before
	 * anyone reads or saves their state. */
	coalesced_drain(vm->coalesced);
	return 0;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_pending, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_is_paused(const struct vm *vm)
{
	return atomic_load(&vm->pause_pending);
}

void vm_vcpu_pause_point(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!atomic_load(&vm->pause_pending))
		return;
	pthread_mutex_lock(&vm->pause_lock);
	vm->paused_vcpus++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_pending) && atomic_load(&vm->stop_reason) == VM_RUNNING)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->paused_vcpus--;
	pthread_mutex_unlock(&vm->pause_lock);
}

static void on_stop(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t v;

	(void)events;
	if (read(vm->stop_efd, &v, sizeof(v)) < 0)
		return;
	loop_stop(&vm->loop);
}

static void kick_handler(int sig)
{
	(void)sig;	/* only interrupts KVM_RUN */
}

enum vm_stop_reason vm_run(struct vm *vm)
{
	struct sigaction sa;
	sigset_t set, old;
	unsigned int started = 0;
	int err;

	if (vm->cfg->no_seccomp)
		sandbox_disable();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	/* The kick signal is delivered only to vCPU threads: they unblock it. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	err = loop_add_fd(&vm->loop, vm->stop_efd, EPOLLIN, on_stop, vm);
	if (err) {
		log_error("event loop: %s", strerror(-err));
		return VM_STOP_ERROR;
	}
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (err) {
			log_error("cannot start vCPU thread %u: %s", i, strerror(err));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
		vm->vcpus[i].thread_started = true;
		started++;
	}
	release_inputs(vm);	/* while the guest starts */
	/* Every thread exists and every fd is open: the VMM allow-list goes on
	 * before the loop handles anything the guest drives (docs/seccomp.md). */
	if (sandbox_apply(SANDBOX_VMM)) {
		log_error("cannot install the VMM seccomp filter; stopping");
		vm_request_stop(vm, VM_STOP_ERROR);
	}
	err = loop_run(&vm->loop);
	if (err) {
		log_error("event loop failed: %s", strerror(-err));
		vm_request_stop(vm, VM_STOP_ERROR);
	}
	for (unsigned int i = 0; i < started; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = false;
	}
	vm->times.stopped = now_ns();
	coalesced_drain(vm->coalesced);
	serial_flush(vm->serial);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (enum vm_stop_reason)atomic_load(&vm->stop_reason);
}

int vm_exit_status(const struct vm *vm, enum vm_stop_reason r)
{
	switch (r) {
	case VM_STOP_RESET:
	case VM_STOP_POWEROFF:
		return atomic_load(&vm->guest_panicked) ? EMBER_EXIT_GUEST_PANIC : EMBER_EXIT_OK;
	case VM_STOP_PANIC:
		return EMBER_EXIT_GUEST_PANIC;
	case VM_STOP_TEST_DONE:
	case VM_STOP_USER:
	case VM_STOP_SNAPSHOT:
		return EMBER_EXIT_OK;
	case VM_STOP_TEST_FAILED:
		return EMBER_EXIT_TEST_FAILED;
	default:
		return EMBER_EXIT_VMM_ERROR;
	}
}
