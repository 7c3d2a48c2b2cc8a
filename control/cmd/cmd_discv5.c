/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_discv5.c - `devplane discv5 ping|resolve|talk`: one
 * request from a temporary discv5 node. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enr.h"
#include "common/hex.h"
#include "common/secp.h"
#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"
#include "control/host/node.h"

static const enum flag_id takes[] = {
	F_TIMEOUT, F_ADDR, F_NAT, F_NETRESTRICT, F_DATAPLANE, F_DP_QUEUES,
	F_DP_EAL, F_DP_BUDGET, F_VERBOSITY, F_END
};

static const enum flag_id resolve_takes[] = {
	F_TIMEOUT, F_ADDR, F_NAT, F_NETRESTRICT, F_BOOTNODES, F_DATAPLANE,
	F_DP_QUEUES, F_DP_EAL, F_DP_BUDGET, F_VERBOSITY, F_END
};

static const struct flags_cmd ping_cmd = {
	.path = "discv5 ping", .synopsis = "ENR", .min_args = 1, .max_args = 1,
	.summary = "Ping a node over discovery v5 (handshaking first) and "
		   "print the round trip,\nits ENR sequence number and the "
		   "endpoint it saw us at; retried until\n--timeout (default "
		   "5s).",
	.accept = takes,
	.notes = "ENR is an enr: record or an enode URL (its key and UDP "
		 "endpoint).",
};

static const struct flags_cmd resolve_cmd = {
	.path = "discv5 resolve", .synopsis = "ENR", .min_args = 1,
	.max_args = 1,
	.summary = "Ask a node for its current ENR (FINDNODE [0], three "
		   "tries), or look its\nid up from --bootnodes when it does "
		   "not answer; prints the record and its\nenode URL.",
	.accept = resolve_takes,
	.notes = "ENR is an enr: record or an enode URL (its key and UDP "
		 "endpoint).",
};

static const struct flags_cmd talk_cmd = {
	.path = "discv5 talk", .synopsis = "ENR PROTO HEX", .min_args = 3,
	.max_args = 3,
	.summary = "Send TALKREQ(PROTO, HEX) to a node and print its TALKRESP "
		   "as 0x-prefixed\nhex (\"0x\": the empty answer a node gives "
		   "for a protocol it does not\nspeak). One request: no answer "
		   "within the response timeout fails.",
	.accept = takes,
	.notes = "HEX is the request payload (\"\" or \"0x\": empty).",
};

enum v5cmd_kind { V5_PING = 0, V5_RESOLVE, V5_TALK };

struct oneshot {
	struct loop *l;
	struct node n;
	struct discv5_node target;
	enum v5cmd_kind kind;
	uint64_t t0, deadline;
	unsigned tries;
	int state;
	int status;
	const char *proto;
	uint8_t *req;
	size_t req_len;
};

/* parse_target() reads an enr: record (kept: its seq, its endpoint as
 * geth picks it) or an enode URL (key and UDP endpoint only). */
static int parse_target(struct discv5_node *out, const char *s)
{
	struct enode e;

	if (!strncmp(s, "enr:", 4))
		return discv5_node_from_text(out, s, strlen(s));
	if (nodearg_parse(&e, s) || (e.kind != ENODE_HOST_IP4 &&
				     e.kind != ENODE_HOST_IP6) || !e.udp)
		return -EINVAL;
	discv5_node_from_addr(out, NULL, e.pub, e.ip, e.udp);
	return 0;
}

static int oneshot_start(struct oneshot *s, const struct flags *o)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t any6[16] = { 0 };
	const uint8_t *bind;
	uint64_t now;
	int rc;

	/* Ephemeral port; loopback targets get a loopback source so the
	 * relay rules (loopback only from loopback) hold on both sides. */
	if (o->has_addr)
		bind = o->addr;
	else if (netutil_is_loopback(s->target.ip))
		bind = netutil_addr_is_v4(s->target.ip) ? lo : any6;
	else
		bind = netutil_addr_is_v4(s->target.ip) ? any4 : any6;
	rc = cmd_oneshot_node(&s->l, &s->n, o, bind, true, &now);
	if (rc)
		return rc;
	s->deadline = now + (uint64_t)o->timeout_ms * 1000000ull;
	return 0;
}

static void oneshot_end(struct oneshot *s)
{
	node_fini(&s->n);
	loop_free(s->l);
}

static void fail_stop(struct oneshot *s, const char *what, int err)
{
	fprintf(stderr, "devplane: %s: %s\n", what,
		err == -ETIMEDOUT ? "timeout (no answer)" : strerror(-err));
	loop_stop(s->l, 0);
}

