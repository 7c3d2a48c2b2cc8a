/* SPDX-License-Identifier: MIT */
/* control/discv4/kad.c - the discv4 Kademlia node table (geth's p2p/discover table). */
#include "control/discv4/kad.h"

#include <errno.h>
#include <string.h>

/*
 * Invariants:
 * - Every bucket entry is on exactly one of the fast and slow lists
 *   (reval_list != KAD_LIST_NONE); replacements are on none.
 *   b->n_on_list[] and t->reval[].count count them per bucket and per table.
 * - t->ips[] counts the /24 of every non-LAN address held in any bucket
 *   entry or replacement (geth's table-wide DistinctNetSet). The per-bucket
 *   limit is checked by scanning the bucket's 26 slots instead of keeping a
 *   second set.
 */

/* xoshiro256** seeded through splitmix64 (Vigna): small, fast and good
 * enough for scheduling jitter and random choices; not for secrets. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t kad_rand(struct kad_table *t)
{
	uint64_t *s = t->rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9, x = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= x;
	s[3] = rotl(s[3], 45);
	return r;
}

/* rand_below() returns a value in [0, n), n > 0 (Lemire's multiply-shift;
 * the bias is below 2^-32 for the ranges used here). */
static uint64_t rand_below(struct kad_table *t, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)kad_rand(t) * n) >> 64);
}

void kad_table_init(struct kad_table *t, const uint8_t self_pub[SECP_PUB_LEN],
		    uint64_t seed, uint64_t ping_interval_ns)
{
	int i;

	memset(t, 0, sizeof(*t));
	memcpy(t->self_pub, self_pub, SECP_PUB_LEN);
	kad_node_id(t->self_id, self_pub);
	for (i = 0; i < 4; i++)
		t->rng[i] = splitmix64(&seed);
	if (ping_interval_ns == 0)
		ping_interval_ns = KAD_PING_INTERVAL_NS;
	t->reval[KAD_LIST_NONE].next_ns = KAD_NEVER;
	t->reval[KAD_LIST_FAST].next_ns = KAD_NEVER;
	t->reval[KAD_LIST_FAST].interval_ns = ping_interval_ns;
	t->reval[KAD_LIST_SLOW].next_ns = KAD_NEVER;
	t->reval[KAD_LIST_SLOW].interval_ns = ping_interval_ns * KAD_SLOW_REVAL_FACTOR;
}

void kad_table_fini(struct kad_table *t)
{
	memset(t, 0, sizeof(*t));
}

void kad_mark_init_done(struct kad_table *t)
{
	t->init_done = true;
}

int kad_log_distance(const uint8_t a[KAD_ID_LEN], const uint8_t b[KAD_ID_LEN])
{
	int i;

	for (i = 0; i < KAD_ID_LEN; i++) {
		unsigned x = a[i] ^ b[i];

		if (x)
			return (KAD_ID_LEN - i) * 8 - (__builtin_clz(x) - 24);
	}
	return 0;
}

