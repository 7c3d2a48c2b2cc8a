/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv5_engine.c - the discv5 engine fed packets and
 * messages from a peer that holds a session with it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "common/enr.h"
#include "common/rlp.h"
#include "control/discv5/discv5.h"
#include "tests/control/discv5/v5net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS 1000000ull
#define T0 (1700000000ull * 1000000000ull)

/*
 * Each input runs on a fresh two-node network: engine E and raw peer R.
 * Before the input, R handshakes with E (PING), E asks R FINDNODE
 * [256, 255, 0] and a TALKREQ, and R reads both requests, so that every
 * path past the session is reachable. The input is then a list of chunks
 * mode (1) || len (2, big-endian) || body, each followed by 3 ms of
 * network time:
 *   0  body is a raw UDP payload from R's address
 *   1  body is a message plaintext sealed on R's session
 *   2  body is total (1) || records: a NODES answer to E's FINDNODE
 *   3  body[0] * 10 ms more of network time (timeouts, revalidation)
 *   4  body is a message plaintext sent in a new handshake (R junk
 *      packet, E's WHOAREYOU, R's handshake; record when body[0] & 1)
 *   5  body is enr-seq (8) || ...: a WHOAREYOU for E's last packet to R
 *   6  body is a TALKRESP payload for E's TALKREQ (sent once E's
 *      FINDNODE is over: one request per node at a time)
 *   7  as 2, with R's own record (distance 0: it verifies) first
 * Everything E sends goes through v5net, which aborts on a packet over
 * 1280 bytes or a timer that does not advance.
 */

static int talk_h(void *user, const struct discv5_talk_req *req, uint8_t *resp,
		  size_t *resp_len)
{
	(void)user;
	if (req->msg_len && req->msg[0] == 'a')
		return DISCV5_TALK_ASYNC;
	if (req->msg_len > *resp_len)
		return -EMSGSIZE;
	memcpy(resp, req->msg, req->msg_len);
	*resp_len = req->msg_len;
	return 0;
}

static void nodes_cb(void *arg, int err, const struct discv5_node *n,
		     unsigned cnt)
{
	(void)arg;
	(void)err;
	for (unsigned i = 0; i < cnt; i++)
		if (n[i].enr_len > ENR_MAX_SIZE)
			abort();
}

static void talk_cb(void *arg, int err, const uint8_t *resp, size_t len)
{
	(void)arg;
	if (err == 0 && len && !resp)
		abort();
}

struct ctx {
	struct v5net net;
	int e, r;
	struct discv5_msg fn, talk;     /* E's requests as R read them */
	uint8_t fn_pt[DISCV5_PACKET_MAX], talk_pt[DISCV5_PACKET_MAX];
	uint8_t last_nonce[DISCV5_GCM_NONCE_LEN];
	bool have_nonce;
};

/* drain() empties R's inbox, remembering E's requests and the nonce of
 * E's last packet. */
static void drain(struct ctx *c)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_header h;
	struct discv5_msg m;
	struct v5net_pkt p;
	ssize_t len;

	while (v5net_raw_pop(&c->net, c->r, &p)) {
		if (v5net_raw_decode(&c->net, c->r, &p, &h) < 0)
			continue;
		memcpy(c->last_nonce, h.nonce, sizeof(c->last_nonce));
		c->have_nonce = true;
		if (h.flag != DISCV5_FLAG_MESSAGE)
			continue;
		len = v5net_raw_open(&c->net, c->r, &h, pt, sizeof(pt));
		if (len < 0 || discv5_msg_decode(&m, pt, (size_t)len) < 0)
			continue;
		if (m.type == DISCV5_MSG_FINDNODE) {
			memcpy(c->fn_pt, pt, (size_t)len);
			(void)discv5_msg_decode(&c->fn, c->fn_pt, (size_t)len);
		} else if (m.type == DISCV5_MSG_TALKREQ) {
			memcpy(c->talk_pt, pt, (size_t)len);
			(void)discv5_msg_decode(&c->talk, c->talk_pt,
						(size_t)len);
		}
	}
}

