// SPDX-License-Identifier: MIT
/* tests/unit/test_snapshot.c: snapshot state-file format: round trips and every corruption class the reader must refuse. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot/format.h"
#include "snapshot/state.h"

static char why[256];

/* A small file: u32 1, u64 2, bytes 3, section 4 { u32 1, section 2 { u64 7 } }. */
static size_t build_small(uint8_t **out)
{
	static struct snap_writer w;
	const uint8_t *buf;
	size_t len;

	snap_writer_free(&w);
	snap_writer_init(&w);
	snap_put_u32(&w, 1, 0xdeadbeef);
	snap_put_u64(&w, 2, 0x0123456789abcdefull);
	snap_put_bytes(&w, 3, "hello", 5);
	snap_begin(&w, 4);
	snap_put_u32(&w, 1, 42);
	snap_begin(&w, 2);
	snap_put_u64(&w, 7, 7);
	snap_end(&w);
	snap_end(&w);
	if (snap_writer_finish(&w, &buf, &len))
		return 0;
	*out = malloc(len);
	memcpy(*out, buf, len);
	return len;
}

/* Read the small file fully; 0 when everything checks out. */
static int read_small(const uint8_t *buf, size_t len)
{
	struct snap_ctx ctx;
	struct snap_reader r, s, t;
	uint32_t a = 0, b = 0;
	uint64_t c = 0, d = 0;
	char str[8];
	int err;

	why[0] = 0;
	err = snap_open(&r, &ctx, buf, len, why, sizeof(why));
	if (err)
		return err;
	if (snap_get_u32(&r, 1, &a) || snap_get_u64(&r, 2, &c) ||
	    snap_get_str(&r, 3, str, sizeof(str)) || snap_get_section(&r, 4, &s)) {
		snap_close(&r);
		return -EINVAL;
	}
	if (!snap_get_u32(&s, 1, &b) && !snap_get_section(&s, 2, &t)) {
		if (snap_get_u64(&t, 7, &d))
			snap_fail(&t, "x");
		snap_close(&t);
	}
	snap_close(&s);
	err = snap_close(&r);
	if (!err && (a != 0xdeadbeef || c != 0x0123456789abcdefull || strcmp(str, "hello") ||
		     b != 42 || d != 7))
		return -EDOM;
	return err;
}

static void test_crc64_check_value(void)
{
	CHECK_EQ(snap_crc64(0, "123456789", 9), 0x995dc9bbdf1939faull);
	/* Chaining equals one pass. */
	CHECK_EQ(snap_crc64(snap_crc64(0, "1234", 4), "56789", 5), 0x995dc9bbdf1939faull);
}

static void test_roundtrip_small(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);

	CHECK(len > SNAP_HEADER_SIZE + SNAP_TRAILER_SIZE);
	CHECK_EQ(memcmp(buf, "EMBERSNP", 8), 0);
	CHECK_EQ(read_small(buf, len), 0);
	free(buf);
}

/* Re-seal a modified file so that only the targeted check can fire. */
static void reseal(uint8_t *buf, size_t len)
{
	snap_le64(buf + len - 8, snap_crc64(0, buf, len - 8));
}

static void test_bad_magic(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);

	buf[0] ^= 1;
	reseal(buf, len);
	CHECK_EQ(read_small(buf, len), -EINVAL);
	CHECK(strstr(why, "bad magic") != NULL);
	free(buf);
}

static void test_wrong_major_version(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);

	buf[8] = SNAP_VERSION_MAJOR + 1;
	reseal(buf, len);
	CHECK_EQ(read_small(buf, len), -EINVAL);
	CHECK(strstr(why, "version 2.1 is not supported") != NULL);
	free(buf);
}

static void test_newer_minor_version_accepted(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);

	buf[10] = 7;
	reseal(buf, len);
	CHECK_EQ(read_small(buf, len), 0);
	free(buf);
}

static void test_bad_crc(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);

	/* Any flipped bit in the body, or in the CRC itself. */
	for (size_t i = SNAP_HEADER_SIZE; i < len; i++) {
		buf[i] ^= 0x10;
		CHECK_EQ(read_small(buf, len), -EINVAL);
		CHECK(strstr(why, "checksum mismatch") != NULL);
		buf[i] ^= 0x10;
	}
	CHECK_EQ(read_small(buf, len), 0);
	free(buf);
}

