// SPDX-License-Identifier: MIT
/* tests/guest/g_virtio_hostile.c: breaks the virtio protocol on blk and rng one policy class at a time (attack=NAME) and checks docs/error-policy.md's outcome from inside. */
#include "guest.h"
#include "virtio.h"

/*
 * The runner attaches a writable disk (id "hostile0"), a read-only one and
 * an rng, and passes `attack=NAME mem=MiB sectors=N`.  Every attack ends with
 * a valid request that must work (after a reset when the outcome was
 * NEEDS_RESET), so ember has stayed alive and serving.  The only sector the
 * guest ever writes successfully is WSECTOR; the runner checks the rest of
 * the image is unchanged.
 */

#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define T_DISCARD	11
#define T_WRITE_ZEROES	13
#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2
#define S_NONE		0xff	/* what the guest puts in the status byte first */

#define WSECTOR		8		/* the one sector the guest writes */
#define SCRATCH		0x1000000ull	/* 16 MiB: room for large buffers */
#define MIB		0x100000ull

struct blk_hdr {
	u32 type, ioprio;
	u64 sector;
};

static struct vring_mem blk_ring, ro_ring, rng_ring, decoy_ring;
static struct vdev blk, ro, rng;
static struct vdesc itab[272] __attribute__((aligned(16)));
static struct vdesc itab2[4] __attribute__((aligned(16)));
static struct blk_hdr hdr;
static volatile u8 st;
static u8 buf[4096] __attribute__((aligned(4096)));
static u8 buf2[4096] __attribute__((aligned(4096)));
static u64 sectors, ram_low_end, ram_high_end;
static const char *attack = "?";
static bool driver_ok_after_error;	/* the driver set DRIVER_OK after NEEDS_RESET */

#define A(p)	((u64)(uintptr_t)(p))

static void desc(struct vdesc *t, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	t[i].addr = addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

static bool status_clean(const struct vdev *d)
{
	return !(vio_rd(d, VIO_STATUS) & (VIO_S_NEEDS_RESET | VIO_S_FAILED));
}

/* ---- valid requests ---- */

/* Header, data (device-writable for IN and GET_ID), status byte: head 0. */
static void blk_chain(struct vdev *d, u32 type, u64 sector, u64 data, u32 len)
{
	struct vdesc *t = d->ring->desc;
	u16 dw = (type == T_IN || type == T_GET_ID) ? VRING_F_WRITE : 0;

	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = sector;
	st = S_NONE;
	if (len) {
		desc(t, 0, A(&hdr), sizeof(hdr), VRING_F_NEXT, 1);
		desc(t, 1, data, len, VRING_F_NEXT | dw, 2);
		desc(t, 2, A(&st), 1, VRING_F_WRITE, 0);
	} else {
		desc(t, 0, A(&hdr), sizeof(hdr), VRING_F_NEXT, 1);
		desc(t, 1, A(&st), 1, VRING_F_WRITE, 0);
	}
}

/* Wait for the completion of head 0; its used length. */
static u32 wait_head0(struct vdev *d)
{
	struct vused_elem e;

	GUEST_ASSERT_MSG(vq_wait_used(d, &e, 3000), "%s: no completion from the device at 0x%lx "
			 "(Status 0x%x)", attack, d->base, vio_rd(d, VIO_STATUS));
	GUEST_ASSERT_EQ(e.id, 0);
	return e.len;
}

/* A request that must complete with `want` and leave the device running. */
static void expect_blk(struct vdev *d, u32 type, u64 sector, u64 data, u32 len, u8 want)
{
	u32 n;

	blk_chain(d, type, sector, data, len);
	vq_submit(d, 0);
	n = wait_head0(d);
	GUEST_ASSERT_MSG(st == want, "%s: type %u sector 0x%lx len %u: status %u, expected %u",
			 attack, type, sector, len, st, want);
	if (want == S_OK && type == T_IN)
		GUEST_ASSERT_EQ(n, len + 1);
	else if (want == S_OK && type == T_GET_ID)
		GUEST_ASSERT_EQ(n, 21);
	else
		GUEST_ASSERT_EQ(n, 1);
	GUEST_ASSERT(status_clean(d));
}

/* The disk holds `seq 1 N`: sector 0 starts "1\n2\n3\n". */
static void blk_read_works(struct vdev *d)
{
	memset(buf2, 0, 512);
	expect_blk(d, T_IN, 0, A(buf2), 512, S_OK);
	GUEST_ASSERT_MSG(!memcmp(buf2, "1\n2\n3\n", 6), "%s: sector 0 reads '%.6s'", attack,
			 (const char *)buf2);
}

/* A write of WSECTOR and a read back: the device serves requests. */
static void blk_works(struct vdev *d)
{
	u32 i;

	for (i = 0; i < 512; i++)
		buf[i] = (u8)"EMBER-HOSTILE-OK"[i % 16];
	expect_blk(d, T_OUT, WSECTOR, A(buf), 512, S_OK);
	memset(buf2, 0, 512);
	expect_blk(d, T_IN, WSECTOR, A(buf2), 512, S_OK);
	GUEST_ASSERT(!memcmp(buf, buf2, 512));
	blk_read_works(d);
}

static void rng_works(struct vdev *d)
{
	struct vused_elem e;

	memset(buf2, 0, 64);
	desc(d->ring->desc, 0, A(buf2), 64, VRING_F_WRITE, 0);
	vq_submit(d, 0);
	GUEST_ASSERT_MSG(vq_wait_used(d, &e, 3000), "%s: rng does not answer (Status 0x%x)",
			 attack, vio_rd(d, VIO_STATUS));
	GUEST_ASSERT_EQ(e.id, 0);
	GUEST_ASSERT_EQ(e.len, 64);
	GUEST_ASSERT(status_clean(d));
}

static void works(struct vdev *d)
{
	if (d == &rng)
		rng_works(d);
	else if (d == &ro)
		blk_read_works(d);
	else
		blk_works(d);
}

static void init(struct vdev *d)
{
	virtio_init(d, VIO_F_INDIRECT);
}

/* ---- outcomes ---- */

/* Wait `ms` and check the device completed nothing. */
static void nothing_completes(struct vdev *d, u32 ms)
{
	u16 before = d->ring->used.idx;

	udelay(ms * 1000ull);
	GUEST_ASSERT_MSG(d->ring->used.idx == before, "%s: the device completed a request", attack);
}

/*
 * The outcome NEEDS_RESET: Status gets 0x40 (with a configuration interrupt
 * once DRIVER_OK was set), the device ignores even a valid request, the
 * other devices keep working, and a reset plus a new initialisation brings
 * it back.
 */
static void expect_needs_reset(struct vdev *d, const char *what)
{
	u32 s, isr;

	GUEST_ASSERT_MSG(virtio_wait_status(d, VIO_S_NEEDS_RESET, 3000),
			 "%s: %s: Status 0x%x, expected NEEDS_RESET", attack, what,
			 vio_rd(d, VIO_STATUS));
	s = vio_rd(d, VIO_STATUS);
	isr = vio_rd(d, VIO_INT_STATUS);
	if ((s & VIO_S_DRIVER_OK) && !driver_ok_after_error)
		GUEST_ASSERT_MSG(isr & VIO_INT_CONFIG, "%s: %s: no configuration interrupt (0x%x)",
				 attack, what, isr);
	else
		GUEST_ASSERT_MSG(!(isr & VIO_INT_CONFIG), "%s: %s: configuration interrupt "
				 "before DRIVER_OK", attack, what);
	vio_wr(d, VIO_INT_ACK, isr);
	/* A valid request now: the device must not touch it. */
	if (s & VIO_S_DRIVER_OK) {
		if (d == &rng)
			desc(d->ring->desc, 0, A(buf2), 64, VRING_F_WRITE, 0);
		else
			blk_chain(d, T_IN, 0, A(buf2), 512);
		vq_submit(d, 0);
		nothing_completes(d, 300);
	}
	GUEST_ASSERT(vio_rd(d, VIO_STATUS) & VIO_S_NEEDS_RESET);
	/* Only this device stopped. */
	works(d == &rng ? &blk : &rng);
	init(d);
	works(d);
	GUEST_PRINTF("virtio_hostile: %s: %s: NEEDS_RESET (Status 0x%x), recovered after reset",
		     attack, what, s);
}

/* The outcome "request error": status byte `want`, device still running. */
static void expect_req_error(struct vdev *d, const char *what, u32 type, u64 sector, u64 data,
			     u32 len, u8 want)
{
	expect_blk(d, type, sector, data, len, want);
	works(d);
	GUEST_PRINTF("virtio_hostile: %s: %s: status %u, device still serving", attack, what, want);
}

/* The outcome "ignored": Status clean, the device serves without a reset. */
static void expect_ignored(struct vdev *d, const char *what)
{
	GUEST_ASSERT_MSG(status_clean(d), "%s: %s: Status 0x%x", attack, what,
			 vio_rd(d, VIO_STATUS));
	works(d);
	GUEST_PRINTF("virtio_hostile: %s: %s: ignored, device still serving", attack, what);
}

/* ---- virtqueue attacks: NEEDS_RESET ---- */

static void submit_needs_reset(struct vdev *d, u16 head, const char *what)
{
	vq_submit(d, head);
	expect_needs_reset(d, what);
}

static void a_head_oob(void)
{
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	submit_needs_reset(&blk, VQ_SIZE, "head = queue size");
	submit_needs_reset(&blk, 0xffff, "head = 0xffff");
}

static void a_next_oob(void)
{
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	blk.ring->desc[1].next = VQ_SIZE;
	submit_needs_reset(&blk, 0, "next = queue size");
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	blk.ring->desc[0].next = 0xffff;
	submit_needs_reset(&blk, 0, "next = 0xffff");
}

static void a_loop(void)
{
	struct vdesc *t = blk.ring->desc;

	hdr.type = T_OUT;
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(t, 1, A(buf), 512, VRING_F_NEXT, 0);
	submit_needs_reset(&blk, 0, "0 -> 1 -> 0");
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 0);
	submit_needs_reset(&blk, 0, "0 -> 0");
}

