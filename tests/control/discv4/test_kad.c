/* SPDX-License-Identifier: MIT */
/* tests/control/discv4/test_kad.c - Kademlia table: distances, buckets, IP limits, revalidation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/discv4/kad.h"

#define SEC 1000000000ull

/* Test PRNG, independent of the table's. */
static uint64_t rng_state = 0x1234567887654321ull;

static uint64_t trand(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rand_bytes(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)trand();
}

static void set_ip4(uint8_t ip[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t v4[4] = { a, b, c, d };

	netutil_addr_from_v4(ip, v4);
}

/* node_at() fills info with a random public key whose id is at
 * log-distance d from the table's own id, and the given address. */
static void node_at(const struct kad_table *t, struct kad_node_info *info, int d,
		    const uint8_t ip[16])
{
	uint8_t id[KAD_ID_LEN];

	memset(info, 0, sizeof(*info));
	do {
		rand_bytes(info->pub, sizeof(info->pub));
		kad_node_id(id, info->pub);
	} while (kad_log_distance(t->self_id, id) != d);
	memcpy(info->ip, ip, 16);
	info->udp_port = 30303;
	info->tcp_port = 30303;
}

/* wan_ip() is a public address in its own /24, unique per i. */
static void wan_ip(uint8_t ip[16], unsigned i)
{
	set_ip4(ip, (uint8_t)(20 + i / 65536), (uint8_t)(i / 256), (uint8_t)i, 1);
}

static void lan_ip(uint8_t ip[16], unsigned i)
{
	set_ip4(ip, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
}

/* mut() returns a writable view of a table entry, for tests that stage
 * states directly. */
static struct kad_node *mut(struct kad_table *t, const struct kad_node *n)
{
	struct kad_bucket *b = &t->buckets[kad_bucket_index(t, n->id)];

	return &b->entries[n - b->entries];
}

static void init_table(struct kad_table *t)
{
	uint8_t self[SECP_PUB_LEN];

	rand_bytes(self, sizeof(self));
	kad_table_init(t, self, 42, 0);
	kad_mark_init_done(t);
}

/* check_invariants() recomputes every counter the table keeps. */
static void check_invariants(const struct kad_table *t)
{
	uint32_t on_list[3] = { 0 }, members = 0;
	int i, j, k;

	for (i = 0; i < KAD_N_BUCKETS; i++) {
		const struct kad_bucket *b = &t->buckets[i];
		uint8_t bl[3] = { 0 };

		assert_true(b->n_entries <= KAD_BUCKET_SIZE);
		assert_true(b->n_repl <= KAD_MAX_REPLACEMENTS);
		for (j = 0; j < b->n_entries; j++) {
			const struct kad_node *n = &b->entries[j];

			assert_int_equal(kad_bucket_index(t, n->id), i);
			assert_true(n->reval_list == KAD_LIST_FAST ||
				    n->reval_list == KAD_LIST_SLOW);
			bl[n->reval_list]++;
			if (!netutil_is_lan(n->ip))
				members++;
		}
		for (j = 0; j < b->n_repl; j++) {
			assert_int_equal(b->repl[j].reval_list, KAD_LIST_NONE);
			assert_int_equal(kad_bucket_index(t, b->repl[j].id), i);
			if (!netutil_is_lan(b->repl[j].ip))
				members++;
		}
		for (k = 1; k < 3; k++) {
			assert_int_equal(bl[k], b->n_on_list[k]);
			on_list[k] += bl[k];
		}
	}
	assert_int_equal(on_list[KAD_LIST_FAST], t->reval[KAD_LIST_FAST].count);
	assert_int_equal(on_list[KAD_LIST_SLOW], t->reval[KAD_LIST_SLOW].count);
	assert_int_equal(members, t->ip_members);
	if (t->reval[KAD_LIST_FAST].count == 0)
		assert_true(t->reval[KAD_LIST_FAST].next_ns == KAD_NEVER);
	if (t->reval[KAD_LIST_SLOW].count == 0)
		assert_true(t->reval[KAD_LIST_SLOW].next_ns == KAD_NEVER);
	/* Every /24 slot holds exactly the non-LAN nodes of that /24. */
	for (k = 0; k < KAD_IPSET_SLOTS; k++) {
		uint32_t c = 0;

		if (t->ips[k].count == 0)
			continue;
		for (i = 0; i < KAD_N_BUCKETS; i++) {
			const struct kad_bucket *b = &t->buckets[i];

			for (j = 0; j < b->n_entries; j++)
				c += !netutil_is_lan(b->entries[j].ip) &&
				     netutil_subnet24_key(b->entries[j].ip) == t->ips[k].key;
			for (j = 0; j < b->n_repl; j++)
				c += !netutil_is_lan(b->repl[j].ip) &&
				     netutil_subnet24_key(b->repl[j].ip) == t->ips[k].key;
		}
		assert_int_equal(c, t->ips[k].count);
		assert_true(c <= KAD_TABLE_IP_LIMIT);
		/* Reachable by linear probing from its home slot (this mirrors
		 * kad.c's multiplicative hash). */
		for (i = (int)((t->ips[k].key * 2654435761u) >> (32 - 9));
		     t->ips[i].key != t->ips[k].key || t->ips[i].count == 0;
		     i = (i + 1) % KAD_IPSET_SLOTS)
			assert_true(t->ips[i].count != 0);
		assert_int_equal(i, k);
	}
}

/* Reference log distance: bit length of a ^ b, one bit at a time. */
static int slow_logdist(const uint8_t *a, const uint8_t *b)
{
	int bit;

	for (bit = 0; bit < 256; bit++)
		if (((a[bit / 8] ^ b[bit / 8]) >> (7 - bit % 8)) & 1)
			return 256 - bit;
	return 0;
}

/* id_at() returns base with bit (256 - d) flipped and random bits after it:
 * geth's idAtDistance. */
static void id_at(uint8_t out[KAD_ID_LEN], const uint8_t base[KAD_ID_LEN], int d)
{
	int bit = 256 - d, i;

	memcpy(out, base, KAD_ID_LEN);
	if (d == 0)
		return;
	out[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	for (i = bit + 1; i < 256; i++)
		if (trand() & 1)
			out[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
}

/* geth p2p/enode TestID_logdist, TestID_logdistEqual, BenchmarkLogDist ids,
 * TestID_distcmp(Equal), against a bitwise reference. */
static void test_kad_log_distance(void **state)
{
	uint8_t a[KAD_ID_LEN], b[KAD_ID_LEN], c[KAD_ID_LEN];
	int i, d, ref;

	(void)state;
	for (i = 0; i < KAD_ID_LEN; i++)
		a[i] = (uint8_t)i;
	assert_int_equal(kad_log_distance(a, a), 0);
	memset(a, 0xaa, sizeof(a));
	memcpy(b, a, sizeof(b));
	b[31] = 0xab;
	assert_int_equal(kad_log_distance(a, b), 1);
	b[31] = 0xaa;
	b[0] = 0x2a;                            /* top bit differs */
	assert_int_equal(kad_log_distance(a, b), 256);
	b[0] = 0xab;
	assert_int_equal(kad_log_distance(a, b), 249);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	b[1] = 0x10;
	assert_int_equal(kad_log_distance(a, b), 245);

	for (i = 0; i < 2000; i++) {
		rand_bytes(a, sizeof(a));
		memcpy(b, a, sizeof(b));
		/* Random ids share long prefixes rarely: force a random one. */
		d = (int)(trand() % 257);
		id_at(b, a, d);
		assert_int_equal(kad_log_distance(a, b), d);
		assert_int_equal(slow_logdist(a, b), d);
		rand_bytes(b, sizeof(b));
		assert_int_equal(kad_log_distance(a, b), slow_logdist(a, b));
	}

	/* dist_cmp: compare against the bytewise XOR order. */
	for (i = 0; i < 2000; i++) {
		rand_bytes(a, sizeof(a));
		id_at(b, a, (int)(trand() % 257));
		id_at(c, a, (int)(trand() % 257));
		{
			uint8_t xb[KAD_ID_LEN], xc[KAD_ID_LEN];
			int j;

			for (j = 0; j < KAD_ID_LEN; j++) {
				xb[j] = a[j] ^ b[j];
				xc[j] = a[j] ^ c[j];
			}
			ref = memcmp(xb, xc, KAD_ID_LEN);
			ref = ref < 0 ? -1 : ref > 0;
		}
		assert_int_equal(kad_dist_cmp(a, b, c), ref);
		assert_int_equal(kad_dist_cmp(a, c, b), -ref);
	}
	assert_int_equal(kad_dist_cmp(a, b, b), 0);
}

static void test_kad_bucket_index(void **state)
{
	static const struct {
		int dist;
		unsigned bucket;
	} rows[] = {
		{ 256, 16 }, { 255, 15 }, { 250, 10 }, { 241, 1 }, { 240, 0 },
		{ 239, 0 }, { 200, 0 }, { 1, 0 }, { 0, 0 },
	};
	struct kad_table *t = malloc(sizeof(*t));
	uint8_t id[KAD_ID_LEN];
	size_t i;

	(void)state;
	assert_int_equal(KAD_N_BUCKETS, 17);
	assert_int_equal(KAD_BUCKET_MIN_DIST, 239);
	init_table(t);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		id_at(id, t->self_id, rows[i].dist);
		assert_int_equal(kad_log_distance(t->self_id, id), rows[i].dist);
		assert_int_equal(kad_bucket_index(t, id), rows[i].bucket);
	}
	free(t);
}

static void test_kad_add_places_and_finds(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_node_info in;
	const struct kad_node *n;
	uint8_t ip[16];
	int d;

	(void)state;
	init_table(t);
	assert_int_equal(kad_len(t), 0);
	for (d = 256; d >= 249; d--) {
		wan_ip(ip, (unsigned)d);
		node_at(t, &in, d, ip);
		assert_int_equal(kad_add(t, &in, 0, 5 * SEC), KAD_ADDED);
		n = kad_find(t, in.pub);
		assert_non_null(n);
		assert_ptr_equal(n, &t->buckets[d - 240].entries[0]);
		assert_memory_equal(n->ip, ip, 16);
		assert_int_equal(n->added_to_table_ns, 5 * SEC);
		assert_int_equal(n->added_to_bucket_ns, 5 * SEC);
		assert_false(n->live);
		assert_int_equal(n->reval_list, KAD_LIST_FAST);
		assert_ptr_equal(kad_find_id(t, n->id), n);
	}
	assert_int_equal(kad_len(t), 8);
	/* Unknown node, self, no address, init gating. */
	rand_bytes(in.pub, sizeof(in.pub));
	assert_null(kad_find(t, in.pub));
	assert_int_equal(kad_remove(t, in.pub, 0), -ENOENT);
	memcpy(in.pub, t->self_pub, SECP_PUB_LEN);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_REJ_SELF);
	node_at(t, &in, 256, ip);
	memset(in.ip, 0, 16);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_REJ_NO_IP);
	set_ip4(in.ip, 0, 0, 0, 0);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_REJ_NO_IP);
	wan_ip(in.ip, 1000);
	t->init_done = false;
	assert_int_equal(kad_add(t, &in, KAD_ADD_INBOUND, 0), KAD_REJ_NOT_READY);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_ADDED);     /* found: allowed */
	kad_mark_init_done(t);
	check_invariants(t);
	free(t);
}

