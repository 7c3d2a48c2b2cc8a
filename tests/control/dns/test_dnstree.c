/* SPDX-License-Identifier: MIT */
/* tests/control/dns/test_dnstree.c - EIP-1459 entry codec: base32, entry
 * names, the spec's example tree, root signatures, links, geth's
 * TestParseRoot / TestParseEntry cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/secp.h"
#include "control/dns/dnstree.h"
#include "tests/control/dns/dns_vectors.h"

static void priv_from_hex(uint8_t priv[32], const char *hex)
{
	assert_int_equal(hex_decode(priv, 32, hex, 64), 32);
}

/* RFC 4648 §10 test vectors (unpadded). */
static void test_dnstree_b32_rfc4648_vectors(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	char out[32];
	uint8_t back[16];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);

		assert_int_equal(dnstree_b32_encode(out, (const uint8_t *)v[i].in, n),
				 strlen(v[i].out));
		assert_string_equal(out, v[i].out);
		assert_int_equal(dnstree_b32_decode(back, sizeof(back), v[i].out,
						    strlen(v[i].out)), n);
		assert_memory_equal(back, v[i].in, n);
	}
}

static void test_dnstree_b32_rejects(void **state)
{
	static const char *const bad[] = {
		"my",           /* lower case */
		"M",            /* 1 mod 8 */
		"MZX",          /* 3 mod 8 */
		"MZXW6Y",       /* 6 mod 8 */
		"MY======",     /* padding */
		"M1",           /* not in the alphabet */
	};
	uint8_t out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dnstree_b32_decode(out, sizeof(out), bad[i],
						    strlen(bad[i])), -EBADMSG);
	assert_int_equal(dnstree_b32_decode(out, 2, "MZXW6", 5), -EMSGSIZE);
	/* Unused low bits are ignored, as Go does: "MZ" is "f" too. */
	assert_int_equal(dnstree_b32_decode(out, sizeof(out), "MZ", 2), 1);
	assert_int_equal(out[0], 'f');
}

/* Every entry of the spec's example sits at the name its text hashes to. */
static void test_dnstree_spec_entry_names(void **state)
{
	char name[DNSTREE_HASH_TEXT_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(spec_tree) / sizeof(spec_tree[0]); i++) {
		const char *t = spec_tree[i].txt;

		dnstree_name(name, t, strlen(t));
		assert_string_equal(name, spec_tree[i].name);
		assert_true(dnstree_hash_matches(spec_tree[i].name, 26, t,
						 strlen(t)));
		/* A 20-character (12-byte) prefix is a valid name too. */
		assert_true(dnstree_hash_matches(spec_tree[i].name, 20, t,
						 strlen(t)));
		/* One byte changed: no longer the same name. */
		{
			char buf[512];

			snprintf(buf, sizeof(buf), "%s", t);
			buf[strlen(buf) - 1] ^= 1;
			assert_false(dnstree_hash_matches(spec_tree[i].name, 26,
							  buf, strlen(buf)));
		}
	}
}

static void test_dnstree_spec_root_verifies_under_url_key(void **state)
{
	struct dnstree_root r;
	struct dnstree_link url, other;
	uint8_t priv[32], pub[64];

	(void)state;
	assert_int_equal(dnstree_parse_root(&r, SPEC_ROOT, strlen(SPEC_ROOT)),
			 strlen(SPEC_ROOT));
	assert_string_equal(r.eroot, "JWXYDBPXYWG6FX3GMDIBFA6CJ4");
	assert_string_equal(r.lroot, "C7HRFPF3BLGF3YR4DY5KX3SMBE");
	assert_int_equal(r.seq, 1);

	assert_int_equal(dnstree_parse_link(&url, SPEC_URL, strlen(SPEC_URL)),
			 strlen(SPEC_URL));
	assert_string_equal(url.domain, "n");
	priv_from_hex(priv, SPEC_PRIV_HEX);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_memory_equal(url.pub, pub, 64);
	assert_int_equal(dnstree_root_verify(&r, url.pub), 0);

	/* Not under the linked tree's key, which the spec prose names. */
	assert_int_equal(dnstree_parse_link(&other, SPEC_LINK, strlen(SPEC_LINK)),
			 strlen(SPEC_LINK));
	assert_int_equal(dnstree_root_verify(&r, other.pub), -EKEYREJECTED);

	/* A tampered root: seq or a subtree hash changed. */
	r.seq = 2;
	assert_int_equal(dnstree_root_verify(&r, url.pub), -EKEYREJECTED);
	r.seq = 1;
	r.eroot[0] = 'K';
	assert_int_equal(dnstree_root_verify(&r, url.pub), -EKEYREJECTED);
}

