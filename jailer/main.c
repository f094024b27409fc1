/* SPDX-License-Identifier: MIT */
/* jailer/main.c: ember-jailer: checks its arguments, builds the jail step by step, drops privileges, execs ember. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jailer.h"

#define EXIT_BAD_ARGS	2	/* refused before anything was built */
#define EXIT_SETUP	1	/* failed while building; what was built is removed */

void jail_err(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "ember-jailer: %s\n", line);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ember-jailer --id ID --exec-file PATH --uid UID --gid GID [options] "
		"[-- ARGS...]\n\n"
		"Builds <chroot-base-dir>/<exec name>/<id>/root, copies PATH into it, applies\n"
		"limits, cgroups and namespaces, drops to UID:GID and execs the copy with\n"
		"ARGS (\"--id ID\" is put first unless ARGS start with the subcommand \"run\").\n\n"
		"  --id ID                    1-64 letters, digits or '-'\n"
		"  --exec-file PATH           absolute path of the binary (regular file, one link)\n"
		"  --uid UID, --gid GID       numeric ids to run as\n"
		"  --chroot-base-dir DIR      absolute (default " JAIL_DEFAULT_BASE ")\n"
		"  --netns PATH               network namespace to join (e.g. /var/run/netns/X)\n"
		"  --cgroup-version 1|2       (default 1)\n"
		"  --cgroup FILE=VALUE        cgroup file to write, e.g. memory.limit_in_bytes=64M\n"
		"                             (repeatable)\n"
		"  --parent-cgroup PATH       relative group under the mount (default: exec name)\n"
		"  --resource-limit fsize=N|no-file=N   (repeatable; no-file defaults to %d)\n"
		"  --daemonize                new session, stdio on /dev/null\n"
		"  --new-pid-ns               run ember as pid 1 of a new pid namespace; its host\n"
		"                             pid goes to /<exec name>.pid in the jail\n",
		JAIL_DEFAULT_NOFILE);
}

static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n < 1 || n > JAIL_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Relative path of plain components: no "", ".", "..", no leading '/'. */
static bool valid_rel_path(const char *p)
{
	const char *s = p;

	if (!*p || *p == '/' || strlen(p) > 256)
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++) {
			char c = s[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
				return false;
		}
		s += n;
		if (*s == '/')
			s++;
		if (!*s && s[-1] == '/')
			return false;
	}
	return true;
}

