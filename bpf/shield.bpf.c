/* SPDX-License-Identifier: MIT */
/* bpf/shield.bpf.c - XDP flood shield for the discovery port (drop, pass, or redirect to AF_XDP). */
/*
 * Pipeline for every frame (each verdict has a counter, see bpf/shield.h):
 *   Ethernet [one 802.1Q / 802.1AD tag] -> IPv4 (options via IHL) | IPv6
 *   -> UDP to cfg.discv4_port_be, else XDP_PASS (pass-other)
 *   -> payload length in 98..1280 (63..1280 with SHIELD_F_DISCV5) and
 *      present in the frame, else drop-size
 *   -> packet-type byte (payload[97]) in 1..6, else drop-type (not with
 *      SHIELD_F_DISCV5: a discv5 packet is masked, its byte 97 is noise)
 *   -> blocklist (LPM, unexpired entry; only while hints.blocks says it
 *      has entries), else drop-blocked
 *   -> allow-list (LPM, only when SHIELD_F_ALLOWLIST), else drop-not-allowed
 *   -> "verified" lookup (endpoint proof done, see bpf/shield.h; only when
 *      the hints slot of the source's prefix says it may hold one)
 *   -> per-prefix bucket (/24, /48), else drop-rate-prefix (*)
 *   -> per-source bucket (/32, /64), else drop-rate-source
 *   -> global budget (cfg.unk_rate; its reserve only for quiet
 *      prefixes), else drop-budget (*)
 *   -> bpf_redirect_map(xsks, rx_queue_index, XDP_PASS): redirect (or
 *      redirect-verified), or pass-no-xsk when no AF_XDP socket is bound
 *      on that queue.
 *   (*) skipped for verified sources.
 * The cheap stateless checks come first so junk never touches the LRU maps.
 * The hints (bpf/shield.h) spare a spoofed flood the lookups that cannot
 * match: the empty blocklist's trie, and "verified" for sources of
 * prefixes where nothing is verified (a hash miss into 64K buckets per
 * packet, the largest cost there was).
 * The buckets are looked at before any is charged (bucket_peek), cheapest
 * and most shared first: the per-prefix bucket (a flood spoofed over a
 * prefix keeps a few hundred entries hot) before the per-source one (one
 * cache miss per spoofed source), so a flood that drained its prefix is
 * dropped without reading or writing per-source state. A packet charges
 * its prefix only if its own source bucket can pay, so one loud source is
 * dropped on its own bucket without draining its neighbours' aggregate;
 * it charges its source only once admitted (after the budget), so drops
 * never insert per-source entries and admitted <= charged keeps every
 * source within its bucket. A drained bucket is only read, never written.
 * (A packet both its prefix and its source would refuse counts as
 * drop-rate-prefix.)
 *
 * Not parsed (passed to the kernel untouched): IPv4 fragments (non-first
 * fragments have no UDP header; first fragments would be mis-sized), IPv6
 * fragment headers, IPv6 with more than SHIELD_V6_EXT_MAX hop-by-hop /
 * routing / destination-options headers, any other extension header, more
 * than one VLAN tag. discv4 packets are at most 1280 bytes and are not
 * fragmented on any sane path, so this only gives attackers a way into the
 * kernel's own (reassembly) path, not into devplane's discovery path.
 *
 * Concurrency: bucket updates are plain loads and stores on the LRU value,
 * without a lock (LRU hash maps cannot hold a bpf_spin_lock). With RSS, one
 * source's flow hashes to one RX queue, so its per-source bucket is in
 * practice touched by one CPU. The per-prefix bucket can be hit from several
 * CPUs at once; a lost update there admits at most one extra packet per
 * racing CPU per collision, never a lasting over-admission, because every
 * update recomputes from the stored timestamp and the cap.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "frame.bpf.h"
#include "shield.h"

#define SHIELD_V6_EXT_MAX 3

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shield_cfg);
} cfg_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHIELD_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHIELD_MAX_SOURCES);
	__type(key, struct shield_bucket_key);
	__type(value, struct shield_bucket);
} src_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHIELD_MAX_PREFIXES);
	__type(key, struct shield_bucket_key);
	__type(value, struct shield_bucket);
} pfx_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHIELD_MAX_BLOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shield_lpm_key);
	__type(value, struct shield_block_val);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHIELD_MAX_ALLOWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shield_lpm_key);
	__type(value, __u32); /* SHIELD_ALLOW_* owners; only presence counts here */
} allowlist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SHIELD_MAX_VERIFIED);
	__type(key, struct shield_bucket_key);
	__type(value, struct shield_verified_val);
} verified SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shield_budget);
} budget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct shield_hints);
} hints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SHIELD_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

