/* SPDX-License-Identifier: MIT */
/* common/shmring.h - shared-memory rings and slot pool between dp and ctl. */
#ifndef COMMON_SHMRING_H
#define COMMON_SHMRING_H
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

/*
 * One shared region, mapped by devplane-dp and devplane, holds:
 *
 *   struct shmring_hdr          magic, ABI version, sizes, offsets
 *   n_rings descriptor rings    DPDK rte_ring, 8-byte struct msg_desc
 *                               elements, single producer / single consumer:
 *                               one ring per (worker, direction)
 *   free list                   rte_ring of uint32_t slot indices, multi
 *                               producer / multi consumer (either side frees)
 *   n_slots slots               MSG_SLOT_SIZE bytes each, page aligned
 *
 * The rings are initialised in place with rte_ring_init(), so neither
 * process runs the DPDK EAL. The layout is a pure function of (n_rings,
 * ring_size, n_slots), and shmring_attach() recomputes it and compares every
 * header field instead of following the other process's offsets.
 *
 * Both processes map the region with a PROT_NONE guard page after it, so
 * an access running off the last slot faults rather than reading the
 * next mapping.
 *
 * Trust: the checks at attach catch a different build, a truncated or
 * corrupt file and a stale region. They cannot stop a live peer from
 * scribbling on the rings afterwards (rte_ring keeps its indices in the
 * shared mapping), so both processes are one trust domain once attached;
 * per-message data is still checked: slot indices are bounds-checked on
 * every use, and a consumer copies a message's fixed part out of its slot
 * once and checks that copy (msg_load()), never the slot itself.
 *
 * Threads: create/attach/free on one thread. A descriptor ring has one
 * producer thread and one consumer thread (any process). Slot alloc/free
 * may be called from any thread of either process.
 */

#define SHMRING_MAGIC   0x474e495250564544ULL  /* "DEVPRING", little-endian */
#define SHMRING_READY   0x52454459u             /* "YDER": init finished */
#define SHMRING_MAX_RINGS     1024
#define SHMRING_MAX_RING_SIZE (1u << 20)        /* descriptors per ring */
#define SHMRING_MAX_SLOTS     (1u << 21)        /* 4 GiB of slots */

/* shmring_cfg.flags and shmring_hdr.flags */
#define SHMRING_F_HUGETLB 0x1   /* cfg: try huge pages; hdr: got them */

/* The region header: shared memory layout, host byte order. */
struct shmring_hdr {
	uint64_t magic;                 /* SHMRING_MAGIC */
	uint32_t abi_version;           /* MSG_ABI_VERSION */
	uint32_t hdr_size;              /* sizeof(struct shmring_hdr) */
	uint64_t region_size;           /* bytes mapped, page-size multiple */
	uint32_t n_rings;
	uint32_t ring_size;             /* power of two; holds ring_size-1 */
	uint64_t ring_stride;           /* bytes per ring, rte_ring included */
	uint64_t rings_off;
	uint32_t n_slots;
	uint32_t slot_size;             /* MSG_SLOT_SIZE */
	uint32_t free_size;             /* free-list ring size, > n_slots */
	uint32_t desc_size;             /* sizeof(struct msg_desc) */
	uint64_t free_off;
	uint64_t free_bytes;
	uint64_t slots_off;
	uint32_t ring_hdr_size;         /* sizeof(struct rte_ring) at creation */
	uint32_t flags;                 /* SHMRING_F_HUGETLB */
	uint32_t ready;                 /* SHMRING_READY, stored last (release) */
	uint32_t pad0;
};
static_assert(sizeof(struct shmring_hdr) == 104, "shm ABI");
static_assert(offsetof(struct shmring_hdr, abi_version) == 8, "shm ABI");
static_assert(offsetof(struct shmring_hdr, ready) == 96, "shm ABI");

struct shmring_cfg {
	const char *path;       /* NULL: anonymous memfd; else a file (for a
				 * long-running dataplane, on tmpfs or
				 * hugetlbfs), replaced atomically */
	uint32_t n_rings;       /* 1..SHMRING_MAX_RINGS */
	uint32_t ring_size;     /* power of two, 2..SHMRING_MAX_RING_SIZE */
	uint32_t n_slots;       /* 1..SHMRING_MAX_SLOTS */
	uint32_t flags;         /* SHMRING_F_HUGETLB: use huge pages if the
				 * kernel has some reserved, else fall back
				 * to normal pages (see shmring_is_hugetlb) */
};

struct shmring;                 /* per-process handle; heap object */
struct shmring_q;               /* one descriptor ring inside the region */

/* Ring index convention: ring 2*w carries worker w's dp -> ctl traffic,
 * ring 2*w+1 its ctl -> dp traffic. */
enum shmring_dir {
	SHMRING_TO_CTL = 0,
	SHMRING_TO_DP = 1,
};

static inline uint32_t shmring_ring_idx(uint32_t worker, enum shmring_dir dir)
{
	return 2 * worker + (uint32_t)dir;
}

/* shmring_create() makes a new region as cfg describes, initialises every
 * ring, fills the free list with all slots and maps it. With cfg->path the
 * file is built under a temporary name and renamed over path, so a process
 * still attached to an older region keeps a consistent one. The memfd is
 * sealed against shrinking and growing. Returns 0 and *out, or -EINVAL (bad
 * cfg), or the -errno of the failed system call. */
