/* SPDX-License-Identifier: MIT */
/* common/shmring.c - rte_ring rings and a slot pool in a shared mapping. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/*
 * The only file in common/ that includes DPDK. Nothing here needs the EAL:
 * rte_ring_init() just fills in the ring header (it logs through rte_log,
 * which falls back to stderr, only for flags and sizes we validate first),
 * and enqueue/dequeue are inline functions on the shared memory.
 */
#include <rte_config.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/shmring.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define ALIGN_UP(x, a)  (((x) + (a) - 1) / (a) * (a))
#define RING_ALIGN      128     /* keep rings off each other's cache lines */
#define SLOTS_ALIGN     4096
#define DESC_FLAGS      (RING_F_SP_ENQ | RING_F_SC_DEQ)

/* A descriptor ring as the rest of the tree sees it. rte_ring's element
 * table follows the struct, so this is a view, never an allocation. */
struct shmring_q {
	struct rte_ring ring;
};

struct shmring {
	uint8_t *base;
	size_t map_len;                 /* the region; a guard page follows */
	int fd;
	/* Geometry validated at create/attach, kept privately so the hot
	 * path never rereads the shared header. */
	uint32_t n_rings;
	uint32_t ring_size;
	uint32_t n_slots;
	uint64_t ring_stride;
	uint8_t *rings;
	struct rte_ring *free_list;
	uint8_t *slots;
	bool hugetlb;
};

static_assert(sizeof(struct msg_desc) == 8, "rte_ring elem size");
static_assert(sizeof(struct rte_ring) % RING_ALIGN == 0, "ring align");

/* layout() fills the size and offset fields of h from its n_rings,
 * ring_size and n_slots; region_size is the unrounded end. Returns 0 or
 * -EINVAL when a parameter is out of range. */
static int layout(struct shmring_hdr *h)
{
	ssize_t ring_bytes, free_bytes;
	uint32_t free_size;

	if (h->n_rings == 0 || h->n_rings > SHMRING_MAX_RINGS)
		return -EINVAL;
	if (h->ring_size < 2 || h->ring_size > SHMRING_MAX_RING_SIZE ||
	    (h->ring_size & (h->ring_size - 1)) != 0)
		return -EINVAL;
	if (h->n_slots == 0 || h->n_slots > SHMRING_MAX_SLOTS)
		return -EINVAL;
	/* A power of two holding every slot (capacity is size - 1). */
	free_size = 2;
	while (free_size - 1 < h->n_slots)
		free_size <<= 1;

	ring_bytes = rte_ring_get_memsize_elem(sizeof(struct msg_desc),
					       h->ring_size);
	free_bytes = rte_ring_get_memsize_elem(sizeof(uint32_t), free_size);
	if (ring_bytes < 0 || free_bytes < 0)
		return -EINVAL;

	h->hdr_size = sizeof(*h);
	h->slot_size = MSG_SLOT_SIZE;
	h->desc_size = sizeof(struct msg_desc);
	h->ring_hdr_size = sizeof(struct rte_ring);
	h->free_size = free_size;
	h->ring_stride = ALIGN_UP((uint64_t)ring_bytes, RING_ALIGN);
	h->rings_off = ALIGN_UP(sizeof(*h), RING_ALIGN);
	h->free_off = h->rings_off + h->n_rings * h->ring_stride;
	h->free_bytes = ALIGN_UP((uint64_t)free_bytes, RING_ALIGN);
	h->slots_off = ALIGN_UP(h->free_off + h->free_bytes, SLOTS_ALIGN);
	h->region_size = h->slots_off + (uint64_t)h->n_slots * MSG_SLOT_SIZE;
	return 0;
}

static void bind_view(struct shmring *r, const struct shmring_hdr *h)
{
	r->n_rings = h->n_rings;
	r->ring_size = h->ring_size;
	r->n_slots = h->n_slots;
	r->ring_stride = h->ring_stride;
	r->rings = r->base + h->rings_off;
	r->free_list = (struct rte_ring *)(void *)(r->base + h->free_off);
	r->slots = r->base + h->slots_off;
	r->hugetlb = (h->flags & SHMRING_F_HUGETLB) != 0;
}