static __always_inline int verdict(__u32 idx, int action)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomic needed */
	return action;
}

/*
 * Token buckets count in nano-tokens. Refill is elapsed_ns * rate exactly
 * (rate is tokens/s, a token is 1e9 units), so there is no rounding and no
 * floating point. elapsed is compared with cap / rate first so the product
 * cannot overflow: below that bound elapsed * rate < cap <= 1e18.
 *
 * refill() is the bucket (ts, tokens) refilled to now and capped at cap
 * (which also caps a bucket whose burst was lowered at run time). It
 * stores nothing: a bucket that cannot pay for this packet is left as it
 * is, since refilling later from the old (ts, tokens) gives exactly what
 * refilling from (now, refilled) would (no cap was hit below one token).
 * So drops only read bucket state, and a drained bucket's cache line is
 * not written by every CPU the flood arrives on.
 */
static __always_inline __u64 refill(__u64 ts, __u64 tokens, __u32 rate,
				    __u64 cap, __u64 now)
{
	if (now > ts) {
		__u64 elapsed = now - ts;

		/* Below 2^33 ns (8.6 s) the sum cannot overflow (rate <=
		 * 1e9, cap <= 1e18), so only buckets idle that long pay
		 * for the division. */
		if (elapsed >> 33 && elapsed >= cap / rate)
			return cap;
		tokens += elapsed * rate;
	}
	return tokens > cap ? cap : tokens;
}

/* refill_take() takes one token from (*ts, *tok) if it has one; it stores
 * only then. No helper calls: it runs under a spin lock. */
static __always_inline bool refill_take(__u64 *ts, __u64 *tok, __u32 rate,
					__u64 cap, __u64 now)
{
	__u64 tokens = refill(*ts, *tok, rate, cap, now);

	if (tokens < SHIELD_TOKEN_UNIT)
		return false;
	*tok = tokens - SHIELD_TOKEN_UNIT;
	if (now > *ts)
		*ts = now;
	return true;
}

/* A bucket looked at by bucket_peek() and charged by bucket_charge(). */
struct bucket_ref {
	struct shield_bucket *b; /* NULL: no entry yet (a full bucket) */
	__u64 tokens;            /* refilled to now */
	__u64 cap;
};

/* bucket_peek() tells whether the bucket of k can pay for this packet,
 * with one lookup and no store. A rate of 0 disables the bucket. */
static __always_inline bool bucket_peek(void *map,
					const struct shield_bucket_key *k,
					__u32 rate, __u32 burst, __u64 now,
					struct bucket_ref *r)
{
	r->cap = (__u64)burst * SHIELD_TOKEN_UNIT;
	r->tokens = r->cap;
	r->b = NULL;
	if (!rate)
		return true;
	r->b = bpf_map_lookup_elem(map, k);
	if (r->b)
		r->tokens = refill(r->b->ts_ns, r->b->tokens, rate, r->cap,
				   now);
	return r->tokens >= SHIELD_TOKEN_UNIT;
}

/* bucket_charge() takes the token bucket_peek() found, inserting the entry
 * (full, minus this packet) if there was none. */
