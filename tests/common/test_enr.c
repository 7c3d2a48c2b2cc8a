/* SPDX-License-Identifier: MIT */
/* tests/common/test_enr.c - ENR (EIP-778): enr.md example, signing, rejects. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/enr.h"
#include "common/hex.h"
#include "common/keccak.h"
#include "common/rlp.h"
#include "common/secp.h"

/* enr.md, "Test Vectors": the text form, the key, the node id. */
static const char example_text[] =
	"enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrk"
	"Tfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAH"
	"YpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8";
#define EXAMPLE_PRIV \
	"b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"
#define EXAMPLE_ID \
	"a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7"
#define EXAMPLE_SECP \
	"03ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"
#define EXAMPLE_SIG                                                           \
	"7098ad865b00a582051940cb9cf36836572411a47278783077011599ed5cd16b"    \
	"76f2635f4e234738f30813a89eb9137e3e3df5266e3a1f11df72ecf1145ccb9c"
/* The RLP, assembled by hand from the structure enr.md lists:
 * [sig, 01, "id", "v4", "ip", 7f000001, "secp256k1", 03ca..38, "udp", 765f] */
static const char example_rlp_hex[] =
	"f884b840" EXAMPLE_SIG "01"
	"826964" "827634"
	"826970" "847f000001"
	"89736563703235366b31" "a1" EXAMPLE_SECP
	"83756470" "82765f";

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

static void check_example(const struct enr *r)
{
	uint8_t ip[4], secp[33], want_secp[33], id[32], want_id[32];
	char scheme[8];
	uint16_t udp;

	assert_true(r->has_sig);
	assert_int_equal(enr_verify(r), 0);
	assert_int_equal(r->seq, 1);
	assert_int_equal(r->n, 4);
	assert_int_equal(enr_get_id(r, scheme, sizeof(scheme)), 0);
	assert_string_equal(scheme, "v4");
	assert_int_equal(enr_get_ip(r, ip), 0);
	assert_memory_equal(ip, "\x7f\x00\x00\x01", 4);
	assert_int_equal(enr_get_udp(r, &udp), 0);
	assert_int_equal(udp, 30303);
	assert_int_equal(enr_get_secp256k1(r, secp), 0);
	unhex(want_secp, 33, EXAMPLE_SECP);
	assert_memory_equal(secp, want_secp, 33);
	assert_int_equal(enr_node_id(id, r), 0);
	unhex(want_id, 32, EXAMPLE_ID);
	assert_memory_equal(id, want_id, 32);
	assert_int_equal(enr_get_tcp(r, &udp), -ENOENT);
	assert_int_equal(enr_get_ip6(r, (uint8_t[16]){ 0 }), -ENOENT);
}

static void test_enr_example_text_round_trip(void **state)
{
	struct enr r;
	char text[ENR_TEXT_MAX];
	uint8_t rlp[ENR_MAX_SIZE], want[ENR_MAX_SIZE];
	size_t want_len = unhex(want, sizeof(want), example_rlp_hex);
	ssize_t n;

	(void)state;
	n = enr_decode_text(&r, example_text, strlen(example_text));
	assert_int_equal(n, strlen(example_text));
	check_example(&r);
	n = enr_encode_text(text, sizeof(text), &r);
	assert_int_equal(n, strlen(example_text));
	assert_string_equal(text, example_text);
	n = enr_encode(rlp, sizeof(rlp), &r);
	assert_int_equal(n, want_len);
	assert_memory_equal(rlp, want, want_len);
	/* Exactly sized output buffers suffice, one byte less does not. */
	assert_int_equal(enr_encode_text(text, strlen(example_text), &r),
			 -EMSGSIZE);
	assert_int_equal(enr_encode(rlp, want_len - 1, &r), -EMSGSIZE);
}

static void test_enr_example_rlp_round_trip(void **state)
{
	struct enr r;
	uint8_t in[ENR_MAX_SIZE], out[ENR_MAX_SIZE];
	size_t len = unhex(in, sizeof(in), example_rlp_hex);
	char text[ENR_TEXT_MAX];

	(void)state;
	assert_int_equal(enr_decode(&r, in, len), len);
	check_example(&r);
	assert_int_equal(enr_encode(out, sizeof(out), &r), len);
	assert_memory_equal(out, in, len);
	assert_int_equal(enr_encode_text(text, sizeof(text), &r),
			 strlen(example_text));
	assert_string_equal(text, example_text);
}

