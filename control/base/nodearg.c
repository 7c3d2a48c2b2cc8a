/* SPDX-License-Identifier: MIT */
/* control/base/nodearg.c - a node given as text: an enode URL or an ENR. */
#include "control/base/nodearg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/enr.h"
#include "control/base/netutil.h"

int nodearg_parse(struct enode *out, const char *s)
{
	struct enr *r;
	uint8_t ip4[4];
	int rc = -EINVAL;

	if (!strncmp(s, "enode://", 8))
		return enode_parse(out, s, strlen(s)) ? -EINVAL : 0;
	if (strncmp(s, "enr:", 4))
		return -EINVAL;
	r = malloc(sizeof(*r));         /* about 1 KiB: not on the stack */
	if (!r)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (enr_decode_text(r, s, strlen(s)) < 0 || enr_verify(r) ||
	    enr_pubkey(out->pub, r))
		goto out;
	if (enr_get_ip(r, ip4) == 0 && enr_get_udp(r, &out->udp) == 0) {
		netutil_addr_from_v4(out->ip, ip4);
		out->kind = ENODE_HOST_IP4;
		if (enr_get_tcp(r, &out->tcp))
			out->tcp = 0;
	} else if (enr_get_ip6(r, out->ip) == 0 &&
		   enr_get_udp6(r, &out->udp) == 0) {
		out->kind = ENODE_HOST_IP6;
		if (enr_get_tcp6(r, &out->tcp))
			out->tcp = 0;
	} else {
		goto out;               /* no UDP endpoint to talk to */
	}
	rc = 0;
out:
	free(r);
	return rc;
}
