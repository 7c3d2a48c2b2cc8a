/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_loader.c - libxdp/libbpf wrapper for the bpf/ XDP flood shield. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "bpf/shield.h" /* before the skeleton, which names its structs */
#include "shield.skel.h"

#include "dataplane/shield/shield_loader.h"

/* Pinned objects, in enum map_idx order, then the program. */
enum map_idx {
	M_CFG,
	M_COUNTERS,
	M_SRC,
	M_PFX,
	M_BLOCK,
	M_ALLOW,
	M_XSKS,
	M_VERIFIED,
	M_BUDGET,
	M_HINTS,
	M_MAX
};

static const char *const map_names[M_MAX] = {
	"cfg_map", "counters", "src_buckets", "pfx_buckets",
	"blocklist", "allowlist", "xsks", "verified", "budget", "hints",
};

#define PROG_PIN "prog"

struct shield_loader {
	struct shield_bpf *skel;  /* NULL when re-opened from pins */
	struct xdp_program *xprog; /* set when libxdp attached it */
	int fd[M_MAX];            /* owned map fds */
	int prog_fd;              /* owned by skel; -1 if none */
	struct shield_hints *hints; /* mmapped; NULL: an older shield */
	enum shield_mode mode;
	bool reattached;
};

void shield_default_cfg(struct shield_cfg *out, uint16_t port)
{
	memset(out, 0, sizeof(*out));
	out->discv4_port_be = htons(port);
	out->src_rate = SHIELD_DEFAULT_SRC_RATE;
	out->src_burst = SHIELD_DEFAULT_SRC_BURST;
	out->pfx_rate = SHIELD_DEFAULT_PFX_RATE;
	out->pfx_burst = SHIELD_DEFAULT_PFX_BURST;
	out->unk_rate = SHIELD_DEFAULT_UNK_RATE;
	out->unk_burst = SHIELD_DEFAULT_UNK_BURST;
}

void shield_cfg_merge(struct shield_cfg *dst, const struct shield_cfg *src,
		      uint32_t set)
{
	if (set & SHIELD_SET_PORT)
		dst->discv4_port_be = src->discv4_port_be;
	if (set & SHIELD_SET_SRC_RATE)
		dst->src_rate = src->src_rate;
	if (set & SHIELD_SET_SRC_BURST)
		dst->src_burst = src->src_burst;
	if (set & SHIELD_SET_PFX_RATE)
		dst->pfx_rate = src->pfx_rate;
	if (set & SHIELD_SET_PFX_BURST)
		dst->pfx_burst = src->pfx_burst;
	if (set & SHIELD_SET_UNK_RATE)
		dst->unk_rate = src->unk_rate;
	if (set & SHIELD_SET_UNK_BURST)
		dst->unk_burst = src->unk_burst;
}

static int cfg_valid(const struct shield_cfg *c)
{
	if (!c || !c->discv4_port_be)
		return -EINVAL;
	if (c->src_rate > SHIELD_MAX_RATE || c->pfx_rate > SHIELD_MAX_RATE)
		return -EINVAL;
	if (c->src_rate && (!c->src_burst || c->src_burst > SHIELD_MAX_BURST))
		return -EINVAL;
	if (c->pfx_rate && (!c->pfx_burst || c->pfx_burst > SHIELD_MAX_BURST))
		return -EINVAL;
	if (c->unk_rate > SHIELD_MAX_RATE ||
	    (c->unk_rate && (!c->unk_burst || c->unk_burst > SHIELD_MAX_BURST)))
		return -EINVAL;
	return 0;
}

static struct shield_loader *loader_alloc(void)
{
	struct shield_loader *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	for (int i = 0; i < M_MAX; i++)
		l->fd[i] = -1;
	l->prog_fd = -1;
	l->mode = SHIELD_MODE_NONE;
	return l;
}

void shield_loader_free(struct shield_loader *l)
{
	if (!l)
		return;
	shield_hints_munmap(l->hints);
	for (int i = 0; i < M_MAX; i++)
		if (l->fd[i] >= 0)
			close(l->fd[i]);
	if (l->xprog)
		xdp_program__close(l->xprog); /* does not detach */
	shield_bpf__destroy(l->skel);
	free(l);
}

static struct bpf_map *skel_map(struct shield_bpf *s, int i)
{
	struct bpf_map *m[M_MAX] = {
		s->maps.cfg_map, s->maps.counters, s->maps.src_buckets,
		s->maps.pfx_buckets, s->maps.blocklist, s->maps.allowlist,
		s->maps.xsks, s->maps.verified, s->maps.budget,
		s->maps.hints,
	};
	return m[i];
}