static void test_truncation_at_every_byte(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);

	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, buf, n);
		if (read_small(cut, n) != -EINVAL) {
			CHECK(!"truncated file accepted");
			fprintf(stderr, "  truncated at %zu of %zu\n", n, len);
		}
		free(cut);
	}
	free(buf);
}

/* Record header of the first top-level record. */
#define FIRST_REC (SNAP_HEADER_SIZE)

static void test_oversize_length(void)
{
	uint8_t *buf = NULL;
	size_t len = build_small(&buf);
	/* Record 3 (bytes "hello") starts after u32 and u64 records. */
	size_t rec3 = FIRST_REC + 12 + 4 + 12 + 8;
	uint32_t huge[] = { 6, 1000, 0x7fffffff, 0xffffffff };

	CHECK_EQ(buf[rec3], 3);
	for (size_t i = 0; i < ARRAY_SIZE(huge); i++) {
		uint8_t *b = malloc(len);

		memcpy(b, buf, len);
		b[rec3 + 8] = (uint8_t)huge[i];
		b[rec3 + 9] = (uint8_t)(huge[i] >> 8);
		b[rec3 + 10] = (uint8_t)(huge[i] >> 16);
		b[rec3 + 11] = (uint8_t)(huge[i] >> 24);
		reseal(b, len);
		CHECK_EQ(read_small(b, len), -EINVAL);
		free(b);
	}
	free(buf);
}

static void test_fixed_size_type_with_wrong_length(void)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;
	struct snap_ctx ctx;
	struct snap_reader r;

	snap_writer_init(&w);
	snap_put(&w, 1, SNAP_T_U64, 0, "abcd", 4);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "u64 of length 4") != NULL);
	snap_close(&r);
	snap_writer_free(&w);
}

static void test_unknown_mandatory_tag(void)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;
	struct snap_ctx ctx;
	struct snap_reader r;
	uint32_t v;

	snap_writer_init(&w);
	snap_put_u32(&w, 1, 5);
	snap_put_u32(&w, 99, 6);	/* a field this reader does not know */
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), 0);
	CHECK_EQ(snap_get_u32(&r, 1, &v), 0);
	CHECK_EQ(snap_close(&r), -EINVAL);
	CHECK(strstr(why, "unknown mandatory field 0x63") != NULL);
	snap_writer_free(&w);
}

static void test_unknown_optional_tag_ignored(void)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;
	struct snap_ctx ctx;
	struct snap_reader r;
	uint32_t v;

	snap_writer_init(&w);
	snap_put_u32(&w, 1, 5);
	snap_put(&w, 99, SNAP_T_BYTES, SNAP_F_OPTIONAL, "x", 1);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), 0);
	CHECK_EQ(snap_get_u32(&r, 1, &v), 0);
	CHECK_EQ(snap_close(&r), 0);
	snap_writer_free(&w);
}

static void test_duplicate_tags(void)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;
	struct snap_ctx ctx;
	struct snap_reader r, s;

	snap_writer_init(&w);
	snap_put_u32(&w, 1, 5);
	snap_put_u32(&w, 1, 6);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "tag 0x1 appears twice") != NULL);
	snap_close(&r);
	snap_writer_free(&w);

	/* Nested: found when the section is opened. */
	snap_writer_init(&w);
	snap_begin(&w, 2);
	snap_put_u64(&w, 3, 1);
	snap_put_u32(&w, 3, 1);
	snap_end(&w);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), 0);
	CHECK_EQ(snap_get_section(&r, 2, &s), -EINVAL);
	CHECK(strstr(why, "/0x2: tag 0x3 appears twice") != NULL);
	snap_close(&s);
	snap_close(&r);
	snap_writer_free(&w);
}