/* Record updates: found nodes must advance the sequence number, inbound
 * contacts may change anything; endpoint changes cost liveness. */
static void test_kad_update_rules(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_node_info in;
	const struct kad_node *n;
	uint8_t ip[16];

	(void)state;
	init_table(t);
	wan_ip(ip, 1);
	node_at(t, &in, 256, ip);
	assert_int_equal(kad_add(t, &in, KAD_ADD_LIVE, 0), KAD_ADDED);
	n = kad_find(t, in.pub);
	assert_true(n->live);
	assert_int_equal(n->liveness_checks, 1);

	/* Same seq, new address from a third party: ignored. */
	wan_ip(in.ip, 2);
	assert_int_equal(kad_add(t, &in, 0, SEC), KAD_PRESENT);
	wan_ip(ip, 1);
	assert_memory_equal(n->ip, ip, 16);
	assert_true(n->live);

	/* Higher seq, same endpoint: taken, stays live and listed. */
	memcpy(in.ip, ip, 16);
	in.enr_seq = 5;
	assert_int_equal(kad_add(t, &in, 0, SEC), KAD_UPDATED);
	assert_int_equal(n->enr_seq, 5);
	assert_true(n->live);

	/* Higher seq, new port: taken, live cleared, back to fast. */
	mut(t, n)->reval_list = KAD_LIST_SLOW;
	t->buckets[16].n_on_list[KAD_LIST_FAST]--;
	t->buckets[16].n_on_list[KAD_LIST_SLOW]++;
	t->reval[KAD_LIST_FAST].count--;
	t->reval[KAD_LIST_FAST].next_ns = KAD_NEVER;
	t->reval[KAD_LIST_SLOW].count++;
	t->reval[KAD_LIST_SLOW].next_ns = 100 * SEC;
	check_invariants(t);                    /* as if it had passed a check */
	in.enr_seq = 6;
	in.udp_port = 30304;
	assert_int_equal(kad_add(t, &in, 0, SEC), KAD_UPDATED);
	assert_int_equal(n->udp_port, 30304);
	assert_false(n->live);
	assert_int_equal(n->reval_list, KAD_LIST_FAST);
	assert_true(t->reval[KAD_LIST_FAST].next_ns < SEC + KAD_PING_INTERVAL_NS);
	assert_true(t->reval[KAD_LIST_SLOW].next_ns == KAD_NEVER);

	/* Inbound may rewind the sequence number and move the address. */
	in.enr_seq = 1;
	wan_ip(in.ip, 3);
	assert_int_equal(kad_add(t, &in, KAD_ADD_INBOUND, SEC), KAD_UPDATED);
	assert_int_equal(n->enr_seq, 1);
	assert_memory_equal(n->ip, in.ip, 16);
	/* Identical inbound record: nothing to do. */
	assert_int_equal(kad_add(t, &in, KAD_ADD_INBOUND, SEC), KAD_PRESENT);
	check_invariants(t);
	free(t);
}

