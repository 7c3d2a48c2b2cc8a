/* SPDX-License-Identifier: MIT */
/* tests/common/test_shmring.c - shared-memory rings: attach checks, limits,
 * and two processes moving descriptors and slots. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/msg.h"
#include "common/shmring.h"

#define N_DESCS       10000000u         /* two-process descriptor run */
#define N_SLOT_MSGS   200000u           /* two-process slot run */
#define RUN_LIMIT_S   60.0              /* either run fails beyond this */
#define BURST         32

/* The forked child, if any: the teardown kills and reaps it when a parent
 * assertion fails mid-test, so no path leaves a child behind. */
static pid_t g_child = -1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct shmring *mk(uint32_t n_rings, uint32_t ring_size,
			  uint32_t n_slots)
{
	struct shmring_cfg cfg = {
		.n_rings = n_rings, .ring_size = ring_size, .n_slots = n_slots,
	};
	struct shmring *r = NULL;

	assert_int_equal(shmring_create(&r, &cfg), 0);
	assert_non_null(r);
	return r;
}

/* map_raw() maps the whole region behind fd so a test can corrupt it the
 * way a different build or a broken peer would. */
static void *map_raw(int fd, size_t *len)
{
	struct stat st;
	void *p;

	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static int attach_rc(int fd)
{
	struct shmring *a = NULL;
	int rc = shmring_attach(&a, fd);

	if (rc == 0)
		shmring_free(a);
	else
		assert_null(a);
	return rc;
}

static void test_shmring_create_rejects_bad_cfg(void **state)
{
	static const struct shmring_cfg bad[] = {
		{ .n_rings = 0, .ring_size = 64, .n_slots = 16 },
		{ .n_rings = SHMRING_MAX_RINGS + 1, .ring_size = 64,
		  .n_slots = 16 },
		{ .n_rings = 2, .ring_size = 0, .n_slots = 16 },
		{ .n_rings = 2, .ring_size = 1, .n_slots = 16 },
		{ .n_rings = 2, .ring_size = 100, .n_slots = 16 },
		{ .n_rings = 2, .ring_size = SHMRING_MAX_RING_SIZE * 2,
		  .n_slots = 16 },
		{ .n_rings = 2, .ring_size = 64, .n_slots = 0 },
		{ .n_rings = 2, .ring_size = 64,
		  .n_slots = SHMRING_MAX_SLOTS + 1 },
		{ .n_rings = 2, .ring_size = 64, .n_slots = 16, .flags = 0x80 },
	};
	struct shmring *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(shmring_create(&r, &bad[i]), -EINVAL);
		assert_null(r);
	}
	assert_int_equal(shmring_create(&r, NULL), -EINVAL);
	shmring_free(NULL);
}

static void test_shmring_attach_shares_rings_and_slots(void **state)
{
	struct shmring *a = NULL, *b = mk(4, 64, 32);
	struct msg_desc in[3] = {
		{ .slot = 7, .len = 100, .kind = MSG_DISCV4_RX },
		{ .slot = 8, .len = 0, .kind = MSG_RLPX_CLOSED,
		  .flags = MSG_DESC_F_NOSLOT },
		{ .slot = 31, .len = MSG_SLOT_SIZE, .kind = MSG_STATS },
	};
	struct msg_desc out[8];
	uint32_t slot;
	uint8_t *pa, *pb;
	int fd;

	(void)state;
	/* The handle keeps its own fd: closing ours must not matter. */
	fd = dup(shmring_fd(b));
	assert_true(fd >= 0);
	assert_int_equal(shmring_attach(&a, fd), 0);
	close(fd);
	assert_int_equal(shmring_n_rings(a), 4);
	assert_int_equal(shmring_n_slots(a), 32);
	assert_int_equal(shmring_ring_capacity(a), 63);
	assert_false(shmring_is_hugetlb(b));

	assert_int_equal(shmring_enqueue(shmring_ring(b, 3), in, 3), 3);
	assert_int_equal(shmring_count(shmring_ring(a, 3)), 3);
	assert_int_equal(shmring_count(shmring_ring(a, 2)), 0);
	assert_int_equal(shmring_dequeue(shmring_ring(a, 3), out, 8), 3);
	assert_memory_equal(in, out, sizeof(in));

	assert_int_equal(shmring_slot_alloc(b, &slot), 0);
	pb = shmring_slot_ptr(b, slot);
	pa = shmring_slot_ptr(a, slot);
	assert_non_null(pa);
	assert_ptr_not_equal(pa, pb);           /* two mappings, one page */
	memset(pb, 0x5a, MSG_SLOT_SIZE);
	assert_int_equal(pa[0], 0x5a);
	assert_int_equal(pa[MSG_SLOT_SIZE - 1], 0x5a);
	/* Freed by the other process, allocatable again by either. */
	assert_int_equal(shmring_slots_free(a), 31);
	assert_int_equal(shmring_slot_free(a, slot), 0);
	assert_int_equal(shmring_slots_free(b), 32);

	shmring_free(a);
	shmring_free(b);
}