/* Every descriptor of the table, then the first again. */
static void a_chain_longer_than_queue(void)
{
	struct vdesc *t = blk.ring->desc;
	u16 i;

	hdr.type = T_OUT;
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	for (i = 1; i < VQ_SIZE; i++)
		desc(t, i, A(buf), 512, VRING_F_NEXT, (u16)((i + 1) % VQ_SIZE));
	submit_needs_reset(&blk, 0, "16 descriptors then descriptor 0 again");
}

/* A direct header, then an indirect table of 256 buffers: 257 in all. */
static void a_chain_too_long(void)
{
	struct vdesc *t = blk.ring->desc;
	u16 i;

	hdr.type = T_IN;
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(t, 1, A(itab), 256 * 16, VRING_F_INDIRECT, 0);
	for (i = 0; i < 256; i++)
		desc(itab, i, A(buf2), 16, VRING_F_WRITE | (i < 255 ? VRING_F_NEXT : 0),
		     (u16)(i + 1));
	submit_needs_reset(&blk, 0, "257 buffers");
}

/* An indirect request: header, data, status in itab. */
static void indirect_chain(struct vdev *d)
{
	hdr.type = T_IN;
	hdr.sector = 0;
	desc(itab, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(itab, 1, A(buf2), 512, VRING_F_NEXT | VRING_F_WRITE, 2);
	desc(itab, 2, A(&st), 1, VRING_F_WRITE, 0);
	desc(d->ring->desc, 0, A(itab), 3 * 16, VRING_F_INDIRECT, 0);
}

static void a_indirect_nested(void)
{
	indirect_chain(&blk);
	desc(itab, 1, A(itab2), 2 * 16, VRING_F_INDIRECT, 0);
	desc(itab2, 0, A(buf2), 512, VRING_F_NEXT | VRING_F_WRITE, 1);
	desc(itab2, 1, A(&st), 1, VRING_F_WRITE, 0);
	submit_needs_reset(&blk, 0, "indirect table inside an indirect table");
}

static void a_indirect_len(void)
{
	/* First a valid indirect request: the device takes them. */
	indirect_chain(&blk);
	vq_submit(&blk, 0);
	wait_head0(&blk);
	GUEST_ASSERT_EQ(st, S_OK);

	indirect_chain(&blk);
	blk.ring->desc[0].len = 40;
	submit_needs_reset(&blk, 0, "length 40");
	indirect_chain(&blk);
	blk.ring->desc[0].len = 0;
	submit_needs_reset(&blk, 0, "length 0");
	indirect_chain(&blk);
	blk.ring->desc[0].len = 257 * 16;
	submit_needs_reset(&blk, 0, "257 entries");
	indirect_chain(&blk);
	blk.ring->desc[0].flags |= VRING_F_NEXT;
	submit_needs_reset(&blk, 0, "INDIRECT with NEXT");
}

static void a_indirect_outside_ram(void)
{
	indirect_chain(&blk);
	blk.ring->desc[0].addr = ram_low_end;
	submit_needs_reset(&blk, 0, "table beyond RAM");
	indirect_chain(&blk);
	blk.ring->desc[0].addr = 0xd0000000ull;
	submit_needs_reset(&blk, 0, "table in the MMIO hole");
}

static void a_indirect_not_negotiated(void)
{
	virtio_init(&blk, 0);
	indirect_chain(&blk);
	submit_needs_reset(&blk, 0, "indirect descriptor without INDIRECT_DESC");
}

/* A read whose data buffer is at `addr`, `len` bytes. */
static void bad_buffer(u64 addr, u32 len, const char *what)
{
	blk_chain(&blk, T_IN, 0, addr, len);
	submit_needs_reset(&blk, 0, what);
}

static void a_addr_beyond_ram(void)
{
	bad_buffer(ram_low_end, 512, "buffer at the end of RAM");
	bad_buffer(ram_low_end - 256, 512, "buffer running past the end of RAM");
	bad_buffer(1ull << 40, 512, "buffer at 1 TiB");
}

static void a_addr_mmio_hole(void)
{
	bad_buffer(0xd0000000ull, 512, "buffer on the device's own registers");
	bad_buffer(0xfee00000ull, 512, "buffer on the LAPIC");
	bad_buffer(0xc0000000ull, 512, "buffer at the start of the hole");
}

static void a_addr_wrap(void)
{
	bad_buffer(0xfffffffffffff000ull, 0x2000, "0xfffffffffffff000 + 0x2000");
	bad_buffer(0xfffffffffffffe00ull, 0x200, "buffer ending at 2^64");
	bad_buffer(~0ull, 512, "address 2^64 - 1");
}

/* With --mem above 3 GiB: buffers straddling the ends of both RAM regions. */
static void a_addr_straddle(void)
{
	GUEST_ASSERT(ram_high_end);
	bad_buffer(ram_low_end - 0x100, 0x200, "buffer from low RAM into the hole");
	bad_buffer(0x100000000ull - 0x100, 0x200, "buffer from the hole into high RAM");
	bad_buffer(ram_high_end - 0x100, 0x200, "buffer past the end of high RAM");
	/* The last sector of low and of high RAM are fine. */
	blk_chain(&blk, T_IN, 0, ram_low_end - 0x200, 0x200);
	vq_submit(&blk, 0);
	wait_head0(&blk);
	GUEST_ASSERT_EQ(st, S_OK);
	blk_chain(&blk, T_IN, 0, ram_high_end - 0x200, 0x200);
	vq_submit(&blk, 0);
	wait_head0(&blk);
	GUEST_ASSERT_EQ(st, S_OK);
}

/* 96 readable buffers of 45 MiB in an indirect table: more than 2^32 bytes. */
static void a_len_overflow(void)
{
	u16 i;

	GUEST_ASSERT(ram_low_end >= SCRATCH + 45 * MIB);
	hdr.type = T_OUT;
	hdr.sector = WSECTOR;
	desc(itab, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	for (i = 1; i <= 96; i++)
		desc(itab, i, SCRATCH, 45 * MIB, VRING_F_NEXT, (u16)(i + 1));
	desc(itab, 97, A(&st), 1, VRING_F_WRITE, 0);
	desc(blk.ring->desc, 0, A(itab), 98 * 16, VRING_F_INDIRECT, 0);
	submit_needs_reset(&blk, 0, "chain of 4.2 GiB");
}

static void a_writable_before_readable(void)
{
	struct vdesc *t = blk.ring->desc;

	hdr.type = T_OUT;
	hdr.sector = WSECTOR + 1;
	memset(buf, 'X', 512);
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(t, 1, A(&st), 1, VRING_F_NEXT | VRING_F_WRITE, 2);
	desc(t, 2, A(buf), 512, 0, 0);
	submit_needs_reset(&blk, 0, "readable data after the writable status");
}

static void a_avail_idx_jump(void)
{
	u16 i;

	/* The device has consumed blk.avail_idx chains so far. */
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	for (i = 0; i < VQ_SIZE; i++)
		blk.ring->avail.ring[i] = 0;
	blk.avail_idx += VQ_SIZE + 1;
	blk.ring->avail.idx = blk.avail_idx;
	vio_wr(&blk, VIO_QUEUE_NOTIFY, 0);
	expect_needs_reset(&blk, "avail idx moved by queue size + 1");
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	blk.avail_idx += 0x8000;
	blk.ring->avail.idx = blk.avail_idx;
	vio_wr(&blk, VIO_QUEUE_NOTIFY, 0);
	expect_needs_reset(&blk, "avail idx moved by 0x8000");
}

/* ---- transport attacks ---- */

/* QueueReady with a bad queue: NEEDS_RESET at once, before DRIVER_OK. */
static void bad_queue(u32 size, u64 desc_a, u64 avail_a, u64 used_a, const char *what)
{
	GUEST_ASSERT(virtio_negotiate(&blk, VIO_F_INDIRECT));
	virtio_queue_setup_at(&blk, 0, size, desc_a, avail_a, used_a);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 0);
	GUEST_ASSERT(vio_rd(&blk, VIO_STATUS) & VIO_S_NEEDS_RESET);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_INT_STATUS), 0);
	/* DRIVER_OK does not start it. */
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
	driver_ok_after_error = true;
	expect_needs_reset(&blk, what);
	driver_ok_after_error = false;
}

