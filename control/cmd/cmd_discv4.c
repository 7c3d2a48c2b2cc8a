/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_discv4.c - `devplane discv4 ping|resolve`: one request
 * from a temporary node. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "common/enr.h"
#include "common/secp.h"
#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"
#include "control/host/node.h"

static const enum flag_id takes[] = {
	F_TIMEOUT, F_ADDR, F_NAT, F_NETRESTRICT, F_DATAPLANE, F_DP_QUEUES,
	F_DP_EAL, F_DP_BUDGET, F_VERBOSITY, F_END
};

static const struct flags_cmd ping_cmd = {
	.path = "discv4 ping", .synopsis = "ENODE", .min_args = 1,
	.max_args = 1,
	.summary = "Ping a node (enode URL or enr: record) and print the "
		   "round trip and its\nENR sequence number; retried until "
		   "--timeout (default 5s).",
	.accept = takes,
};

static const struct flags_cmd resolve_cmd = {
	.path = "discv4 resolve", .synopsis = "ENODE", .min_args = 1,
	.max_args = 1,
	.summary = "Ask a node for its current ENR (after a Ping), or look "
		   "its id up in the\nnetwork when it does not answer; prints "
		   "the record and its enode URL.",
	.accept = takes,
};

struct oneshot {
	struct loop *l;
	struct node n;
	struct discv4_node target;
	struct enode target_enode;
	uint32_t timeout_ms;
	uint64_t t0, deadline;
	unsigned tries;
	int state;
	int status;
	bool printed;
};

static int oneshot_start(struct oneshot *s, const struct flags *o,
			 const char *arg)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	uint64_t now;
	int rc;

	s->status = 1;
	if (nodearg_parse(&s->target_enode, arg) ||
	    node_wire(&s->target, &s->target_enode)) {
		fprintf(stderr, "devplane: invalid node %s\n", arg);
		return -EINVAL;
	}
	/* Ephemeral port; loopback targets get a loopback source so the
	 * relay rules (loopback only from loopback) hold on both sides. */
	rc = cmd_oneshot_node(&s->l, &s->n, o,
			      netutil_is_loopback(s->target.ep.ip) ? lo :
			      o->has_addr ? o->addr : any4, false, &now);
	if (rc)
		return rc;
	s->timeout_ms = o->timeout_ms;
	s->deadline = now + (uint64_t)s->timeout_ms * 1000000ull;
	return 0;
}

static void oneshot_end(struct oneshot *s)
{
	node_fini(&s->n);
	loop_free(s->l);
}

/* ---- discv4 ping -------------------------------------------------------- */

static void ping_send(struct oneshot *s, uint64_t now);

static void ping_done(void *arg, int err, uint64_t enr_seq)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	if (err == -ECANCELED)
		return;
	if (!err) {
		printf("node responded to ping (RTT %.3fms, enr-seq %" PRIu64
		       ").\n", (double)(now - s->t0) / 1e6, enr_seq);
		s->status = 0;
		loop_stop(s->l, 0);
		return;
	}
	if (now < s->deadline) {
		ping_send(s, now);      /* lost on the way: try again */
		return;
	}
	fprintf(stderr, "devplane: node did not respond to ping after %u "
		"attempt%s (%s)\n", s->tries, s->tries == 1 ? "" : "s",
		strerror(-err));
	loop_stop(s->l, 0);
}

static void ping_send(struct oneshot *s, uint64_t now)
{
	int rc;

	s->tries++;
	s->t0 = now;
	rc = discv4_ping(s->n.d, &s->target, now, ping_done, s);
	if (rc) {
		fprintf(stderr, "devplane: ping: %s\n", strerror(-rc));
		loop_stop(s->l, 0);
	}
	loop_touch(s->l, 0);
}

static void ping_start(void *arg, uint64_t now)
{
	ping_send(arg, now);
}

/* ---- discv4 resolve ----------------------------------------------------- */

/* geth's Resolve: ask the node itself for its record (after a Ping, so it
 * holds our endpoint proof and answers ENRRequest), and if that fails,
 * look the node id up in the network and ask what the lookup found. */
enum { RS_PING = 0, RS_ENR, RS_LOOKUP, RS_ENR_FOUND };

static void resolve_step(struct oneshot *s, uint64_t now);

