/* SPDX-License-Identifier: MIT */
/* snapshot/vm_snap.c: reads a paused VM's KVM and device state into a snapshot, and loads one into a new VM. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/devices.h"
#include "core/vm.h"
#include "dev/legacy.h"
#include "dev/serial.h"
#include "snapshot/snapshot.h"

#define MSR_IA32_TSC	0x10

/* ------------------------------------------------------------ helpers */

static int ioctl_err(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/* KVM's XSAVE area size: KVM_CAP_XSAVE2 when it reports one, else struct kvm_xsave. */
static size_t xsave_size(const struct vm *vm)
{
	int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	return n > (int)sizeof(struct kvm_xsave) ? (size_t)n : sizeof(struct kvm_xsave);
}

/*
 * The MSRs to save: KVM_GET_MSR_INDEX_LIST, filtered to those KVM_GET_MSRS
 * accepts on this vCPU (it stops at the first it refuses), TSC first so that
 * restore sets it before the TSC deadline.
 */
static int msr_list(struct vm *vm, struct vcpu *v, uint32_t *idx, uint32_t *n)
{
	struct {
		struct kvm_msr_list l;
		uint32_t i[SNAP_MAX_MSRS];
	} ml;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[SNAP_MAX_MSRS];
	} m;
	uint32_t cnt = 0;

	ml.l.nmsrs = SNAP_MAX_MSRS;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &ml) < 0)
		return -errno;
	idx[cnt++] = MSR_IA32_TSC;
	for (uint32_t i = 0; i < ml.l.nmsrs && cnt < SNAP_MAX_MSRS; i++)
		if (ml.i[i] != MSR_IA32_TSC)
			idx[cnt++] = ml.i[i];
	for (;;) {
		int r;

		memset(&m, 0, sizeof(m));
		m.h.nmsrs = cnt;
		for (uint32_t i = 0; i < cnt; i++)
			m.e[i].index = idx[i];
		r = ioctl(v->fd, KVM_GET_MSRS, &m);
		if (r < 0)
			return -errno;
		if ((uint32_t)r >= cnt)
			break;
		log_debug("snapshot: MSR 0x%x is listed but not readable; skipped", idx[r]);
		memmove(&idx[r], &idx[r + 1], (cnt - (uint32_t)r - 1) * sizeof(idx[0]));
		cnt--;
	}
	*n = cnt;
	return 0;
}

/* ------------------------------------------------------------ capture */

static int capture_vcpu(struct vm *vm, struct vcpu *v, const uint32_t *msrs, uint32_t nmsrs,
			struct snap_vcpu *s, char *why, size_t why_len)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[SNAP_MAX_MSRS];
	} m;
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} c;
	size_t xs = xsave_size(vm);
	struct kvm_xsave *xsave;
	const char *what;
	int err, r;

	if (xs > SNAP_MAX_XSAVE) {
		snprintf(why, why_len, "KVM's XSAVE area is %zu bytes; snapshots hold at most %u",
			 xs, SNAP_MAX_XSAVE);
		return -ENOTSUP;
	}
	xsave = calloc(1, xs);
	if (!xsave)
		return -ENOMEM;
#define GET(req, arg) do { what = #req; err = ioctl_err(v->fd, req, arg); if (err) goto fail; } while (0)
	GET(KVM_GET_MP_STATE, &s->mp_state);
	GET(KVM_GET_REGS, &s->regs);
	GET(KVM_GET_SREGS, &s->sregs);
	GET(xs > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, xsave);
	GET(KVM_GET_XCRS, &s->xcrs);
	GET(KVM_GET_DEBUGREGS, &s->debugregs);
	GET(KVM_GET_LAPIC, &s->lapic);
	GET(KVM_GET_VCPU_EVENTS, &s->events);
	memset(&c, 0, sizeof(c));
	c.h.nent = CPUID_MAX_ENTRIES;
	GET(KVM_GET_CPUID2, &c);