/* ---- discv5 ping -------------------------------------------------------- */

static void ping_send(struct oneshot *s, uint64_t now);

static void ping_done(void *arg, int err, const struct discv5_pong_info *p)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();
	char ip[NETUTIL_ADDRSTRLEN];

	if (err == -ECANCELED)
		return;
	if (!err) {
		netutil_addr_format(ip, p->ip);
		printf("node responded to ping (RTT %.3fms, enr-seq %" PRIu64
		       ", sees us at %s:%u).\n", (double)(now - s->t0) / 1e6,
		       p->enr_seq, ip, p->port);
		s->status = 0;
		loop_stop(s->l, 0);
		return;
	}
	if (err == -ETIMEDOUT && now < s->deadline) {
		ping_send(s, now);      /* lost on the way: try again */
		return;
	}
	fprintf(stderr, "devplane: node did not respond to ping after %u "
		"attempt%s (%s)\n", s->tries, s->tries == 1 ? "" : "s",
		err == -ETIMEDOUT ? "timeout" : strerror(-err));
	loop_stop(s->l, 0);
}

static void ping_send(struct oneshot *s, uint64_t now)
{
	int rc;

	s->tries++;
	s->t0 = now;
	rc = discv5_ping(s->n.d5, &s->target, now, ping_done, s);
	if (rc)
		fail_stop(s, "ping", rc);
	loop_touch_v5(s->l, 0);
}

/* ---- discv5 resolve ----------------------------------------------------- */

/* Ask the node itself (FINDNODE [0]), three times within --timeout; when
 * it does not answer, look its id up from the bootnodes and take the
 * newest record the lookup found for it (geth's Resolve). */
enum { RS_ASK = 0, RS_LOOKUP };

static void resolve_step(void *arg, uint64_t now);

static void resolve_print(struct oneshot *s, const struct discv5_node *n)
{
	char text[ENR_TEXT_MAX], url[ENODE_URL_MAX + 1];
	struct enode e = { 0 };
	struct enr rec;

	if (enr_decode(&rec, n->enr, n->enr_len) < 0 ||
	    enr_encode_text(text, sizeof(text), &rec) < 0) {
		fprintf(stderr, "devplane: could not resolve node: bad record\n");
		return;
	}
	printf("%s\n", text);
	memcpy(e.pub, n->pub, ENODE_PUB_LEN);
	memcpy(e.ip, n->ip, 16);
	e.kind = netutil_addr_is_v4(n->ip) ? ENODE_HOST_IP4 : ENODE_HOST_IP6;
	e.udp = n->udp;
	e.tcp = n->tcp;
	if (enode_format(url, sizeof(url), &e) > 0)
		printf("%s\n", url);
	s->status = 0;
}

static void resolve_enr_done(void *arg, int err, const struct discv5_node *n)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	if (err == -ECANCELED)
		return;
	if (!err) {
		resolve_print(s, n);
		loop_stop(s->l, 0);
		return;
	}
	if (err == -ETIMEDOUT && s->tries < 3 && now < s->deadline) {
		resolve_step(s, now);
		return;
	}
	s->state = RS_LOOKUP;
	resolve_step(s, now);
}

static void resolve_lookup_done(void *arg, int err,
				const struct discv5_node *nodes, unsigned n)
{
	struct oneshot *s = arg;
	const struct discv5_node *best = NULL;

	if (err == -ECANCELED)
		return;
	for (unsigned i = 0; !err && i < n; i++)
		if (!memcmp(nodes[i].id, s->target.id, DISCV5_NODE_ID_LEN) &&
		    nodes[i].enr_len && (!best || nodes[i].seq > best->seq))
			best = &nodes[i];
	if (best)
		resolve_print(s, best);
	else
		fprintf(stderr, "devplane: could not resolve node: no answer, "
			"and not found by lookup\n");
	loop_stop(s->l, 0);
}

static void resolve_step(void *arg, uint64_t now)
{
	struct oneshot *s = arg;
	int rc;

	if (now >= s->deadline) {
		fail_stop(s, "could not resolve node", -ETIMEDOUT);
		return;
	}
	if (s->state == RS_ASK) {
		s->tries++;
		rc = discv5_request_enr(s->n.d5, &s->target, now,
					resolve_enr_done, s);
	} else {
		rc = discv5_lookup(s->n.d5, s->target.id, now,
				   resolve_lookup_done, s);
	}
	if (rc == -EAGAIN)              /* no bootnode to look it up from */
		fail_stop(s, "could not resolve node", -ETIMEDOUT);
	else if (rc)
		fail_stop(s, "could not resolve node", rc);
	loop_touch_v5(s->l, 0);
}