static void test_type_mismatch_and_ranges(void)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;
	struct snap_ctx ctx;
	struct snap_reader r;
	uint64_t v;
	uint32_t u;

	snap_writer_init(&w);
	snap_put_u32(&w, 1, 5);
	snap_put_u64(&w, 2, 100);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), 0);
	CHECK_EQ(snap_get_u64(&r, 1, &v), -EINVAL);
	CHECK(strstr(why, "is a u32, expected a u64") != NULL);
	snap_close(&r);

	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), 0);
	CHECK_EQ(snap_get_u32_range(&r, 1, 0, 4, &u), -EINVAL);
	CHECK(strstr(why, "out of range 0..4") != NULL);
	snap_close(&r);

	CHECK_EQ(snap_open(&r, &ctx, buf, len, why, sizeof(why)), 0);
	CHECK_EQ(snap_get_u64(&r, 9, &v), -ENOENT);	/* absent: caller decides */
	CHECK_EQ(snap_require(&r, 9), -EINVAL);
	snap_close(&r);
	snap_writer_free(&w);
}

static void test_depth_limit(void)
{
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;

	snap_writer_init(&w);
	for (unsigned int i = 0; i <= SNAP_MAX_DEPTH; i++)
		snap_begin(&w, 1);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), -E2BIG);
	snap_writer_free(&w);

	snap_writer_init(&w);
	snap_begin(&w, 1);	/* never closed */
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), -EINVAL);
	snap_writer_free(&w);
}

static void fill_vcpu(struct snap_vcpu *v, unsigned int seed)
{
	memset(v, 0, sizeof(*v));
	v->regs.rax = 1 + seed;
	v->regs.r15 = 0xf15;
	v->regs.rip = 0x200000 + seed;
	v->regs.rflags = 0x202;
	v->sregs.cs.base = 0;
	v->sregs.cs.limit = 0xffffffff;
	v->sregs.cs.selector = 0x10;
	v->sregs.cs.type = 11;
	v->sregs.cs.present = 1;
	v->sregs.cs.l = 1;
	v->sregs.cs.g = 1;
	v->sregs.cs.s = 1;
	v->sregs.gdt.base = 0x500;
	v->sregs.gdt.limit = 0x27;
	v->sregs.cr0 = 0x80000011;
	v->sregs.cr3 = 0x9000;
	v->sregs.cr4 = 0x20;
	v->sregs.efer = 0x500;
	v->sregs.apic_base = 0xfee00900;
	v->sregs.interrupt_bitmap[3] = 1ull << 63;
	v->nmsrs = 3;
	v->msrs[0].index = 0x10;
	v->msrs[0].data = 123456789;
	v->msrs[1].index = 0xc0000080;
	v->msrs[1].data = 0x500;
	v->msrs[2].index = 0x4b564d01;
	v->msrs[2].data = 0;
	v->xsave_len = SNAP_MIN_XSAVE;
	for (unsigned int i = 0; i < v->xsave_len; i++)
		v->xsave[i] = (uint8_t)(i * 7 + seed);
	v->xcrs.nr_xcrs = 1;
	v->xcrs.xcrs[0].value = 7;
	for (unsigned int i = 0; i < sizeof(v->lapic.regs); i++)
		v->lapic.regs[i] = (char)(i ^ seed);
	v->events.exception.nr = 14;
	v->events.exception.error_code = 0xdead;
	v->events.nmi.masked = 1;
	v->events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	v->events.exception_payload = 0x1234;
	v->mp_state.mp_state = seed ? KVM_MP_STATE_INIT_RECEIVED : KVM_MP_STATE_RUNNABLE;
	v->debugregs.dr6 = 0xffff0ff0;
	v->debugregs.dr7 = 0x400;
	v->ncpuid = 2;
	v->cpuid[0].function = 0;
	v->cpuid[0].eax = 0xd;
	v->cpuid[1].function = 0x40000001;
	v->cpuid[1].flags = 1;
	v->cpuid[1].edx = 0xabcdef;
	v->tsc_khz = 2600000;
}

