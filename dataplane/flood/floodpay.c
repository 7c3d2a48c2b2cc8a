/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodpay.c - the flood generator's junk payloads and pacing. */
#include "dataplane/flood/floodpay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/discv4_wire.h"
#include "common/ipsecmb.h"
#include "common/keccak.h"
#include "common/secp.h"

#define NS 1000000000ull

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static const char *const kind_names[FLOODPAY_KIND_MAX] = {
	"size", "type", "hash", "ping", "sig", "rlp", "expired", "short",
	"long", "v5junk", "v5proto", "v5hdr", "v5hs", "v5msg",
};

const char *floodpay_kind_name(unsigned k)
{
	return k < FLOODPAY_KIND_MAX ? kind_names[k] : "unknown";
}

int floodpay_parse_mix(unsigned mix[FLOODPAY_KIND_MAX], const char *s)
{
	char buf[256], *save = NULL, *tok;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memset(mix, 0, FLOODPAY_KIND_MAX * sizeof(*mix));
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long w;
		unsigned k;

		if (!eq)
			return -EINVAL;
		*eq = 0;
		for (k = 0; k < FLOODPAY_KIND_MAX; k++)
			if (!strcmp(tok, kind_names[k]))
				break;
		errno = 0;
		w = strtoul(eq + 1, &end, 10);
		if (k == FLOODPAY_KIND_MAX || errno || *end || end == eq + 1 ||
		    w > 1000000)
			return -EINVAL;
		mix[k] = (unsigned)w;
	}
	return 0;
}

int floodpay_init(struct floodpay *p, const unsigned mix[FLOODPAY_KIND_MAX],
		  const uint8_t dst_addr[16], uint16_t dst_port_be,
		  uint64_t now_s, uint32_t duration_ms)
{
	int rc;

	memset(p, 0, sizeof(*p));
	for (unsigned k = 0; k < FLOODPAY_KIND_MAX; k++) {
		p->mix[k] = mix[k];
		p->wsum += mix[k];
	}
	if (!p->wsum)
		return -EINVAL;
	memcpy(p->dst_addr, dst_addr, 16);
	p->dst_port_be = dst_port_be;
	p->now_s = now_s;
	p->ping_exp = now_s + duration_ms / 1000 + 60;
	for (unsigned i = 0; i < FLOODPAY_KEYS; i++) {
		rc = secp_priv_generate(p->keys[i]);
		if (rc < 0)
			goto out_wipe;
	}
	if (getrandom(&p->rng, sizeof(p->rng), 0) != sizeof(p->rng) ||
	    !p->rng)
		p->rng = 0x9e3779b97f4a7c15ull;
	return 0;

out_wipe:
	floodpay_fini(p);
	return rc;
}

int floodpay_set_v5(struct floodpay *p, const uint8_t node_id[32])
{
	if (discv5_mask_key_init(&p->v5_mask, node_id) < 0)
		return -ENOMEM;
	p->has_v5 = true;
	return 0;
}

void floodpay_fini(struct floodpay *p)
{
	explicit_bzero(p->keys, sizeof(p->keys));
}

/* xorshift64*. */
uint64_t floodpay_rnd(struct floodpay *p)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ull;
}

unsigned floodpay_pick(struct floodpay *p)
{
	unsigned w = (unsigned)(floodpay_rnd(p) % p->wsum), k = 0;

	while (w >= p->mix[k])
		w -= p->mix[k++];
	return k;
}

static void fill_rand(struct floodpay *p, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)floodpay_rnd(p);
}

ssize_t floodpay_ping(uint8_t *out, size_t out_len, const uint8_t priv[32],
		      const uint8_t src_addr[16], uint16_t src_port,
		      const uint8_t dst_addr[16], uint16_t dst_port,
		      uint64_t exp, uint64_t seq)
{
	struct discv4_packet pk;

	memset(&pk, 0, sizeof(pk));
	pk.type = DISCV4_PING;
	pk.u.ping.version = DISCV4_VERSION;
	pk.u.ping.from.ip_len = memcmp(src_addr, v4mapped, 12) ? 16 : 4;
	memcpy(pk.u.ping.from.ip, src_addr, 16);
	pk.u.ping.from.udp = src_port;
	pk.u.ping.from.tcp = src_port;
	pk.u.ping.to.ip_len = memcmp(dst_addr, v4mapped, 12) ? 16 : 4;
	memcpy(pk.u.ping.to.ip, dst_addr, 16);
	pk.u.ping.to.udp = dst_port;
	pk.u.ping.expiration = exp;
	pk.u.ping.has_enr_seq = seq != 0;
	pk.u.ping.enr_seq = seq;
	return discv4_encode(out, out_len, priv, &pk);
}

/* rehash() makes out[0..32) the right hash over the rest (discv4.md:
 * hash = keccak256(signature || packet-type || packet-data)). */
static void rehash(uint8_t *out, size_t len)
{
	keccak256(out, out + DISCV4_HASH_LEN, len - DISCV4_HASH_LEN);
}