int kad_dist_cmp(const uint8_t target[KAD_ID_LEN], const uint8_t a[KAD_ID_LEN],
		 const uint8_t b[KAD_ID_LEN])
{
	int i;

	for (i = 0; i < KAD_ID_LEN; i++) {
		uint8_t da = a[i] ^ target[i], db = b[i] ^ target[i];

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

void kad_node_id(uint8_t id[KAD_ID_LEN], const uint8_t pub[SECP_PUB_LEN])
{
	keccak256(id, pub, SECP_PUB_LEN);
}

unsigned kad_bucket_index(const struct kad_table *t, const uint8_t id[KAD_ID_LEN])
{
	int d = kad_log_distance(t->self_id, id);

	if (d <= KAD_BUCKET_MIN_DIST)
		return 0;
	return (unsigned)(d - KAD_BUCKET_MIN_DIST - 1);
}

static struct kad_bucket *bucket_of(struct kad_table *t, const uint8_t id[KAD_ID_LEN])
{
	return &t->buckets[kad_bucket_index(t, id)];
}

static int find_entry(const struct kad_bucket *b, const uint8_t id[KAD_ID_LEN])
{
	int i;

	for (i = 0; i < b->n_entries; i++)
		if (memcmp(b->entries[i].id, id, KAD_ID_LEN) == 0)
			return i;
	return -1;
}

static int find_repl(const struct kad_bucket *b, const uint8_t id[KAD_ID_LEN])
{
	int i;

	for (i = 0; i < b->n_repl; i++)
		if (memcmp(b->repl[i].id, id, KAD_ID_LEN) == 0)
			return i;
	return -1;
}

/* --- IP limits (geth's addIP/removeIP over two DistinctNetSets) --- */

/* ip_exempt() says whether an address escapes the subnet limits. */
static bool ip_exempt(const uint8_t ip[NETUTIL_ADDR_LEN])
{
	return netutil_is_lan(ip);
}

static struct kad_ipslot *ipset_slot(struct kad_table *t, uint32_t key, bool *found)
{
	uint32_t i = (key * 2654435761u) >> (32 - 9);   /* log2(KAD_IPSET_SLOTS) */

	for (;; i = (i + 1) % KAD_IPSET_SLOTS) {
		if (t->ips[i].count == 0) {
			*found = false;
			return &t->ips[i];
		}
		if (t->ips[i].key == key) {
			*found = true;
			return &t->ips[i];
		}
	}
}

static uint32_t ipset_count(struct kad_table *t, uint32_t key)
{
	bool found;
	struct kad_ipslot *s = ipset_slot(t, key, &found);

	return found ? s->count : 0;
}

static void ipset_inc(struct kad_table *t, uint32_t key)
{
	bool found;
	struct kad_ipslot *s = ipset_slot(t, key, &found);

	if (!found)
		s->key = key;
	s->count++;
	t->ip_members++;
}

/* ipset_dec() removes one member; a slot that empties is refilled by
 * backward-shift deletion so that linear probing needs no tombstones. */
static void ipset_dec(struct kad_table *t, uint32_t key)
{
	bool found;
	struct kad_ipslot *s = ipset_slot(t, key, &found);
	uint32_t i, j, home;

	if (!found)
		return;
	t->ip_members--;
	if (--s->count > 0)
		return;
	i = (uint32_t)(s - t->ips);
	for (j = (i + 1) % KAD_IPSET_SLOTS; t->ips[j].count != 0;
	     j = (j + 1) % KAD_IPSET_SLOTS) {
		home = (t->ips[j].key * 2654435761u) >> (32 - 9);
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->ips[i] = t->ips[j];
			t->ips[j].count = 0;
			i = j;
		}
	}
}

/* bucket_subnet_count() counts the non-exempt addresses of bucket b in the
 * /24 key, skipping the slot skip (the node whose address is changing). */
static unsigned bucket_subnet_count(const struct kad_bucket *b, uint32_t key,
				    const struct kad_node *skip)
{
	unsigned c = 0;
	int i;

	for (i = 0; i < b->n_entries; i++)
		if (&b->entries[i] != skip && !ip_exempt(b->entries[i].ip) &&
		    netutil_subnet24_key(b->entries[i].ip) == key)
			c++;
	for (i = 0; i < b->n_repl; i++)
		if (&b->repl[i] != skip && !ip_exempt(b->repl[i].ip) &&
		    netutil_subnet24_key(b->repl[i].ip) == key)
			c++;
	return c;
}

/* add_ip() admits ip into bucket b under both limits and counts it. */
static bool add_ip(struct kad_table *t, const struct kad_bucket *b,
		   const uint8_t ip[NETUTIL_ADDR_LEN], const struct kad_node *skip)
{
	uint32_t key;

	if (netutil_is_unspecified(ip))
		return false;                   /* nodes without IP never enter */
	if (ip_exempt(ip))
		return true;
	key = netutil_subnet24_key(ip);
	if (ipset_count(t, key) >= KAD_TABLE_IP_LIMIT)
		return false;
	if (bucket_subnet_count(b, key, skip) >= KAD_BUCKET_IP_LIMIT)
		return false;
	ipset_inc(t, key);
	return true;
}

static void remove_ip(struct kad_table *t, const uint8_t ip[NETUTIL_ADDR_LEN])
{
	if (netutil_is_unspecified(ip) || ip_exempt(ip))
		return;
	ipset_dec(t, netutil_subnet24_key(ip));
}

/* swap_ip() moves node n's accounting from its current address to new_ip,
 * or leaves everything as it was and returns false when new_ip does not
 * fit the limits. */
static bool swap_ip(struct kad_table *t, const struct kad_bucket *b,
		    const struct kad_node *n, const uint8_t new_ip[NETUTIL_ADDR_LEN])
{
	remove_ip(t, n->ip);
	if (add_ip(t, b, new_ip, n))
		return true;
	if (!netutil_is_unspecified(n->ip) && !ip_exempt(n->ip))
		ipset_inc(t, netutil_subnet24_key(n->ip));
	return false;
}

/* --- revalidation lists (geth's tableRevalidation) --- */

static void list_schedule(struct kad_table *t, struct kad_revalidation *rl, uint64_t now)
{
	rl->next_ns = now + rand_below(t, rl->interval_ns);
}

static void list_push(struct kad_table *t, struct kad_bucket *b, struct kad_node *n,
		      enum kad_reval_list l, uint64_t now)
{
	struct kad_revalidation *rl = &t->reval[l];

	n->reval_list = (uint8_t)l;
	b->n_on_list[l]++;
	rl->count++;
	if (rl->next_ns == KAD_NEVER)
		list_schedule(t, rl, now);
}

static void list_remove(struct kad_table *t, struct kad_bucket *b, struct kad_node *n)
{
	struct kad_revalidation *rl = &t->reval[n->reval_list];

	if (n->reval_list == KAD_LIST_NONE)
		return;
	b->n_on_list[n->reval_list]--;
	if (--rl->count == 0)
		rl->next_ns = KAD_NEVER;
	n->reval_list = KAD_LIST_NONE;
}

static void list_move(struct kad_table *t, struct kad_bucket *b, struct kad_node *n,
		      enum kad_reval_list dest, uint64_t now)
{
	if (n->reval_list == dest)
		return;
	list_remove(t, b, n);
	list_push(t, b, n, dest, now);
}

/* list_nth() returns the idx-th node (table order) on list l. */
static struct kad_node *list_nth(struct kad_table *t, enum kad_reval_list l, uint32_t idx)
{
	int i, j;

	for (i = 0; i < KAD_N_BUCKETS; i++) {
		struct kad_bucket *b = &t->buckets[i];

		if (idx >= b->n_on_list[l]) {
			idx -= b->n_on_list[l];
			continue;
		}
		for (j = 0; j < b->n_entries; j++)
			if (b->entries[j].reval_list == l && idx-- == 0)
				return &b->entries[j];
	}
	return NULL;                            /* counts are inconsistent */
}

/* list_get() picks a random node of list l with no ping in flight: a random
 * start, then the next eligible node in table order. */
static struct kad_node *list_get(struct kad_table *t, enum kad_reval_list l)
{
	uint32_t count = t->reval[l].count, k, i;
	struct kad_node *n;

	if (count == 0)
		return NULL;
	k = (uint32_t)rand_below(t, count);
	for (i = 0; i < count; i++) {
		n = list_nth(t, l, (k + i) % count);
		if (n && !n->reval_pending)
			return n;
	}
	return NULL;
}

/* --- bucket maintenance --- */

static void node_added(struct kad_table *t, struct kad_bucket *b, struct kad_node *n,
		       uint64_t now)
{
	n->added_to_bucket_ns = now;
	list_push(t, b, n, KAD_LIST_FAST, now);
}

/* delete_in_bucket() removes entry idx of b and promotes a random
 * replacement (geth's deleteInBucket). The replacement's address is already
 * counted, so the IP sets do not change for it. */
static void delete_in_bucket(struct kad_table *t, struct kad_bucket *b, int idx,
			     uint64_t now)
{
	struct kad_node *n = &b->entries[idx];
	struct kad_node *e;
	uint32_t r;

	remove_ip(t, n->ip);
	list_remove(t, b, n);
	memmove(n, n + 1, (size_t)(b->n_entries - idx - 1) * sizeof(*n));
	b->n_entries--;
	if (b->n_repl == 0)
		return;
	r = (uint32_t)rand_below(t, b->n_repl);
	e = &b->entries[b->n_entries++];
	*e = b->repl[r];
	memmove(&b->repl[r], &b->repl[r + 1], (size_t)(b->n_repl - r - 1) * sizeof(*e));
	b->n_repl--;
	node_added(t, b, e, now);
}

static void fill_node(struct kad_node *n, const struct kad_node_info *in,
		      const uint8_t id[KAD_ID_LEN])
{
	memcpy(n->pub, in->pub, SECP_PUB_LEN);
	memcpy(n->id, id, KAD_ID_LEN);
	memcpy(n->ip, in->ip, NETUTIL_ADDR_LEN);
	n->udp_port = in->udp_port;
	n->tcp_port = in->tcp_port;
	n->enr_seq = in->enr_seq;
}

/* add_replacement() is geth's addReplacement: newest first, the oldest
 * falls off the end and releases its address. */
static enum kad_add_result add_replacement(struct kad_table *t, struct kad_bucket *b,
					   const struct kad_node_info *in,
					   const uint8_t id[KAD_ID_LEN], uint64_t now)
{
	if (find_repl(b, id) >= 0)
		return KAD_PRESENT;
	if (!add_ip(t, b, in->ip, NULL))
		return KAD_REJ_IP_LIMIT;
	if (b->n_repl == KAD_MAX_REPLACEMENTS)
		remove_ip(t, b->repl[--b->n_repl].ip);
	memmove(&b->repl[1], &b->repl[0], b->n_repl * sizeof(b->repl[0]));
	b->n_repl++;
	memset(&b->repl[0], 0, sizeof(b->repl[0]));
	fill_node(&b->repl[0], in, id);
	b->repl[0].added_to_table_ns = now;
	return KAD_ADDED_REPLACEMENT;
}

/* bump() is geth's bumpInBucket: update a known entry's record. */
static enum kad_add_result bump(struct kad_table *t, struct kad_bucket *b,
				struct kad_node *n, const struct kad_node_info *in,
				bool inbound, uint64_t now)
{
	bool ip_changed, port_changed;

	/* Third parties may only advance a record, never rewind or re-point
	 * it; plain discv4 records (seq 0) thus never change this way. */
	if (!inbound && in->enr_seq <= n->enr_seq)
		return KAD_PRESENT;
	ip_changed = memcmp(in->ip, n->ip, NETUTIL_ADDR_LEN) != 0;
	port_changed = in->udp_port != n->udp_port;
	if (!ip_changed && !port_changed && in->tcp_port == n->tcp_port &&
	    in->enr_seq == n->enr_seq)
		return KAD_PRESENT;
	if (ip_changed && !swap_ip(t, b, n, in->ip))
		return KAD_PRESENT;
	memcpy(n->ip, in->ip, NETUTIL_ADDR_LEN);
	n->udp_port = in->udp_port;
	n->tcp_port = in->tcp_port;
	n->enr_seq = in->enr_seq;
	if (ip_changed || port_changed) {
		/* A new endpoint has to prove itself again, soon. */
		n->live = false;
		list_move(t, b, n, KAD_LIST_FAST, now);
	}
	return KAD_UPDATED;
}

enum kad_add_result kad_add(struct kad_table *t, const struct kad_node_info *in,
			    unsigned flags, uint64_t now)
{
	uint8_t id[KAD_ID_LEN];
	struct kad_bucket *b;
	struct kad_node *n;
	uint64_t added_to_table = now;
	int i, r;

	if (memcmp(in->pub, t->self_pub, SECP_PUB_LEN) == 0)
		return KAD_REJ_SELF;
	if ((flags & KAD_ADD_INBOUND) && !t->init_done)
		return KAD_REJ_NOT_READY;
	kad_node_id(id, in->pub);
	b = bucket_of(t, id);
	i = find_entry(b, id);
	if (i >= 0)
		return bump(t, b, &b->entries[i], in, flags & KAD_ADD_INBOUND, now);
	if (netutil_is_unspecified(in->ip))
		return KAD_REJ_NO_IP;
	if (b->n_entries >= KAD_BUCKET_SIZE)
		return add_replacement(t, b, in, id, now);

	r = find_repl(b, id);
	if (r >= 0) {
		/* Room in the bucket for a waiting replacement: move it up with
		 * the fresh record. Its address stays counted unless it moved. */
		if (!swap_ip(t, b, &b->repl[r], in->ip))
			return KAD_REJ_IP_LIMIT;
		added_to_table = b->repl[r].added_to_table_ns;
		memmove(&b->repl[r], &b->repl[r + 1],
			(size_t)(b->n_repl - r - 1) * sizeof(b->repl[0]));
		b->n_repl--;
	} else if (!add_ip(t, b, in->ip, NULL)) {
		return KAD_REJ_IP_LIMIT;
	}

	n = &b->entries[b->n_entries++];
	memset(n, 0, sizeof(*n));
	fill_node(n, in, id);
	n->added_to_table_ns = added_to_table;
	if (flags & KAD_ADD_LIVE) {
		n->liveness_checks = 1;
		n->live = true;
	}
	node_added(t, b, n, now);
	return KAD_ADDED;
}

const struct kad_node *kad_find_id(const struct kad_table *t, const uint8_t id[KAD_ID_LEN])
{
	const struct kad_bucket *b = &t->buckets[kad_bucket_index(t, id)];
	int i = find_entry(b, id);

	return i < 0 ? NULL : &b->entries[i];
}

const struct kad_node *kad_find(const struct kad_table *t, const uint8_t pub[SECP_PUB_LEN])
{
	uint8_t id[KAD_ID_LEN];

	kad_node_id(id, pub);
	return kad_find_id(t, id);
}

bool kad_is_replacement(const struct kad_table *t, const uint8_t pub[SECP_PUB_LEN])
{
	uint8_t id[KAD_ID_LEN];

	kad_node_id(id, pub);
	return find_repl(&t->buckets[kad_bucket_index(t, id)], id) >= 0;
}

/* lookup() finds pub's bucket and entry index (-1 when absent). */
static int lookup(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN],
		  struct kad_bucket **bp)
{
	uint8_t id[KAD_ID_LEN];

