/* SPDX-License-Identifier: MIT */
/* control/rlpx/rlpx.c - RLPx handshake state machine (rlpx.md, EIP-8), sans-I/O. */
#include <errno.h>
#include <string.h>

#include "common/ecies.h"
#include "common/rlpx_auth.h"
#include "common/rlpx_frame.h"
#include "common/secp.h"
#include "control/rlpx/rlpx.h"

#define PREFIX_LEN 2                    /* EIP-8 size prefix */

_Static_assert(RLPX_AUTH_NONCE_LEN == RLPX_NONCE_LEN, "one nonce size");
_Static_assert(RLPX_AUTH_LEGACY_LEN < 0x0400 + PREFIX_LEN &&
	       RLPX_AUTH_ACK_LEGACY_LEN < 0x0400 + PREFIX_LEN,
	       "a 0x04 prefix announces more than a legacy message");

/* Wipes everything we hold for the handshake except what a finished one
 * still needs (secrets until taken, remote_pub) and the bookkeeping. */
static void wipe_handshake(struct rlpx_hs *hs)
{
	explicit_bzero(hs->priv, sizeof(hs->priv));
	explicit_bzero(hs->eph_priv, sizeof(hs->eph_priv));
	explicit_bzero(hs->nonce, sizeof(hs->nonce));
	explicit_bzero(hs->sent, sizeof(hs->sent));
	explicit_bzero(hs->rx, sizeof(hs->rx));
	hs->sent_len = 0;
	hs->rx_len = 0;
	hs->rx_need = 0;
	hs->inject = false;
}

/* Terminal failure: nothing secret survives, only the role and the reason. */
static int fail(struct rlpx_hs *hs, int err)
{
	enum rlpx_role role = hs->role;

	explicit_bzero(hs, sizeof(*hs));
	hs->role = role;
	hs->state = RLPX_HS_FAILED;
	hs->error = err;
	hs->deadline = RLPX_HS_NO_DEADLINE;
	return err;
}

static bool waiting(const struct rlpx_hs *hs)
{
	return hs->state == RLPX_HS_AUTH_SENT || hs->state == RLPX_HS_WAIT_AUTH;
}

static uint64_t deadline_from(uint64_t now)
{
	if (now > RLPX_HS_NO_DEADLINE - RLPX_HS_TIMEOUT_NS)
		return RLPX_HS_NO_DEADLINE - 1;
	return now + RLPX_HS_TIMEOUT_NS;
}

int rlpx_hs_inject(struct rlpx_hs *hs, const uint8_t eph_priv[SECP_PRIV_LEN],
		   const uint8_t nonce[RLPX_NONCE_LEN])
{
	if (hs->state != RLPX_HS_INIT)
		return -EPROTO;
	if (!secp_priv_check(eph_priv))
		return -EINVAL;
	memcpy(hs->eph_priv, eph_priv, SECP_PRIV_LEN);
	memcpy(hs->nonce, nonce, RLPX_NONCE_LEN);
	hs->inject = true;
	return 0;
}

/* Our ephemeral key and nonce: injected by a test, else fresh. */
static int draw_ephemeral(struct rlpx_hs *hs)
{
	int rc;

	if (hs->inject)
		return 0;
	rc = secp_priv_generate(hs->eph_priv);
	if (rc < 0)
		return rc;
	return secp_random(hs->nonce, sizeof(hs->nonce));
}

ssize_t rlpx_hs_init_initiator(struct rlpx_hs *hs, uint8_t *out,
			       size_t out_cap,
			       const uint8_t priv[SECP_PRIV_LEN],
			       const uint8_t remote_pub[SECP_PUB_LEN],
			       uint64_t now)
{
	ssize_t n;
	int rc;

	if (hs->state != RLPX_HS_INIT)
		return -EPROTO;
	if (out_cap < RLPX_HS_OUT_MAX || !secp_priv_check(priv) ||
	    !secp_pub_check(remote_pub))
		return -EINVAL;
	rc = draw_ephemeral(hs);
	if (rc < 0)
		goto out_wipe;
	n = rlpx_auth_build(hs->sent, sizeof(hs->sent), priv, hs->eph_priv,
			    hs->nonce, remote_pub);
	if (n < 0) {
		rc = (int)n;
		goto out_wipe;
	}
	memcpy(hs->priv, priv, SECP_PRIV_LEN);
	memcpy(hs->remote_pub, remote_pub, SECP_PUB_LEN);
	hs->sent_len = (size_t)n;
	hs->role = RLPX_INITIATOR;
	hs->deadline = deadline_from(now);
	hs->inject = false;
	memcpy(out, hs->sent, (size_t)n);
	hs->state = RLPX_HS_AUTH_SENT;
	return n;
out_wipe:
	explicit_bzero(hs, sizeof(*hs));
	return rc;
}