/* Signing the spec's root with the key gives the spec's signature byte for
 * byte: RFC 6979 nonces, as geth's crypto.Sign. */
static void test_dnstree_sign_reproduces_spec_root(void **state)
{
	struct dnstree_root r, s;
	char text[DNSTREE_ROOT_TEXT_MAX];
	uint8_t priv[32];

	(void)state;
	assert_true(dnstree_parse_root(&r, SPEC_ROOT, strlen(SPEC_ROOT)) > 0);
	s = r;
	memset(s.sig, 0, sizeof(s.sig));
	priv_from_hex(priv, SPEC_PRIV_HEX);
	assert_int_equal(dnstree_root_sign(&s, priv), 0);
	assert_memory_equal(s.sig, r.sig, DNSTREE_SIG_LEN);
	assert_int_equal(dnstree_format_root(text, sizeof(text), &s),
			 strlen(SPEC_ROOT));
	assert_string_equal(text, SPEC_ROOT);
	assert_int_equal(dnstree_format_root(text, 40, &s), -EMSGSIZE);
}

/* The public key dnsdisc.md prints next to the AM5FCQ... URL is in fact
 * the AKPYQ... key (geth's signingKeyForTesting, which signed the example
 * root), not the one in that URL. Formatting a link from a key gives the
 * URL back. */
static void test_dnstree_link_key_and_format(void **state)
{
	struct dnstree_link l;
	uint8_t want[64], priv[32], pub[64];
	char out[DNSTREE_LINK_TEXT_MAX];

	(void)state;
	assert_int_equal(hex_decode(want, 64, SPEC_PUB_HEX, 128), 64);
	assert_true(dnstree_parse_link(&l, SPEC_URL, strlen(SPEC_URL)) > 0);
	assert_memory_equal(l.pub, want, 64);
	assert_true(dnstree_parse_link(&l, SPEC_LINK, strlen(SPEC_LINK)) > 0);
	assert_memory_not_equal(l.pub, want, 64);
	assert_string_equal(l.domain, "morenodes.example.org");
	assert_string_equal(l.loc, &SPEC_LINK[10]);
	assert_int_equal(dnstree_format_link(out, sizeof(out), l.pub,
					     "morenodes.example.org"),
			 strlen(SPEC_LINK));
	assert_string_equal(out, SPEC_LINK);

	priv_from_hex(priv, SPEC_PRIV_HEX);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_true(dnstree_format_link(out, sizeof(out), pub, "n") > 0);
	assert_string_equal(out, SPEC_URL);
	assert_int_equal(dnstree_format_link(out, sizeof(out), pub, "a..b"),
			 -EINVAL);
	assert_int_equal(dnstree_format_link(out, 20, pub, "n"), -EMSGSIZE);
}

static void test_dnstree_link_rejects(void **state)
{
	static const char *const bad[] = {
		"enrtree://nodes.example.org",          /* geth: errNoPubkey */
		/* geth: errBadPubkey (short, then not a point) */
		"enrtree://AP62DT7WOTEQZGQZOU474PP3KMEGVTTE7A7NPRXKX3DUD57@nodes.example.org",
		"enrtree://AP62DT7WONEQZGQZOU474PP3KMEGVTTE7A7NPRXKX3DUD57TQHGIA@nodes.example.org",
		"enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@",
		"enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@a..b",
		"enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@.n",
		"enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@n.",
		"enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@a b",
		"enrtree://akpyqiuqil7psiaci32j7fgzw56e5fkhefccofhilbimw3m6lwxs2@n",
		"enrtree:/AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@n",
		"",
	};
	struct dnstree_link l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dnstree_parse_link(&l, bad[i], strlen(bad[i])),
				 -EBADMSG);
}