static void a_bad_queue(void)
{
	u64 d = A(blk_ring.desc), a = A(&blk_ring.avail), u = A(&blk_ring.used);

	bad_queue(VQ_SIZE, d, a, ram_low_end, "used ring beyond RAM");
	bad_queue(VQ_SIZE, d, a, ram_low_end - 64, "used ring running past the end of RAM");
	bad_queue(VQ_SIZE, d, a, 0xd0000000ull, "used ring on the device's registers");
	bad_queue(VQ_SIZE, 0xfee00000ull, a, u, "descriptor table on the LAPIC");
	bad_queue(VQ_SIZE, d + 8, a, u, "misaligned descriptor table");
	bad_queue(VQ_SIZE, d, a, u + 2, "misaligned used ring");
	bad_queue(12, d, a, u, "queue size 12");
	bad_queue(512, d, a, u, "queue size 512 > QueueNumMax");
	bad_queue(0, d, a, u, "queue size 0");
}

/* Queue registers after DRIVER_OK are ignored (CVE-2026-5747). */
static void a_reconfig_after_driver_ok(void)
{
	u64 dd = A(decoy_ring.desc);

	/* If the device took the decoy rings, it would see a bad chain there. */
	memset(&decoy_ring, 0, sizeof(decoy_ring));
	desc(decoy_ring.desc, 0, ram_low_end, 512, VRING_F_WRITE, 0);
	decoy_ring.avail.idx = 1;
	vio_wr(&blk, VIO_QUEUE_SEL, 0);
	vio_wr(&blk, VIO_QUEUE_NUM, 2);
	vio_wr(&blk, VIO_QUEUE_DESC_LO, (u32)dd);
	vio_wr(&blk, VIO_QUEUE_DESC_HI, 0);
	vio_wr(&blk, VIO_QUEUE_DRIVER_LO, (u32)A(&decoy_ring.avail));
	vio_wr(&blk, VIO_QUEUE_DEVICE_LO, (u32)A(&decoy_ring.used));
	vio_wr(&blk, VIO_QUEUE_READY, 1);
	vio_wr(&blk, VIO_QUEUE_NOTIFY, 0);
	expect_ignored(&blk, "QueueNum/Desc/Driver/Device/Ready after DRIVER_OK");
	GUEST_ASSERT_EQ(decoy_ring.used.idx, 0);
	vio_wr(&blk, VIO_QUEUE_READY, 0);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 1);
	expect_ignored(&blk, "QueueReady = 0 after DRIVER_OK");
	/* The same on rng. */
	vio_wr(&rng, VIO_QUEUE_DESC_LO, (u32)dd);
	vio_wr(&rng, VIO_QUEUE_NUM, 1);
	expect_ignored(&rng, "rng QueueDesc/QueueNum after DRIVER_OK");
}

