/* SPDX-License-Identifier: MIT */
/* tests/devices/vsock-host.c: host side of the vsock lab test: an AF_UNIX echo server and a CONNECT-protocol round-trip client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: vsock-host echo PATH                 echo connections on PATH\n"
			"       vsock-host connect UDS PORT COUNT      CONNECT PORT, then COUNT round trips\n");
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

static void addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
}

static int echo(const char *path)
{
	struct sockaddr_un sa;
	char buf[4096];
	int l = socket(AF_UNIX, SOCK_STREAM, 0);

	addr(&sa, path);
	unlink(path);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4) < 0) {
		perror("vsock-host: listen");
		return 1;
	}
	for (;;) {
		int c = accept(l, NULL, NULL);
		ssize_t n;
		long total = 0;

		if (c < 0)
			return 1;
		while ((n = read(c, buf, sizeof(buf))) > 0 && !full_write(c, buf, (size_t)n))
			total += n;
		printf("VSOCK-HOST-ECHOED %ld bytes\n", total);
		fflush(stdout);
		close(c);
	}
}

/* One attempt: 0 done, 1 the guest refused (retry), -1 failed. */
static int try_connect(const char *uds, unsigned int port, int count)
{
	struct sockaddr_un sa;
	char line[64], out[64], in[64];
	struct timeval t0, t1;
	size_t got = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), n;
	long us;

	addr(&sa, uds);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return 1;	/* ember not listening yet */
	}
	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (full_write(fd, line, (size_t)n))
		goto refused;
	while (got < sizeof(line) - 1) {
		ssize_t r = read(fd, line + got, 1);

		if (r <= 0)
			goto refused;	/* RST from the guest: nothing listens yet */
		if (line[got++] == '\n')
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "OK ", 3)) {
		fprintf(stderr, "vsock-host: unexpected answer '%s'\n", line);
		close(fd);
		return -1;
	}
	gettimeofday(&t0, NULL);
	for (int i = 0; i < count; i++) {
		memset(out, 'A' + i % 26, sizeof(out));
		if (full_write(fd, out, sizeof(out)))
			return -1;
		for (got = 0; got < sizeof(in);) {
			ssize_t r = read(fd, in + got, sizeof(in) - got);

			if (r <= 0)
				return -1;
			got += (size_t)r;
		}
		if (memcmp(in, out, sizeof(in)))
			return -1;
	}
	gettimeofday(&t1, NULL);
	us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_usec - t0.tv_usec);
	printf("VSOCK-HOST-RTT %d round trips, %ld us average (%s", count,
	       us / (count ? count : 1), line);
	printf(")\n");
	close(fd);
	return 0;
refused:
	close(fd);
	return 1;
}

static int connect_loop(const char *uds, unsigned int port, int count)
{
	/* The guest's echo server starts some seconds after ember: retry for 90 s. */
	for (int i = 0; i < 450; i++) {
		int r = try_connect(uds, port, count);

		if (r <= 0)
			return r ? 1 : 0;
		usleep(200000);
	}
	fprintf(stderr, "vsock-host: no guest listener on port %u\n", port);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "echo"))
		return echo(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connect_loop(argv[2], (unsigned int)strtoul(argv[3], NULL, 10), atoi(argv[4]));
	return usage();
}
