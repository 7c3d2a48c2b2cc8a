/* SPDX-License-Identifier: MIT */
/* control/store/nodesjson.c - geth's `devp2p` nodes.json node-set format. */
#include "control/store/nodesjson.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/enode.h"
#include "common/enr.h"
#include "common/hex.h"
#include "control/store/atomicfile.h"

#define ZERO_UNIX (-62135596800ll)      /* 0001-01-01T00:00:00Z */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's days_from_civil / civil_from_days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *nodesjson_format_time_ext(char out[40], int64_t t, uint32_t nsec,
				int32_t off)
{
	int64_t wall, days, secs, y;
	unsigned mo, d;
	int n;

	if (t == NODESJSON_ZERO_TIME) {
		strcpy(out, "0001-01-01T00:00:00Z");
		return out;
	}
	wall = t + off;
	days = wall / 86400;
	secs = wall % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	n = snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y,
		     mo, d, (int)(secs / 3600), (int)(secs / 60 % 60),
		     (int)(secs % 60));
	if (nsec && nsec < 1000000000u) {
		char frac[11];
		int k = 9;

		snprintf(frac, sizeof(frac), ".%09u", nsec);
		while (frac[k] == '0')
			frac[k--] = '\0';
		n += snprintf(out + n, (size_t)(40 - n), "%s", frac);
	}
	if (!off)
		snprintf(out + n, (size_t)(40 - n), "Z");
	else
		snprintf(out + n, (size_t)(40 - n), "%c%02d:%02d",
			 off < 0 ? '-' : '+', abs(off) / 3600,
			 abs(off) / 60 % 60);
	return out;
}

char *nodesjson_format_time(char out[32], int64_t t)
{
	char buf[40];
	size_t n;

	/* Whole seconds in UTC: at most 20 characters up to year 9999. */
	nodesjson_format_time_ext(buf, t, 0, 0);
	n = strnlen(buf, 31);
	memcpy(out, buf, n);
	out[n] = '\0';
	return out;
}

/* n decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int nodesjson_parse_time(int64_t *t, uint32_t *nsec, int32_t *off,
			 const char *s, size_t len)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
					  31, 30, 31 };
	int y, mo, d, h, mi, sec, oh, om;
	uint32_t ns = 0;
	int32_t o = 0;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59 ||
	    (unsigned)d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return -EINVAL;
	if (s[i] == '.' || s[i] == ',') {
		size_t k = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, k++)
			if (k < 9)
				ns = ns * 10 + (uint32_t)(s[i] - '0');
		if (k == 0 || k > 9)
			return -EINVAL;
		for (; k < 9; k++)
			ns *= 10;
	}
	if (i + 1 == len && s[i] == 'Z') {
		o = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
		   s[i + 3] == ':') {
		oh = digits(s + i + 1, 2);
		om = digits(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -EINVAL;
		o = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	*t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	     h * 3600 + mi * 60 + sec - o;
	*nsec = ns;
	/* Go prints "Z" for any zero offset. */
	*off = o;
	if (*t == ZERO_UNIX && ns == 0) {
		*t = NODESJSON_ZERO_TIME;
		*off = 0;
	}
	return 0;
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
	char id[2 * NODESJSON_ID_LEN + 1], t[40];

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
			nodesjson_format_time_ext(t, e->first_response,
						  e->nsec[0], e->utc_off[0]));
		fprintf(f, "        \"lastResponse\": \"%s\",\n",
			nodesjson_format_time_ext(t, e->last_response,
						  e->nsec[1], e->utc_off[1]));
		fprintf(f, "        \"lastCheck\": \"%s\"\n",
			nodesjson_format_time_ext(t, e->last_check, e->nsec[2],
						  e->utc_off[2]));
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

static int bad(char *err, size_t err_len, const char *key, const char *what)
{
	if (err && err_len)
		snprintf(err, err_len, "node %.70s: %s", key ? key : "?", what);
	return -EBADMSG;
}