/* Queue registers before FEATURES_OK are ignored: the queue is still unset
 * (size 0) when QueueReady comes, so that one fails. */
static void a_config_before_features_ok(void)
{
	virtio_reset(&blk);
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER);
	vio_wr(&blk, VIO_DRV_FEATURES_SEL, 1);
	vio_wr(&blk, VIO_DRV_FEATURES, 1);	/* VERSION_1 */
	vio_wr(&blk, VIO_QUEUE_SEL, 0);
	vio_wr(&blk, VIO_QUEUE_NUM, VQ_SIZE);
	vio_wr(&blk, VIO_QUEUE_DESC_LO, (u32)A(blk_ring.desc));
	vio_wr(&blk, VIO_QUEUE_DRIVER_LO, (u32)A(&blk_ring.avail));
	vio_wr(&blk, VIO_QUEUE_DEVICE_LO, (u32)A(&blk_ring.used));
	vio_wr(&blk, VIO_QUEUE_READY, 1);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 0);
	GUEST_ASSERT(status_clean(&blk));
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK);
	GUEST_ASSERT(vio_rd(&blk, VIO_STATUS) & VIO_S_FEATURES_OK);
	vio_wr(&blk, VIO_QUEUE_READY, 1);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 0);
	expect_needs_reset(&blk, "queue set up before FEATURES_OK, made ready after");
}

/* Kicks for a queue that is not ready: nothing happens. */
static void a_notify_unready(void)
{
	struct vdesc *t = blk_ring.desc;

	/* Rings programmed, QueueReady never written, DRIVER_OK. */
	GUEST_ASSERT(virtio_negotiate(&blk, VIO_F_INDIRECT));
	memset(&blk_ring, 0, sizeof(blk_ring));
	blk.avail_idx = blk.used_seen = 0;
	vio_wr(&blk, VIO_QUEUE_SEL, 0);
	vio_wr(&blk, VIO_QUEUE_NUM, VQ_SIZE);
	vio_wr(&blk, VIO_QUEUE_DESC_LO, (u32)A(t));
	vio_wr(&blk, VIO_QUEUE_DRIVER_LO, (u32)A(&blk_ring.avail));
	vio_wr(&blk, VIO_QUEUE_DEVICE_LO, (u32)A(&blk_ring.used));
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	vq_submit(&blk, 0);
	nothing_completes(&blk, 300);
	GUEST_ASSERT(status_clean(&blk));
	init(&blk);
	expect_ignored(&blk, "QueueNotify for a queue that is not ready");
}

static void a_notify_nonexistent(void)
{
	static const u32 qs[] = { 1, 3, 4, 0xffff, 0x10000, 0xffffffffu };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		vio_wr(&blk, VIO_QUEUE_NOTIFY, qs[i]);
		vio_wr(&rng, VIO_QUEUE_NOTIFY, qs[i]);
	}
	expect_ignored(&blk, "QueueNotify for queues 1, 3, 4, 0xffff, 0x10000, 0xffffffff");
	expect_ignored(&rng, "rng QueueNotify for queues that do not exist");
}

