/* SPDX-License-Identifier: MIT */
/* tests/control/test_eth.c - eth/68..eth/72: Status codec and checks, every message of every version against geth's own handler, block ranges, offsets, sessions between two hosts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/rlp.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"

/*
 * Where the expected bytes come from. Unless a comment says otherwise they
 * were produced by go-ethereum, not by this code:
 *   - "geth v1.17.10": a Go test placed in a copy of go-ethereum v1.17.10's
 *     eth/protocols/eth package feeds each payload to geth's own message
 *     handler (Handle, through newTestPeer) on a chain holding only its
 *     genesis block, the peer at the row's version, and prints geth's
 *     reply, or the error it drops the peer with, or nothing (accepted).
 *   - "geth v1.17.0": the same against v1.17.0, the last release with
 *     eth/68 (v1.17.1 dropped it), for the eth/68 rows.
 *   - Status bytes: rlp.EncodeToBytes(&eth.StatusPacket{...}) and
 *     rlp.DecodeBytes into it (v1.17.10); the fresh-Sepolia Status with
 *     core.DefaultSepoliaGenesisBlock() and forkid.NewID(config, genesis,
 *     0, genesis.Time()), as geth's Handshake computes it.
 *   - Offsets: geth v1.17.10 p2p.matchProtocols() on the same caps.
 */

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Versions                                                            */

static void test_eth_versions(void **state)
{
	static const struct {
		uint32_t v;
		uint16_t len;
	} want[] = {    /* geth protocolLengths (v1.17.0 for 68) */
		{ 68, 17 }, { 69, 18 }, { 70, 18 }, { 71, 20 }, { 72, 22 },
	};
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct eth_config cfg = { .chain = m };
	struct eth e;

	(void)state;
	assert_int_equal(eth_init(&e, &cfg), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct p2p_proto *p = eth_proto(&e, want[i].v);

		assert_int_equal(eth_msg_count(want[i].v), want[i].len);
		assert_non_null(p);
		assert_string_equal(p->name, "eth");
		assert_int_equal(p->version, want[i].v);
		assert_int_equal(p->length, want[i].len);
	}
	assert_int_equal(eth_msg_count(67), 0);
	assert_int_equal(eth_msg_count(73), 0);
	assert_null(eth_proto(&e, 67));
	assert_null(eth_proto(&e, 73));
}

/* ------------------------------------------------------------------ */
/* Status codec                                                        */

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
	/* eth/69..72 share the layout; only the version element differs. */
	for (uint32_t v = 69; v <= 72; v++) {
		s69.version = v;
		want[2] = (uint8_t)v;
		assert_int_equal(eth_status_encode(buf, sizeof(buf), &s69),
				 (ssize_t)wn);
		assert_memory_equal(buf, want, wn);
		assert_int_equal(eth_status_decode(&back, v, want, wn),
				 (ssize_t)wn);
		assert_memory_equal(&back, &s69, sizeof(back));
	}

	/* Layout follows the negotiated version, not the message. */
	assert_int_equal(eth_status_decode(&back, 69, buf, 0), -EMSGSIZE);
	wn = unhex(want, sizeof(want), status68_hex);
	assert_int_equal(eth_status_decode(&back, 69, want, wn), -EBADMSG);
	assert_int_equal(eth_status_decode(&back, 72, want, wn), -EBADMSG);
	assert_int_equal(eth_status_decode(&back, 67, want, wn), -EINVAL);
	assert_int_equal(eth_status_decode(&back, 73, want, wn), -EINVAL);
	s68.version = 67;
	assert_int_equal(eth_status_encode(buf, sizeof(buf), &s68), -EINVAL);
	s68.version = 73;
	assert_int_equal(eth_status_encode(buf, sizeof(buf), &s68), -EINVAL);
	s68.version = 68;
	assert_int_equal(eth_status_encode(buf, 40, &s68), -EMSGSIZE);
	s68.td_len = ETH_TD_MAX + 1;
	assert_int_equal(eth_status_encode(buf, sizeof(buf), &s68), -EINVAL);
}

/* geth v1.17.10: StatusPacket encodings (genesis 0x55.., fork id
 * fe3366e7/1735371, network 11155111) and what rlp.DecodeBytes plus
 * BlockRangeUpdatePacket.Validate() say of them. */
enum st_kind {
	ST_OK,          /* decodes, valid */
	ST_RANGE,       /* decodes; geth: "earliest > latest" or "zero latest
			 * hash" (errInvalidBlockRange) */
	ST_BAD,         /* geth: rlp decode error */
	ST_TRAILING,    /* one byte after the list: geth's DecodeBytes
			 * refuses it, but the handshake's msg.Decode reads one
			 * value from the stream and accepts it */
};

static const struct {
	const char *name;
	enum st_kind kind;
	const char *hex;
} geth_status[] = {
	{ "ok72", ST_OK,
	  "f8534883aa36a7a05555555555555555555555555555555555555555"
	  "555555555555555555555555c984fe3366e7831a7acb8080a0555555"
	  "55555555555555555555555555555555555555555555555555555555"
	  "55" },
	{ "ok69", ST_OK,
	  "f8534583aa36a7a05555555555555555555555555555555555555555"
	  "555555555555555555555555c984fe3366e7831a7acb0a14a0666666"
	  "66666666666666666666666666666666666666666666666666666666"
	  "66" },
	{ "bad_range", ST_RANGE,
	  "f8534683aa36a7a05555555555555555555555555555555555555555"
	  "555555555555555555555555c984fe3366e7831a7acb1514a0666666"
	  "66666666666666666666666666666666666666666666666666666666"
	  "66" },
	{ "bad_zerohash", ST_RANGE,
	  "f8534783aa36a7a05555555555555555555555555555555555555555"
	  "555555555555555555555555c984fe3366e7831a7acb8014a0000000"
	  "00000000000000000000000000000000000000000000000000000000"
	  "00" },
	{ "extra", ST_BAD,
	  "f8514801a05555555555555555555555555555555555555555555555"
	  "555555555555555555c984fe3366e7831a7acb8080a0555555555555"
	  "555555555555555555555555555555555555555555555555555501" },
	{ "short", ST_BAD,
	  "ef4801a0555555555555555555555555555555555555555555555555"
	  "5555555555555555c984fe3366e7831a7acb8080" },
	{ "ver_u64", ST_BAD,
	  "f85585010000000001a0555555555555555555555555555555555555"
	  "5555555555555555555555555555c984fe3366e7831a7acb8080a055"
	  "55555555555555555555555555555555555555555555555555555555"
	  "555555" },
	{ "forkhash3", ST_BAD,
	  "f84c4801a05555555555555555555555555555555555555555555555"
	  "555555555555555555c583010203808080a055555555555555555555"
	  "55555555555555555555555555555555555555555555" },
	{ "forkid_extra", ST_BAD,
	  "f84e4801a05555555555555555555555555555555555555555555555"
	  "555555555555555555c7840102030480808080a05555555555555555"
	  "555555555555555555555555555555555555555555555555" },
	{ "genesis31", ST_BAD,
	  "f84f48019f0000000000000000000000000000000000000000000000"
	  "0000000000000000c984fe3366e7831a7acb8080a055555555555555"
	  "55555555555555555555555555555555555555555555555555" },
	{ "trailing_bytes", ST_TRAILING,
	  "f8534883aa36a7a05555555555555555555555555555555555555555"
	  "555555555555555555555555c984fe3366e7831a7acb8080a0555555"
	  "55555555555555555555555555555555555555555555555555555555"
	  "5580" },
};

static void test_eth_status_geth(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(geth_status) / sizeof(geth_status[0]);
	     i++) {
		uint8_t buf[128], out[128];
		struct eth_status st;
		size_t n = unhex(buf, sizeof(buf), geth_status[i].hex);
		ssize_t r = eth_status_decode(&st, 72, buf, n);
		ssize_t w;

		switch (geth_status[i].kind) {
		case ST_OK:
		case ST_RANGE:
			if (r != (ssize_t)n)
				fail_msg("%s: decode %zd", geth_status[i].name,
					 r);
			assert_true(st.network_id == 11155111);
			assert_int_equal(st.forkid.hash, 0xfe3366e7);
			assert_true(st.forkid.next == 1735371);
			/* Our encoder writes the same bytes, or refuses
			 * what geth refuses. */
			w = eth_status_encode(out, sizeof(out), &st);
			if (geth_status[i].kind == ST_OK) {
				assert_int_equal(w, (ssize_t)n);
				assert_memory_equal(out, buf, n);
			} else {
				assert_int_equal(w, -EINVAL);
			}
			break;
		case ST_BAD:
			if (r >= 0)
				fail_msg("%s: accepted", geth_status[i].name);
			break;
		case ST_TRAILING:
			assert_int_equal(r, (ssize_t)n - 1);
			break;
		}
	}
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
	/* An extra element: geth's struct decoding refuses it (v1.17.0
	 * StatusPacket68 as v1.17.10 StatusPacket, see geth_status[]). */
	memcpy(bad, buf, n);
	bad[1] = 0x55;
	bad[n] = 0x80;
	assert_int_equal(eth_status_decode(&st, 68, bad, n + 1), -EBADMSG);
	/* A byte after the list is not looked at. */
	memcpy(bad, buf, n);
	bad[n] = 0x80;
	assert_int_equal(eth_status_decode(&st, 68, bad, n + 1), (ssize_t)n);
	/* Not a list. */
	assert_int_equal(eth_status_decode(&st, 72, (const uint8_t *)"\x80",
					   1), -EBADMSG);
}

