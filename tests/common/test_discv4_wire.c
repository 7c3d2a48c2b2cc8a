/* SPDX-License-Identifier: MIT */
/* tests/common/test_discv4_wire.c - discv4 codec: EIP-8 packets, round trips, rejects. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/discv4_wire.h"
#include "common/hex.h"
#include "common/keccak.h"
#include "common/rlp.h"
#include "common/secp.h"
#include "tests/vectors/discv4_vectors.h"

/*
 * Expected field values of the EIP-8 packets. The EIP gives only the bytes
 * and the key; these values are the ones go-ethereum's v4wire tests assert
 * for the same packets (TestForwardCompatibility), with EIP-868 applied:
 * the fifth element of the version-4 ping (0x01) is now its enr-seq, while
 * the list found at that place in the other packets is an ignored extra.
 */
#define EXPIRATION 1136239445u
/* Public key of discv4_vec_key (also the target in the findnode vector). */
#define SENDER_PUB                                                            \
	"ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"    \
	"7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f"

static void unhex(uint8_t *out, size_t len, const char *s)
{
	assert_int_equal(hex_decode(out, len, s, strlen(s)), (ssize_t)len);
}

static void check_ep(const struct discv4_endpoint *ep, const char *ip,
		     uint16_t udp, uint16_t tcp)
{
	uint8_t want[16] = { 0 };

	if (strchr(ip, ':')) {
		assert_int_equal(inet_pton(AF_INET6, ip, want), 1);
		assert_int_equal(ep->ip_len, 16);
	} else {
		want[10] = want[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, ip, want + 12), 1);
		assert_int_equal(ep->ip_len, 4);
	}
	assert_memory_equal(ep->ip, want, 16);
	assert_int_equal(ep->udp, udp);
	assert_int_equal(ep->tcp, tcp);
}

static void decode_vec(struct discv4_packet *p, int idx, int type)
{
	const struct discv4_vec *v = &discv4_vectors[idx];
	ssize_t n;

	assert_int_equal(discv4_check_hash(v->p, v->len), 0);
	assert_int_equal(discv4_packet_type(v->p, v->len), type);
	n = discv4_decode(p, v->p, v->len);
	assert_true(n > DISCV4_MIN_LEN);
	assert_true((size_t)n <= v->len);
	assert_int_equal(p->type, type);
}

static void test_discv4_eip8_ping_v4(void **state)
{
	struct discv4_packet p;

	(void)state;
	decode_vec(&p, DISCV4_VEC_PING_V4, DISCV4_PING);
	assert_int_equal(p.u.ping.version, 4);
	check_ep(&p.u.ping.from, "127.0.0.1", 3322, 5544);
	check_ep(&p.u.ping.to, "::1", 2222, 3333);
	assert_int_equal(p.u.ping.expiration, EXPIRATION);
	assert_true(p.u.ping.has_enr_seq);
	assert_int_equal(p.u.ping.enr_seq, 1);
	/* No trailing data: the whole datagram is used. */
	assert_int_equal(discv4_decode(&p, discv4_vec_ping_v4,
				       sizeof(discv4_vec_ping_v4)),
			 sizeof(discv4_vec_ping_v4));
}

static void test_discv4_eip8_ping_v555(void **state)
{
	struct discv4_packet p;
	ssize_t n;

	(void)state;
	decode_vec(&p, DISCV4_VEC_PING_V555, DISCV4_PING);
	assert_int_equal(p.u.ping.version, 555);
	check_ep(&p.u.ping.from, "2001:db8:3c4d:15::abcd:ef12", 3322, 5544);
	check_ep(&p.u.ping.to, "2001:db8:85a3:8d3:1319:8a2e:370:7348", 2222,
		 33338);
	assert_int_equal(p.u.ping.expiration, EXPIRATION);
	assert_false(p.u.ping.has_enr_seq);
	/* The random data after the list is ignored, not consumed. */
	n = discv4_decode(&p, discv4_vec_ping_v555, sizeof(discv4_vec_ping_v555));
	assert_true(n > 0 && (size_t)n < sizeof(discv4_vec_ping_v555));
	assert_int_equal(n, DISCV4_MIN_LEN + 2 + 0x3e);  /* f83e list */
}

