/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_loader.h - load, attach, pin, re-open and drive the bpf/ XDP flood shield. */
#ifndef DATAPLANE_SHIELD_LOADER_H
#define DATAPLANE_SHIELD_LOADER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/shield.h"

/*
 * The shield program and its maps outlive the process that attached them:
 * the maps (and the program, for identification) are pinned under
 * <pin_root>/<ifname>/ and the XDP attachment belongs to the interface.
 * A later shield_loader_attach() on the same interface re-opens the pinned
 * maps instead of loading a second copy, so filtering never stops while
 * userspace restarts. Only shield_loader_detach() removes both.
 *
 * A struct shield_loader is a set of file descriptors; it is not
 * thread-safe, but several processes may hold one for the same interface
 * (map updates are atomic per entry). All functions return 0 or -errno
 * unless stated otherwise; -EPERM means the caller lacks CAP_BPF/CAP_NET_ADMIN.
 */

#define SHIELD_PIN_ROOT "/sys/fs/bpf/devplane"

#define SHIELD_DEFAULT_PORT      30303
#define SHIELD_DEFAULT_SRC_RATE  500 /* as DPD_DEFAULT_BUDGET_RATE */
#define SHIELD_DEFAULT_SRC_BURST 1000
#define SHIELD_DEFAULT_PFX_RATE  5000
#define SHIELD_DEFAULT_PFX_BURST 10000
/* Global redirect budget of unverified sources (bpf/shield.h): about what
 * one dataplane worker verifies per second on a loaded 2-vCPU machine,
 * depth well under the AF_XDP RX ring (pktio_afxdp.h). */
#define SHIELD_DEFAULT_UNK_RATE  10000
#define SHIELD_DEFAULT_UNK_BURST 512

enum shield_mode {
	SHIELD_MODE_AUTO,    /* dispatcher, else single native, else generic */
	SHIELD_MODE_MULTI,   /* libxdp multi-program dispatcher, native only */
	SHIELD_MODE_NATIVE,  /* single program, driver mode */
	SHIELD_MODE_GENERIC, /* single program, skb (generic) mode */
	SHIELD_MODE_NONE,    /* loaded but not attached (shield_loader_new) */
};

struct shield_loader;

/* shield_default_cfg() fills *out with the defaults above for UDP port
 * port (host order), allow-list off, no time offset. */
void shield_default_cfg(struct shield_cfg *out, uint16_t port);

/* shield_loader_new() loads the program and fresh, unpinned maps without
 * attaching anything (unit tests, benchmarks: drive it with
 * shield_loader_prog_fd() and BPF_PROG_TEST_RUN). cfg is written to the
 * config map. */
int shield_loader_new(struct shield_loader **out,
		      const struct shield_cfg *cfg);

/* Fields of struct shield_cfg that a caller of shield_loader_attach()
 * sets explicitly (an operator's flag, the port the dataplane bound). */
#define SHIELD_SET_PORT      (1u << 0) /* discv4_port_be */
#define SHIELD_SET_SRC_RATE  (1u << 1)
#define SHIELD_SET_SRC_BURST (1u << 2)
#define SHIELD_SET_PFX_RATE  (1u << 3)
#define SHIELD_SET_PFX_BURST (1u << 4)
#define SHIELD_SET_UNK_RATE  (1u << 5)
#define SHIELD_SET_UNK_BURST (1u << 6)
#define SHIELD_SET_ALL       0x7fu

/* shield_cfg_merge() copies the fields named in set (SHIELD_SET_*) from
 * src into *dst and leaves the others (flags and now_offset_ns too). */
void shield_cfg_merge(struct shield_cfg *dst, const struct shield_cfg *src,
		      uint32_t set);

/* shield_loader_attach() makes sure the shield runs on ifname and returns a
 * handle to it. If a pinned shield is already attached there, its maps are
 * re-opened (restart; shield_loader_reattached() is true) and only the
 * fields named in set (SHIELD_SET_*) are taken from cfg: the running
 * config keeps everything else, so a restarted dataplane does not undo
 * what an operator set (set 0: the config is left alone; cfg may then be
 * NULL). Otherwise the program is loaded (any compatible pinned maps are
 * reused), maps and program are pinned under <pin_root>/<ifname>/ and the
 * program attached in the requested mode; cfg, which must then be
 * non-NULL, is written whole (set is ignored: cfg carries the defaults of
 * the fields not set). pin_root NULL means SHIELD_PIN_ROOT.
 * Returns -ENODEV (no such interface), -EINVAL (bad cfg, mode, or a merged
 * config that is not valid), -EOPNOTSUPP (no mode could attach), or
 * another -errno. */