static void test_eth_status_encode_refuses(void **state)
{
	struct eth_status s = { 0 };
	uint8_t buf[128];

	(void)state;
	s.network_id = 1;
	s.latest = 10;
	memset(s.latest_hash, 0x22, 32);
	for (uint32_t v = 69; v <= 72; v++) {
		s.version = v;
		s.earliest = 10;
		assert_true(eth_status_encode(buf, sizeof(buf), &s) > 0);
		s.earliest = 11;                /* earliest > latest */
		assert_int_equal(eth_status_encode(buf, sizeof(buf), &s),
				 -EINVAL);
		s.earliest = 0;
		memset(s.latest_hash, 0, 32);   /* zero latest hash */
		assert_int_equal(eth_status_encode(buf, sizeof(buf), &s),
				 -EINVAL);
		memset(s.latest_hash, 0x22, 32);
	}
	/* eth/68 has no block range. */
	s.version = 68;
	s.earliest = 11;
	memset(s.latest_hash, 0, 32);
	assert_true(eth_status_encode(buf, sizeof(buf), &s) > 0);
}

static void test_eth_status_check(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct eth_config cfg = { .chain = m, .head_block = 23000000,
				  .head_time = 1760000000 };
	struct eth e;
	struct eth_status st;

	(void)state;
	memset(cfg.head_hash, 0x42, 32);
	assert_int_equal(eth_init(&e, &cfg), 0);
	for (uint32_t v = 68; v <= 72; v++) {
		eth_local_status(&e, &st, v);
		assert_int_equal(st.forkid.hash, 0xc376cf8b);   /* Prague */
		assert_true(st.forkid.next == 1764798551);
		assert_int_equal(eth_status_check(&e, &st, v), ETH_OK);
		assert_int_equal(eth_status_check(&e, &st, v == 72 ? 71 : 72),
				 ETH_ERR_VERSION);
		/* geth checks the network id before the version. */
		st.network_id = 11155111;
		assert_int_equal(eth_status_check(&e, &st, v == 72 ? 71 : 72),
				 ETH_ERR_NETWORK);
		assert_int_equal(eth_status_check(&e, &st, v),
				 ETH_ERR_NETWORK);
		st.network_id = 1;
		st.genesis[5] ^= 1;
		assert_int_equal(eth_status_check(&e, &st, v),
				 ETH_ERR_GENESIS);
		st.genesis[5] ^= 1;
		st.forkid.hash = 0xdce96c2d;            /* Shanghai, no next */
		st.forkid.next = 0;
		assert_int_equal(eth_status_check(&e, &st, v),
				 ETH_ERR_FORKID_REMOTE_STALE);
		st.forkid.hash = 0x12345678;
		assert_int_equal(eth_status_check(&e, &st, v),
				 ETH_ERR_FORKID_INCOMPATIBLE);
		/* eth/69+: the block range, checked last. */
		eth_local_status(&e, &st, v);
		st.earliest = st.latest + 1;
		assert_int_equal(eth_status_check(&e, &st, v),
				 v == 68 ? ETH_OK : ETH_ERR_BLOCK_RANGE);
		st.earliest = st.latest;
		assert_int_equal(eth_status_check(&e, &st, v), ETH_OK);
		memset(st.latest_hash, 0, 32);
		assert_int_equal(eth_status_check(&e, &st, v),
				 v == 68 ? ETH_OK : ETH_ERR_BLOCK_RANGE);
	}
	assert_string_equal(eth_err_name(ETH_ERR_NETWORK),
			    "network id mismatch");
	assert_string_equal(eth_err_name(ETH_ERR_BLOCK_RANGE),
			    "invalid block range");
	cfg.chain = NULL;
	assert_int_equal(eth_init(&e, &cfg), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* The head: fork id, Status, ENR entry                                */

/* geth v1.17.10, a fresh `geth --sepolia` (head = genesis): the eth/72
 * Status its Handshake sends, [72, 11155111, genesis, [fe3366e7,
 * 1735371], 0, 0, genesis]. */
static const char fresh_sepolia72_hex[] =
	"f8534883aa36a7a025a5cc106eea7138acab33231d7160d69cb777ee0c2c553f"
	"cddf5138993e6dd9c984fe3366e7831a7acb8080a025a5cc106eea7138acab33"
	"231d7160d69cb777ee0c2c553fcddf5138993e6dd9";

static void test_eth_fresh_node(void **state)
{
	const struct forkid_chain *s = forkid_chain_by_name("sepolia");
	struct eth_config cfg = { .chain = s };
	struct eth_status st;
	struct forkid id;
	uint8_t want[128], buf[128];
	size_t wn;
	ssize_t n;
	struct eth e;

	(void)state;
	assert_int_equal(eth_init(&e, &cfg), 0);
	wn = unhex(want, sizeof(want), fresh_sepolia72_hex);
	for (uint32_t v = 69; v <= 72; v++) {
		eth_local_status(&e, &st, v);
		n = eth_status_encode(buf, sizeof(buf), &st);
		want[2] = (uint8_t)v;
		assert_int_equal(n, (ssize_t)wn);
		assert_memory_equal(buf, want, wn);
		/* What geth 1.17.10 requires of it. */
		assert_int_equal(eth_status_check(&e, &st, v), ETH_OK);
	}
	/* A synced Sepolia geth v1.17.10 (Amsterdam, 6c1d9423/0: geth's
	 * core/forkid vectors) passes our fresh node's check, and a stale
	 * node with the right past forks but no next fork after BPO2 too:
	 * EIP-2124 rule 4, we are behind both. */
	eth_local_status(&e, &st, 72);
	st.forkid.hash = 0x6c1d9423;
	st.forkid.next = 0;
	assert_int_equal(eth_status_check(&e, &st, 72), ETH_OK);
	st.forkid.hash = 0x268956b6;
	assert_int_equal(eth_status_check(&e, &st, 72), ETH_OK);
	st.forkid.hash = 0x268956b7;
	assert_int_equal(eth_status_check(&e, &st, 72),
			 ETH_ERR_FORKID_INCOMPATIBLE);
	/* The genesis fork id in the ENR: [[fe3366e7, 1735371]]. */
	eth_local_forkid(&e, &id);
	assert_int_equal(id.hash, 0xfe3366e7);
	assert_true(id.next == 1735371);
	n = eth_enr_entry(&e, buf, sizeof(buf));
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "\xca\xc9\x84\xfe\x33\x66\xe7\x83\x1a\x7a"
			    "\xcb", 11);
	assert_int_equal(eth_enr_entry(&e, buf, 10), -EMSGSIZE);
	/* eth/68 on mainnet: the head hash is the genesis; fork id of the
	 * genesis (EIP-2124: fc64ec04/1150000). */
	cfg.chain = forkid_chain_by_name("mainnet");
	assert_int_equal(eth_init(&e, &cfg), 0);
	eth_local_status(&e, &st, 68);
	assert_memory_equal(st.head, cfg.chain->genesis, 32);
	assert_int_equal(st.forkid.hash, 0xfc64ec04);
	assert_true(st.forkid.next == 1150000);
	/* No genesis hash, or a head with no hash: refused. */
	cfg.chain = forkid_chain_by_name("sepolia");
	cfg.head_block = 5;
	assert_int_equal(eth_init(&e, &cfg), -EINVAL);
	{
		struct forkid_chain zero = *cfg.chain;

		memset(zero.genesis, 0, 32);
		cfg.chain = &zero;
		cfg.head_block = 0;
		assert_int_equal(eth_init(&e, &cfg), -EINVAL);
	}
}

static void test_eth_set_head(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct eth_config cfg = { .chain = m, .earliest = 15537394 };
	uint8_t h[32], buf[64];
	struct eth_status st;
	struct forkid id;
	struct eth e;

	(void)state;
	memset(h, 0x42, 32);
	assert_int_equal(eth_init(&e, &cfg), 0);
	/* earliest is clamped to the head (geth: min(latest, cutoff)). */
	eth_local_status(&e, &st, 72);
	assert_true(st.earliest == 0 && st.latest == 0);
	/* No host yet: nothing is announced. */
	assert_int_equal(eth_set_head(&e, 23000000, 1760000000, h, 0), 0);
	eth_local_forkid(&e, &id);
	assert_int_equal(id.hash, 0xc376cf8b);
	eth_local_status(&e, &st, 72);
	assert_true(st.earliest == 15537394 && st.latest == 23000000);
	assert_memory_equal(st.latest_hash, h, 32);
	/* ENR entry follows: [[c376cf8b, 1764798551]]. */
	assert_int_equal(eth_enr_entry(&e, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "\xcb\xca\x84\xc3\x76\xcf\x8b\x84\x69\x30"
			    "\xb0\x57", 12);
	/* A block with no hash is refused and changes nothing. */
	assert_int_equal(eth_set_head(&e, 23000001, 1760000012, NULL, 0),
			 -EINVAL);
	eth_local_status(&e, &st, 72);
	assert_true(st.latest == 23000000);
	/* Back to genesis: NULL hash means the genesis hash. */
	assert_int_equal(eth_set_head(&e, 0, 0, NULL, 0), 0);
	eth_local_status(&e, &st, 69);
	assert_memory_equal(st.latest_hash, m->genesis, 32);
	assert_int_equal(st.forkid.hash, 0xfc64ec04);
}

/* ------------------------------------------------------------------ */
/* BlockRangeUpdate codec                                              */

static void test_eth_block_range_codec(void **state)
{
	/* geth v1.17.10 rows bru, bru_eq, bad_bru_* (see geth_msgs[]). */
	static const struct {
		const char *hex;
		ssize_t want;
	} cases[] = {
		{ "e38005a0333333333333333333333333333333333333333333333333"
		  "3333333333333333", 36 },
		{ "e30505a0333333333333333333333333333333333333333333333333"
		  "3333333333333333", 36 },
		{ "e30605a0333333333333333333333333333333333333333333333333"
		  "3333333333333333", -ERANGE },
		{ "e38005a0000000000000000000000000000000000000000000000000"
		  "0000000000000000", -ERANGE },
		{ "e48005a0333333333333333333333333333333333333333333333333"
		  "333333333333333301", -EBADMSG },
		{ "e280059f000000000000000000000000000000000000000000000000"
		  "00000000000000", -EBADMSG },
		{ "c0", -EBADMSG },
		{ "80", -EBADMSG },
	};
	uint8_t buf[64], out[64], hash[32], h3[32];
	uint64_t e, l;

	(void)state;
	memset(h3, 0x33, 32);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(buf, sizeof(buf), cases[i].hex);

		assert_int_equal(eth_block_range_decode(&e, &l, hash, buf, n),
				 cases[i].want);
		if (cases[i].want < 0)
			continue;
		assert_memory_equal(hash, h3, 32);
		assert_int_equal(eth_block_range_encode(out, sizeof(out), e,
							l, hash), (ssize_t)n);
		assert_memory_equal(out, buf, n);
	}
	assert_int_equal(eth_block_range_encode(out, sizeof(out), 6, 5, h3),
			 -EINVAL);
	memset(hash, 0, 32);
	assert_int_equal(eth_block_range_encode(out, sizeof(out), 0, 5, hash),
			 -EINVAL);
	assert_int_equal(eth_block_range_encode(out, 10, 0, 5, h3),
			 -EMSGSIZE);
}

/* ------------------------------------------------------------------ */
/* Offsets                                                             */

/* geth v1.17.10 p2p.matchProtocols(): local caps (a) eth/68..72, snap/1,
 * snap/2 (lengths 8 and 10, geth's snap protocolLengths) or (b) eth/68..72
 * and ping/1 (length 2), against each remote cap list. */
static void test_eth_offsets_match_geth(void **state)
{
	static const struct {
		bool snap_local;
		const char *remote[6];
		const char *want[3];    /* "name/version@offset", by offset */
	} cases[] = {
		{ true, { "eth/72", "eth/71", "eth/70", "eth/69", "snap/2",
			  "snap/1" }, { "eth/72@16", "snap/2@38" } },
		{ true, { "eth/72", "eth/71", "eth/70", "eth/69", "snap/1" },
		  { "eth/72@16", "snap/1@38" } },
		{ true, { "eth/71", "eth/70", "eth/69", "snap/1" },
		  { "eth/71@16", "snap/1@36" } },
		{ true, { "eth/70", "eth/69", "snap/1" },
		  { "eth/70@16", "snap/1@34" } },
		{ true, { "eth/69", "eth/68", "snap/1" },
		  { "eth/69@16", "snap/1@34" } },
		{ true, { "eth/68", "snap/1" }, { "eth/68@16", "snap/1@33" } },
		{ true, { "eth/68" }, { "eth/68@16" } },
		{ true, { "eth/69" }, { "eth/69@16" } },
		{ true, { "eth/70" }, { "eth/70@16" } },
		{ true, { "eth/71" }, { "eth/71@16" } },
		{ true, { "eth/72" }, { "eth/72@16" } },
		{ true, { "snap/2", "eth/70" }, { "eth/70@16", "snap/2@34" } },
		{ true, { "snap/1", "snap/2", "eth/68", "eth/72", "ping/1" },
		  { "eth/72@16", "snap/2@38" } },
		{ true, { "snap/2" }, { "snap/2@16" } },
		{ true, { "ping/1", "eth/71", "snap/1" },
		  { "eth/71@16", "snap/1@36" } },
		{ false, { "eth/72", "eth/71", "eth/70", "eth/69", "snap/2",
			   "snap/1" }, { "eth/72@16" } },
		{ false, { "eth/69", "eth/68", "snap/1" }, { "eth/69@16" } },
		{ false, { "eth/68", "snap/1" }, { "eth/68@16" } },
		{ false, { "snap/2", "eth/70" }, { "eth/70@16" } },
		{ false, { "snap/1", "snap/2", "eth/68", "eth/72", "ping/1" },
		  { "eth/72@16", "ping/1@38" } },
		{ false, { "snap/2" }, { NULL } },
		{ false, { "ping/1", "eth/71", "snap/1" },
		  { "eth/71@16", "ping/1@36" } },
	};
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct eth_config cfg = { .chain = m };
	struct p2p_proto snap1 = { .name = "snap", .version = 1, .length = 8 };
	struct p2p_proto snap2 = { .name = "snap", .version = 2,
				   .length = 10 };
	struct p2p_proto ping1 = { .name = "ping", .version = 1, .length = 2 };
	struct eth e;

	(void)state;
	assert_int_equal(eth_init(&e, &cfg), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct p2p_proto *local[8];
		struct p2p_cap remote[6];
		struct p2p_shared out[8];
		size_t nl = 0, nr = 0, nw = 0;
		int n;

		for (uint32_t v = 68; v <= 72; v++)
			local[nl++] = eth_proto(&e, v);
		if (cases[i].snap_local) {
			local[nl++] = &snap2;
			local[nl++] = &snap1;
		} else {
			local[nl++] = &ping1;
		}
		for (; nr < 6 && cases[i].remote[nr]; nr++) {
			const char *c = cases[i].remote[nr];
			const char *slash = strchr(c, '/');

			memset(&remote[nr], 0, sizeof(remote[nr]));
			memcpy(remote[nr].name, c, (size_t)(slash - c));
			remote[nr].version = (uint32_t)atoi(slash + 1);
		}
		while (nw < 3 && cases[i].want[nw])
			nw++;
		n = p2p_negotiate(out, 8, local, nl, remote, nr);
		assert_int_equal(n, (int)nw);
		for (size_t j = 0; j < nw; j++) {
			char got[32];

			snprintf(got, sizeof(got), "%s/%u@%u",
				 out[j].proto->name, out[j].proto->version,
				 out[j].offset);
			if (strcmp(got, cases[i].want[j]))
				fail_msg("case %zu: %s, want %s", i, got,
					 cases[i].want[j]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Two hosts                                                           */

#define MAX_SENT 32

struct sent {
	uint64_t session, code;
	uint8_t payload[1100];
	size_t len;
};

struct side {
	struct p2p_host *h;
	struct eth eth;
	struct p2p_proto snap;          /* a protocol after eth */
	int snap_msgs;
	uint64_t snap_code;
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

static int snap_msg(const struct p2p_proto *proto, struct p2p_peer *peer,
		    uint64_t code, const uint8_t *payload, size_t len,
		    uint64_t now_ns)
{
	struct side *s = proto->user;

	(void)peer;
	(void)payload;
	(void)len;
	(void)now_ns;
	s->snap_msgs++;
	s->snap_code = code;
	return 0;
}

#define ALL_VERSIONS 0x1f               /* bit v-68 */
#define VBIT(v) (1u << ((v) - 68))

/* A host running the eth versions in vmask (bit v - 68), and snap/snap_v
 * (0: none) after them. */
static void side_init_snap(struct side *s, uint8_t id_base,
			   const struct forkid_chain *chain, unsigned vmask,
			   uint32_t snap_v)
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
	memset(ec.head_hash, 0x42, 32);
	s->status_ret = -1;
	for (int i = 0; i < P2P_ID_LEN; i++)
		id[i] = (uint8_t)(id_base + i);
	assert_int_equal(p2p_host_new(&s->h, &cfg), 0);
	assert_int_equal(eth_init(&s->eth, &ec), 0);
	if (vmask == ALL_VERSIONS) {
		assert_int_equal(eth_register(&s->eth, s->h), 0);
	} else {
		for (uint32_t v = 72; v >= 68; v--)
			if (vmask & VBIT(v))
				assert_int_equal(p2p_register(s->h,
					eth_proto(&s->eth, v)), 0);
	}
	if (snap_v) {
		s->snap = (struct p2p_proto){
			.name = "snap", .version = snap_v,
			.length = snap_v == 1 ? 8 : 10, .user = s,
			.on_msg = snap_msg,
		};
		assert_int_equal(p2p_register(s->h, &s->snap), 0);
	}
}

static void side_init(struct side *s, uint8_t id_base,
		      const struct forkid_chain *chain, unsigned vmask)
{
	side_init_snap(s, id_base, chain, vmask, 0);
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

/* A (every version) and B (only version v) after the Status exchange. */
static void connected(struct side *a, struct side *b, struct p2p_peer **pa,
		      uint32_t v)
{
	struct p2p_peer *pb;

	side_init(a, 1, forkid_chain_by_name("mainnet"), ALL_VERSIONS);
	side_init(b, 100, forkid_chain_by_name("mainnet"), VBIT(v));
	connect(a, b, pa, &pb);
	pump(a, b);
	assert_true(p2p_peer_active(*pa));
	assert_int_equal(eth_peer_version(&a->eth, *pa), v);
	assert_non_null(eth_peer_status(&a->eth, *pa));
	a->n_sent = 0;
}

static void disconnect_both(struct side *a, struct side *b)
{
	p2p_host_free(a->h);
	p2p_host_free(b->h);
}

static uint8_t sent_disconnect(const struct side *s)
{
	for (size_t i = 0; i < s->n_sent; i++)
		if (s->sent[i].code == P2P_MSG_DISCONNECT) {
			const struct sent *m = &s->sent[i];
			uint8_t r;

			assert_true(p2p_disconnect_decode(&r, m->payload,
							  m->len) > 0);
			return r;
		}
	return P2P_DISC_NONE;
}

static uint64_t drops(const struct eth *e)
{
	return e->n_malformed + e->n_bad_code + e->n_unsolicited;
}

static void test_eth_session_versions(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	static const unsigned masks[] = {
		ALL_VERSIONS, VBIT(68), VBIT(69), VBIT(70), VBIT(71), VBIT(72),
		VBIT(68) | VBIT(69),            /* geth v1.17.0 */
		VBIT(69) | VBIT(70) | VBIT(71) | VBIT(72),      /* v1.17.10 */
	};
	static const uint32_t want[] = { 72, 68, 69, 70, 71, 72, 69, 72 };

	(void)state;
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct side a, b;
		struct p2p_peer *pa, *pb;
		const struct eth_status *rs;

		side_init(&a, 1, m, ALL_VERSIONS);
		side_init(&b, 100, m, masks[i]);
		connect(&a, &b, &pa, &pb);
		/* A's Status goes out at offset 0x10 with code 0. */
		pump(&a, &b);
		assert_true(p2p_peer_active(pa));
		assert_true(p2p_peer_active(pb));
		assert_int_equal(eth_peer_version(&a.eth, pa), want[i]);
		assert_int_equal(eth_peer_version(&b.eth, pb), want[i]);
		assert_int_equal(a.statuses, 1);
		assert_int_equal(a.last_err, ETH_OK);
		rs = eth_peer_status(&a.eth, pa);
		assert_non_null(rs);
		assert_int_equal(rs->version, want[i]);
		assert_true(rs->network_id == 1);
		assert_int_equal(rs->forkid.hash, 0xc376cf8b);
		if (want[i] >= 69) {
			assert_true(rs->latest == 23000000);
		} else {
			assert_true(rs->latest == 0);
			assert_int_equal(rs->head[0], 0x42);
		}
		assert_int_equal(a.eth.n_status_ok, 1);
		assert_int_equal(b.eth.n_status_ok, 1);
		disconnect_both(&a, &b);
	}
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
		for (uint32_t v = 68; v <= 72; v++) {
			struct side a, b;
			struct p2p_peer *pa, *pb;

			side_init(&a, 1, m, ALL_VERSIONS);
			side_init(&b, 100, cases[i].chain_b, VBIT(v));
			connect(&a, &b, &pa, &pb);
			/* A's Hello to B, then B's Hello and Status to A. */
			p2p_on_msg(b.h, 1, a.sent[0].code, a.sent[0].payload,
				   a.sent[0].len, 1);
			for (size_t j = 0; j < b.n_sent; j++)
				p2p_on_msg(a.h, 1, b.sent[j].code,
					   b.sent[j].payload, b.sent[j].len,
					   1);
			if (a.last_err != cases[i].want)
				fail_msg("case %zu eth/%u: %s, want %s", i, v,
					 eth_err_name(a.last_err),
					 eth_err_name(cases[i].want));
			assert_int_equal(a.statuses, 1);
			assert_int_equal(sent_disconnect(&a),
					 P2P_DISC_SUBPROTOCOL_ERROR);
			assert_false(p2p_peer_active(pa));
			/* The remote's Status stays readable until the
			 * close. */
			assert_non_null(eth_peer_status(&a.eth, pa));
			assert_true(eth_peer_status(&a.eth, pa)->network_id ==
				    cases[i].chain_b->network_id);
			assert_int_equal(a.eth.n_status_rejected, 1);
			assert_int_equal(p2p_peer_closed(a.h, 1, 2), 0);
			assert_int_equal(a.closed_reason,
					 P2P_DISC_SUBPROTOCOL_ERROR);
			(void)pb;
			disconnect_both(&a, &b);
		}
	}
}

/* A Status our encoder would never write, injected as B's. */
static void test_eth_session_bad_range_status(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");

	(void)state;
	for (uint32_t v = 69; v <= 72; v++) {
		for (int kind = 0; kind < 2; kind++) {
			struct side a, b;
			struct p2p_peer *pa, *pb;
			struct eth_status st;
			struct rlp_buf rb;
			uint8_t buf[128];
			ssize_t n;

			side_init(&a, 1, m, ALL_VERSIONS);
			side_init(&b, 100, m, VBIT(v));
			connect(&a, &b, &pa, &pb);
			/* B's Hello only. */
			assert_int_equal(b.sent[0].code, P2P_MSG_HELLO);
			p2p_on_msg(a.h, 1, 0, b.sent[0].payload,
				   b.sent[0].len, 1);
			eth_local_status(&b.eth, &st, v);
			if (kind == 0)
				st.earliest = st.latest + 1;
			else
				memset(st.latest_hash, 0, 32);
			rlp_buf_init(&rb, buf, sizeof(buf));
			rlp_list_begin(&rb);
			rlp_put_u64(&rb, st.version);
			rlp_put_u64(&rb, st.network_id);
			rlp_put_bytes(&rb, st.genesis, 32);
			forkid_put(&rb, &st.forkid);
			rlp_put_u64(&rb, st.earliest);
			rlp_put_u64(&rb, st.latest);
			rlp_put_bytes(&rb, st.latest_hash, 32);
			rlp_list_end(&rb);
			n = rlp_buf_finish(&rb);
			assert_true(n > 0);
			a.n_sent = 0;
			p2p_on_msg(a.h, 1, 0x10, buf, (size_t)n, 2);
			assert_int_equal(a.last_err, ETH_ERR_BLOCK_RANGE);
			assert_int_equal(sent_disconnect(&a),
					 P2P_DISC_SUBPROTOCOL_ERROR);
			(void)pb;
			disconnect_both(&a, &b);
		}
	}
}

static void test_eth_on_status_drop(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct side a, b;
	struct p2p_peer *pa, *pb;

	(void)state;
	/* A crawler: record the Status, then leave with "requested". */
	side_init(&a, 1, m, ALL_VERSIONS);
	side_init(&b, 100, m, ALL_VERSIONS);
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
	disconnect_both(&a, &b);
}

/* ------------------------------------------------------------------ */
/* Every message of every version, against geth's handler              */

#define V68 VBIT(68)
#define V69 VBIT(69)
#define V70 VBIT(70)
#define V71 VBIT(71)
#define V72 VBIT(72)
#define V69_72 (V69 | V70 | V71 | V72)
#define V_ALL ALL_VERSIONS

enum outcome {
	REPLY,          /* geth answers with reply_code and reply bytes */
	DROP,           /* geth's handler errors: the peer is dropped */
	IGNORE,         /* geth accepts it and sends nothing */
};

/* geth v1.17.10 for eth/69..72, geth v1.17.0 for eth/68, generated from
 * the same payloads (name prefix "bad_" marks a malformed one). Rows left
 * out here: the eth/68 NewBlockHashes and NewBlock (geth drops the peer,
 * devplane accepts them: test_eth_deviations), codes 0x0b..0x0e (same),
 * and payloads too long for a table (test_eth_long_messages). */
static const struct {
	const char *name;
	unsigned versions;
	uint64_t code;
	enum outcome outcome;
	const char *payload;
	uint64_t reply_code;
	const char *reply;
} geth_msgs[] = {
	{ "hdr_num", V_ALL, 0x03, REPLY,
	  "c8821234c4640a8080",
	  0x04, "c4821234c0" },
	{ "hdr_hash", V_ALL, 0x03, REPLY,
	  "e8821234e4a011111111111111111111111111111111111111111111"
	  "11111111111111111111018080",
	  0x04, "c4821234c0" },
	{ "hdr_rev", V_ALL, 0x03, REPLY,
	  "c807c6821388030501",
	  0x04, "c207c0" },
	{ "hdr_amount0", V_ALL, 0x03, REPLY,
	  "c601c401808080",
	  0x04, "c201c0" },
	{ "hdr_id0", V_ALL, 0x03, REPLY,
	  "c680c409018080",
	  0x04, "c280c0" },
	{ "hdr_idmax", V_ALL, 0x03, REPLY,
	  "ce88ffffffffffffffffc409018080",
	  0x04, "ca88ffffffffffffffffc0" },
	{ "hdr_trailing_bytes", V_ALL, 0x03, REPLY,
	  "c602c40901808080",
	  0x04, "c202c0" },
	{ "bad_hdr_empty", V_ALL, 0x03, DROP,
	  "c0",
	  0, NULL },
	{ "bad_hdr_idlist", V_ALL, 0x03, DROP,
	  "c2c0c0",
	  0, NULL },
	{ "bad_hdr_notlist", V_ALL, 0x03, DROP,
	  "8100",
	  0, NULL },
	{ "bad_hdr_short", V_ALL, 0x03, DROP,
	  "c502c3090180",
	  0, NULL },
	{ "bad_hdr_extra", V_ALL, 0x03, DROP,
	  "c702c40901808001",
	  0, NULL },
	{ "bad_hdr_extra_inner", V_ALL, 0x03, DROP,
	  "c702c50901808080",
	  0, NULL },
	{ "bad_hdr_bool2", V_ALL, 0x03, DROP,
	  "c602c409018002",
	  0, NULL },
	{ "bad_hdr_origin9", V_ALL, 0x03, DROP,
	  "cf02cd89010203040506070809018080",
	  0, NULL },
	{ "bad_hdr_origin31", V_ALL, 0x03, DROP,
	  "e502e39f000000000000000000000000000000000000000000000000"
	  "00000000000000018080",
	  0, NULL },
	{ "bad_hdr_originlist", V_ALL, 0x03, DROP,
	  "c602c4c0018080",
	  0, NULL },
	{ "bad_hdr_id_leading0", V_ALL, 0x03, DROP,
	  "c8820012c409018080",
	  0, NULL },
	{ "bad_hdr_id9", V_ALL, 0x03, DROP,
	  "cf89010203040506070809c409018080",
	  0, NULL },
	{ "bad_hdr_id00", V_ALL, 0x03, DROP,
	  "c600c409018080",
	  0, NULL },
	{ "bad_hdr_amountlist", V_ALL, 0x03, DROP,
	  "c602c409c08080",
	  0, NULL },
	{ "bodies_two", V_ALL, 0x05, REPLY,
	  "f847821234f842a01111111111111111111111111111111111111111"
	  "111111111111111111111111a0222222222222222222222222222222"
	  "2222222222222222222222222222222222",
	  0x06, "c4821234c0" },
	{ "bodies_none", V_ALL, 0x05, REPLY,
	  "c205c0",
	  0x06, "c205c0" },
	{ "bad_bodies_hash31", V_ALL, 0x05, DROP,
	  "e205e09f000000000000000000000000000000000000000000000000"
	  "00000000000000",
	  0, NULL },
	{ "bad_bodies_hashlist", V_ALL, 0x05, DROP,
	  "c305c1c0",
	  0, NULL },
	{ "bad_bodies_short", V_ALL, 0x05, DROP,
	  "c105",
	  0, NULL },
	{ "bad_bodies_extra", V_ALL, 0x05, DROP,
	  "f84605f842a011111111111111111111111111111111111111111111"
	  "11111111111111111111a02222222222222222222222222222222222"
	  "22222222222222222222222222222280",
	  0, NULL },
	{ "bad_bodies_notlist", V_ALL, 0x05, DROP,
	  "e205a001010101010101010101010101010101010101010101010101"
	  "01010101010101",
	  0, NULL },
	{ "ptx_two", V_ALL, 0x09, REPLY,
	  "f847821234f842a01111111111111111111111111111111111111111"
	  "111111111111111111111111a0222222222222222222222222222222"
	  "2222222222222222222222222222222222",
	  0x0a, "c4821234c0" },
	{ "ptx_none", V_ALL, 0x09, REPLY,
	  "c205c0",
	  0x0a, "c205c0" },
	{ "bad_ptx_hash31", V_ALL, 0x09, DROP,
	  "e205e09f000000000000000000000000000000000000000000000000"
	  "00000000000000",
	  0, NULL },
	{ "bad_ptx_hashlist", V_ALL, 0x09, DROP,
	  "c305c1c0",
	  0, NULL },
	{ "bad_ptx_short", V_ALL, 0x09, DROP,
	  "c105",
	  0, NULL },
	{ "bad_ptx_extra", V_ALL, 0x09, DROP,
	  "f84605f842a011111111111111111111111111111111111111111111"
	  "11111111111111111111a02222222222222222222222222222222222"
	  "22222222222222222222222222222280",
	  0, NULL },
	{ "bad_ptx_notlist", V_ALL, 0x09, DROP,
	  "e205a001010101010101010101010101010101010101010101010101"
	  "01010101010101",
	  0, NULL },
	{ "rcpt69", V68 | V69, 0x0f, REPLY,
	  "f847821234f842a01111111111111111111111111111111111111111"
	  "111111111111111111111111a0222222222222222222222222222222"
	  "2222222222222222222222222222222222",
	  0x10, "c4821234c0" },
	{ "rcpt70", V68 | V69, 0x0f, DROP,
	  "f84882123480f842a011111111111111111111111111111111111111"
	  "11111111111111111111111111a02222222222222222222222222222"
	  "222222222222222222222222222222222222",
	  0, NULL },
	{ "rcpt70_idx", V68 | V69, 0x0f, DROP,
	  "f84882123405f842a011111111111111111111111111111111111111"
	  "11111111111111111111111111a02222222222222222222222222222"
	  "222222222222222222222222222222222222",
	  0, NULL },
	{ "rcpt70_none", V68 | V69, 0x0f, DROP,
	  "c30380c0",
	  0, NULL },
	{ "rcpt69_none", V68 | V69, 0x0f, REPLY,
	  "c203c0",
	  0x10, "c203c0" },
	{ "bad_rcpt_hash31", V_ALL, 0x0f, DROP,
	  "e30580e09f0000000000000000000000000000000000000000000000"
	  "0000000000000000",
	  0, NULL },
	{ "txs_empty", V_ALL, 0x02, IGNORE,
	  "c0",
	  0, NULL },
	{ "txs_legacy", V_ALL, 0x02, IGNORE,
	  "c3c20102",
	  0, NULL },
	{ "txs_typed", V_ALL, 0x02, IGNORE,
	  "c38202c0",
	  0, NULL },
	{ "bad_txs_notlist", V_ALL, 0x02, DROP,
	  "8100",
	  0, NULL },
	{ "ann71", V68 | V69 | V70 | V71, 0x08, IGNORE,
	  "f84b820002c36481c8f842a011111111111111111111111111111111"
	  "11111111111111111111111111111111a02222222222222222222222"
	  "222222222222222222222222222222222222222222",
	  0, NULL },
	{ "ann72", V68 | V69 | V70 | V71, 0x08, DROP,
	  "f85c820003c36481c8f842a011111111111111111111111111111111"
	  "11111111111111111111111111111111a02222222222222222222222"
	  "22222222222222222222222222222222222222222290ff0001000000"
	  "00000000000000000000",
	  0, NULL },
	{ "ann_empty71", V68 | V69 | V70 | V71, 0x08, IGNORE,
	  "c380c0c0",
	  0, NULL },
	{ "bad_ann_len", V_ALL, 0x08, DROP,
	  "f84900c36481c8f842a0111111111111111111111111111111111111"
	  "1111111111111111111111111111a022222222222222222222222222"
	  "22222222222222222222222222222222222222",
	  0, NULL },
	{ "bad_ann_size_u64", V_ALL, 0x08, DROP,
	  "ea00c6850200000000e1a01111111111111111111111111111111111"
	  "111111111111111111111111111111",
	  0, NULL },
	{ "bad_ann_typeslist", V_ALL, 0x08, DROP,
	  "c3c0c0c0",
	  0, NULL },
	{ "status_again", V_ALL, 0x00, DROP,
	  "c0",
	  0, NULL },
	{ "resp_headers", V_ALL, 0x04, DROP,
	  "c201c0",
	  0, NULL },
	{ "resp_bodies", V_ALL, 0x06, DROP,
	  "c201c0",
	  0, NULL },
	{ "resp_ptxs", V_ALL, 0x0a, DROP,
	  "c201c0",
	  0, NULL },
	{ "resp_rcpt69", V68 | V69, 0x10, DROP,
	  "c201c0",
	  0, NULL },
	{ "bal_two", V71 | V72, 0x12, REPLY,
	  "f847821234f842a01111111111111111111111111111111111111111"
	  "111111111111111111111111a0222222222222222222222222222222"
	  "2222222222222222222222222222222222",
	  0x13, "c6821234c28080" },
	{ "bal_none", V71 | V72, 0x12, REPLY,
	  "c205c0",
	  0x13, "c205c0" },
	{ "bad_bal_hash31", V71 | V72, 0x12, DROP,
	  "e205e09f000000000000000000000000000000000000000000000000"
	  "00000000000000",
	  0, NULL },
	{ "bad_bal_hashlist", V71 | V72, 0x12, DROP,
	  "c305c1c0",
	  0, NULL },
	{ "bad_bal_short", V71 | V72, 0x12, DROP,
	  "c105",
	  0, NULL },
	{ "bad_bal_extra", V71 | V72, 0x12, DROP,
	  "f84605f842a011111111111111111111111111111111111111111111"
	  "11111111111111111111a02222222222222222222222222222222222"
	  "22222222222222222222222222222280",
	  0, NULL },
	{ "bad_bal_notlist", V71 | V72, 0x12, DROP,
	  "e205a001010101010101010101010101010101010101010101010101"
	  "01010101010101",
	  0, NULL },
	{ "rcpt69", V70 | V71 | V72, 0x0f, DROP,
	  "f847821234f842a01111111111111111111111111111111111111111"
	  "111111111111111111111111a0222222222222222222222222222222"
	  "2222222222222222222222222222222222",
	  0, NULL },
	{ "rcpt70", V70 | V71 | V72, 0x0f, REPLY,
	  "f84882123480f842a011111111111111111111111111111111111111"
	  "11111111111111111111111111a02222222222222222222222222222"
	  "222222222222222222222222222222222222",
	  0x10, "c582123480c0" },
	{ "rcpt70_idx", V70 | V71 | V72, 0x0f, REPLY,
	  "f84882123405f842a011111111111111111111111111111111111111"
	  "11111111111111111111111111a02222222222222222222222222222"
	  "222222222222222222222222222222222222",
	  0x10, "c582123480c0" },
	{ "rcpt70_none", V70 | V71 | V72, 0x0f, REPLY,
	  "c30380c0",
	  0x10, "c30380c0" },
	{ "rcpt69_none", V70 | V71 | V72, 0x0f, DROP,
	  "c203c0",
	  0, NULL },
	{ "cells", V72, 0x14, REPLY,
	  "f858821234f842a01111111111111111111111111111111111111111"
	  "111111111111111111111111a0222222222222222222222222222222"
	  "222222222222222222222222222222222290ff000100000000000000"
	  "000000000000",
	  0x15, "d6821234c0c090ff000100000000000000000000000000" },
	{ "cells_none", V72, 0x14, REPLY,
	  "d301c09000000000000000000000000000000000",
	  0x15, "d401c0c09000000000000000000000000000000000" },
	{ "bad_cells_mask15", V72, 0x14, DROP,
	  "f85501f842a011111111111111111111111111111111111111111111"
	  "11111111111111111111a02222222222222222222222222222222222"
	  "2222222222222222222222222222228f000000000000000000000000"
	  "000000",
	  0, NULL },
	{ "bad_cells_nomask", V72, 0x14, DROP,
	  "f84501f842a011111111111111111111111111111111111111111111"
	  "11111111111111111111a02222222222222222222222222222222222"
	  "222222222222222222222222222222",
	  0, NULL },
	{ "bad_cells_extra", V72, 0x14, DROP,
	  "f85701f842a011111111111111111111111111111111111111111111"
	  "11111111111111111111a02222222222222222222222222222222222"
	  "22222222222222222222222222222290ff0001000000000000000000"
	  "0000000080",
	  0, NULL },
	{ "ann71", V72, 0x08, DROP,
	  "f84b820002c36481c8f842a011111111111111111111111111111111"
	  "11111111111111111111111111111111a02222222222222222222222"
	  "222222222222222222222222222222222222222222",
	  0, NULL },
	{ "ann72", V72, 0x08, IGNORE,
	  "f85c820003c36481c8f842a011111111111111111111111111111111"
	  "11111111111111111111111111111111a02222222222222222222222"
	  "22222222222222222222222222222222222222222290ff0001000000"
	  "00000000000000000000",
	  0, NULL },
	{ "ann_empty71", V72, 0x08, DROP,
	  "c380c0c0",
	  0, NULL },
	{ "newblockhashes", V69_72, 0x01, DROP,
	  "e3e2a001010101010101010101010101010101010101010101010101"
	  "0101010101010105",
	  0, NULL },
	{ "newblock", V69_72, 0x07, DROP,
	  "c3c0c080",
	  0, NULL },
	{ "resp_rcpt70", V70 | V71 | V72, 0x10, DROP,
	  "c30180c0",
	  0, NULL },
	{ "resp_bal", V71 | V72, 0x13, DROP,
	  "c201c0",
	  0, NULL },
	{ "resp_cells", V72, 0x15, DROP,
	  "d401c0c090ff000100000000000000000000000000",
	  0, NULL },
	{ "bru", V69_72, 0x11, IGNORE,
	  "e38005a0333333333333333333333333333333333333333333333333"
	  "3333333333333333",
	  0, NULL },
	{ "bru_eq", V69_72, 0x11, IGNORE,
	  "e30505a0333333333333333333333333333333333333333333333333"
	  "3333333333333333",
	  0, NULL },
	{ "bad_bru_order", V69_72, 0x11, DROP,
	  "e30605a0333333333333333333333333333333333333333333333333"
	  "3333333333333333",
	  0, NULL },
	{ "bad_bru_zerohash", V69_72, 0x11, DROP,
	  "e38005a0000000000000000000000000000000000000000000000000"
	  "0000000000000000",
	  0, NULL },
	{ "bad_bru_extra", V69_72, 0x11, DROP,
	  "e48005a0333333333333333333333333333333333333333333333333"
	  "333333333333333301",
	  0, NULL },
	{ "bad_bru_hash31", V69_72, 0x11, DROP,
	  "e280059f000000000000000000000000000000000000000000000000"
	  "00000000000000",
	  0, NULL },
};

static void test_eth_messages_match_geth(void **state)
{
	static uint8_t payload[4096], want[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(geth_msgs) / sizeof(geth_msgs[0]);
	     i++) {
		for (uint32_t v = 68; v <= 72; v++) {
			struct side a, b;
			struct p2p_peer *pa;
			size_t n, wn;
			uint64_t before;

			if (!(geth_msgs[i].versions & VBIT(v)))
				continue;
			connected(&a, &b, &pa, v);
			n = unhex(payload, sizeof(payload),
				  geth_msgs[i].payload);
			before = drops(&a.eth);
			assert_int_equal(p2p_on_msg(a.h, 1,
						    0x10 + geth_msgs[i].code,
						    payload, n, 2), 0);
			switch (geth_msgs[i].outcome) {
			case REPLY:
				wn = unhex(want, sizeof(want),
					   geth_msgs[i].reply);
				if (a.n_sent != 1 ||
				    a.sent[0].code !=
				    0x10 + geth_msgs[i].reply_code ||
				    a.sent[0].len != wn ||
				    memcmp(a.sent[0].payload, want, wn))
					fail_msg("%s eth/%u: not geth's reply",
						 geth_msgs[i].name, v);
				assert_true(p2p_peer_active(pa));
				assert_true(a.eth.n_requests_answered == 1);
				break;
			case DROP:
				if (sent_disconnect(&a) !=
				    P2P_DISC_SUBPROTOCOL_ERROR)
					fail_msg("%s eth/%u: not dropped",
						 geth_msgs[i].name, v);
				assert_true(drops(&a.eth) == before + 1);
				break;
			case IGNORE:
				if (a.n_sent != 0 || !p2p_peer_active(pa))
					fail_msg("%s eth/%u: not ignored",
						 geth_msgs[i].name, v);
				assert_true(drops(&a.eth) == before);
				break;
			}
			disconnect_both(&a, &b);
		}
	}
}

/* Delivers payload with eth code to A, connected to an eth/v peer, and
 * returns the number of messages A sent (a Disconnect included). */
static size_t deliver(struct side *a, struct side *b, struct p2p_peer **pa,
		      uint32_t v, uint64_t code, const uint8_t *p, size_t n)
{
	connected(a, b, pa, v);
	assert_int_equal(p2p_on_msg(a->h, 1, 0x10 + code, p, n, 2), 0);
	return a->n_sent;
}

static void test_eth_long_messages(void **state)
{
	static uint8_t p[40000];
	struct rlp_buf rb;
	struct side a, b;
	struct p2p_peer *pa;
	ssize_t n;

	(void)state;
	/* geth v1.17.10 bal_many: 1030 hashes, [9, [0x80 x 1024]]
	 * (f9040409f90400 80..80). */
	for (uint32_t v = 71; v <= 72; v++) {
		rlp_buf_init(&rb, p, sizeof(p));
		rlp_list_begin(&rb);
		rlp_put_u64(&rb, 9);
		rlp_list_begin(&rb);
		for (int i = 0; i < 1030; i++) {
			uint8_t h[32];

			memset(h, i & 0xff, 32);
			rlp_put_bytes(&rb, h, 32);
		}
		rlp_list_end(&rb);
		rlp_list_end(&rb);
		n = rlp_buf_finish(&rb);
		assert_true(n > 0);
		assert_int_equal(deliver(&a, &b, &pa, v,
					 ETH_GET_BLOCK_ACCESS_LISTS, p,
					 (size_t)n), 1);
		assert_int_equal(a.sent[0].code, 0x10 + 0x13);
		assert_int_equal(a.sent[0].len, 7 + 1024);
		assert_memory_equal(a.sent[0].payload,
				    "\xf9\x04\x04\x09\xf9\x04\x00", 7);
		for (size_t i = 7; i < a.sent[0].len; i++)
			assert_int_equal(a.sent[0].payload[i], 0x80);
		disconnect_both(&a, &b);
	}
	/* geth: Transactions with 5000 entries accepted, 5001 "too many
	 * transactions" (rows txs_5000, bad_txs_5001 for every version). */
	for (uint32_t v = 68; v <= 72; v++) {
		for (int count = 5000; count <= 5001; count++) {
			rlp_buf_init(&rb, p, sizeof(p));
			rlp_list_begin(&rb);
			for (int i = 0; i < count; i++)
				rlp_put_bytes(&rb, (const uint8_t *)"\x02\xc0",
					      2);
			rlp_list_end(&rb);
			n = rlp_buf_finish(&rb);
			assert_true(n > 0);
			deliver(&a, &b, &pa, v, ETH_TRANSACTIONS, p,
				(size_t)n);
			if (count == 5000) {
				assert_int_equal(a.n_sent, 0);
				assert_true(a.eth.n_announcements == 1);
			} else {
				assert_int_equal(sent_disconnect(&a),
						 P2P_DISC_SUBPROTOCOL_ERROR);
				assert_true(a.eth.n_malformed == 1);
			}
			disconnect_both(&a, &b);
		}
	}
	/* Over geth's maxMessageSize (10 MiB): dropped unread. */
	{
		uint8_t *big = calloc(1, ETH_MAX_MSG_SIZE + 1);

		assert_non_null(big);
		big[0] = 0xc0;
		deliver(&a, &b, &pa, 72, ETH_TRANSACTIONS, big,
			ETH_MAX_MSG_SIZE + 1);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		assert_true(a.eth.n_malformed == 1);
		disconnect_both(&a, &b);
		deliver(&a, &b, &pa, 72, ETH_TRANSACTIONS, big,
			ETH_MAX_MSG_SIZE);
		assert_int_equal(a.n_sent, 0);
		disconnect_both(&a, &b);
		free(big);
	}
}

/* Where devplane knowingly differs from geth. */
static void test_eth_deviations(void **state)
{
	static const struct {
		uint64_t code;
		const char *payload;
		bool ok;
	} eth68[] = {
		/* eth/68 block propagation, still in the version's spec:
		 * accepted and ignored (geth v1.17.0: "block announcements
		 * disallowed", a drop). A malformed one is dropped. */
		{ ETH_NEW_BLOCK_HASHES, "e3e2a0010101010101010101010101010101"
		  "010101010101010101010101010101010105", true },
		{ ETH_NEW_BLOCK_HASHES, "c0", true },
		{ ETH_NEW_BLOCK_HASHES, "c2c180", false },
		{ ETH_NEW_BLOCK_HASHES, "e4e3a0010101010101010101010101010101"
		  "01010101010101010101010101010101010580", false },
		{ ETH_NEW_BLOCK_HASHES, "e2e1a0010101010101010101010101010101"
		  "0101010101010101010101010101010101", false },
		{ ETH_NEW_BLOCK, "c5c3c0c0c080", true },
		{ ETH_NEW_BLOCK, "cac3c0c0c0850400000000", true },
		{ ETH_NEW_BLOCK, "c2c0c0", false },     /* td a list */
		{ ETH_NEW_BLOCK, "c5c3c0c0c000", false },       /* td 0x00 */
		{ ETH_NEW_BLOCK, "c28080", false },     /* block a string */
		{ ETH_NEW_BLOCK, "c3c0c080", false },   /* three elements */
		{ ETH_NEW_BLOCK, "c4c3c0c0c0", false }, /* no td */
	};
	uint8_t p[64];

	(void)state;
	for (size_t i = 0; i < sizeof(eth68) / sizeof(eth68[0]); i++) {
		struct side a, b;
		struct p2p_peer *pa;
		size_t n = unhex(p, sizeof(p), eth68[i].payload);

		deliver(&a, &b, &pa, 68, eth68[i].code, p, n);
		if (eth68[i].ok) {
			if (a.n_sent != 0)
				fail_msg("eth/68 row %zu dropped", i);
			assert_true(p2p_peer_active(pa));
			assert_true(a.eth.n_announcements == 1);
		} else {
			assert_int_equal(sent_disconnect(&a),
					 P2P_DISC_SUBPROTOCOL_ERROR);
			assert_true(a.eth.n_malformed == 1);
		}
		disconnect_both(&a, &b);
	}
	/* Codes inside the range that no version assigns (GetNodeData and
	 * NodeData, gone since eth/67, and 0x0b, 0x0c): ignored and
	 * counted; geth drops the peer ("invalid message code"). */
	for (uint32_t v = 68; v <= 72; v++) {
		for (uint64_t code = 0x0b; code <= 0x0e; code++) {
			struct side a, b;
			struct p2p_peer *pa;

			deliver(&a, &b, &pa, v, code,
				(const uint8_t *)"\xc0", 1);
			assert_int_equal(a.n_sent, 0);
			assert_true(p2p_peer_active(pa));
			assert_true(a.eth.n_unknown_ignored == 1);
			disconnect_both(&a, &b);
		}
	}
}

/* Codes at and beyond the negotiated range belong to p2p: with nothing
 * after eth, breach of protocol (geth also drops the peer: "msg code out
 * of range", though with reason 0x01). The last code of the range reaches
 * eth. */
static void test_eth_range_edges(void **state)
{
	static const uint8_t bru[] = {
		0xe3, 0x80, 0x05, 0xa0, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
		0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
		0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
		0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	};

	(void)state;
	for (uint32_t v = 68; v <= 72; v++) {
		uint16_t len = eth_msg_count(v);
		struct side a, b;
		struct p2p_peer *pa;

		/* The first code past the range. */
		deliver(&a, &b, &pa, v, len, (const uint8_t *)"\xc0", 1);
		assert_int_equal(sent_disconnect(&a), P2P_DISC_PROTOCOL_ERROR);
		assert_true(drops(&a.eth) == 0);
		disconnect_both(&a, &b);
		/* The last code: a response (Receipts, Cells, ...) or, on
		 * eth/69 and eth/70, BlockRangeUpdate. */
		deliver(&a, &b, &pa, v, len - 1, bru, sizeof(bru));
		if (v == 69 || v == 70) {
			assert_int_equal(a.n_sent, 0);
			assert_true(a.eth.n_range_updates == 1);
		} else {
			assert_int_equal(sent_disconnect(&a),
					 P2P_DISC_SUBPROTOCOL_ERROR);
			assert_true(a.eth.n_unsolicited == 1);
		}
		disconnect_both(&a, &b);
	}
}

static void test_eth_block_range_update(void **state)
{
	uint8_t m[64] = { 0xe3, 0x05, 0x09, 0xa0 };
	const struct eth_status *rs;
	struct side a, b;
	struct p2p_peer *pa;

	(void)state;
	memset(m + 4, 0x11, 32);
	for (uint32_t v = 69; v <= 72; v++) {
		connected(&a, &b, &pa, v);
		/* [5, 9, 0x11..] recorded on the peer. */
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + 0x11, m, 36, 3), 0);
		assert_true(p2p_peer_active(pa));
		rs = eth_peer_status(&a.eth, pa);
		assert_true(rs->earliest == 5 && rs->latest == 9);
		assert_int_equal(rs->latest_hash[0], 0x11);
		assert_true(a.eth.n_range_updates == 1);
		/* [9, 5, ...]: dropped; the record keeps the last valid. */
		m[1] = 0x09;
		m[2] = 0x05;
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + 0x11, m, 36, 3), 0);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		assert_true(a.eth.n_malformed == 1);
		rs = eth_peer_status(&a.eth, pa);
		assert_true(rs->earliest == 5 && rs->latest == 9);
		m[1] = 0x05;
		m[2] = 0x09;
		disconnect_both(&a, &b);
	}
}

