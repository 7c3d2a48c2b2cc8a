/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_key.c - `devplane key generate|to-enode|to-enr`: node
 * key files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/enode.h"
#include "common/enr.h"
#include "common/hex.h"
#include "common/nodekey.h"
#include "common/secp.h"
#include "control/cmd/cmdutil.h"

static const enum flag_id none[] = { F_END };
static const enum flag_id to_enode_flags[] = { F_IP, F_TCP, F_UDP, F_END };

static const struct flags_cmd generate_cmd = {
	.path = "key generate", .synopsis = "FILE", .min_args = 1,
	.max_args = 1,
	.summary = "Write a new node key to FILE (hex, mode 0600; an existing "
		   "file is never\noverwritten) and print its public key.",
	.accept = none,
};

/* geth's devp2p key to-enode defaults: 127.0.0.1, 30303/30303. */
static const struct flags_cmd to_enode_cmd = {
	.path = "key to-enode", .synopsis = "FILE", .min_args = 1,
	.max_args = 1,
	.summary = "Print the enode URL of the node key in FILE.",
	.accept = to_enode_flags,
};

/* geth's devp2p key to-enr: the same defaults, seq 0. */
static const struct flags_cmd to_enr_cmd = {
	.path = "key to-enr", .synopsis = "FILE", .min_args = 1,
	.max_args = 1,
	.summary = "Print a record (seq 0) signed by the node key in FILE with "
		   "--ip, --tcp and\n--udp (port 0: left out), as geth's "
		   "`devp2p key to-enr`.",
	.accept = to_enode_flags,
};

static int key_generate(const char *file)
{
	uint8_t priv[32], pub[64];
	char hex[129];
	int rc;

	if (access(file, F_OK) == 0) {
		fprintf(stderr, "devplane: %s already exists\n", file);
		return 1;
	}
	rc = secp_priv_generate(priv);
	if (!rc)
		rc = nodekey_save(file, priv);
	if (!rc)
		rc = secp_pub_from_priv(pub, priv);
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		fprintf(stderr, "devplane: %s: %s\n", file, strerror(-rc));
		return 1;
	}
	printf("%s\n", hex_encode(hex, pub, sizeof(pub)));
	return 0;
}

static int key_to_enode(const struct flags *o, const char *file)
{
	struct enode e = { .kind = ENODE_HOST_IP4 };
	char url[ENODE_URL_MAX + 1];
	uint8_t priv[32];
	int rc;

	rc = nodekey_load(priv, file);
	if (!rc)
		rc = secp_pub_from_priv(e.pub, priv);
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		fprintf(stderr, "devplane: %s: %s\n", file,
			rc == -EBADMSG ? "not a node key" : strerror(-rc));
		return 1;
	}
	memcpy(e.ip, o->ip, 16);
	if (!netutil_addr_is_v4(e.ip))
		e.kind = ENODE_HOST_IP6;
	e.tcp = o->tcp;
	e.udp = o->udp;
	if (enode_format(url, sizeof(url), &e) < 0)
		return 1;
	printf("%s\n", url);
	return 0;
}

static int key_to_enr(const struct flags *o, const char *file)
{
	struct enr *r = malloc(sizeof(*r));
	char text[ENR_TEXT_MAX];
	uint8_t priv[32];
	int rc;

	if (!r)
		return 1;
	if (o->has_ip_net) {
		fprintf(stderr, "devplane key to-enr: --ip wants an address\n");
		free(r);
		return 2;
	}
	rc = nodekey_load(priv, file);
	if (rc) {
		fprintf(stderr, "devplane: %s: %s\n", file,
			rc == -EBADMSG ? "not a node key" : strerror(-rc));
		free(r);
		return 1;
	}
	enr_init(r);
	if (netutil_addr_is_v4(o->ip))
		rc = enr_set_ip(r, o->ip + 12);
	else
		rc = enr_set_ip6(r, o->ip);
	if (!rc && o->udp)
		rc = enr_set_udp(r, o->udp);
	if (!rc && o->tcp)
		rc = enr_set_tcp(r, o->tcp);
	if (!rc)
		rc = enr_sign(r, priv);
	explicit_bzero(priv, sizeof(priv));
	if (!rc && enr_encode_text(text, sizeof(text), r) < 0)
		rc = -EMSGSIZE;
	free(r);
	if (rc) {
		cmd_err("key to-enr", rc);
		return 1;
	}
	printf("%s\n", text);
	return 0;
}

int cmd_key_to_enr(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &to_enr_cmd, argc, argv);
	if (status < 0)
		status = key_to_enr(o, o->args[0]);
	free(o);
	return status;
}

int cmd_key_generate(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &generate_cmd, argc, argv);
	if (status < 0)
		status = key_generate(o->args[0]);
	free(o);
	return status;
}

int cmd_key_to_enode(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &to_enode_cmd, argc, argv);
	if (status < 0 && o->has_ip_net) {
		fprintf(stderr, "devplane key to-enode: --ip wants an address\n");
		status = 2;
	} else if (status < 0) {
		status = key_to_enode(o, o->args[0]);
	}
	free(o);
	return status;
}
