/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_mmio.c: guest operations on the virtio-mmio transport with a real rng or blk device behind it, without KVM. */
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vm.h"
#include "fuzz.h"
#include "virtio/blk/blk.h"
#include "virtio/rng.h"

/*
 * Guest RAM: two regions, contiguous in guest-physical space but separate
 * host buffers (each its own heap block, so ASan's redzones sit right after
 * them).  A range that crosses gpa HALF is not inside one region: a device
 * that skipped the gmem gate would read or write past the first block.
 */
#define HALF		(512u * 1024)
#define MEM_SIZE	(2u * HALF)
#define BASE		LAYOUT_VIRTIO_MMIO_BASE
#define GSI		5
#define DISK_BYTES	(64u * 512)

/* Ring layout used by OP_INIT (the fuzzer can pick any other with OP_REG). */
#define RING_DESC	0x1000u
#define RING_AVAIL	0x3000u
#define RING_USED	0x4000u

/*
 * Input: one byte of configuration, then operations until the input ends.
 *
 *   config  bit 0: 0 virtio-rng, 1 virtio-blk on a 32 KiB memfd image
 *           bit 1: blk read-only       bit 2: blk cache writeback (FLUSH offered)
 *           bit 3: a rate limiter of 2 operations per hour (throttles deterministically)
 *           bit 4: blk io_uring engine (Async) instead of Sync; completions come
 *                  back through the event loop (io-wq may make their timing vary)
 *
 *   op % 9  fields (little endian)                what it does
 *   0 WRITE  off:u16 w:u8 val:(1<<(w&3)) bytes    MMIO write at off % 0x1010 (through the bus)
 *   1 READ   off:u16 w:u8                         MMIO read
 *   2 REG    idx:u8 val:u32                       4-byte write to a known register
 *   3 RDREG  idx:u8                               4-byte read of a known register
 *   4 POKE   gpa:u32 n:u8 bytes[n]                guest memory write at gpa % MEM_SIZE
 *   5 KICK   q:u8                                 QueueNotify(q), then run the event loop
 *   6 LOOP                                        run the event loop until blk has nothing in flight
 *   7 INIT   feat:u32 qlog:u8 flags:u8            the driver's init sequence (spec 3.1.1)
 *   8 CHAIN  n:u8 then n%4+1 x (addr:u32 len:u16 f:u8)   add a chain to queue 0
 *
 * INIT: reset, ACKNOWLEDGE, DRIVER, DriverFeatures feat (low) and VERSION_1
 * (high, unless flags bit 0), FEATURES_OK, queue 0 of 1 << (qlog % 10)
 * entries at RING_DESC/AVAIL/USED (zeroed), QueueReady, then DRIVER_OK
 * unless flags bit 1.  CHAIN: descriptors from the next free table slot,
 * f bit 0 WRITE, bit 1 INDIRECT, bit 7 len << 12; addr % (MEM_SIZE + 64 KiB),
 * then the head goes into the avail ring and avail->idx moves.
 *
 * Invariants: the sanitizers (every device access to guest memory must go
 * through the gmem gate into one region), no abort, fixed registers read
 * their values, the status machine's rules hold, the last used entry of a
 * run of the event loop names a head inside the queue, the disk image never
 * changes size, and destroying everything leaks nothing.
 */
enum { OP_WRITE, OP_READ, OP_REG, OP_RDREG, OP_POKE, OP_KICK, OP_LOOP, OP_INIT, OP_CHAIN, OP_N };

static const uint16_t regs[] = {
	VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_VERSION, VIRTIO_MMIO_DEVICE_ID,
	VIRTIO_MMIO_VENDOR_ID, VIRTIO_MMIO_DEVICE_FEATURES, VIRTIO_MMIO_DEVICE_FEATURES_SEL,
	VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL,
	VIRTIO_MMIO_QUEUE_NUM_MAX, VIRTIO_MMIO_QUEUE_NUM, VIRTIO_MMIO_QUEUE_READY,
	VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INTERRUPT_ACK,
	VIRTIO_MMIO_STATUS, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
	VIRTIO_MMIO_QUEUE_DRIVER_LOW, VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
	VIRTIO_MMIO_QUEUE_DEVICE_LOW, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, VIRTIO_MMIO_SHM_SEL,
	VIRTIO_MMIO_SHM_LEN_LOW, VIRTIO_MMIO_SHM_BASE_LOW, VIRTIO_MMIO_CONFIG_GENERATION,
	VIRTIO_MMIO_CONFIG, VIRTIO_MMIO_CONFIG + 8, VIRTIO_MMIO_CONFIG + 56,
	VIRTIO_MMIO_CONFIG + 60, 0x0fff,
};

