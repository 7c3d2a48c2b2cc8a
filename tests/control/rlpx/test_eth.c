/* SPDX-License-Identifier: MIT */
/* tests/control/rlpx/test_eth.c - eth/68 and eth/69 Status codec and checks, sessions between two hosts, empty answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

/* Independent oracle: a 20-line Python RLP encoder (tests/control/
 * test_eth.c history) of [68, 1, 0x400000000, 0x11..11, mainnet genesis,
 * [0xfc64ec04, 1150000]] and [69, 1, genesis, [0x07c9462e, 0], 0,
 * 23000000, 0x11..11]. */
static const char status68_hex[] =
	"f8544401850400000000a0111111111111111111111111111111111111111111"
	"1111111111111111111111a0d4e56740f876aef8c010b86a40d5f56745a118d0"
	"906a34e69aec8c0db1cb8fa3c984fc64ec0483118c30";
static const char status69_hex[] =
	"f8514501a0d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c"
	"0db1cb8fa3c68407c9462e808084015ef3c0a011111111111111111111111111"
	"11111111111111111111111111111111111111";

static void test_eth_status_vectors(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct eth_status s68 = { 0 }, s69 = { 0 }, back;
	uint8_t want[128], buf[128];
	size_t wn;
	ssize_t n;

	(void)state;
	s68.version = 68;
	s68.network_id = 1;
	s68.td[0] = 0x04;       /* 0x0400000000: mainnet genesis difficulty */
	s68.td_len = 5;
	memset(s68.head, 0x11, 32);
	memcpy(s68.genesis, m->genesis, 32);
	forkid_compute(&s68.forkid, m, 0, 0);
	wn = unhex(want, sizeof(want), status68_hex);
	n = eth_status_encode(buf, sizeof(buf), &s68);
	assert_int_equal(n, (ssize_t)wn);
	assert_memory_equal(buf, want, wn);
	assert_int_equal(eth_status_decode(&back, 68, want, wn), (ssize_t)wn);
	assert_memory_equal(&back, &s68, sizeof(back));

	s69.version = 69;
	s69.network_id = 1;
	memcpy(s69.genesis, m->genesis, 32);
	forkid_compute(&s69.forkid, m, 30000000, 2000000000);
	s69.latest = 23000000;
	memset(s69.latest_hash, 0x11, 32);
	wn = unhex(want, sizeof(want), status69_hex);
	n = eth_status_encode(buf, sizeof(buf), &s69);
	assert_int_equal(n, (ssize_t)wn);
	assert_memory_equal(buf, want, wn);
	assert_int_equal(eth_status_decode(&back, 69, want, wn), (ssize_t)wn);
	assert_memory_equal(&back, &s69, sizeof(back));

	/* Layout follows the negotiated version, not the message. */
	assert_int_equal(eth_status_decode(&back, 69, buf, 0), -EMSGSIZE);
	wn = unhex(want, sizeof(want), status68_hex);
	assert_int_equal(eth_status_decode(&back, 69, want, wn), -EBADMSG);
	assert_int_equal(eth_status_decode(&back, 67, want, wn), -EINVAL);
	s68.version = 67;
	assert_int_equal(eth_status_encode(buf, sizeof(buf), &s68), -EINVAL);
	s68.version = 68;
	assert_int_equal(eth_status_encode(buf, 40, &s68), -EMSGSIZE);
}

static void test_eth_status_decode_rejects(void **state)
{
	uint8_t buf[256], bad[256];
	struct eth_status st;
	size_t n;

	(void)state;
	n = unhex(buf, sizeof(buf), status68_hex);
	for (size_t i = 0; i < n; i++)
		assert_true(eth_status_decode(&st, 68, buf, i) < 0);
	/* blockhash of 31 bytes */
	memcpy(bad, buf, n);
	bad[1] = 0x53;
	bad[9] = 0x9f;
	memmove(bad + 10, bad + 11, n - 11);
	assert_int_equal(eth_status_decode(&st, 68, bad, n - 1), -EBADMSG);
	/* td with a leading zero byte (non-canonical integer) */
	memcpy(bad, buf, n);
	bad[4] = 0x00;
	assert_int_equal(eth_status_decode(&st, 68, bad, n), -EBADMSG);
	/* fork hash of 3 bytes: ... c8 83 64ec04 83118c30 */
	memcpy(bad, buf, n);
	bad[1] = 0x53;
	bad[n - 10] = 0xc8;
	bad[n - 9] = 0x83;
	memmove(bad + n - 8, bad + n - 7, 7);
	assert_int_equal(eth_status_decode(&st, 68, bad, n - 1), -EBADMSG);
	/* Extra trailing elements are tolerated. */
	memcpy(bad, buf, n);
	bad[1] = 0x55;
	bad[n] = 0x80;
	assert_int_equal(eth_status_decode(&st, 68, bad, n + 1),
			 (ssize_t)n + 1);
}