/* A complete machine: encode every section, decode, compare. */
static size_t build_machine(struct snap_state *in, const uint8_t **out, struct snap_writer *w)
{
	size_t len = 0;

	memset(in, 0, sizeof(*in));
	in->machine = (struct snap_machine){ .vcpus = 2, .mem_mib = 4096, .pit = true,
					     .acpi = true, .ucall = false };
	CHECK_EQ(snap_memory_layout(4096, &in->memory), 0);
	in->memory.kind = SNAP_KIND_FULL;
	fill_vcpu(&in->vcpu[0], 0);
	fill_vcpu(&in->vcpu[1], 1);
	in->vm.pic[0].irq_base = 0x20;
	in->vm.pic[1].irq_base = 0x28;
	in->vm.pic[1].elcr_mask = 0xde;
	in->vm.ioapic.base_address = 0xfec00000;
	in->vm.ioapic.id = 2;
	in->vm.ioapic.redirtbl[4].bits = 0x10024;
	in->vm.has_pit = true;
	for (int i = 0; i < 3; i++) {
		in->vm.pit.channels[i].count = 0x10000;
		in->vm.pit.channels[i].mode = i == 0 ? 2 : 0xff;
		in->vm.pit.channels[i].gate = 1;
		in->vm.pit.channels[i].count_load_time = -5 + i;
	}
	in->vm.clock = 987654321;

	snap_writer_init(w);
	snap_encode_info(w, "test", 1, SNAP_KIND_FULL);
	snap_encode_machine(w, &in->machine);
	snap_encode_memory(w, &in->memory);
	snap_begin(w, SNAP_SEC_VCPUS);
	snap_encode_vcpu(w, 0, &in->vcpu[0]);
	snap_encode_vcpu(w, 1, &in->vcpu[1]);
	snap_end(w);
	snap_encode_vmstate(w, &in->vm);
	CHECK_EQ(snap_writer_finish(w, out, &len), 0);
	return len;
}

static int decode(const uint8_t *buf, size_t len, struct snap_state *out)
{
	struct snap_ctx ctx;
	struct snap_reader r;
	int err;

	why[0] = 0;
	err = snap_open(&r, &ctx, buf, len, why, sizeof(why));
	if (!err)
		err = snap_decode(&r, out);
	if (!err)
		err = snap_close(&r);
	else
		snap_close(&r);
	return err;
}

static void test_machine_roundtrip(void)
{
	struct snap_state *in = malloc(sizeof(*in)), *out = malloc(sizeof(*out));
	struct snap_writer w;
	const uint8_t *buf;
	size_t len = build_machine(in, &buf, &w);

	CHECK_EQ(decode(buf, len, out), 0);
	CHECK_EQ(out->machine.vcpus, 2);
	CHECK_EQ(out->machine.mem_mib, 4096);
	CHECK_EQ(out->memory.nregions, 2);
	CHECK_EQ(out->memory.region[1].gpa, 0x100000000ull);
	CHECK_EQ(out->memory.region[1].file_offset, 0xc0000000ull);
	for (int i = 0; i < 2; i++) {
		const struct snap_vcpu *a = &in->vcpu[i], *b = &out->vcpu[i];

		CHECK_EQ(memcmp(&a->regs, &b->regs, sizeof(a->regs)), 0);
		CHECK_EQ(memcmp(&a->sregs, &b->sregs, sizeof(a->sregs)), 0);
		CHECK_EQ(b->nmsrs, 3);
		CHECK_EQ(memcmp(a->msrs, b->msrs, 3 * sizeof(a->msrs[0])), 0);
		CHECK_EQ(b->xsave_len, a->xsave_len);
		CHECK_EQ(memcmp(a->xsave, b->xsave, a->xsave_len), 0);
		CHECK_EQ(memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs)), 0);
		CHECK_EQ(memcmp(&a->lapic, &b->lapic, sizeof(a->lapic)), 0);
		CHECK_EQ(memcmp(&a->events, &b->events, sizeof(a->events)), 0);
		CHECK_EQ(b->mp_state.mp_state, a->mp_state.mp_state);
		CHECK_EQ(memcmp(&a->debugregs, &b->debugregs, sizeof(a->debugregs)), 0);
		CHECK_EQ(b->ncpuid, 2);
		CHECK_EQ(memcmp(a->cpuid, b->cpuid, 2 * sizeof(a->cpuid[0])), 0);
		CHECK_EQ(b->tsc_khz, 2600000);
	}
	CHECK_EQ(memcmp(in->vm.pic, out->vm.pic, sizeof(in->vm.pic)), 0);
	CHECK_EQ(memcmp(&in->vm.ioapic, &out->vm.ioapic, sizeof(in->vm.ioapic)), 0);
	CHECK_EQ(memcmp(&in->vm.pit, &out->vm.pit, sizeof(in->vm.pit)), 0);
	CHECK_EQ(out->vm.clock, 987654321);
	snap_writer_free(&w);
	free(in);
	free(out);
}