static void test_discv4_eip8_pong(void **state)
{
	struct discv4_packet p;
	uint8_t h[32];

	(void)state;
	decode_vec(&p, DISCV4_VEC_PONG, DISCV4_PONG);
	check_ep(&p.u.pong.to, "2001:db8:85a3:8d3:1319:8a2e:370:7348", 2222,
		 33338);
	unhex(h, 32, "fbc914b16819237dcd8801d7e53f69e9719adecb3cc0e790c57e91ca4461c954");
	assert_memory_equal(p.u.pong.ping_hash, h, 32);
	assert_int_equal(p.u.pong.expiration, EXPIRATION);
	assert_false(p.u.pong.has_enr_seq);
}

static void test_discv4_eip8_findnode(void **state)
{
	struct discv4_packet p;
	uint8_t t[64];

	(void)state;
	decode_vec(&p, DISCV4_VEC_FINDNODE, DISCV4_FINDNODE);
	unhex(t, 64, SENDER_PUB);
	assert_memory_equal(p.u.findnode.target, t, 64);
	assert_int_equal(p.u.findnode.expiration, EXPIRATION);
}

static void test_discv4_eip8_neighbours(void **state)
{
	static const struct {
		const char *ip;
		uint16_t udp, tcp;
		const char *id;
	} want[] = {
		{ "99.33.22.55", 4444, 4445,
		  "3155e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97babf"
		  "54bfd2103575fa829115d224c523596b401065a97f74010610fce76382c0bf32" },
		{ "1.2.3.4", 1, 1,
		  "312c55512422cf9b8a4097e9a6ad79402e87a15ae909a4bfefa22398f03d2095"
		  "1933beea1e4dfa6f968212385e829f04c2d314fc2d4e255e0d3bc08792b069db" },
		{ "2001:db8:3c4d:15::abcd:ef12", 3333, 3333,
		  "38643200b172dcfef857492156971f0e6aa2c538d8b74010f8e140811d53b98c"
		  "765dd2d96126051913f44582e8c199ad7c6d6819e9a56483f637feaac9448aac" },
		{ "2001:db8:85a3:8d3:1319:8a2e:370:7348", 999, 1000,
		  "8dcab8618c3253b558d459da53bd8fa68935a719aff8b811197101a4b2b47dd2"
		  "d47295286fc00cc081bb542d760717d1bdd6bec2c37cd72eca367d6dd3b9df73" },
	};
	struct discv4_packet p;

	(void)state;
	decode_vec(&p, DISCV4_VEC_NEIGHBOURS, DISCV4_NEIGHBORS);
	assert_int_equal(p.u.neighbors.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		uint8_t id[64];

		check_ep(&p.u.neighbors.nodes[i].ep, want[i].ip, want[i].udp,
			 want[i].tcp);
		unhex(id, 64, want[i].id);
		assert_memory_equal(p.u.neighbors.nodes[i].id, id, 64);
	}
	assert_int_equal(p.u.neighbors.expiration, EXPIRATION);
}

static void test_discv4_eip8_recover_sender(void **state)
{
	uint8_t want[64], derived[64], got[64];

	(void)state;
	unhex(want, 64, SENDER_PUB);
	assert_int_equal(secp_pub_from_priv(derived, discv4_vec_key), 0);
	assert_memory_equal(derived, want, 64);
	for (int i = 0; i < DISCV4_VEC_COUNT; i++) {
		const struct discv4_vec *v = &discv4_vectors[i];

		memset(got, 0, sizeof(got));
		assert_int_equal(discv4_recover(got, v->p, v->len), 0);
		assert_memory_equal(got, want, 64);
	}
}