/* mid_len() is a length within discv4's 98..1280 for the unsigned kinds:
 * 98..297, the size of real discovery traffic. */
static size_t mid_len(struct floodpay *p)
{
	return DISCV4_MIN_LEN + floodpay_rnd(p) % 200;
}

/* v5_build() writes a discv5 packet (discv5-wire.md, Packet Encoding)
 * masked with mk: a random masking IV, the static header with version,
 * flag and authdata-size auth_len, auth_fill random authdata bytes and
 * body_len random message bytes. Returns the length or -EIO. */
static ssize_t v5_build(struct floodpay *p, uint8_t *out,
			const struct discv5_mask_key *mk, uint16_t version,
			uint8_t flag, uint16_t auth_len, size_t auth_fill,
			size_t body_len)
{
	uint8_t hdr[DISCV5_STATIC_HDR_LEN + 256];
	size_t hl = DISCV5_STATIC_HDR_LEN + auth_fill;

	fill_rand(p, out, DISCV5_MASKING_IV_LEN);
	memcpy(hdr, DISCV5_PROTOCOL_ID, DISCV5_PROTOCOL_ID_LEN);
	hdr[6] = (uint8_t)(version >> 8);
	hdr[7] = (uint8_t)version;
	hdr[8] = flag;
	fill_rand(p, hdr + 9, DISCV5_GCM_NONCE_LEN);
	hdr[21] = (uint8_t)(auth_len >> 8);
	hdr[22] = (uint8_t)auth_len;
	fill_rand(p, hdr + DISCV5_STATIC_HDR_LEN, auth_fill);
	if (flag == DISCV5_FLAG_HANDSHAKE && auth_fill >= DISCV5_AUTH_HS_MIN_LEN) {
		/* sig-size 64, eph-key-size 33, a key that looks like one */
		hdr[DISCV5_STATIC_HDR_LEN + 32] = DISCV5_ID_SIG_LEN;
		hdr[DISCV5_STATIC_HDR_LEN + 33] = DISCV5_EPH_PUB_LEN;
		hdr[DISCV5_STATIC_HDR_LEN + 34 + DISCV5_ID_SIG_LEN] =
			(uint8_t)(2 + (floodpay_rnd(p) & 1));
	}
	if (ipsecmb_aes128_ctr(ipsecmb_thread_mgr(), out + DISCV5_MASKING_IV_LEN,
			       mk->sched, out, hdr, hl) < 0)
		return -EIO;
	fill_rand(p, out + DISCV5_MASKING_IV_LEN + hl, body_len);
	return (ssize_t)(DISCV5_MASKING_IV_LEN + hl + body_len);
}

/* v5_kind() builds the discv5 kinds (floodpay.h). */
static ssize_t v5_kind(struct floodpay *p, uint8_t *out, unsigned k)
{
	struct discv5_mask_key other;
	uint8_t id[32];
	size_t len;

	switch (k) {
	case FLOODPAY_V5JUNK:
		len = DISCV5_PACKET_MIN + floodpay_rnd(p) % 235;
		fill_rand(p, out, len);
		return (ssize_t)len;
	case FLOODPAY_V5PROTO:
		fill_rand(p, id, sizeof(id));
		if (discv5_mask_key_init(&other, id) < 0)
			return -ENOMEM;
		return v5_build(p, out, &other, DISCV5_VERSION,
				DISCV5_FLAG_MESSAGE, DISCV5_AUTH_MESSAGE_LEN,
				DISCV5_AUTH_MESSAGE_LEN,
				20 + floodpay_rnd(p) % 100);
	}
	if (!p->has_v5)
		return -EINVAL;
	switch (k) {
	case FLOODPAY_V5HDR:
		switch (p->v5_hdr_turn++ % 3) {
		case 0:
			return v5_build(p, out, &p->v5_mask, 2,
					DISCV5_FLAG_MESSAGE, 32, 32, 40);
		case 1:
			return v5_build(p, out, &p->v5_mask, DISCV5_VERSION,
					3, 32, 32, 40);
		default:
			return v5_build(p, out, &p->v5_mask, DISCV5_VERSION,
					DISCV5_FLAG_MESSAGE, 33, 33, 40);
		}
	case FLOODPAY_V5HS:
		return v5_build(p, out, &p->v5_mask, DISCV5_VERSION,
				DISCV5_FLAG_HANDSHAKE, DISCV5_AUTH_HS_MIN_LEN,
				DISCV5_AUTH_HS_MIN_LEN,
				DISCV5_GCM_TAG_LEN + 20 + floodpay_rnd(p) % 60);
	case FLOODPAY_V5MSG:
		return v5_build(p, out, &p->v5_mask, DISCV5_VERSION,
				DISCV5_FLAG_MESSAGE, DISCV5_AUTH_MESSAGE_LEN,
				DISCV5_AUTH_MESSAGE_LEN,
				DISCV5_GCM_TAG_LEN + 4 + floodpay_rnd(p) % 60);
	}
	return -EINVAL;
}

