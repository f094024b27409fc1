/* ember-mark.c: tells the VMM that the guest reached /init by writing one byte (default 123) to I/O port 0x440. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/io.h>

#define EMBER_MARK_PORT 0x440
#define EMBER_MARK_INIT 123

int main(int argc, char **argv)
{
	unsigned long value = EMBER_MARK_INIT;

	if (argc > 1) {
		char *end;
		value = strtoul(argv[1], &end, 0);
		if (*end != '\0' || value > 255) {
			fprintf(stderr, "usage: ember-mark [BYTE]\n");
			return 2;
		}
	}
	/* Never fail the boot: without the permission the VMM just misses the mark. */
	if (ioperm(EMBER_MARK_PORT, 1, 1) != 0) {
		fprintf(stderr, "ember-mark: warning: ioperm(0x%x): %s; boot mark not sent\n",
			EMBER_MARK_PORT, strerror(errno));
		return 0;
	}
	outb((unsigned char)value, EMBER_MARK_PORT);
	return 0;
}