/* Encodes p, then checks hash, type, recovery and that decoding gives p. */
static void round_trip(const struct discv4_packet *p)
{
	uint8_t buf[DISCV4_MAX_LEN], pub[64], got_pub[64], h[32];
	struct discv4_packet q;
	ssize_t n;

	assert_int_equal(secp_pub_from_priv(pub, discv4_vec_key), 0);
	n = discv4_encode(buf, sizeof(buf), discv4_vec_key, p);
	assert_true(n >= DISCV4_MIN_LEN && n <= DISCV4_MAX_LEN);
	assert_int_equal(discv4_check_hash(buf, (size_t)n), 0);
	keccak256(h, buf + 32, (size_t)n - 32);
	assert_memory_equal(h, buf, 32);
	assert_int_equal(discv4_packet_type(buf, (size_t)n), p->type);
	assert_int_equal(discv4_recover(got_pub, buf, (size_t)n), 0);
	assert_memory_equal(got_pub, pub, 64);
	memset(&q, 0xaa, sizeof(q));
	assert_int_equal(discv4_decode(&q, buf, (size_t)n), n);
	assert_int_equal(q.type, p->type);
	switch (p->type) {
	case DISCV4_PING:
		assert_memory_equal(&q.u.ping, &p->u.ping, sizeof(q.u.ping));
		break;
	case DISCV4_PONG:
		assert_memory_equal(&q.u.pong, &p->u.pong, sizeof(q.u.pong));
		break;
	case DISCV4_FINDNODE:
		assert_memory_equal(&q.u.findnode, &p->u.findnode,
				    sizeof(q.u.findnode));
		break;
	case DISCV4_NEIGHBORS:
		assert_int_equal(q.u.neighbors.n, p->u.neighbors.n);
		assert_int_equal(q.u.neighbors.expiration,
				 p->u.neighbors.expiration);
		assert_memory_equal(q.u.neighbors.nodes, p->u.neighbors.nodes,
				    p->u.neighbors.n * sizeof(struct discv4_node));
		break;
	case DISCV4_ENRREQUEST:
		assert_int_equal(q.u.enrrequest.expiration,
				 p->u.enrrequest.expiration);
		break;
	case DISCV4_ENRRESPONSE:
		assert_memory_equal(q.u.enrresponse.request_hash,
				    p->u.enrresponse.request_hash, 32);
		assert_int_equal(q.u.enrresponse.enr_len,
				 p->u.enrresponse.enr_len);
		assert_memory_equal(q.u.enrresponse.enr, p->u.enrresponse.enr,
				    p->u.enrresponse.enr_len);
		break;
	}
}

static void set_ep(struct discv4_endpoint *ep, const char *ip, uint16_t udp,
		   uint16_t tcp)
{
	memset(ep, 0, sizeof(*ep));
	if (!ip) {
		ep->ip_len = 0;
	} else if (strchr(ip, ':')) {
		assert_int_equal(inet_pton(AF_INET6, ip, ep->ip), 1);
		ep->ip_len = 16;
	} else {
		ep->ip[10] = ep->ip[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, ip, ep->ip + 12), 1);
		ep->ip_len = 4;
	}
	ep->udp = udp;
	ep->tcp = tcp;
}

/* The example record of enr.md. */
static const char enr_example_hex[] =
	"f884b8407098ad865b00a582051940cb9cf36836572411a47278783077011599ed5c"
	"d16b76f2635f4e234738f30813a89eb9137e3e3df5266e3a1f11df72ecf1145ccb9c"
	"01826964827634826970847f00000189736563703235366b31a103ca634cae0d49ac"
	"b401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31388375647082765f";