#undef GET
	memcpy(s->xsave, xsave, xs);
	s->xsave_len = (uint32_t)xs;
	s->ncpuid = c.h.nent;
	memcpy(s->cpuid, c.e, c.h.nent * sizeof(c.e[0]));
	if (s->xcrs.nr_xcrs > SNAP_MAX_XCRS)
		s->xcrs.nr_xcrs = SNAP_MAX_XCRS;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = nmsrs;
	for (uint32_t i = 0; i < nmsrs; i++)
		m.e[i].index = msrs[i];
	what = "KVM_GET_MSRS";
	r = ioctl(v->fd, KVM_GET_MSRS, &m);
	if (r < 0 || (uint32_t)r != nmsrs) {
		err = r < 0 ? -errno : -EIO;
		goto fail;
	}
	s->nmsrs = nmsrs;
	memcpy(s->msrs, m.e, nmsrs * sizeof(m.e[0]));
	r = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	s->tsc_khz = r > 0 ? (uint32_t)r : 0;
	free(xsave);
	return 0;
fail:
	snprintf(why, why_len, "vCPU %u: %s failed: %s", v->index, what, strerror(-err));
	free(xsave);
	return err;
}

static int capture_vm(struct vm *vm, struct snap_vmstate *s, char *why, size_t why_len)
{
	struct kvm_irqchip chip;
	struct kvm_clock_data clk;
	int err;

	for (uint32_t i = 0; i < 3; i++) {
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = i;	/* KVM_IRQCHIP_PIC_MASTER, _SLAVE, _IOAPIC */
		err = ioctl_err(vm->vm_fd, KVM_GET_IRQCHIP, &chip);
		if (err) {
			snprintf(why, why_len, "KVM_GET_IRQCHIP %u failed: %s", i, strerror(-err));
			return err;
		}
		if (i < 2)
			s->pic[i] = chip.chip.pic;
		else
			s->ioapic = chip.chip.ioapic;
	}
	s->has_pit = vm->cfg->pit;
	if (s->has_pit) {
		err = ioctl_err(vm->vm_fd, KVM_GET_PIT2, &s->pit);
		if (err) {
			snprintf(why, why_len, "KVM_GET_PIT2 failed: %s", strerror(-err));
			return err;
		}
	}
	memset(&clk, 0, sizeof(clk));
	err = ioctl_err(vm->vm_fd, KVM_GET_CLOCK, &clk);
	if (err) {
		snprintf(why, why_len, "KVM_GET_CLOCK failed: %s", strerror(-err));
		return err;
	}
	s->clock = clk.clock;
	return 0;
}

/* ------------------------------------------------------------ memory file */

#define PAGE		SNAP_PAGE_SIZE
#define PM_PRESENT	(1ull << 63)
#define PM_SWAPPED	(1ull << 62)
#define SCAN_PAGES	512u	/* pagemap entries read at once (2 MiB of guest RAM) */

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < PAGE / 8; i += 4)
		if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
			return false;
	return true;
}