static void test_enr_sign_reproduces_example(void **state)
{
	uint8_t priv[32], out[ENR_MAX_SIZE], want[ENR_MAX_SIZE];
	size_t want_len = unhex(want, sizeof(want), example_rlp_hex);
	struct enr r;

	(void)state;
	unhex(priv, 32, EXAMPLE_PRIV);
	enr_init(&r);
	enr_set_seq(&r, 1);
	assert_int_equal(enr_set_udp(&r, 30303), 0);
	assert_int_equal(enr_set_ip(&r, (const uint8_t *)"\x7f\x00\x00\x01"), 0);
	assert_false(r.has_sig);
	assert_int_equal(enr_encode(out, sizeof(out), &r), -EINVAL);
	assert_int_equal(enr_sign(&r, priv), 0);
	assert_int_equal(enr_encode(out, sizeof(out), &r), want_len);
	assert_memory_equal(out, want, want_len);
	check_example(&r);
	/* Changing anything drops the signature until signed again. */
	assert_int_equal(enr_set_tcp(&r, 30303), 0);
	assert_false(r.has_sig);
	assert_int_equal(enr_verify(&r), -EINVAL);
	assert_int_equal(enr_sign(&r, priv), 0);
	assert_int_equal(enr_verify(&r), 0);
	assert_int_equal(enr_sign(&r, (const uint8_t[32]){ 0 }), -EINVAL);
}

static void test_enr_rejects_bad_signature(void **state)
{
	uint8_t buf[ENR_MAX_SIZE];
	size_t len = unhex(buf, sizeof(buf), example_rlp_hex);
	struct enr r;

	(void)state;
	buf[10] ^= 0x01;                        /* inside r */
	assert_int_equal(enr_decode(&r, buf, len), len);
	assert_int_equal(enr_verify(&r), -EKEYREJECTED);

	/* Content changed under a good signature: udp 30303 -> 30304. */
	len = unhex(buf, sizeof(buf), example_rlp_hex);
	assert_int_equal(buf[len - 1], 0x5f);
	buf[len - 1] = 0x60;
	assert_int_equal(enr_decode(&r, buf, len), len);
	assert_int_equal(enr_verify(&r), -EKEYREJECTED);

	/* Key no longer a valid point: 0x03 prefix -> 0x05. */
	len = unhex(buf, sizeof(buf), example_rlp_hex);
	buf[len - 7 - 33] = 0x05;              /* before 83 "udp" 82 765f */
	assert_int_equal(enr_decode(&r, buf, len), len);
	assert_int_equal(enr_verify(&r), -EBADMSG);
}

/* Signs [seq, pairs...] by the v4 rule whatever "id" says, to build
 * records whose only fault is the one under test. */
static size_t sign_any(uint8_t *out, size_t cap, const struct enr *r,
		       const uint8_t priv[32])
{
	uint8_t content[ENR_MAX_SIZE + 16], h[32], sig[65];
	struct rlp_buf b;
	ssize_t n;

	rlp_buf_init(&b, content, sizeof(content));
	rlp_list_begin(&b);
	rlp_put_u64(&b, r->seq);
	rlp_put_raw(&b, r->kv, r->kv_len);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	assert_true(n > 0);
	keccak256(h, content, (size_t)n);
	assert_int_equal(secp_sign(sig, h, priv), 0);
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, sig, 64);
	rlp_put_u64(&b, r->seq);
	rlp_put_raw(&b, r->kv, r->kv_len);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_enr_rejects_unknown_scheme(void **state)
{
	uint8_t priv[32], pub[64], cpub[33], buf[ENR_MAX_SIZE];
	struct enr r, d;
	size_t len;

	(void)state;
	unhex(priv, 32, EXAMPLE_PRIV);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_int_equal(secp_pub_compress(cpub, pub), 0);
	enr_init(&r);
	enr_set_seq(&r, 7);
	assert_int_equal(enr_set_secp256k1(&r, cpub), 0);
	assert_int_equal(enr_set_id(&r, "v4"), 0);
	len = sign_any(buf, sizeof(buf), &r, priv);
	assert_int_equal(enr_decode(&d, buf, len), len);
	assert_int_equal(enr_verify(&d), 0);    /* the control case */

	assert_int_equal(enr_set_id(&r, "v5"), 0);
	len = sign_any(buf, sizeof(buf), &r, priv);
	assert_int_equal(enr_decode(&d, buf, len), len);
	assert_int_equal(enr_verify(&d), -EPROTONOSUPPORT);

	assert_int_equal(enr_set_id(&r, "a-long-scheme-name"), 0);
	len = sign_any(buf, sizeof(buf), &r, priv);
	assert_int_equal(enr_decode(&d, buf, len), len);
	assert_int_equal(enr_verify(&d), -EPROTONOSUPPORT);

	/* No "id" at all. */
	enr_init(&r);
	assert_int_equal(enr_set_secp256k1(&r, cpub), 0);
	len = sign_any(buf, sizeof(buf), &r, priv);
	assert_int_equal(enr_decode(&d, buf, len), len);
	assert_int_equal(enr_verify(&d), -EBADMSG);
}