static bool valid_cgroup_file(const char *f)
{
	const char *dot = strchr(f, '.');

	if (!dot || dot == f || !dot[1] || strlen(f) > 128)
		return false;
	for (const char *c = f; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.'))
			return false;
	return true;
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	jail_err("%s", line);
	return -EINVAL;
}

/* Step 1: parse and validate everything before touching the system. */
static int parse_args(int argc, char **argv, struct jail_args *a)
{
	bool have_uid = false, have_gid = false;
	struct stat st;
	uint64_t v;
	int i;

	memset(a, 0, sizeof(*a));
	a->base = JAIL_DEFAULT_BASE;
	a->cgroup_version = 1;
	a->nofile = JAIL_DEFAULT_NOFILE;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--")) {
			i++;
			break;
		}
		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(opt, "--daemonize")) {
			a->daemonize = true;
			continue;
		}
		if (!strcmp(opt, "--new-pid-ns")) {
			a->new_pid_ns = true;
			continue;
		}
		if (strncmp(opt, "--", 2))
			return bad("unexpected argument '%s' (ember's arguments go after '--')",
				   opt);
		if (!val)
			return bad("option '%s' needs a value", opt);
		i++;
		if (!strcmp(opt, "--id")) {
			a->id = val;
		} else if (!strcmp(opt, "--exec-file")) {
			a->exec_file = val;
		} else if (!strcmp(opt, "--uid") || !strcmp(opt, "--gid")) {
			if (parse_num(val, UINT32_MAX - 1, &v))
				return bad("%s '%s': expected a number from 0 to %u", opt, val,
					   UINT32_MAX - 1);
			if (opt[2] == 'u') {
				a->uid = (uid_t)v;
				have_uid = true;
			} else {
				a->gid = (gid_t)v;
				have_gid = true;
			}
		} else if (!strcmp(opt, "--chroot-base-dir")) {
			a->base = val;
		} else if (!strcmp(opt, "--netns")) {
			a->netns = val;
		} else if (!strcmp(opt, "--cgroup-version")) {
			if (strcmp(val, "1") && strcmp(val, "2"))
				return bad("--cgroup-version '%s': expected 1 or 2", val);
			a->cgroup_version = val[0] - '0';
		} else if (!strcmp(opt, "--cgroup")) {
			char *eq = strchr(val, '=');
			struct jail_cgroup_value *c;

			if (a->n_cgroups == JAIL_MAX_CGROUPS)
				return bad("more than %d --cgroup values", JAIL_MAX_CGROUPS);
			c = &a->cgroups[a->n_cgroups];
			if (!eq || !eq[1] || strchr(eq, '\n'))
				return bad("--cgroup '%s': expected FILE=VALUE", val);
			c->file = strndup(val, (size_t)(eq - val));
			c->value = eq + 1;
			if (!c->file)
				return bad("out of memory");
			if (!valid_cgroup_file(c->file))
				return bad("--cgroup '%s': '%s' is not a cgroup file name "
					   "(<controller>.<name>)", val, c->file);
			a->n_cgroups++;
		} else if (!strcmp(opt, "--parent-cgroup")) {
			if (!valid_rel_path(val))
				return bad("--parent-cgroup '%s': expected a relative path of "
					   "plain names (no '.', '..' or empty parts)", val);
			a->parent_cgroup = val;
			a->parent_cgroup_given = true;
		} else if (!strcmp(opt, "--resource-limit")) {
			if (!strncmp(val, "fsize=", 6) && !parse_num(val + 6, UINT64_MAX - 1, &v)) {
				a->fsize = v;
				a->has_fsize = true;
			} else if (!strncmp(val, "no-file=", 8) &&
				   !parse_num(val + 8, 1u << 20, &v) && v > 0) {
				a->nofile = v;
			} else {
				return bad("--resource-limit '%s': expected fsize=BYTES or "
					   "no-file=N (1-%u)", val, 1u << 20);
			}
		} else {
			return bad("unknown option '%s' (see ember-jailer --help)", opt);
		}
	}
	a->n_exec_args = argc - i;
	a->exec_args = argv + i;

	if (!a->id)
		return bad("--id is required");
	if (!valid_id(a->id))
		return bad("--id '%s': must be 1-%d characters, each a letter, a digit or '-'",
			   a->id, JAIL_ID_MAX);
	if (!a->exec_file)
		return bad("--exec-file is required");
	if (!have_uid || !have_gid)
		return bad("--uid and --gid are required");
	if (a->exec_file[0] != '/')
		return bad("--exec-file '%s': must be an absolute path", a->exec_file);
	if (lstat(a->exec_file, &st) < 0)
		return bad("--exec-file '%s': %s", a->exec_file, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return bad("--exec-file '%s' is a symbolic link: give the real file",
			   a->exec_file);
	if (!S_ISREG(st.st_mode))
		return bad("--exec-file '%s' is not a regular file", a->exec_file);
	if (st.st_nlink != 1)
		return bad("--exec-file '%s' has %lu hard links: refusing a file that other "
			   "names can change", a->exec_file, (unsigned long)st.st_nlink);
	a->exec_name = strrchr(a->exec_file, '/') + 1;
	if (!*a->exec_name || !valid_rel_path(a->exec_name))
		return bad("--exec-file '%s': unusable file name", a->exec_file);
	if (a->base[0] != '/')
		return bad("--chroot-base-dir '%s': must be an absolute path", a->base);
	if (strstr(a->base, "/../") || !strcmp(a->base + strlen(a->base) -
					       (strlen(a->base) >= 3 ? 3 : 0), "/.."))
		return bad("--chroot-base-dir '%s': '..' is not allowed", a->base);
	if (stat(a->base, &st) == 0 && !S_ISDIR(st.st_mode))
		return bad("--chroot-base-dir '%s' exists and is not a directory", a->base);
	if (a->netns) {
		if (a->netns[0] != '/')
			return bad("--netns '%s': must be an absolute path", a->netns);
		if (stat(a->netns, &st) < 0)
			return bad("--netns '%s': %s", a->netns, strerror(errno));
	}
	if (!a->parent_cgroup)
		a->parent_cgroup = a->exec_name;
	return 0;
}