static int pwrite_all(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, p, len, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		off += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Copy [off, off+len) from src to dst at the same offset, skipping holes. */
static int copy_range(int src, int dst, off_t off, size_t len, uint64_t *written)
{
	off_t end = off + (off_t)len;

	while (off < end) {
		off_t data = lseek(src, off, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;	/* only holes left */
		if (data >= end)
			return 0;
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		for (off_t o = data; o < hole;) {
			loff_t in = o, out = o;
			ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(hole - o), 0);

			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			o += n;
			*written += (uint64_t)n;
		}
		off = hole;
	}
	return 0;
}

/*
 * Full: every page that may hold data.  Anonymous RAM a guest never touched
 * is absent from /proc/self/pagemap and is zero: skipped (the file stays
 * sparse).  For RAM mapped from a restored memory file, absent pages hold
 * the source file's bytes: copied file to file.  Without pagemap every page
 * is read and only non-zero ones written.
 */
static int write_full(struct vm *vm, int fd, uint64_t *written, char *why, size_t why_len)
{
	const struct gmem *m = &vm->mem;
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t ent[SCAN_PAGES], foff = 0;
	int err = 0;

	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)m->total) < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot size the memory file: %s", strerror(errno));
		goto out;
	}
	for (unsigned int r = 0; r < m->nr_regions && !err; r++) {
		const struct gmem_region *reg = &m->regions[r];
		uint64_t pages = reg->size / PAGE;

		for (uint64_t p0 = 0; p0 < pages && !err; p0 += SCAN_PAGES) {
			uint32_t n = (uint32_t)MIN((uint64_t)SCAN_PAGES, pages - p0);
			uint64_t run_start = 0;
			int run_kind = 0;	/* 0 none, 1 memory, 2 file */

			if (pm >= 0) {
				off_t at = (off_t)(((uintptr_t)reg->hva / PAGE + p0) * 8);

				if (pread(pm, ent, n * 8, at) != (ssize_t)(n * 8)) {
					close(pm);
					pm = -1;
				}
			}
			for (uint32_t i = 0; i <= n && !err; i++) {
				int kind = 0;

				if (i < n) {
					const uint8_t *pg = reg->hva + (p0 + i) * PAGE;
					bool mapped = pm < 0 || (ent[i] & (PM_PRESENT | PM_SWAPPED));

					if (mapped)
						kind = page_is_zero(pg) ? 0 : 1;
					else
						kind = m->file_backed ? 2 : 0;
				}
				if (kind == run_kind)
					continue;
				if (run_kind == 1) {
					uint64_t len = (p0 + i - run_start) * PAGE;

					err = pwrite_all(fd, reg->hva + run_start * PAGE, len,
							 (off_t)(foff + run_start * PAGE));
					*written += len;
				} else if (run_kind == 2) {
					err = copy_range(m->fd, fd, (off_t)(foff + run_start * PAGE),
							 (p0 + i - run_start) * PAGE, written);
				}
				run_kind = kind;
				run_start = p0 + i;
			}
		}
		foff += reg->size;
	}
	if (err)
		snprintf(why, why_len, "cannot write the memory file: %s", strerror(-err));
out:
	if (pm >= 0)
		close(pm);
	return err;
}

/* Diff: pages KVM logged as dirty since the last snapshot or restore. */
static int write_diff(struct vm *vm, int fd, uint64_t *written, char *why, size_t why_len)
{
	const struct gmem *m = &vm->mem;
	struct stat st;
	uint64_t foff = 0;
	int err = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < m->total && ftruncate(fd, (off_t)m->total) < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot size the memory file: %s", strerror(errno));
		return err;
	}
	for (unsigned int r = 0; r < m->nr_regions && !err; r++) {
		const struct gmem_region *reg = &m->regions[r];
		uint64_t pages = reg->size / PAGE, words = (pages + 63) / 64;
		uint64_t *bm = calloc(words, 8);
		struct kvm_dirty_log log = { .slot = r };

		if (!bm)
			return -ENOMEM;
		log.dirty_bitmap = bm;
		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
			err = -errno;
			snprintf(why, why_len, "KVM_GET_DIRTY_LOG (slot %u) failed: %s", r,
				 strerror(errno));
			free(bm);
			break;
		}
		gmem_dirty_take(m, r, bm);	/* what the VMM wrote itself */
		for (uint64_t p = 0; p < pages && !err;) {
			uint64_t q;

			if (!(bm[p / 64] >> (p % 64) & 1)) {
				p++;
				continue;
			}
			for (q = p; q < pages && (bm[q / 64] >> (q % 64) & 1); q++)
				;
			err = pwrite_all(fd, reg->hva + p * PAGE, (q - p) * PAGE,
					 (off_t)(foff + p * PAGE));
			*written += (q - p) * PAGE;
			p = q;
		}
		free(bm);
		foff += reg->size;
	}
	if (err && !why[0])
		snprintf(why, why_len, "cannot write the memory file: %s", strerror(-err));
	return err;
}

