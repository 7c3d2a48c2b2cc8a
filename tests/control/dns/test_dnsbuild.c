/* SPDX-License-Identifier: MIT */
/* tests/control/dns/test_dnsbuild.c - the tree builder: the spec's example
 * tree rebuilt byte for byte (records, link, key, seq), geth's branch
 * layout for 0, 1, 13, 14 and 170 records, refused inputs, and the three
 * outputs (to-txt JSON, zone file, enrtree-info.json). */
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
#include "common/keccak.h"
#include "control/dns/dnsbuild.h"
#include "tests/control/dns/dns_vectors.h"

static void spec_priv(uint8_t priv[32])
{
	assert_int_equal(hex_decode(priv, 32, SPEC_PRIV_HEX, 64), 32);
}

static void decode_enr(struct enr *r, const char *txt)
{
	assert_int_equal(enr_decode_text(r, txt, strlen(txt)), strlen(txt));
}

/* A signed record for test key i (private key i + 1), with an optional
 * filler entry of pad bytes to make long texts. */
static void make_enr(struct enr *r, unsigned i, size_t pad)
{
	uint8_t priv[32] = { 0 }, ip[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };

	priv[28] = (uint8_t)((i + 1) >> 24);
	priv[29] = (uint8_t)((i + 1) >> 16);
	priv[30] = (uint8_t)((i + 1) >> 8);
	priv[31] = (uint8_t)(i + 1);
	enr_init(r);
	assert_int_equal(enr_set_ip(r, ip), 0);
	assert_int_equal(enr_set_tcp(r, 30303), 0);
	assert_int_equal(enr_set_udp(r, 30303), 0);
	if (pad) {
		uint8_t v[256];

		assert_true(pad < 200);
		v[0] = 0xb8;
		v[1] = (uint8_t)pad;
		memset(v + 2, 0x5a, pad);
		assert_int_equal(enr_set_raw(r, "z", v, pad + 2), 0);
	}
	enr_set_seq(r, 1);
	assert_int_equal(enr_sign(r, priv), 0);
}

static const struct dnsbuild_entry *find(const struct dnsbuild *b,
					 const char *name, size_t len)
{
	for (size_t i = 0; i < b->n_ents; i++)
		if (strlen(b->ents[i].name) == len &&
		    memcmp(b->ents[i].name, name, len) == 0)
			return &b->ents[i];
	return NULL;
}

/* The spec's example tree: its three records and its link, seq 1, signed
 * by geth's test key for domain "n", is exactly the spec's zone (and
 * geth's TestClientSyncTree resolver map), root signature included. */