/* fill_bucket() adds KAD_BUCKET_SIZE nodes at distance d with WAN
 * addresses from base upwards; pubs[] receives their keys. */
static void fill_bucket(struct kad_table *t, int d, unsigned base,
			uint8_t pubs[][SECP_PUB_LEN], unsigned flags, uint64_t now)
{
	struct kad_node_info in;
	uint8_t ip[16];
	int i;

	for (i = 0; i < KAD_BUCKET_SIZE; i++) {
		wan_ip(ip, base + (unsigned)i);
		node_at(t, &in, d, ip);
		assert_int_equal(kad_add(t, &in, flags, now), KAD_ADDED);
		if (pubs)
			memcpy(pubs[i], in.pub, SECP_PUB_LEN);
	}
}

static void test_kad_bucket_full_replacements(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_bucket *b;
	struct kad_node_info in, repl[KAD_MAX_REPLACEMENTS + 1];
	uint8_t ip[16];
	int i;

	(void)state;
	init_table(t);
	b = &t->buckets[16];
	fill_bucket(t, 256, 100, NULL, 0, 0);
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE);
	for (i = 0; i <= KAD_MAX_REPLACEMENTS; i++) {
		wan_ip(ip, 200 + (unsigned)i);
		node_at(t, &repl[i], 256, ip);
		assert_int_equal(kad_add(t, &repl[i], 0, (uint64_t)i), KAD_ADDED_REPLACEMENT);
		assert_null(kad_find(t, repl[i].pub));
		assert_true(kad_is_replacement(t, repl[i].pub));
		/* Newest first. */
		assert_memory_equal(b->repl[0].pub, repl[i].pub, SECP_PUB_LEN);
		assert_int_equal(b->repl[0].added_to_table_ns, (uint64_t)i);
		check_invariants(t);
	}
	/* The oldest fell off and released its /24. */
	assert_int_equal(b->n_repl, KAD_MAX_REPLACEMENTS);
	assert_false(kad_is_replacement(t, repl[0].pub));
	assert_memory_equal(b->repl[KAD_MAX_REPLACEMENTS - 1].pub, repl[1].pub, SECP_PUB_LEN);
	assert_int_equal(t->ip_members, KAD_BUCKET_SIZE + KAD_MAX_REPLACEMENTS);
	/* Seen again while waiting: unchanged. */
	assert_int_equal(kad_add(t, &repl[5], 0, 99), KAD_PRESENT);
	assert_int_equal(kad_len(t), KAD_BUCKET_SIZE);

	/* Other buckets are unaffected. */
	wan_ip(ip, 999);
	node_at(t, &in, 255, ip);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_ADDED);

	/* A removal promotes one replacement, which keeps its first-seen
	 * time and enters the fast list. */
	assert_int_equal(kad_remove(t, b->entries[3].pub, 1000), 0);
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE);
	assert_int_equal(b->n_repl, KAD_MAX_REPLACEMENTS - 1);
	{
		const struct kad_node *p = &b->entries[KAD_BUCKET_SIZE - 1];

		assert_int_equal(p->added_to_bucket_ns, 1000);
		assert_true(p->added_to_table_ns <= KAD_MAX_REPLACEMENTS);
		assert_int_equal(p->reval_list, KAD_LIST_FAST);
		assert_false(kad_is_replacement(t, p->pub));
	}
	check_invariants(t);

	/* Removals drain the replacements first, then shrink the bucket. */
	for (i = 0; b->n_repl > 0; i++)
		assert_int_equal(kad_remove(t, b->entries[0].pub, 3000), 0);
	assert_int_equal(i, KAD_MAX_REPLACEMENTS - 1);
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE);
	assert_int_equal(kad_remove(t, b->entries[0].pub, 3000), 0);
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE - 1);
	check_invariants(t);
	/* With room again, a new node goes straight into the bucket. */
	wan_ip(ip, 300);
	node_at(t, &in, 256, ip);
	assert_int_equal(kad_add(t, &in, 0, 4000), KAD_ADDED);
	assert_int_equal(t->ip_members, KAD_BUCKET_SIZE + 1);
	check_invariants(t);
	free(t);
}