/* Throw away KVM's dirty log: the next diff starts from now. */
static void reset_dirty_log(struct vm *vm)
{
	for (unsigned int r = 0; r < vm->mem.nr_regions; r++) {
		uint64_t words = (vm->mem.regions[r].size / PAGE + 63) / 64;
		uint64_t *bm = calloc(words, 8);
		struct kvm_dirty_log log = { .slot = r, .dirty_bitmap = bm };

		if (bm && ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
			log_warn("KVM_GET_DIRTY_LOG (slot %u): %s", r, strerror(errno));
		if (bm)
			gmem_dirty_take(&vm->mem, r, bm);
		free(bm);
	}
}

/* ------------------------------------------------------------ create */

static int write_file(const char *path, const uint8_t *buf, size_t len, char *why,
		      size_t why_len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err;

	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot create '%s': %s", path, strerror(errno));
		return err;
	}
	err = pwrite_all(fd, buf, len, 0);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		snprintf(why, why_len, "cannot write '%s': %s", path, strerror(-err));
	return err;
}

int snap_create(struct vm *vm, const struct snap_create_args *a, struct snap_create_stats *st,
		char *why, size_t why_len)
{
	uint64_t t0 = now_ns(), t1;
	struct snap_writer w;
	struct snap_vcpu *sv = NULL;
	struct snap_vmstate vs;
	struct snap_machine mach = {
		.vcpus = vm->nvcpus, .mem_mib = vm->cfg->mem_mib, .pit = vm->cfg->pit,
		.acpi = vm->cfg->acpi, .ucall = vm->cfg->ucall,
	};
	struct snap_memory mem;
	uint32_t msrs[SNAP_MAX_MSRS], nmsrs = 0;
	const uint8_t *out;
	size_t out_len;
	struct stat ms;
	int mfd = -1, err;

	memset(st, 0, sizeof(*st));
	why[0] = 0;
	if (!vm_is_paused(vm)) {
		snprintf(why, why_len, "the VM must be paused to take a snapshot");
		return -EINVAL;
	}
	if (a->diff && !vm->cfg->track_dirty_pages) {
		snprintf(why, why_len, "a diff snapshot needs dirty-page tracking "
			 "(track_dirty_pages / --track-dirty-pages)");
		return -EINVAL;
	}
	if (a->diff && !vm->snap_have_base) {
		snprintf(why, why_len, "a diff snapshot needs a full snapshot (or a restore) "
			 "before it: guest memory written at boot is not in the dirty log");
		return -EINVAL;
	}
	if (snap_memory_layout(vm->cfg->mem_mib, &mem) || mem.nregions != vm->mem.nr_regions) {
		snprintf(why, why_len, "guest memory does not have the standard layout");
		return -EIO;
	}
	mem.kind = a->diff ? SNAP_KIND_DIFF : SNAP_KIND_FULL;

	/* Memory file first: open (not truncated yet) and refuse the file our
	 * RAM is mapped from, which a full snapshot would destroy. */
	mfd = open(a->mem_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (mfd < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot open memory file '%s': %s", a->mem_path,
			 strerror(errno));
		return err;
	}
	if (!a->diff && vm->mem.file_backed && fstat(mfd, &ms) == 0) {
		struct stat src;

		if (fstat(vm->mem.fd, &src) == 0 && src.st_dev == ms.st_dev &&
		    src.st_ino == ms.st_ino) {
			snprintf(why, why_len, "'%s' is the file this VM's memory is mapped from; "
				 "write a full snapshot to another file", a->mem_path);
			close(mfd);
			return -EINVAL;
		}
	}

	/* State. */
	sv = calloc(1, sizeof(*sv));
	if (!sv) {
		close(mfd);
		return -ENOMEM;
	}
	/* In-flight device I/O completes into guest memory and the rings now,
	 * before either is read. */
	devices_quiesce(vm);
	serial_flush(vm->serial);
	snap_writer_init(&w);
	snap_encode_info(&w, "ember " EMBER_VERSION, (uint64_t)time(NULL), mem.kind);
	snap_encode_machine(&w, &mach);
	snap_encode_memory(&w, &mem);
	err = msr_list(vm, &vm->vcpus[0], msrs, &nmsrs);
	if (err) {
		snprintf(why, why_len, "cannot list the MSRs to save: %s", strerror(-err));
		goto out;
	}
	snap_begin(&w, SNAP_SEC_VCPUS);
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		memset(sv, 0, sizeof(*sv));
		err = capture_vcpu(vm, &vm->vcpus[i], msrs, nmsrs, sv, why, why_len);
		if (err)
			goto out;
		snap_encode_vcpu(&w, i, sv);
	}
	snap_end(&w);
	memset(&vs, 0, sizeof(vs));
	err = capture_vm(vm, &vs, why, why_len);
	if (err)
		goto out;
	snap_encode_vmstate(&w, &vs);
	snap_begin(&w, SNAP_SEC_SERIAL);
	serial_save(vm->serial, &w);
	snap_end(&w);
	snap_begin(&w, SNAP_SEC_I8042);
	i8042_save(vm->i8042, &w);
	snap_end(&w);
	snap_begin(&w, SNAP_SEC_RTC);
	rtc_save(vm->rtc, &w);
	snap_end(&w);
	snap_begin(&w, SNAP_SEC_DEVICES);
	devices_save(vm, &w);
	snap_end(&w);
	err = snap_writer_finish(&w, &out, &out_len);
	if (err) {
		snprintf(why, why_len, "cannot encode the snapshot: %s", strerror(-err));
		goto out;
	}
	t1 = now_ns();
	st->state_ns = t1 - t0;
	st->state_bytes = out_len;

	/* Memory, then the state file that refers to it. */
	err = a->diff ? write_diff(vm, mfd, &st->mem_bytes, why, why_len)
		      : write_full(vm, mfd, &st->mem_bytes, why, why_len);
	if (err)
		goto out;
	if (!a->diff && vm->cfg->track_dirty_pages)
		reset_dirty_log(vm);
	st->mem_ns = now_ns() - t1;
	err = write_file(a->snap_path, out, out_len, why, why_len);
	if (!err)
		vm->snap_have_base = true;