static __always_inline void bucket_charge(void *map,
					  const struct shield_bucket_key *k,
					  __u32 rate, const struct bucket_ref *r,
					  __u64 now)
{
	if (!rate)
		return;
	if (!r->b) {
		struct shield_bucket nb = {
			.ts_ns = now,
			.tokens = r->cap - SHIELD_TOKEN_UNIT,
		};

		/* A concurrent insert from another CPU wins; fine either way. */
		bpf_map_update_elem(map, k, &nb, BPF_NOEXIST);
		return;
	}
	r->b->tokens = r->tokens - SHIELD_TOKEN_UNIT;
	if (now > r->b->ts_ns)
		r->b->ts_ns = now;
}

/* exact_now() reads the exact shield clock once per packet, when first
 * needed (bpf/shield.h, Time); *exact is 0 until then. */
static __always_inline __u64 exact_now(const struct shield_cfg *cfg,
				       __u64 *exact)
{
	if (!*exact)
		*exact = bpf_ktime_get_ns() + (__u64)cfg->now_offset_ns;
	return *exact;
}

/*
 * The global budget: one bucket shared by every CPU, under its lock, plus
 * a reserve of a quarter of its rate and depth that only packets from
 * quiet prefixes may use once the main bucket is empty (bpf/shield.h).
 * While a flood keeps it empty, an unlocked look first drops without
 * taking the lock or writing the shared line. That look may see a
 * concurrent update half done; at worst it drops a packet that the lock
 * would have admitted by the refill of the last few nanoseconds, i.e.
 * only ever admits less.
 */
static __always_inline bool budget_take(const struct shield_cfg *cfg,
					bool quiet, __u64 *exact)
{
	__u32 rate = cfg->unk_rate, burst = cfg->unk_burst;
	__u64 cap = (__u64)burst * SHIELD_TOKEN_UNIT;
	__u32 rrate = rate / 4 ? rate / 4 : 1;
	__u64 rcap = cap / 4 > SHIELD_TOKEN_UNIT ? cap / 4 : SHIELD_TOKEN_UNIT;
	struct shield_budget *b;
	__u32 key = 0;
	__u64 now;
	bool ok;

	if (!rate)
		return true;
	b = bpf_map_lookup_elem(&budget, &key);
	if (!b)
		return true;
	now = exact_now(cfg, exact); /* not under the lock: a helper call */
	if (b->ts_ns &&
	    refill(b->ts_ns, b->tokens, rate, cap, now) < SHIELD_TOKEN_UNIT &&
	    (!quiet || refill(b->rts_ns, b->rtokens, rrate, rcap, now) <
			       SHIELD_TOKEN_UNIT))
		return false;
	bpf_spin_lock(&b->lock);
	if (!b->ts_ns) { /* first use: full buckets */
		b->ts_ns = b->rts_ns = now;
		b->tokens = cap;
		b->rtokens = rcap;
	}
	ok = refill_take(&b->ts_ns, &b->tokens, rate, cap, now);
	if (!ok && quiet)
		ok = refill_take(&b->rts_ns, &b->rtokens, rrate, rcap, now);
	bpf_spin_unlock(&b->lock);
	return ok;
}

