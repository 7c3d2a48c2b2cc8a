/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_enr.c - `devplane enr dump`: an ENR's fields, geth's
 * devp2p enrdump style. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "common/enr.h"
#include "common/hex.h"
#include "common/rlp.h"
#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"

static const enum flag_id none[] = { F_END };

static const struct flags_cmd dump_cmd = {
	.path = "enr dump", .synopsis = "ENR", .min_args = 1, .max_args = 1,
	.summary = "Print a record's fields (known keys decoded, the rest as "
		   "raw RLP) and\ncheck its signature; exit 1 when it does not "
		   "verify.",
	.accept = none,
};

/* One value of enr dump, geth's devp2p enrdump style: known keys decoded,
 * everything else as the raw RLP in hex. */
static void dump_value(const struct enr *r, const struct enr_pair *p,
		       const char *key)
{
	const uint8_t *v = r->kv + p->val_off;
	struct rlp_item it;
	char hex[2 * ENR_MAX_SIZE + 1];
	char ip[NETUTIL_ADDRSTRLEN];
	uint8_t a[16];
	uint16_t port;

	if (!strcmp(key, "id") && rlp_next(&it, v, p->val_len) > 0 &&
	    !it.is_list) {
		printf("\"%.*s\"", (int)it.len, (const char *)it.p);
	} else if ((!strcmp(key, "ip") && enr_get_ip(r, a + 12) == 0) ||
		   (!strcmp(key, "ip6") && enr_get_ip6(r, a) == 0)) {
		if (!strcmp(key, "ip"))
			netutil_addr_from_v4(a, a + 12);
		printf("%s", netutil_addr_format(ip, a));
	} else if ((!strcmp(key, "tcp") && !enr_get_tcp(r, &port)) ||
		   (!strcmp(key, "udp") && !enr_get_udp(r, &port)) ||
		   (!strcmp(key, "tcp6") && !enr_get_tcp6(r, &port)) ||
		   (!strcmp(key, "udp6") && !enr_get_udp6(r, &port))) {
		printf("%u", port);
	} else if (!strcmp(key, "secp256k1") &&
		   rlp_next(&it, v, p->val_len) > 0 && !it.is_list) {
		printf("%s", hex_encode(hex, it.p, it.len));
	} else {
		printf("(raw) %s", hex_encode(hex, v, p->val_len));
	}
	printf("\n");
}

static int enr_dump(const char *text)
{
	struct enr *r = malloc(sizeof(*r));
	char hex[2 * ENR_MAX_SIZE + 1], url[ENODE_URL_MAX + 1];
	uint8_t id[ENR_ID_LEN];
	struct enode e;
	const char *sig;
	int rc, status = 1;

	if (!r)
		return 1;
	while (*text == ' ' || *text == '\n')
		text++;
	if (enr_decode_text(r, text, strcspn(text, " \n\r")) < 0) {
		fprintf(stderr, "devplane: invalid ENR\n");
		goto out;
	}
	rc = enr_verify(r);
	sig = rc == 0 ? "valid" : rc == -EPROTONOSUPPORT ? "unknown scheme" :
		"INVALID";
	if (enr_node_id(id, r) == 0)
		printf("Node ID: %s\n", hex_encode(hex, id, sizeof(id)));
	else
		printf("Node ID: (no secp256k1 key)\n");
	if (nodearg_parse(&e, text) == 0 &&
	    enode_format(url, sizeof(url), &e) > 0)
		printf("URLv4:   %s\n", url);
	printf("Signature: %s (%s)\n", sig, hex_encode(hex, r->raw + r->sig_off,
							r->sig_len));
	printf("Record has sequence number %" PRIu64 " and %u key/value pairs.\n",
	       r->seq, r->n);
	for (unsigned i = 0; i < r->n; i++) {
		const struct enr_pair *p = &r->pairs[i];
		char key[64];
		size_t kl = p->key_len < sizeof(key) - 1 ? p->key_len :
			    sizeof(key) - 1;

		memcpy(key, r->kv + p->key_off, kl);
		key[kl] = '\0';
		printf("  %-12s", key[0] ? key : "\"\"");
		dump_value(r, p, key);
	}
	status = rc == 0 ? 0 : 1;
out:
	free(r);
	return status;
}

int cmd_enr_dump(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &dump_cmd, argc, argv);
	if (status < 0)
		status = enr_dump(o->args[0]);
	free(o);
	return status;
}
