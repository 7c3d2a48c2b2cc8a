/* SPDX-License-Identifier: MIT */
/* control/service/gossip.c - gossip envelope, message ids, bounded seen-cache with expiry; sans-I/O. */
#include "control/service/gossip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/keccak.h"
#include "common/rlp.h"

#define NIL UINT32_MAX

/* ---- envelope ----------------------------------------------------------- */

ssize_t gossip_env_encode(uint8_t *out, size_t cap, const struct gossip_env *e)
{
	struct rlp_buf b;

	if (!e->ttl || e->ttl > GOSSIP_TTL_MAX)
		return -EINVAL;
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, e->id, GOSSIP_ID_LEN);
	rlp_put_u64(&b, e->ttl);
	rlp_put_u64(&b, e->code);
	rlp_put_bytes(&b, e->payload, e->len);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

ssize_t gossip_env_decode(struct gossip_env *out, bool *clamped,
			  const uint8_t *buf, size_t len)
{
	struct rlp_item outer, id, ttl, code, payload;
	struct rlp_iter it;
	uint64_t t;
	ssize_t n;

	if (clamped)
		*clamped = false;
	n = rlp_next(&outer, buf, len);
	if (n < 0)
		return n;
	if (!outer.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	if (rlp_iter_next(&it, &id) != 1 || id.is_list ||
	    id.len != GOSSIP_ID_LEN)
		return -EBADMSG;        /* an id of another length */
	if (rlp_iter_next(&it, &ttl) != 1 || rlp_to_u64(&t, &ttl) < 0 || !t)
		return -EBADMSG;        /* ttl 0: nothing may deliver it */
	if (rlp_iter_next(&it, &code) != 1 ||
	    rlp_to_u64(&out->code, &code) < 0)
		return -EBADMSG;
	if (rlp_iter_next(&it, &payload) != 1 || payload.is_list)
		return -EBADMSG;
	memcpy(out->id, id.p, GOSSIP_ID_LEN);
	if (t > GOSSIP_TTL_MAX) {
		t = GOSSIP_TTL_MAX;     /* a sender may not extend the reach */
		if (clamped)
			*clamped = true;
	}
	out->ttl = (uint8_t)t;
	out->payload = payload.p;
	out->len = payload.len;
	return n;
}

void gossip_msg_id(uint8_t out[GOSSIP_ID_LEN], const uint8_t origin[64],
		   const char *proto, uint64_t seq, uint64_t code,
		   const uint8_t *payload, size_t len)
{
	struct keccak_ctx k;
	uint8_t be[16];

	for (int i = 0; i < 8; i++) {
		be[i] = (uint8_t)(seq >> (56 - 8 * i));
		be[8 + i] = (uint8_t)(code >> (56 - 8 * i));
	}
	keccak256_init(&k);
	keccak256_update(&k, origin, 64);
	/* The name ends with its NUL: no name's bytes run into the seq. */
	keccak256_update(&k, (const uint8_t *)proto, strlen(proto) + 1);
	keccak256_update(&k, be, sizeof(be));
	if (len)
		keccak256_update(&k, payload, len);
	keccak256_final(&k, out);
}

/* ---- seen-cache --------------------------------------------------------- */

int gossip_seen_init(struct gossip_seen *s, uint32_t cap, uint64_t expiry_ns,
		     const uint8_t key[SIPHASH_KEY_LEN])
{
	uint32_t n = 16;

	memset(s, 0, sizeof(*s));
	if (!cap)
		cap = GOSSIP_SEEN_DEFAULT;
	if (cap > GOSSIP_SEEN_MAX)
		return -EINVAL;
	while (n < cap)
		n *= 2;
	s->ents = calloc(cap, sizeof(*s->ents));
	s->index = malloc(n * sizeof(*s->index));
	if (!s->ents || !s->index) {
		gossip_seen_fini(s);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		s->index[i] = NIL;
	s->cap = cap;
	s->n_index = n;
	s->expiry_ns = expiry_ns ? expiry_ns : GOSSIP_EXPIRY_DEFAULT;
	memcpy(s->key, key, SIPHASH_KEY_LEN);
	return 0;
}

void gossip_seen_fini(struct gossip_seen *s)
{
	free(s->ents);
	free(s->index);
	explicit_bzero(s->key, sizeof(s->key));
	s->ents = NULL;
	s->index = NULL;
	s->cap = s->len = 0;
}

static uint32_t bucket(const struct gossip_seen *s,
		       const uint8_t id[GOSSIP_ID_LEN])
{
	return (uint32_t)(siphash24(s->key, id, GOSSIP_ID_LEN) &
			  (s->n_index - 1));    /* n_index: a power of 2 */
}

/* Unlinks the oldest entry from its chain and the ring. */
static void drop_oldest(struct gossip_seen *s)
{
	uint32_t slot = s->head;
	uint32_t *pp = &s->index[bucket(s, s->ents[slot].id)];

	while (*pp != NIL && *pp != slot)
		pp = &s->ents[*pp].next;
	if (*pp == slot)
		*pp = s->ents[slot].next;
	s->head = (s->head + 1) % s->cap;
	s->len--;
}

static const struct gossip_seen_ent *find(const struct gossip_seen *s,
					  const uint8_t id[GOSSIP_ID_LEN])
{
	for (uint32_t i = s->index[bucket(s, id)]; i != NIL;
	     i = s->ents[i].next)
		if (!memcmp(s->ents[i].id, id, GOSSIP_ID_LEN))
			return &s->ents[i];
	return NULL;
}

bool gossip_seen_has(const struct gossip_seen *s,
		     const uint8_t id[GOSSIP_ID_LEN], uint64_t now)
{
	const struct gossip_seen_ent *e = s->cap ? find(s, id) : NULL;

	return e && e->expires > now;
}

bool gossip_seen_add(struct gossip_seen *s, const uint8_t id[GOSSIP_ID_LEN],
		     uint64_t now)
{
	struct gossip_seen_ent *e;
	uint32_t slot, b;

	/* Oldest first: entries expire in insertion order. */
	while (s->len && s->ents[s->head].expires <= now) {
		drop_oldest(s);
		s->st.expired++;
	}
	if (find(s, id)) {
		s->st.hits++;
		return false;
	}
	if (s->len == s->cap) {
		drop_oldest(s);
		s->st.evicted++;
	}
	slot = (s->head + s->len) % s->cap;
	e = &s->ents[slot];
	memcpy(e->id, id, GOSSIP_ID_LEN);
	e->expires = now + s->expiry_ns;
	b = bucket(s, id);
	e->next = s->index[b];
	s->index[b] = slot;
	s->len++;
	s->st.added++;
	return true;
}

size_t gossip_seen_len(const struct gossip_seen *s)
{
	return s->len;
}