/* geth tree_test.go TestParseRoot, and our stricter syntax. */
static void test_dnstree_parse_root_geth_cases(void **state)
{
	static const char *const bad[] = {
		/* no l= (geth: errSyntax) */
		"enrtree-root:v1 e=TO4Q75OQ2N7DX4EOOR7X66A6OM seq=3 sig=N-YY6UB9xD0hFx1Gmnt7v0RfSxch5tKyry2SRDoLx7B4GfPXagwLxQqyf7gAMvApFn_ORwZQekMWa_pXrcGCtw",
		/* a 64-byte signature (geth: errInvalidSig) */
		"enrtree-root:v1 e=TO4Q75OQ2N7DX4EOOR7X66A6OM l=TO4Q75OQ2N7DX4EOOR7X66A6OM seq=3 sig=N-YY6UB9xD0hFx1Gmnt7v0RfSxch5tKyry2SRDoLx7B4GfPXagwLxQqyf7gAMvApFn_ORwZQekMWa_pXrcGCtw",
		/* trailing text, a bad hash, no seq digits, a sign */
		SPEC_ROOT " x",
		"enrtree-root:v1 e=1 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA",
		"enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq= sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA",
		"enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=-1 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA",
		"enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=18446744073709551616 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA",
		"enrtree-root:v2 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA",
		"",
	};
	static const char good[] =
		"enrtree-root:v1 e=QFT4PBCRX4XQCV3VUYJ6BTCEPU l=JGUFMSAGI7KZYB3P7IZW4S5Y3A seq=3 sig=3FmXuVwpa8Y7OstZTx9PIb1mt8FrW7VpDOFv4AaGCsZ2EIHmhraWhe4NxYhQDlw5MjeFXYMbJjsPeKlHzmJREQE";
	static const char good_sig[] =
		"dc5997b95c296bc63b3acb594f1f4f21bd66b7c16b5bb5690ce16fe006860ac6"
		"761081e686b69685ee0dc588500e5c393237855d831b263b0f78a947ce62511101";
	struct dnstree_root r;
	uint8_t sig[65];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dnstree_parse_root(&r, bad[i], strlen(bad[i])),
				 -EBADMSG);
	assert_int_equal(dnstree_parse_root(&r, good, strlen(good)), strlen(good));
	assert_string_equal(r.eroot, "QFT4PBCRX4XQCV3VUYJ6BTCEPU");
	assert_string_equal(r.lroot, "JGUFMSAGI7KZYB3P7IZW4S5Y3A");
	assert_int_equal(r.seq, 3);
	assert_int_equal(hex_decode(sig, 65, good_sig, 130), 65);
	assert_memory_equal(r.sig, sig, 65);
}

/* A seq with leading zeros is signed as geth formats it (%d). */
static void test_dnstree_root_seq_leading_zeros(void **state)
{
	struct dnstree_root r;
	const char *s = "enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=001 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA";
	struct dnstree_link url;

	(void)state;
	assert_true(dnstree_parse_root(&r, s, strlen(s)) > 0);
	assert_int_equal(r.seq, 1);
	assert_true(dnstree_parse_link(&url, SPEC_URL, strlen(SPEC_URL)) > 0);
	assert_int_equal(dnstree_root_verify(&r, url.pub), 0);
}

/* geth tree_test.go TestParseEntry. */
static void test_dnstree_parse_entry_geth_cases(void **state)
{
	static const char enr_ok[] = "enr:-HW4QES8QIeXTYlDzbfr1WEzE-XKY4f8gJFJzjJL-9D7TC9lJb4Z3JPRRz1lP4pL_N_QpT6rGQjAU9Apnc-C1iMP36OAgmlkgnY0iXNlY3AyNTZrMaED5IdwfMxdmR8W37HqSFdQLjDkIwBd4Q_MjxgZifgKSdM";
	static const struct { const char *in; ssize_t rc; } v[] = {
		{ "enrtree-branch:1,2", -EBADMSG },
		{ "enrtree-branch:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", -EBADMSG },
		{ "enrtree-branch:AAAAAAAAAAAAAAAAAAAA,", -EBADMSG },
		{ "enrtree://nodes.example.org", -EBADMSG },
		{ "enrtree://AP62DT7WOTEQZGQZOU474PP3KMEGVTTE7A7NPRXKX3DUD57@nodes.example.org", -EBADMSG },
		{ "enrtree://AP62DT7WONEQZGQZOU474PP3KMEGVTTE7A7NPRXKX3DUD57TQHGIA@nodes.example.org", -EBADMSG },
		/* padded base64 */
		{ "enr:-HW4QLZHjM4vZXkbp-5xJoHsKSbE7W39FPC8283X-y8oHcHPTnDDlIlzL5ArvDUlHZVDPgmFASrh7cWgLOLxj4wprRkHgmlkgnY0iXNlY3AyNTZrMaEC3t2jLMhDpCDX5mbSEwDn4L3iUfyXzoO8G28XvjGRkrAg=", -EBADMSG },
		{ "enr:-----", -EBADMSG },      /* geth TestClientSyncTreeBadNode */
		{ "", -ENOMSG }, { "foo", -ENOMSG }, { "enrtree", -ENOMSG },
		{ "enrtree-x=", -ENOMSG }, { SPEC_ROOT, -ENOMSG },
	};
	struct dnstree_entry e;
	char tampered[sizeof(enr_ok)];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(dnstree_parse_entry(&e, v[i].in, strlen(v[i].in)),
				 v[i].rc);

	assert_int_equal(dnstree_parse_entry(&e, "enrtree-branch:", 15), 15);
	assert_int_equal(e.type, DNSTREE_BRANCH);
	assert_int_equal(e.u.branch.n, 0);

	{
		const char *b = "enrtree-branch:AAAAAAAAAAAAAAAAAAAA,BBBBBBBBBBBBBBBBBBBB";

		assert_int_equal(dnstree_parse_entry(&e, b, strlen(b)), strlen(b));
		assert_int_equal(e.type, DNSTREE_BRANCH);
		assert_int_equal(e.u.branch.n, 2);
		assert_int_equal(e.u.branch.child[0].len, 20);
		assert_memory_equal(b + e.u.branch.child[1].off,
				    "BBBBBBBBBBBBBBBBBBBB", 20);
	}
	assert_int_equal(dnstree_parse_entry(&e, SPEC_BRANCH, strlen(SPEC_BRANCH)),
			 strlen(SPEC_BRANCH));
	assert_int_equal(e.u.branch.n, 3);
	assert_memory_equal(&SPEC_BRANCH[e.u.branch.child[2].off],
			    "MHTDO6TMUBRIA2XWG5LUDACK24", 26);

	assert_int_equal(dnstree_parse_entry(&e, SPEC_LINK, strlen(SPEC_LINK)),
			 strlen(SPEC_LINK));
	assert_int_equal(e.type, DNSTREE_LINK);
	assert_string_equal(e.u.link.domain, "morenodes.example.org");

	assert_int_equal(dnstree_parse_entry(&e, enr_ok, strlen(enr_ok)),
			 strlen(enr_ok));
	assert_int_equal(e.type, DNSTREE_ENR);
	assert_true(e.u.enr.has_sig);

	/* A record whose signature no longer verifies. */
	memcpy(tampered, enr_ok, sizeof(enr_ok));
	tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
	assert_int_equal(dnstree_parse_entry(&e, tampered, strlen(tampered)),
			 -EKEYREJECTED);
}

