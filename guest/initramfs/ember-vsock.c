/* SPDX-License-Identifier: MIT */
/* guest/initramfs/ember-vsock.c: guest-side AF_VSOCK helper for the vsock check: an echo server and a round-trip client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int usage(void)
{
	fprintf(stderr, "usage: ember-vsock serve PORT          echo one connection, then exit\n"
			"       ember-vsock ping CID PORT COUNT  COUNT 64-byte round trips\n");
	return 2;
}

static int full_write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int serve(unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	char buf[4096];
	int l = socket(AF_VSOCK, SOCK_STREAM, 0), c;
	ssize_t n;
	long total = 0;

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		perror("ember-vsock: listen");
		return 1;
	}
	printf("EMBER-VSOCK-LISTENING %u\n", port);
	fflush(stdout);
	c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("ember-vsock: accept");
		return 1;
	}
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (full_write(c, buf, (size_t)n))
			return 1;
		total += n;
	}
	printf("EMBER-VSOCK-SERVED %ld bytes\n", total);
	close(c);
	close(l);
	return 0;
}

static int ping(unsigned int cid, unsigned int port, int count)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	char out[64], in[64];
	struct timeval t0, t1;
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	long us;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("ember-vsock: connect");
		return 1;
	}
	gettimeofday(&t0, NULL);
	for (int i = 0; i < count; i++) {
		size_t got = 0;

		memset(out, 'a' + i % 26, sizeof(out));
		if (full_write(fd, out, sizeof(out)))
			return 1;
		while (got < sizeof(in)) {
			ssize_t n = read(fd, in + got, sizeof(in) - got);

			if (n <= 0) {
				fprintf(stderr, "ember-vsock: echo ended after %d round trips\n", i);
				return 1;
			}
			got += (size_t)n;
		}
		if (memcmp(in, out, sizeof(in))) {
			fprintf(stderr, "ember-vsock: echo differs at round trip %d\n", i);
			return 1;
		}
	}
	gettimeofday(&t1, NULL);
	us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_usec - t0.tv_usec);
	printf("EMBER-VSOCK-RTT %d round trips, %ld us average\n", count, us / (count ? count : 1));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	alarm(60);	/* never outlive the check */
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve((unsigned int)strtoul(argv[2], NULL, 10));
	if (argc == 5 && !strcmp(argv[1], "ping"))
		return ping((unsigned int)strtoul(argv[2], NULL, 10),
			    (unsigned int)strtoul(argv[3], NULL, 10), atoi(argv[4]));
	return usage();
}
