/* SPDX-License-Identifier: MIT */
/* control/store/nodesjson.c - geth's `devp2p` nodes.json node-set format. */
#include "control/store/nodesjson.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "control/store/atomicfile.h"

char *nodesjson_format_time(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt;

	if (t == NODESJSON_ZERO_TIME) {
		strcpy(out, "0001-01-01T00:00:00Z");
		return out;
	}
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static int by_id(const void *a, const void *b)
{
	const struct nodesjson_entry *x = a, *y = b;

	return memcmp(x->id, y->id, NODESJSON_ID_LEN);
}

/* Writes s as a JSON string the way Go's encoder does, including its
 * escaping of <, > and & (records never contain them, but stay exact). */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int nodesjson_fprint(FILE *f, struct nodesjson_entry *entries, size_t n)
{
	char id[2 * NODESJSON_ID_LEN + 1], t[32];

	if (n == 0) {
		fputs("{}", f);
		return ferror(f) ? -EIO : 0;
	}
	qsort(entries, n, sizeof(*entries), by_id);
	fputs("{\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct nodesjson_entry *e = &entries[i];

		fprintf(f, "    \"%s\": {\n", hex_encode(id, e->id, NODESJSON_ID_LEN));
		fprintf(f, "        \"seq\": %llu,\n", (unsigned long long)e->seq);
		fputs("        \"record\": ", f);
		put_string(f, e->record);
		fputs(",\n", f);
		if (e->score != 0)
			fprintf(f, "        \"score\": %d,\n", e->score);
		fprintf(f, "        \"firstResponse\": \"%s\",\n",
			nodesjson_format_time(t, e->first_response));
		fprintf(f, "        \"lastResponse\": \"%s\",\n",
			nodesjson_format_time(t, e->last_response));
		fprintf(f, "        \"lastCheck\": \"%s\"\n",
			nodesjson_format_time(t, e->last_check));
		fputs(i + 1 < n ? "    },\n" : "    }\n", f);
	}
	fputc('}', f);
	return ferror(f) ? -EIO : 0;
}

struct set {
	struct nodesjson_entry *entries;
	size_t n;
};

static int fill(FILE *f, void *user)
{
	struct set *st = user;

	return nodesjson_fprint(f, st->entries, st->n);
}

int nodesjson_write(const char *path, struct nodesjson_entry *entries, size_t n)
{
	struct set st = { entries, n };

	return atomicfile_write(path, fill, &st);
}

int nodesjson_clean_temps(const char *path)
{
	return atomicfile_clean_temps(path);
}