static void test_discv4_round_trip_all_types(void **state)
{
	struct discv4_packet p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = DISCV4_VERSION;
	set_ep(&p.u.ping.from, "10.0.0.1", 30303, 30304);
	set_ep(&p.u.ping.to, "2001:db8::1", 30305, 0);
	p.u.ping.expiration = 1700000000;
	p.u.ping.has_enr_seq = true;
	p.u.ping.enr_seq = 0x0102030405060708ull;
	round_trip(&p);
	p.u.ping.has_enr_seq = false;
	p.u.ping.enr_seq = 0;
	set_ep(&p.u.ping.from, NULL, 0, 0);     /* unknown IP, as geth sends */
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PONG;
	set_ep(&p.u.pong.to, "192.168.1.2", 65535, 0);
	memset(p.u.pong.ping_hash, 0x5a, 32);
	p.u.pong.expiration = UINT64_MAX;
	p.u.pong.has_enr_seq = true;
	p.u.pong.enr_seq = 0;
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	unhex(p.u.findnode.target, 64, SENDER_PUB);
	p.u.findnode.expiration = 1;
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_NEIGHBORS;
	p.u.neighbors.n = 3;
	set_ep(&p.u.neighbors.nodes[0].ep, "1.2.3.4", 1, 2);
	set_ep(&p.u.neighbors.nodes[1].ep, "::ffff:0:1", 3, 4);
	set_ep(&p.u.neighbors.nodes[2].ep, NULL, 0, 0);
	for (int i = 0; i < 3; i++)
		memset(p.u.neighbors.nodes[i].id, i + 1, 64);
	p.u.neighbors.expiration = 1136239445;
	round_trip(&p);
	p.u.neighbors.n = 0;                    /* empty node list */
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRREQUEST;
	p.u.enrrequest.expiration = 1136239445;
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRRESPONSE;
	memset(p.u.enrresponse.request_hash, 0xc3, 32);
	p.u.enrresponse.enr_len = sizeof(enr_example_hex) / 2;
	unhex(p.u.enrresponse.enr, p.u.enrresponse.enr_len, enr_example_hex);
	round_trip(&p);
}

static void test_discv4_hash_mismatch_is_ebadmsg(void **state)
{
	uint8_t buf[DISCV4_MAX_LEN];
	const struct discv4_vec *v = &discv4_vectors[DISCV4_VEC_PONG];
	uint8_t pub[64];

	(void)state;
	memcpy(buf, v->p, v->len);
	buf[0] ^= 1;                            /* the hash itself */
	assert_int_equal(discv4_check_hash(buf, v->len), -EBADMSG);
	memcpy(buf, v->p, v->len);
	buf[v->len - 1] ^= 0x80;                /* the data it covers */
	assert_int_equal(discv4_check_hash(buf, v->len), -EBADMSG);
	memcpy(buf, v->p, v->len);
	buf[40] ^= 0x01;                        /* the signature */
	assert_int_equal(discv4_check_hash(buf, v->len), -EBADMSG);
	/* Data and signature no longer agree: another key, or none. */
	memcpy(buf, v->p, v->len);
	buf[DISCV4_MIN_LEN + 5] ^= 0x01;
	if (discv4_recover(pub, buf, v->len) == 0) {
		uint8_t want[64];

		unhex(want, 64, SENDER_PUB);
		assert_memory_not_equal(pub, want, 64);
	}
	/* A recovery id above 1 is not a signature. */
	memcpy(buf, v->p, v->len);
	buf[DISCV4_HASH_LEN + 64] = 4;
	assert_int_equal(discv4_recover(pub, buf, v->len), -EKEYREJECTED);
}

static void test_discv4_rejects_sizes(void **state)
{
	uint8_t buf[DISCV4_MAX_LEN + 1];
	struct discv4_packet p;
	uint8_t pub[64];

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, discv4_vec_ping_v4, sizeof(discv4_vec_ping_v4));
	for (size_t len = 0; len < DISCV4_MIN_LEN; len++) {
		assert_int_equal(discv4_check_hash(buf, len), -EMSGSIZE);
		assert_int_equal(discv4_packet_type(buf, len), -EMSGSIZE);
		assert_int_equal(discv4_decode(&p, buf, len), -EMSGSIZE);
		assert_int_equal(discv4_recover(pub, buf, len), -EMSGSIZE);
	}
	/* 1281 bytes: the ping with trailing junk would otherwise decode. */
	assert_int_equal(discv4_check_hash(buf, DISCV4_MAX_LEN + 1), -EMSGSIZE);
	assert_int_equal(discv4_packet_type(buf, DISCV4_MAX_LEN + 1), -EMSGSIZE);
	assert_int_equal(discv4_decode(&p, buf, DISCV4_MAX_LEN + 1), -EMSGSIZE);
	assert_int_equal(discv4_recover(pub, buf, DISCV4_MAX_LEN + 1),
			 -EMSGSIZE);
	assert_true(discv4_decode(&p, buf, DISCV4_MAX_LEN) > 0);
}