/* One revalidation round trip: wait for a due node and report on it. */
static const struct kad_node *due_node(struct kad_table *t, uint64_t *now)
{
	const struct kad_node *n;
	uint64_t deadline;
	int guard;

	for (guard = 0; guard < 1000; guard++) {
		n = kad_next_revalidation(t, *now, &deadline);
		if (n)
			return n;
		assert_true(deadline > *now);
		if (deadline == KAD_NEVER)
			return NULL;
		*now = deadline;
	}
	fail_msg("no node became due");
	return NULL;
}

static void test_kad_replacement_promoted_on_failure(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_bucket *b;
	struct kad_node_info in;
	uint8_t pub[SECP_PUB_LEN], ip[16];
	const struct kad_node *n;
	uint64_t now = SEC;
	int i;

	(void)state;
	init_table(t);
	b = &t->buckets[16];
	fill_bucket(t, 256, 100, NULL, 0, now);
	for (i = 0; i < 3; i++) {
		wan_ip(ip, 200 + (unsigned)i);
		node_at(t, &in, 256, ip);
		assert_int_equal(kad_add(t, &in, 0, now), KAD_ADDED_REPLACEMENT);
	}
	/* A node never seen alive (checks 0) is removed at its first failure
	 * and a replacement takes its place. */
	n = due_node(t, &now);
	assert_non_null(n);
	assert_true(n->reval_pending);
	memcpy(pub, n->pub, sizeof(pub));
	assert_int_equal(kad_revalidation_done(t, pub, false, 0, now), KAD_REVAL_REMOVED);
	assert_null(kad_find(t, pub));
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE);
	assert_int_equal(b->n_repl, 2);
	assert_int_equal(b->entries[KAD_BUCKET_SIZE - 1].added_to_bucket_ns, now);
	/* A late answer for the removed node is dropped. */
	assert_int_equal(kad_revalidation_done(t, pub, true, 0, now), -ENOENT);
	check_invariants(t);

	/* Four successes then failures: 4 -> 1 (kept, fast list) -> 0
	 * (removed). */
	n = due_node(t, &now);
	memcpy(pub, n->pub, sizeof(pub));
	for (i = 0; i < 4; i++) {
		assert_int_equal(kad_revalidation_done(t, pub, true, 0, now), KAD_REVAL_LIVE);
		n = kad_find(t, pub);
		assert_int_equal(n->reval_list, KAD_LIST_SLOW);
		assert_true(n->live);
		mut(t, n)->reval_pending = true;   /* as if picked */
	}
	assert_int_equal(n->liveness_checks, 4);
	assert_int_equal(kad_revalidation_done(t, pub, false, 0, now), KAD_REVAL_FAILED);
	n = kad_find(t, pub);
	assert_int_equal(n->liveness_checks, 1);
	assert_int_equal(n->reval_list, KAD_LIST_FAST);
	assert_true(n->live);           /* geth only lowers the check count */
	assert_int_equal(kad_revalidation_done(t, pub, false, 0, now), -EPROTO);
	mut(t, n)->reval_pending = true;
	assert_int_equal(kad_revalidation_done(t, pub, false, 0, now), KAD_REVAL_REMOVED);
	assert_null(kad_find(t, pub));
	assert_int_equal(b->n_repl, 1);
	check_invariants(t);

	/* Without replacements the bucket just shrinks. */
	b->n_repl = 1;
	n = due_node(t, &now);
	memcpy(pub, n->pub, sizeof(pub));
	assert_int_equal(kad_revalidation_done(t, pub, false, 0, now), KAD_REVAL_REMOVED);
	assert_int_equal(b->n_repl, 0);
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE);
	n = due_node(t, &now);
	memcpy(pub, n->pub, sizeof(pub));
	assert_int_equal(kad_revalidation_done(t, pub, false, 0, now), KAD_REVAL_REMOVED);
	assert_int_equal(b->n_entries, KAD_BUCKET_SIZE - 1);
	check_invariants(t);

	/* An answer with a newer ENR sequence asks for the record. */
	n = due_node(t, &now);
	memcpy(pub, n->pub, sizeof(pub));
	assert_int_equal(kad_revalidation_done(t, pub, true, 7, now), KAD_REVAL_LIVE_NEW_ENR);
	free(t);
}

