/* SPDX-License-Identifier: MIT */
/* control/store/visitrow.c - the crawler's results as crawl database rows. */
#include "control/store/visitrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enr.h"
#include "common/keccak.h"
#include "control/crawl/crawl_rlpx.h"

const char *visitrow_fail_name(int fail)
{
	static const char *const names[CRAWL_FAIL_MAX] = {
		[CRAWL_FAIL_TIMEOUT] = "timeout",
		[CRAWL_FAIL_REJECTED] = "rejected",
		[CRAWL_FAIL_ENR_TIMEOUT] = "enr timeout",
		[CRAWL_FAIL_ENR_INVALID] = "enr invalid",
	};

	return fail >= 0 && fail < CRAWL_FAIL_MAX ? names[fail] : "";
}

int visitrow_enr_keys(char *out, size_t cap, const char *rec)
{
	struct enr *r;
	size_t o = 0;

	if (!cap)
		return -EINVAL;
	out[0] = '\0';
	if (!rec || strncmp(rec, ENR_TEXT_PREFIX, 4))
		return -EBADMSG;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (enr_decode_text(r, rec, strlen(rec)) < 0) {
		free(r);
		return -EBADMSG;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct enr_pair *p = &r->pairs[i];

		if (o + 1 + p->key_len + 1 > cap)
			break;          /* the keys that fit */
		if (i)
			out[o++] = ',';
		for (size_t k = 0; k < p->key_len; k++) {
			unsigned char ch = r->kv[p->key_off + k];

			out[o++] = ch < 0x21 || ch > 0x7e || ch == ',' ?
				   '?' : (char)ch;
		}
	}
	out[o] = '\0';
	free(r);
	return 0;
}

void visitrow_disc(struct crawldb_disc *v, const struct crawl_out *o,
		   const char *record)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->id, o->id, CRAWLDB_ID_LEN);
	v->started_ms = o->check_ns ? (int64_t)(o->check_ns / 1000000) :
			CRAWLDB_NO_TIME;
	v->finished_ms = o->done_ns ? (int64_t)(o->done_ns / 1000000) :
			 CRAWLDB_NO_TIME;
	v->answered = o->answered;
	v->replied = o->replied;
	v->enr_verified = o->enr_ok;
	v->enr_seq = o->seq;
	if (o->enr_ok)
		(void)visitrow_enr_keys(v->enr_keys, sizeof(v->enr_keys),
					record);
	snprintf(v->error, sizeof(v->error), "%s", visitrow_fail_name(o->fail));
	v->neighbors = o->neighbors;
}

static void caps_text(char *out, size_t cap, const struct p2p_hello *h)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < h->n_caps && o < cap; i++) {
		int k = snprintf(out + o, cap - o, "%s%s/%u", i ? "," : "",
				 h->caps[i].name, h->caps[i].version);

		if (k < 0)
			break;
		o += (size_t)k;
	}
}

void visitrow_rlpx(struct crawldb_rlpx *v, const struct rlpxprobe_result *r)
{
	char key[CRAWLDB_CLIENT_MAX], *slash;

	memset(v, 0, sizeof(*v));
	keccak256(v->id, r->pub, 64);
	v->tcp = r->tcp;
	v->has_hello = r->has_hello;
	if (r->has_hello) {
		snprintf(v->client_id, sizeof(v->client_id), "%s",
			 r->hello.client_id);
		crawl_rlpx_client_key(r->hello.client_id, key, sizeof(key));
		slash = strchr(key, '/');
		if (slash)
			*slash = '\0';
		/* Both fields are 64 bytes (crawldb.h). */
		snprintf(v->client_name, sizeof(v->client_name), "%.63s", key);
		snprintf(v->client_version, sizeof(v->client_version), "%.63s",
			 slash ? slash + 1 : "");
		v->p2p_version = r->hello.version;
		caps_text(v->caps, sizeof(v->caps), &r->hello);
		v->listen_port = r->hello.listen_port;
	}
	/* The negotiated version (set without a Status too); a result
	 * from elsewhere that lacks it but has a Status: the Status's (the
	 * same when the check passed). */
	v->eth_version = r->eth_version ? r->eth_version :
			 r->has_status ? r->status.version : 0;
	v->has_status = r->has_status;
	if (r->has_status) {
		v->network_id = r->status.network_id;
		memcpy(v->genesis, r->status.genesis, 32);
		v->fork_hash = r->status.forkid.hash;
		v->fork_next = r->status.forkid.next;
		/* Decoded in the negotiated version's layout: eth/69+ has
		 * the block range and latesthash, eth/68 the head hash. */
		v->has_range = v->eth_version >= ETH_VERSION_69;
		v->earliest = r->status.earliest;
		v->latest = r->status.latest;
		memcpy(v->latest_hash, v->has_range ? r->status.latest_hash :
		       r->status.head, 32);
		snprintf(v->status_check, sizeof(v->status_check), "%s",
			 r->status_err == ETH_OK ? "ok" :
			 eth_err_name(r->status_err));
	}
	v->disc_reason = r->disc_reason == P2P_DISC_NONE ? -1 : r->disc_reason;
	v->disc_remote = r->disc_remote;
	crawl_rlpx_error_class(r, v->error, sizeof(v->error));
	v->started_ms = (int64_t)(r->started_ns / 1000000ull);
	v->finished_ms = (int64_t)(r->finished_ns / 1000000ull);
}
