/* SPDX-License-Identifier: MIT */
/* bench/exec-stamp.c: print CLOCK_MONOTONIC on stderr, then exec argv[1..] in the same process. */
/*
 * "exec -> first guest instruction" starts at the execve(2) of the VMM.  A
 * harness that forks first adds its own spawn latency; this program takes
 * the timestamp immediately before execve, so the difference to ember's
 * first-exit stamp is exec, dynamic loading, set-up and the guest's first
 * instruction, and nothing else.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;

	if (argc < 2) {
		fprintf(stderr, "usage: exec-stamp PROGRAM [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "exec-stamp-ns=%llu\n",
		(unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
	execv(argv[1], argv + 1);
	perror("exec-stamp: execv");
	return 127;
}