static void test_enr_size_cap(void **state)
{
	uint8_t priv[32], val[300], buf[ENR_MAX_SIZE + 8];
	struct enr r, d;
	struct rlp_buf b;
	size_t vlen;
	bool hit = false;

	(void)state;
	unhex(priv, 32, EXAMPLE_PRIV);
	memset(val, 0x42, sizeof(val));
	/* Grow a "z" value until the signed record is exactly 300 bytes. */
	for (vlen = 100; vlen < 200; vlen++) {
		uint8_t enc[300];
		ssize_t n;

		rlp_buf_init(&b, enc, sizeof(enc));
		rlp_put_bytes(&b, val, vlen);
		n = rlp_buf_finish(&b);
		enr_init(&r);
		assert_int_equal(enr_set_raw(&r, "z", enc, (size_t)n), 0);
		if (enr_sign(&r, priv) != 0) {
			assert_int_equal(enr_sign(&r, priv), -EMSGSIZE);
			assert_false(r.has_sig);
			assert_true(hit);       /* 300 came before 301 */
			break;
		}
		if (r.raw_len == ENR_MAX_SIZE) {
			hit = true;
			assert_int_equal(enr_encode(buf, sizeof(buf), &r), 300);
			assert_int_equal(enr_decode(&d, buf, 300), 300);
			assert_int_equal(enr_verify(&d), 0);
		}
	}
	assert_true(hit);
	assert_true(vlen < 200);

	/* A 301-byte encoding is refused before it is parsed. */
	rlp_buf_init(&b, buf, sizeof(buf));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, val, 64);
	rlp_put_u64(&b, 1);
	rlp_put_bytes(&b, (const uint8_t *)"z", 1);
	rlp_put_bytes(&b, val, 228);
	rlp_list_end(&b);
	assert_int_equal(rlp_buf_finish(&b), 301);
	assert_int_equal(enr_decode(&d, buf, 301), -EMSGSIZE);
}

/* Encodes [sig(64 x 0x11), seq, items...] where items are pre-encoded. */
static size_t record_with(uint8_t *out, size_t cap, const char *items_hex)
{
	uint8_t sig[64], items[ENR_MAX_SIZE];
	size_t ilen = unhex(items, sizeof(items), items_hex);
	struct rlp_buf b;
	ssize_t n;

	memset(sig, 0x11, sizeof(sig));
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, sig, 64);
	rlp_put_raw(&b, items, ilen);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_enr_rejects_malformed(void **state)
{
	static const struct {
		const char *what, *items;
		ssize_t err;
	} rows[] = {
		{ "well formed", "01" "826964827634" "826970847f000001", 0 },
		{ "unsorted keys", "01" "826970847f000001" "826964827634",
		  -EBADMSG },
		{ "duplicate key", "01" "826964827634" "826964827634",
		  -EBADMSG },
		{ "key without value", "01" "826964827634" "826970", -EBADMSG },
		{ "key is a list", "01" "c26964" "827634", -EBADMSG },
		{ "seq with leading zero", "820001" "826964827634", -EBADMSG },
		{ "seq over 64 bits", "89010000000000000000" "826964827634",
		  -EBADMSG },
		{ "no seq", "", -EBADMSG },
		{ "non-canonical value", "01" "826964" "b8027634", -EBADMSG },
		{ "prefix key sorts first", "01" "82696482763483696470"
		  "847f000001", 0 },
		{ "longer key before its prefix", "01" "83696470847f000001"
		  "826964827634", -EBADMSG },
	};
	uint8_t buf[ENR_MAX_SIZE + 8];
	struct enr r;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = record_with(buf, sizeof(buf), rows[i].items);
		ssize_t want = rows[i].err ? rows[i].err : (ssize_t)len;

		if (enr_decode(&r, buf, len) != want)
			fail_msg("row '%s'", rows[i].what);
	}
	/* Not a list; signature a list; empty input; truncated. */
	assert_int_equal(enr_decode(&r, (const uint8_t *)"\x82\x01\x02", 3),
			 -EBADMSG);
	assert_int_equal(enr_decode(&r, (const uint8_t *)"\xc2\xc0\x01", 3),
			 -EBADMSG);
	assert_int_equal(enr_decode(&r, buf, 0), -EMSGSIZE);
	size_t len = record_with(buf, sizeof(buf), "01826964827634");
	assert_int_equal(enr_decode(&r, buf, len - 1), -EMSGSIZE);
}

