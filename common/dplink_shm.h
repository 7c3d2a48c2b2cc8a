/* SPDX-License-Identifier: MIT */
/* common/dplink_shm.h - mapping the dataplane's shared counter region
 * (struct dplink_shm): a memfd, or PATH.stats beside an attach-mode
 * dataplane's ring region, which may sit on hugetlbfs. */
#ifndef COMMON_DPLINK_SHM_H
#define COMMON_DPLINK_SHM_H
#include <stdbool.h>
#include <stddef.h>

#include "common/dplink_proto.h"

/* dplink_shm_map() maps the region behind fd. With create, it sizes the
 * file (whole pages of the file's page size: a huge page on hugetlbfs,
 * where a size or an unmap of part of a page is refused) and writes a
 * fresh header; without, it checks the header. *len receives the mapped
 * length for dplink_shm_unmap(). Returns 0, -EMSGSIZE (file too small),
 * -EBADMSG (bad magic or version) or -errno; on failure nothing stays
 * mapped. */
int dplink_shm_map(struct dplink_shm **out, size_t *len, int fd, bool create,
		   bool writable);

/* dplink_shm_unmap() undoes dplink_shm_map(); NULL is a no-op. */
void dplink_shm_unmap(struct dplink_shm *shm, size_t len);

#endif /* COMMON_DPLINK_SHM_H */