/* eth_set_head() announces the range to eth/69+ peers, by geth's rule. */
static void test_eth_set_head_announces(void **state)
{
	static const struct {
		uint64_t block;
		bool sent;
	} steps[] = {
		{ 23000010, false },    /* 10 past the last announced */
		{ 23000031, false },
		{ 23000032, true },     /* 32: due */
		{ 23000040, false },
		{ 23000031, true },     /* moved back */
		{ 23000031, false },
		{ 23000063, true },
	};
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");

	(void)state;
	for (uint32_t v = 68; v <= 72; v++) {
		struct side a, b;
		struct p2p_peer *pa, *pb;

		side_init(&a, 1, m, ALL_VERSIONS);
		side_init(&b, 100, m, VBIT(v));
		connect(&a, &b, &pa, &pb);
		pump(&a, &b);
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			uint8_t h[32];
			bool want = steps[i].sent && v >= 69;
			const struct eth_status *rs;

			memset(h, (int)(i + 1), 32);
			assert_int_equal(eth_set_head(&a.eth, steps[i].block,
						      1760000000 + i, h, 5),
					 want ? 1 : 0);
			assert_int_equal(a.n_sent, want ? 1 : 0);
			if (!want)
				continue;
			assert_int_equal(a.sent[0].code, 0x10 + 0x11);
			pump(&a, &b);
			/* B validated and recorded it. */
			assert_true(p2p_peer_active(pb));
			rs = eth_peer_status(&b.eth, pb);
			assert_true(rs->latest == steps[i].block);
			assert_true(rs->earliest == 0);
			assert_int_equal(rs->latest_hash[0], i + 1);
		}
		assert_true(a.eth.n_range_sent == (v >= 69 ? 3 : 0));
		disconnect_both(&a, &b);
	}
}