/* A branch longer than DNSTREE_BRANCH_MAX children, and an entry over
 * DNSTREE_ENTRY_MAX. */
static void test_dnstree_parse_entry_limits(void **state)
{
	static char buf[DNSTREE_ENTRY_MAX + 64];
	struct dnstree_entry e;
	size_t pos = 15;

	(void)state;
	memcpy(buf, "enrtree-branch:", 15);
	for (int i = 0; i < DNSTREE_BRANCH_MAX; i++) {
		if (i)
			buf[pos++] = ',';
		memset(buf + pos, 'A', 20);
		pos += 20;
	}
	/* DNSTREE_BRANCH_MAX children fit DNSTREE_ENTRY_MAX and parse; one
	 * more does not fit. */
	assert_true(pos <= DNSTREE_ENTRY_MAX && pos + 21 > DNSTREE_ENTRY_MAX);
	assert_int_equal(dnstree_parse_entry(&e, buf, pos), pos);
	assert_int_equal(e.u.branch.n, DNSTREE_BRANCH_MAX);
	buf[pos] = ',';
	memset(buf + pos + 1, 'A', 20);
	assert_int_equal(dnstree_parse_entry(&e, buf, pos + 21), -EMSGSIZE);
	memset(buf + pos, 'A', sizeof(buf) - pos);
	assert_int_equal(dnstree_parse_entry(&e, buf, DNSTREE_ENTRY_MAX + 1),
			 -EMSGSIZE);
}

static void test_dnstree_valid_hash_lengths(void **state)
{
	(void)state;
	assert_false(dnstree_valid_hash("AAAAAAAAAAAAAAAA", 16));       /* 10 bytes */
	assert_true(dnstree_valid_hash("AAAAAAAAAAAAAAAAAAAA", 20));    /* 12 */
	assert_true(dnstree_valid_hash("JWXYDBPXYWG6FX3GMDIBFA6CJ4", 26));
	assert_true(dnstree_valid_hash(
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 52));
	assert_false(dnstree_valid_hash(
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 53));
	assert_false(dnstree_valid_hash("JWXYDBPXYWG6FX3GMDIBFA6CJ\n", 26));
	assert_false(dnstree_valid_hash("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnstree_b32_rfc4648_vectors),
		cmocka_unit_test(test_dnstree_b32_rejects),
		cmocka_unit_test(test_dnstree_spec_entry_names),
		cmocka_unit_test(test_dnstree_spec_root_verifies_under_url_key),
		cmocka_unit_test(test_dnstree_sign_reproduces_spec_root),
		cmocka_unit_test(test_dnstree_link_key_and_format),
		cmocka_unit_test(test_dnstree_link_rejects),
		cmocka_unit_test(test_dnstree_parse_root_geth_cases),
		cmocka_unit_test(test_dnstree_root_seq_leading_zeros),
		cmocka_unit_test(test_dnstree_parse_entry_geth_cases),
		cmocka_unit_test(test_dnstree_parse_entry_limits),
		cmocka_unit_test(test_dnstree_valid_hash_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
