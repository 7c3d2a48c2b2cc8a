/* SPDX-License-Identifier: MIT */
/* common/dplink_shm.c - mapping the dataplane's shared counter region. */
#include "common/dplink_shm.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/shmring.h"

int dplink_shm_map(struct dplink_shm **out, size_t *len, int fd, bool create,
		   bool writable)
{
	size_t pg = shmring_page_size(fd);
	size_t want = (sizeof(struct dplink_shm) + pg - 1) / pg * pg;
	struct dplink_shm *shm;
	struct stat st;
	void *p;

	if (create && ftruncate(fd, (off_t)want) < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size < want)
		return -EMSGSIZE;
	p = mmap(NULL, want, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	shm = p;
	if (create) {
		memset(shm, 0, sizeof(*shm));
		shm->magic = DPLINK_SHM_MAGIC;
		shm->version = DPLINK_VERSION;
	} else if (shm->magic != DPLINK_SHM_MAGIC ||
		   shm->version != DPLINK_VERSION) {
		munmap(p, want);
		return -EBADMSG;
	}
	*out = shm;
	*len = want;
	return 0;
}

void dplink_shm_unmap(struct dplink_shm *shm, size_t len)
{
	if (shm)
		munmap(shm, len);
}