	kad_node_id(id, pub);
	*bp = bucket_of(t, id);
	return find_entry(*bp, id);
}

int kad_remove(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN], uint64_t now)
{
	struct kad_bucket *b;
	int i = lookup(t, pub, &b);

	if (i < 0)
		return -ENOENT;
	delete_in_bucket(t, b, i, now);
	return 0;
}

size_t kad_len(const struct kad_table *t)
{
	size_t n = 0;
	int i;

	for (i = 0; i < KAD_N_BUCKETS; i++)
		n += t->buckets[i].n_entries;
	return n;
}

static uint64_t next_deadline(const struct kad_table *t)
{
	uint64_t f = t->reval[KAD_LIST_FAST].next_ns, s = t->reval[KAD_LIST_SLOW].next_ns;

	return f < s ? f : s;
}

const struct kad_node *kad_next_revalidation(struct kad_table *t, uint64_t now,
					     uint64_t *deadline_ns)
{
	static const enum kad_reval_list lists[] = { KAD_LIST_FAST, KAD_LIST_SLOW };
	struct kad_node *n;
	size_t i;

	for (i = 0; i < 2; i++) {
		struct kad_revalidation *rl = &t->reval[lists[i]];

		if (rl->next_ns == KAD_NEVER || rl->next_ns > now)
			continue;
		n = list_get(t, lists[i]);
		/* Reschedule whether or not a node was free: the slot passed. */
		list_schedule(t, rl, now);
		if (n) {
			n->reval_pending = true;
			*deadline_ns = next_deadline(t);
			return n;
		}
	}
	*deadline_ns = next_deadline(t);
	return NULL;
}

