/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_headrpc.c - devplane_setHead's params (any text an IPC client sends): parsed or refused with a message, never a crash; what parses round-trips through the result's JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/api/headrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct headrpc_result r = { .forkid = { 0xf7f9bc08, 1706655072 } };
	char *txt = malloc(size + 1), *why = NULL, *out;
	json_t *v;
	int rc;

	if (!txt)
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	rc = headrpc_parse(&r.head, txt, &why);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0) {
		if (why || r.head.number > INT64_MAX || r.head.time > INT64_MAX)
			abort();
		out = headrpc_result_json(&r);
		v = out ? json_loads(out, 0, NULL) : NULL;
		if (out && (!v || (uint64_t)json_integer_value(json_object_get(
				 v, "number")) != r.head.number))
			abort();
		json_decref(v);
		free(out);
	}
	free(why);
	free(txt);
	return 0;
}