static void test_enr_rejects_trailing_garbage(void **state)
{
	uint8_t buf[ENR_MAX_SIZE];
	size_t len = unhex(buf, sizeof(buf), example_rlp_hex);
	char text[sizeof(example_text) + 4];
	struct enr r;

	(void)state;
	buf[len] = 0x00;
	assert_int_equal(enr_decode(&r, buf, len + 1), -EBADMSG);
	buf[len] = 0xc0;
	assert_int_equal(enr_decode(&r, buf, len + 1), -EBADMSG);
	/* The text ends in a 2-byte group ("dl8"); one more "A" completes it
	 * as 0x76 0x5f 0x00, a zero byte after the record. */
	snprintf(text, sizeof(text), "%sA", example_text);
	assert_int_equal(enr_decode_text(&r, text, strlen(text)), -EBADMSG);
}

static void test_enr_rejects_bad_text(void **state)
{
	char text[sizeof(example_text) + 4];
	size_t len = strlen(example_text);
	struct enr r;
	char *p;

	(void)state;
	memcpy(text, example_text, len + 1);
	text[3] = ';';                          /* "enr;" */
	assert_int_equal(enr_decode_text(&r, text, len), -EBADMSG);
	assert_int_equal(enr_decode_text(&r, "enr", 3), -EBADMSG);
	assert_int_equal(enr_decode_text(&r, "enr:", 4), -EMSGSIZE);

	/* Standard-alphabet characters instead of '-' and '_'. */
	memcpy(text, example_text, len + 1);
	p = strchr(text, '-');
	*p = '+';
	assert_int_equal(enr_decode_text(&r, text, len), -EBADMSG);
	memcpy(text, example_text, len + 1);
	p = strchr(text, '_');
	*p = '/';
	assert_int_equal(enr_decode_text(&r, text, len), -EBADMSG);

	/* Padding, whitespace, a dangling sextet. */
	snprintf(text, sizeof(text), "%s=", example_text);
	assert_int_equal(enr_decode_text(&r, text, len + 1), -EBADMSG);
	memcpy(text, example_text, len + 1);
	text[20] = ' ';
	assert_int_equal(enr_decode_text(&r, text, len), -EBADMSG);
	snprintf(text, sizeof(text), "%sAA", example_text); /* 181: 1 mod 4 */
	assert_int_equal(enr_decode_text(&r, text, len + 2), -EBADMSG);

	/* Last char '8' (111100) -> '9' (111101): a non-zero spare bit. */
	memcpy(text, example_text, len + 1);
	assert_int_equal(text[len - 1], '8');
	text[len - 1] = '9';
	assert_int_equal(enr_decode_text(&r, text, len), -EBADMSG);

	/* Over 300 bytes of base64 payload. */
	char big[4 + 404 + 1];
	memcpy(big, "enr:", 4);
	memset(big + 4, 'A', 404);
	assert_int_equal(enr_decode_text(&r, big, sizeof(big) - 1), -EMSGSIZE);
}

