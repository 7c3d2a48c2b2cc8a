/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_loader.c - load, attach, pin and re-open the bpf/
 * XDP flood shield (libxdp/libbpf); its maps: dataplane/shield/shield_maps. */
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
#include "dataplane/shield/shield_maps.h"

/* Pinned objects, in enum shield_maps_idx order, then the program. */
static const char *const map_names[SHIELD_MAPS_MAX] = {
	"cfg_map", "counters", "src_buckets", "pfx_buckets",
	"blocklist", "allowlist", "xsks", "verified", "budget", "hints",
};

#define PROG_PIN "prog"

struct shield_loader {
	struct shield_bpf *skel;  /* NULL when re-opened from pins */
	struct xdp_program *xprog; /* set when libxdp attached it */
	struct shield_maps maps;  /* owned map fds, the mmapped hints */
	int prog_fd;              /* owned by skel; -1 if none */
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
	if (set & SHIELD_SET_DISCV5)
		dst->flags = (dst->flags & ~SHIELD_F_DISCV5) |
			     (src->flags & SHIELD_F_DISCV5);
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
	for (int i = 0; i < SHIELD_MAPS_MAX; i++)
		l->maps.fd[i] = -1;
	l->prog_fd = -1;
	l->mode = SHIELD_MODE_NONE;
	return l;
}

void shield_loader_free(struct shield_loader *l)
{
	if (!l)
		return;
	shield_maps_hints_munmap(l->maps.hints);
	for (int i = 0; i < SHIELD_MAPS_MAX; i++)
		if (l->maps.fd[i] >= 0)
			close(l->maps.fd[i]);
	if (l->xprog)
		xdp_program__close(l->xprog); /* does not detach */
	shield_bpf__destroy(l->skel);
	free(l);
}

static struct bpf_map *skel_map(struct shield_bpf *s, int i)
{
	struct bpf_map *m[SHIELD_MAPS_MAX] = {
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
	for (int i = 0; i < SHIELD_MAPS_MAX; i++) {
		l->maps.fd[i] = fcntl(bpf_map__fd(skel_map(l->skel, i)),
				      F_DUPFD_CLOEXEC, 3);
		if (l->maps.fd[i] < 0)
			return -errno;
	}
	l->prog_fd = bpf_program__fd(l->skel->progs.shield_xdp);
	return 0;
}

/* map_hints() maps the hints of a handle; an older shield without them
 * (fd -1) is fine, a hints map that cannot be mapped is not: its program
 * would skip entries written without it. */
static int map_hints(struct shield_loader *l)
{
	if (l->maps.fd[SHIELD_MAPS_HINTS] < 0)
		return 0;
	l->maps.hints = shield_maps_hints_mmap(l->maps.fd[SHIELD_MAPS_HINTS]);
	if (!l->maps.hints)
		return -errno ? -errno : -ENOMEM;
	return shield_maps_hints_init(&l->maps);
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
	return bpf_map_update_elem(l->maps.fd[SHIELD_MAPS_CFG], &k, &next,
				   BPF_ANY) ? -errno : 0;
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

	for (int i = 0; i < SHIELD_MAPS_MAX; i++) {
		rc = pin_path(path, sizeof(path), dir, map_names[i]);
		if (rc < 0)
			return rc;
		l->maps.fd[i] = bpf_obj_get(path);
		if (l->maps.fd[i] < 0 && !(i == SHIELD_MAPS_HINTS && errno == ENOENT))
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

	for (int i = 0; i < SHIELD_MAPS_MAX; i++)
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
	for (int i = 0; i < SHIELD_MAPS_MAX; i++) {
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

struct shield_maps *shield_loader_maps(struct shield_loader *l)
{
	return &l->maps;
}

int shield_loader_prog_fd(const struct shield_loader *l)
{
	return l->skel ? l->prog_fd : -1;
}

int shield_loader_get_cfg(struct shield_loader *l, struct shield_cfg *out)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(l->maps.fd[SHIELD_MAPS_CFG], &k, out) ? -errno : 0;
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

int shield_loader_set_xsk(struct shield_loader *l, uint32_t queue, int xsk_fd)
{
	__u32 q = queue, v = (__u32)xsk_fd;

	if (queue >= SHIELD_MAX_QUEUES)
		return -EINVAL;
	if (xsk_fd < 0) {
		if (bpf_map_delete_elem(l->maps.fd[SHIELD_MAPS_XSKS], &q) && errno != ENOENT)
			return -errno;
		return 0;
	}
	return bpf_map_update_elem(l->maps.fd[SHIELD_MAPS_XSKS], &q, &v,
				   BPF_ANY) ? -errno : 0;
}

