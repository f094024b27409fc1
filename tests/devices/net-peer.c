/* SPDX-License-Identifier: MIT */
/* tests/devices/net-peer.c: host end of the virtio-net TCP throughput tests: a byte-counting sink and a source, one connection each. */
/*
 * usage: net-peer sink PORT [TIMEOUT_S]
 *            accept one connection, read until EOF, print
 *            "NET-PEER sink BYTES bytes in SECONDS s: RATE MiB/s"
 *        net-peer source PORT MIB [TIMEOUT_S]
 *            accept one connection, send MIB MiB of a position-dependent
 *            pattern, half-close, wait until the peer has acknowledged
 *            everything and closed, print
 *            "NET-PEER source BYTES bytes in SECONDS s: RATE MiB/s, crc32 CRC"
 *            (CRC as busybox crc32 prints it, so the guest can check the data)
 *
 * The clock starts at accept().  Unlike a listening busybox nc, neither mode
 * half-closes before the transfer is over: nc -l with stdin at EOF (as in a
 * background job of a script) sends FIN at once, and the guest's nc then
 * exits with its data unsent, which looks like a stalled link.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int accept_one(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, l, c;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		perror("net-peer: listen");
		exit(1);
	}
	c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("net-peer: accept");
		exit(1);
	}
	close(l);
	return c;
}

/* CRC-32 as zlib and busybox crc32 compute it (reflected 0xEDB88320). */
static uint32_t crc_tab[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
		crc_tab[i] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = (crc >> 8) ^ crc_tab[(crc ^ *p++) & 0xff];
	return ~crc;
}

static void report(const char *mode, unsigned long long bytes, double t0, const char *extra)
{
	double d = now_s() - t0;

	if (d <= 0)
		d = 1e-6;
	printf("NET-PEER %s %llu bytes in %.2f s: %.1f MiB/s%s\n", mode, bytes, d,
	       (double)bytes / 1048576.0 / d, extra);
	fflush(stdout);
}

static int sink(int port)
{
	static char buf[1 << 16];
	unsigned long long total = 0;
	int c = accept_one(port);
	double t0 = now_s();

	for (;;) {
		ssize_t r = read(c, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("net-peer: read");
			report("sink", total, t0, "");
			return 1;
		}
		if (r == 0)
			break;
		total += (unsigned long long)r;
	}
	report("sink", total, t0, "");
	close(c);
	return 0;
}

static int source(int port, unsigned long long mib)
{
	static char buf[1 << 16];
	unsigned long long left = mib << 20, total = 0;
	int c = accept_one(port), outq = 1;
	double t0 = now_s();
	uint32_t crc = 0;
	char extra[32];

	/* period 64 KiB, no two nearby offsets alike: misplaced bytes show */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 131 % 251 ^ i >> 8);
	while (left) {
		ssize_t w = write(c, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("net-peer: write");
			report("source", total, t0, "");
			return 1;
		}
		crc = crc_update(crc, (const unsigned char *)buf, (size_t)w);
		left -= (unsigned long long)w;
		total += (unsigned long long)w;
	}
	shutdown(c, SHUT_WR);
	/* Done when the guest's TCP has acknowledged every byte. */
	while (ioctl(c, SIOCOUTQ, &outq) == 0 && outq > 0)
		usleep(1000);
	snprintf(extra, sizeof(extra), ", crc32 %08x", crc);
	report("source", total, t0, extra);
	while (read(c, buf, sizeof(buf)) > 0)
		;
	close(c);
	return 0;
}

int main(int argc, char **argv)
{
	int port, to = 120;

	signal(SIGPIPE, SIG_IGN);
	crc_init();
	if (argc >= 3 && !strcmp(argv[1], "sink")) {
		port = atoi(argv[2]);
		if (argc > 3)
			to = atoi(argv[3]);
		alarm((unsigned int)to);
		return sink(port);
	}
	if (argc >= 4 && !strcmp(argv[1], "source")) {
		port = atoi(argv[2]);
		if (argc > 4)
			to = atoi(argv[4]);
		alarm((unsigned int)to);
		return source(port, strtoull(argv[3], NULL, 10));
	}
	fprintf(stderr, "usage: net-peer sink PORT [TIMEOUT_S] | source PORT MIB [TIMEOUT_S]\n");
	return 2;
}