static void test_enr_typed_accessors(void **state)
{
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	/* eth = [[fork-hash, fork-next]] as EIP-2124 puts it in the ENR */
	static const uint8_t eth[] = { 0xc7, 0xc6, 0x84, 0xfc, 0x64, 0xec,
				       0x04, 0x80 };
	uint8_t priv[32], got6[16], buf[ENR_MAX_SIZE];
	const uint8_t *v;
	size_t vlen;
	uint16_t port;
	struct enr r, d;
	ssize_t n;

	(void)state;
	unhex(priv, 32, EXAMPLE_PRIV);
	enr_init(&r);
	assert_int_equal(enr_set_ip6(&r, ip6), 0);
	assert_int_equal(enr_set_tcp6(&r, 30304), 0);
	assert_int_equal(enr_set_udp6(&r, 0), 0);
	assert_int_equal(enr_set_tcp(&r, 65535), 0);
	assert_int_equal(enr_set_eth(&r, eth, sizeof(eth)), 0);
	assert_int_equal(enr_set_tcp(&r, 30303), 0);  /* replace */
	assert_int_equal(enr_set_eth(&r, (const uint8_t *)"\xc1", 1), -EINVAL);
	enr_set_seq(&r, 0x123456789aull);
	assert_int_equal(enr_sign(&r, priv), 0);
	n = enr_encode(buf, sizeof(buf), &r);
	assert_true(n > 0);
	assert_int_equal(enr_decode(&d, buf, (size_t)n), n);
	assert_int_equal(enr_verify(&d), 0);
	assert_int_equal(d.seq, 0x123456789aull);
	/* eth id ip6 secp256k1 tcp tcp6 udp6: sorted. */
	assert_int_equal(d.n, 7);
	assert_int_equal(enr_get_ip6(&d, got6), 0);
	assert_memory_equal(got6, ip6, 16);
	assert_int_equal(enr_get_tcp(&d, &port), 0);
	assert_int_equal(port, 30303);
	assert_int_equal(enr_get_tcp6(&d, &port), 0);
	assert_int_equal(port, 30304);
	assert_int_equal(enr_get_udp6(&d, &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(enr_get_udp(&d, &port), -ENOENT);
	assert_int_equal(enr_get_eth(&d, &v, &vlen), 0);
	assert_int_equal(vlen, sizeof(eth));
	assert_memory_equal(v, eth, sizeof(eth));
	static const char *const order[] = { "eth", "id", "ip6", "secp256k1",
					     "tcp", "tcp6", "udp6" };
	for (unsigned i = 0; i < d.n; i++) {
		assert_int_equal(d.pairs[i].key_len, strlen(order[i]));
		assert_memory_equal(d.kv + d.pairs[i].key_off, order[i],
				    d.pairs[i].key_len);
	}

	/* Wrong shapes for typed getters. */
	assert_int_equal(enr_set_raw(&r, "ip", (const uint8_t *)"\x83\x01\x02\x03",
				     4), 0);
	assert_int_equal(enr_get_ip(&r, got6), -EBADMSG);
	assert_int_equal(enr_set_raw(&r, "udp", (const uint8_t *)"\x83\x01\x00\x00",
				     4), 0);
	assert_int_equal(enr_get_udp(&r, &port), -EBADMSG);
	assert_int_equal(enr_set_raw(&r, "udp", (const uint8_t *)"\xc0", 1), 0);
	assert_int_equal(enr_get_udp(&r, &port), -EBADMSG);
	assert_int_equal(enr_set_raw(&r, "", (const uint8_t *)"\x01", 1),
			 -EINVAL);
	char small[2];
	assert_int_equal(enr_get_id(&r, small, sizeof(small)), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enr_example_text_round_trip),
		cmocka_unit_test(test_enr_example_rlp_round_trip),
		cmocka_unit_test(test_enr_sign_reproduces_example),
		cmocka_unit_test(test_enr_rejects_bad_signature),
		cmocka_unit_test(test_enr_rejects_unknown_scheme),
		cmocka_unit_test(test_enr_size_cap),
		cmocka_unit_test(test_enr_rejects_malformed),
		cmocka_unit_test(test_enr_rejects_trailing_garbage),
		cmocka_unit_test(test_enr_rejects_bad_text),
		cmocka_unit_test(test_enr_typed_accessors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