/* A record as geth's enode.Parse(ValidSchemes) takes it. */
static bool record_ok(const char *rec)
{
	size_t len = strlen(rec);

	if (len > 4 && !memcmp(rec, ENR_TEXT_PREFIX, 4)) {
		struct enr *r = malloc(sizeof(*r));
		bool ok;

		if (!r)
			return false;
		ok = enr_decode_text(r, rec, len) >= 0 && enr_verify(r) == 0;
		free(r);
		return ok;
	}
	if (!strncmp(rec, "enode://", 8)) {
		struct enode e;

		return enode_parse(&e, rec, len) == 0;
	}
	return false;
}

static int get_time(int64_t *t, uint32_t *ns, int32_t *off, json_t *v)
{
	const char *s;

	*t = NODESJSON_ZERO_TIME;
	*ns = 0;
	*off = 0;
	if (!v || json_is_null(v))
		return 0;
	s = json_string_value(v);
	return s ? nodesjson_parse_time(t, ns, off, s, json_string_length(v)) :
		   -EINVAL;
}

int nodesjson_parse(struct nodesjson_set *set, const char *text, size_t len,
		    char *err, size_t err_len)
{
	static const char *const tnames[3] = { "firstResponse",
					       "lastResponse", "lastCheck" };
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	size_t total = 0, n = 0, off = 0;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		if (err && err_len)
			snprintf(err, err_len, "%s",
				 root ? "not a JSON object" : jerr.text);
		json_decref(root);
		return -EBADMSG;
	}
	json_object_foreach(root, key, v) {
		const char *r = json_string_value(json_object_get(v, "record"));

		total += r ? strlen(r) + 1 : 0;
	}
	set->entries = calloc(json_object_size(root) + 1,
			      sizeof(*set->entries));
	set->strings = malloc(total + 1);
	if (!set->entries || !set->strings) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_foreach(root, key, v) {
		struct nodesjson_entry *e = &set->entries[n];
		json_t *seq = json_object_get(v, "seq");
		json_t *score = json_object_get(v, "score");
		const char *r = json_string_value(json_object_get(v, "record"));
		const char *hex = key;
		int64_t *tp[3] = { &e->first_response, &e->last_response,
				   &e->last_check };

		if (!json_is_object(v)) {
			rc = bad(err, err_len, key, "not an object");
			goto out;
		}
		if (!strncmp(hex, "0x", 2))
			hex += 2;
		if (strlen(hex) != 2 * NODESJSON_ID_LEN ||
		    hex_decode(e->id, NODESJSON_ID_LEN, hex, strlen(hex)) !=
		    NODESJSON_ID_LEN) {
			rc = bad(err, err_len, key, "invalid node id");
			goto out;
		}
		if (!r || !record_ok(r)) {
			rc = bad(err, err_len, key, "invalid record");
			goto out;
		}
		if ((seq && !json_is_null(seq) &&
		     (!json_is_integer(seq) || json_integer_value(seq) < 0)) ||
		    (score && !json_is_null(score) &&
		     !json_is_integer(score))) {
			rc = bad(err, err_len, key, "invalid seq or score");
			goto out;
		}
		e->seq = seq ? (uint64_t)json_integer_value(seq) : 0;
		e->score = score ? (int)json_integer_value(score) : 0;
		for (int k = 0; k < 3; k++) {
			if (get_time(tp[k], &e->nsec[k], &e->utc_off[k],
				     json_object_get(v, tnames[k]))) {
				rc = bad(err, err_len, key, "invalid time");
				goto out;
			}
		}
		memcpy(set->strings + off, r, strlen(r) + 1);
		e->record = set->strings + off;
		off += strlen(r) + 1;
		n++;
	}
	set->n = n;
out:
	json_decref(root);
	if (rc)
		nodesjson_set_free(set);
	return rc;
}

int nodesjson_read(struct nodesjson_set *set, const char *path, char *err,
		   size_t err_len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	memset(set, 0, sizeof(*set));
	if (!f) {
		rc = -errno;
		if (err && err_len)
			snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		if (err && err_len)
			snprintf(err, err_len, "%s: read error", path);
		goto out;
	}
	rc = nodesjson_parse(set, buf, len, err, err_len);
out:
	if (f != stdin)
		fclose(f);
	free(buf);
	return rc;
}

void nodesjson_set_free(struct nodesjson_set *set)
{
	free(set->entries);
	free(set->strings);
	memset(set, 0, sizeof(*set));
}

int nodesjson_clean_temps(const char *path)
{
	return atomicfile_clean_temps(path);
}
