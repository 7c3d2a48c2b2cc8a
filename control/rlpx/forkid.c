/* SPDX-License-Identifier: MIT */
/* control/rlpx/forkid.c - EIP-2124 fork identifiers: chains, computation, validation. */
#include "control/rlpx/forkid.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "control/base/chains.h"

/* The built-in chains' forkid_chain views of control/base/chains.h, built
 * once (forkid_chain_init() sorts, which a static initialiser cannot). */
#define BUILTIN_MAX 8

_Static_assert(CHAINS_MAX_FORKS <= FORKID_MAX_FORKS, "chain fork lists fit");

static struct forkid_chain builtin[BUILTIN_MAX];
static size_t n_builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void)
{
	for (size_t i = 0; i < chains_count() && i < BUILTIN_MAX; i++) {
		const struct chains_preset *p = chains_at(i);

		if (forkid_chain_init(&builtin[n_builtin], p->name,
				      p->network_id, p->genesis,
				      p->genesis_time, p->block_forks,
				      p->n_block, p->time_forks,
				      p->n_time) == 0)
			n_builtin++;
	}
}

uint32_t forkid_crc32(uint32_t crc, const uint8_t *buf, size_t len)
{
	/* Reflected IEEE 802.3 polynomial, bitwise: fork ids are computed a
	 * handful of times per process, a table is not worth its cache. */
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint32_t crc_update_u64(uint32_t crc, uint64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	return forkid_crc32(crc, be, sizeof(be));
}

const struct forkid_chain *forkid_chain_by_name(const char *name)
{
	if (!name)
		return NULL;
	pthread_once(&builtin_once, builtin_init);
	for (size_t i = 0; i < n_builtin; i++)
		if (strcmp(builtin[i].name, name) == 0)
			return &builtin[i];
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts, deduplicates and drops values <= floor (the genesis ruleset). */
static size_t normalise(uint64_t *v, size_t n, uint64_t floor)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		if (v[i] <= floor)
			continue;
		if (out > 0 && v[out - 1] == v[i])
			continue;
		v[out++] = v[i];
	}
	return out;
}

int forkid_chain_init(struct forkid_chain *c, const char *name,
		      uint64_t network_id,
		      const uint8_t genesis[FORKID_HASH_LEN],
		      uint64_t genesis_time, const uint64_t *block_forks,
		      size_t n_block, const uint64_t *time_forks,
		      size_t n_time)
{
	if (n_block > FORKID_MAX_FORKS || n_time > FORKID_MAX_FORKS)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "custom");
	c->network_id = network_id;
	memcpy(c->genesis, genesis, FORKID_HASH_LEN);
	c->genesis_time = genesis_time;
	if (n_block)
		memcpy(c->block_forks, block_forks, n_block * sizeof(uint64_t));
	if (n_time)
		memcpy(c->time_forks, time_forks, n_time * sizeof(uint64_t));
	/* Block 0 is the genesis ruleset; time forks at or before the
	 * genesis timestamp likewise (geth gatherForks()). */
	c->n_block = normalise(c->block_forks, n_block, 0);
	c->n_time = normalise(c->time_forks, n_time, genesis_time);
	return 0;
}