static int setup(struct ctx *c)
{
	static const uint16_t dist[] = { 256, 255, 0 };
	struct discv5_config cfg;
	struct discv5_node nr;
	struct discv5_msg m;
	uint8_t ip[16];

	memset(c, 0, sizeof(*c));
	v5net_init(&c->net, T0, 1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ping_interval_ns = 200 * MS;
	cfg.hs_ip_rate = UINT32_MAX;
	cfg.hs_rate = UINT32_MAX;
	v5net_ip4(ip, 11, 0, 0, 1);
	c->e = v5net_add(&c->net, ip, 30303, &cfg);
	v5net_ip4(ip, 11, 0, 1, 1);
	c->r = v5net_add_raw(&c->net, ip, 30304);
	if (c->e < 0 || c->r < 0)
		return -1;
	if (discv5_talk_register(c->net.nodes[c->e]->d,
				 (const uint8_t *)"echo", 4, talk_h, NULL) < 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	m.req_id_len = 1;
	m.ping.enr_seq = 1;
	if (v5net_raw_connect(&c->net, c->r, c->e, &m) < 0)
		return -1;
	v5net_run(&c->net, 3 * MS);
	nr = v5net_node(&c->net, c->r);
	if (discv5_findnode(c->net.nodes[c->e]->d, &nr, dist, 3, c->net.now,
			    nodes_cb, NULL) < 0 ||
	    discv5_talk(c->net.nodes[c->e]->d, &nr, (const uint8_t *)"t", 1,
			(const uint8_t *)"q", 1, c->net.now, talk_cb, NULL) < 0)
		return -1;
	v5net_run(&c->net, 3 * MS);
	drain(c);
	return c->fn.type == DISCV5_MSG_FINDNODE ? 0 : -1;
}

static void send_nodes(struct ctx *c, const uint8_t *b, size_t len, bool own)
{
	static uint8_t enrs[DISCV5_PACKET_MAX + ENR_MAX_SIZE];
	struct discv5_msg m;
	struct rlp_item it;
	size_t off = 1, n0 = 0;
	ssize_t n;

	if (len < 1)
		return;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_NODES;
	m.req_id_len = c->fn.req_id_len;
	memcpy(m.req_id, c->fn.req_id, c->fn.req_id_len);
	m.nodes.total = b[0];
	if (own) {
		n = enr_encode(enrs, ENR_MAX_SIZE,
			       localnode_record(&c->net.nodes[c->r]->ln));
		if (n < 0)
			abort();
		n0 = (size_t)n;
		m.nodes.n = 1;
	}
	/* Whole RLP lists only: the encoder refuses anything else. */
	while (off < len && (n = rlp_next(&it, b + off, len - off)) > 0 &&
	       it.is_list) {
		off += (size_t)n;
		m.nodes.n++;
	}
	memcpy(enrs + n0, b + 1, off - 1);
	m.nodes.enrs = enrs;
	m.nodes.enrs_len = n0 + off - 1;
	(void)v5net_raw_send(&c->net, c->r, c->e, &m);
}

static void new_handshake(struct ctx *c, const uint8_t *b, size_t len)
{
	struct discv5_header h;
	struct discv5_msg m;
	struct v5net_pkt p;

	if (len < 1 || discv5_msg_decode(&m, b + 1, len - 1) < 0)
		return;
	if (discv5_msg_is_topic(m.type))
		return;                 /* the encoder has no topic messages */
	drain(c);
	if (v5net_raw_random(&c->net, c->r, c->e, NULL) < 0)
		return;
	v5net_run(&c->net, 3 * MS);
	while (v5net_raw_pop(&c->net, c->r, &p))
		if (v5net_raw_decode(&c->net, c->r, &p, &h) == 0 &&
		    h.flag == DISCV5_FLAG_WHOAREYOU) {
			(void)v5net_raw_handshake(&c->net, c->r, c->e, &h, &m,
						  b[0] & 1);
			return;
		}
}

static void whoareyou(struct ctx *c, const uint8_t *b, size_t len)
{
	uint8_t challenge[DISCV5_CHALLENGE_LEN];
	uint64_t seq = 0;

	if (!c->have_nonce)
		return;
	for (size_t i = 0; i < 8 && i < len; i++)
		seq = seq << 8 | b[i];
	(void)v5net_raw_whoareyou(&c->net, c->r, c->e, c->last_nonce, seq,
				  challenge);
}

static void talkresp(struct ctx *c, const uint8_t *b, size_t len)
{
	struct discv5_msg m;

	if (c->talk.type != DISCV5_MSG_TALKREQ)
		return;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_TALKRESP;
	m.req_id_len = c->talk.req_id_len;
	memcpy(m.req_id, c->talk.req_id, c->talk.req_id_len);
	m.talkresp.resp = b;
	m.talkresp.resp_len = len;
	(void)v5net_raw_send(&c->net, c->r, c->e, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	size_t off = 0;

	if (setup(&c) < 0)
		abort();
	while (off + 3 <= size) {
		uint8_t mode = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		const uint8_t *b = data + off + 3;

		off += 3;
		if (len > size - off)
			len = size - off;
		off += len;
		switch (mode % 8) {
		case 0:
			v5net_inject(&c.net, c.net.nodes[c.r]->ip,
				     c.net.nodes[c.r]->port, (unsigned)c.e, b,
				     len);
			break;
		case 1:
			if (len)
				(void)v5net_raw_send_pt(&c.net, c.r, c.e, b,
							len);
			break;
		case 2:
		case 7:
			send_nodes(&c, b, len, mode % 8 == 7);
			break;
		case 3:
			v5net_run(&c.net, (len ? b[0] : 1) * 10 * MS);
			break;
		case 4:
			new_handshake(&c, b, len);
			break;
		case 5:
			whoareyou(&c, b, len);
			break;
		case 6:
			talkresp(&c, b, len);
			break;
		}
		v5net_run(&c.net, 3 * MS);
		drain(&c);
	}
	v5net_run(&c.net, 2000 * MS);   /* every timeout fires */
	v5net_fini(&c.net);
	return 0;
}
