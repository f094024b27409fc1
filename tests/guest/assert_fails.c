// SPDX-License-Identifier: MIT
/* tests/guest/assert_fails.c: a GUEST_ASSERT that must fail: ember must exit 4 and name this file and line. */
#include "guest.h"

void guest_main(void)
{
	int two = (int)cmdline_uint("two", 2);

	GUEST_PRINTF("assert_fails: expect a failure at line %d", __LINE__ + 1);
	GUEST_ASSERT_EQ(two + 1, 2);
	GUEST_PRINTF("assert_fails: the assertion did not end the VM");
}
