// SPDX-License-Identifier: MIT
/* tests/api/rawclient.c: sends raw bytes (stdin) to a Unix socket and prints the reply, for requests curl cannot make. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * usage: rawclient SOCKET [half|drop]
 *   (default) send stdin, then read the reply until the server closes or
 *             stays silent for 2 s
 *   half      send stdin, shut down the write side, then read
 *   drop      send stdin and close at once without reading
 */
int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	static char buf[1 << 20];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (argc < 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: rawclient SOCKET [half|drop] < request\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	while ((n = read(0, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("rawclient: connect");
		return 1;
	}
	for (size_t off = 0; off < len; off += (size_t)n) {
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
	}
	if (argc > 2 && !strcmp(argv[2], "drop")) {
		close(fd);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[2], "half"))
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return 0;
}
