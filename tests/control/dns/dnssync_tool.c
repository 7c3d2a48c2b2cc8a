/* SPDX-License-Identifier: MIT */
/* tests/control/dns/dnssync_tool.c - runs control/dns/dnsclient over a
 * tree given as geth's `devp2p dns to-txt` JSON (name -> TXT), with lookups
 * answered from that map and a fake clock, and prints every distinct
 * record found, one "enr:" line each, sorted. A name not in the map is a
 * failed lookup. Used by tests/interop/geth/test_dns_totxt.sh to sync
 * trees that geth built.
 *
 * dnssync_tool TXT.JSON URL [SECONDS]   (fake seconds to run; default 600) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/dns/dnsclient.h"

#define NS_PER_S 1000000000ull

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	json_error_t jerr;
	json_t *map;
	struct dnsclient *c;
	struct dnsclient_query q;
	struct dnsclient_node n;
	uint64_t now = 0, until;
	char **seen = NULL;
	size_t n_seen = 0;
	const struct dnsclient_stats *st;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: dnssync_tool TXT.JSON URL [SECONDS]\n");
		return 2;
	}
	until = (argc > 3 ? strtoull(argv[3], NULL, 10) : 600) * NS_PER_S;
	map = json_load_file(argv[1], 0, &jerr);
	if (!json_is_object(map)) {
		fprintf(stderr, "dnssync_tool: %s: %s\n", argv[1], jerr.text);
		return 1;
	}
	if (dnsclient_new(&c, NULL) < 0 || dnsclient_add_tree(c, argv[2]) < 0) {
		fprintf(stderr, "dnssync_tool: bad URL %s\n", argv[2]);
		return 1;
	}
	for (;;) {
		int did = 0;
		uint64_t d;

		while (dnsclient_next_query(c, &q, now) == 0) {
			const char *txt = json_string_value(json_object_get(map, q.name));
			size_t len = txt ? strlen(txt) : 0;

			did = 1;
			if (txt)
				dnsclient_on_answer(c, q.id, &txt, &len, 1, now);
			else
				dnsclient_on_failure(c, q.id, now);
		}
		while (dnsclient_next_node(c, &n) == 0) {
			char txt[ENR_TEXT_MAX];
			size_t i;

			did = 1;
			if (enr_encode_text(txt, sizeof(txt), &n.enr) < 0)
				return 1;
			for (i = 0; i < n_seen && strcmp(seen[i], txt) != 0; i++)
				;
			if (i == n_seen) {
				seen = realloc(seen, (n_seen + 1) * sizeof(*seen));
				if (!seen || !(seen[n_seen++] = strdup(txt)))
					return 1;
			}
		}
		if (did)
			continue;
		d = dnsclient_next_deadline(c);
		if (d > until)
			break;
		if (d <= now) {
			fprintf(stderr, "dnssync_tool: deadline in the past\n");
			return 1;
		}
		now = d;
	}
	qsort(seen, n_seen, sizeof(*seen), by_str);
	for (size_t i = 0; i < n_seen; i++)
		printf("%s\n", seen[i]);
	st = dnsclient_stats(c);
	fprintf(stderr, "dnssync_tool: %zu records, %llu lookups, %llu cache "
		"hits, %llu roots, %llu bad roots, %llu hash mismatches, %llu "
		"bad entries, %llu links, %zu trees\n", n_seen,
		(unsigned long long)st->queries, (unsigned long long)st->cache_hits,
		(unsigned long long)st->roots, (unsigned long long)st->bad_roots,
		(unsigned long long)st->hash_mismatch,
		(unsigned long long)st->bad_entries, (unsigned long long)st->links,
		dnsclient_tree_count(c));
	rc = st->hash_mismatch || st->bad_entries || st->bad_roots ? 1 : 0;
	dnsclient_free(c);
	json_decref(map);
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	return rc;
}