#define NREGS (sizeof(regs) / sizeof(regs[0]))

/* The input being consumed. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_u8(struct in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint64_t in_le(struct in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

static uint8_t *ram[2];
static struct vm vm;

/* The fuzzer's own view of guest memory (not the gate under test). */
static void guest_write(uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (size_t i = 0; i < len && gpa + i < MEM_SIZE; i++)
		ram[(gpa + i) / HALF][(gpa + i) % HALF] = s[i];
}

static uint16_t guest_u16(uint64_t gpa)
{
	return (uint16_t)(ram[gpa / HALF][gpa % HALF] | ram[(gpa + 1) / HALF][(gpa + 1) % HALF] << 8);
}

static uint32_t guest_u32(uint64_t gpa)
{
	return guest_u16(gpa) | (uint32_t)guest_u16(gpa + 2) << 16;
}

/* What the driver side knows about queue 0 after OP_INIT. */
struct drv {
	struct virtio_dev *d;
	const struct virtio_blk *blk;	/* NULL for rng */
	uint32_t device_id;
	uint16_t qsize;		/* 0: no OP_INIT yet */
	uint16_t avail_idx;
	uint16_t next_desc;
};

static void mmio(uint64_t off, void *buf, uint32_t len, bool is_write)
{
	(void)bus_dispatch(&vm.mmio, BASE + off, buf, len, is_write);
}

static void wr32(uint64_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	mmio(off, b, 4, true);
}

static uint32_t rd32(uint64_t off)
{
	uint8_t b[4];

	mmio(off, b, 4, false);
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* What a 4-byte read of a control register promises. */
static void check_read(const struct drv *s, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: FUZZ_ASSERT(v == VIRTIO_MMIO_MAGIC); break;
	case VIRTIO_MMIO_VERSION: FUZZ_ASSERT(v == VIRTIO_MMIO_VERSION_2); break;
	case VIRTIO_MMIO_DEVICE_ID: FUZZ_ASSERT(v == s->device_id); break;
	case VIRTIO_MMIO_VENDOR_ID: FUZZ_ASSERT(v == VIRTIO_MMIO_VENDOR_EMBER); break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: FUZZ_ASSERT(v == 0 || v == s->d->ops->max_queue_size); break;
	case VIRTIO_MMIO_QUEUE_READY: FUZZ_ASSERT(v <= 1); break;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		FUZZ_ASSERT(!(v & ~(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)));
		break;
	case VIRTIO_MMIO_STATUS:
		FUZZ_ASSERT(v <= 0xff);
		if (v & VIRTIO_STATUS_DRIVER_OK)
			FUZZ_ASSERT(v & VIRTIO_STATUS_FEATURES_OK);
		if (v & VIRTIO_STATUS_FEATURES_OK)
			FUZZ_ASSERT((v & VIRTIO_STATUS_DRIVER) &&
				    (s->d->acked & VIRTIO_BIT(VIRTIO_F_VERSION_1)));
		break;
	default:
		break;
	}
}

/*
 * Run the event loop as its thread would: what is ready now, without
 * blocking.  With `drain`, also wait (bounded) until blk's io_uring requests
 * in flight have come back through the loop, so a sequence can continue
 * after their completions; without it, they may still be in flight at the
 * next operation (a reset, another kick).
 */
static void run_loop(const struct drv *s, bool drain)
{
	struct epoll_event evs[32];

	for (int turn = 0; turn < 64; turn++) {
		bool wait = drain && s->blk && s->blk->n_inflight;
		int n = epoll_wait(vm.loop.epfd, evs, 32, wait ? 100 : 0);

		if (n < 0 || (n == 0 && !wait))
			return;
		for (int i = 0; i < n; i++) {
			struct loop_entry *e = &vm.loop.entries[evs[i].data.u32];

			if (e->fn)
				e->fn(e->opaque, evs[i].events);
		}
	}
}

/*
 * The event loop's work, then: the last used entry the device wrote names a
 * head inside the queue.  Only the last one, and only with nothing in
 * flight: a device-writable buffer may overlap the used ring, so later
 * writes (ours, or the kernel's for an io_uring read) can cover entries.
 */