static void test_dnsbuild_reproduces_spec_tree(void **state)
{
	static const char want[] =
		"{\n"
		"    \"2XS2367YHAXJFGLZHVAWLQD4ZY.n\": \"" SPEC_ENR0 "\",\n"
		"    \"C7HRFPF3BLGF3YR4DY5KX3SMBE.n\": \"" SPEC_LINK "\",\n"
		"    \"H4FHT4B454P6UXFD7JCYQ5PWDY.n\": \"" SPEC_ENR1 "\",\n"
		"    \"JWXYDBPXYWG6FX3GMDIBFA6CJ4.n\": \"" SPEC_BRANCH "\",\n"
		"    \"MHTDO6TMUBRIA2XWG5LUDACK24.n\": \"" SPEC_ENR2 "\",\n"
		"    \"n\": \"" SPEC_ROOT "\"\n"
		"}";
	static const char *const links[] = { SPEC_LINK };
	struct enr recs[3];
	struct dnsbuild b;
	uint8_t priv[32];
	char *out;
	size_t len;

	(void)state;
	/* Given in another order than the tree's (node id) order. */
	decode_enr(&recs[0], SPEC_ENR2);
	decode_enr(&recs[1], SPEC_ENR0);
	decode_enr(&recs[2], SPEC_ENR1);
	spec_priv(priv);
	assert_int_equal(dnsbuild_make(&b, recs, 3, links, 1, 1), 0);
	assert_int_equal(dnsbuild_txt_json(&b, &out, &len), -EPROTO);
	assert_int_equal(dnsbuild_sign(&b, priv, "n"), 0);
	assert_string_equal(b.url, SPEC_URL);
	assert_int_equal(dnsbuild_txt_json(&b, &out, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(out, want);
	free(out);
	dnsbuild_fini(&b);
}

static void test_dnsbuild_info_json(void **state)
{
	static const char want_links[] =
		"{\n"
		"    \"url\": \"" SPEC_URL "\",\n"
		"    \"seq\": 1,\n"
		"    \"signature\": \"o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA\",\n"
		"    \"links\": [\n"
		"        \"" SPEC_LINK "\"\n"
		"    ],\n"
		"    \"lastModified\": \"2023-11-14T22:13:20.5Z\"\n"
		"}";
	static const char want_nolinks_tail[] =
		"    \"links\": [],\n"
		"    \"lastModified\": \"2023-11-14T22:13:20Z\"\n"
		"}";
	static const char *const links[] = { SPEC_LINK };
	struct enr recs[3];
	struct dnsbuild b;
	uint8_t priv[32];
	char *out;
	size_t len;

	(void)state;
	decode_enr(&recs[0], SPEC_ENR0);
	decode_enr(&recs[1], SPEC_ENR1);
	decode_enr(&recs[2], SPEC_ENR2);
	spec_priv(priv);
	assert_int_equal(dnsbuild_make(&b, recs, 3, links, 1, 1), 0);
	assert_int_equal(dnsbuild_sign(&b, priv, "n"), 0);
	assert_int_equal(dnsbuild_info_json(&b, 1700000000, 500000000, &out,
					    &len), 0);
	assert_string_equal(out, want_links);
	free(out);
	dnsbuild_fini(&b);

	assert_int_equal(dnsbuild_make(&b, recs, 3, NULL, 0, 7), 0);
	assert_int_equal(dnsbuild_sign(&b, priv, "n"), 0);
	assert_int_equal(dnsbuild_info_json(&b, 1700000000, 0, &out, &len), 0);
	assert_non_null(strstr(out, "\"seq\": 7,\n"));
	assert_true(len > strlen(want_nolinks_tail));
	assert_string_equal(out + len - strlen(want_nolinks_tail),
			    want_nolinks_tail);
	free(out);
	dnsbuild_fini(&b);
}

struct walk {
	const struct dnsbuild *b;
	uint8_t last_id[ENR_ID_LEN];
	size_t leaves, branches;
	unsigned max_depth;
};

/* Walks the subtree at name: every entry is present, hashes to its name,
 * branches have 1..13 children, and records come in node-id order. */
static void walk(struct walk *w, const char *name, size_t len, unsigned depth)
{
	const struct dnsbuild_entry *e = find(w->b, name, len);
	static struct dnstree_entry pe;
	size_t n;
	struct dnstree_child ch[DNSTREE_MAX_CHILDREN];

	assert_non_null(e);
	assert_true(dnstree_hash_matches(name, len, e->text, strlen(e->text)));
	if (depth > w->max_depth)
		w->max_depth = depth;
	assert_true(dnstree_parse_entry(&pe, e->text, strlen(e->text)) > 0);
	switch (pe.type) {
	case DNSTREE_ENR: {
		uint8_t id[ENR_ID_LEN];

		assert_int_equal(enr_node_id(id, &pe.u.enr), 0);
		if (w->leaves)
			assert_true(memcmp(w->last_id, id, ENR_ID_LEN) < 0);
		memcpy(w->last_id, id, ENR_ID_LEN);
		w->leaves++;
		break;
	}
	case DNSTREE_BRANCH:
		n = pe.u.branch.n;
		assert_true(n <= DNSTREE_MAX_CHILDREN);
		memcpy(ch, pe.u.branch.child, n * sizeof(ch[0]));
		w->branches++;
		for (size_t i = 0; i < n; i++) {
			char c[DNSTREE_HASH_TEXT_MAX + 1];

			memcpy(c, e->text + ch[i].off, ch[i].len);
			walk(w, c, ch[i].len, depth + 1);
		}
		break;
	case DNSTREE_LINK:
		fail_msg("link in the ENR subtree");
	}
}

/* geth's build(): groups of 13 from the front, a group of one is the leaf
 * itself, repeated until one entry is left. */
static void test_dnsbuild_branch_layout(void **state)
{
	static const struct {
		size_t n, branches;
		unsigned depth;
	} v[] = {
		{ 0, 1, 0 },    /* the empty branch */
		{ 1, 0, 0 },    /* the leaf is the root */
		{ 13, 1, 1 },
		{ 14, 2, 2 },   /* [branch(13), leaf 14] */
		{ 170, 15, 3 }, /* [branch(13 branches of 13), leaf 170] */
	};
	static struct enr recs[170];
	uint8_t priv[32];

	(void)state;
	spec_priv(priv);
	for (unsigned i = 0; i < 170; i++)
		make_enr(&recs[i], i, 0);
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		struct dnsbuild b;
		struct walk w = { .b = &b };
		const struct dnsbuild_entry *root;
		struct dnstree_entry *pe = calloc(1, sizeof(*pe));

		assert_int_equal(dnsbuild_make(&b, recs, v[k].n, NULL, 0, 1), 0);
		walk(&w, b.root.eroot, strlen(b.root.eroot), 0);
		assert_int_equal(w.leaves, v[k].n);
		assert_int_equal(w.branches, v[k].branches);
		assert_int_equal(w.max_depth, v[k].depth);
		/* Every entry is either a leaf, a branch of the ENR walk, or
		 * the (empty) link root. */
		assert_int_equal(b.n_ents, v[k].n + v[k].branches +
				 (v[k].n == 0 ? 0 : 1));
		root = find(&b, b.root.lroot, strlen(b.root.lroot));
		assert_non_null(root);
		assert_string_equal(root->text, "enrtree-branch:");
		if (v[k].n == 14 || v[k].n == 170) {
			const struct dnsbuild_entry *er =
				find(&b, b.root.eroot, strlen(b.root.eroot));
			const struct dnsbuild_entry *leaf;
			struct dnstree_child c1;
			uint8_t id[ENR_ID_LEN];

			/* The root's second child is the leaf of the
			 * record with the highest node id. */
			assert_true(dnstree_parse_entry(pe, er->text,
							strlen(er->text)) > 0);
			assert_int_equal(pe->u.branch.n, 2);
			c1 = pe->u.branch.child[1];
			leaf = find(&b, er->text + c1.off, c1.len);
			assert_non_null(leaf);
			assert_true(dnstree_parse_entry(pe, leaf->text,
							strlen(leaf->text)) > 0);
			assert_int_equal(pe->type, DNSTREE_ENR);
			assert_int_equal(enr_node_id(id, &pe->u.enr), 0);
			assert_memory_equal(id, w.last_id, ENR_ID_LEN);
		}
		free(pe);
		dnsbuild_fini(&b);
	}
}

static void test_dnsbuild_refuses_bad_input(void **state)
{
	static const char *const bad_links[] = {
		SPEC_LINK, "enrtree://nodes.example.org",
	};
	struct enr recs[3];
	struct dnsbuild b;
	uint8_t udp[4] = { 0x83, 0x01, 0x11, 0x70 };    /* 70000 */
	uint8_t lead0[3] = { 0x82, 0x00, 0x50 };        /* 80 with a leading zero */
	uint8_t priv[32] = { [31] = 9 };

	(void)state;
	make_enr(&recs[0], 0, 0);
	make_enr(&recs[1], 1, 0);
	make_enr(&recs[2], 2, 0);
	/* geth #35312: an out-of-range port in a signed record. */
	assert_int_equal(enr_set_raw(&recs[1], "udp", udp, sizeof(udp)), 0);
	assert_int_equal(enr_sign(&recs[1], priv), 0);
	assert_int_equal(dnsbuild_make(&b, recs, 3, NULL, 0, 1), -EINVAL);
	assert_int_equal(b.bad_index, 1);
	assert_null(b.ents);

	make_enr(&recs[1], 1, 0);
	assert_int_equal(enr_set_raw(&recs[2], "quic6", lead0, sizeof(lead0)), 0);
	assert_int_equal(enr_sign(&recs[2], priv), 0);
	assert_int_equal(dnsbuild_make(&b, recs, 3, NULL, 0, 1), -EINVAL);
	assert_int_equal(b.bad_index, 2);

	/* An unsigned record. */
	make_enr(&recs[2], 2, 0);
	enr_set_seq(&recs[0], 5);
	assert_int_equal(dnsbuild_make(&b, recs, 3, NULL, 0, 1), -EINVAL);
	assert_int_equal(b.bad_index, 0);

	make_enr(&recs[0], 0, 0);
	assert_int_equal(dnsbuild_make(&b, recs, 3, bad_links, 2, 1), -EINVAL);
	assert_int_equal(b.bad_index, 4);
	assert_int_equal(dnsbuild_make(&b, recs, 3, bad_links, 1, 1), 0);
	assert_int_equal(dnsbuild_sign(&b, priv, "bad domain"), -EINVAL);
	dnsbuild_fini(&b);
}

/* Joins the quoted character-strings of a zone TXT line's RDATA, checking
 * each is at most 255 bytes. Returns the number of strings. */
static int join_txt(char *out, const char *rdata)
{
	int n = 0;
	size_t o = 0;

	while (*rdata == '"') {
		const char *end = strchr(rdata + 1, '"');
		size_t len = (size_t)(end - rdata - 1);

		assert_non_null(end);
		assert_true(len <= DNSBUILD_TXT_CHUNK);
		memcpy(out + o, rdata + 1, len);
		o += len;
		n++;
		rdata = end + 1;
		if (*rdata == ' ')
			rdata++;
	}
	assert_true(*rdata == '\n' || *rdata == '\0');
	out[o] = '\0';
	return n;
}

static void test_dnsbuild_zone_file(void **state)
{
	struct enr recs[3];
	struct dnsbuild b;
	struct dnsbuild_zone_cfg cfg = { .ns_addr = "127.0.0.1" };
	uint8_t priv[32];
	char *zone, *json, root[DNSTREE_ROOT_TEXT_MAX], line_txt[1024];
	size_t len, jlen, txt_lines = 0, split = 0;

	(void)state;
	spec_priv(priv);
	make_enr(&recs[0], 0, 140);     /* texts over 255 bytes */
	make_enr(&recs[1], 1, 0);
	make_enr(&recs[2], 2, 100);
	assert_int_equal(dnsbuild_make(&b, recs, 3, NULL, 0, 42), 0);
	assert_int_equal(dnsbuild_zone(&b, NULL, &zone, &len), -EPROTO);
	assert_int_equal(dnsbuild_sign(&b, priv, "nodes.example.org"), 0);
	cfg.ns_addr = "not an address";
	assert_int_equal(dnsbuild_zone(&b, &cfg, &zone, &len), -EINVAL);
	cfg.ns_addr = "127.0.0.1";
	assert_int_equal(dnsbuild_zone(&b, &cfg, &zone, &len), 0);
	assert_int_equal(strlen(zone), len);
	assert_int_equal(dnsbuild_txt_json(&b, &json, &jlen), 0);
	assert_true(dnstree_format_root(root, sizeof(root), &b.root) > 0);

	assert_non_null(strstr(zone, "$ORIGIN nodes.example.org.\n"));
	assert_non_null(strstr(zone, "@\t1800\tIN\tSOA\tns1.nodes.example.org. "
			       "hostmaster.nodes.example.org. 42 "));
	assert_non_null(strstr(zone, "@\t1800\tIN\tNS\tns1.nodes.example.org.\n"));
	assert_non_null(strstr(zone, "ns1\t1800\tIN\tA\t127.0.0.1\n"));
	for (char *l = zone; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char name[64], want_key[128];
		int ttl, n;
		const char *rd = strstr(l, "\tIN\tTXT\t");

		if (*l == ';' || *l == '$' || !rd || rd > strchr(l, '\n'))
			continue;
		assert_int_equal(sscanf(l, "%63s %d", name, &ttl), 2);
		n = join_txt(line_txt, rd + 8);
		txt_lines++;
		if (n > 1)
			split++;
		if (strcmp(name, "@") == 0) {
			assert_int_equal(ttl, DNSBUILD_ROOT_TTL);
			assert_string_equal(line_txt, root);
			continue;
		}
		assert_int_equal(ttl, DNSBUILD_NODE_TTL);
		/* Each TXT value is the JSON's value for <name>.<domain>. */
		assert_true(dnstree_hash_matches(name, strlen(name), line_txt,
						 strlen(line_txt)));
		snprintf(want_key, sizeof(want_key),
			 "\"%s.nodes.example.org\": \"%s\"", name, line_txt);
		assert_non_null(strstr(json, want_key));
	}
	assert_int_equal(txt_lines, b.n_ents + 1);
	assert_int_equal(split, 2);
	free(zone);
	free(json);

	/* An out-of-zone name server gets no glue. */
	cfg.ns = "ns.example.net.";
	assert_int_equal(dnsbuild_zone(&b, &cfg, &zone, &len), 0);
	assert_null(strstr(zone, "\tA\t"));
	assert_non_null(strstr(zone, "\tNS\tns.example.net.\n"));
	free(zone);
	dnsbuild_fini(&b);
}

/* The same record twice is one leaf (geth keeps entries in a map). */
static void test_dnsbuild_duplicates_are_one_entry(void **state)
{
	struct enr recs[2];
	struct dnsbuild b;

	(void)state;
	make_enr(&recs[0], 3, 0);
	recs[1] = recs[0];
	assert_int_equal(dnsbuild_make(&b, recs, 2, NULL, 0, 1), 0);
	/* leaf, branch [leaf, leaf], empty link branch */
	assert_int_equal(b.n_ents, 3);
	dnsbuild_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsbuild_reproduces_spec_tree),
		cmocka_unit_test(test_dnsbuild_info_json),
		cmocka_unit_test(test_dnsbuild_branch_layout),
		cmocka_unit_test(test_dnsbuild_refuses_bad_input),
		cmocka_unit_test(test_dnsbuild_zone_file),
		cmocka_unit_test(test_dnsbuild_duplicates_are_one_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
