/* SPDX-License-Identifier: MIT */
/* jailer/cgroup.c: cgroup v1/v2 set-up: find the mounts, create <parent>/<id>, write the values, join. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jailer.h"

/* Mount point of the v2 hierarchy, or of the v1 hierarchy carrying
 * `controller`, from /proc/mounts. */
static int find_mount(int version, const char *controller, char *out, size_t out_len)
{
	char line[4096];
	FILE *f = fopen("/proc/mounts", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *dev, *dir, *type, *opts, *o;

		dev = strtok_r(line, " ", &save);
		dir = strtok_r(NULL, " ", &save);
		type = strtok_r(NULL, " ", &save);
		opts = strtok_r(NULL, " ", &save);
		if (!dev || !dir || !type || !opts)
			continue;
		if (version == 2 && !strcmp(type, "cgroup2")) {
			snprintf(out, out_len, "%s", dir);
			err = 0;
			break;
		}
		if (version != 1 || strcmp(type, "cgroup"))
			continue;
		for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
			if (!strcmp(o, controller))
				break;
		if (o) {
			snprintf(out, out_len, "%s", dir);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* Our current cgroup path in that hierarchy, from /proc/self/cgroup. */
static int current_cgroup(int version, const char *controller, char *out, size_t out_len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *save = NULL, *c;
		bool match = false;

		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if (version == 2) {
			match = !strcmp(line, "0") && c1[1] == '\0';
		} else {
			for (c = strtok_r(c1 + 1, ",", &save); c; c = strtok_r(NULL, ",", &save))
				if (!strcmp(c, controller))
					match = true;
		}
		if (match) {
			snprintf(out, out_len, "%s", c2 + 1);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(value);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, n) != (ssize_t)n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* v1 cpuset: a new group starts with no CPUs or memory nodes; copy them
 * down from the parent, as tasks cannot join an empty cpuset. */
static void cpuset_inherit(const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX], ppath[PATH_MAX], buf[512] = "";
		ssize_t n;
		int fd;

		if (jail_path(path, sizeof(path), "%s/%s", dir, files[i]) ||
		    jail_path(ppath, sizeof(ppath), "%s/../%s", dir, files[i]))
			continue;
		fd = open(ppath, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			(void)write_file(path, buf);
		}
	}
}

/* Create <mount>/<parent>/<id> level by level (recording what is new). */
static int make_group(struct jail_undo *u, const char *mnt, const struct jail_args *a,
		      const char *controller, char *dir, size_t dir_len)
{
	char rel[PATH_MAX], *p, *next;
	int err;

	snprintf(rel, sizeof(rel), "%s/%s", a->parent_cgroup, a->id);
	snprintf(dir, dir_len, "%s", mnt);
	for (p = rel; p && *p; p = next) {
		int dfd;

		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		if (mkdirat(dfd, p, 0755) == 0) {
			err = undo_dir(u, dfd, p, false);
		} else {
			err = errno == EEXIST ? 0 : -errno;
			/* The <id> group itself must be new: it is this VM's. */
			if (!err && !next)
				err = -EEXIST;
		}
		close(dfd);
		if (strlen(dir) + strlen(p) + 2 > dir_len)
			return -ENAMETOOLONG;
		strcat(dir, "/");
		strcat(dir, p);
		if (err)
			return err;
		if (!strcmp(controller, "cpuset"))
			cpuset_inherit(dir);
	}
	return 0;
}

/* v2: a controller's files exist in a group only when every ancestor
 * lists it in cgroup.subtree_control. */
static int enable_v2_controller(const char *mnt, const struct jail_args *a, const char *ctrl)
{
	char dir[PATH_MAX], rel[PATH_MAX], *p, *next;

	snprintf(dir, sizeof(dir), "%s", mnt);
	snprintf(rel, sizeof(rel), "%s", a->parent_cgroup);
	for (p = rel;; p = next) {
		char path[PATH_MAX], cur[1024] = "", want[128], *tok, *save = NULL;
		bool on = false;
		ssize_t n;
		int fd, err;

		if (jail_path(path, sizeof(path), "%s/cgroup.subtree_control", dir))
			return -ENAMETOOLONG;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, cur, sizeof(cur) - 1);
		close(fd);
		if (n > 0)
			cur[n] = '\0';
		for (tok = strtok_r(cur, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			if (!strcmp(tok, ctrl))
				on = true;
		if (!on) {
			snprintf(want, sizeof(want), "+%s", ctrl);
			err = write_file(path, want);
			if (err)
				return err;
		}
		if (!p || !*p)
			return 0;
		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		if (strlen(dir) + strlen(p) + 2 > sizeof(dir))
			return -ENAMETOOLONG;
		strcat(dir, "/");
		strcat(dir, p);
	}
}

/* Controller of a value file: the text before the first '.'. */
static void controller_of(const char *file, char *out, size_t len)
{
	size_t n = strcspn(file, ".");

	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), file);
}

static int join(struct jail_undo *u, int version, const char *controller, const char *dir)
{
	char orig[PATH_MAX], mnt[PATH_MAX], path[PATH_MAX], pid[32];
	int err, fd;

	/* Remember the way back before leaving. */
	err = find_mount(version, controller, mnt, sizeof(mnt));
	if (!err)
		err = current_cgroup(version, controller, orig, sizeof(orig));
	if (err)
		return err;
	fd = jail_path(path, sizeof(path), "%s%s/cgroup.procs", mnt, orig) ? -1 :
	     open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && u->n_leave < JAIL_MAX_CGROUPS)
		u->leave_fd[u->n_leave++] = fd;
	else if (fd >= 0)
		close(fd);
	if (jail_path(path, sizeof(path), "%s/cgroup.procs", dir))
		return -ENAMETOOLONG;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	return write_file(path, pid);
}

