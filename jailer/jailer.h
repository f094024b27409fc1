/* SPDX-License-Identifier: MIT */
/* jailer/jailer.h: shared state of ember-jailer: parsed arguments and the undo list for a failed set-up. */
#ifndef EMBER_JAILER_H
#define EMBER_JAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JAIL_ID_MAX		64
#define JAIL_MAX_CGROUPS	32
#define JAIL_MAX_UNDO		64
#define JAIL_DEFAULT_BASE	"/srv/jailer"
#define JAIL_DEFAULT_NOFILE	2048

struct jail_cgroup_value {
	char *file;		/* "<controller>.<name>", e.g. memory.limit_in_bytes */
	char *value;
};

struct jail_args {
	const char *id;
	const char *exec_file;		/* absolute path on the host */
	const char *exec_name;		/* its last component */
	uid_t uid;
	gid_t gid;
	const char *base;		/* --chroot-base-dir */
	const char *netns;
	int cgroup_version;		/* 1 or 2 */
	unsigned int n_cgroups;
	struct jail_cgroup_value cgroups[JAIL_MAX_CGROUPS];
	const char *parent_cgroup;	/* default: exec_name */
	bool parent_cgroup_given;
	bool has_fsize;
	uint64_t fsize;
	uint64_t nofile;
	bool daemonize;
	bool new_pid_ns;
	int n_exec_args;		/* arguments after "--" */
	char **exec_args;
};

/*
 * What a failed set-up must take back, newest last: directories we created
 * (removed through a descriptor of their parent, so this still works after
 * pivot_root) and cgroup memberships (left through the original
 * cgroup.procs, opened before joining).  Every descriptor is O_CLOEXEC.
 */
struct jail_undo {
	unsigned int n;
	struct {
		int parent_fd;
		char *name;
		bool tree;	/* remove the whole tree (the <id> directory) */
	} dirs[JAIL_MAX_UNDO];
	unsigned int n_leave;
	int leave_fd[JAIL_MAX_CGROUPS];	/* original cgroup.procs files */
};

/* Report a refusal or failure: "ember-jailer: <msg>" on stderr. */
void jail_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Format a path into out; -ENAMETOOLONG when it does not fit. */
int jail_path(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* fs.c */
int undo_dir(struct jail_undo *u, int parent_fd, const char *name, bool tree);
void undo_run(struct jail_undo *u);
int mkdir_p(struct jail_undo *u, const char *path);
int build_chroot(struct jail_undo *u, const struct jail_args *a, char *root, size_t root_len);
int copy_exec(const struct jail_args *a, const char *root);
int enter_chroot(const char *root);
int make_devices(const struct jail_args *a);

/* cgroup.c */
int cgroups_setup(struct jail_undo *u, const struct jail_args *a);

#endif