static void test_kad_ip_limit_bucket(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_node_info in[4];
	uint8_t ip[16];
	int i;

	(void)state;
	init_table(t);
	/* Two per /24 per bucket... */
	for (i = 0; i < 3; i++) {
		set_ip4(ip, 51, 15, 7, (uint8_t)(10 + i));
		node_at(t, &in[i], 256, ip);
	}
	assert_int_equal(kad_add(t, &in[0], 0, 0), KAD_ADDED);
	assert_int_equal(kad_add(t, &in[1], 0, 0), KAD_ADDED);
	assert_int_equal(kad_add(t, &in[2], 0, 0), KAD_REJ_IP_LIMIT);
	/* ...but a neighbouring /24 and another bucket are fine. */
	set_ip4(in[2].ip, 51, 15, 8, 10);
	assert_int_equal(kad_add(t, &in[2], 0, 0), KAD_ADDED);
	set_ip4(ip, 51, 15, 7, 99);
	node_at(t, &in[3], 255, ip);
	assert_int_equal(kad_add(t, &in[3], 0, 0), KAD_ADDED);
	/* Removing one frees its slot. */
	set_ip4(ip, 51, 15, 7, 50);
	node_at(t, &in[2], 256, ip);
	assert_int_equal(kad_add(t, &in[2], 0, 0), KAD_REJ_IP_LIMIT);
	assert_int_equal(kad_remove(t, in[0].pub, 0), 0);
	assert_int_equal(kad_add(t, &in[2], 0, 0), KAD_ADDED);
	check_invariants(t);

	/* Moving an entry into a full /24 is refused and keeps the old
	 * address; the counts stay right. */
	in[1].enr_seq = 9;
	set_ip4(in[1].ip, 51, 15, 8, 77);       /* /24 of in[2]'s old place */
	assert_int_equal(kad_add(t, &in[1], 0, 0), KAD_UPDATED);
	set_ip4(ip, 51, 15, 8, 10);
	node_at(t, &in[0], 256, ip);
	assert_int_equal(kad_add(t, &in[0], 0, 0), KAD_REJ_IP_LIMIT);   /* 8.x full */
	in[2].enr_seq = 3;
	set_ip4(in[2].ip, 51, 15, 8, 200);
	assert_int_equal(kad_add(t, &in[2], 0, 0), KAD_PRESENT);
	set_ip4(ip, 51, 15, 7, 50);
	assert_memory_equal(kad_find(t, in[2].pub)->ip, ip, 16);
	check_invariants(t);

	/* LAN addresses are exempt: a whole bucket from one /24. */
	for (i = 0; i < KAD_BUCKET_SIZE; i++) {
		set_ip4(ip, 192, 168, 1, (uint8_t)(i + 1));
		node_at(t, &in[0], 254, ip);
		assert_int_equal(kad_add(t, &in[0], 0, 0), KAD_ADDED);
	}
	check_invariants(t);

	/* IPv6 is grouped by its first 24 bits, as geth does. */
	for (i = 0; i < 3; i++) {
		uint8_t v6[16] = { 0x2a, 0x01, 0x04, (uint8_t)(0x10 * i), [15] = 1 };

		node_at(t, &in[i], 253, v6);
		assert_int_equal(kad_add(t, &in[i], 0, 0),
				 i < 2 ? KAD_ADDED : KAD_REJ_IP_LIMIT);
	}
	check_invariants(t);
	free(t);
}

static void test_kad_ip_limit_table(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_node_info in, first;
	uint8_t ip[16];
	int d, i, added = 0;

	(void)state;
	init_table(t);
	/* Two per bucket over six buckets: the eleventh is refused. */
	for (d = 256; d > 250; d--) {
		for (i = 0; i < 2; i++) {
			set_ip4(ip, 77, 88, 99, (uint8_t)(d - 200 + 60 * i));
			node_at(t, &in, d, ip);
			if (added == 0)
				first = in;
			assert_int_equal(kad_add(t, &in, 0, 0),
					 added < KAD_TABLE_IP_LIMIT ? KAD_ADDED
								    : KAD_REJ_IP_LIMIT);
			added++;
		}
	}
	check_invariants(t);
	/* Replacements count too: fill bucket 250 with others, then a
	 * replacement from 77.88.99/24 is refused as well. */
	fill_bucket(t, 250, 5000, NULL, 0, 0);
	set_ip4(ip, 77, 88, 99, 250);
	node_at(t, &in, 250, ip);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_REJ_IP_LIMIT);
	/* Freeing one table slot lets it in, as a replacement. */
	assert_int_equal(kad_remove(t, first.pub, 0), 0);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_ADDED_REPLACEMENT);
	check_invariants(t);
	/* LAN: no table limit either. */
	for (d = 256; d > 244; d--) {
		set_ip4(ip, 10, 0, 0, (uint8_t)d);
		node_at(t, &in, d, ip);
		assert_int_not_equal(kad_add(t, &in, 0, 0), KAD_REJ_IP_LIMIT);
	}
	check_invariants(t);
	free(t);
}