out:
	if (close(mfd) < 0 && !err) {
		err = -errno;
		snprintf(why, why_len, "cannot close the memory file: %s", strerror(errno));
	}
	snap_writer_free(&w);
	free(sv);
	st->total_ns = now_ns() - t0;
	return err;
}

/* ------------------------------------------------------------ restore */

static int read_whole(const char *path, uint8_t **buf, size_t *len, char *why, size_t why_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	size_t got = 0;

	if (fd < 0) {
		err = errno == ENOENT || errno == EACCES || errno == EISDIR ? -EINVAL : -errno;
		snprintf(why, why_len, "cannot open snapshot '%s': %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "snapshot '%s' is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > SNAP_MAX_FILE_SIZE) {
		snprintf(why, why_len, "snapshot '%s' is %lld bytes; the limit is %u", path,
			 (long long)st.st_size, SNAP_MAX_FILE_SIZE);
		close(fd);
		return -EINVAL;
	}
	/* A copy, not a mapping: the file may change or shrink under us. */
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got <= (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(why, why_len, "cannot read snapshot '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!err && got != (size_t)st.st_size) {
		snprintf(why, why_len, "snapshot '%s' changed while being read", path);
		err = -EINVAL;
	}
	if (err) {
		free(*buf);
		*buf = NULL;
		return err;
	}
	*len = got;
	return 0;
}

int snap_restore_open(struct snap_restore *s, const char *snap_path, const char *mem_path,
		      struct vm_config *cfg, char *why, size_t why_len)
{
	struct stat st;
	int err;

	memset(s, 0, sizeof(*s));
	s->mem_fd = -1;
	s->t_begin = now_ns();
	err = read_whole(snap_path, &s->buf, &s->len, why, why_len);
	if (err)
		return err;
	s->st = malloc(sizeof(*s->st));
	if (!s->st)
		return -ENOMEM;
	if (snap_open(&s->top, &s->ctx, s->buf, s->len, why, why_len) ||
	    snap_decode(&s->top, s->st)) {
		if (s->ctx.err == -ENOMEM)
			return -ENOMEM;
		return -EINVAL;
	}
	s->mem_fd = open(mem_path, O_RDONLY | O_CLOEXEC);
	if (s->mem_fd < 0) {
		err = errno == ENOENT || errno == EACCES || errno == EISDIR ? -EINVAL : -errno;
		snprintf(why, why_len, "cannot open memory file '%s': %s", mem_path, strerror(errno));
		return err;
	}
	if (fstat(s->mem_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "memory file '%s' is not a regular file", mem_path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < s->st->memory.file_size) {
		snprintf(why, why_len, "memory file '%s' is %lld bytes; the snapshot needs %llu",
			 mem_path, (long long)st.st_size,
			 (unsigned long long)s->st->memory.file_size);
		return -EINVAL;
	}
	cfg->vcpus = s->st->machine.vcpus;
	cfg->mem_mib = s->st->machine.mem_mib;
	cfg->pit = s->st->machine.pit;
	cfg->acpi = s->st->machine.acpi;
	cfg->ucall = s->st->machine.ucall;
	/* The virtio devices are rebuilt from the configuration they were
	 * created with (host paths may then be overridden by the caller). */
	err = snap_decode_devices_cfg(&s->top, cfg);
	if (err)
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	s->t_validated = now_ns();
	return 0;
}

int snap_restore_memory(struct snap_restore *s, struct gmem *m, char *why, size_t why_len)
{
	int err = gmem_create_x86_file(m, MiB(s->st->machine.mem_mib), s->mem_fd);

	if (err)
		snprintf(why, why_len, "cannot map the memory file: %s", strerror(-err));
	return err;
}

static int apply_vcpu(struct vm *vm, struct vcpu *v, struct snap_vcpu *s, char *why,
		      size_t why_len)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} c;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[SNAP_MAX_MSRS];
	} m;
	size_t xs = xsave_size(vm);
	struct kvm_xsave *xsave = NULL;
	const char *what;
	int err, r;

	if (s->xsave_len > xs) {
		snprintf(why, why_len, "vCPU %u: the snapshot's XSAVE area (%u bytes) is larger "
			 "than this host's (%zu): CPU features differ", v->index, s->xsave_len, xs);
		return -EINVAL;
	}
	xsave = calloc(1, xs);
	if (!xsave)
		return -ENOMEM;
	memcpy(xsave, s->xsave, s->xsave_len);
	c.h.nent = s->ncpuid;
	c.h.padding = 0;
	memcpy(c.e, s->cpuid, s->ncpuid * sizeof(c.e[0]));
	if (s->tsc_khz) {
		r = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
		if (r > 0 && (uint32_t)r != s->tsc_khz &&
		    ioctl(v->fd, KVM_SET_TSC_KHZ, (unsigned long)s->tsc_khz) < 0)
			log_warn("vCPU %u: TSC runs at %d kHz, the snapshot's at %u kHz, and KVM "
				 "cannot scale it: guest time may drift", v->index, r, s->tsc_khz);
	}
#define SET(req, arg) do { what = #req; err = ioctl_err(v->fd, req, arg); if (err) goto fail; } while (0)
	SET(KVM_SET_CPUID2, &c);
	SET(KVM_SET_MP_STATE, &s->mp_state);
	SET(KVM_SET_REGS, &s->regs);
	SET(KVM_SET_SREGS, &s->sregs);
	SET(KVM_SET_XSAVE, xsave);
	SET(KVM_SET_XCRS, &s->xcrs);
	SET(KVM_SET_DEBUGREGS, &s->debugregs);
	SET(KVM_SET_LAPIC, &s->lapic);
#undef SET
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = s->nmsrs;
	memcpy(m.e, s->msrs, s->nmsrs * sizeof(m.e[0]));
	what = "KVM_SET_MSRS";
	r = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (r < 0) {
		err = -errno;
		goto fail;
	}
	if ((uint32_t)r != s->nmsrs) {
		snprintf(why, why_len, "vCPU %u: KVM refused MSR 0x%x from the snapshot", v->index,
			 s->msrs[r].index);
		free(xsave);
		return -EINVAL;
	}
	what = "KVM_SET_VCPU_EVENTS";
	err = ioctl_err(v->fd, KVM_SET_VCPU_EVENTS, &s->events);
	if (err)
		goto fail;
	free(xsave);
	return 0;
fail:
	/* KVM checks architectural consistency: EINVAL means the state is bad. */
	snprintf(why, why_len, "vCPU %u: %s refused the snapshot's state: %s", v->index, what,
		 strerror(-err));
	free(xsave);
	return err == -EINVAL ? -EINVAL : err;
}