int kad_revalidation_done(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN],
			  bool alive, uint64_t enr_seq, uint64_t now)
{
	struct kad_bucket *b;
	struct kad_node *n;
	int i = lookup(t, pub, &b);

	if (i < 0)
		return -ENOENT;
	n = &b->entries[i];
	if (!n->reval_pending)
		return -EPROTO;
	n->reval_pending = false;
	if (!alive) {
		n->liveness_checks /= 3;
		if (n->liveness_checks == 0) {
			delete_in_bucket(t, b, i, now);
			return KAD_REVAL_REMOVED;
		}
		list_move(t, b, n, KAD_LIST_FAST, now);
		return KAD_REVAL_FAILED;
	}
	n->liveness_checks++;
	n->live = true;
	list_move(t, b, n, KAD_LIST_SLOW, now);
	return enr_seq > n->enr_seq ? KAD_REVAL_LIVE_NEW_ENR : KAD_REVAL_LIVE;
}

int kad_findnode_done(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN], bool ok,
		      uint64_t now)
{
	struct kad_bucket *b;
	struct kad_node *n;
	int i = lookup(t, pub, &b);

	if (i < 0)
		return -ENOENT;
	n = &b->entries[i];
	if (ok) {
		n->findnode_fails = 0;          /* the counter is of consecutive fails */
		return 0;
	}
	if (n->findnode_fails < UINT8_MAX)
		n->findnode_fails++;
	if (n->findnode_fails >= KAD_MAX_FINDNODE_FAILURES &&
	    b->n_entries >= KAD_BUCKET_SIZE / 4) {
		delete_in_bucket(t, b, i, now);
		return 1;
	}
	return 0;
}