static void test_eth_status_check(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct eth_config cfg = { .chain = m, .head_block = 23000000,
				  .head_time = 1760000000 };
	struct eth e;
	struct eth_status st;

	(void)state;
	assert_int_equal(eth_init(&e, &cfg), 0);
	eth_local_status(&e, &st, 69);
	assert_int_equal(st.forkid.hash, 0xc376cf8b);           /* Prague */
	assert_true(st.forkid.next == 1764798551);
	assert_int_equal(eth_status_check(&e, &st, 69), ETH_OK);
	assert_int_equal(eth_status_check(&e, &st, 68), ETH_ERR_VERSION);
	st.network_id = 11155111;
	assert_int_equal(eth_status_check(&e, &st, 69), ETH_ERR_NETWORK);
	st.network_id = 1;
	st.genesis[5] ^= 1;
	assert_int_equal(eth_status_check(&e, &st, 69), ETH_ERR_GENESIS);
	st.genesis[5] ^= 1;
	st.forkid.hash = 0xdce96c2d;                    /* Shanghai, no next */
	st.forkid.next = 0;
	assert_int_equal(eth_status_check(&e, &st, 69),
			 ETH_ERR_FORKID_REMOTE_STALE);
	st.forkid.hash = 0x12345678;
	assert_int_equal(eth_status_check(&e, &st, 69),
			 ETH_ERR_FORKID_INCOMPATIBLE);
	eth_local_status(&e, &st, 69);
	st.earliest = st.latest + 1;
	assert_int_equal(eth_status_check(&e, &st, 69), ETH_ERR_BLOCK_RANGE);
	assert_string_equal(eth_err_name(ETH_ERR_NETWORK),
			    "network id mismatch");
	cfg.chain = NULL;
	assert_int_equal(eth_init(&e, &cfg), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Two hosts                                                           */

#define MAX_SENT 32

struct sent {
	uint64_t session, code;
	uint8_t payload[512];
	size_t len;
};

struct side {
	struct p2p_host *h;
	struct eth eth;
	struct sent sent[MAX_SENT];
	size_t n_sent;
	int closes;
	int statuses;
	enum eth_err last_err;
	int status_ret;
	uint8_t closed_reason;
	bool closed_remote;
};

static int s_send(void *user, uint64_t session, uint64_t code,
		  const uint8_t *payload, size_t len)
{
	struct side *s = user;
	struct sent *m;

	assert_true(s->n_sent < MAX_SENT);
	m = &s->sent[s->n_sent++];
	m->session = session;
	m->code = code;
	assert_true(len <= sizeof(m->payload));
	memcpy(m->payload, payload, len);
	m->len = len;
	return 0;
}

static void s_close(void *user, uint64_t session)
{
	struct side *s = user;

	(void)session;
	s->closes++;
}

static void s_closed(void *user, struct p2p_peer *peer, uint8_t reason,
		     bool remote)
{
	struct side *s = user;

	(void)peer;
	s->closed_reason = reason;
	s->closed_remote = remote;
}

static int s_status(void *user, struct p2p_peer *peer,
		    const struct eth_status *st, enum eth_err err)
{
	struct side *s = user;

	(void)peer;
	(void)st;
	s->statuses++;
	s->last_err = err;
	return s->status_ret;
}

static void side_init(struct side *s, uint8_t id_base,
		      const struct forkid_chain *chain, bool only68)
{
	uint8_t id[P2P_ID_LEN];
	struct p2p_host_config cfg = {
		.id = id, .max_peers = 4,
		.ops = { .send = s_send, .close = s_close,
			 .on_closed = s_closed },
		.user = s,
	};
	struct eth_config ec = { .chain = chain, .head_block = 23000000,
				 .head_time = 1760000000,
				 .on_status = s_status, .user = s };

	memset(s, 0, sizeof(*s));
	s->status_ret = -1;
	for (int i = 0; i < P2P_ID_LEN; i++)
		id[i] = (uint8_t)(id_base + i);
	assert_int_equal(p2p_host_new(&s->h, &cfg), 0);
	assert_int_equal(eth_init(&s->eth, &ec), 0);
	if (only68)
		assert_int_equal(p2p_register(s->h, &s->eth.proto68), 0);
	else
		assert_int_equal(eth_register(&s->eth, s->h), 0);
}

static void pump(struct side *a, struct side *b)
{
	size_t ia = 0, ib = 0;

	while (ia < a->n_sent || ib < b->n_sent) {
		if (ia < a->n_sent) {
			struct sent *m = &a->sent[ia++];

			p2p_on_msg(b->h, m->session, m->code, m->payload,
				   m->len, 1);
		}
		if (ib < b->n_sent) {
			struct sent *m = &b->sent[ib++];

			p2p_on_msg(a->h, m->session, m->code, m->payload,
				   m->len, 1);
		}
	}
	a->n_sent = b->n_sent = 0;
}

static void connect(struct side *a, struct side *b, struct p2p_peer **pa,
		    struct p2p_peer **pb)
{
	uint8_t ida[P2P_ID_LEN], idb[P2P_ID_LEN];

	for (int i = 0; i < P2P_ID_LEN; i++) {
		ida[i] = (uint8_t)(1 + i);
		idb[i] = (uint8_t)(100 + i);
	}
	assert_int_equal(p2p_peer_start(a->h, pa, 1, idb, false, 0), 0);
	assert_int_equal(p2p_peer_start(b->h, pb, 1, ida, true, 0), 0);
}

static uint8_t sent_disconnect(const struct side *s)
{
	for (size_t i = 0; i < s->n_sent; i++)
		if (s->sent[i].code == P2P_MSG_DISCONNECT) {
			uint8_t r;

			assert_true(p2p_disconnect_decode(&r, s->sent[i].payload,
							  s->sent[i].len) > 0);
			return r;
		}
	return P2P_DISC_NONE;
}

static void test_eth_session_ok(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct side a, b;
	struct p2p_peer *pa, *pb;
	const struct eth_status *rs;

	(void)state;
	side_init(&a, 1, m, false);
	side_init(&b, 100, m, false);
	connect(&a, &b, &pa, &pb);
	pump(&a, &b);
	assert_true(p2p_peer_active(pa));
	assert_true(p2p_peer_active(pb));
	assert_int_equal(a.statuses, 1);
	assert_int_equal(a.last_err, ETH_OK);
	rs = eth_peer_status(&a.eth, pa);
	assert_non_null(rs);
	assert_int_equal(rs->version, 69);
	assert_true(rs->network_id == 1);
	assert_int_equal(rs->forkid.hash, 0xc376cf8b);
	assert_int_equal(a.eth.n_status_ok, 1);
	p2p_host_free(a.h);
	p2p_host_free(b.h);

	/* An eth/68-only peer: Status in the 68 layout. */
	side_init(&a, 1, m, false);
	side_init(&b, 100, m, true);
	connect(&a, &b, &pa, &pb);
	/* Peek at B's Status before pumping: code 0x10, version 68. */
	pump(&a, &b);
	rs = eth_peer_status(&a.eth, pa);
	assert_non_null(rs);
	assert_int_equal(rs->version, 68);
	assert_non_null(eth_peer_status(&b.eth, pb));
	assert_true(p2p_peer_active(pa));
	p2p_host_free(a.h);
	p2p_host_free(b.h);
}

static void test_eth_session_rejects(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct forkid_chain other_genesis, stale, forked;
	const uint64_t extra_time[] = { 1700000000 };
	uint64_t times[FORKID_MAX_FORKS + 1];
	struct {
		const struct forkid_chain *chain_b;
		enum eth_err want;
	} cases[4];

	(void)state;
	/* Same network id, another genesis. */
	other_genesis = *m;
	other_genesis.genesis[0] ^= 0xff;
	/* Mainnet software without the time forks: announces Gray
	 * Glacier with no next fork while we are past Shanghai. */
	assert_int_equal(forkid_chain_init(&stale, "stale", 1, m->genesis, 0,
					   m->block_forks, m->n_block, NULL,
					   0), 0);
	/* A fork we do not know between Shanghai and Cancun. */
	memcpy(times, m->time_forks, m->n_time * sizeof(uint64_t));
	times[m->n_time] = extra_time[0];
	assert_int_equal(forkid_chain_init(&forked, "forked", 1, m->genesis,
					   0, m->block_forks, m->n_block,
					   times, m->n_time + 1), 0);
	cases[0].chain_b = forkid_chain_by_name("sepolia");
	cases[0].want = ETH_ERR_NETWORK;
	cases[1].chain_b = &other_genesis;
	cases[1].want = ETH_ERR_GENESIS;
	cases[2].chain_b = &stale;
	cases[2].want = ETH_ERR_FORKID_REMOTE_STALE;
	cases[3].chain_b = &forked;
	cases[3].want = ETH_ERR_FORKID_INCOMPATIBLE;
	for (size_t i = 0; i < 4; i++) {
		struct side a, b;
		struct p2p_peer *pa, *pb;

		side_init(&a, 1, m, false);
		side_init(&b, 100, cases[i].chain_b, false);
		connect(&a, &b, &pa, &pb);
		/* A's Hello to B, then B's Hello and Status to A. */
		p2p_on_msg(b.h, 1, a.sent[0].code, a.sent[0].payload,
			   a.sent[0].len, 1);
		for (size_t j = 0; j < b.n_sent; j++)
			p2p_on_msg(a.h, 1, b.sent[j].code, b.sent[j].payload,
				   b.sent[j].len, 1);
		if (a.last_err != cases[i].want)
			fail_msg("case %zu: %s, want %s", i,
				 eth_err_name(a.last_err),
				 eth_err_name(cases[i].want));
		assert_int_equal(a.statuses, 1);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		assert_false(p2p_peer_active(pa));
		/* The remote's Status stays readable until the close. */
		assert_non_null(eth_peer_status(&a.eth, pa));
		assert_true(eth_peer_status(&a.eth, pa)->network_id ==
			    cases[i].chain_b->network_id);
		assert_int_equal(a.eth.n_status_rejected, 1);
		assert_int_equal(p2p_peer_closed(a.h, 1, 2), 0);
		assert_int_equal(a.closed_reason, P2P_DISC_SUBPROTOCOL_ERROR);
		(void)pb;
		p2p_host_free(a.h);
		p2p_host_free(b.h);
	}
}

static void test_eth_on_status_drop(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct side a, b;
	struct p2p_peer *pa, *pb;

	(void)state;
	/* A crawler: record the Status, then leave with "requested". */
	side_init(&a, 1, m, false);
	side_init(&b, 100, m, false);
	a.status_ret = P2P_DISC_REQUESTED;
	connect(&a, &b, &pa, &pb);
	p2p_on_msg(b.h, 1, a.sent[0].code, a.sent[0].payload, a.sent[0].len,
		   1);
	for (size_t j = 0; j < b.n_sent; j++)
		p2p_on_msg(a.h, 1, b.sent[j].code, b.sent[j].payload,
			   b.sent[j].len, 1);
	assert_int_equal(a.statuses, 1);
	assert_int_equal(a.last_err, ETH_OK);
	assert_int_equal(sent_disconnect(&a), P2P_DISC_REQUESTED);
	assert_false(p2p_peer_active(pa));
	(void)pb;
	p2p_host_free(a.h);
	p2p_host_free(b.h);
}

/* Finds the last message A sent with wire code. */
static const struct sent *find_sent(const struct side *s, uint64_t code)
{
	for (size_t i = s->n_sent; i-- > 0;)
		if (s->sent[i].code == code)
			return &s->sent[i];
	return NULL;
}

static void test_eth_empty_answers(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	static const struct {
		uint64_t req, resp;
		const char *payload;
	} cases[] = {
		/* [0x1234, [start 100, limit 10, skip 0, reverse 0]] */
		{ ETH_GET_BLOCK_HEADERS, ETH_BLOCK_HEADERS, "c8821234c4640a8080" },
		/* by hash */
		{ ETH_GET_BLOCK_HEADERS, ETH_BLOCK_HEADERS,
		  "e8821234e4a0111111111111111111111111111111111111111111111111"
		  "1111111111111111018080" },
		{ ETH_GET_BLOCK_BODIES, ETH_BLOCK_BODIES,
		  "e5821234e1a0111111111111111111111111111111111111111111111111"
		  "1111111111111111" },
		{ ETH_GET_POOLED_TXS, ETH_POOLED_TXS, "c4821234c0" },
		{ ETH_GET_RECEIPTS, ETH_RECEIPTS, "c4821234c0" },
	};
	struct side a, b;
	struct p2p_peer *pa, *pb;
	uint8_t buf[128];

	(void)state;
	side_init(&a, 1, m, false);
	side_init(&b, 100, m, false);
	connect(&a, &b, &pa, &pb);
	pump(&a, &b);
	assert_true(p2p_peer_active(pa));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(buf, sizeof(buf), cases[i].payload);
		const struct sent *r;

		a.n_sent = 0;
		/* eth/69 is at offset 0x10 (the only shared cap). */
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + cases[i].req, buf,
					    n, 2), 0);
		r = find_sent(&a, 0x10 + cases[i].resp);
		assert_non_null(r);
		/* [0x1234, []] */
		assert_int_equal(r->len, 5);
		assert_memory_equal(r->payload, "\xc4\x82\x12\x34\xc0", 5);
		assert_true(p2p_peer_active(pa));
	}
	assert_true(a.eth.n_requests_answered == 5);
	/* Announcements are ignored; BlockRangeUpdate is checked. */
	a.n_sent = 0;
	assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + ETH_TRANSACTIONS,
				    (const uint8_t *)"\xc0", 1, 3), 0);
	assert_int_equal(a.n_sent, 0);
	{
		/* [5, 9, 0x11..] ok, then [9, 5, ...] rejected */
		uint8_t ok[64] = { 0xe3, 0x05, 0x09, 0xa0 };
		memset(ok + 4, 0x11, 32);
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + 0x11, ok, 36, 3), 0);
		assert_true(p2p_peer_active(pa));
		assert_true(eth_peer_status(&a.eth, pa)->latest == 9);
		ok[1] = 0x09;
		ok[2] = 0x05;
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + 0x11, ok, 36, 3), 0);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
	}
	(void)pb;
	p2p_host_free(a.h);
	p2p_host_free(b.h);
}

