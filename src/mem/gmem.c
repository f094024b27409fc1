/* SPDX-License-Identifier: MIT */
/* mem/gmem.c: guest RAM mapping and the checked (gpa, len) translation gate. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem/gmem.h"
#include "mem/layout.h"

int gmem_init_regions(struct gmem *m, const struct gmem_region *regions, unsigned int n)
{
	uint64_t prev_end = 0, end;

	if (n == 0 || n > GMEM_MAX_REGIONS)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < n; i++) {
		if (!regions[i].size || !regions[i].hva)
			return -EINVAL;
		if (__builtin_add_overflow(regions[i].gpa, regions[i].size, &end))
			return -EINVAL;
		if (i && regions[i].gpa < prev_end)
			return -EINVAL;
		prev_end = end;
		m->regions[i] = regions[i];
		m->total += regions[i].size;
	}
	m->nr_regions = n;
	return 0;
}

#define GMEM_HUGE_ALIGN (2ull << 20)

/*
 * mmap() `size` bytes at a 2 MiB-aligned host address.  Guest-physical
 * regions start 2 MiB aligned, so aligned host addresses let KVM map guest
 * memory with 2 MiB pages in the second-level page tables wherever the host
 * backs it with huge pages (one nested/EPT fault per 2 MiB instead of per
 * 4 KiB).  Reserve size + 2 MiB, then trim the unaligned ends.
 */
static void *map_aligned(uint64_t size, int flags, int fd, off_t off)
{
	uint64_t span = size + GMEM_HUGE_ALIGN;
	uint8_t *base, *p;
	uint64_t head;

	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	p = (uint8_t *)ALIGN_UP((uintptr_t)base, (uintptr_t)GMEM_HUGE_ALIGN);
	head = (uint64_t)(p - base);
	if (mmap(p, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, off) == MAP_FAILED) {
		int err = errno;

		munmap(base, span);
		errno = err;
		return MAP_FAILED;
	}
	if (head)
		munmap(base, head);
	if (span - head - size)
		munmap(p + size, span - head - size);
	return p;
}

/* Map the x86 layout of `size` bytes: anonymous when fd < 0, else the file. */
static int create_x86(struct gmem *m, uint64_t size, int fd)
{
	struct gmem_region r[2];
	unsigned int n = 1;
	uint64_t low = MIN(size, LAYOUT_MMIO32_START), off = 0;
	int err;

	if (size < MiB(LAYOUT_MIN_MEM_MIB) || size > MiB(LAYOUT_MAX_MEM_MIB) ||
	    size % 4096)
		return -EINVAL;
	r[0].gpa = 0;
	r[0].size = low;
	if (size > low) {
		r[1].gpa = LAYOUT_HIGH_START;
		r[1].size = size - low;
		n = 2;
	}
	for (unsigned int i = 0; i < n; i++) {
		/* MAP_NORESERVE: RAM is touched lazily; no prefault at start-up.
		 * A file mapping is private: guest writes never reach the file. */
		void *p = fd < 0 ? map_aligned(r[i].size, MAP_PRIVATE | MAP_ANONYMOUS |
					       MAP_NORESERVE, -1, 0)
				 : map_aligned(r[i].size, MAP_PRIVATE | MAP_NORESERVE, fd,
					       (off_t)off);
		if (p == MAP_FAILED) {
			err = -errno;
			for (unsigned int j = 0; j < i; j++)
				munmap(r[j].hva, r[j].size);
			return err;
		}
		r[i].hva = p;
		off += r[i].size;
	}
	err = gmem_init_regions(m, r, n);
	if (err) {
		for (unsigned int i = 0; i < n; i++)
			munmap(r[i].hva, r[i].size);
	}
	return err;
}

int gmem_create_x86(struct gmem *m, uint64_t size)
{
	return create_x86(m, size, -1);
}

int gmem_create_x86_file(struct gmem *m, uint64_t size, int fd)
{
	struct stat st;
	int dfd, err;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -EBADF;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size < size)
		return -EINVAL;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	err = create_x86(m, size, dfd);
	if (err) {
		close(dfd);
		return err;
	}
	m->file_backed = true;
	m->fd = dfd;
	return 0;
}

