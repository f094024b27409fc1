/* SPDX-License-Identifier: MIT */
/* tests/jailer/jail_probe.c: static helper exec'd through ember-jailer; reports what it can see and do. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/*
 * usage (after ember-jailer's "--"; a leading "--id ID" is skipped):
 *   ls DIR        entries of DIR, one a line
 *   ids           real/effective/saved uid and gid
 *   open PATH     try to open PATH read-only and say what happened
 *   fds           inherited descriptors above 2
 *   env           environment variables
 *   hold SECONDS  print "ready", then sleep
 *   alloc MIB     allocate and touch MIB MiB, one MiB at a time
 */
int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 2 && !strcmp(argv[1], "--id")) {
		printf("id: %s\n", argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "jail-probe: missing command\n");
		return 2;
	}
	if (!strcmp(argv[i], "ls") && i + 1 < argc) {
		DIR *d = opendir(argv[i + 1]);
		struct dirent *de;

		if (!d) {
			printf("ls %s: %s\n", argv[i + 1], strerror(errno));
			return 1;
		}
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				printf("%s\n", de->d_name);
		closedir(d);
		return 0;
	}
	if (!strcmp(argv[i], "ids")) {
		uid_t r, e, s;
		gid_t gr, ge, gs;

		getresuid(&r, &e, &s);
		getresgid(&gr, &ge, &gs);
		printf("uid %u %u %u gid %u %u %u groups %d\n", r, e, s, gr, ge, gs,
		       getgroups(0, NULL));
		return 0;
	}
	if (!strcmp(argv[i], "open") && i + 1 < argc) {
		int fd = open(argv[i + 1], O_RDONLY);

		printf("open %s: %s\n", argv[i + 1], fd >= 0 ? "ok" : strerror(errno));
		return fd >= 0 ? 0 : 1;
	}
	if (!strcmp(argv[i], "fds")) {
		int n = 0;

		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0) {
				printf("fd %d open\n", fd);
				n++;
			}
		printf("fds above 2: %d\n", n);
		return 0;
	}
	if (!strcmp(argv[i], "env")) {
		int n = 0;

		for (char **e = environ; *e; e++, n++)
			printf("%s\n", *e);
		printf("env vars: %d\n", n);
		return 0;
	}
	if (!strcmp(argv[i], "hold") && i + 1 < argc) {
		printf("ready\n");
		sleep((unsigned int)atoi(argv[i + 1]));
		return 0;
	}
	if (!strcmp(argv[i], "alloc") && i + 1 < argc) {
		long mib = atol(argv[i + 1]);

		for (long m = 0; m < mib; m++) {
			char *p = malloc(1 << 20);

			if (!p) {
				printf("malloc failed at %ld MiB\n", m);
				return 1;
			}
			memset(p, 0x5a, 1 << 20);
		}
		printf("allocated %ld MiB\n", mib);
		return 0;
	}
	fprintf(stderr, "jail-probe: unknown command '%s'\n", argv[i]);
	return 2;
}
