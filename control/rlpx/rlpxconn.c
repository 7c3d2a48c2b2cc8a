/* SPDX-License-Identifier: MIT */
/* control/rlpx/rlpxconn.c - one RLPx connection's control phase, sans-I/O. */
#include "control/rlpx/rlpxconn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlp.h"
#include "common/snappy.h"

/* Any failure: the state is terminal and the secrets are gone. */
static ssize_t fail(struct rlpxconn *c, int err)
{
	if (c->state == RLPXCONN_FRAMES)
		rlpx_frame_fini(&c->fr);
	rlpx_hs_fini(&c->hs);
	c->state = RLPXCONN_FAILED;
	c->error = err;
	return err;
}

/* Makes room for n more queued bytes within wq_max; moves the queue to the
 * front first. */
static int wq_reserve(struct rlpxconn *c, size_t n)
{
	size_t want;
	uint8_t *nb;

	if (n > c->wq_max || c->wlen > c->wq_max - n)
		return -ENOBUFS;
	if (c->woff) {
		memmove(c->wq, c->wq + c->woff, c->wlen);
		c->woff = 0;
	}
	want = c->wlen + n;
	if (want <= c->wcap)
		return 0;
	if (want < 2 * c->wcap)
		want = 2 * c->wcap;
	if (want > c->wq_max)
		want = c->wq_max;
	nb = realloc(c->wq, want);
	if (!nb)
		return -ENOMEM;
	c->wq = nb;
	c->wcap = want;
	return 0;
}

static int wq_put(struct rlpxconn *c, const uint8_t *p, size_t n)
{
	int rc = wq_reserve(c, n);

	if (rc)
		return rc;
	memcpy(c->wq + c->wlen, p, n);
	c->wlen += n;
	return 0;
}

int rlpxconn_dial(struct rlpxconn *c, const uint8_t priv[SECP_PRIV_LEN],
		  const uint8_t remote_pub[SECP_PUB_LEN], size_t wq_max,
		  uint64_t now)
{
	uint8_t out[RLPX_HS_OUT_MAX];
	ssize_t n;
	int rc;

	if (c->state != RLPXCONN_INIT)
		return -EPROTO;
	c->wq_max = wq_max ? wq_max : RLPXCONN_WQ_MAX;
	n = rlpx_hs_init_initiator(&c->hs, out, sizeof(out), priv, remote_pub,
				   now);
	if (n < 0)
		return (int)n;
	rc = wq_put(c, out, (size_t)n);
	if (rc) {
		rlpxconn_fini(c);
		return rc;
	}
	memcpy(c->remote, remote_pub, SECP_PUB_LEN);
	c->state = RLPXCONN_HANDSHAKE;
	return 0;
}

int rlpxconn_accept(struct rlpxconn *c, const uint8_t priv[SECP_PRIV_LEN],
		    size_t wq_max, uint64_t now)
{
	int rc;

	if (c->state != RLPXCONN_INIT)
		return -EPROTO;
	rc = rlpx_hs_init_recipient(&c->hs, priv, now);
	if (rc)
		return rc;
	c->wq_max = wq_max ? wq_max : RLPXCONN_WQ_MAX;
	c->state = RLPXCONN_HANDSHAKE;
	return 0;
}

/* The handshake is done: take the secrets into the frame codec. */
static int hs_finish(struct rlpxconn *c)
{
	struct rlpx_secrets sec;
	int rc;

	c->legacy = rlpx_hs_remote_legacy(&c->hs);
	rc = rlpx_hs_take(&c->hs, &sec, c->remote);
	/* Cap 0: the dataplane gets the default frame cap with the state;
	 * the control phase checks its own smaller one in the reader. */
	if (!rc)
		rc = rlpx_frame_init(&c->fr, &sec, 0);
	rlpx_secrets_wipe(&sec);
	rlpx_hs_fini(&c->hs);
	if (rc)
		return rc;
	c->state = RLPXCONN_FRAMES;
	c->rneed = RLPX_FRAME_HEAD_LEN;
	c->rhave = 0;
	c->rbody = false;
	return 0;
}

static ssize_t feed_handshake(struct rlpxconn *c, enum rlpxconn_event *ev,
			      const uint8_t *buf, size_t len, uint64_t now)
{
	uint8_t out[RLPX_HS_OUT_MAX];
	size_t out_len = 0;
	ssize_t used;
	int rc;

	used = rlpx_hs_feed(&c->hs, out, sizeof(out), &out_len, buf, len, now);
	if (used < 0)
		return fail(c, (int)used);
	if (rlpx_hs_state(&c->hs) != RLPX_HS_DONE)
		return used;
	/* The recipient's ack goes out before any frame. */
	rc = out_len ? wq_put(c, out, out_len) : 0;
	explicit_bzero(out, sizeof(out));
	if (!rc)
		rc = hs_finish(c);
	if (rc)
		return fail(c, rc);
	*ev = RLPXCONN_EV_HANDSHAKE;
	return used;
}

/* One whole frame body is in rbuf: open it into a message. */
static ssize_t frame_done(struct rlpxconn *c, struct rlpxconn_msg *msg)
{
	struct rlp_item it;
	ssize_t r, n;
	uint64_t code;

	r = rlpx_frame_open_body(&c->fr, c->rbuf, c->rcap, c->rbuf, c->rneed);
	c->rbody = false;
	c->rneed = RLPX_FRAME_HEAD_LEN;
	c->rhave = 0;
	if (r < 0)
		return r;
	/* rlpx.md, Framing: frame-data = msg-id || msg-data, msg-id an RLP
	 * integer. */
	n = rlp_next(&it, c->rbuf, (size_t)r);
	if (n < 0 || it.is_list || rlp_to_u64(&code, &it))
		return -EBADMSG;
	msg->code = code;
	msg->payload = c->rbuf + n;
	msg->len = (size_t)(r - n);
	return 0;
}