#define DIRTY_PAGE	4096u

static uint64_t dirty_words(const struct gmem_region *r)
{
	return (r->size / DIRTY_PAGE + 63) / 64;
}

int gmem_dirty_enable(struct gmem *m)
{
	for (unsigned int i = 0; i < m->nr_regions; i++) {
		if (m->dirty[i])
			continue;
		m->dirty[i] = calloc(dirty_words(&m->regions[i]), sizeof(uint64_t));
		if (!m->dirty[i])
			return -ENOMEM;
	}
	return 0;
}

/* Set the bits of pages [off, off+len) of region i. */
static void mark(const struct gmem *m, unsigned int i, uint64_t off, uint64_t len)
{
	_Atomic uint64_t *bm = m->dirty[i];
	uint64_t p = off / DIRTY_PAGE, last = (off + len - 1) / DIRTY_PAGE;

	for (; p <= last; p++) {
		uint64_t bit = 1ull << (p % 64);

		/* Plain load first: most pages are marked many times over. */
		if (!(atomic_load_explicit(&bm[p / 64], memory_order_relaxed) & bit))
			atomic_fetch_or_explicit(&bm[p / 64], bit, memory_order_relaxed);
	}
}

void gmem_mark_dirty(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (!m->dirty[0] || !len)
		return;
	for (unsigned int i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];
		uint64_t s, e;

		if (gpa >= r->gpa + r->size || gpa + len <= r->gpa || gpa + len < gpa)
			continue;
		s = MAX(gpa, r->gpa) - r->gpa;
		e = MIN(gpa + len, r->gpa + r->size) - r->gpa;
		if (m->dirty[i])
			mark(m, i, s, e - s);
	}
}

void gmem_mark_dirty_hva(const struct gmem *m, const void *hva, uint64_t len)
{
	uintptr_t h = (uintptr_t)hva;

	if (!m->dirty[0] || !len)
		return;
	for (unsigned int i = 0; i < m->nr_regions; i++) {
		uintptr_t base = (uintptr_t)m->regions[i].hva;

		if (h >= base && h - base < m->regions[i].size && m->dirty[i])
			mark(m, i, h - base, MIN(len, m->regions[i].size - (h - base)));
	}
}

void gmem_dirty_take(const struct gmem *m, unsigned int r, uint64_t *bm)
{
	if (r >= m->nr_regions || !m->dirty[r])
		return;
	for (uint64_t w = 0; w < dirty_words(&m->regions[r]); w++)
		if (atomic_load_explicit(&m->dirty[r][w], memory_order_relaxed))
			bm[w] |= atomic_exchange_explicit(&m->dirty[r][w], 0, memory_order_relaxed);
}

void gmem_destroy(struct gmem *m)
{
	for (unsigned int i = 0; i < GMEM_MAX_REGIONS; i++) {
		free(m->dirty[i]);
		m->dirty[i] = NULL;
	}
	for (unsigned int i = 0; i < m->nr_regions; i++)
		munmap(m->regions[i].hva, m->regions[i].size);
	m->nr_regions = 0;
	if (m->file_backed)
		close(m->fd);
	m->file_backed = false;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		if (gpa < r->gpa)
			break;	/* sorted: no later region can hold it */
		if (gpa - r->gpa >= r->size && !(len == 0 && gpa - r->gpa == r->size))
			continue;
		if (!range_ok(gpa - r->gpa, len, r->size))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	gmem_mark_dirty(m, gpa, len);
	return 0;
}

uint64_t gmem_low_end(const struct gmem *m)
{
	return m->nr_regions ? m->regions[0].gpa + m->regions[0].size : 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

void gmem_populate(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	uint64_t page = 4096, start = gpa & ~(page - 1), end;
	uint8_t *p;

	if (!len || __builtin_add_overflow(gpa, len, &end))
		return;
	end = (end + page - 1) & ~(page - 1);
	p = gmem_ptr(m, start, end - start);
	if (p && ((uintptr_t)p & (page - 1)) == 0)
		(void)madvise(p, (size_t)(end - start), MADV_POPULATE_WRITE);
}