static void run_loop_checked(const struct drv *s, bool drain)
{
	const struct vq *q = &s->d->vqs[0];
	uint16_t from = q->used_idx;

	run_loop(s, drain);
	if (q->active && q->size && q->used_idx != from && (!s->blk || !s->blk->n_inflight)) {
		uint16_t slot = (uint16_t)((uint16_t)(q->used_idx - 1) % q->size);

		FUZZ_ASSERT(guest_u32(q->used_gpa + 4 + 8ull * slot) < q->size);
	}
}

static void op_init(struct drv *s, struct in *in)
{
	uint32_t feat = (uint32_t)in_le(in, 4), st;
	uint8_t qlog = in_u8(in), flags = in_u8(in);
	uint16_t size = (uint16_t)(1u << (qlog % 10));	/* 512 is one too many */
	static const uint8_t zero[4096];

	wr32(VIRTIO_MMIO_STATUS, 0);
	wr32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	(void)rd32(VIRTIO_MMIO_DEVICE_FEATURES);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES, feat);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES, flags & 1 ? 0 : 1);
	st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	wr32(VIRTIO_MMIO_STATUS, st);
	check_read(s, VIRTIO_MMIO_STATUS, rd32(VIRTIO_MMIO_STATUS));
	guest_write(RING_DESC, zero, sizeof(zero));
	guest_write(RING_DESC + sizeof(zero), zero, sizeof(zero));
	guest_write(RING_AVAIL, zero, sizeof(zero));
	guest_write(RING_USED, zero, sizeof(zero));
	wr32(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr32(VIRTIO_MMIO_QUEUE_NUM, size);
	wr32(VIRTIO_MMIO_QUEUE_DESC_LOW, RING_DESC);
	wr32(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, RING_AVAIL);
	wr32(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
	wr32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, RING_USED);
	wr32(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	wr32(VIRTIO_MMIO_QUEUE_READY, 1);
	if (!(flags & 2))
		wr32(VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	check_read(s, VIRTIO_MMIO_STATUS, rd32(VIRTIO_MMIO_STATUS));
	s->qsize = size;
	s->avail_idx = 0;
	s->next_desc = 0;
}

static void op_chain(struct drv *s, struct in *in)
{
	unsigned int n = in_u8(in) % 4 + 1;
	uint16_t head = s->next_desc, size = s->qsize ? s->qsize : 16;
	uint8_t b[2];

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % size);
		uint64_t addr = in_le(in, 4) % (MEM_SIZE + 0x10000u);
		uint32_t len = (uint32_t)in_le(in, 2);
		uint8_t f = in_u8(in);
		uint16_t flags = (uint16_t)((f & 1 ? VRING_DESC_F_WRITE : 0) |
					    (f & 2 ? VRING_DESC_F_INDIRECT : 0) |
					    (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		uint16_t next = (uint16_t)((idx + 1) % size);
		uint8_t d[16];

		if (f & 0x80)
			len <<= 12;
		for (int k = 0; k < 8; k++)
			d[k] = (uint8_t)(addr >> (8 * k));
		for (int k = 0; k < 4; k++)
			d[8 + k] = (uint8_t)(len >> (8 * k));
		d[12] = (uint8_t)flags;
		d[13] = (uint8_t)(flags >> 8);
		d[14] = (uint8_t)next;
		d[15] = (uint8_t)(next >> 8);
		guest_write(RING_DESC + 16ull * idx, d, sizeof(d));
	}
	s->next_desc = (uint16_t)((head + n) % size);
	b[0] = (uint8_t)head;
	b[1] = (uint8_t)(head >> 8);
	guest_write(RING_AVAIL + 4 + 2ull * (s->avail_idx % size), b, 2);
	s->avail_idx++;
	b[0] = (uint8_t)s->avail_idx;
	b[1] = (uint8_t)(s->avail_idx >> 8);
	guest_write(RING_AVAIL + 2, b, 2);
}

static void run_ops(struct drv *s, struct in *in)
{
	while (in->n) {
		uint8_t op = in_u8(in) % OP_N, buf[8];
		uint64_t off, v;
		uint32_t w;

		switch (op) {
		case OP_WRITE:
			off = in_le(in, 2) % 0x1010;
			w = 1u << (in_u8(in) & 3);
			v = in_le(in, w);
			memcpy(buf, &v, sizeof(buf));
			mmio(off, buf, w, true);
			break;
		case OP_READ:
			off = in_le(in, 2) % 0x1010;
			w = 1u << (in_u8(in) & 3);
			mmio(off, buf, w, false);
			if (w == 4) {
				memcpy(&v, buf, 8);
				check_read(s, off, (uint32_t)v);
			}
			break;
		case OP_REG:
			off = regs[in_u8(in) % NREGS];
			wr32(off, (uint32_t)in_le(in, 4));
			break;
		case OP_RDREG:
			off = regs[in_u8(in) % NREGS];
			check_read(s, off, rd32(off));
			break;
		case OP_POKE: {
			uint64_t gpa = in_le(in, 4) % MEM_SIZE;
			size_t n = in_u8(in);

			n = n < in->n ? n : in->n;
			guest_write(gpa, in->p, n);
			in->p += n;
			in->n -= n;
			break;
		}
		case OP_KICK:
			wr32(VIRTIO_MMIO_QUEUE_NOTIFY, in_u8(in));
			run_loop_checked(s, false);
			break;
		case OP_LOOP:
			run_loop_checked(s, true);
			break;
		case OP_INIT:
			op_init(s, in);
			break;
		case OP_CHAIN:
			op_chain(s, in);
			break;
		}
	}
	run_loop_checked(s, true);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)argc;
	(void)argv;
	/* Guest-triggered warnings are formatted (that code runs too) but not shown;
	 * EMBER_FUZZ_LOG=1 shows them when reproducing. */
	if (fd >= 0 && !getenv("EMBER_FUZZ_LOG"))
		log_set_fd(fd);
	for (int i = 0; i < 2; i++) {
		ram[i] = aligned_alloc(4096, HALF);
		FUZZ_ASSERT(ram[i]);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmem_region r[2];
	struct in in = { data, size };
	struct drv s = { 0 };
	struct virtio_rng *rng = NULL;
	struct virtio_blk *blk = NULL;
	struct rate_limiter_cfg rl = { 0 };
	char why[256];
	uint8_t cfg;
	int memfd = -1;

	if (size < 1)
		return 0;
	cfg = in_u8(&in);
	for (int i = 0; i < 2; i++) {
		memset(ram[i], 0, HALF);
		r[i] = (struct gmem_region){ (uint64_t)i * HALF, HALF, ram[i] };
	}
	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	FUZZ_ASSERT(gmem_init_regions(&vm.mem, r, 2) == 0);
	FUZZ_ASSERT(loop_init(&vm.loop) == 0);
	if (cfg & 8) {
		rl.ops.size = 2;
		rl.ops.refill_time_ms = 3600u * 1000u;
	}
	if (cfg & 1) {
		struct drive_cfg dc = { .id = "fuzz", .read_only = cfg & 2,
					.io_engine = cfg & 16 ? IO_ENGINE_ASYNC : IO_ENGINE_SYNC,
					.cache_type = cfg & 4 ? CACHE_WRITEBACK : CACHE_UNSAFE,
					.rate_limiter = rl };
		char path[64];

		memfd = memfd_create("fuzz_mmio-disk", MFD_CLOEXEC);
		FUZZ_ASSERT(memfd >= 0 && ftruncate(memfd, DISK_BYTES) == 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
		dc.path = path;
		FUZZ_ASSERT(virtio_blk_create(&vm, &dc, &blk, why, sizeof(why)) == 0);
		s.d = &blk->vdev;
		s.blk = blk;
		s.device_id = VIRTIO_ID_BLOCK;
	} else {
		struct entropy_cfg ec = { .enabled = true, .rate_limiter = rl };

		FUZZ_ASSERT(virtio_rng_create(&vm, &ec, &rng, why, sizeof(why)) == 0);
		s.d = &rng->vdev;
		s.device_id = VIRTIO_ID_RNG;
	}
	FUZZ_ASSERT(virtio_dev_attach(s.d, &vm.mmio, BASE, GSI) == 0);

	run_ops(&s, &in);

	if (blk) {
		struct stat st;

		virtio_blk_destroy(blk);
		/* Nothing may write outside the image. */
		FUZZ_ASSERT(fstat(memfd, &st) == 0 && st.st_size == DISK_BYTES);
		close(memfd);
	}
	virtio_rng_destroy(rng);
	loop_destroy(&vm.loop);
	return 0;
}