/* Step 2: nothing the caller left open may reach ember. */
static int close_inherited_fds(void)
{
	int fds[1024], n = 0, self;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d) {
		jail_err("cannot list /proc/self/fd: %s", strerror(errno));
		return -1;
	}
	self = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		uint64_t fd;

		if (parse_num(de->d_name, INT32_MAX, &fd) || fd <= 2 || (int)fd == self)
			continue;
		if (n == (int)(sizeof(fds) / sizeof(fds[0]))) {
			closedir(d);
			jail_err("more than %d inherited file descriptors", n);
			return -1;
		}
		fds[n++] = (int)fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static int set_limits(const struct jail_args *a)
{
	struct rlimit nofile = { a->nofile, a->nofile };

	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) {
		jail_err("setrlimit(no-file=%llu): %s", (unsigned long long)a->nofile,
			 strerror(errno));
		return -1;
	}
	if (a->has_fsize) {
		struct rlimit fsize = { a->fsize, a->fsize };

		if (setrlimit(RLIMIT_FSIZE, &fsize) < 0) {
			jail_err("setrlimit(fsize=%llu): %s", (unsigned long long)a->fsize,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int join_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		jail_err("cannot join network namespace '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int daemonize(int null_fd)
{
	if (setsid() < 0) {
		/* Already a process-group leader: continue in a child. */
		pid_t pid = fork();

		if (pid < 0) {
			jail_err("fork: %s", strerror(errno));
			return -1;
		}
		if (pid > 0)
			_exit(0);
		if (setsid() < 0) {
			jail_err("setsid: %s", strerror(errno));
			return -1;
		}
	}
	if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0) {
		jail_err("cannot redirect stdio to /dev/null: %s", strerror(errno));
		return -1;
	}
	close(null_fd);
	return 0;
}

/* Keep the saved uid 0 until exec so a failed exec can still clean up;
 * execve() copies the effective uid into the saved one. */
static int drop_privileges(const struct jail_args *a)
{
	if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0 ||
	    setresuid(a->uid, a->uid, 0) < 0) {
		jail_err("cannot drop to uid %u gid %u: %s", (unsigned int)a->uid,
			 (unsigned int)a->gid, strerror(errno));
		return -1;
	}
	return 0;
}

static char **build_argv(const struct jail_args *a, char *path)
{
	/* --id goes to ember's top level, not after a subcommand. */
	bool with_id = !(a->n_exec_args > 0 && !strcmp(a->exec_args[0], "run"));
	char **av = calloc((size_t)a->n_exec_args + 4, sizeof(*av));
	int n = 0;

	if (!av)
		return NULL;
	av[n++] = path;
	if (with_id) {
		av[n++] = strdup("--id");
		av[n++] = strdup(a->id);
		if (!av[1] || !av[2])
			return NULL;
	}
	for (int i = 0; i < a->n_exec_args; i++)
		av[n++] = a->exec_args[i];
	av[n] = NULL;
	return av;
}

/* --new-pid-ns: the child (pid 1 inside) goes on; the parent writes its pid
 * file and, if the child reports a failure before exec, cleans up. */
static int fork_pid_ns(const struct jail_args *a, struct jail_undo *u, int *report_fd)
{
	int pipefd[2], err = 0;
	char pidfile[PATH_MAX], buf[32];
	pid_t pid;
	ssize_t n;
	int fd, status;

	if (unshare(CLONE_NEWPID) < 0) {
		jail_err("unshare(CLONE_NEWPID): %s", strerror(errno));
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		jail_err("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		jail_err("fork into the new pid namespace: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		*report_fd = pipefd[1];
		return 0;
	}
	close(pipefd[1]);
	snprintf(pidfile, sizeof(pidfile), "/%s.pid", a->exec_name);
	fd = open(pidfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		jail_err("cannot write %s: %s", pidfile, strerror(errno));
		kill(pid, SIGKILL);
		err = -1;
	}
	if (fd >= 0)
		close(fd);
	/* EOF with nothing read: the child's exec succeeded. */
	do {
		n = read(pipefd[0], &status, sizeof(status));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n > 0 || err) {
		waitpid(pid, NULL, 0);
		undo_run(u);
		exit(EXIT_SETUP);
	}
	exit(0);
}

int main(int argc, char **argv)
{
	struct jail_undo undo = { 0 };
	struct jail_args a;
	char root[PATH_MAX], exec_path[PATH_MAX];
	int null_fd = -1, report_fd = -1, e;
	char **av;

	if (parse_args(argc, argv, &a))
		return EXIT_BAD_ARGS;
	if (close_inherited_fds())
		return EXIT_BAD_ARGS;
	clearenv();
	umask(022);

	if (build_chroot(&undo, &a, root, sizeof(root)) || copy_exec(&a, root) ||
	    set_limits(&a) || cgroups_setup(&undo, &a) ||
	    (a.netns && join_netns(a.netns)))
		goto fail;
	if (a.daemonize) {
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd < 0) {
			jail_err("cannot open /dev/null: %s", strerror(errno));
			goto fail;
		}
	}
	if (enter_chroot(root) || make_devices(&a))
		goto fail;
	if (a.daemonize && daemonize(null_fd))
		goto fail;
	if (a.new_pid_ns && fork_pid_ns(&a, &undo, &report_fd))
		goto fail;
	snprintf(exec_path, sizeof(exec_path), "/%s", a.exec_name);
	av = build_argv(&a, exec_path);
	if (!av) {
		jail_err("out of memory");
		goto fail;
	}
	if (drop_privileges(&a))
		goto fail;
	{
		char *envp[] = { NULL };

		execve(exec_path, av, envp);
	}
	e = errno;
	jail_err("cannot exec %s in the jail as uid %u: %s", exec_path, (unsigned int)a.uid,
		 strerror(e));
	if (seteuid(0) < 0)
		jail_err("cannot regain root to clean up: %s", strerror(errno));
fail:
	if (report_fd >= 0) {
		/* The parent outside the pid namespace cleans up. */
		e = 1;
		if (write(report_fd, &e, sizeof(e)) < 0)
			_exit(EXIT_SETUP);
		_exit(EXIT_SETUP);
	}
	undo_run(&undo);
	return EXIT_SETUP;
}
