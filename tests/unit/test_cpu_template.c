/* SPDX-License-Identifier: MIT */
/* tests/unit/test_cpu_template.c: CPU template bitmaps (parse, render, apply) and cpuid_apply_modifiers(). */
#include <errno.h>

#include "arch/x86/cpu_template.h"
#include "arch/x86/cpuid.h"
#include "harness.h"

static char why[256];

static int parse(const char *s, unsigned int bits, uint64_t *f, uint64_t *v)
{
	why[0] = 0;
	return cpu_template_parse_bitmap(s, bits, f, v, why, sizeof(why));
}

/* The characters map to filter/value bits, right-aligned on bit 0. */
static void test_bitmap_basic(void)
{
	uint64_t f, v;

	CHECK_EQ(parse("0b010x", 32, &f, &v), 0);
	CHECK_EQ(f, 0xe);
	CHECK_EQ(v, 0x4);
	CHECK_EQ(parse("1", 32, &f, &v), 0);		/* "0b" is optional, as in Firecracker */
	CHECK_EQ(f, 1);
	CHECK_EQ(v, 1);
	CHECK_EQ(parse("0bxxxx", 32, &f, &v), 0);	/* all kept: changes nothing */
	CHECK_EQ(f, 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(parse("0b0_101_xx_xx", 8, &f, &v), 0);	/* '_' groups, not bits */
	CHECK_EQ(f, 0xf0);
	CHECK_EQ(v, 0x50);
}

static void test_bitmap_full_width(void)
{
	char s[80];
	uint64_t f, v;

	/* 32 bits: 1 then 31 zeros. */
	strcpy(s, "0b1");
	for (int i = 0; i < 31; i++)
		strcat(s, "0");
	CHECK_EQ(parse(s, 32, &f, &v), 0);
	CHECK_EQ(f, 0xffffffffu);
	CHECK_EQ(v, 0x80000000u);
	/* One more bit is too many for 32, fine for 64. */
	strcat(s, "1");
	CHECK(parse(s, 32, &f, &v) == -EINVAL);
	CHECK(strstr(why, "more than 32 bits") != NULL);
	CHECK_EQ(parse(s, 64, &f, &v), 0);
	CHECK_EQ(f, 0x1ffffffffull);
	CHECK_EQ(v, 0x100000001ull);
	/* 64 bits, top bit set. */
	strcpy(s, "0b1");
	for (int i = 0; i < 63; i++)
		strcat(s, "x");
	CHECK_EQ(parse(s, 64, &f, &v), 0);
	CHECK_EQ(f, 1ull << 63);
	CHECK_EQ(v, 1ull << 63);
}

static void test_bitmap_refused(void)
{
	uint64_t f = 7, v = 7;

	CHECK(parse("", 32, &f, &v) == -EINVAL);
	CHECK(parse("0b", 32, &f, &v) == -EINVAL);
	CHECK(parse("0b___", 32, &f, &v) == -EINVAL);
	CHECK(parse("0b012", 32, &f, &v) == -EINVAL);
	CHECK(strstr(why, "'2'") != NULL);
	CHECK(parse("0bX1", 32, &f, &v) == -EINVAL);	/* Firecracker's 'x' is lower case */
	CHECK(parse("0x1f", 32, &f, &v) == -EINVAL);	/* a number is not a bitmap */
	CHECK(parse("0b 1", 32, &f, &v) == -EINVAL);
	CHECK(parse("0b1\n", 32, &f, &v) == -EINVAL);
	CHECK(parse("0b1", 0, &f, &v) == -EINVAL);
	CHECK(parse("0b1", 65, &f, &v) == -EINVAL);
	CHECK_EQ(f, 7);					/* outputs untouched on error */
	CHECK_EQ(v, 7);
}

static void test_bitmap_format_round_trip(void)
{
	char s[80];
	uint64_t f, v;

	cpu_template_format_bitmap(0xf0, 0x50, 8, s);
	CHECK_STR(s, "0b0101xxxx");
	cpu_template_format_bitmap(0, 0, 4, s);
	CHECK_STR(s, "0bxxxx");
	cpu_template_format_bitmap(0x8000000000000001ull, 0x8000000000000000ull, 64, s);
	CHECK_EQ(strlen(s), 66);
	CHECK_EQ(parse(s, 64, &f, &v), 0);
	CHECK_EQ(f, 0x8000000000000001ull);
	CHECK_EQ(v, 0x8000000000000000ull);
}

static void test_apply(void)
{
	CHECK_EQ(cpu_template_apply(0xffff, 0xf0, 0x50), 0xff5f);
	CHECK_EQ(cpu_template_apply(0x1234, 0, 0xffff), 0x1234);	/* nothing selected */
	CHECK_EQ(cpu_template_apply(0, ~0ull, 0xabc), 0xabc);
	/* Value bits outside the filter never leak in. */
	CHECK_EQ(cpu_template_apply(0, 0x1, 0xff), 0x1);
}

static struct cpuid_table t;

static void table(void)
{
	memset(&t, 0, sizeof(t));
	t.e[t.nent++] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x906ea,
						   .ecx = 0x80000001, .edx = 0xff };
	t.e[t.nent++] = (struct kvm_cpuid_entry2){ .function = 7, .index = 0,
						   .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						   .ebx = 0xffffffff };
	t.e[t.nent++] = (struct kvm_cpuid_entry2){ .function = 7, .index = 1,
						   .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						   .eax = 0x30 };
}