/* One corruption per row, applied to the header of a fresh region. */
enum hdr_field {
	F_MAGIC, F_ABI, F_RING_HDR_SIZE, F_READY, F_HDR_SIZE, F_SLOT_SIZE,
	F_DESC_SIZE, F_RINGS_OFF, F_FREE_OFF, F_SLOTS_OFF, F_STRIDE,
	F_N_RINGS_ZERO, F_N_RINGS_MORE, F_RING_SIZE_NPOT, F_N_SLOTS_MORE,
	F_REGION_SMALL, F_REGION_HUGE, F_FLAGS, F_PAD,
};

static const struct {
	enum hdr_field f;
	int rc;
} hdr_rows[] = {
	{ F_MAGIC, -EBADMSG },
	{ F_ABI, -EPROTONOSUPPORT },
	{ F_RING_HDR_SIZE, -EPROTONOSUPPORT },
	{ F_READY, -EAGAIN },
	{ F_HDR_SIZE, -EBADMSG },
	{ F_SLOT_SIZE, -EBADMSG },
	{ F_DESC_SIZE, -EBADMSG },
	{ F_RINGS_OFF, -EBADMSG },
	{ F_FREE_OFF, -EBADMSG },
	{ F_SLOTS_OFF, -EBADMSG },
	{ F_STRIDE, -EBADMSG },
	{ F_N_RINGS_ZERO, -EBADMSG },
	{ F_N_RINGS_MORE, -EBADMSG },   /* offsets no longer add up */
	{ F_RING_SIZE_NPOT, -EBADMSG },
	{ F_N_SLOTS_MORE, -EBADMSG },   /* slots would run past region */
	{ F_REGION_SMALL, -EBADMSG },
	{ F_REGION_HUGE, -EMSGSIZE },   /* claims more than the file holds */
	{ F_FLAGS, -EBADMSG },
	{ F_PAD, -EBADMSG },
};

static void corrupt(struct shmring_hdr *h, enum hdr_field f)
{
	switch (f) {
	case F_MAGIC: h->magic ^= 1; break;
	case F_ABI: h->abi_version = MSG_ABI_VERSION + 1; break;
	case F_RING_HDR_SIZE: h->ring_hdr_size += 64; break;
	case F_READY: h->ready = 0; break;
	case F_HDR_SIZE: h->hdr_size = 64; break;
	case F_SLOT_SIZE: h->slot_size = 4096; break;
	case F_DESC_SIZE: h->desc_size = 16; break;
	case F_RINGS_OFF: h->rings_off += 128; break;
	case F_FREE_OFF: h->free_off -= 128; break;
	case F_SLOTS_OFF: h->slots_off = 0; break;
	case F_STRIDE: h->ring_stride *= 2; break;
	case F_N_RINGS_ZERO: h->n_rings = 0; break;
	case F_N_RINGS_MORE: h->n_rings += 1; break;
	case F_RING_SIZE_NPOT: h->ring_size = 48; break;
	case F_N_SLOTS_MORE: h->n_slots = 1000000; break;
	case F_REGION_SMALL: h->region_size -= 4096; break;
	case F_REGION_HUGE: h->region_size += 1u << 20; break;
	case F_FLAGS: h->flags |= 0x100; break;
	case F_PAD: h->pad0 = 1; break;
	}
}

static void test_shmring_attach_rejects_bad_header(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hdr_rows) / sizeof(hdr_rows[0]); i++) {
		struct shmring *r = mk(4, 256, 64);
		size_t len;
		struct shmring_hdr *h = map_raw(shmring_fd(r), &len);

		assert_int_equal(attach_rc(shmring_fd(r)), 0);
		corrupt(h, hdr_rows[i].f);
		if (attach_rc(shmring_fd(r)) != hdr_rows[i].rc)
			fail_msg("row %zu: got %d want %d", i,
				 attach_rc(shmring_fd(r)), hdr_rows[i].rc);
		munmap(h, len);
		shmring_free(r);
	}
}

/* The rte_ring headers are checked too: a ring whose size/mask were
 * overwritten would index outside its table. */
