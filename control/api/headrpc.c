/* SPDX-License-Identifier: MIT */
/* control/api/headrpc.c - devplane_setHead's params and result (control/api/headrpc.h). */
#include "control/api/headrpc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/hex.h"

static int refuse(char **why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(char **why, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*why = strdup(buf);
	return -EINVAL;
}

/* geth's hexutil.Uint64 ("0x1b4": no leading zeros, at most 16 digits)
 * or a JSON integer; at most INT64_MAX either way. */
static int quantity(uint64_t *out, const json_t *v)
{
	const char *s;
	uint64_t x = 0;
	size_t n;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -EINVAL;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	n = strlen(s);
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    (s[2] == '0' && n > 3))
		return -EINVAL;
	for (size_t i = 2; i < n; i++) {
		int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
			s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
			s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;

		if (d < 0)
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
	}
	if (x > INT64_MAX)
		return -EINVAL;
	*out = x;
	return 0;
}

int headrpc_parse(struct headrpc_head *out, const char *params, char **why)
{
	json_t *a = json_loads(params, 0, NULL), *h;
	const char *hs;
	int rc = -EINVAL;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	if (!json_is_array(a) || json_array_size(a) < 2 ||
	    json_array_size(a) > 3) {
		rc = refuse(why, "want [number, time, hash]");
		goto out;
	}
	if (quantity(&out->number, json_array_get(a, 0))) {
		rc = refuse(why, "number: want a quantity (\"0x...\" or an "
			    "integer, at most 2^63-1)");
		goto out;
	}
	if (quantity(&out->time, json_array_get(a, 1))) {
		rc = refuse(why, "time: want a quantity (\"0x...\" or an "
			    "integer, at most 2^63-1)");
		goto out;
	}
	h = json_array_get(a, 2);
	if (h && !json_is_null(h)) {
		hs = json_is_string(h) ? json_string_value(h) : "";
		if (strlen(hs) != 2 + 2 * HEADRPC_HASH_LEN ||
		    hs[0] != '0' || (hs[1] != 'x' && hs[1] != 'X') ||
		    hex_decode(out->hash, sizeof(out->hash), hs + 2,
			       2 * HEADRPC_HASH_LEN) != HEADRPC_HASH_LEN) {
			rc = refuse(why, "hash: want 32 bytes as \"0x\" and 64 "
				    "hex digits");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(a);
	return rc;
}

char *headrpc_result_json(const struct headrpc_result *r)
{
	char hash[2 + 2 * HEADRPC_HASH_LEN + 1] = "0x", fh[11];
	json_t *o;
	char *txt;

	hex_encode(hash + 2, r->head.hash, HEADRPC_HASH_LEN);
	snprintf(fh, sizeof(fh), "0x%08" PRIx32, r->forkid.hash);
	o = json_pack("{s:I, s:I, s:s, s:{s:s, s:I}, s:I, s:I}",
		      "number", (json_int_t)r->head.number,
		      "time", (json_int_t)r->head.time,
		      "hash", hash,
		      "forkId", "hash", fh, "next", (json_int_t)r->forkid.next,
		      "enrSeq", (json_int_t)r->enr_seq,
		      "blockRangeUpdates", (json_int_t)r->range_updates);
	if (!o)
		return NULL;
	txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return txt;
}