static void test_eth_protocol_errors(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	static const struct {
		uint64_t code;
		const char *payload;
	} cases[] = {
		{ ETH_GET_BLOCK_HEADERS, "c0" },        /* no request id */
		{ ETH_GET_BLOCK_HEADERS, "c2c0c0" },    /* id is a list */
		{ ETH_GET_BLOCK_BODIES, "8100" },       /* not a list */
		{ ETH_STATUS, "c0" },                   /* second Status */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct side a, b;
		struct p2p_peer *pa, *pb;
		uint8_t buf[16];
		size_t n = unhex(buf, sizeof(buf), cases[i].payload);

		side_init(&a, 1, m, false);
		side_init(&b, 100, m, false);
		connect(&a, &b, &pa, &pb);
		pump(&a, &b);
		assert_true(p2p_peer_active(pa));
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + cases[i].code, buf,
					    n, 2), 0);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		(void)pb;
		p2p_host_free(a.h);
		p2p_host_free(b.h);
	}
	/* A request before the remote's Status. */
	{
		struct side a, b;
		struct p2p_peer *pa, *pb;

		side_init(&a, 1, m, false);
		side_init(&b, 100, m, false);
		connect(&a, &b, &pa, &pb);
		/* B's Hello only. */
		assert_int_equal(b.sent[0].code, P2P_MSG_HELLO);
		p2p_on_msg(a.h, 1, 0, b.sent[0].payload, b.sent[0].len, 1);
		assert_true(p2p_peer_active(pa));
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + ETH_GET_RECEIPTS,
					    (const uint8_t *)"\xc3\x01\xc0"
					    "\x80", 4, 2), 0);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		(void)pb;
		p2p_host_free(a.h);
		p2p_host_free(b.h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_status_vectors),
		cmocka_unit_test(test_eth_status_decode_rejects),
		cmocka_unit_test(test_eth_status_check),
		cmocka_unit_test(test_eth_session_ok),
		cmocka_unit_test(test_eth_session_rejects),
		cmocka_unit_test(test_eth_on_status_drop),
		cmocka_unit_test(test_eth_empty_answers),
		cmocka_unit_test(test_eth_protocol_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
