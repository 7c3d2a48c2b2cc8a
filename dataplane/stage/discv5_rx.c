/* SPDX-License-Identifier: MIT */
/* dataplane/stage/discv5_rx.c - discv5 ingress checks and the WHOAREYOU
 * limiter. */
#include "dataplane/stage/discv5_rx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/dplink_proto.h"
#include "dataplane/stage/srcbudget.h"

#define MAX_SOCKS      65536
#define SEQLOCK_TRIES  4096             /* then the socket counts as off */

/*
 * A socket's key under a sequence lock: the writer makes seq odd, writes,
 * makes it even again; a reader copies the key between two loads of an
 * equal, even seq. Workers never wait for the writer and the writer never
 * waits for them; a reader that catches a write in progress tries again
 * (the write is a few hundred bytes of memcpy).
 */
struct key_slot {
	uint32_t seq;
	uint8_t on;
	struct discv5_mask_key mk;
};

struct discv5_rx_keys {
	unsigned n;
	unsigned n_on;                  /* writer's count */
	struct key_slot *s;
};

struct discv5_rx {
	const struct discv5_rx_keys *keys;
	struct srcbudget *budget;       /* borrowed from discv4's stage */
	struct srcbudget *hs;           /* owned; NULL: no limit */
	struct srcbudget *way;          /* owned; NULL: no limit */
};

int discv5_rx_keys_new(struct discv5_rx_keys **out, unsigned n_socks)
{
	struct discv5_rx_keys *k;

	if (!out || !n_socks || n_socks > MAX_SOCKS)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->s = aligned_alloc(64, ((n_socks * sizeof(*k->s) + 63) / 64) * 64);
	if (!k->s) {
		free(k);
		return -ENOMEM;
	}
	memset(k->s, 0, n_socks * sizeof(*k->s));
	k->n = n_socks;
	*out = k;
	return 0;
}

void discv5_rx_keys_free(struct discv5_rx_keys *k)
{
	if (!k)
		return;
	free(k->s);
	free(k);
}

int discv5_rx_keys_set(struct discv5_rx_keys *k, unsigned sock,
		       const uint8_t node_id[DISCV5_NODE_ID_LEN])
{
	struct discv5_mask_key mk;
	struct key_slot *sl;
	uint32_t seq;
	uint8_t was;

	if (!k || sock >= k->n)
		return -EINVAL;
	if (node_id && discv5_mask_key_init(&mk, node_id) < 0)
		return -ENOMEM;
	sl = &k->s[sock];
	was = sl->on;
	seq = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (node_id)
		memcpy(&sl->mk, &mk, sizeof(mk));
	__atomic_store_n(&sl->on, node_id ? 1 : 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->seq, seq + 2, __ATOMIC_RELEASE);
	k->n_on = k->n_on - was + (node_id ? 1 : 0);
	return 0;
}

unsigned discv5_rx_keys_on(const struct discv5_rx_keys *k)
{
	return k ? k->n_on : 0;
}

/* key_load() copies socket sock's key into *mk. Returns false when the
 * socket has no discv5 (or is out of range). */
static bool key_load(const struct discv5_rx_keys *k, unsigned sock,
		     struct discv5_mask_key *mk)
{
	const struct key_slot *sl;

	if (sock >= k->n)
		return false;
	sl = &k->s[sock];
	for (unsigned i = 0; i < SEQLOCK_TRIES; i++) {
		uint32_t a = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE), b;
		bool on;

		if (a & 1)
			continue;
		on = __atomic_load_n(&sl->on, __ATOMIC_RELAXED);
		if (on)
			memcpy(mk, &sl->mk, sizeof(*mk));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
		if (a == b)
			return on;
	}
	return false;
}

