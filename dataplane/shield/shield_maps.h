/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_maps.h - the XDP shield's maps from userspace:
 * bans, the allow-list, verified sources, counters, and the hints the
 * program uses to skip lookups (bpf/shield.h). */
#ifndef DATAPLANE_SHIELD_MAPS_H
#define DATAPLANE_SHIELD_MAPS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/shield.h"

/*
 * A struct shield_maps is the set of map fds of one shield, as
 * dataplane/shield/shield_loader.h opened it (shield_loader_maps()). It is
 * not thread-safe, but several processes may hold the same maps (map
 * updates are atomic per entry). All functions return 0 or -errno unless
 * stated otherwise.
 */

/* The shield's maps, in the order they are pinned. */
enum shield_maps_idx {
	SHIELD_MAPS_CFG,
	SHIELD_MAPS_COUNTERS,
	SHIELD_MAPS_SRC,
	SHIELD_MAPS_PFX,
	SHIELD_MAPS_BLOCK,
	SHIELD_MAPS_ALLOW,
	SHIELD_MAPS_XSKS,
	SHIELD_MAPS_VERIFIED,
	SHIELD_MAPS_BUDGET,
	SHIELD_MAPS_HINTS,
	SHIELD_MAPS_MAX
};

/* The latest expiry the maps take (shield time, ns). Shield time is
 * CLOCK_MONOTONIC plus cfg.now_offset_ns, far below 2^63 ns (292 years),
 * so anything above is a past time an unsigned subtraction wrapped (now -
 * d, d > now), never a future one: bans and verifications refuse it
 * (-EINVAL) rather than write it as "for ever". */
#define SHIELD_MAPS_EXPIRY_MAX ((uint64_t)INT64_MAX)

struct shield_maps {
	int fd[SHIELD_MAPS_MAX];        /* -1: absent (the hints of a shield
					 * older than them) */
	struct shield_hints *hints;     /* fd[SHIELD_MAPS_HINTS] mmapped, or
					 * NULL */
};

/* shield_maps_hints_init() covers what the blocklist and "verified"
 * already hold when m's hints map is new, then marks it ready (a ready
 * one is left alone; no hints: nothing to do). The loader calls it once
 * it has mapped the hints. */
int shield_maps_hints_init(struct shield_maps *m);

/* The verdict counters, summed over all possible CPUs. */
int shield_maps_counters(struct shield_maps *m,
			 uint64_t out[SHIELD_COUNTER_MAX]);

/* Blocklist: add or replace a ban on *key until expires_ns (shield time;
 * 0 = forever; above SHIELD_MAPS_EXPIRY_MAX: -EINVAL). The program ignores
 * expired entries; shield_maps_gc() deletes them. unban returns -ENOENT
 * if absent. */
int shield_maps_ban(struct shield_maps *m,
		    const struct shield_lpm_key *key, uint64_t expires_ns,
		    uint32_t reason);
int shield_maps_unban(struct shield_maps *m,
		      const struct shield_lpm_key *key);

typedef int (*shield_maps_ban_fn)(void *arg, const struct shield_lpm_key *key,
				  const struct shield_block_val *val);

/* shield_maps_bans() calls fn for every entry (expired ones too) until fn
 * returns non-zero, which is then returned. */
int shield_maps_bans(struct shield_maps *m, shield_maps_ban_fn fn, void *arg);

/* shield_maps_gc() deletes bans with 0 < expires_ns <= now_ns and returns
 * how many it deleted, or -errno. */
int shield_maps_gc(struct shield_maps *m, uint64_t now_ns);

/*
 * Allow-list. While it has entries (SHIELD_F_ALLOWLIST), discovery from
 * sources outside all of them is dropped (drop-not-allowed). Each entry
 * records its owners (SHIELD_ALLOW_* in bpf/shield.h): the operator
 * (`devplane-dp shield allow`, `attach --allow`) and devplane's
 * --netrestrict, which the dataplane installs for its control process.
 * The list is the union of both owners' entries; an entry goes when its
 * last owner lets go, so replacing or dropping the netrestrict entries
 * never touches the operator's. Updates are read-modify-write per entry:
 * two processes changing the same CIDR at the same instant may lose one
 * owner bit.
 *
 * shield_maps_allow() adds owner (a SHIELD_ALLOW_* bit) to key's entry,
 * creating it; the first entry sets SHIELD_F_ALLOWLIST.
 * shield_maps_disallow() takes the owners in mask off key's entry and
 * deletes it when none is left; removing the last entry clears
 * SHIELD_F_ALLOWLIST. Returns -ENOENT if key has no entry held by any
 * owner in mask. */
