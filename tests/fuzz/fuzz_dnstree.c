/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_dnstree.c - EIP-1459 entry parsing (control/dns/dnstree):
 * the input is one TXT string, parsed as a root, a link and an entry. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/dns/dnstree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnstree_entry e;
	static struct dnstree_root r, r2;
	static struct dnstree_link l;
	const char *s = (const char *)data;
	char buf[DNSTREE_ROOT_TEXT_MAX];
	ssize_t n;

	if (dnstree_parse_root(&r, s, size) == (ssize_t)size) {
		/* A parsed root formats back to text that parses to the
		 * same root (seq may lose leading zeros). */
		n = dnstree_format_root(buf, sizeof(buf), &r);
		if (n < 0 || dnstree_parse_root(&r2, buf, (size_t)n) != n ||
		    memcmp(&r, &r2, sizeof(r)) != 0)
			abort();
		(void)dnstree_root_verify(&r, (const uint8_t[64]){ 0 });
	}
	if (dnstree_parse_link(&l, s, size) == (ssize_t)size &&
	    (strlen(l.domain) == 0 || strlen(l.loc) + 10 != size))
		abort();
	n = dnstree_parse_entry(&e, s, size);
	if (n >= 0 && (size_t)n != size)
		abort();
	if (n >= 0 && e.type == DNSTREE_BRANCH) {
		for (size_t i = 0; i < e.u.branch.n; i++) {
			const struct dnstree_child *c = &e.u.branch.child[i];

			if ((size_t)c->off + c->len > size ||
			    !dnstree_valid_hash(s + c->off, c->len))
				abort();
			(void)dnstree_hash_matches(s + c->off, c->len, s, size);
		}
	}
	return 0;
}