static struct cpuid_modifier_cfg mod(uint32_t leaf, uint32_t sub, uint32_t flags,
				     enum cpuid_reg reg, const char *bitmap)
{
	struct cpuid_modifier_cfg m = { .leaf = leaf, .subleaf = sub, .flags = flags, .n_regs = 1 };
	uint64_t f = 0, v = 0;

	CHECK_EQ(parse(bitmap, 32, &f, &v), 0);
	m.regs[0].reg = reg;
	m.regs[0].filter = (uint32_t)f;
	m.regs[0].value = (uint32_t)v;
	return m;
}

static void test_cpuid_modifiers_apply(void)
{
	struct cpuid_modifier_cfg m[3];
	unsigned int bad = 99;

	table();
	/* Clear ECX bit 31, set the low byte of EDX to 0x5a, keep the rest. */
	m[0] = mod(1, 0, 0, CPUID_ECX, "0b0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	m[0].regs[1].reg = CPUID_EDX;
	m[0].n_regs = 2;
	m[0].regs[1].filter = 0xff;
	m[0].regs[1].value = 0x5a;
	/* Subleaf 1 of leaf 7 only; subleaf 0 keeps its EBX. */
	m[1] = mod(7, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, CPUID_EAX, "0b1xxxx");
	CHECK_EQ(cpuid_apply_modifiers(&t, m, 2, &bad), 0);
	CHECK_EQ(bad, 99);
	CHECK_EQ(t.e[0].ecx, 0x00000001);
	CHECK_EQ(t.e[0].edx, 0x5a);
	CHECK_EQ(t.e[0].eax, 0x906ea);
	CHECK_EQ(t.e[1].ebx, 0xffffffff);
	CHECK_EQ(t.e[2].eax, 0x30);		/* bit 4 was already set */
	CHECK_EQ(t.e[2].flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
}

/* Flags come from the template; modifiers of the same register apply in order. */
static void test_cpuid_modifiers_flags_and_order(void)
{
	struct cpuid_modifier_cfg m[2];

	table();
	m[0] = mod(7, 0, 0, CPUID_EBX, "0b0000");
	m[1] = mod(7, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, CPUID_EBX, "0b1x");
	CHECK_EQ(cpuid_apply_modifiers(&t, m, 2, NULL), 0);
	CHECK_EQ(t.e[1].ebx, 0xfffffff2);
	CHECK_EQ(t.e[1].flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	m[0] = mod(7, 1, 0, CPUID_EAX, "0bx");
	CHECK_EQ(cpuid_apply_modifiers(&t, m, 1, NULL), 0);
	CHECK_EQ(t.e[2].flags, 0);
}

/* A leaf or subleaf KVM did not report is refused, as Firecracker does. */
static void test_cpuid_modifiers_missing_leaf(void)
{
	struct cpuid_modifier_cfg m[3];
	unsigned int bad = 99;

	table();
	m[0] = mod(1, 0, 0, CPUID_EAX, "0bx");
	m[1] = mod(7, 2, 1, CPUID_EAX, "0b1");		/* no subleaf 2 */
	m[2] = mod(0x12345678, 0, 0, CPUID_EAX, "0b1");
	CHECK(cpuid_apply_modifiers(&t, m, 3, &bad) == -ENOENT);
	CHECK_EQ(bad, 1);
	CHECK(cpuid_apply_modifiers(&t, m + 2, 1, &bad) == -ENOENT);
	CHECK_EQ(bad, 0);
	/* Leaf 1 with subleaf 3: exact match only. */
	m[0] = mod(1, 3, 0, CPUID_EAX, "0b1");
	CHECK(cpuid_apply_modifiers(&t, m, 1, &bad) == -ENOENT);
	CHECK_EQ(cpuid_apply_modifiers(&t, m, 0, &bad), 0);	/* no modifiers: nothing to do */
}

/* Modifiers go on top of ember's own table (cpuid_build). */
static void test_cpuid_modifiers_after_build(void)
{
	static struct cpuid_table sup;
	struct cpuid_modifier_cfg m[1];

	memset(&sup, 0, sizeof(sup));
	sup.e[sup.nent++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 1,
						       .ebx = 0x756e6547 };
	sup.e[sup.nent++] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x1 };
	CHECK_EQ(cpuid_build(&sup, 0, 1, 2000000, &t), 0);
	m[0] = mod(0x40000010, 0, 0, CPUID_EDX, "0b1010");
	CHECK_EQ(cpuid_apply_modifiers(&t, m, 1, NULL), 0);
	CHECK_EQ(cpuid_find(&t, 0x40000010, 0)->eax, 2000000);
	CHECK_EQ(cpuid_find(&t, 0x40000010, 0)->edx, 0xa);
	m[0] = mod(1, 0, 0, CPUID_ECX, "0b0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	CHECK_EQ(cpuid_apply_modifiers(&t, m, 1, NULL), 0);
	CHECK_EQ(cpuid_find(&t, 1, 0)->ecx, 0x1);	/* hypervisor bit removed again */
}

int main(void)
{
	RUN(test_bitmap_basic);
	RUN(test_bitmap_full_width);
	RUN(test_bitmap_refused);
	RUN(test_bitmap_format_round_trip);
	RUN(test_apply);
	RUN(test_cpuid_modifiers_apply);
	RUN(test_cpuid_modifiers_flags_and_order);
	RUN(test_cpuid_modifiers_missing_leaf);
	RUN(test_cpuid_modifiers_after_build);
	return harness_summary("cpu_template");
}