int rlpx_hs_init_recipient(struct rlpx_hs *hs,
			   const uint8_t priv[SECP_PRIV_LEN], uint64_t now)
{
	int rc;

	if (hs->state != RLPX_HS_INIT)
		return -EPROTO;
	if (!secp_priv_check(priv))
		return -EINVAL;
	/* No EC work here: an accepted connection costs nothing until a whole
	 * auth message has arrived. */
	rc = draw_ephemeral(hs);
	if (rc < 0) {
		explicit_bzero(hs, sizeof(*hs));
		return rc;
	}
	memcpy(hs->priv, priv, SECP_PRIV_LEN);
	hs->role = RLPX_RECIPIENT;
	hs->deadline = deadline_from(now);
	hs->inject = false;
	hs->state = RLPX_HS_WAIT_AUTH;
	return 0;
}

/* How many bytes rx must hold before the next step, from what it holds now.
 * An EIP-8 message announces its size in the prefix; the cap and the ECIES
 * minimum are checked right there, before buffering the body. A message
 * starting with 0x04 may be legacy (bare ECIES, R = 0x04 || x || y): read as
 * a prefix it announces 1024-1279 bytes, more than any legacy message, so we
 * first wait for the legacy size and try that; rlpx_auth_*_parse() then
 * falls back to EIP-8 and asks for the rest (tried_legacy). */
static ssize_t rx_need(const struct rlpx_hs *hs)
{
	size_t legacy_len = hs->role == RLPX_RECIPIENT ?
		RLPX_AUTH_LEGACY_LEN : RLPX_AUTH_ACK_LEGACY_LEN;
	size_t size;

	if (hs->rx_len < PREFIX_LEN)
		return PREFIX_LEN;
	if (hs->rx[0] == 0x04 && !hs->tried_legacy)
		return (ssize_t)legacy_len;
	size = (size_t)hs->rx[0] << 8 | hs->rx[1];
	if (PREFIX_LEN + size > RLPX_AUTH_MAX_LEN)
		return -EMSGSIZE;       /* the 2 KiB cap, from the prefix */
	if (size < ECIES_OVERHEAD)
		return -EMSGSIZE;       /* cannot even hold R || iv || d */
	return (ssize_t)(PREFIX_LEN + size);
}

/* Recipient: rx holds a whole auth. Parse it, build our ack in the matching
 * format, derive the secrets; commit only when all of that worked. */
static int on_auth(struct rlpx_hs *hs, uint8_t *out, size_t *out_len)
{
	struct rlpx_auth_fields af;
	struct rlpx_secrets s;
	uint8_t ack[RLPX_AUTH_BUF_LEN];
	size_t ack_len;
	ssize_t n;
	int rc;

	n = rlpx_auth_parse(&af, hs->priv, hs->rx, hs->rx_len);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	if ((size_t)n != hs->rx_len) {  /* rx_need() and the codec disagree */
		rc = -EBADMSG;
		goto out;
	}
	n = rlpx_auth_ack_build(ack, sizeof(ack), hs->eph_priv, hs->nonce,
				af.remote_pub, af.legacy);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	ack_len = (size_t)n;
	/* rlpx.md: the recipient's ephemeral-key is ecdh(eph, remote-eph); the
	 * recovered remote ephemeral key is a point, so only our own state
	 * could make this fail. */
	rc = rlpx_secrets_derive(&s, hs->eph_priv, af.remote_eph_pub, af.nonce,
				 hs->nonce, hs->rx, hs->rx_len, ack, ack_len,
				 RLPX_RECIPIENT);
	if (rc < 0) {
		rc = -EBADMSG;
		goto out;
	}
	memcpy(out, ack, ack_len);
	*out_len = ack_len;
	hs->secrets = s;
	memcpy(hs->remote_pub, af.remote_pub, SECP_PUB_LEN);
	hs->legacy = af.legacy;
	hs->remote_version = af.version;
	wipe_handshake(hs);
	hs->deadline = RLPX_HS_NO_DEADLINE;
	hs->state = RLPX_HS_DONE;
out:
	explicit_bzero(&af, sizeof(af));
	explicit_bzero(&s, sizeof(s));
	return rc;
}

