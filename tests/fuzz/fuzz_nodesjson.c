/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_nodesjson.c - the nodes.json reader
 * (control/store/nodesjson.c) and what runs on what it accepts: nodeset
 * filter and info (control/store/nodeset.c), and writing it back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/store/nodeset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nodesjson_set set;
	struct nodeset_filter f = { .limit = 3, .dialable = false };
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *m;
	int64_t t;
	uint32_t ns;
	int32_t off;
	char out[40];

	/* The input as a time text too: what parses, formats. */
	if (nodesjson_parse_time(&t, &ns, &off, (const char *)data, size) == 0)
		nodesjson_format_time_ext(out, t, ns, off);
	if (nodesjson_parse(&set, (const char *)data, size, err,
			    sizeof(err)) != 0)
		return 0;
	m = open_memstream(&buf, &len);
	if (!m)
		abort();
	if (nodeset_fprint_info(m, &set) != 0)
		abort();
	f.eth = forkid_chain_by_name("mainnet");
	f.has_min_age = true;
	f.min_age_ns = 1;
	for (size_t i = 0; i < set.n; i++)
		(void)nodeset_match(&set.entries[i], &f);
	(void)nodeset_filter(&set, &f);
	if (nodesjson_fprint(m, set.entries, set.n) != 0)
		abort();
	fclose(m);
	free(buf);
	nodesjson_set_free(&set);
	return 0;
}
