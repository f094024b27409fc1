/* SPDX-License-Identifier: MIT */
/* tests/unit/test_cmdline.c: kernel command-line builder: appends, the sticky overflow flag, has(). */
#include <errno.h>

#include "boot/cmdline.h"
#include "harness.h"

static struct cmdline c;

static void test_cmdline_init_copies_base(void)
{
	cmdline_init(&c, "console=ttyS0 quiet");
	CHECK_STR(c.buf, "console=ttyS0 quiet");
	CHECK_EQ(c.len, 19);
	CHECK(!c.overflow);
	cmdline_init(&c, "");
	CHECK_STR(c.buf, "");
	CHECK_EQ(c.len, 0);
}

static void test_cmdline_append_space_separated(void)
{
	cmdline_init(&c, "");
	CHECK_EQ(cmdline_append(&c, "root=/dev/vda"), 0);
	CHECK_STR(c.buf, "root=/dev/vda");			/* no leading space */
	CHECK_EQ(cmdline_append(&c, "virtio_mmio.device=4K@0x%llx:%u", 0xd0000000ull, 5), 0);
	CHECK_STR(c.buf, "root=/dev/vda virtio_mmio.device=4K@0xd0000000:5");
	CHECK_EQ(c.len, strlen(c.buf));
}

/* A line of exactly CMDLINE_CAP - 1 bytes plus its NUL fits; one more byte does not. */
static void test_cmdline_exact_fit(void)
{
	char item[400];

	memset(item, 'x', sizeof(item) - 1);
	item[sizeof(item) - 1] = 0;
	cmdline_init(&c, "");
	while (c.len + 1 + 399 < CMDLINE_CAP - 1)
		CHECK_EQ(cmdline_append(&c, "%s", item), 0);
	/* Fill to CMDLINE_CAP - 1 with one last item. */
	item[CMDLINE_CAP - 1 - c.len - 1] = 0;
	CHECK_EQ(cmdline_append(&c, "%s", item), 0);
	CHECK_EQ(c.len, CMDLINE_CAP - 1);
	CHECK(!c.overflow);
	CHECK_EQ(cmdline_append(&c, "y"), -E2BIG);
	CHECK(c.overflow);
}

/* A failed append leaves the line unchanged and sets overflow, which stays set. */
static void test_cmdline_overflow_sticky(void)
{
	char big[CMDLINE_CAP];

	memset(big, 'a', CMDLINE_CAP - 2);
	big[CMDLINE_CAP - 2] = 0;
	cmdline_init(&c, big);					/* CMDLINE_CAP - 2 bytes */
	CHECK(!c.overflow);
	CHECK_EQ(cmdline_append(&c, "b"), -E2BIG);		/* would need a space too */
	CHECK(c.overflow);
	CHECK_EQ(c.len, CMDLINE_CAP - 2);
	CHECK_EQ(c.buf[c.len], 0);
	cmdline_init(&c, "short");
	CHECK(!c.overflow);					/* init resets it */
	CHECK_EQ(cmdline_append(&c, "%0600d", 1), -E2BIG);	/* item longer than 511 */
	CHECK(c.overflow);
	CHECK_EQ(cmdline_append(&c, "ok"), 0);
	CHECK_STR(c.buf, "short ok");
	CHECK(c.overflow);					/* still reported */
}

static void test_cmdline_init_too_long_base(void)
{
	char big[CMDLINE_CAP + 1];

	memset(big, 'a', CMDLINE_CAP);
	big[CMDLINE_CAP] = 0;
	cmdline_init(&c, big);
	CHECK(c.overflow);
	CHECK_EQ(c.len, 0);
	CHECK_STR(c.buf, "");
	big[CMDLINE_CAP - 1] = 0;				/* CMDLINE_CAP - 1 fits */
	cmdline_init(&c, big);
	CHECK(!c.overflow);
	CHECK_EQ(c.len, CMDLINE_CAP - 1);
}

/* has(key): a whole parameter named key, as "key" or "key=...", anywhere. */
static void test_cmdline_has_whole_parameters(void)
{
	cmdline_init(&c, "console=ttyS0  ro rootfstype=ext4 panic=1");
	CHECK(cmdline_has(&c, "console"));
	CHECK(cmdline_has(&c, "ro"));				/* bare, after two spaces */
	CHECK(cmdline_has(&c, "panic"));			/* last */
	CHECK(cmdline_has(&c, "rootfstype"));
	CHECK(!cmdline_has(&c, "root"));			/* prefix of another */
	CHECK(!cmdline_has(&c, "ttyS0"));			/* a value, not a key */
	CHECK(!cmdline_has(&c, "console=ttyS1"));
	CHECK(cmdline_has(&c, "console=ttyS0"));
	CHECK(!cmdline_has(&c, "quiet"));
	cmdline_init(&c, "");
	CHECK(!cmdline_has(&c, "console"));
	cmdline_init(&c, "   ");
	CHECK(!cmdline_has(&c, "console"));
}

int main(void)
{
	RUN(test_cmdline_init_copies_base);
	RUN(test_cmdline_append_space_separated);
	RUN(test_cmdline_exact_fit);
	RUN(test_cmdline_overflow_sticky);
	RUN(test_cmdline_init_too_long_base);
	RUN(test_cmdline_has_whole_parameters);
	return harness_summary("cmdline");
}