/* Initiator: rx holds a whole ack. */
static int on_ack(struct rlpx_hs *hs)
{
	struct rlpx_auth_ack_fields kf;
	struct rlpx_secrets s;
	ssize_t n;
	int rc;

	n = rlpx_auth_ack_parse(&kf, hs->priv, hs->rx, hs->rx_len);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	if ((size_t)n != hs->rx_len) {
		rc = -EBADMSG;
		goto out;
	}
	rc = rlpx_secrets_derive(&s, hs->eph_priv, kf.remote_eph_pub, hs->nonce,
				 kf.nonce, hs->sent, hs->sent_len, hs->rx,
				 hs->rx_len, RLPX_INITIATOR);
	if (rc < 0) {
		rc = -EBADMSG;          /* ack_parse checked the point */
		goto out;
	}
	hs->secrets = s;
	hs->legacy = kf.legacy;
	hs->remote_version = kf.version;
	wipe_handshake(hs);
	hs->deadline = RLPX_HS_NO_DEADLINE;
	hs->state = RLPX_HS_DONE;
out:
	explicit_bzero(&kf, sizeof(kf));
	explicit_bzero(&s, sizeof(s));
	return rc;
}

ssize_t rlpx_hs_feed(struct rlpx_hs *hs, uint8_t *out, size_t out_cap,
		     size_t *out_len, const uint8_t *buf, size_t len,
		     uint64_t now)
{
	size_t used = 0;
	int rc;

	if (!waiting(hs))
		return -EPROTO;
	if (hs->role == RLPX_RECIPIENT && out_cap < RLPX_HS_OUT_MAX)
		return -EINVAL;
	*out_len = 0;
	/* A peer that keeps dribbling bytes does not get past the deadline
	 * even if the caller's timer has not fired yet (slowloris). */
	if (now >= hs->deadline)
		return fail(hs, -ETIMEDOUT);
	for (;;) {
		ssize_t need = rx_need(hs);
		size_t take;

		if (need < 0)
			return fail(hs, (int)need);
		hs->rx_need = (size_t)need;
		if (hs->rx_len < hs->rx_need) {
			take = hs->rx_need - hs->rx_len;
			if (take > len - used)
				take = len - used;
			memcpy(hs->rx + hs->rx_len, buf + used, take);
			hs->rx_len += take;
			used += take;
			if (hs->rx_len < hs->rx_need)
				return (ssize_t)used;   /* need more */
			continue;       /* the prefix may just have arrived */
		}
		/* rx holds exactly rx_need bytes: the first EC work. */
		if (hs->role == RLPX_RECIPIENT)
			rc = on_auth(hs, out, out_len);
		else
			rc = on_ack(hs);
		if (rc == -EAGAIN && hs->rx[0] == 0x04 && !hs->tried_legacy) {
			/* Not legacy; an EIP-8 message of 0x04xx bytes. */
			hs->tried_legacy = true;
			continue;
		}
		if (rc == -EAGAIN)
			rc = -EBADMSG;  /* whole message buffered: cannot be */
		if (rc < 0) {
			*out_len = 0;
			return fail(hs, rc);
		}
		return (ssize_t)used;
	}
}

uint64_t rlpx_hs_next_deadline(const struct rlpx_hs *hs)
{
	return waiting(hs) ? hs->deadline : RLPX_HS_NO_DEADLINE;
}

int rlpx_hs_on_timer(struct rlpx_hs *hs, uint64_t now)
{
	if (!waiting(hs))
		return -EPROTO;
	if (now < hs->deadline)
		return 0;
	return fail(hs, -ETIMEDOUT);
}

int rlpx_hs_take(struct rlpx_hs *hs, struct rlpx_secrets *s,
		 uint8_t remote_pub[SECP_PUB_LEN])
{
	if (hs->state != RLPX_HS_DONE || hs->taken)
		return -EPROTO;
	*s = hs->secrets;
	memcpy(remote_pub, hs->remote_pub, SECP_PUB_LEN);
	rlpx_secrets_wipe(&hs->secrets);
	hs->taken = true;
	return 0;
}

enum rlpx_hs_state rlpx_hs_state(const struct rlpx_hs *hs)
{
	return hs->state;
}

int rlpx_hs_error(const struct rlpx_hs *hs)
{
	return hs->state == RLPX_HS_FAILED ? hs->error : 0;
}

bool rlpx_hs_remote_legacy(const struct rlpx_hs *hs)
{
	return hs->state == RLPX_HS_DONE && hs->legacy;
}

void rlpx_hs_fini(struct rlpx_hs *hs)
{
	explicit_bzero(hs, sizeof(*hs));
}