static void test_kad_findnode_failures(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	uint8_t pubs[KAD_BUCKET_SIZE][SECP_PUB_LEN];
	struct kad_node_info in;
	uint8_t ip[16];
	int i;

	(void)state;
	init_table(t);
	fill_bucket(t, 256, 10, pubs, 0, 0);
	for (i = 0; i < KAD_MAX_FINDNODE_FAILURES - 1; i++)
		assert_int_equal(kad_findnode_done(t, pubs[0], false, 0), 0);
	assert_int_equal(kad_find(t, pubs[0])->findnode_fails, 4);
	/* Success resets: failures must be consecutive. */
	assert_int_equal(kad_findnode_done(t, pubs[0], true, 0), 0);
	assert_int_equal(kad_find(t, pubs[0])->findnode_fails, 0);
	for (i = 0; i < KAD_MAX_FINDNODE_FAILURES - 1; i++)
		assert_int_equal(kad_findnode_done(t, pubs[0], false, 0), 0);
	assert_int_equal(kad_findnode_done(t, pubs[0], false, 0), 1);
	assert_null(kad_find(t, pubs[0]));
	assert_int_equal(kad_findnode_done(t, pubs[0], false, 0), -ENOENT);
	check_invariants(t);

	/* A bucket with fewer than KAD_BUCKET_SIZE / 4 entries keeps its
	 * nodes however often they fail. */
	for (i = 0; i < 3; i++) {
		wan_ip(ip, 500 + (unsigned)i);
		node_at(t, &in, 255, ip);
		assert_int_equal(kad_add(t, &in, 0, 0), KAD_ADDED);
	}
	for (i = 0; i < 20; i++)
		assert_int_equal(kad_findnode_done(t, in.pub, false, 0), 0);
	assert_non_null(kad_find(t, in.pub));
	/* A fourth entry makes it droppable. */
	wan_ip(ip, 600);
	node_at(t, &in, 255, ip);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_ADDED);
	for (i = 0; i < KAD_MAX_FINDNODE_FAILURES - 1; i++)
		assert_int_equal(kad_findnode_done(t, in.pub, false, 0), 0);
	assert_int_equal(kad_findnode_done(t, in.pub, false, 0), 1);
	check_invariants(t);
	free(t);
}

/* populate() offers want random nodes at log-distances 251..256 (lower
 * ones take too many key draws to hit), on LAN addresses so that no IP
 * limit interferes. Returns the table size. */
static size_t populate(struct kad_table *t, size_t want, unsigned live_every)
{
	struct kad_node_info in;
	uint8_t ip[16];
	size_t i;

	for (i = 0; i < want; i++) {
		lan_ip(ip, (unsigned)i + 1);
		node_at(t, &in, 256 - (int)(trand() % 6), ip);
		(void)kad_add(t, &in, live_every && i % live_every == 0 ? KAD_ADD_LIVE : 0, 0);
	}
	return kad_len(t);
}

static const uint8_t *cmp_target;

static int cmp_by_distance(const void *a, const void *b)
{
	const struct kad_node *x = *(const struct kad_node *const *)a;
	const struct kad_node *y = *(const struct kad_node *const *)b;

	return kad_dist_cmp(cmp_target, x->id, y->id);
}

static void test_kad_closest(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	const struct kad_node *all[KAD_N_BUCKETS * KAD_BUCKET_SIZE];
	const struct kad_node *out[20];
	uint8_t target[KAD_ID_LEN];
	size_t n_all, n_live, got, i, want;
	int b, j, round;

	(void)state;
	init_table(t);
	assert_int_equal(kad_closest(t, out, 16, t->self_id, false), 0);
	populate(t, 150, 3);
	for (round = 0; round < 200; round++) {
		bool live = round & 1;

		if (round % 4 < 2)
			rand_bytes(target, sizeof(target));
		else
			id_at(target, t->self_id, 256 - (int)(trand() % 8));
		n_all = 0;
		for (b = 0; b < KAD_N_BUCKETS; b++)
			for (j = 0; j < t->buckets[b].n_entries; j++)
				if (!live || t->buckets[b].entries[j].live)
					all[n_all++] = &t->buckets[b].entries[j];
		cmp_target = target;
		qsort(all, n_all, sizeof(all[0]), cmp_by_distance);
		want = 1 + trand() % 20;
		got = kad_closest(t, out, want, target, live);
		assert_int_equal(got, want < n_all ? want : n_all);
		for (i = 0; i < got; i++)
			assert_ptr_equal(out[i], all[i]);
		for (i = 0; live && i < got; i++)
			assert_true(out[i]->live);
	}
	/* prefer_live falls back to any node when none is live. */
	n_live = 0;
	for (b = 0; b < KAD_N_BUCKETS; b++)
		for (j = 0; j < t->buckets[b].n_entries; j++) {
			n_live += t->buckets[b].entries[j].live;
			t->buckets[b].entries[j].live = false;
		}
	assert_true(n_live > 0);
	got = kad_closest(t, out, 16, target, true);
	assert_int_equal(got, 16);
	assert_int_equal(kad_closest(t, out, 0, target, true), 0);
	free(t);
}