/* A kick before DRIVER_OK is not lost: DRIVER_OK looks at the queue. */
static void a_notify_before_driver_ok(void)
{
	GUEST_ASSERT(virtio_negotiate(&blk, VIO_F_INDIRECT));
	virtio_queue_setup(&blk, 0, VQ_SIZE);
	blk_chain(&blk, T_IN, 0, A(buf2), 512);
	vq_submit(&blk, 0);
	nothing_completes(&blk, 300);
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
	GUEST_ASSERT_EQ(wait_head0(&blk), 513);
	GUEST_ASSERT_EQ(st, S_OK);
	expect_ignored(&blk, "QueueNotify before DRIVER_OK (served at DRIVER_OK)");
}

static void a_queue_sel_oob(void)
{
	static const u32 sels[] = { 1, 4, 0x10000, 0xffffffffu };
	u32 i;

	GUEST_ASSERT(virtio_negotiate(&blk, VIO_F_INDIRECT));
	for (i = 0; i < ARRAY_SIZE(sels); i++) {
		vio_wr(&blk, VIO_QUEUE_SEL, sels[i]);
		GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_NUM_MAX), 0);
		GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 0);
		vio_wr(&blk, VIO_QUEUE_NUM, 3);
		vio_wr(&blk, VIO_QUEUE_DESC_LO, 0xfffff008u);
		vio_wr(&blk, VIO_QUEUE_DEVICE_HI, 0xffffffffu);
		vio_wr(&blk, VIO_QUEUE_READY, 1);
		GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 0);
		GUEST_ASSERT(status_clean(&blk));
	}
	/* Queue 0 was not touched: set it up normally. */
	vio_wr(&blk, VIO_QUEUE_SEL, 0);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_NUM_MAX) >= VQ_SIZE, 1);
	virtio_queue_setup(&blk, 0, VQ_SIZE);
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
	vio_wr(&blk, VIO_QUEUE_SEL, 7);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 0);
	expect_ignored(&blk, "QueueSel 1, 4, 0x10000, 0xffffffff");
}

static u64 capacity(const struct vdev *d)
{
	return vio_rd(d, VIO_CONFIG) | (u64)vio_rd(d, VIO_CONFIG + 4) << 32;
}

static void a_config_oob(void)
{
	u64 b = blk.base;

	GUEST_ASSERT_EQ(capacity(&blk), sectors);
	GUEST_ASSERT_EQ(mmio_read32(b + VIO_CONFIG + 60), 0);		/* just past 60 bytes */
	GUEST_ASSERT_EQ(mmio_read32(b + VIO_CONFIG + 58), 0);		/* straddling the end */
	GUEST_ASSERT_EQ(*(volatile u64 *)(b + VIO_CONFIG + 56), 0);
	GUEST_ASSERT_EQ(*(volatile u8 *)(b + VIO_CONFIG + 0x800), 0);
	GUEST_ASSERT_EQ(mmio_read32(b + 0xffc), 0);			/* the page's last word */
	GUEST_ASSERT_EQ(*(volatile u16 *)(b + 0xffe), 0);
	mmio_write32(b + VIO_CONFIG + 60, 0x12345678);
	mmio_write32(b + VIO_CONFIG + 0xefc, 0x12345678);
	*(volatile u64 *)(b + VIO_CONFIG + 56) = ~0ull;
	/* rng has no config space at all. */
	GUEST_ASSERT_EQ(mmio_read32(rng.base + VIO_CONFIG), 0);
	GUEST_ASSERT_EQ(*(volatile u8 *)(rng.base + VIO_CONFIG), 0);
	mmio_write32(rng.base + VIO_CONFIG, 0x12345678);
	GUEST_ASSERT_EQ(capacity(&blk), sectors);
	expect_ignored(&blk, "config reads/writes outside 60 bytes of config space");
	expect_ignored(&rng, "rng config access (no config space)");
	/* Inside, but read-only: the capacity stays. */
	mmio_write32(b + VIO_CONFIG, 1);
	*(volatile u8 *)(b + VIO_CONFIG + 4) = 0xff;
	GUEST_ASSERT_EQ(capacity(&blk), sectors);
	expect_ignored(&blk, "writes to read-only config space");
}

/* 1-, 2- and 8-byte and unaligned accesses to 32-bit registers, many times. */
static void a_access_width(void)
{
	u64 b = blk.base;
	u32 s = vio_rd(&blk, VIO_STATUS), i;

	for (i = 0; i < 200; i++) {
		GUEST_ASSERT_EQ(*(volatile u8 *)(b + VIO_MAGIC), 0);
		GUEST_ASSERT_EQ(*(volatile u16 *)(b + VIO_MAGIC), 0);
		GUEST_ASSERT_EQ(*(volatile u64 *)(b + VIO_MAGIC), 0);
		GUEST_ASSERT_EQ(mmio_read32(b + VIO_MAGIC + 2), 0);
		GUEST_ASSERT_EQ(*(volatile u8 *)(b + VIO_STATUS), 0);
		*(volatile u8 *)(b + VIO_STATUS) = 0;		/* would be a reset */
		*(volatile u16 *)(b + VIO_STATUS) = 0;
		*(volatile u64 *)(b + VIO_STATUS) = 0;
		mmio_write32(b + VIO_STATUS + 1, 0);
		*(volatile u16 *)(b + VIO_QUEUE_NOTIFY) = 0;
		*(volatile u8 *)(b + VIO_QUEUE_SEL) = 5;
		*(volatile u64 *)(b + VIO_QUEUE_DESC_LO) = 0;
	}
	/* Read-only and write-only registers used the wrong way. */
	mmio_write32(b + VIO_MAGIC, 0);
	mmio_write32(b + VIO_DEVICE_ID, 0);
	GUEST_ASSERT_EQ(mmio_read32(b + VIO_QUEUE_NOTIFY), 0);
	GUEST_ASSERT_EQ(mmio_read32(b + VIO_QUEUE_DESC_LO), 0);
	GUEST_ASSERT_EQ(mmio_read32(b + 0x0f0), 0);			/* no register there */
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_STATUS), s);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_MAGIC), 0x74726976u);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_QUEUE_READY), 1);
	expect_ignored(&blk, "200 rounds of 1/2/8-byte and unaligned register accesses");
}