int shield_loader_attach(struct shield_loader **out, const char *ifname,
			 const char *pin_root, enum shield_mode mode,
			 const struct shield_cfg *cfg, uint32_t set);

/* shield_loader_open() re-opens the pinned maps of the shield on ifname
 * without loading or attaching anything (operator commands).
 * Returns -ENOENT if nothing is pinned for ifname. */
int shield_loader_open(struct shield_loader **out, const char *ifname,
		       const char *pin_root);

/* shield_loader_detach() detaches the pinned shield from ifname (if it is
 * still attached), then removes the pins and the pin directory. Handles
 * still open keep working on now-orphaned maps until freed. Returns
 * -ENOENT if nothing was pinned for ifname. */
int shield_loader_detach(const char *ifname, const char *pin_root);

/* shield_loader_free() closes the handle; the attachment and pins stay.
 * NULL is a no-op. */
void shield_loader_free(struct shield_loader *l);

/* True when shield_loader_attach() found a running shield and re-opened it. */
bool shield_loader_reattached(const struct shield_loader *l);

/* The mode the program runs in (SHIELD_MODE_NONE for handles from
 * shield_loader_new(); as detected for shield_loader_open()). */
enum shield_mode shield_loader_mode(const struct shield_loader *l);

/* "multi", "native", "generic", "none" or "auto". */
const char *shield_mode_name(enum shield_mode mode);

/* Program fd (for BPF_PROG_TEST_RUN); -1 for handles from
 * shield_loader_open() and re-attached handles. */
int shield_loader_prog_fd(const struct shield_loader *l);

/* Read / replace the run-time config. set_cfg validates it: port non-zero,
 * rates <= SHIELD_MAX_RATE, bursts in 1..SHIELD_MAX_BURST when the rate is
 * non-zero. It does not touch SHIELD_F_ALLOWLIST, which the allow-list
 * functions maintain. */
int shield_loader_get_cfg(struct shield_loader *l, struct shield_cfg *out);
int shield_loader_set_cfg(struct shield_loader *l,
			  const struct shield_cfg *cfg);

/* Shield time: CLOCK_MONOTONIC + cfg.now_offset_ns, the clock ban expiry is
 * written in. Returns 0 if the config cannot be read. */
uint64_t shield_loader_now(struct shield_loader *l);

/* The verdict counters, summed over all possible CPUs. */
int shield_loader_counters(struct shield_loader *l,
			   uint64_t out[SHIELD_COUNTER_MAX]);

/* Blocklist: add or replace a ban on *key until expires_ns (shield time;
 * 0 = forever). The program ignores expired entries;
 * shield_loader_gc() deletes them. unban returns -ENOENT if absent. */
int shield_loader_ban(struct shield_loader *l,
		      const struct shield_lpm_key *key, uint64_t expires_ns,
		      uint32_t reason);
int shield_loader_unban(struct shield_loader *l,
			const struct shield_lpm_key *key);

typedef int (*shield_ban_fn)(void *arg, const struct shield_lpm_key *key,
			     const struct shield_block_val *val);

/* shield_loader_bans() calls fn for every entry (expired ones too) until fn
 * returns non-zero, which is then returned. */
int shield_loader_bans(struct shield_loader *l, shield_ban_fn fn, void *arg);

/* shield_loader_gc() deletes bans with 0 < expires_ns <= now_ns and returns
 * how many it deleted, or -errno. */
int shield_loader_gc(struct shield_loader *l, uint64_t now_ns);

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
 * shield_loader_allow() adds owner (a SHIELD_ALLOW_* bit) to key's entry,
 * creating it; the first entry sets SHIELD_F_ALLOWLIST.
 * shield_loader_disallow() takes the owners in mask off key's entry and
 * deletes it when none is left; removing the last entry clears
 * SHIELD_F_ALLOWLIST. Returns -ENOENT if key has no entry held by any
 * owner in mask. */