static void test_kad_random_nodes(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	const struct kad_node *out[64];
	size_t len, got, i, j;
	unsigned hits[KAD_N_BUCKETS][KAD_BUCKET_SIZE] = { { 0 } };
	int round, b, k;

	(void)state;
	init_table(t);
	assert_int_equal(kad_random_nodes(t, out, 8), 0);
	len = populate(t, 60, 0);
	assert_true(len > 40);
	got = kad_random_nodes(t, out, 64);
	assert_int_equal(got, len);
	for (round = 0; round < 400; round++) {
		got = kad_random_nodes(t, out, 8);
		assert_int_equal(got, 8);
		for (i = 0; i < got; i++) {
			for (j = 0; j < i; j++)
				assert_ptr_not_equal(out[i], out[j]);
			b = (int)kad_bucket_index(t, out[i]->id);
			k = (int)(out[i] - t->buckets[b].entries);
			assert_true(k >= 0 && k < t->buckets[b].n_entries);
			hits[b][k]++;
		}
	}
	/* 3200 picks over ~50 nodes: every node shows up, none dominates. */
	for (b = 0; b < KAD_N_BUCKETS; b++)
		for (k = 0; k < t->buckets[b].n_entries; k++) {
			assert_true(hits[b][k] > 3200 / len / 3);
			assert_true(hits[b][k] < 3200 / len * 3);
		}
	free(t);
}

static void test_kad_revalidation_schedule(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_node_info in;
	const struct kad_node *n;
	uint8_t ip[16], pub[SECP_PUB_LEN];
	uint64_t now = 1000, deadline, fast_next;

	(void)state;
	init_table(t);
	/* Empty table: nothing, ever. */
	assert_null(kad_next_revalidation(t, now, &deadline));
	assert_true(deadline == KAD_NEVER);

	wan_ip(ip, 1);
	node_at(t, &in, 256, ip);
	assert_int_equal(kad_add(t, &in, 0, now), KAD_ADDED);
	fast_next = t->reval[KAD_LIST_FAST].next_ns;
	assert_true(fast_next >= now && fast_next < now + KAD_PING_INTERVAL_NS);
	assert_true(t->reval[KAD_LIST_SLOW].next_ns == KAD_NEVER);
	if (fast_next > now) {
		assert_null(kad_next_revalidation(t, fast_next - 1, &deadline));
		assert_int_equal(deadline, fast_next);
	}
	now = fast_next;
	n = kad_next_revalidation(t, now, &deadline);
	assert_non_null(n);
	assert_memory_equal(n->pub, in.pub, SECP_PUB_LEN);
	assert_true(n->reval_pending);
	/* The slot was used: the list is rescheduled within one interval. */
	assert_true(deadline >= now && deadline < now + KAD_PING_INTERVAL_NS);
	/* The only node is in flight: due slots pass without a ping. */
	assert_null(kad_next_revalidation(t, deadline, &deadline));
	assert_null(kad_next_revalidation(t, deadline, &deadline));
	now = deadline;

	/* Pong: checks 1, live, slow list (3x interval). */
	assert_int_equal(kad_revalidation_done(t, in.pub, true, 0, now), KAD_REVAL_LIVE);
	n = kad_find(t, in.pub);
	assert_int_equal(n->liveness_checks, 1);
	assert_true(n->live);
	assert_false(n->reval_pending);
	assert_int_equal(n->reval_list, KAD_LIST_SLOW);
	assert_true(t->reval[KAD_LIST_FAST].next_ns == KAD_NEVER);
	assert_true(t->reval[KAD_LIST_SLOW].next_ns >= now);
	assert_true(t->reval[KAD_LIST_SLOW].next_ns <
		    now + KAD_SLOW_REVAL_FACTOR * KAD_PING_INTERVAL_NS);
	assert_int_equal(kad_revalidation_done(t, in.pub, true, 0, now), -EPROTO);
	rand_bytes(pub, sizeof(pub));
	assert_int_equal(kad_revalidation_done(t, pub, true, 0, now), -ENOENT);

	/* A custom interval is honoured. */
	kad_table_init(t, t->self_pub, 1, 10 * SEC);
	kad_mark_init_done(t);
	assert_int_equal(kad_add(t, &in, 0, 0), KAD_ADDED);
	assert_true(t->reval[KAD_LIST_FAST].interval_ns == 10 * SEC);
	assert_true(t->reval[KAD_LIST_SLOW].interval_ns == 30 * SEC);
	free(t);
}

/* A fake-clock run: 64 nodes, some of which never answer. Checks that the
 * deadlines behave, dead nodes go, live ones settle on the slow list, and
 * the ping rate matches geth's (one per list per random slot). */