size_t kad_closest(const struct kad_table *t, const struct kad_node **out, size_t n,
		   const uint8_t target[KAD_ID_LEN], bool prefer_live)
{
	size_t len = 0;
	int pass, i, j;

	if (n == 0)
		return 0;
	for (pass = prefer_live ? 0 : 1; pass < 2; pass++) {
		for (i = 0; i < KAD_N_BUCKETS; i++) {
			const struct kad_bucket *b = &t->buckets[i];

			for (j = 0; j < b->n_entries; j++) {
				const struct kad_node *e = &b->entries[j];
				size_t pos = len;

				if (pass == 0 && !e->live)
					continue;
				while (pos > 0 &&
				       kad_dist_cmp(target, out[pos - 1]->id, e->id) > 0)
					pos--;
				if (pos >= n)
					continue;
				if (len < n)
					len++;
				memmove(&out[pos + 1], &out[pos],
					(len - 1 - pos) * sizeof(out[0]));
				out[pos] = e;
			}
		}
		if (len > 0)
			break;
	}
	return len;
}

size_t kad_random_nodes(struct kad_table *t, const struct kad_node **out, size_t n)
{
	size_t seen = 0, len = 0, k;
	int i, j;

	if (n == 0)
		return 0;
	/* Reservoir sampling (algorithm R), then a shuffle for the order. */
	for (i = 0; i < KAD_N_BUCKETS; i++) {
		const struct kad_bucket *b = &t->buckets[i];

		for (j = 0; j < b->n_entries; j++, seen++) {
			if (len < n) {
				out[len++] = &b->entries[j];
				continue;
			}
			k = (size_t)rand_below(t, seen + 1);
			if (k < n)
				out[k] = &b->entries[j];
		}
	}
	for (k = len; k > 1; k--) {
		size_t r = (size_t)rand_below(t, k);
		const struct kad_node *tmp = out[k - 1];

		out[k - 1] = out[r];
		out[r] = tmp;
	}
	return len;
}
