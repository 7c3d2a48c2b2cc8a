/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_admin.c - `devplane admin METHOD [PARAMS]`: one admin API
 * call over the IPC socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/cmd/cmdutil.h"
#include "control/host/ipcclient.h"

#define ADMIN_TIMEOUT_MS 10000

static const enum flag_id takes[] = { F_IPCPATH, F_END };

static const struct flags_cmd admin_cmd = {
	.path = "admin", .synopsis = "METHOD [PARAMS]", .min_args = 1,
	.max_args = 2,
	.summary = "Call one admin API method (JSON-RPC 2.0 over --ipcpath) "
		   "and print its\nresult as JSON; an error goes to stderr with "
		   "exit status 1.",
	.accept = takes,
	.notes = "PARAMS is a JSON array, or any other word taken as the one "
		 "string parameter\n(an enode URL): admin_addPeer "
		 "enode://...@192.0.2.1:30303",
};

/* The request text for method and params (a JSON array, or one string
 * parameter, or none). NULL after printing why. */
static char *build_request(const char *method, const char *params)
{
	json_t *req, *p;
	json_error_t jerr;
	char *txt;

	if (params && params[0] == '[') {
		p = json_loads(params, 0, &jerr);
		if (!json_is_array(p)) {
			fprintf(stderr, "devplane admin: PARAMS: not a JSON array\n");
			json_decref(p);
			return NULL;
		}
	} else {
		p = json_array();
		if (p && params)
			json_array_append_new(p, json_string(params));
	}
	req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1,
			"method", method, "params", p);
	txt = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	return txt;
}

int cmd_admin(int argc, char **argv)
{
	json_t *resp = NULL, *res, *e;
	json_error_t jerr;
	struct flags *o = malloc(sizeof(*o));
	char *req = NULL, *line = NULL;
	size_t len;
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &admin_cmd, argc, argv);
	if (status >= 0)
		goto out;
	if (!o->ipcpath) {
		fprintf(stderr, "devplane admin: --ipcpath is required\n");
		flags_usage(stderr, &admin_cmd);
		status = 2;
		goto out;
	}
	req = build_request(o->args[0], o->n_args > 1 ? o->args[1] : NULL);
	if (!req) {
		status = 2;
		goto out;
	}
	status = 1;
	rc = ipcclient_call(&line, &len, o->ipcpath, req, ADMIN_TIMEOUT_MS);
	if (rc) {
		fprintf(stderr, "devplane admin: %s: %s\n", o->ipcpath,
			strerror(-rc));
		goto out;
	}
	resp = json_loadb(line, len, 0, &jerr);
	res = json_object_get(resp, "result");
	e = json_object_get(resp, "error");
	if (res) {
		char *text = json_dumps(res, JSON_INDENT(2) | JSON_ENCODE_ANY);

		if (text)
			printf("%s\n", text);
		free(text);
		status = 0;
	} else if (e) {
		fprintf(stderr, "devplane admin: error %" JSON_INTEGER_FORMAT
			": %s\n", json_integer_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")) ?: "");
	} else {
		fprintf(stderr, "devplane admin: malformed response\n");
	}
out:
	json_decref(resp);
	free(line);
	free(req);
	free(o);
	return status;
}