int shield_maps_allow(struct shield_maps *m,
		      const struct shield_lpm_key *key, uint32_t owner);
int shield_maps_disallow(struct shield_maps *m,
			 const struct shield_lpm_key *key, uint32_t mask);

/* shield_maps_allow_replace() makes owner's entries exactly keys[0..n)
 * (n 0: none). It adds the new ones first, then takes owner off the
 * others: a source allowed before and after is never dropped on the way,
 * and the list does not pass through empty (open to all). Entries of
 * other owners are untouched. Returns 0,
 * -EINVAL (a bad key or owner), -ENOSPC (the trie is full: the keys added
 * so far stay, the stale ones too) or -errno. */
int shield_maps_allow_replace(struct shield_maps *m, uint32_t owner,
			      const struct shield_lpm_key *keys, size_t n);

typedef int (*shield_maps_allow_fn)(void *arg, const struct shield_lpm_key *key,
				    uint32_t owners);

/* shield_maps_allows() calls fn for every allow-list entry with its
 * owners until fn returns non-zero, which is then returned. */
int shield_maps_allows(struct shield_maps *m, shield_maps_allow_fn fn,
		       void *arg);

/* shield_maps_verify() marks the source *key (as the per-source bucket
 * key: /32 or /64) verified until expires_ns (shield time): it then skips
 * the per-prefix bucket and the global budget (bpf/shield.h). A past
 * expiry replaces the entry with one already expired (not verified) and
 * leaves the prefix's hints slot as it is; one above
 * SHIELD_MAPS_EXPIRY_MAX (a wrapped past time) is refused with -EINVAL,
 * nothing written. */
int shield_maps_verify(struct shield_maps *m,
		       const struct shield_bucket_key *key,
		       uint64_t expires_ns);

/* shield_maps_verified() counts the sources verified at now_ns. */
int shield_maps_verified(struct shield_maps *m, uint64_t now_ns,
			 uint64_t *n_out);

/*
 * Hints (bpf/shield.h): every writer of the blocklist and of "verified"
 * goes through these, so that the program may skip lookups that cannot
 * match. The shield_maps_* functions above do; the xdp backend's
 * workers, which hold the pinned maps' fds themselves, call them
 * directly. h is the hints map as mapped by shield_maps_hints_mmap(), or NULL
 * for a shield older than them (plain updates). Safe from any number of
 * threads and processes at once.
 *
 * shield_maps_block_put() adds or replaces a blocklist entry (-errno from the
 * map; -EAGAIN if the entry kept coming and going). shield_maps_block_del()
 * deletes one (-ENOENT if absent). shield_maps_verified_put() marks a source
 * (per-source key) verified until expires_ns. Both refuse an expiry above
 * SHIELD_MAPS_EXPIRY_MAX with -EINVAL.
 */
/* NULL and errno on failure */
struct shield_hints *shield_maps_hints_mmap(int fd);
void shield_maps_hints_munmap(struct shield_hints *h); /* NULL: no-op */
int shield_maps_block_put(int fd, struct shield_hints *h,
			  const struct shield_lpm_key *key,
			  const struct shield_block_val *val);
int shield_maps_block_del(int fd, struct shield_hints *h,
			  const struct shield_lpm_key *key);
int shield_maps_verified_put(int fd, struct shield_hints *h,
			     const struct shield_bucket_key *key,
			     uint64_t expires_ns);

/* shield_maps_pfx_key() is the per-prefix bucket key (/24, /48) of a
 * per-source key (/32, /64). */
void shield_maps_pfx_key(struct shield_bucket_key *out,
			 const struct shield_bucket_key *src);

#endif /* DATAPLANE_SHIELD_MAPS_H */