static struct rte_ring *ring_at(const struct shmring *r, uint32_t idx)
{
	return (struct rte_ring *)(void *)(r->rings + idx * r->ring_stride);
}

/* page_size() is the mapping granule of fd: the huge page size on
 * hugetlbfs (memfd MFD_HUGETLB included), else the base page size. */
static size_t page_size(int fd, bool *huge)
{
	struct statfs sfs;

	*huge = false;
	if (fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type ==
	    (unsigned long)HUGETLBFS_MAGIC && sfs.f_bsize > 0) {
		*huge = true;
		return (size_t)sfs.f_bsize;
	}
	return (size_t)sysconf(_SC_PAGESIZE);
}

size_t shmring_page_size(int fd)
{
	bool huge;

	return page_size(fd, &huge);
}

static size_t guard_len(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

/* map_guarded() maps len bytes of fd, shared, at an address aligned to
 * align (the file's page size: a huge page on hugetlbfs), with a
 * PROT_NONE page right after the region: an access that runs off the end
 * of the last slot faults instead of reading whatever mapping the kernel
 * put next (the other process's length fields are not to be trusted:
 * DESIGN.md, Trust boundaries). Returns the mapping or MAP_FAILED with
 * errno set; unmap len + guard_len() bytes. */
static void *map_guarded(int fd, size_t len, size_t align, int flags)
{
	size_t guard = guard_len(), resv = len + guard + align;
	uint8_t *r, *end, *rend;
	uintptr_t a;
	void *p;

	r = mmap(NULL, resv, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = ALIGN_UP((uintptr_t)r, align);
	p = mmap((void *)a, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | flags, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(r, resv);
		errno = e;
		return MAP_FAILED;
	}
	/* Give back the alignment slack; the guard page stays reserved. */
	end = (uint8_t *)a + len + guard;
	rend = r + resv;
	if ((uint8_t *)a > r)
		munmap(r, (size_t)((uint8_t *)a - r));
	if (rend > end)
		munmap(end, (size_t)(rend - end));
	return p;
}

/* size_and_map() sizes fd to hold h (rounded to its page size) and maps
 * it. Returns 0 or -errno; on failure nothing stays mapped. */
static int size_and_map(struct shmring *r, struct shmring_hdr *h)
{
	size_t pg;
	bool huge;
	void *p;

	pg = page_size(r->fd, &huge);
	h->region_size = ALIGN_UP(h->region_size, pg);
	h->flags = huge ? SHMRING_F_HUGETLB : 0;
	if (h->region_size > SIZE_MAX || h->region_size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if (ftruncate(r->fd, (off_t)h->region_size) < 0)
		return -errno;
	/* hugetlb reserves pages at mmap time, so ENOMEM here (not SIGBUS
	 * later) when none are free. */
	p = map_guarded(r->fd, h->region_size, pg, MAP_POPULATE);
	if (p == MAP_FAILED)
		return -errno;
	r->base = p;
	r->map_len = h->region_size;
	return 0;
}

/* init_region() lays out a freshly mapped, zeroed region and publishes it
 * by storing hdr.ready last. */
static int init_region(struct shmring *r, const struct shmring_hdr *tmpl)
{
	struct shmring_hdr *h = (struct shmring_hdr *)(void *)r->base;
	char name[RTE_RING_NAMESIZE];
	uint32_t batch[256];
	uint32_t i, n;
	int rc;

	memcpy(h, tmpl, sizeof(*h));
	h->ready = 0;
	bind_view(r, h);
	for (i = 0; i < r->n_rings; i++) {
		snprintf(name, sizeof(name), "devplane-q%u", i);
		rc = rte_ring_init(ring_at(r, i), name, r->ring_size,
				   DESC_FLAGS);
		if (rc < 0)
			return rc;
	}
	rc = rte_ring_init(r->free_list, "devplane-free", h->free_size, 0);
	if (rc < 0)
		return rc;
	for (i = 0; i < r->n_slots; i += n) {
		n = r->n_slots - i;
		if (n > sizeof(batch) / sizeof(batch[0]))
			n = sizeof(batch) / sizeof(batch[0]);
		for (uint32_t k = 0; k < n; k++)
			batch[k] = i + k;
		if (rte_ring_enqueue_bulk_elem(r->free_list, batch,
					       sizeof(uint32_t), n, NULL) != n)
			return -ENOBUFS;
	}
	__atomic_store_n(&h->ready, SHMRING_READY, __ATOMIC_RELEASE);
	return 0;
}

/* open_tmp() creates a fresh file next to path for an atomic rename. */
static int open_tmp(const char *path, char **tmp_out)
{
	size_t len = strlen(path);
	char *tmp;
	int fd;

	tmp = malloc(len + sizeof(".XXXXXX"));
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		free(tmp);
		return err;
	}
	*tmp_out = tmp;
	return fd;
}

static int open_memfd(struct shmring *r, struct shmring_hdr *h, bool huge)
{
	unsigned int mfd = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int rc;

	r->fd = memfd_create("devplane-shmring", mfd | (huge ? MFD_HUGETLB : 0));
	if (r->fd < 0)
		return -errno;
	rc = size_and_map(r, h);
	if (rc < 0) {
		close(r->fd);
		r->fd = -1;
		return rc;
	}
	return 0;
}

int shmring_create(struct shmring **out, const struct shmring_cfg *cfg)
{
	struct shmring_hdr h = { 0 };
	char *tmp = NULL;
	struct shmring *r;
	int rc;

	if (!out || !cfg || (cfg->flags & ~SHMRING_F_HUGETLB))
		return -EINVAL;
	h.magic = SHMRING_MAGIC;
	h.abi_version = MSG_ABI_VERSION;
	h.n_rings = cfg->n_rings;
	h.ring_size = cfg->ring_size;
	h.n_slots = cfg->n_slots;
	rc = layout(&h);
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;

	if (cfg->path) {
		rc = open_tmp(cfg->path, &tmp);
		if (rc < 0)
			goto out_free;
		r->fd = rc;
		/* mkostemp makes it 0600; let the control process's group in. */
		if (fchmod(r->fd, 0660) < 0) {
			rc = -errno;
			goto out_unlink;
		}
		rc = size_and_map(r, &h);
		if (rc < 0)
			goto out_unlink;
	} else {
		rc = -ENOENT;
		if (cfg->flags & SHMRING_F_HUGETLB)
			rc = open_memfd(r, &h, true);
		/* No huge pages reserved (or no hugetlb memfd): normal pages. */
		if (rc < 0)
			rc = open_memfd(r, &h, false);
		if (rc < 0)
			goto out_free;
		/* The other process can then trust the size it maps. */
		if (fcntl(r->fd, F_ADD_SEALS,
			  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
			rc = -errno;
			goto out_unmap;
		}
	}

	rc = init_region(r, &h);
	if (rc < 0)
		goto out_unmap;
	if (tmp) {
		if (rename(tmp, cfg->path) < 0) {
			rc = -errno;
			goto out_unmap;
		}
		free(tmp);
	}
	*out = r;
	return 0;

out_unmap:
	munmap(r->base, r->map_len + guard_len());
out_unlink:
	if (tmp)
		unlink(tmp);
out_free:
	free(tmp);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	return rc;
}

/* check_hdr() compares a private copy of the creator's header with the
 * layout this build computes for the same geometry, field by field.
 * file_size is what fstat reported. */
static int check_hdr(const struct shmring_hdr *h, uint64_t file_size)
{
	struct shmring_hdr want = { 0 };

	if (h->magic != SHMRING_MAGIC)
		return -EBADMSG;
	if (h->abi_version != MSG_ABI_VERSION)
		return -EPROTONOSUPPORT;
	if (h->ring_hdr_size != sizeof(struct rte_ring))
		return -EPROTONOSUPPORT;        /* another DPDK's rte_ring */
	if (h->ready != SHMRING_READY)
		return -EAGAIN;
	want.n_rings = h->n_rings;
	want.ring_size = h->ring_size;
	want.n_slots = h->n_slots;
	if (layout(&want) < 0)
		return -EBADMSG;
	if (h->hdr_size != want.hdr_size || h->slot_size != want.slot_size ||
	    h->desc_size != want.desc_size ||
	    h->free_size != want.free_size ||
	    h->ring_stride != want.ring_stride ||
	    h->rings_off != want.rings_off || h->free_off != want.free_off ||
	    h->free_bytes != want.free_bytes ||
	    h->slots_off != want.slots_off)
		return -EBADMSG;
	if ((h->flags & ~SHMRING_F_HUGETLB) != 0 || h->pad0 != 0)
		return -EBADMSG;
	/* Rounded up to the page size by the creator, never below the end
	 * of the last slot and never past the end of the file. */
	if (h->region_size < want.region_size || h->region_size > SIZE_MAX)
		return -EBADMSG;
	if (h->region_size > file_size)
		return -EMSGSIZE;
	return 0;
}

/* check_ring() verifies a ring header written by the other process: the
 * size and mask rte_ring indexes with, and the sync mode we rely on. */
static bool check_ring(const struct rte_ring *q, uint32_t size,
		       unsigned int flags, enum rte_ring_sync_type st)
{
	return q->size == size && q->mask == size - 1 &&
	       q->capacity == size - 1 && (unsigned int)q->flags == flags &&
	       q->prod.sync_type == st && q->cons.sync_type == st;
}

int shmring_attach(struct shmring **out, int fd)
{
	const struct shmring_hdr *shared;
	struct shmring_hdr h;
	struct shmring *r;
	struct stat st;
	int rc, seals;
	void *p;

	if (!out || fd < 0)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size < sizeof(struct shmring_hdr))
		return -EMSGSIZE;
	/* An anonymous region (memfd, no link) must be sealed, or the
	 * creator could shrink it under us and turn our reads into SIGBUS.
	 * A named file (tmpfs, hugetlbfs) cannot be sealed; its directory's
	 * permissions are what protect it. */
	seals = fcntl(fd, F_GET_SEALS);
	if (st.st_nlink == 0 && (seals < 0 || !(seals & F_SEAL_SHRINK)))
		return -EBADMSG;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (r->fd < 0) {
		rc = -errno;
		goto out_free;
	}
	/* Map what the file holds, validate, then keep the region only. */
	if ((uint64_t)st.st_size > SIZE_MAX) {
		rc = -EFBIG;
		goto out_close;
	}
	p = map_guarded(r->fd, (size_t)st.st_size, shmring_page_size(r->fd),
			0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto out_close;
	}
	r->base = p;
	r->map_len = (size_t)st.st_size;
	/* Validate and use one private copy, so the other process changing
	 * the shared header meanwhile cannot slip past the checks; ready is
	 * read first (acquire) to see the creator's complete writes. */
	shared = (const struct shmring_hdr *)(void *)r->base;
	if (__atomic_load_n(&shared->ready, __ATOMIC_ACQUIRE) != SHMRING_READY) {
		rc = shared->magic != SHMRING_MAGIC ? -EBADMSG : -EAGAIN;
		goto out_unmap;
	}
	memcpy(&h, shared, sizeof(h));
	rc = check_hdr(&h, (uint64_t)st.st_size);
	if (rc < 0)
		goto out_unmap;
	bind_view(r, &h);
	rc = -EBADMSG;
	for (uint32_t i = 0; i < r->n_rings; i++)
		if (!check_ring(ring_at(r, i), r->ring_size, DESC_FLAGS,
				RTE_RING_SYNC_ST))
			goto out_unmap;
	if (!check_ring(r->free_list, h.free_size, 0, RTE_RING_SYNC_MT))
		goto out_unmap;
	*out = r;
	return 0;

out_unmap:
	munmap(r->base, r->map_len + guard_len());
out_close:
	close(r->fd);
out_free:
	free(r);
	return rc;
}

int shmring_attach_path(struct shmring **out, const char *path)
{
	int fd, rc;

	if (!path)
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = shmring_attach(out, fd);
	close(fd);
	return rc;
}

void shmring_free(struct shmring *r)
{
	if (!r)
		return;
	munmap(r->base, r->map_len + guard_len());
	close(r->fd);
	free(r);
}

int shmring_fd(const struct shmring *r)
{
	return r->fd;
}

uint32_t shmring_n_rings(const struct shmring *r)
{
	return r->n_rings;
}

uint32_t shmring_n_slots(const struct shmring *r)
{
	return r->n_slots;
}

uint32_t shmring_ring_capacity(const struct shmring *r)
{
	return r->ring_size - 1;
}

bool shmring_is_hugetlb(const struct shmring *r)
{
	return r->hugetlb;
}

struct shmring_q *shmring_ring(struct shmring *r, uint32_t idx)
{
	if (idx >= r->n_rings)
		return NULL;
	return (struct shmring_q *)(void *)ring_at(r, idx);
}

unsigned int shmring_enqueue(struct shmring_q *q, const struct msg_desc *d,
			     unsigned int n)
{
	return rte_ring_enqueue_burst_elem(&q->ring, d, sizeof(*d), n, NULL);
}

unsigned int shmring_dequeue(struct shmring_q *q, struct msg_desc *d,
			     unsigned int n)
{
	return rte_ring_dequeue_burst_elem(&q->ring, d, sizeof(*d), n, NULL);
}

unsigned int shmring_count(const struct shmring_q *q)
{
	return rte_ring_count(&q->ring);
}

int shmring_slot_alloc(struct shmring *r, uint32_t *slot)
{
	uint32_t idx;

	if (rte_ring_dequeue_elem(r->free_list, &idx, sizeof(idx)) != 0)
		return -ENOBUFS;
	if (idx >= r->n_slots)
		return -EBADMSG;
	*slot = idx;
	return 0;
}

unsigned int shmring_slot_alloc_burst(struct shmring *r, uint32_t *slots,
				      unsigned int n)
{
	unsigned int got, i, k = 0;

	got = rte_ring_dequeue_burst_elem(r->free_list, slots, sizeof(*slots),
					  n, NULL);
	for (i = 0; i < got; i++)
		if (slots[i] < r->n_slots)
			slots[k++] = slots[i];
	return k;
}

int shmring_slot_free(struct shmring *r, uint32_t slot)
{
	if (slot >= r->n_slots)
		return -EINVAL;
	if (rte_ring_enqueue_elem(r->free_list, &slot, sizeof(slot)) != 0)
		return -ENOBUFS;
	return 0;
}

unsigned int shmring_slot_free_burst(struct shmring *r, const uint32_t *slots,
				     unsigned int n)
{
	unsigned int i, k, done = 0;
	uint32_t ok[64];

	/* Filter in chunks so a bad index never reaches the free list. */
	for (i = 0; i < n;) {
		for (k = 0; i < n && k < sizeof(ok) / sizeof(ok[0]); i++)
			if (slots[i] < r->n_slots)
				ok[k++] = slots[i];
		done += rte_ring_enqueue_burst_elem(r->free_list, ok,
						    sizeof(ok[0]), k, NULL);
	}
	return done;
}

unsigned int shmring_slots_free(const struct shmring *r)
{
	return rte_ring_count(r->free_list);
}

void *shmring_slot_ptr(const struct shmring *r, uint32_t slot)
{
	if (slot >= r->n_slots)
		return NULL;
	return r->slots + (size_t)slot * MSG_SLOT_SIZE;
}

void *shmring_desc_ptr(const struct shmring *r, const struct msg_desc *d)
{
	if ((d->flags & MSG_DESC_F_NOSLOT) || d->len > MSG_SLOT_SIZE)
		return NULL;
	return shmring_slot_ptr(r, d->slot);
}

int shmring_send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)"R", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

int shmring_recv_fd(int sock, int *fd)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int got = -1, extra = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	/* Take ownership of every fd that came, keep exactly one. */
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
			if (got < 0) {
				got = f;
			} else {
				close(f);
				extra++;
			}
		}
	}
	if (got < 0 || extra || (mh.msg_flags & MSG_CTRUNC)) {
		if (got >= 0)
			close(got);
		return -EBADMSG;
	}
	*fd = got;
	return 0;
}