int discv5_rx_new(struct discv5_rx **out, const struct discv5_rx_cfg *cfg)
{
	struct discv5_rx *s;
	int rc = 0;

	if (!out || !cfg || !cfg->keys || (cfg->hs_rate && !cfg->hs_burst) ||
	    (cfg->way_rate && !cfg->way_burst))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->keys = cfg->keys;
	s->budget = cfg->budget;
	if (cfg->hs_rate)
		rc = srcbudget_new(&s->hs, cfg->hs_rate, cfg->hs_burst,
				   cfg->slots);
	if (rc == 0 && cfg->way_rate)
		rc = srcbudget_new(&s->way, cfg->way_rate, cfg->way_burst,
				   cfg->slots);
	if (rc < 0) {
		discv5_rx_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void discv5_rx_free(struct discv5_rx *s)
{
	if (!s)
		return;
	srcbudget_free(s->hs);
	srcbudget_free(s->way);
	free(s);
}

enum discv5_rx_verdict discv5_rx_process(struct discv5_rx *s,
					 const uint8_t *buf, size_t len,
					 const uint8_t src_addr[MSG_ADDR_LEN],
					 uint16_t src_port_be, uint16_t sock,
					 uint64_t mono_ns,
					 struct msg_discv5_rx *out,
					 size_t out_cap)
{
	struct discv5_mask_key mk;
	struct discv5_static st;
	ssize_t n;

	if (!key_load(s->keys, sock, &mk))
		return DISCV5_RX_OFF;
	/* discv5-wire.md, UDP Communication: 63..1280 bytes. Outside it the
	 * datagram is neither protocol's. */
	if (len < DISCV5_PACKET_MIN || len > DISCV5_PACKET_MAX)
		return DISCV5_RX_NOT_V5;
	if (out_cap < sizeof(*out) + len)
		return DISCV5_RX_DROP_SIZE;
	n = discv5_check_static(&st, &mk, buf, len);
	switch (n) {
	case -EMSGSIZE:                 /* size wrong for its flag */
		return DISCV5_RX_DROP_SIZE;
	case -ENOMSG:                   /* not "discv5" under our mask */
	case -ENOMEM:                   /* no AES here: cannot tell */
		return DISCV5_RX_NOT_V5;
	case -EPROTONOSUPPORT:
		return DISCV5_RX_DROP_VERSION;
	case -EBADRQC:
		return DISCV5_RX_DROP_FLAG;
	default:
		if (n < 0)              /* -EBADMSG: authdata-size */
			return DISCV5_RX_DROP_AUTHDATA;
	}
	if (s->budget && !srcbudget_take(s->budget, src_addr, mono_ns))
		return DISCV5_RX_DROP_BUDGET;
	/* A handshake costs control EC work (record and id-signature
	 * checks, ECDH): its own, tighter budget. */
	if (st.flag == DISCV5_FLAG_HANDSHAKE && s->hs &&
	    !srcbudget_take(s->hs, src_addr, mono_ns))
		return DISCV5_RX_DROP_HS_BUDGET;

	out->hdr.type = MSG_DISCV5_RX;
	out->hdr.len = (uint16_t)(sizeof(*out) - sizeof(out->hdr) + len);
	out->hdr.seq = 0;
	out->hdr.rx_tsc = 0;
	memcpy(out->src_addr, src_addr, MSG_ADDR_LEN);
	out->src_port_be = src_port_be;
	out->dst_port_be = 0;
	out->sock_idx = sock;
	out->queue = 0;
	out->flag = st.flag;
	out->pad0 = 0;
	out->data_len = (uint16_t)len;
	memcpy(out->data, buf, len);
	return DISCV5_RX_ACCEPT;
}

bool discv5_rx_whoareyou_ok(struct discv5_rx *s,
			    const uint8_t dst[MSG_ADDR_LEN], uint64_t mono_ns)
{
	return !s->way || srcbudget_take(s->way, dst, mono_ns);
}

unsigned discv5_rx_verdict_cnt(enum discv5_rx_verdict v)
{
	switch (v) {
	case DISCV5_RX_ACCEPT:
		return DP_CNT_V5_ACCEPTED;
	case DISCV5_RX_DROP_SIZE:
		return DP_CNT_V5_DROP_SIZE;
	case DISCV5_RX_DROP_VERSION:
		return DP_CNT_V5_DROP_VERSION;
	case DISCV5_RX_DROP_FLAG:
		return DP_CNT_V5_DROP_FLAG;
	case DISCV5_RX_DROP_AUTHDATA:
		return DP_CNT_V5_DROP_AUTHDATA;
	case DISCV5_RX_DROP_BUDGET:
		return DP_CNT_V5_DROP_BUDGET;
	case DISCV5_RX_DROP_HS_BUDGET:
		return DP_CNT_V5_DROP_HS_BUDGET;
	case DISCV5_RX_OFF:
	case DISCV5_RX_NOT_V5:
		break;
	}
	return DP_CNT_MAX;
}