int cgroups_setup(struct jail_undo *u, const struct jail_args *a)
{
	char done[JAIL_MAX_CGROUPS][64];
	unsigned int n_done = 0;
	char mnt[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 64];
	int err;

	if (a->cgroup_version == 2) {
		if (!a->n_cgroups && !a->parent_cgroup_given)
			return 0;
		err = find_mount(2, NULL, mnt, sizeof(mnt));
		if (err) {
			jail_err("--cgroup-version 2: no cgroup2 file system in /proc/mounts");
			return err;
		}
		for (unsigned int i = 0; i < a->n_cgroups; i++) {
			char ctrl[64];

			controller_of(a->cgroups[i].file, ctrl, sizeof(ctrl));
			err = enable_v2_controller(mnt, a, ctrl);
			if (err) {
				jail_err("cgroup v2: cannot enable controller '%s' under %s/%s: %s",
					 ctrl, mnt, a->parent_cgroup, strerror(-err));
				return err;
			}
		}
		err = make_group(u, mnt, a, "", dir, sizeof(dir));
		if (err) {
			jail_err("cgroup v2: cannot create %s/%s/%s: %s", mnt, a->parent_cgroup,
				 a->id, strerror(-err));
			return err;
		}
		for (unsigned int i = 0; i < a->n_cgroups; i++) {
			err = jail_path(path, sizeof(path), "%s/%s", dir, a->cgroups[i].file);
			if (!err)
				err = write_file(path, a->cgroups[i].value);
			if (err) {
				jail_err("cgroup v2: cannot write '%s' to %s: %s",
					 a->cgroups[i].value, path, strerror(-err));
				return err;
			}
		}
		err = join(u, 2, NULL, dir);
		if (err)
			jail_err("cgroup v2: cannot join %s: %s", dir, strerror(-err));
		return err;
	}

	/* v1: one hierarchy per controller, each set up and joined once. */
	for (unsigned int i = 0; i < a->n_cgroups; i++) {
		char ctrl[64];
		unsigned int j;

		controller_of(a->cgroups[i].file, ctrl, sizeof(ctrl));
		for (j = 0; j < n_done; j++)
			if (!strcmp(done[j], ctrl))
				break;
		if (j < n_done)
			continue;
		snprintf(done[n_done++], sizeof(done[0]), "%s", ctrl);
		err = find_mount(1, ctrl, mnt, sizeof(mnt));
		if (err) {
			jail_err("--cgroup %s: no cgroup v1 hierarchy with controller '%s' in "
				 "/proc/mounts", a->cgroups[i].file, ctrl);
			return err;
		}
		err = make_group(u, mnt, a, ctrl, dir, sizeof(dir));
		if (err) {
			jail_err("cgroup v1: cannot create %s/%s/%s: %s", mnt, a->parent_cgroup,
				 a->id, strerror(-err));
			return err;
		}
		for (unsigned int k = i; k < a->n_cgroups; k++) {
			char c2[64];

			controller_of(a->cgroups[k].file, c2, sizeof(c2));
			if (strcmp(c2, ctrl))
				continue;
			err = jail_path(path, sizeof(path), "%s/%s", dir, a->cgroups[k].file);
			if (!err)
				err = write_file(path, a->cgroups[k].value);
			if (err) {
				jail_err("cgroup v1: cannot write '%s' to %s: %s",
					 a->cgroups[k].value, path, strerror(-err));
				return err;
			}
		}
		err = join(u, 1, ctrl, dir);
		if (err) {
			jail_err("cgroup v1: cannot join %s: %s", dir, strerror(-err));
			return err;
		}
	}
	return 0;
}
