/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/dpstats.c - `devplane-dp stats`: the shared counter
 * region, found and printed. */
#include "dataplane/daemon/dpstats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/dplink_shm.h"

int dpd_stats_path(char *buf, size_t cap, const char *shm_path)
{
	int n = snprintf(buf, cap, "%s.stats", shm_path);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

void dpd_print_stats(FILE *f, const struct dplink_shm *shm)
{
	uint64_t total[DP_CNT_MAX] = { 0 };
	unsigned nq = shm->n_queues;

	if (nq > DPLINK_MAX_QUEUES)
		nq = DPLINK_MAX_QUEUES;
	if (shm->backend[0])
		fprintf(f, "backend %.*s\n", (int)sizeof(shm->backend),
			shm->backend);
	for (unsigned q = 0; q < nq; q++) {
		for (unsigned i = 0; i < DP_CNT_MAX; i++) {
			uint64_t v = __atomic_load_n(&shm->w[q].cnt[i],
						     __ATOMIC_RELAXED);

			total[i] += v;
			fprintf(f, "worker%u.%s %llu\n", q, dp_cnt_name(i),
				(unsigned long long)v);
		}
	}
	for (unsigned i = 0; i < DP_CNT_MAX; i++)
		fprintf(f, "total.%s %llu\n", dp_cnt_name(i),
			(unsigned long long)total[i]);
}

/* print_fd() maps the counter region behind fd read-only and prints it;
 * it closes fd. */
static int print_fd(FILE *f, int fd)
{
	struct dplink_shm *shm;
	size_t len;
	int rc;

	rc = dplink_shm_map(&shm, &len, fd, false, false);
	close(fd);
	if (rc < 0)
		return rc;
	dpd_print_stats(f, shm);
	dplink_shm_unmap(shm, len);
	return 0;
}

int dpd_stats(FILE *f, const char *shm_path)
{
	char path[4096];
	int fd, rc;

	rc = dpd_stats_path(path, sizeof(path), shm_path);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return print_fd(f, fd);
}

int dpd_stats_pid(FILE *f, long pid)
{
	static const char want[] = "/memfd:" DPLINK_SHM_MEMFD_NAME " ";
	char dir[64], path[64 + 1 + 256], link[256];
	struct dirent *de;
	int fd = -ENOENT;
	DIR *d;

	if (pid <= 0)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	/* The link reads "/memfd:NAME (deleted)". */
	while (fd == -ENOENT && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strncmp(link, want, sizeof(want) - 1))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	closedir(d);
	if (fd < 0)
		return fd;
	return print_fd(f, fd);
}