int shmring_create(struct shmring **out, const struct shmring_cfg *cfg);

/* shmring_attach() maps the region behind fd (a memfd received with
 * shmring_recv_fd() or an open file) after validating it. The caller keeps
 * its fd; the handle holds a duplicate. Returns 0 and *out, or
 * -EMSGSIZE (file shorter than the header or than the region it declares),
 * -EBADMSG (bad magic, an unnamed file such as a memfd that is not sealed
 * against shrinking, a layout or ring header that does not match the
 * recomputed one),
 * -EPROTONOSUPPORT (MSG_ABI_VERSION or DPDK rte_ring layout differs),
 * -EAGAIN (the creator has not finished), or a system call's -errno. */
int shmring_attach(struct shmring **out, int fd);

/* shmring_attach_path() opens path read-write and attaches as above. */
int shmring_attach_path(struct shmring **out, const char *path);

/* shmring_free() unmaps and closes. Descriptors and slots in flight stay in
 * the region for the other process. shmring_free(NULL) is a no-op. */
void shmring_free(struct shmring *r);

/* shmring_fd() is the region's fd, owned by r, to pass to the other
 * process with shmring_send_fd(). */
int shmring_fd(const struct shmring *r);

/* shmring_n_rings() and shmring_n_slots() report the validated geometry. */
uint32_t shmring_n_rings(const struct shmring *r);
uint32_t shmring_n_slots(const struct shmring *r);

/* shmring_ring_capacity() is how many descriptors a ring holds
 * (ring_size - 1). */
uint32_t shmring_ring_capacity(const struct shmring *r);

/* shmring_page_size() is the mapping granule of the file behind fd: the
 * huge page size on hugetlbfs (a MFD_HUGETLB memfd included), else the
 * base page size. Files there are sized and unmapped in whole pages. */
size_t shmring_page_size(int fd);

/* shmring_is_hugetlb() tells whether the region sits on huge pages. */
bool shmring_is_hugetlb(const struct shmring *r);

/* shmring_ring() returns ring idx, or NULL if idx >= n_rings. */
struct shmring_q *shmring_ring(struct shmring *r, uint32_t idx);

/* shmring_enqueue() copies up to n descriptors into q without blocking.
 * Returns how many went in, in order; the caller drops and counts the rest
 * (a full ring is never waited on). Producer thread of q only. */
unsigned int shmring_enqueue(struct shmring_q *q, const struct msg_desc *d,
			     unsigned int n);

/* shmring_dequeue() moves up to n descriptors out of q into d without
 * blocking. Returns how many, 0 when empty. Consumer thread of q only. */
unsigned int shmring_dequeue(struct shmring_q *q, struct msg_desc *d,
			     unsigned int n);

/* shmring_count() is how many descriptors q holds right now (a snapshot). */
unsigned int shmring_count(const struct shmring_q *q);

/* shmring_slot_alloc() takes a slot from the pool. Returns 0 and *slot,
 * -ENOBUFS (pool empty: drop and count) or -EBADMSG (the free list held an
 * index out of range, which is discarded). */
int shmring_slot_alloc(struct shmring *r, uint32_t *slot);

/* shmring_slot_alloc_burst() takes up to n slots. Returns how many were
 * written to slots[] (0 when the pool is empty); out-of-range indices found
 * on the free list are discarded. */
unsigned int shmring_slot_alloc_burst(struct shmring *r, uint32_t *slots,
				      unsigned int n);

/* shmring_slot_free() returns slot to the pool; either process may free a
 * slot the other allocated. Returns 0, -EINVAL (out of range) or -ENOBUFS
 * (the free list is full, which only a double free can cause). */
int shmring_slot_free(struct shmring *r, uint32_t slot);

/* shmring_slot_free_burst() returns n slots. Out-of-range indices are
 * skipped. Returns how many went back. */
unsigned int shmring_slot_free_burst(struct shmring *r, const uint32_t *slots,
				     unsigned int n);

/* shmring_slots_free() is how many slots are in the pool (a snapshot). */
unsigned int shmring_slots_free(const struct shmring *r);

/* shmring_slot_ptr() is the MSG_SLOT_SIZE bytes of slot, or NULL if slot is
 * out of range. The pointer is valid until shmring_free(). */
void *shmring_slot_ptr(const struct shmring *r, uint32_t slot);

/* shmring_desc_ptr() is the slot a descriptor received from a ring points
 * at, or NULL if it carries none (MSG_DESC_F_NOSLOT), names a slot out of
 * range or a length above MSG_SLOT_SIZE. The other process may write the
 * slot at any time: copy the message out with msg_load() and read only
 * the copy. */
void *shmring_desc_ptr(const struct shmring *r, const struct msg_desc *d);

/* shmring_send_fd() sends fd over the connected Unix socket sock
 * (SCM_RIGHTS, one byte of payload). Returns 0 or -errno. */
int shmring_send_fd(int sock, int fd);

/* shmring_recv_fd() receives one fd sent with shmring_send_fd(); it is
 * close-on-exec and owned by the caller. Returns 0 and *fd, -ECONNRESET
 * (peer closed), -EBADMSG (a message without exactly one fd; any fds that
 * came with it are closed) or -errno. Blocks unless sock is non-blocking. */
int shmring_recv_fd(int sock, int *fd);

#endif /* COMMON_SHMRING_H */