ssize_t floodpay_build(struct floodpay *p, uint8_t *out, size_t out_len,
		       unsigned k, const uint8_t src_addr[16],
		       uint16_t src_port_be)
{
	size_t len;
	ssize_t n;

	if (out_len < FLOODPAY_MAX_LEN || k >= FLOODPAY_KIND_MAX)
		return -EINVAL;
	if (k == FLOODPAY_SIZE)
		k = floodpay_rnd(p) & 1 ? FLOODPAY_SHORT : FLOODPAY_LONG;
	if (k >= FLOODPAY_V5JUNK)
		return v5_kind(p, out, k);
	switch (k) {
	case FLOODPAY_SHORT:
		len = 1 + floodpay_rnd(p) % (DISCV4_MIN_LEN - 1);
		fill_rand(p, out, len);
		return (ssize_t)len;
	case FLOODPAY_LONG:
		len = DISCV4_MAX_LEN + 1 +
		      floodpay_rnd(p) % (FLOODPAY_MAX_LEN - DISCV4_MAX_LEN);
		fill_rand(p, out, len);
		return (ssize_t)len;
	case FLOODPAY_TYPE:
		/* A right hash, so the dataplane gets as far as the type. */
		len = mid_len(p);
		fill_rand(p, out, len);
		out[DISCV4_HEAD_LEN] = (uint8_t)(floodpay_rnd(p) & 1 ? 0 :
					7 + floodpay_rnd(p) % 249);
		rehash(out, len);
		return (ssize_t)len;
	case FLOODPAY_HASH:
		/* Random bytes: a keccak match is out of reach. */
		len = mid_len(p);
		fill_rand(p, out, len);
		out[DISCV4_HEAD_LEN] = (uint8_t)(1 + floodpay_rnd(p) % 6);
		return (ssize_t)len;
	case FLOODPAY_RLP:
		/* packet-data opens with a long list (0xf9, two length bytes)
		 * of 0x4ff bytes, more than any datagram holds: truncated
		 * RLP whatever follows (discv4_decode: -EMSGSIZE). */
		len = mid_len(p);
		if (len < DISCV4_MIN_LEN + 3)
			len = DISCV4_MIN_LEN + 3;
		fill_rand(p, out, len);
		out[DISCV4_HEAD_LEN] = (uint8_t)(1 + floodpay_rnd(p) % 6);
		out[DISCV4_MIN_LEN] = 0xf9;
		out[DISCV4_MIN_LEN + 1] = 0x04;
		out[DISCV4_MIN_LEN + 2] = 0xff;
		rehash(out, len);
		return (ssize_t)len;
	case FLOODPAY_PING:
	case FLOODPAY_SIG:
	case FLOODPAY_EXPIRED:
		n = floodpay_ping(out, out_len,
				  p->keys[floodpay_rnd(p) % FLOODPAY_KEYS],
				  src_addr, ntohs(src_port_be), p->dst_addr,
				  ntohs(p->dst_port_be),
				  k == FLOODPAY_EXPIRED ? p->now_s - 60 :
				  p->ping_exp, 0);
		if (n < 0 || k != FLOODPAY_SIG)
			return n;
		/* Recovery id 4 is out of range: the hash is right, no key
		 * recovers (DP_CNT_DROP_SIG). */
		out[DISCV4_HASH_LEN + 64] = 4;
		rehash(out, (size_t)n);
		return n;
	}
	return -EINVAL;
}

/* due() is how many packets the rate allows by now_ns, without
 * overflowing for any rate and run length the command line takes. */
static uint64_t due(const struct floodpay_pace *pc, uint64_t now_ns)
{
	uint64_t el = now_ns - pc->t0_ns;

	return el / NS * pc->rate_pps + el % NS * pc->rate_pps / NS;
}

unsigned floodpay_pace_want(const struct floodpay_pace *pc, uint64_t now_ns,
			    unsigned max)
{
	uint64_t want = max, d;

	if (pc->count) {
		if (pc->total >= pc->count)
			return 0;
		if (pc->count - pc->total < want)
			want = pc->count - pc->total;
	}
	if (pc->rate_pps) {
		d = due(pc, now_ns);
		if (d <= pc->total)
			return 0;
		if (d - pc->total < want)
			want = d - pc->total;
	}
	return (unsigned)want;
}

uint64_t floodpay_pace_wait_ns(const struct floodpay_pace *pc,
			       uint64_t now_ns)
{
	uint64_t next = pc->total + 1, at;

	if (!pc->rate_pps || due(pc, now_ns) >= next)
		return 0;
	/* The packet numbered next is due at t0 + ceil(next / rate) s. */
	at = pc->t0_ns + next / pc->rate_pps * NS +
	     (next % pc->rate_pps * NS + pc->rate_pps - 1) / pc->rate_pps;
	return at > now_ns ? at - now_ns : 0;
}
