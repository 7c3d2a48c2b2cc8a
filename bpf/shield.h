/* SPDX-License-Identifier: MIT */
/* bpf/shield.h - XDP flood shield: maps, counters and config shared with userspace. */
#ifndef BPF_SHIELD_H
#define BPF_SHIELD_H
/*
 * This is the only header userspace includes from bpf/. It uses only
 * <linux/types.h> types so that both clang -target bpf and the host compiler
 * see the same layouts. Include it before "shield.skel.h".
 *
 * Time: the program's clock is bpf_ktime_get_ns() (CLOCK_MONOTONIC) plus
 * shield_cfg.now_offset_ns. The offset is 0 in production; tests move it
 * forward to exercise bucket refill and ban expiry without sleeping.
 * Userspace must compute expiry times on the same clock
 * (CLOCK_MONOTONIC + now_offset_ns).
 *
 * Reading that clock is a large share of a junk packet's cost (25 ns of
 * about 70 in a VM here), so the program reads the kernel's tick-updated
 * copy (bpf_ktime_get_coarse_ns(), CLOCK_MONOTONIC_COARSE: behind by at
 * most one tick, TICK_NSEC) where being up to a tick late is harmless,
 * and the exact clock only where it is not:
 * - ban expiry: coarse (a ban may last up to a tick longer);
 * - the hints' verified-prefix slots: coarse (a late clock only says
 *   "look it up" more often); the verified entry's own expiry: coarse
 *   plus SHIELD_COARSE_LAG_NS, so that an entry is never honoured past
 *   its expiry (it may end up to that much early);
 * - the per-source and per-prefix buckets: coarse when
 *   SHIELD_F_COARSE_CLOCK is set, exact otherwise. Refilled on a clock
 *   that lags by up to a tick, a bucket still admits exactly rate/s in the
 *   long run, but in any window up to rate x tick tokens more than on
 *   the exact clock (the time of its last refill is under-stated). The
 *   loader sets the flag only while that is at most 1 % of each enabled
 *   bucket's depth (rate x TICK_NSEC <= burst x 1e9 / 100: true for the
 *   defaults at HZ >= 100; a 1000/s, burst 1 bucket gets the exact
 *   clock);
 * - the global budget: always exact (its depth is kept small on purpose).
 */
#include <linux/bpf.h> /* struct bpf_spin_lock */

/* How far behind the coarse clock may be: two ticks at HZ = 100. */
#define SHIELD_COARSE_LAG_NS 20000000ull
#include <linux/types.h>

#define SHIELD_MAX_SOURCES  (1u << 20) /* per-source bucket LRU (v4 /32, v6 /64) */
#define SHIELD_MAX_PREFIXES (1u << 18) /* aggregate bucket LRU (v4 /24, v6 /48) */
#define SHIELD_MAX_BLOCKS   (1u << 16) /* blocklist LPM trie entries */
#define SHIELD_MAX_ALLOWS   (1u << 12) /* netrestrict allow-list entries */
#define SHIELD_MAX_QUEUES   64         /* XSKMAP size: one AF_XDP socket per RX queue */
#define SHIELD_MAX_VERIFIED (1u << 16) /* verified-source LRU (v4 /32, v6 /64) */

#define SHIELD_MIN_PAYLOAD 98   /* hash(32) + sig(65) + type(1) */
#define SHIELD_MAX_PAYLOAD 1280 /* discv4 (and discv5) maximum packet size */
#define SHIELD_V5_MIN_PAYLOAD 63 /* discv5: a WHOAREYOU (SHIELD_F_DISCV5) */
#define SHIELD_TYPE_OFF    97   /* packet-type byte offset in the UDP payload */
#define SHIELD_TYPE_MIN    1    /* Ping */
#define SHIELD_TYPE_MAX    6    /* ENRResponse */

#define SHIELD_SRC_V4_PLEN 32 /* per-source bucket granularity */
#define SHIELD_SRC_V6_PLEN 64
#define SHIELD_PFX_V4_PLEN 24 /* aggregate bucket granularity */
#define SHIELD_PFX_V6_PLEN 48

/* Token buckets count in nano-tokens: one packet costs SHIELD_TOKEN_UNIT,
 * and rate tokens/s refill exactly rate units per elapsed ns. rate and burst
 * are bounded so that burst * SHIELD_TOKEN_UNIT fits comfortably in 63 bits. */
#define SHIELD_TOKEN_UNIT 1000000000ull
#define SHIELD_MAX_RATE   1000000000u /* tokens per second */
#define SHIELD_MAX_BURST  1000000000u /* tokens */

