/* SPDX-License-Identifier: MIT */
/* control/api/metrics.c - Prometheus text exposition of the dataplane and engine counters. */
#include "control/api/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct out {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

static void family(struct out *o, const char *name, const char *type,
		   const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Dataplane counters that are plain per-queue counters. */
static const struct {
	unsigned cnt;
	const char *name, *help;
} dp_plain[] = {
	{ DP_CNT_RX_PKTS, "devplane_dp_rx_packets_total",
	  "Datagrams received by the dataplane." },
	{ DP_CNT_RX_BYTES, "devplane_dp_rx_bytes_total",
	  "Bytes received by the dataplane." },
	{ DP_CNT_ACCEPTED, "devplane_dp_accepted_total",
	  "discv4 packets that passed every ingress check." },
	{ DP_CNT_CACHE_HIT, "devplane_dp_cache_hits_total",
	  "Packets accepted from the hash cache without a recovery." },
	{ DP_CNT_TX_PKTS, "devplane_dp_tx_packets_total",
	  "Datagrams sent by the dataplane." },
	{ DP_CNT_TX_BYTES, "devplane_dp_tx_bytes_total",
	  "Bytes sent by the dataplane." },
	{ DP_CNT_CTL_WAKEUPS, "devplane_dp_control_wakeups_total",
	  "Times a worker woke the control process." },
	{ DP_CNT_BANS_ADDED, "devplane_dp_bans_added_total",
	  "Sources the xdp backend banned for repeated bad signatures." },
	{ DP_CNT_RLPX_SESSIONS, "devplane_dp_rlpx_sessions_total",
	  "RLPx sessions handed over to the dataplane." },
	{ DP_CNT_RLPX_CLOSED, "devplane_dp_rlpx_closed_total",
	  "RLPx sessions the dataplane ended." },
	{ DP_CNT_RLPX_FRAMES_RX, "devplane_dp_rlpx_frames_received_total",
	  "RLPx frames the dataplane opened." },
	{ DP_CNT_RLPX_FRAMES_TX, "devplane_dp_rlpx_frames_sent_total",
	  "RLPx frames the dataplane sealed." },
	{ DP_CNT_RLPX_BAD_FRAME, "devplane_dp_rlpx_bad_frames_total",
	  "RLPx frames refused for a MAC, size or snappy failure." },
	{ DP_CNT_RLPX_PONGS, "devplane_dp_rlpx_pings_answered_total",
	  "p2p Pings from peers that the dataplane answered with a Pong." },
};

/* Drop reasons, in the label form. */
static const struct {
	unsigned cnt;
	const char *reason;
} dp_drops[] = {
	{ DP_CNT_DROP_SIZE, "size" },       { DP_CNT_DROP_HASH, "hash" },
	{ DP_CNT_DROP_TYPE, "type" },       { DP_CNT_DROP_RLP, "rlp" },
	{ DP_CNT_DROP_EXPIRED, "expired" }, { DP_CNT_DROP_BUDGET, "budget" },
	{ DP_CNT_DROP_SIG, "sig" },         { DP_CNT_DROP_RING_FULL, "ring_full" },
	{ DP_CNT_DROP_NO_SLOT, "no_slot" }, { DP_CNT_DROP_REPLAY, "replay" },
};

/* discv5 verdicts of the dataplane (its demux, dataplane/stage/disc_rx.h). */
static const struct {
	unsigned cnt;
	const char *reason;
} dp_v5_drops[] = {
	{ DP_CNT_V5_DROP_SIZE, "size" },
	{ DP_CNT_V5_DROP_VERSION, "version" },
	{ DP_CNT_V5_DROP_FLAG, "flag" },
	{ DP_CNT_V5_DROP_AUTHDATA, "authdata" },
	{ DP_CNT_V5_DROP_BUDGET, "budget" },
	{ DP_CNT_V5_DROP_HS_BUDGET, "handshake_budget" },
};

static const char *const v5_msg_name[DISCV5_MSG_TALKRESP + 1] = {
	[DISCV5_MSG_PING] = "ping",         [DISCV5_MSG_PONG] = "pong",
	[DISCV5_MSG_FINDNODE] = "findnode", [DISCV5_MSG_NODES] = "nodes",
	[DISCV5_MSG_TALKREQ] = "talkreq",   [DISCV5_MSG_TALKRESP] = "talkresp",
};

static const char *const v5_drop_name[DISCV5_DROP_MAX] = {
	[DISCV5_DROP_HEADER] = "header",
	[DISCV5_DROP_NETRESTRICT] = "netrestrict",
	[DISCV5_DROP_SELF] = "self",
	[DISCV5_DROP_NO_SESSION] = "no_session",
	[DISCV5_DROP_DECRYPT] = "decrypt",
	[DISCV5_DROP_BAD_MESSAGE] = "bad_message",
	[DISCV5_DROP_WHOAREYOU_NO_CALL] = "whoareyou_no_call",
	[DISCV5_DROP_WHOAREYOU_TWICE] = "whoareyou_twice",
	[DISCV5_DROP_HS_UNEXPECTED] = "handshake_unexpected",
	[DISCV5_DROP_HS_BAD] = "handshake_bad",
	[DISCV5_DROP_RATELIMIT] = "ratelimit",
	[DISCV5_DROP_CHALLENGE_FULL] = "challenge_full",
	[DISCV5_DROP_UNSOLICITED] = "unsolicited",
	[DISCV5_DROP_TOPIC] = "topic",
	[DISCV5_DROP_TALK_BUSY] = "talk_busy",
};

static const char *const v5_rej_name[DISCV5_REJ_MAX] = {
	[DISCV5_REJ_RECORD] = "record",     [DISCV5_REJ_RELAY] = "relay",
	[DISCV5_REJ_NETRESTRICT] = "netrestrict",
	[DISCV5_REJ_PORT] = "port",         [DISCV5_REJ_DISTANCE] = "distance",
	[DISCV5_REJ_DUPLICATE] = "duplicate", [DISCV5_REJ_LIMIT] = "limit",
};

static const char *const ptype_name[DISCV4_ENRRESPONSE + 1] = {
	[DISCV4_PING] = "ping",           [DISCV4_PONG] = "pong",
	[DISCV4_FINDNODE] = "findnode",   [DISCV4_NEIGHBORS] = "neighbors",
	[DISCV4_ENRREQUEST] = "enrrequest",
	[DISCV4_ENRRESPONSE] = "enrresponse",
};

static const char *const drop_name[DISCV4_DROP_MAX] = {
	[DISCV4_DROP_BAD] = "bad",
	[DISCV4_DROP_EXPIRED] = "expired",
	[DISCV4_DROP_UNBONDED] = "unbonded",
	[DISCV4_DROP_UNSOLICITED] = "unsolicited",
	[DISCV4_DROP_NETRESTRICT] = "netrestrict",
	[DISCV4_DROP_SELF] = "self",
};

static const char *const cap_name[DISCV4_CAP_MAX] = {
	[DISCV4_CAP_TOTAL] = "total",
	[DISCV4_CAP_PINGBACK] = "pingback",
	[DISCV4_CAP_PEER] = "peer",
};

void metrics_stats_add(struct discv4_stats *sum, const struct discv4_stats *s)
{
	for (unsigned i = 0; i <= DISCV4_ENRRESPONSE; i++) {
		sum->rx[i] += s->rx[i];
		sum->tx[i] += s->tx[i];
	}
	for (unsigned i = 0; i < DISCV4_DROP_MAX; i++)
		sum->drop[i] += s->drop[i];
	sum->nodes_rejected += s->nodes_rejected;
	sum->bonds += s->bonds;
	sum->lookups += s->lookups;
	sum->lookups_done += s->lookups_done;
	sum->encode_errors += s->encode_errors;
	for (unsigned i = 0; i < DISCV4_CAP_MAX; i++)
		sum->pending_refused[i] += s->pending_refused[i];
	if (s->pending_max > sum->pending_max)
		sum->pending_max = s->pending_max;      /* per engine: max */
}

void metrics_v5_add(struct discv5_stats *sum, const struct discv5_stats *s)
{
	/* Every field is a uint64_t counter: add them as an array. */
	const uint64_t *a = (const uint64_t *)s;
	uint64_t *b = (uint64_t *)sum;

	_Static_assert(sizeof(*s) % sizeof(uint64_t) == 0,
		       "discv5_stats: counters only");
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		b[i] += a[i];
}

static void gauge(struct out *o, const char *name, const char *help,
		  uint64_t v)
{
	family(o, name, "gauge", help);
	put(o, "%s %" PRIu64 "\n", name, v);
}

static void dataplane(struct out *o, const struct metrics_input *in)
{
	const char *n;
	uint64_t bans;

	for (size_t i = 0; i < sizeof(dp_plain) / sizeof(dp_plain[0]); i++) {
		family(o, dp_plain[i].name, "counter", dp_plain[i].help);
		for (unsigned q = 0; q < in->n_queues; q++)
			put(o, "%s{queue=\"%u\"} %" PRIu64 "\n", dp_plain[i].name,
			    q, in->dp[q][dp_plain[i].cnt]);
	}
	n = "devplane_dp_drops_total";
	family(o, n, "counter",
	       "Packets the dataplane dropped, by reason and worker queue.");
	for (size_t i = 0; i < sizeof(dp_drops) / sizeof(dp_drops[0]); i++)
		for (unsigned q = 0; q < in->n_queues; q++)
			put(o, "%s{reason=\"%s\",queue=\"%u\"} %" PRIu64 "\n", n,
			    dp_drops[i].reason, q, in->dp[q][dp_drops[i].cnt]);
	n = "devplane_dp_v5_accepted_total";
	family(o, n, "counter",
	       "discv5 datagrams that passed the static-header check and the "
	       "budgets.");
	for (unsigned q = 0; q < in->n_queues; q++)
		put(o, "%s{queue=\"%u\"} %" PRIu64 "\n", n, q,
		    in->dp[q][DP_CNT_V5_ACCEPTED]);
	n = "devplane_dp_v5_drops_total";
	family(o, n, "counter",
	       "discv5 datagrams the dataplane dropped, by reason and worker "
	       "queue.");
	for (size_t i = 0; i < sizeof(dp_v5_drops) / sizeof(dp_v5_drops[0]);
	     i++)
		for (unsigned q = 0; q < in->n_queues; q++)
			put(o, "%s{reason=\"%s\",queue=\"%u\"} %" PRIu64 "\n",
			    n, dp_v5_drops[i].reason, q,
			    in->dp[q][dp_v5_drops[i].cnt]);
	n = "devplane_dp_v5_protocol_mismatch_total";
	family(o, n, "counter",
	       "Datagrams neither discv4 nor discv5 (wrong protocol-id under "
	       "our mask): a part of the size and hash drops.");
	for (unsigned q = 0; q < in->n_queues; q++)
		put(o, "%s{queue=\"%u\"} %" PRIu64 "\n", n, q,
		    in->dp[q][DP_CNT_V5_DROP_PROTO]);
	n = "devplane_dp_whoareyou_limited_total";
	family(o, n, "counter",
	       "discv5 WHOAREYOUs not sent: over their destination's limit.");
	for (unsigned q = 0; q < in->n_queues; q++)
		put(o, "%s{queue=\"%u\"} %" PRIu64 "\n", n, q,
		    in->dp[q][DP_CNT_WHOAREYOU_LIMITED]);
	bans = 0;
	for (unsigned q = 0; q < in->n_queues; q++)
		bans += in->dp[q][DP_CNT_BANS_ACTIVE];
	gauge(o, "devplane_dp_bans",
	      "Unexpired entries in the XDP shield's blocklist (xdp backend).",
	      bans);
	n = "devplane_dp_ring_depth";
	family(o, n, "gauge",
	       "Descriptors waiting in a worker's ring to control, by queue.");
	for (unsigned q = 0; q < in->n_queues; q++)
		put(o, "%s{queue=\"%u\"} %" PRIu64 "\n", n, q,
		    in->dp[q][DP_CNT_RING_DEPTH]);
	gauge(o, "devplane_dp_slots_used",
	      "Message slots out of the shared pool (both directions).",
	      in->n_queues ? in->dp[0][DP_CNT_SLOTS_USED] : 0);
	n = "devplane_dp_tx_errors_total";
	family(o, n, "counter",
	       "Packets the dataplane could not send, by kind and worker queue.");
	for (unsigned q = 0; q < in->n_queues; q++) {
		put(o, "%s{kind=\"bad_msg\",queue=\"%u\"} %" PRIu64 "\n", n, q,
		    in->dp[q][DP_CNT_TX_BAD_MSG]);
		put(o, "%s{kind=\"send\",queue=\"%u\"} %" PRIu64 "\n", n, q,
		    in->dp[q][DP_CNT_TX_ERR]);
	}
}


static void counter(struct out *o, const char *name, const char *help,
		    uint64_t v)
{
	family(o, name, "counter", help);
	put(o, "%s %" PRIu64 "\n", name, v);
}

static void engines(struct out *o, const struct metrics_input *in)
{
	const struct discv4_stats *s = &in->eng;
	const char *n;

	gauge(o, "devplane_discv4_engines",
	      "discv4 engines (local nodes) hosted by this process.",
	      in->n_engines);
	gauge(o, "devplane_discv4_table_nodes",
	      "Nodes in the Kademlia tables, summed over engines.",
	      in->table_nodes);
	gauge(o, "devplane_discv4_table_nodes_min",
	      "Nodes in the smallest Kademlia table.", in->table_min);
	gauge(o, "devplane_discv4_table_nodes_max",
	      "Nodes in the largest Kademlia table.", in->table_max);
	gauge(o, "devplane_discv4_pending_requests",
	      "discv4 requests waiting for a reply.", in->pending);
	counter(o, "devplane_discv4_bonds_total",
		"Valid Pongs to our Pings (endpoint proofs).", s->bonds);
	counter(o, "devplane_discv4_lookups_total", "Lookups started.",
		s->lookups);
	counter(o, "devplane_discv4_lookups_done_total", "Lookups finished.",
		s->lookups_done);
	counter(o, "devplane_discv4_nodes_rejected_total",
		"Relayed nodes refused (relay rules, low port, netrestrict).",
		s->nodes_rejected);
	counter(o, "devplane_discv4_encode_errors_total",
		"Packets the engine failed to encode.", s->encode_errors);
	n = "devplane_discv4_packets_in_total";
	family(o, n, "counter", "discv4 packets accepted by the engines, by type.");
	for (unsigned t = DISCV4_PING; t <= DISCV4_ENRRESPONSE; t++)
		put(o, "%s{type=\"%s\"} %" PRIu64 "\n", n, ptype_name[t],
		    s->rx[t]);
	n = "devplane_discv4_packets_out_total";
	family(o, n, "counter", "discv4 packets sent by the engines, by type.");
	for (unsigned t = DISCV4_PING; t <= DISCV4_ENRRESPONSE; t++)
		put(o, "%s{type=\"%s\"} %" PRIu64 "\n", n, ptype_name[t],
		    s->tx[t]);
	n = "devplane_discv4_drops_total";
	family(o, n, "counter", "discv4 packets the engines dropped, by reason.");
	for (unsigned r = 0; r < DISCV4_DROP_MAX; r++)
		put(o, "%s{reason=\"%s\"} %" PRIu64 "\n", n, drop_name[r],
		    s->drop[r]);
	gauge(o, "devplane_discv4_pending_requests_max",
	      "Most discv4 requests pending at once in one engine.",
	      s->pending_max);
	n = "devplane_discv4_pending_refused_total";
	family(o, n, "counter",
	       "discv4 requests (ping-backs included) a pending cap refused, "
	       "by cap: total, pingback, peer (per node id, IP, reply type).");
	for (unsigned c = 0; c < DISCV4_CAP_MAX; c++)
		put(o, "%s{cap=\"%s\"} %" PRIu64 "\n", n, cap_name[c],
		    s->pending_refused[c]);
}

static void v5_engines(struct out *o, const struct metrics_input *in)
{
	const struct discv5_stats *s = &in->v5;
	const char *n;

	gauge(o, "devplane_discv5_engines",
	      "discv5 engines (local nodes) hosted by this process.", in->n_v5);
	gauge(o, "devplane_discv5_table_nodes",
	      "Nodes in the discv5 tables, summed over engines.",
	      in->v5_table_nodes);
	gauge(o, "devplane_discv5_sessions", "Established discv5 sessions.",
	      in->v5_sessions);
	gauge(o, "devplane_discv5_challenges",
	      "WHOAREYOU challenges awaiting a handshake.", in->v5_challenges);
	gauge(o, "devplane_discv5_pending_requests",
	      "discv5 requests in flight or queued.", in->v5_pending);
	n = "devplane_discv5_packets_in_total";
	family(o, n, "counter", "discv5 messages used by the engines, by type.");
	for (unsigned t = DISCV5_MSG_PING; t <= DISCV5_MSG_TALKRESP; t++)
		put(o, "%s{type=\"%s\"} %" PRIu64 "\n", n, v5_msg_name[t],
		    s->rx[t]);
	put(o, "%s{type=\"whoareyou\"} %" PRIu64 "\n", n, s->rx_whoareyou);
	n = "devplane_discv5_packets_out_total";
	family(o, n, "counter", "discv5 messages sent by the engines, by type.");
	for (unsigned t = DISCV5_MSG_PING; t <= DISCV5_MSG_TALKRESP; t++)
		put(o, "%s{type=\"%s\"} %" PRIu64 "\n", n, v5_msg_name[t],
		    s->tx[t]);
	put(o, "%s{type=\"whoareyou\"} %" PRIu64 "\n", n, s->tx_whoareyou);
	put(o, "%s{type=\"whoareyou_resent\"} %" PRIu64 "\n", n,
	    s->tx_whoareyou_resent);
	put(o, "%s{type=\"random\"} %" PRIu64 "\n", n, s->tx_random);
	n = "devplane_discv5_drops_total";
	family(o, n, "counter", "discv5 packets the engines dropped, by reason.");
	for (unsigned r = 0; r < DISCV5_DROP_MAX; r++)
		put(o, "%s{reason=\"%s\"} %" PRIu64 "\n", n, v5_drop_name[r],
		    s->drop[r]);
	n = "devplane_discv5_handshakes_total";
	family(o, n, "counter",
	       "discv5 handshakes completed, by our role.");
	put(o, "%s{role=\"initiator\"} %" PRIu64 "\n", n, s->hs_initiated);
	put(o, "%s{role=\"recipient\"} %" PRIu64 "\n", n, s->hs_accepted);
	counter(o, "devplane_discv5_ec_ops_total",
		"ECDH, sign and verify operations of the handshakes.",
		s->ec_ops);
	counter(o, "devplane_discv5_sessions_evicted_total",
		"Sessions evicted from the full session cache.",
		s->sessions_evicted);
	counter(o, "devplane_discv5_challenges_expired_total",
		"WHOAREYOU challenges that expired unanswered.",
		s->challenges_expired);
	counter(o, "devplane_discv5_requests_timeout_total",
		"discv5 requests that got no answer in time.",
		s->calls_timeout);
	n = "devplane_discv5_nodes_rejected_total";
	family(o, n, "counter", "NODES records refused, by reason.");
	for (unsigned r = 0; r < DISCV5_REJ_MAX; r++)
		put(o, "%s{reason=\"%s\"} %" PRIu64 "\n", n, v5_rej_name[r],
		    s->nodes_rejected[r]);
	counter(o, "devplane_discv5_lookups_total", "discv5 lookups started.",
		s->lookups);
	counter(o, "devplane_discv5_lookups_done_total",
		"discv5 lookups finished.", s->lookups_done);
}

ssize_t metrics_format(char *out, size_t cap, const struct metrics_input *in)
{
	struct out o = { .p = out, .cap = cap };

	if (!cap)
		return -EMSGSIZE;
	out[0] = '\0';
	if (in->n_queues && in->dp)
		dataplane(&o, in);
	engines(&o, in);
	if (in->n_v5)
		v5_engines(&o, in);
	counter(&o, "devplane_nodedb_commits_total",
		"Node database batches committed.", in->db_commits);
	counter(&o, "devplane_admin_refused_total",
		"Admin API connections refused: all slots busy.",
		in->admin_refused);
	counter(&o, "devplane_admin_over_cap_total",
		"Admin API clients closed for queueing more than the caps.",
		in->admin_over_cap);
	counter(&o, "devplane_admin_subscriptions_dropped_total",
		"Admin API subscriptions dropped: the client fell behind.",
		in->admin_subs_dropped);
	gauge(&o, "devplane_uptime_seconds", "Seconds since start.",
	      in->uptime_s);
	if (o.overflow)
		return -EMSGSIZE;
	return (ssize_t)o.len;
}