/* Status may only gain bits; clearing one without a reset is ignored. */
static void a_status_clear(void)
{
	u32 s = vio_rd(&blk, VIO_STATUS);

	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK);
	vio_wr(&blk, VIO_STATUS, VIO_S_NEEDS_RESET);
	vio_wr(&blk, VIO_STATUS, VIO_S_DRIVER_OK);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_STATUS), s);
	expect_ignored(&blk, "Status writes that clear bits");
}

/* Feature negotiation a driver gets wrong: refused, as spec 3.1.1 says. */
static void a_features(void)
{
	u32 s = vio_rd(&blk, VIO_STATUS);

	/* After FEATURES_OK, DriverFeatures is ignored: VERSION_1 stays. */
	vio_wr(&blk, VIO_DRV_FEATURES_SEL, 1);
	vio_wr(&blk, VIO_DRV_FEATURES, 0);
	vio_wr(&blk, VIO_DRV_FEATURES_SEL, 0);
	vio_wr(&blk, VIO_DRV_FEATURES, 0xffffffffu);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_STATUS), s);
	expect_ignored(&blk, "DriverFeatures after DRIVER_OK");
	/* A legacy driver (no VERSION_1): FEATURES_OK does not stick, nor DRIVER_OK. */
	virtio_reset(&blk);
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER);
	vio_wr(&blk, VIO_DRV_FEATURES_SEL, 0);
	vio_wr(&blk, VIO_DRV_FEATURES, 0xffffffffu);
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_STATUS), VIO_S_ACK | VIO_S_DRIVER);
	vio_wr(&blk, VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_DRIVER_OK);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_STATUS), VIO_S_ACK | VIO_S_DRIVER);
	/* Pages of features that do not exist read 0 and take nothing. */
	vio_wr(&blk, VIO_DEV_FEATURES_SEL, 2);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_DEV_FEATURES), 0);
	vio_wr(&blk, VIO_DEV_FEATURES_SEL, 0xffffffffu);
	GUEST_ASSERT_EQ(vio_rd(&blk, VIO_DEV_FEATURES), 0);
	GUEST_ASSERT(status_clean(&blk));
	init(&blk);
	expect_ignored(&blk, "FEATURES_OK and DRIVER_OK without VERSION_1 (refused)");
}

/*
 * The same head published twice at once.  The io_uring engine still has
 * the first in flight when it sees the second: NEEDS_RESET.  The sync
 * engine finishes each before looking at the next: two completions.
 */
static void a_head_reuse(void)
{
	struct vused_elem e;

	blk_chain(&blk, T_IN, 0, SCRATCH, 65536);
	blk.ring->avail.ring[blk.avail_idx % VQ_SIZE] = 0;
	blk.ring->avail.ring[(blk.avail_idx + 1) % VQ_SIZE] = 0;
	blk.avail_idx += 2;
	blk.ring->avail.idx = blk.avail_idx;
	vio_wr(&blk, VIO_QUEUE_NOTIFY, 0);
	if (cmdline_has("io=uring")) {
		GUEST_ASSERT(virtio_wait_status(&blk, VIO_S_NEEDS_RESET, 3000));
		udelay(100000);		/* the first one may still complete */
		while (vq_wait_used(&blk, &e, 0))
			GUEST_ASSERT_EQ(e.id, 0);
		expect_needs_reset(&blk, "head 0 twice while in flight (io_uring)");
		return;
	}
	GUEST_ASSERT_EQ(wait_head0(&blk), 65537);
	GUEST_ASSERT_EQ(wait_head0(&blk), 65537);
	GUEST_ASSERT_EQ(st, S_OK);
	expect_ignored(&blk, "head 0 twice (sync engine: served twice)");
}

/* ---- virtio-blk requests: request errors ---- */

static void a_blk_past_end(void)
{
	expect_req_error(&blk, "read at the capacity", T_IN, sectors, A(buf2), 512, S_IOERR);
	expect_req_error(&blk, "read over the end", T_IN, sectors - 1, A(buf2), 1024, S_IOERR);
	memset(buf, 'X', 1024);
	expect_req_error(&blk, "write over the end", T_OUT, sectors - 1, A(buf), 1024, S_IOERR);
	expect_req_error(&blk, "write far past the end", T_OUT, sectors + 1000, A(buf), 512,
			 S_IOERR);
	expect_req_error(&blk, "sector * 512 overflows", T_IN, 1ull << 55, A(buf2), 512, S_IOERR);
	expect_req_error(&blk, "offset + length overflows", T_IN, ~0ull / 512, A(buf2), 512,
			 S_IOERR);
	expect_req_error(&blk, "sector 2^64 - 1", T_OUT, ~0ull, A(buf), 512, S_IOERR);
	/* The last sector itself is fine. */
	expect_blk(&blk, T_IN, sectors - 1, A(buf2), 512, S_OK);
}

static void a_blk_misaligned(void)
{
	struct vdesc *t = blk.ring->desc;

	memset(buf, 'X', 1024);
	expect_req_error(&blk, "read of 100 bytes", T_IN, 0, A(buf2), 100, S_IOERR);
	expect_req_error(&blk, "write of 513 bytes", T_OUT, WSECTOR + 1, A(buf), 513, S_IOERR);
	expect_req_error(&blk, "write of 511 bytes", T_OUT, WSECTOR + 1, A(buf), 511, S_IOERR);
	/* Two writable segments of 300 + 212 bytes make one sector: fine. */
	hdr.type = T_IN;
	hdr.sector = 0;
	st = S_NONE;
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(t, 1, A(buf2), 300, VRING_F_NEXT | VRING_F_WRITE, 2);
	desc(t, 2, A(buf2) + 300, 212, VRING_F_NEXT | VRING_F_WRITE, 3);
	desc(t, 3, A(&st), 1, VRING_F_WRITE, 0);
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 513);
	GUEST_ASSERT_EQ(st, S_OK);
	/* ... and 300 + 300 do not. */
	t[2].len = 300;
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 1);
	GUEST_ASSERT_EQ(st, S_IOERR);
	expect_ignored(&blk, "segments not adding up to whole sectors");
}