/* Take our own copies of the map fds of a loaded skeleton. */
static int take_skel_fds(struct shield_loader *l)
{
	for (int i = 0; i < M_MAX; i++) {
		l->fd[i] = fcntl(bpf_map__fd(skel_map(l->skel, i)),
				 F_DUPFD_CLOEXEC, 3);
		if (l->fd[i] < 0)
			return -errno;
	}
	l->prog_fd = bpf_program__fd(l->skel->progs.shield_xdp);
	return 0;
}

/* ---- hints (bpf/shield.h) ------------------------------------------------ */

static size_t hints_len(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;

	return (sizeof(struct shield_hints) + p - 1) / p * p;
}

struct shield_hints *shield_hints_mmap(int fd)
{
	void *m;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	m = mmap(NULL, hints_len(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

void shield_hints_munmap(struct shield_hints *h)
{
	if (h)
		munmap(h, hints_len());
}

int shield_block_put(int fd, struct shield_hints *h,
		     const struct shield_lpm_key *key,
		     const struct shield_block_val *val)
{
	int rc;

	if (!h)
		return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
	/* Count first, so blocks never falls below the entries; a replace
	 * gives the count back. Each round either inserts, replaces, or
	 * saw the entry deleted between the two tries. */
	for (int round = 0; round < 16; round++) {
		__atomic_fetch_add(&h->blocks, 1, __ATOMIC_SEQ_CST);
		if (!bpf_map_update_elem(fd, key, val, BPF_NOEXIST))
			return 0;
		rc = -errno;
		__atomic_fetch_sub(&h->blocks, 1, __ATOMIC_SEQ_CST);
		if (rc != -EEXIST)
			return rc;
		if (!bpf_map_update_elem(fd, key, val, BPF_EXIST))
			return 0;
		if (errno != ENOENT)
			return -errno;
	}
	return -EAGAIN;
}

int shield_block_del(int fd, struct shield_hints *h,
		     const struct shield_lpm_key *key)
{
	__u64 n;

	if (bpf_map_delete_elem(fd, key))
		return -errno;
	if (!h)
		return 0;
	/* Never below 0 (an entry someone wrote around these functions
	 * must not wrap the count to "not empty, then empty"). */
	n = __atomic_load_n(&h->blocks, __ATOMIC_RELAXED);
	while (n && !__atomic_compare_exchange_n(&h->blocks, &n, n - 1, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
		;
	return 0;
}

void shield_pfx_key(struct shield_bucket_key *out,
		    const struct shield_bucket_key *src)
{
	memset(out, 0, sizeof(*out));
	out->family = src->family;
	if (src->family == SHIELD_FAM_V4) {
		out->plen = SHIELD_PFX_V4_PLEN;
		memcpy(out->addr, src->addr, SHIELD_PFX_V4_PLEN / 8);
	} else {
		out->plen = SHIELD_PFX_V6_PLEN;
		memcpy(out->addr, src->addr, SHIELD_PFX_V6_PLEN / 8);
	}
}

/* vpfx_raise() makes the hints slot of src's prefix cover expires_ns. */
static void vpfx_raise(struct shield_hints *h,
		       const struct shield_bucket_key *src, uint64_t expires_ns)
{
	struct shield_bucket_key pk;
	uint64_t units = (expires_ns >> SHIELD_VPFX_SHIFT) +
			 !!(expires_ns & ((1ull << SHIELD_VPFX_SHIFT) - 1));
	uint32_t want = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
	uint32_t *slot, cur;

	shield_pfx_key(&pk, src);
	slot = &h->vpfx[shield_vpfx_slot(&pk)];
	cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
	while (cur < want &&
	       !__atomic_compare_exchange_n(slot, &cur, want, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}

int shield_verified_put(int fd, struct shield_hints *h,
			const struct shield_bucket_key *key,
			uint64_t expires_ns)
{
	struct shield_verified_val v = { .expires_ns = expires_ns };

	if (h)
		vpfx_raise(h, key, expires_ns); /* before the entry */
	return bpf_map_update_elem(fd, key, &v, BPF_ANY) ? -errno : 0;
}

/* hints_init() covers what the blocklist and "verified" already hold
 * when the hints map is new (fresh maps, or a hints map created next to
 * reused pinned ones), then sets ready; a ready map is left alone. Until
 * ready the program ignores the hints. Adding to the count (never
 * setting it) keeps it an upper bound whoever else writes meanwhile. */
static int hints_init(struct shield_loader *l)
{
	struct shield_lpm_key lk, lnext;
	struct shield_bucket_key vk, vnext;
	struct shield_verified_val vv;
	uint64_t n = 0;
	void *prev;

	if (!l->hints || __atomic_load_n(&l->hints->ready, __ATOMIC_ACQUIRE))
		return 0;
	for (prev = NULL; !bpf_map_get_next_key(l->fd[M_BLOCK], prev, &lnext);
	     prev = &lk) {
		lk = lnext;
		n++;
	}
	if (errno != ENOENT)
		return -errno;
	__atomic_fetch_add(&l->hints->blocks, n, __ATOMIC_SEQ_CST);
	for (prev = NULL;
	     !bpf_map_get_next_key(l->fd[M_VERIFIED], prev, &vnext);
	     prev = &vk) {
		vk = vnext;
		if (!bpf_map_lookup_elem(l->fd[M_VERIFIED], &vk, &vv))
			vpfx_raise(l->hints, &vk, vv.expires_ns);
	}
	if (errno != ENOENT)
		return -errno;
	__atomic_store_n(&l->hints->ready, 1, __ATOMIC_RELEASE);
	return 0;
}

/* map_hints() maps the hints of a handle; an older shield without them
 * (fd -1) is fine, a hints map that cannot be mapped is not: its program
 * would skip entries written without it. */
static int map_hints(struct shield_loader *l)
{
	if (l->fd[M_HINTS] < 0)
		return 0;
	l->hints = shield_hints_mmap(l->fd[M_HINTS]);
	if (!l->hints)
		return -errno ? -errno : -ENOMEM;
	return hints_init(l);
}

/* coarse_ok() is true when a bucket of rate and burst may run on the
 * coarse clock: what a clock up to tick_ns late lets it admit beyond its
 * depth (rate x tick tokens) is at most 1 % of that depth (bpf/shield.h,
 * Time). A rate of 0 is a bucket that is off. */
static bool coarse_ok(uint32_t rate, uint32_t burst, uint64_t tick_ns)
{
	return !rate || (uint64_t)rate * tick_ns <=
				(uint64_t)burst * (SHIELD_TOKEN_UNIT / 100);
}

/* write_cfg() writes c with SHIELD_F_COARSE_CLOCK recomputed for its
 * buckets and this kernel's tick. */
static int write_cfg(struct shield_loader *l, const struct shield_cfg *c)
{
	struct shield_cfg next = *c;
	struct timespec res;
	__u32 k = 0;

	next.flags &= ~SHIELD_F_COARSE_CLOCK;
	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 &&
	    res.tv_sec == 0 && res.tv_nsec > 0 &&
	    coarse_ok(c->src_rate, c->src_burst, (uint64_t)res.tv_nsec) &&
	    coarse_ok(c->pfx_rate, c->pfx_burst, (uint64_t)res.tv_nsec))
		next.flags |= SHIELD_F_COARSE_CLOCK;
	return bpf_map_update_elem(l->fd[M_CFG], &k, &next, BPF_ANY) ? -errno :
									0;
}

int shield_loader_new(struct shield_loader **out, const struct shield_cfg *cfg)
{
	struct shield_loader *l;
	int rc;

	*out = NULL;
	if (cfg_valid(cfg) < 0)
		return -EINVAL;
	l = loader_alloc();
	if (!l)
		return -ENOMEM;
	l->skel = shield_bpf__open_and_load();
	if (!l->skel) {
		rc = -errno ? -errno : -EINVAL;
		goto out_free;
	}
	rc = take_skel_fds(l);
	if (rc == 0)
		rc = map_hints(l);
	if (rc < 0)
		goto out_free;
	rc = write_cfg(l, cfg);
	if (rc < 0)
		goto out_free;
	*out = l;
	return 0;
out_free:
	shield_loader_free(l);
	return rc;
}

static int pin_dir(char *buf, size_t len, const char *root, const char *ifname)
{
	int n;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE ||
	    strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, ".."))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s", root ? root : SHIELD_PIN_ROOT, ifname);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static uint32_t fd_prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* Where is program id attached on ifindex? SHIELD_MODE_NONE if nowhere. */
static enum shield_mode attached_mode(int ifindex, uint32_t id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	enum shield_mode mode = SHIELD_MODE_NONE;
	struct xdp_multiprog *mp;
	struct xdp_program *p;

	if (!id || ifindex <= 0)
		return SHIELD_MODE_NONE;
	if (!bpf_xdp_query(ifindex, 0, &q)) {
		if (q.drv_prog_id == id)
			return SHIELD_MODE_NATIVE;
		if (q.skb_prog_id == id)
			return SHIELD_MODE_GENERIC;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return SHIELD_MODE_NONE;
	if (!xdp_multiprog__is_legacy(mp)) {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (xdp_program__id(p) == id)
				mode = SHIELD_MODE_MULTI;
	}
	xdp_multiprog__close(mp);
	return mode;
}

static int pinned_prog_id(const char *dir, uint32_t *id)
{
	char path[PATH_MAX];
	int fd, rc;

	rc = pin_path(path, sizeof(path), dir, PROG_PIN);
	if (rc < 0)
		return rc;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	*id = fd_prog_id(fd);
	close(fd);
	return *id ? 0 : -ENOENT;
}

static int open_pins(struct shield_loader *l, const char *dir)
{
	char path[PATH_MAX];
	int rc;

	for (int i = 0; i < M_MAX; i++) {
		rc = pin_path(path, sizeof(path), dir, map_names[i]);
		if (rc < 0)
			return rc;
		l->fd[i] = bpf_obj_get(path);
		if (l->fd[i] < 0 && !(i == M_HINTS && errno == ENOENT))
			return -errno;
	}
	return map_hints(l); /* no hints pin: a shield older than them */
}

int shield_loader_open(struct shield_loader **out, const char *ifname,
		       const char *pin_root)
{
	char dir[PATH_MAX];
	struct shield_loader *l;
	uint32_t id = 0;
	int rc;

	*out = NULL;
	rc = pin_dir(dir, sizeof(dir), pin_root, ifname);
	if (rc < 0)
		return rc;
	l = loader_alloc();
	if (!l)
		return -ENOMEM;
	rc = open_pins(l, dir);
	if (rc < 0) {
		shield_loader_free(l);
		return rc;
	}
	if (!pinned_prog_id(dir, &id))
		l->mode = attached_mode((int)if_nametoindex(ifname), id);
	*out = l;
	return 0;
}

/* Remove every pin we know of and the directory; missing ones are fine. */
static void unpin_all(const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; i < M_MAX; i++)
		if (!pin_path(path, sizeof(path), dir, map_names[i]))
			unlink(path);
	if (!pin_path(path, sizeof(path), dir, PROG_PIN))
		unlink(path);
	rmdir(dir);
}

/* The default pin root lives on bpffs at /sys/fs/bpf, which a fresh host
 * may not have mounted (systemd mounts it; minimal images and containers
 * often don't). The dataplane is privileged anyway: mount it, as
 * deploy/host-setup.sh would, rather than fail on the first mkdir. */
static void ensure_bpffs(const char *root)
{
	struct statfs sf;

	if (strncmp(root, "/sys/fs/bpf/", 12) != 0)
		return;                 /* a caller-chosen root: theirs to mount */
	if (statfs("/sys/fs/bpf", &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		fprintf(stderr, "shield: /sys/fs/bpf is not bpffs and mounting it "
			"failed: %s\n", strerror(errno));
}

static int mkdir_p(const char *root, const char *dir)
{
	ensure_bpffs(root);
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* One attempt at loading and attaching in one mode; on failure the
 * skeleton is destroyed so the next attempt starts from a fresh object. */
static int try_attach(struct shield_loader *l, const char *dir, int ifindex,
		      enum shield_mode mode)
{
	char path[PATH_MAX];
	struct xdp_program *xp = NULL;
	int rc, pfd;

	l->skel = shield_bpf__open();
	if (!l->skel)
		return -errno ? -errno : -EINVAL;
	for (int i = 0; i < M_MAX; i++) {
		/* libbpf reuses a compatible pinned map, else pins the new
		 * one at load. */
		rc = pin_path(path, sizeof(path), dir, map_names[i]);
		if (!rc)
			rc = bpf_map__set_pin_path(skel_map(l->skel, i), path);
		if (rc < 0)
			goto fail;
	}
	if (mode == SHIELD_MODE_MULTI) {
		/* libxdp loads the object itself (as an freplace extension
		 * of its dispatcher) and falls back to a single native
		 * program on kernels without freplace support. */
		xp = xdp_program__from_bpf_obj(l->skel->obj, "xdp");
		rc = (int)libxdp_get_error(xp);
		if (rc) {
			xp = NULL;
			goto fail;
		}
		rc = xdp_program__attach(xp, ifindex, XDP_MODE_NATIVE, 0);
		if (rc < 0)
			goto fail;
		pfd = xdp_program__fd(xp);
	} else {
		__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST |
			      (mode == SHIELD_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
							    XDP_FLAGS_SKB_MODE);

		rc = shield_bpf__load(l->skel);
		if (rc < 0)
			goto fail;
		pfd = bpf_program__fd(l->skel->progs.shield_xdp);
		rc = bpf_xdp_attach(ifindex, pfd, flags, NULL);
		if (rc < 0)
			goto fail;
	}
	rc = pin_path(path, sizeof(path), dir, PROG_PIN);
	if (!rc && bpf_obj_pin(pfd, path) < 0)
		rc = -errno;
	if (rc < 0)
		goto fail_detach;
	l->xprog = xp;
	l->mode = attached_mode(ifindex, fd_prog_id(pfd));
	if (l->mode == SHIELD_MODE_NONE)
		l->mode = mode;
	return 0;
fail_detach:
	if (xp)
		xdp_program__detach(xp, ifindex, XDP_MODE_NATIVE, 0);
	else
		bpf_xdp_detach(ifindex, mode == SHIELD_MODE_NATIVE ?
			       XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE, NULL);
fail:
	xdp_program__close(xp);
	shield_bpf__destroy(l->skel);
	l->skel = NULL;
	return rc;
}

/* reattach_cfg() applies the fields named in set to a re-opened shield's
 * running config; everything else stays as whoever set it left it. */
static int reattach_cfg(struct shield_loader *l, const struct shield_cfg *cfg,
			uint32_t set)
{
	struct shield_cfg cur;
	int rc;

	if (!set)
		return 0;
	if (!cfg)
		return -EINVAL;
	rc = shield_loader_get_cfg(l, &cur);
	if (rc < 0)
		return rc;
	shield_cfg_merge(&cur, cfg, set);
	return shield_loader_set_cfg(l, &cur);
}

int shield_loader_attach(struct shield_loader **out, const char *ifname,
			 const char *pin_root, enum shield_mode mode,
			 const struct shield_cfg *cfg, uint32_t set)
{
	static const enum shield_mode order[] = {
		SHIELD_MODE_MULTI, SHIELD_MODE_NATIVE, SHIELD_MODE_GENERIC,
	};
	const char *root = pin_root ? pin_root : SHIELD_PIN_ROOT;
	char dir[PATH_MAX];
	struct shield_loader *l;
	struct stat st;
	bool had_dir;
	uint32_t id = 0;
	int ifindex, rc = -EOPNOTSUPP;

	*out = NULL;
	/* cfg is checked where it is used: whole for a fresh shield,
	 * merged into the running config for a re-opened one (the fields
	 * not set may be anything then). */
	if (mode > SHIELD_MODE_GENERIC)
		return -EINVAL;
	rc = pin_dir(dir, sizeof(dir), root, ifname);
	if (rc < 0)
		return rc;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;

	/* Restart: the pinned program still runs here; keep it, and keep
	 * its config but for what the caller sets explicitly. */
	if (!pinned_prog_id(dir, &id) &&
	    attached_mode(ifindex, id) != SHIELD_MODE_NONE) {
		rc = shield_loader_open(&l, ifname, root);
		if (rc < 0)
			return rc;
		l->reattached = true;
		rc = reattach_cfg(l, cfg, set);
		if (rc < 0) {
			shield_loader_free(l);
			return rc;
		}
		*out = l;
		return 0;
	}
	if (cfg_valid(cfg) < 0)
		return -EINVAL;
	had_dir = stat(dir, &st) == 0;
	if (had_dir) {
		char path[PATH_MAX];

		/* A stale program pin (detached behind our back). */
		if (!pin_path(path, sizeof(path), dir, PROG_PIN))
			unlink(path);
	}
	rc = mkdir_p(root, dir);
	if (rc < 0)
		return rc;
	l = loader_alloc();
	if (!l)
		return -ENOMEM;
	rc = -EOPNOTSUPP;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (mode != SHIELD_MODE_AUTO && mode != order[i])
			continue;
		rc = try_attach(l, dir, ifindex, order[i]);
		if (!rc)
			break;
	}
	if (rc < 0)
		goto fail;
	rc = take_skel_fds(l);
	if (rc == 0)
		rc = map_hints(l);
	if (rc < 0)
		goto fail_detach;
	rc = shield_loader_set_cfg(l, cfg);
	if (rc < 0)
		goto fail_detach;
	*out = l;
	return 0;
fail_detach:
	shield_loader_free(l);
	shield_loader_detach(ifname, root);
	return rc;
fail:
	shield_loader_free(l);
	if (!had_dir)
		unpin_all(dir);
	return rc;
}

int shield_loader_detach(const char *ifname, const char *pin_root)
{
	const char *root = pin_root ? pin_root : SHIELD_PIN_ROOT;
	char dir[PATH_MAX], path[PATH_MAX];
	int ifindex, rc, pfd;
	enum shield_mode mode;
	uint32_t id;

	rc = pin_dir(dir, sizeof(dir), root, ifname);
	if (rc < 0)
		return rc;
	rc = pin_path(path, sizeof(path), dir, PROG_PIN);
	if (rc < 0)
		return rc;
	pfd = bpf_obj_get(path);
	if (pfd < 0) {
		struct stat st;

		if (stat(dir, &st) < 0)
			return -ENOENT;
		unpin_all(dir); /* maps without a program: just clean up */
		return 0;
	}
	id = fd_prog_id(pfd);
	ifindex = (int)if_nametoindex(ifname);
	mode = attached_mode(ifindex, id);
	rc = 0;
	if (mode == SHIELD_MODE_NATIVE || mode == SHIELD_MODE_GENERIC) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = pfd);
		__u32 flags = XDP_FLAGS_REPLACE |
			      (mode == SHIELD_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
							    XDP_FLAGS_SKB_MODE);

		/* REPLACE with old_prog_fd: never detach someone else's. */
		if (bpf_xdp_detach(ifindex, flags, &o) < 0)
			rc = -errno;
	} else if (mode == SHIELD_MODE_MULTI) {
		struct xdp_multiprog *mp;
		struct xdp_program *p;

		mp = xdp_multiprog__get_from_ifindex(ifindex);
		rc = (int)libxdp_get_error(mp);
		if (!rc) {
			rc = -ENOENT;
			for (p = xdp_multiprog__next_prog(NULL, mp); p;
			     p = xdp_multiprog__next_prog(p, mp))
				if (xdp_program__id(p) == id) {
					rc = xdp_program__detach(
						p, ifindex,
						xdp_multiprog__attach_mode(mp),
						0);
					break;
				}
			xdp_multiprog__close(mp);
		}
	}
	close(pfd);
	if (rc < 0)
		return rc; /* still attached: keep the pins */
	unpin_all(dir);
	return 0;
}

bool shield_loader_reattached(const struct shield_loader *l)
{
	return l->reattached;
}

enum shield_mode shield_loader_mode(const struct shield_loader *l)
{
	return l->mode;
}

const char *shield_mode_name(enum shield_mode mode)
{
	switch (mode) {
	case SHIELD_MODE_AUTO:
		return "auto";
	case SHIELD_MODE_MULTI:
		return "multi";
	case SHIELD_MODE_NATIVE:
		return "native";
	case SHIELD_MODE_GENERIC:
		return "generic";
	default:
		return "none";
	}
}

int shield_loader_prog_fd(const struct shield_loader *l)
{
	return l->skel ? l->prog_fd : -1;
}

int shield_loader_get_cfg(struct shield_loader *l, struct shield_cfg *out)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(l->fd[M_CFG], &k, out) ? -errno : 0;
}

int shield_loader_set_cfg(struct shield_loader *l, const struct shield_cfg *cfg)
{
	struct shield_cfg cur, next;
	int rc;

	if (cfg_valid(cfg) < 0)
		return -EINVAL;
	rc = shield_loader_get_cfg(l, &cur);
	if (rc < 0)
		return rc;
	next = *cfg;
	next.flags = (cfg->flags & ~SHIELD_F_ALLOWLIST) |
		     (cur.flags & SHIELD_F_ALLOWLIST);
	return write_cfg(l, &next);
}

uint64_t shield_loader_now(struct shield_loader *l)
{
	struct shield_cfg c;
	struct timespec ts;

	if (shield_loader_get_cfg(l, &c) < 0 ||
	    clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
	       (uint64_t)c.now_offset_ns;
}

int shield_loader_counters(struct shield_loader *l,
			   uint64_t out[SHIELD_COUNTER_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < SHIELD_COUNTER_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(l->fd[M_COUNTERS], &i, v)) {
			int rc = -errno;

			free(v);
			return rc;
		}
		for (int c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	free(v);
	return 0;
}

static bool key_valid(const struct shield_lpm_key *k)
{
	if (k->family == SHIELD_FAM_V4)
		return k->prefixlen >= 8 && k->prefixlen <= 8 + 32;
	if (k->family == SHIELD_FAM_V6)
		return k->prefixlen >= 8 && k->prefixlen <= 8 + 128;
	return false;
}

int shield_loader_ban(struct shield_loader *l, const struct shield_lpm_key *key,
		      uint64_t expires_ns, uint32_t reason)
{
	struct shield_block_val v = { .expires_ns = expires_ns,
				      .reason = reason };

	if (!key_valid(key))
		return -EINVAL;
	return shield_block_put(l->fd[M_BLOCK], l->hints, key, &v);
}

int shield_loader_unban(struct shield_loader *l,
			const struct shield_lpm_key *key)
{
	if (!key_valid(key))
		return -EINVAL;
	return shield_block_del(l->fd[M_BLOCK], l->hints, key);
}

int shield_loader_bans(struct shield_loader *l, shield_ban_fn fn, void *arg)
{
	struct shield_lpm_key k, next;
	struct shield_block_val v;
	void *prev = NULL;
	int rc;

	while (!bpf_map_get_next_key(l->fd[M_BLOCK], prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(l->fd[M_BLOCK], &k, &v))
			continue; /* deleted meanwhile */
		rc = fn(arg, &k, &v);
		if (rc)
			return rc;
	}
	return errno == ENOENT ? 0 : -errno;
}

struct gc_ctx {
	uint64_t now;
	struct shield_lpm_key *keys;
	size_t n;
	size_t total; /* entries seen */
};

static int gc_collect(void *arg, const struct shield_lpm_key *key,
		      const struct shield_block_val *val)
{
	struct gc_ctx *g = arg;

	g->total++;
	if (val->expires_ns && val->expires_ns <= g->now &&
	    g->n < SHIELD_MAX_BLOCKS)
		g->keys[g->n++] = *key;
	return 0;
}

int shield_loader_gc(struct shield_loader *l, uint64_t now_ns)
{
	struct gc_ctx g = { .now = now_ns };
	int rc, removed = 0;

	/* Collect first: deleting while walking an LPM trie restarts the
	 * walk from the first key. */
	g.keys = calloc(SHIELD_MAX_BLOCKS, sizeof(*g.keys));
	if (!g.keys)
		return -ENOMEM;
	rc = shield_loader_bans(l, gc_collect, &g);
	for (size_t i = 0; rc == 0 && i < g.n; i++)
		if (!shield_block_del(l->fd[M_BLOCK], l->hints, &g.keys[i]))
			removed++;
	if (rc == 0 && l->hints && g.total > (size_t)removed &&
	    !__atomic_load_n(&l->hints->blocks, __ATOMIC_SEQ_CST))
		/* Entries but a count of 0: someone wrote around
		 * shield_block_put(). Count them again (an upper bound
		 * stays one whatever happens meanwhile). */
		__atomic_fetch_add(&l->hints->blocks, g.total - (size_t)removed,
				   __ATOMIC_SEQ_CST);
	free(g.keys);
	return rc < 0 ? rc : removed;
}

static int set_allow_flag(struct shield_loader *l, bool on)
{
	struct shield_cfg c;
	int rc = shield_loader_get_cfg(l, &c);

	if (rc < 0)
		return rc;
	if (on == !!(c.flags & SHIELD_F_ALLOWLIST))
		return 0;
	c.flags = on ? c.flags | SHIELD_F_ALLOWLIST :
		       c.flags & ~SHIELD_F_ALLOWLIST;
	return write_cfg(l, &c);
}

/* sync_allow_flag() turns the allow-list on while it has entries. */
static int sync_allow_flag(struct shield_loader *l)
{
	struct shield_lpm_key first;

	if (!bpf_map_get_next_key(l->fd[M_ALLOW], NULL, &first))
		return set_allow_flag(l, true);
	return errno == ENOENT ? set_allow_flag(l, false) : -errno;
}

static bool owner_valid(uint32_t owner)
{
	/* exactly one known owner bit */
	return owner && !(owner & ~SHIELD_ALLOW_OWNERS) &&
	       !(owner & (owner - 1));
}

static bool same_key(const struct shield_lpm_key *a,
		     const struct shield_lpm_key *b)
{
	return a->prefixlen == b->prefixlen && a->family == b->family &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* allow_get() reads the owners of the entry with exactly key. A lookup
 * alone cannot tell: on a trie it answers for the longest prefix covering
 * key, which may be a shorter one (once the exact entry is known to exist,
 * the lookup does return its value). -ENOENT if there is none. */
static int allow_get(struct shield_loader *l, const struct shield_lpm_key *key,
		     __u32 *v)
{
	struct shield_lpm_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(l->fd[M_ALLOW], prev, &next)) {
		if (same_key(&next, key))
			return bpf_map_lookup_elem(l->fd[M_ALLOW], key, v) ?
			       -errno : 0;
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? -ENOENT : -errno;
}

/* put_owners() writes key's owners, deleting the entry at none. */
static int put_owners(struct shield_loader *l, const struct shield_lpm_key *key,
		      __u32 v)
{
	if (!v)
		return bpf_map_delete_elem(l->fd[M_ALLOW], key) &&
		       errno != ENOENT ? -errno : 0;
	if (!bpf_map_update_elem(l->fd[M_ALLOW], key, &v, BPF_ANY))
		return 0;
	return errno == E2BIG ? -ENOSPC : -errno;
}

int shield_loader_allow(struct shield_loader *l,
			const struct shield_lpm_key *key, uint32_t owner)
{
	__u32 v = 0;
	int rc;

	if (!key_valid(key) || !owner_valid(owner))
		return -EINVAL;
	rc = allow_get(l, key, &v);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = put_owners(l, key, v | owner);
	return rc < 0 ? rc : set_allow_flag(l, true);
}

int shield_loader_disallow(struct shield_loader *l,
			   const struct shield_lpm_key *key, uint32_t mask)
{
	__u32 v;
	int rc;

	if (!key_valid(key) || !mask || (mask & ~SHIELD_ALLOW_OWNERS))
		return -EINVAL;
	rc = allow_get(l, key, &v);
	if (rc < 0)
		return rc;
	if (!(v & mask))
		return -ENOENT;
	rc = put_owners(l, key, v & ~mask);
	return rc < 0 ? rc : sync_allow_flag(l);
}

int shield_loader_allows(struct shield_loader *l, shield_allow_fn fn,
			 void *arg)
{
	struct shield_lpm_key k, next;
	void *prev = NULL;
	__u32 v;
	int rc;

	while (!bpf_map_get_next_key(l->fd[M_ALLOW], prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(l->fd[M_ALLOW], &k, &v))
			continue; /* deleted meanwhile */
		rc = fn(arg, &k, v);
		if (rc)
			return rc;
	}
	return errno == ENOENT ? 0 : -errno;
}

struct allow_snap {
	struct shield_lpm_key *keys; /* [SHIELD_MAX_ALLOWS] */
	__u32 *owners;
	size_t n;
};

static int snap_one(void *arg, const struct shield_lpm_key *key,
		    uint32_t owners)
{
	struct allow_snap *s = arg;

	if (s->n >= SHIELD_MAX_ALLOWS)
		return -EOVERFLOW; /* grew meanwhile: beyond the map's size */
	s->keys[s->n] = *key;
	s->owners[s->n++] = owners;
	return 0;
}

static ssize_t snap_find(const struct allow_snap *s,
			 const struct shield_lpm_key *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (same_key(&s->keys[i], key))
			return (ssize_t)i;
	return -1;
}

int shield_loader_allow_replace(struct shield_loader *l, uint32_t owner,
				const struct shield_lpm_key *keys, size_t n)
{
	struct allow_snap s = { 0 };
	int rc = 0, rc2;

	if (!owner_valid(owner) || (n && !keys))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!key_valid(&keys[i]))
			return -EINVAL;
	/* One walk up front (a trie lookup is not an exact match, see
	 * allow_get()); then one update per changed entry. */
	s.keys = calloc(SHIELD_MAX_ALLOWS, sizeof(*s.keys));
	s.owners = calloc(SHIELD_MAX_ALLOWS, sizeof(*s.owners));
	if (!s.keys || !s.owners) {
		rc = -ENOMEM;
		goto out;
	}
	rc = shield_loader_allows(l, snap_one, &s);
	/* New entries first: nothing allowed before and after is dropped
	 * on the way, and the list does not pass through empty. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		ssize_t j = snap_find(&s, &keys[i]);
		__u32 v = j >= 0 ? s.owners[j] : 0;

		if (!(v & owner))
			rc = put_owners(l, &keys[i], v | owner);
	}
	for (size_t j = 0; rc == 0 && j < s.n; j++) {
		bool keep = false;

		if (!(s.owners[j] & owner))
			continue;
		for (size_t i = 0; i < n && !keep; i++)
			keep = same_key(&s.keys[j], &keys[i]);
		if (!keep)
			rc = put_owners(l, &s.keys[j], s.owners[j] & ~owner);
	}
out:
	free(s.keys);
	free(s.owners);
	rc2 = sync_allow_flag(l);
	return rc < 0 ? rc : rc2;
}

int shield_loader_set_xsk(struct shield_loader *l, uint32_t queue, int xsk_fd)
{
	__u32 q = queue, v = (__u32)xsk_fd;

	if (queue >= SHIELD_MAX_QUEUES)
		return -EINVAL;
	if (xsk_fd < 0) {
		if (bpf_map_delete_elem(l->fd[M_XSKS], &q) && errno != ENOENT)
			return -errno;
		return 0;
	}
	return bpf_map_update_elem(l->fd[M_XSKS], &q, &v, BPF_ANY) ? -errno :
								     0;
}

int shield_cidr_parse(struct shield_lpm_key *out, const char *s)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned max;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = SHIELD_FAM_V4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = SHIELD_FAM_V6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > max)
			return -EINVAL;
	}
	for (unsigned b = (unsigned)plen; b < 128; b++)
		out->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	out->prefixlen = 8 + (uint32_t)plen;
	return 0;
}

int shield_cidr_format(char *buf, size_t len, const struct shield_lpm_key *key)
{
	char addr[INET6_ADDRSTRLEN];
	int af = key->family == SHIELD_FAM_V4 ? AF_INET : AF_INET6;
	int n;

	if (!key_valid(key) || !inet_ntop(af, key->addr, addr, sizeof(addr)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", addr, key->prefixlen - 8);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int shield_loader_verify(struct shield_loader *l,
			 const struct shield_bucket_key *key,
			 uint64_t expires_ns)
{
	return shield_verified_put(l->fd[M_VERIFIED], l->hints, key,
				   expires_ns);
}

int shield_loader_verified(struct shield_loader *l, uint64_t now_ns,
			   uint64_t *n_out)
{
	struct shield_bucket_key k, next;
	struct shield_verified_val v;
	void *prev = NULL;
	uint64_t n = 0;

	while (bpf_map_get_next_key(l->fd[M_VERIFIED], prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(l->fd[M_VERIFIED], &k, &v) == 0 &&
		    v.expires_ns > now_ns)
			n++;
	}
	*n_out = n;
	return 0;
}
