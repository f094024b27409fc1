/* SPDX-License-Identifier: MIT */
/* jailer/fs.c: the chroot directory, the copied binary, pivot_root, device nodes, and undoing them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jailer.h"

int jail_path(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int undo_dir(struct jail_undo *u, int parent_fd, const char *name, bool tree)
{
	if (u->n == JAIL_MAX_UNDO)
		return -ENOSPC;
	u->dirs[u->n].name = strdup(name);
	if (!u->dirs[u->n].name)
		return -ENOMEM;
	u->dirs[u->n].parent_fd = fcntl(parent_fd, F_DUPFD_CLOEXEC, 3);
	if (u->dirs[u->n].parent_fd < 0) {
		free(u->dirs[u->n].name);
		return -errno;
	}
	u->dirs[u->n].tree = tree;
	u->n++;
	return 0;
}

/* Remove `name` under `dfd` and everything below it, never leaving the
 * file system it lives on and never following a symlink. */
static void rm_tree_at(int dfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd;

	if (depth > 16 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	if (st.st_dev != dev)
		return;		/* a mount point: not ours to empty */
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rm_tree_at(dirfd(d), de->d_name, dev, depth + 1);
	}
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

void undo_run(struct jail_undo *u)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

	/* Leave the new cgroups first, or they cannot be removed. */
	for (unsigned int i = 0; i < u->n_leave; i++) {
		if (write(u->leave_fd[i], pid, (size_t)n) < 0)
			jail_err("cleanup: cannot leave a cgroup: %s", strerror(errno));
		close(u->leave_fd[i]);
	}
	u->n_leave = 0;
	while (u->n > 0) {
		u->n--;
		if (u->dirs[u->n].tree) {
			struct stat st;

			if (fstat(u->dirs[u->n].parent_fd, &st) == 0)
				rm_tree_at(u->dirs[u->n].parent_fd, u->dirs[u->n].name, st.st_dev, 0);
		} else if (unlinkat(u->dirs[u->n].parent_fd, u->dirs[u->n].name,
				    AT_REMOVEDIR) < 0 && errno != ENOENT) {
			jail_err("cleanup: cannot remove '%s': %s", u->dirs[u->n].name,
				 strerror(errno));
		}
		close(u->dirs[u->n].parent_fd);
		free(u->dirs[u->n].name);
	}
}

/* mkdir -p an absolute path, recording each directory it creates. */
int mkdir_p(struct jail_undo *u, const char *path)
{
	char buf[PATH_MAX];
	int dfd, err = 0;
	char *p, *next;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (p = buf + 1; p && *p; p = next) {
		int nfd;

		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		if (!*p)
			continue;
		if (mkdirat(dfd, p, 0755) == 0) {
			err = undo_dir(u, dfd, p, false);
			if (err)
				break;
		} else if (errno != EEXIST) {
			err = -errno;
			break;
		}
		nfd = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0) {
			err = errno == ENOTDIR ? -ENOTDIR : -errno;
			break;
		}
		close(dfd);
		dfd = nfd;
	}
	close(dfd);
	return err;
}

/* <base>/<exec name>/<id>/root; the <id> directory must be new. */
int build_chroot(struct jail_undo *u, const struct jail_args *a, char *root, size_t root_len)
{
	char dir[PATH_MAX];
	int dfd, err;

	if (snprintf(dir, sizeof(dir), "%s/%s", a->base, a->exec_name) >= (int)sizeof(dir) ||
	    snprintf(root, root_len, "%s/%s/root", dir, a->id) >= (int)root_len) {
		jail_err("chroot path under '%s' is too long", a->base);
		return -ENAMETOOLONG;
	}
	err = mkdir_p(u, dir);
	if (err) {
		jail_err("cannot create '%s': %s", dir, strerror(-err));
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		jail_err("cannot open '%s': %s", dir, strerror(errno));
		return err;
	}
	if (mkdirat(dfd, a->id, 0755) < 0) {
		err = -errno;
		if (errno == EEXIST)
			jail_err("chroot '%s/%s' already exists: refusing to reuse it "
				 "(remove it or pick another --id)", dir, a->id);
		else
			jail_err("cannot create '%s/%s': %s", dir, a->id, strerror(errno));
		close(dfd);
		return err;
	}
	err = undo_dir(u, dfd, a->id, true);
	close(dfd);
	if (err)
		return err;
	if (mkdir(root, 0755) < 0) {
		err = -errno;
		jail_err("cannot create '%s': %s", root, strerror(errno));
		return err;
	}
	return 0;
}