static void test_discv4_rejects_bad_type(void **state)
{
	uint8_t buf[sizeof(discv4_vec_ping_v4)];
	struct discv4_packet p;
	static const uint8_t bad[] = { 0, 7, 0x80, 0xff };

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++) {
		memcpy(buf, discv4_vec_ping_v4, sizeof(buf));
		buf[DISCV4_HEAD_LEN] = bad[i];
		assert_int_equal(discv4_packet_type(buf, sizeof(buf)), -EBADMSG);
		assert_int_equal(discv4_decode(&p, buf, sizeof(buf)), -EBADMSG);
	}
}

static void test_discv4_rejects_truncated(void **state)
{
	struct discv4_packet p;

	(void)state;
	for (int i = 0; i < DISCV4_VEC_COUNT; i++) {
		const struct discv4_vec *v = &discv4_vectors[i];
		ssize_t used = discv4_decode(&p, v->p, v->len);

		assert_true(used > 0);
		/* Any cut into the RLP list leaves it longer than the data. */
		for (size_t len = DISCV4_MIN_LEN; len < (size_t)used; len++)
			assert_int_equal(discv4_decode(&p, v->p, len),
					 -EMSGSIZE);
		/* Cutting only ignored trailing data changes nothing. */
		assert_int_equal(discv4_decode(&p, v->p, (size_t)used), used);
	}
}

/* Builds an unsigned packet of type t around RLP data, for decoder tests. */
static size_t raw_packet(uint8_t *buf, uint8_t t, const char *data_hex)
{
	size_t dlen = strlen(data_hex) / 2;

	memset(buf, 0, DISCV4_HEAD_LEN);
	buf[DISCV4_HEAD_LEN] = t;
	unhex(buf + DISCV4_MIN_LEN, dlen, data_hex);
	return DISCV4_MIN_LEN + dlen;
}

static void test_discv4_rejects_bad_fields(void **state)
{
	static const struct {
		uint8_t type;
		const char *data;
		int err;
	} rows[] = {
		/* Not a list. */
		{ DISCV4_ENRREQUEST, "8443b9a355", -EBADMSG },
		/* Missing expiration. */
		{ DISCV4_ENRREQUEST, "c0", -EBADMSG },
		/* Expiration with a leading zero (non-canonical integer). */
		{ DISCV4_ENRREQUEST, "c3820001", -EBADMSG },
		/* Expiration over 64 bits. */
		{ DISCV4_ENRREQUEST, "ca89010000000000000000", -EBADMSG },
		/* Ping: 5-byte IP. */
		{ DISCV4_PING, "cf04c88501020304050101c380010101", -EBADMSG },
		/* Ping: UDP port 65536. */
		{ DISCV4_PING, "cd04c6808301000001c380010101", -EBADMSG },
		/* Ping: endpoint is not a list. */
		{ DISCV4_PING, "c70480c380010101", -EBADMSG },
		/* Pong: 31-byte ping hash. */
		{ DISCV4_PONG,
		  "e5c38001019f0000000000000000000000000000"
		  "000000000000000000000000000000000101",
		  -EBADMSG },
		/* Findnode: 63-byte target. */
		{ DISCV4_FINDNODE,
		  "f842b83f0000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000101",
		  -EBADMSG },
		/* Neighbors: node list is a string. */
		{ DISCV4_NEIGHBORS, "c28001", -EBADMSG },
		/* Neighbors: a node entry without its id. */
		{ DISCV4_NEIGHBORS, "c6c4c380010101", -EBADMSG },
		/* ENRResponse: record is a string, not a list. */
		{ DISCV4_ENRRESPONSE,
		  "e4a000000000000000000000000000000000000000000000000000000000"
		  "0000000082c0c0",
		  -EBADMSG },
		/* Non-canonical list header (long form for 3 bytes). */
		{ DISCV4_ENRREQUEST, "f803820102", -EBADMSG },
		/* List longer than the datagram. */
		{ DISCV4_ENRREQUEST, "c5820102", -EMSGSIZE },
	};
	uint8_t buf[DISCV4_MAX_LEN];
	struct discv4_packet p;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = raw_packet(buf, rows[i].type, rows[i].data);

		if (len < DISCV4_MIN_LEN + 1)
			fail();
		assert_int_equal(discv4_decode(&p, buf, len), rows[i].err);
	}
	/* Sanity: the well-formed versions of those rows decode. */
	assert_true(discv4_decode(&p, buf, raw_packet(buf, DISCV4_ENRREQUEST,
						      "c58443b9a355")) > 0);
	assert_int_equal(p.u.enrrequest.expiration, EXPIRATION);
	assert_true(discv4_decode(&p, buf, raw_packet(buf, DISCV4_PING,
						      "ca04c3800101c3800101"
						      "01")) > 0);
	assert_true(discv4_decode(&p, buf, raw_packet(buf, DISCV4_NEIGHBORS,
						      "c2c001")) > 0);
}

