/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_maps.c - the XDP shield's maps from userspace:
 * bans, the allow-list, verified sources, counters and the hints that let
 * the program skip lookups. */
#include "dataplane/shield/shield_maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/shield/shield_cidr.h"

static size_t hints_len(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;

	return (sizeof(struct shield_hints) + p - 1) / p * p;
}

struct shield_hints *shield_maps_hints_mmap(int fd)
{
	void *m;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	m = mmap(NULL, hints_len(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

void shield_maps_hints_munmap(struct shield_hints *h)
{
	if (h)
		munmap(h, hints_len());
}

int shield_maps_block_put(int fd, struct shield_hints *h,
			  const struct shield_lpm_key *key,
			  const struct shield_block_val *val)
{
	int rc;

	if (val->expires_ns > SHIELD_MAPS_EXPIRY_MAX)
		return -EINVAL;         /* a wrapped past time, not "forever" */
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

int shield_maps_block_del(int fd, struct shield_hints *h,
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

void shield_maps_pfx_key(struct shield_bucket_key *out,
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

	/* A wrapped expiry (an entry some older writer left) must not pin
	 * the slot at "for ever": it never raises it. */
	if (expires_ns > SHIELD_MAPS_EXPIRY_MAX)
		return;
	shield_maps_pfx_key(&pk, src);
	slot = &h->vpfx[shield_vpfx_slot(&pk)];
	cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
	while (cur < want &&
	       !__atomic_compare_exchange_n(slot, &cur, want, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}

int shield_maps_verified_put(int fd, struct shield_hints *h,
			     const struct shield_bucket_key *key,
			     uint64_t expires_ns)
{
	struct shield_verified_val v = { .expires_ns = expires_ns };

	/* Shield time is CLOCK_MONOTONIC plus a small offset: an expiry
	 * above SHIELD_MAPS_EXPIRY_MAX is a time in the past that an
	 * unsigned subtraction wrapped (now - d with d > now), which
	 * written as it is would verify the source, and raise its prefix's
	 * hints slot, for centuries. */
	if (expires_ns > SHIELD_MAPS_EXPIRY_MAX)
		return -EINVAL;
	if (h)
		vpfx_raise(h, key, expires_ns); /* before the entry */
	return bpf_map_update_elem(fd, key, &v, BPF_ANY) ? -errno : 0;
}

/* hints_init() covers what the blocklist and "verified" already hold
 * when the hints map is new (fresh maps, or a hints map created next to
 * reused pinned ones), then sets ready; a ready map is left alone. Until
 * ready the program ignores the hints. Adding to the count (never
 * setting it) keeps it an upper bound whoever else writes meanwhile. */
int shield_maps_hints_init(struct shield_maps *m)
{
	struct shield_lpm_key lk, lnext;
	struct shield_bucket_key vk, vnext;
	struct shield_verified_val vv;
	uint64_t n = 0;
	void *prev;

	if (!m->hints || __atomic_load_n(&m->hints->ready, __ATOMIC_ACQUIRE))
		return 0;
	for (prev = NULL;
	     !bpf_map_get_next_key(m->fd[SHIELD_MAPS_BLOCK], prev, &lnext);
	     prev = &lk) {
		lk = lnext;
		n++;
	}
	if (errno != ENOENT)
		return -errno;
	__atomic_fetch_add(&m->hints->blocks, n, __ATOMIC_SEQ_CST);
	for (prev = NULL;
	     !bpf_map_get_next_key(m->fd[SHIELD_MAPS_VERIFIED], prev, &vnext);
	     prev = &vk) {
		vk = vnext;
		if (!bpf_map_lookup_elem(m->fd[SHIELD_MAPS_VERIFIED], &vk, &vv))
			vpfx_raise(m->hints, &vk, vv.expires_ns);
	}
	if (errno != ENOENT)
		return -errno;
	__atomic_store_n(&m->hints->ready, 1, __ATOMIC_RELEASE);
	return 0;
}

int shield_maps_counters(struct shield_maps *m,
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
		if (bpf_map_lookup_elem(m->fd[SHIELD_MAPS_COUNTERS], &i, v)) {
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

int shield_maps_ban(struct shield_maps *m, const struct shield_lpm_key *key,
		    uint64_t expires_ns, uint32_t reason)
{
	struct shield_block_val v = { .expires_ns = expires_ns,
				      .reason = reason };

	if (!shield_cidr_key_valid(key))
		return -EINVAL;
	return shield_maps_block_put(m->fd[SHIELD_MAPS_BLOCK], m->hints, key, &v);
}

int shield_maps_unban(struct shield_maps *m,
		      const struct shield_lpm_key *key)
{
	if (!shield_cidr_key_valid(key))
		return -EINVAL;
	return shield_maps_block_del(m->fd[SHIELD_MAPS_BLOCK], m->hints, key);
}

int shield_maps_bans(struct shield_maps *m, shield_maps_ban_fn fn, void *arg)
{
	struct shield_lpm_key k, next;
	struct shield_block_val v;
	void *prev = NULL;
	int rc;

	while (!bpf_map_get_next_key(m->fd[SHIELD_MAPS_BLOCK], prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(m->fd[SHIELD_MAPS_BLOCK], &k, &v))
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

int shield_maps_gc(struct shield_maps *m, uint64_t now_ns)
{
	struct gc_ctx g = { .now = now_ns };
	int rc, removed = 0;

	/* Collect first: deleting while walking an LPM trie restarts the
	 * walk from the first key. */
	g.keys = calloc(SHIELD_MAX_BLOCKS, sizeof(*g.keys));
	if (!g.keys)
		return -ENOMEM;
	rc = shield_maps_bans(m, gc_collect, &g);
	for (size_t i = 0; rc == 0 && i < g.n; i++)
		if (!shield_maps_block_del(m->fd[SHIELD_MAPS_BLOCK], m->hints, &g.keys[i]))
			removed++;
	if (rc == 0 && m->hints && g.total > (size_t)removed &&
	    !__atomic_load_n(&m->hints->blocks, __ATOMIC_SEQ_CST))
		/* Entries but a count of 0: someone wrote around
		 * shield_maps_block_put(). Count them again (an upper bound
		 * stays one whatever happens meanwhile). */
		__atomic_fetch_add(&m->hints->blocks, g.total - (size_t)removed,
				   __ATOMIC_SEQ_CST);
	free(g.keys);
	return rc < 0 ? rc : removed;
}

static int set_allow_flag(struct shield_maps *m, bool on)
{
	struct shield_cfg c;
	__u32 k = 0;

	/* Only the flag changes: the rest, SHIELD_F_COARSE_CLOCK included,
	 * stays as shield_loader_set_cfg() wrote it. */
	if (bpf_map_lookup_elem(m->fd[SHIELD_MAPS_CFG], &k, &c))
		return -errno;
	if (on == !!(c.flags & SHIELD_F_ALLOWLIST))
		return 0;
	c.flags = on ? c.flags | SHIELD_F_ALLOWLIST :
		       c.flags & ~SHIELD_F_ALLOWLIST;
	return bpf_map_update_elem(m->fd[SHIELD_MAPS_CFG], &k, &c, BPF_ANY) ?
	       -errno : 0;
}

/* sync_allow_flag() turns the allow-list on while it has entries. */
static int sync_allow_flag(struct shield_maps *m)
{
	struct shield_lpm_key first;

	if (!bpf_map_get_next_key(m->fd[SHIELD_MAPS_ALLOW], NULL, &first))
		return set_allow_flag(m, true);
	return errno == ENOENT ? set_allow_flag(m, false) : -errno;
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
static int allow_get(struct shield_maps *m, const struct shield_lpm_key *key,
		     __u32 *v)
{
	struct shield_lpm_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(m->fd[SHIELD_MAPS_ALLOW], prev, &next)) {
		if (same_key(&next, key))
			return bpf_map_lookup_elem(m->fd[SHIELD_MAPS_ALLOW], key, v) ?
			       -errno : 0;
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? -ENOENT : -errno;
}

/* put_owners() writes key's owners, deleting the entry at none. */
static int put_owners(struct shield_maps *m, const struct shield_lpm_key *key,
		      __u32 v)
{
	if (!v)
		return bpf_map_delete_elem(m->fd[SHIELD_MAPS_ALLOW], key) &&
		       errno != ENOENT ? -errno : 0;
	if (!bpf_map_update_elem(m->fd[SHIELD_MAPS_ALLOW], key, &v, BPF_ANY))
		return 0;
	return errno == E2BIG ? -ENOSPC : -errno;
}

int shield_maps_allow(struct shield_maps *m,
		      const struct shield_lpm_key *key, uint32_t owner)
{
	__u32 v = 0;
	int rc;

	if (!shield_cidr_key_valid(key) || !owner_valid(owner))
		return -EINVAL;
	rc = allow_get(m, key, &v);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = put_owners(m, key, v | owner);
	return rc < 0 ? rc : set_allow_flag(m, true);
}

int shield_maps_disallow(struct shield_maps *m,
			 const struct shield_lpm_key *key, uint32_t mask)
{
	__u32 v;
	int rc;

	if (!shield_cidr_key_valid(key) || !mask || (mask & ~SHIELD_ALLOW_OWNERS))
		return -EINVAL;
	rc = allow_get(m, key, &v);
	if (rc < 0)
		return rc;
	if (!(v & mask))
		return -ENOENT;
	rc = put_owners(m, key, v & ~mask);
	return rc < 0 ? rc : sync_allow_flag(m);
}

int shield_maps_allows(struct shield_maps *m, shield_maps_allow_fn fn,
		       void *arg)
{
	struct shield_lpm_key k, next;
	void *prev = NULL;
	__u32 v;
	int rc;

	while (!bpf_map_get_next_key(m->fd[SHIELD_MAPS_ALLOW], prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(m->fd[SHIELD_MAPS_ALLOW], &k, &v))
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

int shield_maps_allow_replace(struct shield_maps *m, uint32_t owner,
			      const struct shield_lpm_key *keys, size_t n)
{
	struct allow_snap s = { 0 };
	int rc = 0, rc2;

	if (!owner_valid(owner) || (n && !keys))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!shield_cidr_key_valid(&keys[i]))
			return -EINVAL;
	/* One walk up front (a trie lookup is not an exact match, see
	 * allow_get()); then one update per changed entry. */
	s.keys = calloc(SHIELD_MAX_ALLOWS, sizeof(*s.keys));
	s.owners = calloc(SHIELD_MAX_ALLOWS, sizeof(*s.owners));
	if (!s.keys || !s.owners) {
		rc = -ENOMEM;
		goto out;
	}
	rc = shield_maps_allows(m, snap_one, &s);
	/* New entries first: nothing allowed before and after is dropped
	 * on the way, and the list does not pass through empty. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		ssize_t j = snap_find(&s, &keys[i]);
		__u32 v = j >= 0 ? s.owners[j] : 0;

		if (!(v & owner))
			rc = put_owners(m, &keys[i], v | owner);
	}
	for (size_t j = 0; rc == 0 && j < s.n; j++) {
		bool keep = false;

		if (!(s.owners[j] & owner))
			continue;
		for (size_t i = 0; i < n && !keep; i++)
			keep = same_key(&s.keys[j], &keys[i]);
		if (!keep)
			rc = put_owners(m, &s.keys[j], s.owners[j] & ~owner);
	}
out:
	free(s.keys);
	free(s.owners);
	rc2 = sync_allow_flag(m);
	return rc < 0 ? rc : rc2;
}

int shield_maps_verify(struct shield_maps *m,
		       const struct shield_bucket_key *key,
		       uint64_t expires_ns)
{
	return shield_maps_verified_put(m->fd[SHIELD_MAPS_VERIFIED], m->hints, key,
					expires_ns);
}

int shield_maps_verified(struct shield_maps *m, uint64_t now_ns,
			 uint64_t *n_out)
{
	struct shield_bucket_key k, next;
	struct shield_verified_val v;
	void *prev = NULL;
	uint64_t n = 0;

	while (bpf_map_get_next_key(m->fd[SHIELD_MAPS_VERIFIED], prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(m->fd[SHIELD_MAPS_VERIFIED], &k, &v) == 0 &&
		    v.expires_ns > now_ns)
			n++;
	}
	*n_out = n;
	return 0;
}