int forkid_chain_custom(struct forkid_chain *c, uint64_t network_id,
			const char *genesis_hex, const char *forks)
{
	uint64_t bf[FORKID_MAX_FORKS], tf[FORKID_MAX_FORKS];
	uint8_t genesis[FORKID_HASH_LEN];
	size_t nb = 0, nt = 0;
	const char *p = forks;

	if (!genesis_hex ||
	    hex_decode(genesis, sizeof(genesis), genesis_hex,
		       strlen(genesis_hex)) != FORKID_HASH_LEN)
		return -EINVAL;
	while (p && *p) {
		bool is_time = false;
		char *end;
		uint64_t v;

		if (*p == 't') {
			is_time = true;
			p++;
		}
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || (*end != ',' && *end != '\0'))
			return -EINVAL;
		if (v >= FORKID_TIMESTAMP_THRESHOLD)
			is_time = true;
		if (is_time) {
			if (nt == FORKID_MAX_FORKS)
				return -EINVAL;
			tf[nt++] = v;
		} else {
			if (nb == FORKID_MAX_FORKS)
				return -EINVAL;
			bf[nb++] = v;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return forkid_chain_init(c, "custom", network_id, genesis, 0, bf, nb,
				 tf, nt);
}

void forkid_compute(struct forkid *out, const struct forkid_chain *c,
		    uint64_t head, uint64_t time)
{
	uint32_t hash = forkid_crc32(0, c->genesis, FORKID_HASH_LEN);

	/* EIP-2124: checksum every passed fork, FORK_NEXT is the first one
	 * not passed; block forks are all before time forks. */
	for (size_t i = 0; i < c->n_block; i++) {
		if (c->block_forks[i] > head) {
			out->hash = hash;
			out->next = c->block_forks[i];
			return;
		}
		hash = crc_update_u64(hash, c->block_forks[i]);
	}
	for (size_t i = 0; i < c->n_time; i++) {
		if (c->time_forks[i] > time) {
			out->hash = hash;
			out->next = c->time_forks[i];
			return;
		}
		hash = crc_update_u64(hash, c->time_forks[i]);
	}
	out->hash = hash;
	out->next = 0;
}

enum forkid_verdict forkid_validate(const struct forkid_chain *c,
				    uint64_t head, uint64_t time,
				    const struct forkid *remote)
{
	/* forks[] = block forks, time forks, then a sentinel that is never
	 * passed; sums[i] = checksum over forks[0..i). When the chain has no
	 * time forks the sentinel counts as a block fork (geth newFilter()). */
	uint64_t forks[2 * FORKID_MAX_FORKS + 1];
	uint32_t sums[2 * FORKID_MAX_FORKS + 1];
	size_t n = 0, n_by_block = c->n_block;
	uint32_t hash = forkid_crc32(0, c->genesis, FORKID_HASH_LEN);

	for (size_t i = 0; i < c->n_block; i++)
		forks[n++] = c->block_forks[i];
	for (size_t i = 0; i < c->n_time; i++)
		forks[n++] = c->time_forks[i];
	sums[0] = hash;
	for (size_t i = 0; i < n; i++) {
		hash = crc_update_u64(hash, forks[i]);
		sums[i + 1] = hash;
	}
	forks[n] = UINT64_MAX;
	if (c->n_time == 0)
		n_by_block++;

	for (size_t i = 0; i <= n; i++) {
		uint64_t h = i >= n_by_block ? time : head;

		if (h >= forks[i])
			continue;
		/* forks[i] is the first fork not passed locally. */
		if (sums[i] == remote->hash) {
			/* Rule 1a: the remote's next fork already passed
			 * here (a next above the threshold is a timestamp). */
			if (remote->next > 0 &&
			    (h >= remote->next ||
			     (remote->next > FORKID_TIMESTAMP_THRESHOLD &&
			      time >= remote->next)))
				return FORKID_LOCAL_INCOMPATIBLE;
			return FORKID_OK;                       /* 1b */
		}
		/* Rule 2: remote is a subset of our past forks and must
		 * announce the fork that followed it. */
		for (size_t j = 0; j < i; j++)
			if (sums[j] == remote->hash)
				return forks[j] == remote->next ?
				       FORKID_OK : FORKID_REMOTE_STALE;
		/* Rule 3: remote is a superset within our future forks. */
		for (size_t j = i + 1; j <= n; j++)
			if (sums[j] == remote->hash)
				return FORKID_OK;
		return FORKID_LOCAL_INCOMPATIBLE;               /* rule 4 */
	}
	return FORKID_OK;       /* unreachable: the sentinel is never passed */
}

const char *forkid_verdict_name(enum forkid_verdict v)
{
	switch (v) {
	case FORKID_OK:
		return "ok";
	case FORKID_REMOTE_STALE:
		return "remote needs update";
	case FORKID_LOCAL_INCOMPATIBLE:
		return "local incompatible or needs update";
	}
	return "unknown";
}

void forkid_put(struct rlp_buf *b, const struct forkid *id)
{
	uint8_t h[4] = {
		(uint8_t)(id->hash >> 24), (uint8_t)(id->hash >> 16),
		(uint8_t)(id->hash >> 8), (uint8_t)id->hash,
	};

	rlp_list_begin(b);
	rlp_put_bytes(b, h, sizeof(h));
	rlp_put_u64(b, id->next);
	rlp_list_end(b);
}

int forkid_from_item(struct forkid *out, const struct rlp_item *item)
{
	struct rlp_iter it;
	struct rlp_item hash, next, extra;

	if (!item->is_list)
		return -EBADMSG;
	rlp_iter_init(&it, item);
	if (rlp_iter_next(&it, &hash) != 1 || rlp_iter_next(&it, &next) != 1)
		return -EBADMSG;
	/* geth decodes the id as a strict struct: no extra elements. */
	if (rlp_iter_next(&it, &extra) != 0)
		return -EBADMSG;
	if (hash.is_list || hash.len != 4)      /* FORK_HASH is a [4]byte */
		return -EBADMSG;
	if (rlp_to_u64(&out->next, &next) < 0)
		return -EBADMSG;
	out->hash = (uint32_t)hash.p[0] << 24 | (uint32_t)hash.p[1] << 16 |
		    (uint32_t)hash.p[2] << 8 | hash.p[3];
	return 0;
}