int shield_loader_allow(struct shield_loader *l,
			const struct shield_lpm_key *key, uint32_t owner);
int shield_loader_disallow(struct shield_loader *l,
			   const struct shield_lpm_key *key, uint32_t mask);

/* shield_loader_allow_replace() makes owner's entries exactly keys[0..n)
 * (n 0: none). It adds the new ones first, then takes owner off the
 * others: a source allowed before and after is never dropped on the way,
 * and the list does not pass through empty (open to all). Entries of
 * other owners are untouched. Returns 0,
 * -EINVAL (a bad key or owner), -ENOSPC (the trie is full: the keys added
 * so far stay, the stale ones too) or -errno. */
int shield_loader_allow_replace(struct shield_loader *l, uint32_t owner,
				const struct shield_lpm_key *keys, size_t n);

typedef int (*shield_allow_fn)(void *arg, const struct shield_lpm_key *key,
			       uint32_t owners);

/* shield_loader_allows() calls fn for every allow-list entry with its
 * owners until fn returns non-zero, which is then returned. */
int shield_loader_allows(struct shield_loader *l, shield_allow_fn fn,
			 void *arg);

/* Bind (xsk_fd >= 0) or unbind (xsk_fd < 0) the AF_XDP socket of RX queue
 * queue in the XSKMAP. -EINVAL if queue >= SHIELD_MAX_QUEUES. */
int shield_loader_set_xsk(struct shield_loader *l, uint32_t queue,
			  int xsk_fd);

/* shield_loader_verify() marks the source *key (as the per-source bucket
 * key: /32 or /64) verified until expires_ns (shield time): it then skips
 * the per-prefix bucket and the global budget (bpf/shield.h). */
int shield_loader_verify(struct shield_loader *l,
			 const struct shield_bucket_key *key,
			 uint64_t expires_ns);

/* shield_loader_verified() counts the sources verified at now_ns. */
int shield_loader_verified(struct shield_loader *l, uint64_t now_ns,
			   uint64_t *n_out);

/*
 * Hints (bpf/shield.h): every writer of the blocklist and of "verified"
 * goes through these, so that the program may skip lookups that cannot
 * match. The shield_loader_* functions above do; the xdp backend's
 * workers, which hold the pinned maps' fds themselves, call them
 * directly. h is the hints map as mapped by shield_hints_mmap(), or NULL
 * for a shield older than them (plain updates). Safe from any number of
 * threads and processes at once.
 *
 * shield_block_put() adds or replaces a blocklist entry (-errno from the
 * map; -EAGAIN if the entry kept coming and going). shield_block_del()
 * deletes one (-ENOENT if absent). shield_verified_put() marks a source
 * (per-source key) verified until expires_ns.
 */
struct shield_hints *shield_hints_mmap(int fd); /* NULL + errno on failure */
void shield_hints_munmap(struct shield_hints *h); /* NULL: no-op */
int shield_block_put(int fd, struct shield_hints *h,
		     const struct shield_lpm_key *key,
		     const struct shield_block_val *val);
int shield_block_del(int fd, struct shield_hints *h,
		     const struct shield_lpm_key *key);
int shield_verified_put(int fd, struct shield_hints *h,
			const struct shield_bucket_key *key,
			uint64_t expires_ns);

/* shield_pfx_key() is the per-prefix bucket key (/24, /48) of a
 * per-source key (/32, /64). */
void shield_pfx_key(struct shield_bucket_key *out,
		    const struct shield_bucket_key *src);

/* shield_cidr_parse() parses "1.2.3.0/24", "2001:db8::/32" or a bare
 * address (full length) into an LPM key with host bits cleared.
 * Returns 0 or -EINVAL. */
int shield_cidr_parse(struct shield_lpm_key *out, const char *s);

/* shield_cidr_format() writes key as CIDR text into buf[0..len).
 * Returns 0, or -ENOSPC if it does not fit (64 bytes always do). */
int shield_cidr_format(char *buf, size_t len,
		       const struct shield_lpm_key *key);

#endif /* DATAPLANE_SHIELD_LOADER_H */