/* ---- discv5 talk -------------------------------------------------------- */

static void talk_done(void *arg, int err, const uint8_t *resp, size_t len)
{
	struct oneshot *s = arg;
	char *hex;

	if (err == -ECANCELED)
		return;
	if (err) {
		fail_stop(s, "talk", err);
		return;
	}
	hex = malloc(2 * len + 1);
	if (!hex) {
		fail_stop(s, "talk", -ENOMEM);
		return;
	}
	printf("0x%s\n", hex_encode(hex, resp, len));
	free(hex);
	s->status = 0;
	loop_stop(s->l, 0);
}

static int talk_parse(struct oneshot *s, const char *proto, const char *hex)
{
	size_t n = strlen(hex);
	ssize_t got;

	if (!*proto || strlen(proto) > DISCV5_TALK_PROTO_MAX) {
		fprintf(stderr, "devplane: talk: PROTO must be 1..%d bytes\n",
			DISCV5_TALK_PROTO_MAX);
		return -EINVAL;
	}
	s->proto = proto;
	s->req = malloc(n / 2 + 1);
	if (!s->req)
		return -ENOMEM;
	got = hex_decode(s->req, n / 2 + 1, hex, n);
	if (got < 0) {
		fprintf(stderr, "devplane: talk: HEX is not hex: %.40s\n", hex);
		return -EINVAL;
	}
	s->req_len = (size_t)got;
	return 0;
}

static void start(void *arg, uint64_t now)
{
	struct oneshot *s = arg;
	int rc;

	switch (s->kind) {
	case V5_PING:
		ping_send(s, now);
		return;
	case V5_RESOLVE:
		resolve_step(s, now);
		return;
	case V5_TALK:
		s->t0 = now;
		rc = discv5_talk(s->n.d5, &s->target,
				 (const uint8_t *)s->proto, strlen(s->proto),
				 s->req, s->req_len, now, talk_done, s);
		if (rc)
			fail_stop(s, "talk", rc);
		loop_touch_v5(s->l, 0);
		return;
	}
}

/* The common part of the three commands: parse, set up, run. */
static int oneshot_main(const struct flags_cmd *c, enum v5cmd_kind kind,
			int argc, char **argv)
{
	struct oneshot *s;
	struct flags *o;
	int status;

	o = malloc(sizeof(*o));
	s = calloc(1, sizeof(*s));
	if (!o || !s) {
		free(o);
		free(s);
		return 1;
	}
	s->kind = kind;
	s->status = 1;
	status = cmd_flags(o, c, argc, argv);
	if (status >= 0)
		goto out;
	if (nathost_maps(o->nat)) {
		/* A one-shot query holds no mapping worth the gateway's time. */
		fprintf(stderr, "devplane %s: --nat %s maps ports for node, "
			"bootnode and crawl only\n", c->path,
			natmap_mech_name(o->nat));
		status = 2;
		goto out;
	}
	if (parse_target(&s->target, o->args[0])) {
		fprintf(stderr, "devplane: invalid node %s\n", o->args[0]);
		status = 2;
		goto out;
	}
	if (kind == V5_TALK && talk_parse(s, o->args[1], o->args[2])) {
		status = 2;
		goto out;
	}
	if (oneshot_start(s, o) == 0) {
		/* resolve's lookup starts from the bootnodes only: the node
		 * itself did not answer by then, and its stale entry would
		 * hide the record the lookup finds under its id. */
		for (unsigned i = 0; kind == V5_RESOLVE && i < o->n_bootnodes;
		     i++)
			(void)node_add_bootnode(&s->n, &o->bootnodes[i]);
		loop_alarm(s->l, loop_now(), start, s);
		if (loop_run(s->l) > 0)
			fprintf(stderr, "devplane: interrupted\n");
	}
	status = s->status;
	oneshot_end(s);
out:
	free(s->req);
	free(s);
	free(o);
	return status;
}

int cmd_discv5_ping(int argc, char **argv)
{
	return oneshot_main(&ping_cmd, V5_PING, argc, argv);
}

int cmd_discv5_resolve(int argc, char **argv)
{
	return oneshot_main(&resolve_cmd, V5_RESOLVE, argc, argv);
}

int cmd_discv5_talk(int argc, char **argv)
{
	return oneshot_main(&talk_cmd, V5_TALK, argc, argv);
}
