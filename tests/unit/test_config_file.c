// SPDX-License-Identifier: MIT
/* tests/unit/test_config_file.c: --config-file documents: Firecracker's example, nulls, refusals. */
#include <errno.h>
#include "harness.h"
#include "cli/config_file.h"

static int parse(const char *s, struct vm_config *c, char *why)
{
	config_init(c);
	return config_file_parse(s, strlen(s), c, why, 256);
}

static void test_config_file_firecracker_example(void)
{
	struct vm_config c;
	char why[256] = "";

	config_init(&c);	/* config_file_load applies the file over defaults */
	CHECK_EQ(config_file_load("tests/api/firecracker-example.json", &c, why, sizeof(why)), 0);
	if (*why)
		fprintf(stderr, "  %s\n", why);
	CHECK_STR(c.kernel_path, "vmlinux.bin");
	CHECK_STR(c.cmdline, "console=ttyS0 reboot=k panic=1 pci=off");
	CHECK(!c.initrd_path);
	CHECK_EQ(c.vcpus, 2);
	CHECK_EQ(c.mem_mib, 1024);
	CHECK_EQ(c.n_drives, 1);
	CHECK_STR(c.drives[0].id, "rootfs");
	CHECK(c.drives[0].is_root);
	CHECK(!c.drives[0].read_only);
	config_free(&c);
}

static void test_config_file_minimal_and_old_shape(void)
{
	struct vm_config c;
	char why[256];

	CHECK_EQ(parse("{\"boot-source\":{\"kernel_image_path\":\"k\"}}", &c, why), 0);
	CHECK_EQ(c.vcpus, 1);
	config_free(&c);
	/* The older example used ht_enabled. */
	CHECK_EQ(parse("{\"boot-source\":{\"kernel_image_path\":\"k\"},\"machine-config\":"
		       "{\"vcpu_count\":2,\"mem_size_mib\":1024,\"ht_enabled\":false}}", &c, why), 0);
	config_free(&c);
}

static void test_config_file_refusals(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"boot-source\":{\"kernel_image_path\":\"k\"},\"extra\":1}",
		"{\"boot-source\":{\"kernel_image_path\":\"k\"},\"mmds-config\":{\"version\":\"V2\"}}",
		"{\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":128}}",
		"{\"boot-source\":{\"kernel_image_path\":\"k\",\"x\":1}}",
		"{\"boot-source\":{\"kernel_image_path\":\"k\"},\"drives\":[{\"drive_id\":\"a\","
		"\"path_on_host\":\"p\",\"is_root_device\":false},{\"drive_id\":\"a\","
		"\"path_on_host\":\"q\",\"is_root_device\":false}]}",
		"{\"boot-source\":{\"kernel_image_path\":\"k\"},\"drives\":{}}",
		"{\"boot-source\":{\"kernel_image_path\":\"k\"}} trailing",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_config c;
		char why[256] = "";

		CHECK_EQ(parse(bad[i], &c, why), -EINVAL);
		CHECK(*why);
		config_free(&c);
	}
}

int main(void)
{
	RUN(test_config_file_firecracker_example);
	RUN(test_config_file_minimal_and_old_shape);
	RUN(test_config_file_refusals);
	return harness_summary("config_file");
}
