// SPDX-License-Identifier: MIT
/* tests/api/startup.c: measures exec -> API socket ready (wall, and ember's own CPU metric) over N runs; prints medians. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* usage: startup EMBER DIR [RUNS]: runs EMBER --api-sock DIR/s.sock --metrics-path DIR/m.json */
static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static long metric(const char *path, const char *name)
{
	char buf[8192], *p;
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	p = strstr(buf, name);
	return p ? strtol(p + strlen(name) + 1, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	int runs = argc > 3 ? atoi(argv[3]) : 20;
	uint64_t wall[256], cpu[256], self[256];
	char sock[200], mpath[200], start[32];

	if (argc < 3 || runs < 1 || runs > 256) {
		fprintf(stderr, "usage: startup EMBER DIR [RUNS]\n");
		return 2;
	}
	snprintf(sock, sizeof(sock), "%s/s.sock", argv[2]);
	snprintf(mpath, sizeof(mpath), "%s/m.json", argv[2]);
	for (int i = 0; i < runs; i++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		static const char req[] = "PUT /actions HTTP/1.1\r\nContent-Length: 30\r\n"
					  "Connection: close\r\n\r\n{\"action_type\":\"FlushMetrics\"}";
		char rbuf[512];
		uint64_t t0;
		pid_t pid;
		int fd;

		unlink(sock);
		unlink(mpath);
		t0 = mono_us();
		snprintf(start, sizeof(start), "%llu", (unsigned long long)t0);
		pid = fork();
		if (pid == 0) {
			execl(argv[1], argv[1], "--api-sock", sock, "--metrics-path", mpath,
			      "--start-time-us", start, (char *)NULL);
			_exit(127);
		}
		strcpy(a.sun_path, sock);
		for (;;) {
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
				break;
			close(fd);
			usleep(50);	/* do not starve the child of CPU while it starts */
			if (mono_us() - t0 > 5000000) {
				fprintf(stderr, "startup: no socket after 5 s\n");
				kill(pid, SIGKILL);
				return 1;
			}
		}
		wall[i] = mono_us() - t0;
		if (write(fd, req, sizeof(req) - 1) < 0 || read(fd, rbuf, sizeof(rbuf)) <= 0)
			fprintf(stderr, "startup: FlushMetrics failed\n");
		close(fd);
		cpu[i] = (uint64_t)metric(mpath, "\"process_startup_time_cpu_us\"");
		self[i] = (uint64_t)metric(mpath, "\"process_startup_time_us\"");
		if (getenv("STARTUP_VERBOSE"))
			fprintf(stderr, "run %d: wall %llu self %llu cpu %llu\n", i, (unsigned long long)wall[i], (unsigned long long)self[i], (unsigned long long)cpu[i]);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	qsort(wall, (size_t)runs, sizeof(wall[0]), cmp);
	qsort(cpu, (size_t)runs, sizeof(cpu[0]), cmp);
	qsort(self, (size_t)runs, sizeof(self[0]), cmp);
	printf("runs %d: exec -> socket accepts: median %llu us (min %llu, max %llu)\n", runs,
	       (unsigned long long)wall[runs / 2], (unsigned long long)wall[0],
	       (unsigned long long)wall[runs - 1]);
	printf("api_server.process_startup_time_us: median %llu us\n",
	       (unsigned long long)self[runs / 2]);
	printf("api_server.process_startup_time_cpu_us: median %llu us (min %llu, max %llu)\n",
	       (unsigned long long)cpu[runs / 2], (unsigned long long)cpu[0],
	       (unsigned long long)cpu[runs - 1]);
	return 0;
}