static __always_inline int discovery(struct xdp_md *ctx,
				     const struct shield_cfg *cfg,
				     struct udphdr *udp, void *data_end,
				     __u8 family, const __u8 *saddr)
{
	struct shield_bucket_key sk = { .family = family };
	struct shield_bucket_key pk = { .family = family };
	const struct shield_hints *h;
	struct bucket_ref pr, sr;
	bool known = false;
	__u8 *payload = (__u8 *)(udp + 1);
	__u32 ulen = bpf_ntohs(udp->len);
	bool v5 = cfg->flags & SHIELD_F_DISCV5;
	__u32 key = 0;
	__u64 coarse, exact = 0, now;
	long rc;

	/* The UDP length is the claim; the frame must hold all of it (a
	 * longer frame is Ethernet padding, a shorter one is a lie). */
	if (ulen < sizeof(*udp) + (v5 ? SHIELD_V5_MIN_PAYLOAD :
					 SHIELD_MIN_PAYLOAD) ||
	    ulen > sizeof(*udp) + SHIELD_MAX_PAYLOAD)
		return verdict(SHIELD_DROP_SIZE, XDP_DROP);
	if ((void *)udp + ulen > data_end)
		return verdict(SHIELD_DROP_SIZE, XDP_DROP);
	if (!v5) {
		if (payload + SHIELD_TYPE_OFF + 1 > (__u8 *)data_end)
			return verdict(SHIELD_DROP_SIZE,
				       XDP_DROP); /* for the verifier */
		if (payload[SHIELD_TYPE_OFF] < SHIELD_TYPE_MIN ||
		    payload[SHIELD_TYPE_OFF] > SHIELD_TYPE_MAX)
			return verdict(SHIELD_DROP_TYPE, XDP_DROP);
	}

	coarse = bpf_ktime_get_coarse_ns() + (__u64)cfg->now_offset_ns;

	if (family == SHIELD_FAM_V4) {
		sk.plen = SHIELD_SRC_V4_PLEN;
		__builtin_memcpy(sk.addr, saddr, 4);
		pk.plen = SHIELD_PFX_V4_PLEN;
		__builtin_memcpy(pk.addr, saddr, 3);
	} else {
		sk.plen = SHIELD_SRC_V6_PLEN;
		__builtin_memcpy(sk.addr, saddr, 8);
		pk.plen = SHIELD_PFX_V6_PLEN;
		__builtin_memcpy(pk.addr, saddr, 6);
	}

	/* Hints not ready yet (bpf/shield.h): every lookup is made. */
	h = bpf_map_lookup_elem(&hints, &key);
	if (h && !h->ready)
		h = NULL;
	if (!h || h->blocks || (cfg->flags & SHIELD_F_ALLOWLIST)) {
		struct shield_lpm_key lk = { .family = family };
		struct shield_block_val *bv;

		if (family == SHIELD_FAM_V4) {
			lk.prefixlen = 8 + 32;
			__builtin_memcpy(lk.addr, saddr, 4);
		} else {
			lk.prefixlen = 8 + 128;
			__builtin_memcpy(lk.addr, saddr, 16);
		}
		if (!h || h->blocks) {
			bv = bpf_map_lookup_elem(&blocklist, &lk);
			if (bv &&
			    (bv->expires_ns == 0 || bv->expires_ns > coarse))
				return verdict(SHIELD_DROP_BLOCKED, XDP_DROP);
		}
		if ((cfg->flags & SHIELD_F_ALLOWLIST) &&
		    !bpf_map_lookup_elem(&allowlist, &lk))
			return verdict(SHIELD_DROP_NOT_ALLOWED, XDP_DROP);
	}

	if (!h ||
	    h->vpfx[shield_vpfx_slot(&pk)] > coarse >> SHIELD_VPFX_SHIFT) {
		struct shield_verified_val *vv;

		vv = bpf_map_lookup_elem(&verified, &sk);
		known = vv && vv->expires_ns > coarse + SHIELD_COARSE_LAG_NS;
	}
	now = cfg->flags & SHIELD_F_COARSE_CLOCK ? coarse :
						   exact_now(cfg, &exact);

	/* Look before charging: the prefix (shared, hot in cache) first, so
	 * a spoofed flood that drained its prefix is dropped without touching
	 * any per-source state; then the source, so a loud source is dropped
	 * on its own bucket without draining its neighbours' aggregate. Only
	 * a packet both can pay for charges them; the source last, after the
	 * budget, so sources dropped on the budget get no entry either. */
	if (!known && !bucket_peek(&pfx_buckets, &pk, cfg->pfx_rate,
				   cfg->pfx_burst, now, &pr))
		return verdict(SHIELD_DROP_RATE_PREFIX, XDP_DROP);
	if (!bucket_peek(&src_buckets, &sk, cfg->src_rate, cfg->src_burst, now,
			 &sr))
		return verdict(SHIELD_DROP_RATE_SOURCE, XDP_DROP);
	if (!known) {
		bool quiet;

		/* The prefix pays even if the budget then drops the packet:
		 * that is what makes a flooding prefix lose the reserve. */
		bucket_charge(&pfx_buckets, &pk, cfg->pfx_rate, &pr, now);
		/* Quiet: at most SHIELD_QUIET_PKTS tokens short of full. */
		quiet = !cfg->pfx_rate ||
			pr.tokens - SHIELD_TOKEN_UNIT +
					SHIELD_QUIET_PKTS * SHIELD_TOKEN_UNIT >=
				pr.cap;
		if (!budget_take(cfg, quiet, &exact))
			return verdict(SHIELD_DROP_BUDGET, XDP_DROP);
	}
	bucket_charge(&src_buckets, &sk, cfg->src_rate, &sr, now);

	/* The flags argument is the action when the slot is empty. */
	rc = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (rc == XDP_REDIRECT)
		return verdict(known ? SHIELD_REDIRECT_VERIFIED :
				       SHIELD_REDIRECT, XDP_REDIRECT);
	return verdict(SHIELD_PASS_NO_XSK, XDP_PASS);
}