static void test_machine_truncation_and_bitflips(void)
{
	struct snap_state *in = malloc(sizeof(*in)), *out = malloc(sizeof(*out));
	struct snap_writer w;
	const uint8_t *buf;
	size_t len = build_machine(in, &buf, &w), fails = 0;
	uint8_t *b = malloc(len);

	/* Every truncation is refused. */
	for (size_t n = 0; n < len; n += 7)
		fails += decode(buf, n, out) == 0;
	CHECK_EQ(fails, 0);
	/* Every resealed single-byte change either decodes or is refused with a
	 * message: never a crash (ASan/UBSan builds check the "never"). */
	for (size_t i = SNAP_HEADER_SIZE; i < len - 8; i += 3) {
		memcpy(b, buf, len);
		b[i] ^= 0xff;
		reseal(b, len);
		if (decode(b, len, out))
			CHECK(why[0] != 0);
	}
	free(b);
	snap_writer_free(&w);
	free(in);
	free(out);
}

static void test_machine_semantic_checks(void)
{
	struct snap_state *in = malloc(sizeof(*in)), *out = malloc(sizeof(*out));
	struct snap_writer w;
	const uint8_t *buf;
	size_t len;

	/* Memory regions must match the layout for mem_mib. */
	len = build_machine(in, &buf, &w);
	snap_writer_free(&w);
	in->memory.region[1].size += 4096;
	snap_writer_init(&w);
	snap_encode_machine(&w, &in->machine);
	snap_encode_memory(&w, &in->memory);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(decode(buf, len, out), -EINVAL);
	CHECK(strstr(why, "out of range") != NULL);
	snap_writer_free(&w);

	/* vCPU count must match the machine. */
	len = build_machine(in, &buf, &w);
	snap_writer_free(&w);
	in->machine.vcpus = 3;
	snap_writer_init(&w);
	snap_encode_machine(&w, &in->machine);
	snap_encode_memory(&w, &in->memory);
	snap_begin(&w, SNAP_SEC_VCPUS);
	snap_encode_vcpu(&w, 0, &in->vcpu[0]);
	snap_encode_vcpu(&w, 1, &in->vcpu[1]);
	snap_end(&w);
	snap_encode_vmstate(&w, &in->vm);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(decode(buf, len, out), -EINVAL);
	CHECK(strstr(why, "2 vCPU states for a machine with 3 vCPUs") != NULL);
	snap_writer_free(&w);

	/* An XSAVE area smaller than struct kvm_xsave. */
	len = build_machine(in, &buf, &w);
	snap_writer_free(&w);
	in->vcpu[1].xsave_len = 100;
	snap_writer_init(&w);
	snap_encode_machine(&w, &in->machine);
	snap_encode_memory(&w, &in->memory);
	snap_begin(&w, SNAP_SEC_VCPUS);
	snap_encode_vcpu(&w, 0, &in->vcpu[0]);
	snap_encode_vcpu(&w, 1, &in->vcpu[1]);
	snap_end(&w);
	snap_encode_vmstate(&w, &in->vm);
	CHECK_EQ(snap_writer_finish(&w, &buf, &len), 0);
	CHECK_EQ(decode(buf, len, out), -EINVAL);
	CHECK(strstr(why, "XSAVE area of 100 bytes") != NULL);
	snap_writer_free(&w);
	free(in);
	free(out);
}

int main(void)
{
	RUN(test_crc64_check_value);
	RUN(test_roundtrip_small);
	RUN(test_bad_magic);
	RUN(test_wrong_major_version);
	RUN(test_newer_minor_version_accepted);
	RUN(test_bad_crc);
	RUN(test_truncation_at_every_byte);
	RUN(test_oversize_length);
	RUN(test_fixed_size_type_with_wrong_length);
	RUN(test_unknown_mandatory_tag);
	RUN(test_unknown_optional_tag_ignored);
	RUN(test_duplicate_tags);
	RUN(test_type_mismatch_and_ranges);
	RUN(test_depth_limit);
	RUN(test_machine_roundtrip);
	RUN(test_machine_truncation_and_bitflips);
	RUN(test_machine_semantic_checks);
	return harness_summary("snapshot");
}
