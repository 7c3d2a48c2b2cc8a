/* SPDX-License-Identifier: MIT */
/* control/store/nodesjson.c - geth's `devp2p` nodes.json node-set format. */
#include "control/store/nodesjson.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"

#define TMP_SUFFIX ".tmp."      /* then mkstemp's six characters */

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

int nodesjson_write(const char *path, struct nodesjson_entry *entries, size_t n)
{
	char tmp[4096], dir[4096];
	FILE *f;
	int fd, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX "XXXXXX", path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto out_unlink;
	}
	rc = nodesjson_fprint(f, entries, n);
	if (rc == 0 && (fflush(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644)))
		rc = -errno;
	if (fclose(f) && rc == 0)
		rc = -errno;
	if (rc)
		goto out_unlink;
	if (rename(tmp, path)) {
		rc = -errno;
		goto out_unlink;
	}
	/* Make the rename itself durable. */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out_unlink:
	unlink(tmp);
	return rc;
}

int nodesjson_clean_temps(const char *path)
{
	char dir[4096], base[4096], prefix[4096 + sizeof(TMP_SUFFIX)];
	struct dirent *d;
	size_t plen;
	DIR *dh;
	int dfd, n = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s" TMP_SUFFIX,
				basename(base));
	dh = opendir(dirname(dir));
	if (!dh)
		return -errno;
	dfd = dirfd(dh);
	while ((d = readdir(dh))) {
		if (strlen(d->d_name) == plen + 6 &&
		    !strncmp(d->d_name, prefix, plen) &&
		    unlinkat(dfd, d->d_name, 0) == 0)
			n++;
	}
	closedir(dh);
	return n;
}
