/* SPDX-License-Identifier: MIT */
/* tests/control/dns/dnsbuild_tool.c - builds an EIP-1459 tree from a geth
 * nodes.json with control/dns/dnsbuild and writes the three outputs; a
 * stand-in for `devplane dns build` until that command exists, used by
 * tests/interop/geth/test_dns_totxt.sh.
 *
 * dnsbuild_tool NODES.JSON --domain D --key KEYFILE --out DIR
 *               [--link URL]... [--seq N] [--time UNIX[.NANOS]]
 *               [--ns NAME.] [--ns-addr IP]
 * writes DIR/txt.json (geth's `devp2p dns to-txt` output), DIR/zone (a
 * master file for NSD or Knot) and DIR/enrtree-info.json (as `devp2p dns
 * sign` writes it; lastModified is --time, default now). KEYFILE is a hex
 * node key file (geth's nodekey format). nodes.json is checked as geth's
 * loadTreeDefinition does: every record is "enr:" text whose node id is its
 * key and whose seq is its "seq". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "common/hex.h"
#include "common/nodekey.h"
#include "control/dns/dnsbuild.h"

#define MAX_LINKS 64

static int usage(void)
{
	fprintf(stderr, "usage: dnsbuild_tool NODES.JSON --domain D --key KEYFILE "
		"--out DIR [--link URL]... [--seq N] [--time UNIX[.NANOS]] "
		"[--ns NAME.] [--ns-addr IP]\n");
	return 2;
}

static int write_file(const char *dir, const char *name, const char *buf,
		      size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "dnsbuild_tool: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Loads nodes.json into a malloc'd array of records. */
static int load_nodes(const char *path, struct enr **out, size_t *n_out)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *v;
	const char *key;
	struct enr *recs;
	size_t n = 0;

	if (!json_is_object(root)) {
		fprintf(stderr, "dnsbuild_tool: %s: %s\n", path,
			root ? "not a JSON object" : jerr.text);
		json_decref(root);
		return -1;
	}
	recs = calloc(json_object_size(root) + 1, sizeof(*recs));
	if (!recs)
		return -1;
	json_object_foreach(root, key, v) {
		json_t *rec = json_object_get(v, "record");
		json_t *seq = json_object_get(v, "seq");
		uint8_t want[ENR_ID_LEN], id[ENR_ID_LEN];
		const char *txt = json_string_value(rec);

		if (!txt || !json_is_integer(seq) ||
		    enr_decode_text(&recs[n], txt, strlen(txt)) < 0 ||
		    enr_verify(&recs[n]) < 0) {
			fprintf(stderr, "dnsbuild_tool: %s: node %s: no valid "
				"signed \"enr:\" record\n", path, key);
			goto fail;
		}
		if (hex_decode(want, sizeof(want), key, strlen(key)) !=
		    ENR_ID_LEN || enr_node_id(id, &recs[n]) < 0 ||
		    memcmp(id, want, ENR_ID_LEN) != 0) {
			fprintf(stderr, "dnsbuild_tool: invalid node %s: ID "
				"does not match ID in record\n", key);
			goto fail;
		}
		if ((uint64_t)json_integer_value(seq) != recs[n].seq) {
			fprintf(stderr, "dnsbuild_tool: invalid node %s: 'seq' "
				"does not match seq from record\n", key);
			goto fail;
		}
		n++;
	}
	json_decref(root);
	*out = recs;
	*n_out = n;
	return 0;
fail:
	json_decref(root);
	free(recs);
	return -1;
}

int main(int argc, char **argv)
{
	const char *nodes = NULL, *domain = NULL, *keyfile = NULL, *dir = NULL;
	const char *links[MAX_LINKS];
	struct dnsbuild_zone_cfg zcfg = { 0 };
	size_t n_links = 0, n_recs = 0, len;
	unsigned long long seq = 1;
	int64_t mt_sec = -1;
	uint32_t mt_nsec = 0;
	struct dnsbuild b;
	struct enr *recs = NULL;
	uint8_t priv[32];
	char *out;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			if (nodes)
				return usage();
			nodes = a;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--domain"))
			domain = v;
		else if (!strcmp(a, "--key"))
			keyfile = v;
		else if (!strcmp(a, "--out"))
			dir = v;
		else if (!strcmp(a, "--link") && n_links < MAX_LINKS)
			links[n_links++] = v;
		else if (!strcmp(a, "--seq"))
			seq = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--ns"))
			zcfg.ns = v;
		else if (!strcmp(a, "--ns-addr"))
			zcfg.ns_addr = v;
		else if (!strcmp(a, "--time")) {
			char *end;

			mt_sec = strtoll(v, &end, 10);
			if (*end == '.') {
				char frac[10] = "000000000";
				size_t fl = strlen(end + 1);

				memcpy(frac, end + 1, fl > 9 ? 9 : fl);
				mt_nsec = (uint32_t)strtoul(frac, NULL, 10);
			}
		} else
			return usage();
	}
	if (!nodes || !domain || !keyfile || !dir)
		return usage();
	if (mt_sec < 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		mt_sec = ts.tv_sec;
		mt_nsec = (uint32_t)ts.tv_nsec;
	}
	rc = nodekey_load(priv, keyfile);
	if (rc < 0) {
		fprintf(stderr, "dnsbuild_tool: %s: %s\n", keyfile, strerror(-rc));
		return 1;
	}
	if (load_nodes(nodes, &recs, &n_recs) < 0)
		return 1;
	rc = dnsbuild_make(&b, recs, n_recs, links, n_links, seq);
	if (rc < 0) {
		if (rc == -EINVAL && b.bad_index >= n_recs)
			fprintf(stderr, "dnsbuild_tool: invalid link %s\n",
				links[b.bad_index - n_recs]);
		else
			fprintf(stderr, "dnsbuild_tool: can't add record %zu: "
				"%s\n", b.bad_index, strerror(-rc));
		return 1;
	}
	rc = dnsbuild_sign(&b, priv, domain);
	explicit_bzero(priv, sizeof(priv));
	if (rc < 0) {
		fprintf(stderr, "dnsbuild_tool: can't sign for domain %s\n", domain);
		return 1;
	}
	mkdir(dir, 0755);
	if (dnsbuild_txt_json(&b, &out, &len) < 0 ||
	    write_file(dir, "txt.json", out, len) < 0)
		return 1;
	free(out);
	if (dnsbuild_zone(&b, &zcfg, &out, &len) < 0 ||
	    write_file(dir, "zone", out, len) < 0)
		return 1;
	free(out);
	if (dnsbuild_info_json(&b, mt_sec, mt_nsec, &out, &len) < 0 ||
	    write_file(dir, "enrtree-info.json", out, len) < 0)
		return 1;
	free(out);
	printf("%s\n", b.url);
	dnsbuild_fini(&b);
	free(recs);
	return 0;
}