/* Verdict counters, one per-CPU slot each; userspace sums the CPUs. */
enum shield_counter {
	SHIELD_PASS_OTHER,       /* not UDP to the discovery port: kernel */
	SHIELD_DROP_SIZE,        /* UDP payload outside 98..1280 (63..1280
				  * with SHIELD_F_DISCV5) or truncated */
	SHIELD_DROP_TYPE,        /* packet-type byte outside 1..6 (not
				  * checked with SHIELD_F_DISCV5) */
	SHIELD_DROP_RATE_SOURCE, /* per-source (/32, /64) bucket empty */
	SHIELD_DROP_RATE_PREFIX, /* aggregate (/24, /48) bucket empty */
	SHIELD_DROP_BLOCKED,     /* source in the blocklist, not expired */
	SHIELD_DROP_NOT_ALLOWED, /* allow-list active and source not in it */
	SHIELD_REDIRECT,         /* handed to the AF_XDP socket of the queue */
	SHIELD_PASS_NO_XSK,      /* no socket bound on the queue: kernel */
	SHIELD_DROP_BUDGET,      /* unverified source, global budget empty */
	SHIELD_REDIRECT_VERIFIED, /* verified source handed to AF_XDP */
	SHIELD_COUNTER_MAX
};

/* Address family tags used in keys (not AF_* values, which differ by OS). */
#define SHIELD_FAM_V4 4
#define SHIELD_FAM_V6 6

/* shield_cfg.flags */
#define SHIELD_F_ALLOWLIST (1u << 0) /* drop discovery from sources not allowed */
#define SHIELD_F_COARSE_CLOCK (1u << 1) /* buckets on the coarse clock (Time
					 * above); set by the loader alone */
/* discv5 shares the port (dataplane/stage/disc_rx.h): payloads of
 * 63..1280 bytes pass the size check and the packet-type byte is not
 * checked (a discv5 packet is masked with our node id: nothing about it
 * can be checked here). Every bucket, the blocklist and the allow-list
 * apply to discv5 as to discv4. */
#define SHIELD_F_DISCV5 (1u << 2)

/* Run-time configuration: the single entry of the "shield_cfg_map" array.
 * A rate of 0 disables that bucket. Changing it takes effect on the next
 * packet; no reload. */
struct shield_cfg {
	__u16 discv4_port_be; /* UDP destination port, network order */
	__u16 pad0;
	__u32 flags;       /* SHIELD_F_* */
	__u32 src_rate;    /* per-source tokens/s */
	__u32 src_burst;   /* per-source bucket depth */
	__u32 pfx_rate;    /* per-prefix tokens/s */
	__u32 pfx_burst;   /* per-prefix bucket depth */
	__s64 now_offset_ns; /* added to bpf_ktime_get_ns(); 0 in production */
	__u32 unk_rate;    /* global redirect budget of unverified sources,
			    * packets/s shared by all of them; 0: off */
	__u32 unk_burst;   /* its depth; keep it <= the AF_XDP RX ring */
};

/*
 * Verified sources and the global redirect budget.
 *
 * The buckets above bound what one source and one prefix may send, but
 * not the sum: a flood spoofed over many prefixes can still hand
 * userspace more packets than it can check (keccak, then secp256k1
 * recovery), and the AF_XDP RX ring then overflows at random, taking
 * real nodes' packets with the junk. So:
 *
 * - "verified" (LRU hash, key as the per-source bucket: /32 or /64)
 *   holds sources that completed discv4's endpoint proof with us: we
 *   sent them a Ping and they answered with a Pong carrying that Ping's
 *   hash, which only a host that receives packets at that address can
 *   know (spoofed sources never see our Ping). The xdp backend
 *   (dataplane/io/pktio_afxdp.c) writes it when it sees such a Pong; the
 *   value is the shield time the entry expires at. A verified source
 *   skips the per-prefix bucket and the global budget (it still has its
 *   own per-source bucket and can still be banned): known-good traffic is
 *   never crowded out by a flood.
 * - "budget" (one-entry array with a spin lock) is a token bucket of
 *   cfg.unk_rate packets/s, depth cfg.unk_burst, that every unverified
 *   packet which passed its own buckets must also take from before it is
 *   redirected (else drop-budget). Set it to what the dataplane workers
 *   can verify, so userspace is never offered more than it can process
 *   and the AF_XDP RX ring never overflows (which would take verified
 *   traffic with the junk).
 * - First contacts from new nodes are unverified and share the budget
 *   with the flood. To keep a flood from a few prefixes from taking all
 *   of it, the budget has a reserve (a quarter of its rate and depth,
 *   so at most 1.25 x unk_rate reaches userspace) that only quiet
 *   prefixes may draw on once the main bucket is empty: a prefix whose
 *   aggregate bucket lacks at most SHIELD_QUIET_PKTS tokens (a few
 *   packets beyond what its refill covers), i.e. that has not been
 *   sending much. Real nodes' first contacts come from such prefixes (a
 *   node sends a bootnode one Ping, then answers); a flooding prefix
 *   loses access to the reserve after its first few packets, so a flood
 *   from N prefixes can take at most about N x SHIELD_QUIET_PKTS of it
 *   at its start. A flood spoofed over very many prefixes (each one
 *   quiet) can still use it, which is no worse than without it.
 */
struct shield_verified_val {
	__u64 expires_ns; /* shield time; entries past it are ignored */
};

struct shield_budget {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 ts_ns;   /* main bucket: unk_rate, unk_burst */
	__u64 tokens;  /* nano-tokens */
	__u64 rts_ns;  /* reserve: unk_rate / 4, unk_burst / 4 */
	__u64 rtokens;
};