static void a_blk_read_only(void)
{
	static struct { u64 sector; u32 num, flags; } seg = { 0, 8, 0 };

	GUEST_ASSERT(ro.features & (1u << 5));	/* VIRTIO_BLK_F_RO */
	GUEST_ASSERT(!(ro.features & (1u << 13)));
	memset(buf, 'X', 512);
	expect_req_error(&ro, "write to the read-only disk", T_OUT, 0, A(buf), 512, S_IOERR);
	expect_req_error(&ro, "write to the read-only disk's last sector", T_OUT, sectors - 1,
			 A(buf), 512, S_IOERR);
	/* DISCARD and WRITE_ZEROES are not offered there: UNSUPP. */
	expect_req_error(&ro, "discard on the read-only disk", T_DISCARD, 0, A(&seg), 16, S_UNSUPP);
	expect_req_error(&ro, "write-zeroes on the read-only disk", T_WRITE_ZEROES, 0, A(&seg), 16,
			 S_UNSUPP);
	expect_blk(&ro, T_FLUSH, 0, 0, 0, S_OK);
}

/* GET_ID into a 32 MiB buffer: 20 bytes of id, nothing else written. */
static void a_blk_get_id_huge(void)
{
	u8 *big = phys_ptr(SCRATCH);
	u32 len = 32 * MIB, i;

	GUEST_ASSERT(ram_low_end >= SCRATCH + len);
	memset(big, 0xaa, 4096);
	memset(big + len - 4096, 0xaa, 4096);
	expect_blk(&blk, T_GET_ID, 0, SCRATCH, len, S_OK);
	GUEST_ASSERT(!memcmp(big, "hostile0\0\0\0\0\0\0\0\0\0\0\0", 20));
	for (i = 20; i < 4096; i++)
		GUEST_ASSERT_EQ(big[i], 0xaa);
	for (i = len - 4096; i < len; i++)
		GUEST_ASSERT_EQ(big[i], 0xaa);
	/* A 5-byte buffer gets 5 bytes. */
	memset(buf2, 0xaa, 32);
	blk_chain(&blk, T_GET_ID, 0, A(buf2), 5);
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 6);
	GUEST_ASSERT_EQ(st, S_OK);
	GUEST_ASSERT(!memcmp(buf2, "hosti\xaa", 6));
	expect_ignored(&blk, "GET_ID with a 32 MiB buffer (20 bytes written)");
}

static void a_blk_no_status(void)
{
	struct vdesc *t = blk.ring->desc;

	/* Header only. */
	hdr.type = T_IN;
	hdr.sector = 0;
	desc(t, 0, A(&hdr), 16, 0, 0);
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 0);
	/* A write with no status byte: refused, nothing written. */
	hdr.type = T_OUT;
	hdr.sector = WSECTOR + 1;
	memset(buf, 'X', 512);
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(t, 1, A(buf), 512, 0, 0);
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 0);
	expect_ignored(&blk, "requests without a status byte (used length 0)");
}

static void a_blk_short_header(void)
{
	struct vdesc *t = blk.ring->desc;

	hdr.type = T_OUT;
	hdr.sector = WSECTOR + 1;
	st = S_NONE;
	desc(t, 0, A(&hdr), 8, VRING_F_NEXT, 1);
	desc(t, 1, A(&st), 1, VRING_F_WRITE, 0);
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 1);
	GUEST_ASSERT_EQ(st, S_IOERR);
	/* Status byte only. */
	desc(t, 0, A(&st), 1, VRING_F_WRITE, 0);
	st = S_NONE;
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 1);
	GUEST_ASSERT_EQ(st, S_IOERR);
	expect_ignored(&blk, "8-byte header, and no header (IOERR)");
}

static void a_blk_unknown_type(void)
{
	expect_req_error(&blk, "type 99", 99, 0, A(buf2), 512, S_UNSUPP);
	expect_req_error(&blk, "type 0xffffffff", 0xffffffffu, 0, A(buf2), 512, S_UNSUPP);
}

/* 127 data segments (seg_max is 126): IOERR; 126 are fine. */
static void a_blk_too_many_segments(void)
{
	u16 i, n;

	for (n = 126; n <= 127; n++) {
		hdr.type = T_IN;
		hdr.sector = 0;
		st = S_NONE;
		desc(itab, 0, A(&hdr), 16, VRING_F_NEXT, 1);
		for (i = 1; i <= n; i++)
			desc(itab, i, SCRATCH + 512ull * i, 512, VRING_F_NEXT | VRING_F_WRITE,
			     (u16)(i + 1));
		desc(itab, (u16)(n + 1), A(&st), 1, VRING_F_WRITE, 0);
		desc(blk.ring->desc, 0, A(itab), (n + 2) * 16u, VRING_F_INDIRECT, 0);
		vq_submit(&blk, 0);
		GUEST_ASSERT_EQ(wait_head0(&blk), n == 126 ? 126 * 512 + 1 : 1);
		GUEST_ASSERT_EQ(st, n == 126 ? S_OK : S_IOERR);
	}
	expect_ignored(&blk, "127 data segments (IOERR; 126 fine)");
}

/* A zero-length descriptor is dropped: its address is never used. */
static void a_zero_length(void)
{
	struct vdesc *t = blk.ring->desc;

	hdr.type = T_IN;
	hdr.sector = 0;
	st = S_NONE;
	memset(buf2, 0, 512);
	desc(t, 0, A(&hdr), 16, VRING_F_NEXT, 1);
	desc(t, 1, ~0ull, 0, VRING_F_NEXT, 2);
	desc(t, 2, A(buf2), 512, VRING_F_NEXT | VRING_F_WRITE, 3);
	desc(t, 3, 0xd0000000ull, 0, VRING_F_NEXT | VRING_F_WRITE, 4);
	desc(t, 4, A(&st), 1, VRING_F_WRITE, 0);
	vq_submit(&blk, 0);
	GUEST_ASSERT_EQ(wait_head0(&blk), 513);
	GUEST_ASSERT_EQ(st, S_OK);
	GUEST_ASSERT(!memcmp(buf2, "1\n2\n3\n", 6));
	expect_ignored(&blk, "zero-length descriptors at 2^64 - 1 and in the MMIO hole");
}