SEC("xdp")
int shield_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	const struct shield_cfg *cfg;
	struct udphdr *udp;
	const __u8 *saddr;
	__u8 family;
	__u16 proto;
	__u32 key = 0;
	void *l3;

	cfg = bpf_map_lookup_elem(&cfg_map, &key);
	if (!cfg)
		return verdict(SHIELD_PASS_OTHER, XDP_PASS);
	l3 = eth_l3(data, data_end, &proto);
	if (!l3)
		return verdict(SHIELD_PASS_OTHER, XDP_PASS);

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u32 ihl;

		if ((void *)(ip + 1) > data_end || ip->version != 4 ||
		    ip->ihl < 5)
			return verdict(SHIELD_PASS_OTHER, XDP_PASS);
		if (ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(IP_MF_OFFSET)))
			return verdict(SHIELD_PASS_OTHER, XDP_PASS);
		ihl = ip->ihl * 4; /* 20..60 */
		udp = l3 + ihl;
		family = SHIELD_FAM_V4;
		saddr = (const __u8 *)&ip->saddr;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		__u8 nexthdr;
		__u32 off;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
			return verdict(SHIELD_PASS_OTHER, XDP_PASS);
		nexthdr = ip6->nexthdr;
		off = sizeof(*ip6);
#pragma unroll
		for (int i = 0; i < SHIELD_V6_EXT_MAX; i++) {
			__u8 *ext;

			if (nexthdr != IPPROTO_HOPOPTS &&
			    nexthdr != IPPROTO_ROUTING &&
			    nexthdr != IPPROTO_DSTOPTS)
				break;
			ext = l3 + off;
			if ((void *)(ext + 2) > data_end)
				return verdict(SHIELD_PASS_OTHER, XDP_PASS);
			nexthdr = ext[0];
			off += ((__u32)ext[1] + 1) * 8; /* RFC 8200 §4.3-4.6 */
		}
		if (nexthdr != IPPROTO_UDP)
			return verdict(SHIELD_PASS_OTHER, XDP_PASS);
		udp = l3 + off;
		family = SHIELD_FAM_V6;
		saddr = ip6->saddr.in6_u.u6_addr8;
	} else {
		return verdict(SHIELD_PASS_OTHER, XDP_PASS);
	}

	if ((void *)(udp + 1) > data_end)
		return verdict(SHIELD_PASS_OTHER, XDP_PASS);
	if (udp->dest != cfg->discv4_port_be || !cfg->discv4_port_be)
		return verdict(SHIELD_PASS_OTHER, XDP_PASS);
	return discovery(ctx, cfg, udp, data_end, family, saddr);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