static void test_discv4_enrresponse_record_over_300(void **state)
{
	uint8_t buf[DISCV4_MAX_LEN];
	struct discv4_packet p;
	struct rlp_buf b;
	uint8_t big[301];
	ssize_t n;

	(void)state;
	memset(buf, 0, DISCV4_HEAD_LEN);
	buf[DISCV4_HEAD_LEN] = DISCV4_ENRRESPONSE;
	memset(big, 0x11, sizeof(big));
	/* [hash, [big]] where the record list is 301 + 3 + 3 bytes */
	rlp_buf_init(&b, buf + DISCV4_MIN_LEN, sizeof(buf) - DISCV4_MIN_LEN);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, big, 32);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, big, 294);
	rlp_list_end(&b);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	assert_true(n > 0);
	/* Record = list header (3) + string (3 + 294) = 300: accepted. */
	assert_true(discv4_decode(&p, buf, DISCV4_MIN_LEN + (size_t)n) > 0);
	assert_int_equal(p.u.enrresponse.enr_len, 300);

	rlp_buf_init(&b, buf + DISCV4_MIN_LEN, sizeof(buf) - DISCV4_MIN_LEN);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, big, 32);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, big, 295);
	rlp_list_end(&b);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	assert_int_equal(discv4_decode(&p, buf, DISCV4_MIN_LEN + (size_t)n),
			 -EBADMSG);
}

static void test_discv4_neighbors_worst_case_fits(void **state)
{
	struct discv4_node nodes[DISCV4_NEIGHBORS_MAX + 1];
	uint8_t buf[2 * DISCV4_MAX_LEN];
	ssize_t n12, n11;
	struct discv4_packet p;

	(void)state;
	assert_int_equal(discv4_neighbors_max(), 12);
	for (unsigned i = 0; i <= DISCV4_NEIGHBORS_MAX; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		memset(nodes[i].ep.ip, 0xff, 16);
		nodes[i].ep.ip_len = 16;
		nodes[i].ep.udp = 65535;
		nodes[i].ep.tcp = 65535;
		memset(nodes[i].id, 0xee, 64);
	}
	n12 = discv4_encode_neighbors(buf, sizeof(buf), discv4_vec_key, nodes,
				      12, UINT64_MAX);
	assert_true(n12 > 0);
	assert_true(n12 <= DISCV4_MAX_LEN);
	assert_int_equal(discv4_decode(&p, buf, (size_t)n12), n12);
	assert_int_equal(p.u.neighbors.n, 12);
	/* A 13th worst-case node would not fit: each adds the same bytes. */
	n11 = discv4_encode_neighbors(buf, sizeof(buf), discv4_vec_key, nodes,
				      11, UINT64_MAX);
	assert_true(n11 > 0);
	assert_true(n12 + (n12 - n11) > DISCV4_MAX_LEN);
	assert_int_equal(discv4_encode_neighbors(buf, sizeof(buf),
						 discv4_vec_key, nodes, 13,
						 UINT64_MAX),
			 -EINVAL);
}

