/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_enr.c - ENR decoding (RLP, or text when it starts "enr:"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/enr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exercises every accessor; none may fail in a way other than its errors. */
static void poke(const struct enr *r)
{
	uint8_t b16[16], b33[33], pub[64], id[ENR_ID_LEN];
	const uint8_t *v;
	size_t vlen;
	char scheme[16];
	uint16_t port;

	(void)enr_verify(r);
	(void)enr_pubkey(pub, r);
	(void)enr_node_id(id, r);
	(void)enr_get_id(r, scheme, sizeof(scheme));
	(void)enr_get_secp256k1(r, b33);
	(void)enr_get_ip(r, b16);
	(void)enr_get_ip6(r, b16);
	(void)enr_get_tcp(r, &port);
	(void)enr_get_tcp6(r, &port);
	(void)enr_get_udp(r, &port);
	(void)enr_get_udp6(r, &port);
	if (enr_get_eth(r, &v, &vlen) == 0 &&
	    (v < r->kv || v + vlen > r->kv + r->kv_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct enr r, r2;
	uint8_t raw[ENR_MAX_SIZE];
	char text[ENR_TEXT_MAX];
	ssize_t n, m;

	if (size >= 4 && memcmp(data, "enr:", 4) == 0) {
		n = enr_decode_text(&r, (const char *)data, size);
		if (n < 0)
			return 0;
		if ((size_t)n != size)
			abort();
		/* Strict base64 has one text form per record. */
		m = enr_encode_text(text, sizeof(text), &r);
		if (m != n || memcmp(text, data, size) != 0)
			abort();
	} else {
		n = enr_decode(&r, data, size);
		if (n < 0)
			return 0;
		if ((size_t)n != size)
			abort();
		m = enr_encode(raw, sizeof(raw), &r);
		if (m != n || memcmp(raw, data, size) != 0)
			abort();
		m = enr_encode_text(text, sizeof(text), &r);
		if (m < 0 || enr_decode_text(&r2, text, (size_t)m) != m ||
		    r2.raw_len != r.raw_len ||
		    memcmp(r2.raw, r.raw, r.raw_len) != 0)
			abort();
	}
	poke(&r);
	/* Editing a decoded record keeps the pairs sorted and drops the
	 * signature. */
	r2 = r;
	if (enr_set_udp(&r2, 30303) == 0 && r2.has_sig)
		abort();
	for (unsigned i = 1; i < r2.n; i++) {
		const struct enr_pair *a = &r2.pairs[i - 1], *b = &r2.pairs[i];
		size_t l = a->key_len < b->key_len ? a->key_len : b->key_len;
		int c = memcmp(r2.kv + a->key_off, r2.kv + b->key_off, l);

		if (c > 0 || (c == 0 && a->key_len >= b->key_len))
			abort();
	}
	return 0;
}
