/* SPDX-License-Identifier: MIT */
/* cli/config_file.c: reads a Firecracker-format config file and applies it through the API's schema code. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/schema.h"
#include "cli/config_file.h"

int config_file_parse(const char *text, size_t len, struct vm_config *c, char *why,
		      size_t why_len)
{
	json_t *root = schema_load(text, len, why, why_len);
	int err;

	if (!root)
		return -EINVAL;
	err = schema_apply_document(c, root, why, why_len);
	json_decref(root);
	return err;
}

/* Read `path` (a regular file of at most CONFIG_FILE_MAX_BYTES) into a new
 * buffer; *len is its size.  0, or -errno with *why. */
static int read_whole(const char *path, const char *what, char **out, size_t *len, char *why,
		      size_t why_len)
{
	struct stat st;
	size_t got = 0;
	char *text;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot open %s '%s': %s", what, path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX_BYTES) {
		snprintf(why, why_len, "%s '%s' is not a regular file of at most %u bytes", what,
			 path, CONFIG_FILE_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	*out = text;
	*len = got;
	return 0;
}

int config_file_load(const char *path, struct vm_config *c, char *why, size_t why_len)
{
	char *text, inner[400];
	size_t len;
	int err;

	err = read_whole(path, "config file", &text, &len, why, why_len);
	if (err)
		return err;
	err = config_file_parse(text, len, c, inner, sizeof(inner));
	if (err)
		snprintf(why, why_len, "config file '%s': %s", path, inner);
	free(text);
	return err;
}

int config_file_load_cpu_template(const char *path, struct vm_config *c, char *why,
				  size_t why_len)
{
	char *text, inner[400];
	json_t *root;
	size_t len;
	int err;

	err = read_whole(path, "CPU template", &text, &len, why, why_len);
	if (err)
		return err;
	root = schema_load(text, len, inner, sizeof(inner));
	free(text);
	err = root ? schema_put_cpu_config(c, root, inner, sizeof(inner)) : -EINVAL;
	json_decref(root);
	if (err)
		snprintf(why, why_len, "CPU template '%s': %s", path, inner);
	return err;
}