/* ---- virtio-rng ---- */

static void a_rng_huge(void)
{
	u8 *big = phys_ptr(SCRATCH);
	struct vused_elem e;
	u32 i;

	memset(big + 65536, 0xaa, 4096);
	desc(rng.ring->desc, 0, SCRATCH, (u32)MIB, VRING_F_WRITE, 0);
	vq_submit(&rng, 0);
	GUEST_ASSERT(vq_wait_used(&rng, &e, 3000));
	GUEST_ASSERT_EQ(e.len, 65536);
	for (i = 0; i < 4096; i++)
		GUEST_ASSERT_EQ(big[65536 + i], 0xaa);
	/* 16 buffers of 8 KiB: 64 KiB filled in all. */
	for (i = 0; i < VQ_SIZE; i++)
		desc(rng.ring->desc, (u16)i, SCRATCH + 8192ull * i, 8192,
		     VRING_F_WRITE | (i + 1 < VQ_SIZE ? VRING_F_NEXT : 0), (u16)(i + 1));
	vq_submit(&rng, 0);
	GUEST_ASSERT(vq_wait_used(&rng, &e, 3000));
	GUEST_ASSERT_EQ(e.len, 65536);
	/* A readable buffer only: nothing to fill. */
	desc(rng.ring->desc, 0, A(buf2), 64, 0, 0);
	vq_submit(&rng, 0);
	GUEST_ASSERT(vq_wait_used(&rng, &e, 3000));
	GUEST_ASSERT_EQ(e.len, 0);
	expect_ignored(&rng, "1 MiB request (64 KiB filled), readable-only request");
}

static void a_rng_loop(void)
{
	desc(rng.ring->desc, 0, A(buf2), 64, VRING_F_WRITE | VRING_F_NEXT, 1);
	desc(rng.ring->desc, 1, A(buf2), 64, VRING_F_WRITE | VRING_F_NEXT, 0);
	submit_needs_reset(&rng, 0, "rng chain 0 -> 1 -> 0");
	desc(rng.ring->desc, 0, ram_low_end, 64, VRING_F_WRITE, 0);
	submit_needs_reset(&rng, 0, "rng buffer beyond RAM");
}

/* ---- main ---- */

struct attack {
	const char *name;
	void (*fn)(void);
};

static const struct attack attacks[] = {
	{ "head-oob", a_head_oob },
	{ "next-oob", a_next_oob },
	{ "loop", a_loop },
	{ "chain-longer-than-queue", a_chain_longer_than_queue },
	{ "chain-too-long", a_chain_too_long },
	{ "indirect-nested", a_indirect_nested },
	{ "indirect-len", a_indirect_len },
	{ "indirect-outside-ram", a_indirect_outside_ram },
	{ "indirect-not-negotiated", a_indirect_not_negotiated },
	{ "addr-beyond-ram", a_addr_beyond_ram },
	{ "addr-mmio-hole", a_addr_mmio_hole },
	{ "addr-wrap", a_addr_wrap },
	{ "addr-straddle", a_addr_straddle },
	{ "len-overflow", a_len_overflow },
	{ "zero-length", a_zero_length },
	{ "writable-before-readable", a_writable_before_readable },
	{ "avail-idx-jump", a_avail_idx_jump },
	{ "bad-queue", a_bad_queue },
	{ "reconfig-after-driver-ok", a_reconfig_after_driver_ok },
	{ "config-before-features-ok", a_config_before_features_ok },
	{ "notify-unready", a_notify_unready },
	{ "notify-nonexistent", a_notify_nonexistent },
	{ "notify-before-driver-ok", a_notify_before_driver_ok },
	{ "queue-sel-oob", a_queue_sel_oob },
	{ "config-oob", a_config_oob },
	{ "access-width", a_access_width },
	{ "status-clear", a_status_clear },
	{ "features", a_features },
	{ "head-reuse", a_head_reuse },
	{ "blk-past-end", a_blk_past_end },
	{ "blk-misaligned", a_blk_misaligned },
	{ "blk-read-only", a_blk_read_only },
	{ "blk-get-id-huge", a_blk_get_id_huge },
	{ "blk-no-status", a_blk_no_status },
	{ "blk-short-header", a_blk_short_header },
	{ "blk-unknown-type", a_blk_unknown_type },
	{ "blk-too-many-segments", a_blk_too_many_segments },
	{ "rng-huge", a_rng_huge },
	{ "rng-loop", a_rng_loop },
};

void guest_main(void)
{
	char key[64];
	u64 mem = cmdline_uint("mem", 64);
	u32 i;

	ram_low_end = (mem > 3072 ? 3072 : mem) * MIB;
	ram_high_end = mem > 3072 ? 0x100000000ull + (mem - 3072) * MIB : 0;
	sectors = cmdline_uint("sectors", 0);
	GUEST_ASSERT(sectors > WSECTOR + 1);
	GUEST_ASSERT(virtio_find(&blk, VIO_ID_BLOCK, 0, &blk_ring));
	GUEST_ASSERT(virtio_find(&ro, VIO_ID_BLOCK, 1, &ro_ring));
	GUEST_ASSERT(virtio_find(&rng, VIO_ID_RNG, 0, &rng_ring));
	init(&blk);
	init(&ro);
	init(&rng);
	GUEST_ASSERT_EQ(capacity(&blk), sectors);
	blk_works(&blk);
	blk_read_works(&ro);
	rng_works(&rng);
	for (i = 0; i < ARRAY_SIZE(attacks); i++) {
		snprintf(key, sizeof(key), "attack=%s", attacks[i].name);
		if (!cmdline_has(key))
			continue;
		attack = attacks[i].name;
		attacks[i].fn();
		/* Whatever happened, every device still serves. */
		works(&blk);
		works(&ro);
		works(&rng);
		GUEST_PRINTF("virtio_hostile: %s: ok", attack);
		return;
	}
	GUEST_ABORT("no known attack=NAME on the command line");
}