static void test_eth_protocol_errors(void **state)
{
	(void)state;
	for (uint32_t v = 68; v <= 72; v++) {
		struct side a, b;
		struct p2p_peer *pa, *pb;

		/* A second Status. */
		deliver(&a, &b, &pa, v, ETH_STATUS, (const uint8_t *)"\xc0",
			1);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		assert_true(a.eth.n_bad_code == 1);
		disconnect_both(&a, &b);
		/* A request before the remote's Status. */
		side_init(&a, 1, forkid_chain_by_name("mainnet"),
			  ALL_VERSIONS);
		side_init(&b, 100, forkid_chain_by_name("mainnet"), VBIT(v));
		connect(&a, &b, &pa, &pb);
		assert_int_equal(b.sent[0].code, P2P_MSG_HELLO);
		p2p_on_msg(a.h, 1, 0, b.sent[0].payload, b.sent[0].len, 1);
		assert_true(p2p_peer_active(pa));
		a.n_sent = 0;
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10 + ETH_GET_BLOCK_BODIES,
					    (const uint8_t *)"\xc2\x01\xc0", 3,
					    2), 0);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		assert_true(a.eth.n_bad_code == 1);
		assert_int_equal(a.eth.n_requests_answered, 0);
		(void)pb;
		disconnect_both(&a, &b);
		/* An undecodable Status. */
		side_init(&a, 1, forkid_chain_by_name("mainnet"),
			  ALL_VERSIONS);
		side_init(&b, 100, forkid_chain_by_name("mainnet"), VBIT(v));
		connect(&a, &b, &pa, &pb);
		p2p_on_msg(a.h, 1, 0, b.sent[0].payload, b.sent[0].len, 1);
		a.n_sent = 0;
		assert_int_equal(p2p_on_msg(a.h, 1, 0x10,
					    (const uint8_t *)"\xc1\x80", 2, 2),
				 0);
		assert_int_equal(sent_disconnect(&a),
				 P2P_DISC_SUBPROTOCOL_ERROR);
		assert_true(a.eth.n_status_rejected == 1);
		disconnect_both(&a, &b);
	}
}