static int apply_vm(struct vm *vm, struct snap_vmstate *s, char *why, size_t why_len)
{
	struct kvm_irqchip chip;
	struct kvm_clock_data clk;
	int err;

	if (s->has_pit) {
		err = ioctl_err(vm->vm_fd, KVM_SET_PIT2, &s->pit);
		if (err) {
			snprintf(why, why_len, "KVM_SET_PIT2 failed: %s", strerror(-err));
			return err;
		}
	}
	memset(&clk, 0, sizeof(clk));
	clk.clock = s->clock;
	err = ioctl_err(vm->vm_fd, KVM_SET_CLOCK, &clk);
	if (err) {
		snprintf(why, why_len, "KVM_SET_CLOCK failed: %s", strerror(-err));
		return err;
	}
	for (uint32_t i = 0; i < 3; i++) {
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = i;
		if (i < 2)
			chip.chip.pic = s->pic[i];
		else
			chip.chip.ioapic = s->ioapic;
		err = ioctl_err(vm->vm_fd, KVM_SET_IRQCHIP, &chip);
		if (err) {
			snprintf(why, why_len, "KVM_SET_IRQCHIP %u failed: %s", i, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int apply_device(struct snap_reader *top, uint32_t tag, const char *name,
			int (*fn)(void *dev, struct snap_reader *r), void *dev)
{
	struct snap_reader r;

	if (snap_require(top, tag) || snap_get_section(top, tag, &r))
		return -EINVAL;
	if (fn(dev, &r) && !top->ctx->err)
		snap_fail(&r, "%s state rejected", name);
	return snap_close(&r);
}

static int serial_fn(void *d, struct snap_reader *r) { return serial_restore(d, r); }
static int i8042_fn(void *d, struct snap_reader *r) { return i8042_restore(d, r); }
static int rtc_fn(void *d, struct snap_reader *r) { return rtc_restore(d, r); }

int snap_restore_apply(struct snap_restore *s, struct vm *vm, char *why, size_t why_len)
{
	struct snap_reader devs;
	int err;

	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		err = apply_vcpu(vm, &vm->vcpus[i], &s->st->vcpu[i], why, why_len);
		if (err)
			return err;
	}
	err = apply_vm(vm, &s->st->vm, why, why_len);
	if (err)
		return err;
	/* Tell the guest's kvmclock it was stopped (no soft-lockup reports);
	 * EINVAL only means the guest has not set kvmclock up. */
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		if (ioctl(vm->vcpus[i].fd, KVM_KVMCLOCK_CTRL, 0) < 0 && errno != EINVAL)
			log_debug("vCPU %u: KVM_KVMCLOCK_CTRL: %s", i, strerror(errno));
	s->ctx.why = why;
	s->ctx.why_len = why_len;
	if (apply_device(&s->top, SNAP_SEC_SERIAL, "serial", serial_fn, vm->serial) ||
	    apply_device(&s->top, SNAP_SEC_I8042, "i8042", i8042_fn, vm->i8042) ||
	    apply_device(&s->top, SNAP_SEC_RTC, "rtc", rtc_fn, vm->rtc))
		return -EINVAL;
	if (snap_require(&s->top, SNAP_SEC_DEVICES) ||
	    snap_get_section(&s->top, SNAP_SEC_DEVICES, &devs))
		return -EINVAL;
	if (devices_restore(vm, &devs) && !s->ctx.err)
		snap_fail(&devs, "virtio device state refused");
	if (snap_close(&devs) || snap_close(&s->top))
		return -EINVAL;
	vm->snap_have_base = true;
	return 0;
}

void snap_restore_close(struct snap_restore *s)
{
	/* Only frees: an unfinished restore's error is already reported. */
	s->ctx.why = NULL;
	s->ctx.why_len = 0;
	if (s->top.recs)
		snap_close(&s->top);
	free(s->st);
	free(s->buf);
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	memset(s, 0, sizeof(*s));
	s->mem_fd = -1;
}

/* ------------------------------------------------------------ at the boot marker */

struct marker_ctx {
	struct vm *vm;
	int efd;
	bool cont;
	char *snap_path, *mem_path;
	bool diff;
};

static void marker_hook(struct vm *vm)
{
	struct marker_ctx *c = vm->marker_opaque;
	uint64_t one = 1;

	if (write(c->efd, &one, sizeof(one)) < 0)
		log_debug("marker eventfd: %s", strerror(errno));
}

static void on_marker(void *opaque, uint32_t events)
{
	struct marker_ctx *c = opaque;
	struct snap_create_args a = { .snap_path = c->snap_path, .mem_path = c->mem_path,
				      .diff = c->diff };
	struct snap_create_stats st;
	char why[512];
	uint64_t v, t0, t_paused;
	int err;

	(void)events;
	if (read(c->efd, &v, sizeof(v)) < 0)
		return;
	t0 = now_ns();
	err = vm_pause(c->vm);
	if (err)
		return;	/* stopping anyway */
	t_paused = now_ns();
	err = snap_create(c->vm, &a, &st, why, sizeof(why));
	if (err) {
		fprintf(stderr, "ember: snapshot failed: %s\n", why);
		vm_request_stop(c->vm, VM_STOP_ERROR);
		vm_resume(c->vm);
		return;
	}
	fprintf(stderr, "ember: snapshot %s: pause %.3f ms, state %.3f ms (%llu bytes), "
		"memory %.3f ms (%llu MiB written), total %.3f ms\n",
		c->diff ? "diff" : "full", (double)(t_paused - t0) / 1e6,
		(double)st.state_ns / 1e6, (unsigned long long)st.state_bytes,
		(double)st.mem_ns / 1e6, (unsigned long long)(st.mem_bytes >> 20),
		(double)st.total_ns / 1e6);
	if (!c->cont)
		vm_request_stop(c->vm, VM_STOP_SNAPSHOT);
	vm_resume(c->vm);
}

int snap_at_marker_arm(struct vm *vm, const struct snap_create_args *a, bool cont)
{
	struct marker_ctx *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->vm = vm;
	c->cont = cont;
	c->diff = a->diff;
	c->snap_path = strdup(a->snap_path);
	c->mem_path = strdup(a->mem_path);
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!c->snap_path || !c->mem_path || c->efd < 0) {
		err = c->efd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	err = loop_add_fd(&vm->loop, c->efd, EPOLLIN, on_marker, c);
	if (err)
		goto fail;
	vm->marker_opaque = c;
	vm->marker_hook = marker_hook;
	return 0;
fail:
	if (c->efd >= 0)
		close(c->efd);
	free(c->snap_path);
	free(c->mem_path);
	free(c);
	return err;
}

void snap_at_marker_disarm(struct vm *vm)
{
	struct marker_ctx *c = vm->marker_opaque;

	if (!c)
		return;
	vm->marker_hook = NULL;
	vm->marker_opaque = NULL;
	close(c->efd);
	free(c->snap_path);
	free(c->mem_path);
	free(c);
}