static ssize_t feed_frames(struct rlpxconn *c, enum rlpxconn_event *ev,
			   struct rlpxconn_msg *msg, const uint8_t *buf,
			   size_t len)
{
	size_t used = 0;

	while (used < len) {
		size_t take = c->rneed - c->rhave;
		size_t fsz;
		ssize_t r;

		if (take > len - used)
			take = len - used;
		if (c->rcap < c->rneed) {
			uint8_t *nb = realloc(c->rbuf, c->rneed);

			if (!nb)
				return fail(c, -ENOMEM);
			c->rbuf = nb;
			c->rcap = c->rneed;
		}
		memcpy(c->rbuf + c->rhave, buf + used, take);
		c->rhave += take;
		used += take;
		if (c->rhave < c->rneed)
			break;
		if (c->rbody) {
			r = frame_done(c, msg);
			if (r < 0)
				return fail(c, (int)r);
			*ev = RLPXCONN_EV_MSG;
			return (ssize_t)used;
		}
		r = rlpx_frame_open_header(&c->fr, &fsz, c->rbuf);
		if (r < 0)
			return fail(c, (int)r);
		/* The remote's Hello or Disconnect: nothing big is due before
		 * the handover. */
		if (fsz > RLPXCONN_FRAME_MAX)
			return fail(c, -EMSGSIZE);
		c->rbody = true;
		c->rneed = (size_t)r;
		c->rhave = 0;
	}
	return (ssize_t)used;
}

ssize_t rlpxconn_feed(struct rlpxconn *c, enum rlpxconn_event *ev,
		      struct rlpxconn_msg *msg, const uint8_t *buf, size_t len,
		      uint64_t now)
{
	*ev = RLPXCONN_EV_NONE;
	if (c->state == RLPXCONN_HANDSHAKE)
		return feed_handshake(c, ev, buf, len, now);
	if (c->state == RLPXCONN_FRAMES)
		return feed_frames(c, ev, msg, buf, len);
	return -EPROTO;
}

int rlpxconn_send(struct rlpxconn *c, uint64_t code, const uint8_t *payload,
		  size_t len, bool snappy)
{
	uint8_t *plain;
	struct rlp_buf b;
	size_t pl, wl;
	ssize_t cl, n;
	int rc;

	if (c->state != RLPXCONN_FRAMES)
		return -EPROTO;
	if (len > RLPXCONN_FRAME_MAX)
		return -EMSGSIZE;
	pl = snappy ? snappy_bound(len) : len;
	plain = malloc(pl + 16);
	if (!plain)
		return -ENOMEM;
	rlp_buf_init(&b, plain, 16);
	rlp_put_u64(&b, code);
	cl = rlp_buf_finish(&b);
	if (cl < 0) {
		rc = (int)cl;
		goto out;
	}
	if (snappy) {
		n = snappy_pack(plain + cl, pl, payload, len);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		pl = (size_t)n;
	} else if (len) {
		memcpy(plain + cl, payload, len);
	}
	wl = rlpx_frame_sealed_len((size_t)cl + pl);
	rc = wq_reserve(c, wl);
	if (rc)
		goto out;
	n = rlpx_frame_seal(&c->fr, c->wq + c->wlen, c->wcap - c->wlen, plain,
			    (size_t)cl + pl);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	c->wlen += (size_t)n;
	rc = 0;
out:
	free(plain);
	return rc;
}

size_t rlpxconn_out(const struct rlpxconn *c, const uint8_t **p)
{
	*p = c->wlen ? c->wq + c->woff : NULL;
	return c->wlen;
}

void rlpxconn_out_done(struct rlpxconn *c, size_t n)
{
	if (n >= c->wlen) {
		c->woff = 0;
		c->wlen = 0;
		return;
	}
	c->woff += n;
	c->wlen -= n;
}

uint64_t rlpxconn_next_deadline(const struct rlpxconn *c)
{
	return c->state == RLPXCONN_HANDSHAKE ?
	       rlpx_hs_next_deadline(&c->hs) : UINT64_MAX;
}

int rlpxconn_on_timer(struct rlpxconn *c, uint64_t now)
{
	if (c->state != RLPXCONN_HANDSHAKE)
		return 0;
	if (rlpx_hs_on_timer(&c->hs, now) == -ETIMEDOUT)
		return (int)fail(c, -ETIMEDOUT);
	return 0;
}

const struct rlpx_frame *rlpxconn_frame(const struct rlpxconn *c)
{
	if (c->state != RLPXCONN_FRAMES || c->rbody || c->rhave || c->wlen)
		return NULL;
	return &c->fr;
}

void rlpxconn_fini(struct rlpxconn *c)
{
	if (c->state == RLPXCONN_FRAMES)
		rlpx_frame_fini(&c->fr);
	rlpx_hs_fini(&c->hs);
	if (c->rbuf)
		explicit_bzero(c->rbuf, c->rcap);
	free(c->rbuf);
	free(c->wq);
	memset(c, 0, sizeof(*c));
}