/*
 * Hints: what lets the program skip a lookup that cannot match. One entry
 * of the "hints" array, mmapped by every userspace writer of the
 * blocklist and of "verified" (dataplane/shield/shield_loader.h, "Hints"), which
 * update it with atomic instructions, so any number of processes and
 * threads may write at once:
 *
 * - blocks is at least the number of blocklist entries: a writer adds 1
 *   before it inserts an entry and takes it back if the insert did not
 *   add one (a replace); a deleter takes 1 off after its delete. At 0
 *   the trie is empty and the program does not look into it.
 * - vpfx[shield_vpfx_slot(prefix)] is at least ceil(expires_ns /
 *   2^SHIELD_VPFX_SHIFT) of every verified source whose aggregate prefix
 *   (/24, /48) hashes there: a writer raises it (atomic max) before it
 *   inserts the entry. A slot at or below the current time in those units
 *   means no unexpired verified source in that prefix, so the program
 *   skips the "verified" lookup (a hash miss into a map of 64K buckets,
 *   most of what a spoofed flood's packet used to cost). A colliding or
 *   stale slot only costs that lookup, as before.
 * - ready is set by the loader once blocks and vpfx cover what the
 *   blocklist and "verified" held when the map was created (a fresh hints
 *   map next to reused pinned maps: dataplane/shield/shield_loader.c).
 */
#define SHIELD_VPFX_BITS  16
#define SHIELD_VPFX_SLOTS (1u << SHIELD_VPFX_BITS)
#define SHIELD_VPFX_SHIFT 30 /* slot unit: 2^30 ns, about 1.07 s */

struct shield_hints {
	__u64 blocks; /* >= blocklist entries */
	__u32 ready;
	__u32 pad;
	__u32 vpfx[SHIELD_VPFX_SLOTS];
};

/* A prefix is quiet when its bucket lacks at most this many tokens after
 * this packet (with prefix buckets off, every packet is quiet). */
#define SHIELD_QUIET_PKTS 4

/* Key of both bucket maps: the source masked to SHIELD_SRC_* or
 * SHIELD_PFX_* bits; bytes beyond the prefix are zero. */
struct shield_bucket_key {
	__u8 family; /* SHIELD_FAM_* */
	__u8 plen;
	__u8 pad[6];
	__u8 addr[8]; /* v4: 4 bytes then zero; v6: the first 8 bytes */
};

/* shield_vpfx_slot() is the hints slot of a per-prefix bucket key (bytes
 * beyond the prefix zero): a multiplicative hash of its address bytes and
 * family. The program and userspace both use it, on the same host. */
static inline __attribute__((always_inline)) __u32
shield_vpfx_slot(const struct shield_bucket_key *pk)
{
	__u64 x = 0;

	for (int i = 0; i < 6; i++) /* v4 /24: 3 bytes, v6 /48: 6 */
		x |= (__u64)pk->addr[i] << (8 * i);
	x |= (__u64)pk->family << 56;
	return (__u32)((x * 0x9e3779b97f4a7c15ull) >> (64 - SHIELD_VPFX_BITS));
}

/* Bucket state. Updated without a lock: see shield.bpf.c, Concurrency. */
struct shield_bucket {
	__u64 ts_ns;  /* shield time of the last refill */
	__u64 tokens; /* nano-tokens, <= burst * SHIELD_TOKEN_UNIT */
};

/* Key of the blocklist and allow-list LPM tries. The trie matches bits of
 * everything after prefixlen, so the family byte comes first:
 * prefixlen = 8 + the address prefix length. */
struct shield_lpm_key {
	__u32 prefixlen;
	__u8 family;   /* SHIELD_FAM_* */
	__u8 addr[16]; /* v4 uses the first 4 bytes */
	__u8 pad[3];
};

/* Value of an allow-list entry: which owners hold it (bits). The program
 * only checks that the entry exists; userspace keeps an entry while any
 * owner holds it, so removing one owner's entries never removes another's
 * (dataplane/shield/shield_loader.h, "Allow-list"). */
#define SHIELD_ALLOW_OPERATOR    (1u << 0) /* devplane-dp shield allow / attach --allow */
#define SHIELD_ALLOW_NETRESTRICT (1u << 1) /* devplane --netrestrict, set by the dataplane */
#define SHIELD_ALLOW_OWNERS      (SHIELD_ALLOW_OPERATOR | SHIELD_ALLOW_NETRESTRICT)

/* Reasons recorded with a ban (informational; the program ignores them). */
enum shield_ban_reason {
	SHIELD_BAN_OPERATOR = 1, /* devplane-dp shield ban / devplane ban */
	SHIELD_BAN_BAD_SIG = 2,  /* control: repeated signature failures */
};

struct shield_block_val {
	__u64 expires_ns; /* shield time; 0 = never */
	__u32 reason;     /* enum shield_ban_reason */
	__u32 pad;
};

#endif /* BPF_SHIELD_H */