static void resolve_print(struct oneshot *s, const struct enr *rec)
{
	char text[ENR_TEXT_MAX], url[ENODE_URL_MAX + 1];
	struct enode e = { 0 };
	uint8_t ip4[4];

	if (enr_encode_text(text, sizeof(text), rec) < 0)
		return;
	printf("%s\n", text);
	memcpy(e.pub, s->target.id, ENODE_PUB_LEN);
	if (enr_get_ip(rec, ip4) == 0) {
		netutil_addr_from_v4(e.ip, ip4);
		e.kind = ENODE_HOST_IP4;
		enr_get_udp(rec, &e.udp);
		enr_get_tcp(rec, &e.tcp);
	} else if (enr_get_ip6(rec, e.ip) == 0) {
		e.kind = ENODE_HOST_IP6;
		enr_get_udp6(rec, &e.udp);
		enr_get_tcp6(rec, &e.tcp);
	}
	if (e.kind && enode_format(url, sizeof(url), &e) > 0)
		printf("%s\n", url);
	s->status = 0;
}

static void resolve_enr_done(void *arg, int err, const struct enr *rec)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	if (err == -ECANCELED)
		return;
	if (!err) {
		resolve_print(s, rec);
		loop_stop(s->l, 0);
		return;
	}
	if (s->state == RS_ENR && s->tries < 3 && now < s->deadline) {
		loop_alarm(s->l, now + 200000000ull,
			   (loop_alarm_fn *)resolve_step, s);
		return;
	}
	if (s->state == RS_ENR) {
		s->state = RS_LOOKUP;
		resolve_step(s, now);
		return;
	}
	fprintf(stderr, "devplane: could not resolve node: %s\n",
		strerror(-err));
	loop_stop(s->l, 0);
}

static void resolve_ping_done(void *arg, int err, uint64_t enr_seq)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	(void)enr_seq;
	if (err == -ECANCELED)
		return;
	if (err && now < s->deadline && s->tries < 3) {
		s->tries++;
		resolve_step(s, now);
		return;
	}
	/* Give the node's ping-back (and our Pong to it) time to land
	 * before the ENRRequest, which it answers only once we are bonded
	 * on its side. */
	s->state = err ? RS_LOOKUP : RS_ENR;
	s->tries = 0;
	loop_alarm(s->l, now + 100000000ull, (loop_alarm_fn *)resolve_step, s);
}

static void resolve_lookup_done(void *arg, int err,
				const struct discv4_node *nodes, unsigned n)
{
	struct oneshot *s = arg;

	if (err == -ECANCELED)
		return;
	for (unsigned i = 0; !err && i < n; i++) {
		if (memcmp(nodes[i].id, s->target.id, DISCV4_PUB_LEN))
			continue;
		/* Found under a possibly newer endpoint: ask it there. */
		s->target = nodes[i];
		s->state = RS_ENR_FOUND;
		resolve_step(s, loop_now());
		return;
	}
	fprintf(stderr, "devplane: could not resolve node: not found by lookup\n");
	loop_stop(s->l, 0);
}

static void resolve_step(struct oneshot *s, uint64_t now)
{
	int rc = 0;

	if (now >= s->deadline) {
		fprintf(stderr, "devplane: could not resolve node: timeout\n");
		loop_stop(s->l, 0);
		return;
	}
	switch (s->state) {
	case RS_PING:
		rc = discv4_ping(s->n.d, &s->target, now, resolve_ping_done, s);
		break;
	case RS_ENR:
	case RS_ENR_FOUND:
		s->tries++;
		rc = discv4_request_enr(s->n.d, &s->target, now,
					resolve_enr_done, s);
		break;
	case RS_LOOKUP:
		rc = discv4_lookup(s->n.d, s->target.id, now,
				   resolve_lookup_done, s);
		break;
	}
	if (rc) {
		fprintf(stderr, "devplane: could not resolve node: %s\n",
			strerror(-rc));
		loop_stop(s->l, 0);
	}
	loop_touch(s->l, 0);
}


/* The common part of both commands: parse, set up, run fn from the loop. */
static int oneshot_main(const struct flags_cmd *c, int argc, char **argv,
			bool resolve)
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
	if (oneshot_start(s, o, o->args[0]) == 0) {
		if (resolve) {
			discv4_add_bootnode(s->n.d, &s->target);
			loop_alarm(s->l, loop_now(),
				   (loop_alarm_fn *)resolve_step, s);
		} else {
			loop_alarm(s->l, loop_now(), ping_start, s);
		}
		if (loop_run(s->l) > 0)
			fprintf(stderr, "devplane: interrupted\n");
	}
	status = s->status;
	oneshot_end(s);
out:
	free(s);
	free(o);
	return status;
}

int cmd_discv4_ping(int argc, char **argv)
{
	return oneshot_main(&ping_cmd, argc, argv, false);
}

int cmd_discv4_resolve(int argc, char **argv)
{
	return oneshot_main(&resolve_cmd, argc, argv, true);
}