static void test_discv4_encode_rejects(void **state)
{
	uint8_t buf[DISCV4_MAX_LEN];
	struct discv4_packet p;
	uint8_t zero_key[32] = { 0 };

	(void)state;
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRREQUEST;
	p.u.enrrequest.expiration = 5;
	assert_int_equal(discv4_encode(buf, DISCV4_MIN_LEN + 1, discv4_vec_key,
				       &p),
			 -EMSGSIZE);
	assert_int_equal(discv4_encode(buf, DISCV4_MIN_LEN - 1, discv4_vec_key,
				       &p),
			 -EMSGSIZE);
	assert_int_equal(discv4_encode(buf, sizeof(buf), zero_key, &p),
			 -EINVAL);
	p.type = 7;
	assert_int_equal(discv4_encode(buf, sizeof(buf), discv4_vec_key, &p),
			 -EINVAL);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.from.ip_len = 5;
	assert_int_equal(discv4_encode(buf, sizeof(buf), discv4_vec_key, &p),
			 -EINVAL);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRRESPONSE;
	p.u.enrresponse.enr_len = 2;
	p.u.enrresponse.enr[0] = 0x81;          /* a string, not a record */
	p.u.enrresponse.enr[1] = 0x80;
	assert_int_equal(discv4_encode(buf, sizeof(buf), discv4_vec_key, &p),
			 -EINVAL);
}

/* geth's v4test sends 2^64 - (now + 20) as a "past" expiration: geth reads
 * the field as int64, so it must count as expired, not as far future. */
static void test_discv4_expired_rules(void **state)
{
	const uint64_t now_ns = 1700000000ull * 1000000000ull + 500000000ull;
	const uint64_t now_s = now_ns / 1000000000ull;

	(void)state;
	assert_false(discv4_expired(now_s + 20, now_ns));
	assert_true(discv4_expired(now_s - 20, now_ns));
	/* Same second, half a second later: time.Unix(exp, 0).Before(now). */
	assert_true(discv4_expired(now_s, now_ns));
	assert_true(discv4_expired(UINT64_MAX - (now_s + 20) + 1, now_ns));
	assert_true(discv4_expired((uint64_t)INT64_MAX + 1, now_ns));
	assert_false(discv4_expired((uint64_t)INT64_MAX, now_ns));
	assert_false(discv4_expired(UINT64_MAX / 1000000000u, now_ns));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discv4_eip8_ping_v4),
		cmocka_unit_test(test_discv4_eip8_ping_v555),
		cmocka_unit_test(test_discv4_eip8_pong),
		cmocka_unit_test(test_discv4_eip8_findnode),
		cmocka_unit_test(test_discv4_eip8_neighbours),
		cmocka_unit_test(test_discv4_eip8_recover_sender),
		cmocka_unit_test(test_discv4_round_trip_all_types),
		cmocka_unit_test(test_discv4_hash_mismatch_is_ebadmsg),
		cmocka_unit_test(test_discv4_rejects_sizes),
		cmocka_unit_test(test_discv4_rejects_bad_type),
		cmocka_unit_test(test_discv4_rejects_truncated),
		cmocka_unit_test(test_discv4_rejects_bad_fields),
		cmocka_unit_test(test_discv4_enrresponse_record_over_300),
		cmocka_unit_test(test_discv4_neighbors_worst_case_fits),
		cmocka_unit_test(test_discv4_encode_rejects),
		cmocka_unit_test(test_discv4_expired_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