/* A real copy, not a link: the jailed binary shares no inode or page-cache
 * pages with any other VM's. */
int copy_exec(const struct jail_args *a, const char *root)
{
	char dst[PATH_MAX];
	struct stat st;
	int in, out, err = 0;

	snprintf(dst, sizeof(dst), "%s/%s", root, a->exec_name);
	in = open(a->exec_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		err = -errno;
		jail_err("cannot open --exec-file '%s': %s", a->exec_file, strerror(errno));
		return err;
	}
	/* Checked again on the open file: the path may have changed since. */
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		jail_err("--exec-file '%s' changed while the jail was built", a->exec_file);
		close(in);
		return -EINVAL;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (out < 0) {
		err = -errno;
		jail_err("cannot create '%s': %s", dst, strerror(errno));
		close(in);
		return err;
	}
	for (;;) {
		char buf[65536];
		ssize_t n = read(in, buf, sizeof(buf)), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err = -errno;
			break;
		}
		while (w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				err = k < 0 ? -errno : -EIO;
				break;
			}
			w += k;
		}
		if (err)
			break;
	}
	/* Root-owned, readable and executable by the jailed user, writable by none. */
	if (!err && fchmod(out, 0555) < 0)
		err = -errno;
	if (close(out) < 0 && !err)
		err = -errno;
	close(in);
	if (err)
		jail_err("cannot copy '%s' to '%s': %s", a->exec_file, dst, strerror(-err));
	return err;
}

/* New mount namespace, `root` as "/", the host's tree unmounted. */
int enter_chroot(const char *root)
{
	const char *step;

	step = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS) < 0)
		goto fail;
	/* Nothing we mount from here on may propagate back to the host. */
	step = "making / private";
	if (mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0)
		goto fail;
	/* pivot_root needs the new root to be a mount point. */
	step = "bind-mounting the chroot onto itself";
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		goto fail;
	step = "chdir to the chroot";
	if (chdir(root) < 0)
		goto fail;
	step = "mkdir old_root";
	if (mkdir("old_root", 0700) < 0)
		goto fail;
	step = "pivot_root";
	if (syscall(SYS_pivot_root, ".", "old_root") < 0)
		goto fail;
	step = "unmounting the old root";
	if (umount2("old_root", MNT_DETACH) < 0)
		goto fail;
	step = "rmdir old_root";
	if (rmdir("old_root") < 0)
		goto fail;
	step = "chroot";
	if (chroot(".") < 0 || chdir("/") < 0)
		goto fail;
	return 0;
fail:
	jail_err("%s: %s", step, strerror(errno));
	return -1;
}

static int make_node(const char *path, unsigned int major, unsigned int minor, mode_t mode,
		     const struct jail_args *a)
{
	if (mknod(path, S_IFCHR | mode, makedev(major, minor)) < 0 ||
	    chmod(path, mode) < 0 || chown(path, a->uid, a->gid) < 0) {
		jail_err("cannot create %s (%u,%u) in the jail: %s", path, major, minor,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Inside the new root: the only device nodes the VMM may use. */
int make_devices(const struct jail_args *a)
{
	if ((mkdir("/dev", 0755) < 0 && errno != EEXIST) ||
	    (mkdir("/dev/net", 0755) < 0 && errno != EEXIST)) {
		jail_err("cannot create /dev in the jail: %s", strerror(errno));
		return -1;
	}
	if (make_node("/dev/kvm", 10, 232, 0600, a) ||
	    make_node("/dev/net/tun", 10, 200, 0600, a) ||
	    make_node("/dev/urandom", 1, 9, 0600, a))
		return -1;
	/* The VMM creates its API socket and files in its own root. */
	if (chown("/", a->uid, a->gid) < 0) {
		jail_err("cannot chown the jail root to %u:%u: %s", (unsigned int)a->uid,
			 (unsigned int)a->gid, strerror(errno));
		return -1;
	}
	return 0;
}
