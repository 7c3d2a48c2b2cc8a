/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_rlpx.c - `devplane rlpx ping`: handshake and Hello with
 * one node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nodekey.h"
#include "common/secp.h"
#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"
#include "control/host/session.h"

#define RLPX_PING_TIMEOUT_MS 10000

static const enum flag_id takes[] = { F_TIMEOUT, F_NODEKEYHEX, F_END };

static const struct flags_cmd ping_cmd = {
	.path = "rlpx ping", .synopsis = "ENODE", .min_args = 1,
	.max_args = 1,
	.summary = "Dial ENODE (it needs a TCP port), handshake, send our "
		   "Hello and print the\nremote's Hello (or its Disconnect "
		   "reason); --timeout defaults to 10s.",
	.accept = takes,
};

int cmd_rlpx_ping(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	uint32_t timeout_ms;
	struct enode e;
	uint8_t priv[32];
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &ping_cmd, argc, argv);
	if (status >= 0)
		goto out;
	status = 2;
	if (nodearg_parse(&e, o->args[0]) || e.kind == ENODE_HOST_NAME ||
	    !e.tcp) {
		fprintf(stderr, "devplane rlpx ping: %s: not a node with a "
			"TCP port\n", o->args[0]);
		goto out;
	}
	rc = o->nodekeyhex ? cmd_load_key(priv, o) : secp_priv_generate(priv);
	if (rc)
		goto out;
	timeout_ms = flags_given(o, F_TIMEOUT) ? o->timeout_ms :
		     RLPX_PING_TIMEOUT_MS;
	rc = session_rlpx_ping(&e, priv, (uint64_t)timeout_ms * 1000000ull);
	explicit_bzero(priv, sizeof(priv));
	if (rc && rc != -ECONNABORTED)
		fprintf(stderr, "devplane rlpx ping: %s\n", strerror(-rc));
	fflush(stdout);
	status = rc ? 1 : 0;
out:
	free(o);
	return status;
}