static void test_kad_revalidation_simulation(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	const struct kad_node *n;
	uint64_t now = 0, deadline, end = 600 * SEC;
	unsigned pings = 0, removed = 0, fast_pings = 0;
	size_t i;
	int b, j;

	(void)state;
	init_table(t);
	assert_int_equal(populate(t, 64, 0), 64);
	while (now < end) {
		n = kad_next_revalidation(t, now, &deadline);
		if (!n) {
			assert_true(deadline > now);
			now = deadline;
			continue;
		}
		pings++;
		fast_pings += n->reval_list == KAD_LIST_FAST;
		assert_true(deadline >= now);
		/* Nodes whose first pub byte is below 0x40 are dead. */
		if (n->pub[0] < 0x40) {
			uint8_t pub[SECP_PUB_LEN];

			memcpy(pub, n->pub, sizeof(pub));
			if (kad_revalidation_done(t, pub, false, 0, now) == KAD_REVAL_REMOVED)
				removed++;
		} else {
			assert_true(kad_revalidation_done(t, n->pub, true, 0, now) >= 0);
		}
		check_invariants(t);
	}
	/* Fast list: one ping per 1.5 s on average, slow one per 4.5 s:
	 * 600 s gives some 400 + 130 slots; allow generous slack. */
	/* Every node enters on the fast list and leaves it after one check
	 * (alive: to the slow list; dead, with no checks banked: removed), so
	 * the fast pings are exactly one per node. The slow list then gets
	 * one ping per uniform [0, 9 s) slot: ~130 in 600 s, sd ~7. */
	assert_int_equal(fast_pings, 64);
	assert_int_equal(removed + kad_len(t), 64);
	assert_true(pings - fast_pings > 100 && pings - fast_pings < 170);
	assert_true(removed > 0);
	for (b = 0; b < KAD_N_BUCKETS; b++)
		for (j = 0; j < t->buckets[b].n_entries; j++) {
			const struct kad_node *e = &t->buckets[b].entries[j];

			/* After 600 s every node was checked: the dead are gone
			 * and the rest answered. */
			assert_true(e->pub[0] >= 0x40);
			assert_true(e->live);
			assert_int_equal(e->reval_list, KAD_LIST_SLOW);
		}
	i = kad_len(t);
	assert_true(i > 0);
	free(t);
}

/* Random operations against the invariants (counts, IP sets). */
static void test_kad_random_ops(void **state)
{
	struct kad_table *t = malloc(sizeof(*t));
	struct kad_node_info pool[400];
	const struct kad_node *n, *out[16];
	uint64_t now = 0, deadline;
	size_t i;
	int step;

	(void)state;
	init_table(t);
	for (i = 0; i < 400; i++) {
		uint8_t ip[16];

		/* Some LAN, some from 12 crowded /24s (the limits bite), the
		 * rest each in its own /24 (many keys in the /24 counter). */
		if (i % 5 == 0)
			lan_ip(ip, (unsigned)i);
		else if (i % 5 < 3)
			set_ip4(ip, 88, 1, (uint8_t)(i % 12), (uint8_t)i);
		else
			wan_ip(ip, (unsigned)i);
		node_at(t, &pool[i], 256 - (int)(trand() % 12), ip);
	}
	for (step = 0; step < 4000; step++) {
		struct kad_node_info *p = &pool[trand() % 400];

		now += trand() % (SEC / 4);
		switch (trand() % 7) {
		case 0:
		case 1:
			(void)kad_add(t, p, (unsigned)(trand() % 4), now);
			break;
		case 2:
			p->enr_seq++;
			if (trand() & 1)
				set_ip4(p->ip, 88, 1, (uint8_t)(trand() % 12), (uint8_t)trand());
			else if (trand() & 1)
				wan_ip(p->ip, (unsigned)(trand() % 5000));
			(void)kad_add(t, p, (unsigned)(trand() % 2), now);
			break;
		case 3:
			(void)kad_remove(t, p->pub, now);
			break;
		case 4:
			(void)kad_findnode_done(t, p->pub, trand() % 3 == 0, now);
			break;
		case 5:
			n = kad_next_revalidation(t, now, &deadline);
			if (n) {
				uint8_t pub[SECP_PUB_LEN];

				memcpy(pub, n->pub, sizeof(pub));
				(void)kad_revalidation_done(t, pub, trand() & 1,
							    trand() % 3, now);
			}
			break;
		default:
			(void)kad_closest(t, out, 16, p->pub, trand() & 1);
			(void)kad_random_nodes(t, out, 16);
			break;
		}
		check_invariants(t);
	}
	free(t);
}

static void test_kad_table_size(void **state)
{
	(void)state;
	/* 1000 tables in one process (devplane testnet): keep it small. */
	assert_true(sizeof(struct kad_node) <= 160);
	assert_true(sizeof(struct kad_table) < 80 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kad_log_distance),
		cmocka_unit_test(test_kad_bucket_index),
		cmocka_unit_test(test_kad_add_places_and_finds),
		cmocka_unit_test(test_kad_update_rules),
		cmocka_unit_test(test_kad_bucket_full_replacements),
		cmocka_unit_test(test_kad_replacement_promoted_on_failure),
		cmocka_unit_test(test_kad_ip_limit_bucket),
		cmocka_unit_test(test_kad_ip_limit_table),
		cmocka_unit_test(test_kad_findnode_failures),
		cmocka_unit_test(test_kad_closest),
		cmocka_unit_test(test_kad_random_nodes),
		cmocka_unit_test(test_kad_revalidation_schedule),
		cmocka_unit_test(test_kad_revalidation_simulation),
		cmocka_unit_test(test_kad_random_ops),
		cmocka_unit_test(test_kad_table_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