static void test_shmring_attach_rejects_bad_ring_header(void **state)
{
	(void)state;
	for (int which = 0; which < 3; which++) {
		struct shmring *r = mk(3, 128, 64);
		size_t len;
		uint8_t *base = map_raw(shmring_fd(r), &len);
		struct shmring_hdr *h = (struct shmring_hdr *)(void *)base;
		uint8_t *ring;

		if (which == 0)
			ring = base + h->rings_off;
		else if (which == 1)
			ring = base + h->rings_off + 2 * h->ring_stride;
		else
			ring = base + h->free_off;
		/* name, flags, memzone, size, mask, capacity */
		memset(ring, 0xff, 128);
		assert_int_equal(attach_rc(shmring_fd(r)), -EBADMSG);
		munmap(base, len);
		shmring_free(r);
	}
}

static int make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test_shmring.XXXXXX");
	return mkdtemp(dir) ? 0 : -errno;
}

static void test_shmring_attach_rejects_truncated_file(void **state)
{
	struct shmring_cfg cfg = { .n_rings = 2, .ring_size = 64,
				   .n_slots = 16 };
	char dir[64], path[128];
	struct shmring *r = NULL, *a = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(make_tmpdir(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/ring", dir);
	cfg.path = path;
	assert_int_equal(shmring_create(&r, &cfg), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(shmring_attach_path(&a, path), 0);
	shmring_free(a);
	a = NULL;

	/* One page short of what the header declares. */
	assert_int_equal(truncate(path, st.st_size - 4096), 0);
	assert_int_equal(shmring_attach_path(&a, path), -EMSGSIZE);
	/* Shorter than the header itself, and empty. */
	assert_int_equal(truncate(path, 50), 0);
	assert_int_equal(shmring_attach_path(&a, path), -EMSGSIZE);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(shmring_attach_path(&a, path), -EMSGSIZE);
	assert_null(a);
	shmring_free(r);

	/* A file of the right size that is not a region at all. */
	fd = open(path, O_RDWR | O_TRUNC);
	assert_true(fd >= 0);
	for (int i = 0; i < 16; i++) {
		char junk[4096];

		memset(junk, 'x', sizeof(junk));
		assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	}
	assert_int_equal(attach_rc(fd), -EBADMSG);
	close(fd);
	assert_int_equal(shmring_attach_path(&a, "/nonexistent/ring"), -ENOENT);
	/* A directory is no region either. */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(attach_rc(fd), -EINVAL);
	close(fd);

	unlink(path);
	assert_int_equal(rmdir(dir), 0);        /* no temporary left over */
}

/* A long-running dataplane recreates its region at the same path; a
 * process attached to the old one keeps a consistent old region. */
static void test_shmring_path_replaced_atomically(void **state)
{
	struct shmring_cfg cfg = { .n_rings = 2, .ring_size = 64,
				   .n_slots = 16 };
	struct msg_desc d = { .slot = 42, .flags = MSG_DESC_F_NOSLOT }, o;
	struct shmring *r1 = NULL, *r2 = NULL, *old = NULL, *cur = NULL;
	char dir[64], path[128];

	(void)state;
	assert_int_equal(make_tmpdir(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/ring", dir);
	cfg.path = path;
	assert_int_equal(shmring_create(&r1, &cfg), 0);
	assert_int_equal(shmring_attach_path(&old, path), 0);
	cfg.n_rings = 6;
	assert_int_equal(shmring_create(&r2, &cfg), 0);
	assert_int_equal(shmring_attach_path(&cur, path), 0);
	assert_int_equal(shmring_n_rings(old), 2);
	assert_int_equal(shmring_n_rings(cur), 6);
	assert_int_equal(shmring_enqueue(shmring_ring(r1, 1), &d, 1), 1);
	assert_int_equal(shmring_dequeue(shmring_ring(old, 1), &o, 1), 1);
	assert_int_equal(o.slot, 42);
	assert_int_equal(shmring_count(shmring_ring(cur, 1)), 0);
	shmring_free(old);
	shmring_free(cur);
	shmring_free(r1);
	shmring_free(r2);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* A named region on tmpfs (F_GET_SEALS works there, but a named file has
 * no seals) is accepted; once unlinked, nothing stops a resize, so the
 * same file is refused like an unsealed memfd. */
static void test_shmring_named_vs_unlinked_file(void **state)
{
	struct shmring_cfg cfg = { .n_rings = 2, .ring_size = 64,
				   .n_slots = 16 };
	struct shmring *r = NULL, *a = NULL;
	char path[64];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/dev/shm/test_shmring.%d", (int)getpid());
	cfg.path = path;
	if (shmring_create(&r, &cfg) < 0) {     /* no /dev/shm: use /tmp */
		snprintf(path, sizeof(path), "/tmp/test_shmring.%d",
			 (int)getpid());
		assert_int_equal(shmring_create(&r, &cfg), 0);
	}
	assert_int_equal(shmring_attach_path(&a, path), 0);
	shmring_free(a);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(attach_rc(fd), -EBADMSG);
	close(fd);
	shmring_free(r);
}

/* The memfd is sealed, so the creator cannot shrink it under the attacher;
 * an unsealed memfd is refused. */
static void test_shmring_memfd_sealed(void **state)
{
	struct shmring *r = mk(2, 64, 16);
	size_t len;
	void *src = map_raw(shmring_fd(r), &len);
	int fd;

	(void)state;
	assert_int_equal(ftruncate(shmring_fd(r), 4096), -1);
	assert_int_equal(errno, EPERM);
	/* Same bytes in an unsealed memfd. */
	fd = memfd_create("unsealed", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, len), (ssize_t)len);
	assert_int_equal(attach_rc(fd), -EBADMSG);
	close(fd);
	/* And sealed, the copy is accepted. */
	fd = memfd_create("sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, len), (ssize_t)len);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	assert_int_equal(attach_rc(fd), 0);
	close(fd);
	munmap(src, len);
	shmring_free(r);
}

/* Huge pages when the kernel has some reserved, else normal pages. */
static void test_shmring_hugetlb_or_fallback(void **state)
{
	struct shmring_cfg cfg = { .n_rings = 2, .ring_size = 1024,
				   .n_slots = 1024,
				   .flags = SHMRING_F_HUGETLB };
	struct msg_desc d = { .slot = 1, .len = 1, .kind = MSG_DISCV4_TX }, o;
	struct shmring *r = NULL, *a = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(shmring_create(&r, &cfg), 0);
	assert_int_equal(fstat(shmring_fd(r), &st), 0);
	if (shmring_is_hugetlb(r))
		assert_int_equal(st.st_size % (2 << 20), 0);
	print_message("region on %s pages\n",
		      shmring_is_hugetlb(r) ? "huge" : "normal");
	assert_int_equal(shmring_attach(&a, shmring_fd(r)), 0);
	assert_int_equal(shmring_is_hugetlb(a), shmring_is_hugetlb(r));
	assert_int_equal(shmring_enqueue(shmring_ring(a, 0), &d, 1), 1);
	assert_int_equal(shmring_dequeue(shmring_ring(r, 0), &o, 1), 1);
	assert_memory_equal(&d, &o, sizeof(d));
	shmring_free(a);
	shmring_free(r);
}

static void test_shmring_full_ring_returns_short_count(void **state)
{
	struct shmring *r = mk(2, 64, 16);
	struct shmring_q *q = shmring_ring(r, 0);
	struct msg_desc in[100], out[100];
	uint32_t next_in = 0, next_out = 0;

	(void)state;
	for (uint32_t i = 0; i < 100; i++)
		in[i] = (struct msg_desc){ .slot = next_in++,
					   .flags = MSG_DESC_F_NOSLOT };
	assert_int_equal(shmring_enqueue(q, in, 100), 63);
	assert_int_equal(shmring_enqueue(q, in, 1), 0);   /* full: no block */
	assert_int_equal(shmring_count(q), 63);
	assert_int_equal(shmring_count(shmring_ring(r, 1)), 0);
	assert_int_equal(shmring_dequeue(q, out, 100), 63);
	for (uint32_t i = 0; i < 63; i++)
		assert_int_equal(out[i].slot, next_out++);
	assert_int_equal(shmring_dequeue(q, out, 100), 0);  /* empty */

	/* Many laps with partial bursts keep FIFO order across the wrap. */
	next_in = next_out = 0;
	for (int lap = 0; lap < 1000; lap++) {
		unsigned int n, m;

		for (uint32_t i = 0; i < 41; i++)
			in[i] = (struct msg_desc){ .slot = next_in + i };
		n = shmring_enqueue(q, in, 41);
		next_in += n;
		m = shmring_dequeue(q, out, (unsigned int)(lap % 50));
		for (unsigned int i = 0; i < m; i++)
			assert_int_equal(out[i].slot, next_out++);
		assert_true(shmring_count(q) <= 63);
	}
	while ((next_out < next_in)) {
		unsigned int m = shmring_dequeue(q, out, 100);

		assert_true(m > 0);
		for (unsigned int i = 0; i < m; i++)
			assert_int_equal(out[i].slot, next_out++);
	}
	shmring_free(r);
}

static void test_shmring_slot_pool_exhaustion(void **state)
{
	struct shmring *r = mk(1, 64, 16);
	uint32_t s[32], extra;
	uint8_t seen[16] = { 0 };
	uint8_t *p0 = shmring_slot_ptr(r, 0);

	(void)state;
	assert_int_equal(shmring_slots_free(r), 16);
	for (int i = 0; i < 16; i++) {
		uint8_t *p;

		assert_int_equal(shmring_slot_alloc(r, &s[i]), 0);
		assert_true(s[i] < 16);
		assert_int_equal(seen[s[i]]++, 0);      /* distinct */
		p = shmring_slot_ptr(r, s[i]);
		assert_ptr_equal(p, p0 + (size_t)s[i] * MSG_SLOT_SIZE);
		memset(p, i, MSG_SLOT_SIZE);            /* whole slot mapped */
	}
	assert_int_equal(shmring_slot_alloc(r, &extra), -ENOBUFS);
	assert_int_equal(shmring_slot_alloc_burst(r, s + 16, 8), 0);
	assert_int_equal(shmring_slots_free(r), 0);
	assert_null(shmring_slot_ptr(r, 16));
	assert_null(shmring_slot_ptr(r, UINT32_MAX));
	assert_int_equal(shmring_slot_free(r, 16), -EINVAL);
	assert_int_equal(shmring_slot_free(r, UINT32_MAX), -EINVAL);

	assert_int_equal(shmring_slot_free(r, s[5]), 0);
	assert_int_equal(shmring_slot_alloc(r, &extra), 0);
	assert_int_equal(extra, s[5]);

	/* Burst free skips an out-of-range index, burst alloc drains. */
	s[16] = 99;
	assert_int_equal(shmring_slot_free_burst(r, s + 8, 9), 8);
	assert_int_equal(shmring_slots_free(r), 8);
	assert_int_equal(shmring_slot_alloc_burst(r, s + 8, 32), 8);
	assert_int_equal(shmring_slot_free_burst(r, s, 16), 16);
	assert_int_equal(shmring_slots_free(r), 16);
	shmring_free(r);

	/* With 15 slots the free list is exactly full: a double free shows. */
	r = mk(1, 64, 15);
	assert_int_equal(shmring_slot_free(r, 3), -ENOBUFS);
	shmring_free(r);
}

static void test_shmring_ring_and_desc_bounds(void **state)
{
	struct shmring *r = mk(4, 64, 8);
	struct msg_desc d = { .slot = 7, .len = MSG_SLOT_SIZE };

	(void)state;
	assert_non_null(shmring_ring(r, 3));
	assert_null(shmring_ring(r, 4));
	assert_null(shmring_ring(r, UINT32_MAX));
	assert_ptr_not_equal(shmring_ring(r, 0), shmring_ring(r, 1));
	assert_int_equal(shmring_ring_idx(0, SHMRING_TO_CTL), 0);
	assert_int_equal(shmring_ring_idx(0, SHMRING_TO_DP), 1);
	assert_int_equal(shmring_ring_idx(5, SHMRING_TO_DP), 11);

	assert_ptr_equal(shmring_desc_ptr(r, &d), shmring_slot_ptr(r, 7));
	d.len = MSG_SLOT_SIZE + 1;
	assert_null(shmring_desc_ptr(r, &d));
	d.len = 10;
	d.slot = 8;
	assert_null(shmring_desc_ptr(r, &d));
	d.slot = 1;
	d.flags = MSG_DESC_F_NOSLOT;
	assert_null(shmring_desc_ptr(r, &d));
	shmring_free(r);
}

static void test_msg_check(void **state)
{
	static const struct {
		uint16_t desc_len;
		uint8_t kind;
		uint16_t hdr_type;
		uint16_t hdr_len;
		size_t fixed;
		int rc;
	} rows[] = {
		{ 144 + 50, MSG_DISCV4_RX, MSG_DISCV4_RX, 128 + 50, 144, 0 },
		{ 144, MSG_DISCV4_RX, MSG_DISCV4_RX, 128, 144, 0 },
		/* desc shorter than the fixed part */
		{ 143, MSG_DISCV4_RX, MSG_DISCV4_RX, 127, 144, -EMSGSIZE },
		/* header length disagrees with the descriptor */
		{ 200, MSG_DISCV4_RX, MSG_DISCV4_RX, 185, 144, -EMSGSIZE },
		{ 200, MSG_DISCV4_RX, MSG_DISCV4_RX, 183, 144, -EMSGSIZE },
		/* kind and type differ */
		{ 200, MSG_DISCV4_RX, MSG_DISCV4_TX, 184, 144, -EBADMSG },
		/* longer than a slot */
		{ MSG_SLOT_SIZE + 1, MSG_STATS, MSG_STATS, MSG_SLOT_SIZE - 15,
		  sizeof(struct msg_stats), -EMSGSIZE },
		{ MSG_SLOT_SIZE, MSG_STATS, MSG_STATS, MSG_SLOT_SIZE - 16,
		  sizeof(struct msg_stats), 0 },
		/* a fixed part smaller than the header is a caller bug */
		{ 16, MSG_STATS, MSG_STATS, 0, 8, -EMSGSIZE },
	};
	_Alignas(8) uint8_t slot[MSG_SLOT_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct msg_desc d = { .len = rows[i].desc_len,
				      .kind = rows[i].kind };
		struct msg_hdr h = { .type = rows[i].hdr_type,
				     .len = rows[i].hdr_len };

		memcpy(slot, &h, sizeof(h));
		if (msg_check(&d, slot, rows[i].fixed) != rows[i].rc)
			fail_msg("row %zu: got %d want %d", i,
				 msg_check(&d, slot, rows[i].fixed),
				 rows[i].rc);
	}
}

static void test_shmring_fd_passing(void **state)
{
	struct shmring *r = mk(1, 64, 4);
	struct stat a, b;
	int sv[2], fd = -1, two[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(shmring_send_fd(sv[0], shmring_fd(r)), 0);
	assert_int_equal(shmring_recv_fd(sv[1], &fd), 0);
	assert_true(fd >= 0 && fd != shmring_fd(r));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(shmring_fd(r), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(attach_rc(fd), 0);
	close(fd);

	/* A byte without an fd. */
	assert_int_equal(write(sv[0], "R", 1), 1);
	assert_int_equal(shmring_recv_fd(sv[1], &fd), -EBADMSG);

	/* Two fds in one message: both closed, the message refused. */
	{
		union {
			char buf[CMSG_SPACE(2 * sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { .iov_base = (void *)"R", .iov_len = 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		two[0] = two[1] = shmring_fd(r);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(two));
		memcpy(CMSG_DATA(c), two, sizeof(two));
		assert_int_equal(sendmsg(sv[0], &mh, 0), 1);
		assert_int_equal(shmring_recv_fd(sv[1], &fd), -EBADMSG);
	}

	close(sv[0]);
	assert_int_equal(shmring_recv_fd(sv[1], &fd), -ECONNRESET);
	assert_int_equal(shmring_send_fd(sv[1], shmring_fd(r)), -EPIPE);
	close(sv[1]);
	shmring_free(r);
}

/*
 * Two processes. The child is forked before the region exists, so it can
 * only reach it through the memfd sent over the socketpair. The child
 * never calls cmocka (its longjmp would resume the test runner in the
 * child): it returns an exit code, 0 for success, and the parent checks
 * it. The child dies with the parent and after a hard alarm.
 */
enum child_err {
	CHILD_OK = 0,
	CHILD_RECV_FD = 10,
	CHILD_ATTACH,
	CHILD_NO_RING,
	CHILD_BAD_SEQ,
	CHILD_BAD_DESC,
	CHILD_BAD_MSG,
	CHILD_BAD_PAYLOAD,
	CHILD_FREE,
	CHILD_TIMEOUT,
	CHILD_REPORT,
};

typedef int child_fn(struct shmring *r, int sock);

static int child_main(int sock, child_fn *fn)
{
	struct shmring *r = NULL;
	int fd, rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm((unsigned int)RUN_LIMIT_S + 30);
	if (shmring_recv_fd(sock, &fd) < 0)
		return CHILD_RECV_FD;
	rc = shmring_attach(&r, fd);
	close(fd);
	if (rc < 0)
		return CHILD_ATTACH;
	rc = fn(r, sock);
	shmring_free(r);
	return rc;
}

/* spawn() forks a child running fn; returns the parent's socket end. */
static int spawn(child_fn *fn)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_main(sv[1], fn));
	}
	g_child = pid;
	close(sv[1]);
	return sv[0];
}

/* reap() waits for the child until the deadline, then kills it. Returns
 * the exit code, or -signal. */
static int reap(double deadline)
{
	int st = 0;
	pid_t w;

	while ((w = waitpid(g_child, &st, WNOHANG)) == 0 && now_s() < deadline)
		usleep(1000);
	if (w == 0) {
		kill(g_child, SIGKILL);
		w = waitpid(g_child, &st, 0);
	}
	assert_int_equal(w, g_child);
	g_child = -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? -WTERMSIG(st) : -1;
}

static int teardown_child(void **state)
{
	(void)state;
	if (g_child > 0) {
		kill(g_child, SIGKILL);
		waitpid(g_child, NULL, 0);
		g_child = -1;
	}
	return 0;
}

static void idle(unsigned int *spins)
{
	if (++*spins % 256 == 0)
		sched_yield();
}

static int report(int sock, uint64_t v)
{
	return write(sock, &v, sizeof(v)) == sizeof(v) ? CHILD_OK
						       : CHILD_REPORT;
}

/* The consumer: every descriptor arrives exactly once, in order. */
static int consume_descs(struct shmring *r, int sock)
{
	struct shmring_q *q = shmring_ring(r, 1);
	struct msg_desc d[BURST];
	double deadline = now_s() + RUN_LIMIT_S;
	unsigned int spins = 0;
	uint32_t next = 0;

	if (!q)
		return CHILD_NO_RING;
	while (next < N_DESCS) {
		unsigned int n = shmring_dequeue(q, d, BURST);

		if (n == 0) {
			idle(&spins);
			if (spins % 65536 == 0 && now_s() > deadline)
				return CHILD_TIMEOUT;
			continue;
		}
		for (unsigned int i = 0; i < n; i++, next++) {
			if (d[i].slot != next)
				return CHILD_BAD_SEQ;
			if (d[i].len != (uint16_t)(next * 7) ||
			    d[i].kind != (uint8_t)(next >> 3) ||
			    d[i].flags != MSG_DESC_F_NOSLOT)
				return CHILD_BAD_DESC;
		}
	}
	return report(sock, next);
}

static void test_shmring_two_process_descriptors(void **state)
{
	struct shmring *r;
	struct shmring_q *q;
	struct msg_desc d[BURST];
	double t0, deadline, dt;
	unsigned int spins = 0;
	uint32_t seq = 0;
	uint64_t got = 0;
	int sock;

	(void)state;
	sock = spawn(consume_descs);
	r = mk(2, 1024, 16);
	q = shmring_ring(r, 1);
	assert_int_equal(shmring_send_fd(sock, shmring_fd(r)), 0);
	t0 = now_s();
	deadline = t0 + RUN_LIMIT_S;
	while (seq < N_DESCS) {
		unsigned int k = N_DESCS - seq < BURST ? N_DESCS - seq : BURST;
		unsigned int n;

		for (unsigned int i = 0; i < k; i++) {
			uint32_t s = seq + i;

			d[i] = (struct msg_desc){ .slot = s,
				.len = (uint16_t)(s * 7), .kind = (uint8_t)(s >> 3),
				.flags = MSG_DESC_F_NOSLOT };
		}
		n = shmring_enqueue(q, d, k);
		assert_true(n <= k);
		seq += n;
		if (n == 0) {
			idle(&spins);
			if (spins % 65536 == 0 && now_s() > deadline)
				fail_msg("producer stalled at %u", seq);
		}
	}
	assert_int_equal(reap(deadline), CHILD_OK);
	dt = now_s() - t0;
	assert_int_equal(read(sock, &got, sizeof(got)), sizeof(got));
	assert_int_equal(got, N_DESCS);
	assert_int_equal(shmring_count(q), 0);  /* nothing extra left */
	print_message("%u descriptors across processes in %.2f s (%.1f M/s)\n",
		      N_DESCS, dt, N_DESCS / dt / 1e6);
	close(sock);
	shmring_free(r);
}

static uint16_t msg_data_len(uint32_t seq)
{
	return (uint16_t)(seq % (MSG_DISCV4_MAX_PACKET + 1));
}

static uint8_t msg_byte(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 31u + i * 7u + (i >> 8));
}

/* The consumer of the slot path: check each message byte for byte, then
 * give its slot back to the pool. */
static int consume_slots(struct shmring *r, int sock)
{
	struct shmring_q *q = shmring_ring(r, 0);
	struct msg_desc d[BURST];
	double deadline = now_s() + RUN_LIMIT_S;
	unsigned int spins = 0;
	uint32_t next = 0;
	uint64_t bytes = 0;

	if (!q)
		return CHILD_NO_RING;
	while (next < N_SLOT_MSGS) {
		unsigned int n = shmring_dequeue(q, d, BURST);

		if (n == 0) {
			idle(&spins);
			if (spins % 65536 == 0 && now_s() > deadline)
				return CHILD_TIMEOUT;
			continue;
		}
		for (unsigned int i = 0; i < n; i++, next++) {
			const struct msg_discv4_rx *m = shmring_desc_ptr(r,
									&d[i]);
			uint16_t dl = msg_data_len(next);

			if (!m || d[i].kind != MSG_DISCV4_RX)
				return CHILD_BAD_DESC;
			if (msg_check(&d[i], m, sizeof(*m)) < 0)
				return CHILD_BAD_MSG;
			if (m->hdr.seq != next || m->data_len != dl ||
			    d[i].len != sizeof(*m) + dl ||
			    m->src_port_be != (uint16_t)next ||
			    m->ptype != (uint8_t)(next % 6 + 1))
				return CHILD_BAD_SEQ;
			for (size_t k = 0; k < sizeof(m->node_id); k++)
				if (m->node_id[k] != (uint8_t)(next + k))
					return CHILD_BAD_PAYLOAD;
			for (size_t k = 0; k < dl; k++)
				if (m->data[k] != msg_byte(next, k))
					return CHILD_BAD_PAYLOAD;
			bytes += d[i].len;
			if (shmring_slot_free(r, d[i].slot) < 0)
				return CHILD_FREE;
		}
	}
	return report(sock, bytes);
}

static void test_shmring_two_process_slots(void **state)
{
	struct shmring *r;
	struct shmring_q *q;
	double deadline;
	unsigned int spins = 0;
	uint64_t want_bytes = 0, got = 0;
	uint32_t seq = 0;
	int sock;

	(void)state;
	sock = spawn(consume_slots);
	r = mk(2, 256, 64);     /* few slots: each is reused ~3000 times */
	q = shmring_ring(r, 0);
	assert_int_equal(shmring_send_fd(sock, shmring_fd(r)), 0);
	deadline = now_s() + RUN_LIMIT_S;
	while (seq < N_SLOT_MSGS) {
		struct msg_discv4_rx *m;
		struct msg_desc d;
		uint16_t dl = msg_data_len(seq);
		uint32_t slot;

		if (shmring_slot_alloc(r, &slot) < 0) {
			idle(&spins);
			if (spins % 65536 == 0 && now_s() > deadline)
				fail_msg("slot pool never refilled at %u", seq);
			continue;
		}
		m = shmring_slot_ptr(r, slot);
		assert_non_null(m);
		memset(m, 0, sizeof(*m));
		m->hdr.type = MSG_DISCV4_RX;
		m->hdr.len = (uint16_t)(sizeof(*m) - sizeof(m->hdr) + dl);
		m->hdr.seq = seq;
		m->src_port_be = (uint16_t)seq;
		m->ptype = (uint8_t)(seq % 6 + 1);
		for (size_t k = 0; k < sizeof(m->node_id); k++)
			m->node_id[k] = (uint8_t)(seq + k);
		m->data_len = dl;
		for (size_t k = 0; k < dl; k++)
			m->data[k] = msg_byte(seq, k);
		d = (struct msg_desc){ .slot = slot,
			.len = (uint16_t)(sizeof(*m) + dl),
			.kind = MSG_DISCV4_RX };
		want_bytes += d.len;
		while (shmring_enqueue(q, &d, 1) != 1) {
			idle(&spins);
			if (spins % 65536 == 0 && now_s() > deadline)
				fail_msg("ring never drained at %u", seq);
		}
		seq++;
	}
	assert_int_equal(reap(deadline), CHILD_OK);
	assert_int_equal(read(sock, &got, sizeof(got)), sizeof(got));
	assert_int_equal(got, want_bytes);
	/* Every slot came back through the consumer's frees. */
	assert_int_equal(shmring_slots_free(r), 64);
	assert_int_equal(shmring_count(q), 0);
	close(sock);
	shmring_free(r);
}

/* A child that fails must fail the test: the exit code reaches us. */
static int consume_nothing(struct shmring *r, int sock)
{
	(void)sock;
	return shmring_n_rings(r) == 2 ? CHILD_BAD_SEQ : CHILD_OK;
}

static void test_shmring_child_failure_is_seen(void **state)
{
	struct shmring *r;
	int sock;

	(void)state;
	sock = spawn(consume_nothing);
	r = mk(2, 64, 4);
	assert_int_equal(shmring_send_fd(sock, shmring_fd(r)), 0);
	assert_int_equal(reap(now_s() + RUN_LIMIT_S), CHILD_BAD_SEQ);
	close(sock);
	shmring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shmring_create_rejects_bad_cfg),
		cmocka_unit_test(test_shmring_attach_shares_rings_and_slots),
		cmocka_unit_test(test_shmring_attach_rejects_bad_header),
		cmocka_unit_test(test_shmring_attach_rejects_bad_ring_header),
		cmocka_unit_test(test_shmring_attach_rejects_truncated_file),
		cmocka_unit_test(test_shmring_path_replaced_atomically),
		cmocka_unit_test(test_shmring_named_vs_unlinked_file),
		cmocka_unit_test(test_shmring_memfd_sealed),
		cmocka_unit_test(test_shmring_hugetlb_or_fallback),
		cmocka_unit_test(test_shmring_full_ring_returns_short_count),
		cmocka_unit_test(test_shmring_slot_pool_exhaustion),
		cmocka_unit_test(test_shmring_ring_and_desc_bounds),
		cmocka_unit_test(test_msg_check),
		cmocka_unit_test(test_shmring_fd_passing),
		cmocka_unit_test_teardown(test_shmring_child_failure_is_seen,
					  teardown_child),
		cmocka_unit_test_teardown(test_shmring_two_process_descriptors,
					  teardown_child),
		cmocka_unit_test_teardown(test_shmring_two_process_slots,
					  teardown_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
