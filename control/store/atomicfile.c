/* SPDX-License-Identifier: MIT */
/* control/store/atomicfile.c - replace a file atomically: temporary file, fsync, rename, fsync of the directory. */
#include "control/store/atomicfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_SUFFIX ".tmp."      /* then mkstemp's six characters */

int atomicfile_write(const char *path, atomicfile_fill_fn *fill, void *user)
{
	char tmp[4096], dir[4096];
	FILE *f;
	int fd, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX "XXXXXX", path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto out_unlink;
	}
	rc = fill(f, user);
	if (rc == 0 && (fflush(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644)))
		rc = -errno;
	if (fclose(f) && rc == 0)
		rc = -errno;
	if (rc)
		goto out_unlink;
	if (rename(tmp, path)) {
		rc = -errno;
		goto out_unlink;
	}
	/* Make the rename itself durable. */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out_unlink:
	unlink(tmp);
	return rc;
}

static int fill_bytes(FILE *f, void *user)
{
	const struct { const void *p; size_t len; } *b = user;

	return fwrite(b->p, 1, b->len, f) == b->len ? 0 : -EIO;
}

int atomicfile_write_bytes(const char *path, const void *buf, size_t len)
{
	struct { const void *p; size_t len; } b = { buf, len };

	return atomicfile_write(path, fill_bytes, &b);
}

int atomicfile_clean_temps(const char *path)
{
	char dir[4096], base[4096], prefix[4096 + sizeof(TMP_SUFFIX)];
	struct dirent *d;
	size_t plen;
	DIR *dh;
	int dfd, n = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s" TMP_SUFFIX,
				basename(base));
	dh = opendir(dirname(dir));
	if (!dh)
		return -errno;
	dfd = dirfd(dh);
	while ((d = readdir(dh))) {
		if (strlen(d->d_name) == plen + 6 &&
		    !strncmp(d->d_name, prefix, plen) &&
		    unlinkat(dfd, d->d_name, 0) == 0)
			n++;
	}
	closedir(dh);
	return n;
}