/* geth's peers with snap after eth: the snap offset both sides use is
 * the same, so a snap message lands in snap with its own code. */
static void test_eth_snap_after_eth(void **state)
{
	static const struct {
		unsigned mask_b;
		uint32_t snap_a, snap_b;
		uint16_t snap_off;
	} cases[] = {
		{ VBIT(69) | VBIT(70) | VBIT(71) | VBIT(72), 2, 2, 0x26 },
		{ VBIT(69) | VBIT(70) | VBIT(71) | VBIT(72), 1, 1, 0x26 },
		{ VBIT(69) | VBIT(70) | VBIT(71), 1, 1, 0x24 },
		{ VBIT(69) | VBIT(70), 1, 1, 0x22 },
		{ VBIT(68) | VBIT(69), 1, 1, 0x22 },
		{ VBIT(68), 1, 1, 0x21 },
		{ VBIT(70), 2, 2, 0x22 },
	};
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct side a, b;
		struct p2p_peer *pa, *pb;
		const struct p2p_shared *sh;
		size_t n;

		side_init_snap(&a, 1, m, ALL_VERSIONS, cases[i].snap_a);
		side_init_snap(&b, 100, m, cases[i].mask_b, cases[i].snap_b);
		connect(&a, &b, &pa, &pb);
		pump(&a, &b);
		sh = p2p_peer_shared(pa, &n);
		assert_int_equal(n, 2);
		assert_int_equal(sh[1].offset, cases[i].snap_off);
		sh = p2p_peer_shared(pb, &n);
		assert_int_equal(sh[1].offset, cases[i].snap_off);
		/* B's snap code 3 arrives at A's snap as code 3. */
		assert_int_equal(p2p_send(b.h, pb, &b.snap, 3,
					  (const uint8_t *)"\xc0", 1), 0);
		assert_int_equal(b.sent[0].code, cases[i].snap_off + 3u);
		pump(&a, &b);
		assert_int_equal(a.snap_msgs, 1);
		assert_true(a.snap_code == 3);
		assert_true(p2p_peer_active(pa));
		disconnect_both(&a, &b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_versions),
		cmocka_unit_test(test_eth_status_vectors),
		cmocka_unit_test(test_eth_status_geth),
		cmocka_unit_test(test_eth_status_decode_rejects),
		cmocka_unit_test(test_eth_status_encode_refuses),
		cmocka_unit_test(test_eth_status_check),
		cmocka_unit_test(test_eth_fresh_node),
		cmocka_unit_test(test_eth_set_head),
		cmocka_unit_test(test_eth_block_range_codec),
		cmocka_unit_test(test_eth_offsets_match_geth),
		cmocka_unit_test(test_eth_session_versions),
		cmocka_unit_test(test_eth_session_rejects),
		cmocka_unit_test(test_eth_session_bad_range_status),
		cmocka_unit_test(test_eth_on_status_drop),
		cmocka_unit_test(test_eth_messages_match_geth),
		cmocka_unit_test(test_eth_long_messages),
		cmocka_unit_test(test_eth_deviations),
		cmocka_unit_test(test_eth_range_edges),
		cmocka_unit_test(test_eth_block_range_update),
		cmocka_unit_test(test_eth_set_head_announces),
		cmocka_unit_test(test_eth_protocol_errors),
		cmocka_unit_test(test_eth_snap_after_eth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
