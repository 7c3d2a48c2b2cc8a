/* SPDX-License-Identifier: MIT */
/* control/host/dnshost.c - EIP-1459 DNS discovery in the event loop:
 * dnsclient driven through c-ares (see dnshost.h). */
#include "control/host/dnshost.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <ares.h>

#include "control/base/netutil.h"

/* Rounds of lookups and node hand-outs in one turn; a client with room
 * left (a verifier's high rate over cached entries) continues at the
 * next turn of the loop, so that other events are not starved. */
#define PUMP_ROUNDS 8

struct dnshost {
	struct loop *l;
	struct dnsclient *c;
	ares_channel ch;
	bool ch_ok, lib_ok, svc_ok;
	dnshost_node_fn *on_node;
	void *user;
	int verbosity;
	bool in_pump, again;
	bool paused;
	bool freeing;
	struct dnshost_stats st;
};

/* One lookup in flight: what the c-ares callback needs. */
struct dq {
	struct dnshost *h;
	uint64_t id;
	char name[DNSCLIENT_NAME_MAX];
};

static void pump(struct dnshost *h);

static void on_fd(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct dnshost *h = user;

	(void)now;
	uint32_t rd = EPOLLIN | EPOLLERR | EPOLLHUP;

	ares_process_fd(h->ch, ev & rd ? fd : ARES_SOCKET_BAD,
			ev & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	pump(h);
}

/* c-ares opens, changes and closes its sockets through here (a close is
 * announced with neither readable nor writable, before the close). */
static void on_sock_state(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct dnshost *h = data;
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	if (!ev)
		loop_fd_unwatch(h->l, fd);
	else if (loop_fd_watch(h->l, fd, ev, on_fd, h))
		h->st.other++;  /* the lookup then times out */
}

static void failed(struct dnshost *h, const struct dq *q, int status)
{
	uint64_t *ctr;

	switch (status) {
	case ARES_ENOTFOUND:
		ctr = &h->st.nxdomain;
		break;
	case ARES_ENODATA:
		ctr = &h->st.nodata;
		break;
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
		ctr = &h->st.servfail;
		break;
	case ARES_ETIMEOUT:
		ctr = &h->st.timeouts;
		break;
	default:
		ctr = &h->st.other;
		break;
	}
	(*ctr)++;
	snprintf(h->st.last_failure, sizeof(h->st.last_failure), "%s: %s",
		 q->name, ares_strerror(status));
	if (h->verbosity >= 4)
		fprintf(stderr, "dns: %s\n", h->st.last_failure);
	(void)dnsclient_on_failure(h->c, q->id, loop_now());
}

/* Joins each TXT record's character-strings (c-ares gives them apart,
 * record_start marking the first of a record) and hands the records to
 * the client. */
static int deliver(struct dnshost *h, const struct dq *q,
		   const struct ares_txt_ext *txt, size_t total)
{
	const struct ares_txt_ext *t;
	const char **rec;
	size_t *len, n = 0, off = 0;
	char *buf;
	int rc = 0;

	for (t = txt; t; t = t->next)
		n += t->record_start || !n;
	buf = malloc(total + 1);
	rec = calloc(n + 1, sizeof(*rec));
	len = calloc(n + 1, sizeof(*len));
	if (!buf || !rec || !len) {
		rc = -ENOMEM;
		goto out;
	}
	n = 0;
	for (t = txt; t; t = t->next) {
		if (t->record_start || !n) {
			rec[n] = buf + off;
			len[n++] = 0;
		}
		if (off + t->length > total) {
			rc = -EMSGSIZE;         /* cannot happen: within alen */
			goto out;
		}
		memcpy(buf + off, t->txt, t->length);
		off += t->length;
		len[n - 1] += t->length;
	}
	h->st.answers++;
	(void)dnsclient_on_answer(h->c, q->id, rec, len, n, loop_now());
out:
	free(buf);
	free(rec);
	free(len);
	return rc;
}

static void on_txt(void *arg, int status, int timeouts, unsigned char *abuf,
		   int alen)
{
	struct dq *q = arg;
	struct dnshost *h = q->h;
	struct ares_txt_ext *txt = NULL;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED ||
	    h->freeing) {
		free(q);
		return;
	}
	if (status == ARES_SUCCESS)
		status = ares_parse_txt_reply_ext(abuf, alen, &txt);
	if (status == ARES_SUCCESS && !txt)
		status = ARES_ENODATA;
	if (status != ARES_SUCCESS || deliver(h, q, txt, (size_t)alen) < 0)
		failed(h, q, status == ARES_SUCCESS ? ARES_ENOMEM : status);
	ares_free_data(txt);
	free(q);
	h->again = true;
}

static void start(struct dnshost *h, const struct dnsclient_query *cq)
{
	struct dq *q = malloc(sizeof(*q));

	if (!q) {
		(void)dnsclient_on_failure(h->c, cq->id, loop_now());
		return;
	}
	q->h = h;
	q->id = cq->id;
	snprintf(q->name, sizeof(q->name), "%s", cq->name);
	h->st.queries++;
	/* May call on_txt() at once (a name c-ares refuses). */
	ares_query(h->ch, cq->name, ns_c_in, ns_t_txt, on_txt, q);
}

/* Starts what the client wants looked up and hands out what it found,
 * until neither has more (or PUMP_ROUNDS). Answers arriving meanwhile
 * (from inside ares_query) set again. */
static void pump(struct dnshost *h)
{
	struct dnsclient_query q;
	struct dnsclient_node n;

	if (h->in_pump) {
		h->again = true;
		return;
	}
	if (h->paused)
		return;
	h->in_pump = true;
	for (unsigned r = 0; r < PUMP_ROUNDS; r++) {
		bool did = false;

		h->again = false;
		while (!h->paused &&
		       dnsclient_next_query(h->c, &q, loop_now()) == 0) {
			start(h, &q);
			did = true;
		}
		while (!h->paused && dnsclient_next_node(h->c, &n) == 0) {
			h->st.nodes++;
			if (h->on_node)
				h->on_node(h->user, &n, loop_now());
			did = true;
		}
		if (!did && !h->again)
			break;
	}
	h->in_pump = false;
}

static uint64_t svc_deadline(void *user)
{
	struct dnshost *h = user;
	uint64_t d = h->paused ? UINT64_MAX : dnsclient_next_deadline(h->c);
	struct timeval tv, *tp = ares_timeout(h->ch, NULL, &tv);

	if (tp) {
		uint64_t a = loop_now() + (uint64_t)tp->tv_sec * 1000000000ull +
			     (uint64_t)tp->tv_usec * 1000ull;

		if (a < d)
			d = a;
	}
	return d;
}

static void svc_tick(void *user, uint64_t now)
{
	struct dnshost *h = user;

	(void)now;
	/* c-ares's own timeouts and retries. */
	ares_process_fd(h->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	pump(h);
}

static int set_server(struct dnshost *h, const struct dnshost_cfg *cfg)
{
	char ip[INET6_ADDRSTRLEN], csv[INET6_ADDRSTRLEN + 16];

	if (netutil_addr_is_v4(cfg->server))
		inet_ntop(AF_INET, cfg->server + 12, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, cfg->server, ip, sizeof(ip));
	snprintf(csv, sizeof(csv), netutil_addr_is_v4(cfg->server) ?
		 "%s:%u" : "[%s]:%u", ip, cfg->server_port);
	return ares_set_servers_ports_csv(h->ch, csv) == ARES_SUCCESS ?
	       0 : -EINVAL;
}

int dnshost_new(struct dnshost **out, struct loop *l,
		const struct dnshost_cfg *cfg, size_t *bad)
{
	struct ares_options opts;
	struct dnshost *h;
	int rc;

	if (!cfg->n_urls || (cfg->has_server && !cfg->server_port))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->l = l;
	h->on_node = cfg->on_node;
	h->user = cfg->user;
	h->verbosity = cfg->verbosity;
	rc = dnsclient_new(&h->c, &cfg->client);
	if (rc)
		goto fail;
	for (size_t i = 0; i < cfg->n_urls; i++) {
		rc = dnsclient_add_tree(h->c, cfg->urls[i]);
		if (rc == -EEXIST)
			continue;
		if (rc) {
			if (bad)
				*bad = i;
			rc = rc == -ENOMEM ? rc : -EBADMSG;
			goto fail;
		}
	}
	rc = -EIO;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		goto fail;
	h->lib_ok = true;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = h;
	/* Tries within the client's 5 s: 1 s, then c-ares's doubling. */
	opts.timeout = 1000;
	opts.tries = 2;
	if (ares_init_options(&h->ch, &opts, ARES_OPT_SOCK_STATE_CB |
			      ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	    ARES_SUCCESS)
		goto fail;
	h->ch_ok = true;
	if (cfg->has_server && (rc = set_server(h, cfg)))
		goto fail;
	rc = loop_add_service(l, svc_deadline, svc_tick, h);
	if (rc)
		goto fail;
	h->svc_ok = true;
	*out = h;
	return 0;
fail:
	dnshost_free(h);
	return rc;
}

void dnshost_free(struct dnshost *h)
{
	if (!h)
		return;
	h->freeing = true;
	if (h->svc_ok)
		loop_del_service(h->l, h);
	if (h->ch_ok)
		ares_destroy(h->ch);    /* callbacks: ARES_EDESTRUCTION */
	if (h->lib_ok)
		ares_library_cleanup();
	dnsclient_free(h->c);
	free(h);
}

void dnshost_pause(struct dnshost *h)
{
	h->paused = true;
}

const struct dnsclient *dnshost_client(const struct dnshost *h)
{
	return h->c;
}

const struct dnshost_stats *dnshost_stats(const struct dnshost *h)
{
	return &h->st;
}

int dnshost_node_endpoint(const struct enr *r, bool want_tcp,
			  uint8_t pub[64], uint8_t ip[16], uint16_t *port)
{
	int (*get4)(const struct enr *, uint16_t *) =
		want_tcp ? enr_get_tcp : enr_get_udp;
	int (*get6)(const struct enr *, uint16_t *) =
		want_tcp ? enr_get_tcp6 : enr_get_udp6;
	uint8_t ip4[4];

	if (enr_pubkey(pub, r))
		return -ENOENT;
	if (enr_get_ip(r, ip4) == 0 && get4(r, port) == 0) {
		memset(ip, 0, 16);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, ip4, 4);
	} else if (enr_get_ip6(r, ip) != 0 ||
		   (get6(r, port) != 0 && get4(r, port) != 0)) {
		return -ENOENT;
	}
	return *port ? 0 : -ENOENT;
}

char *dnshost_format_stats(const struct dnshost *h, char *out, size_t cap)
{
	const struct dnsclient_stats *c = dnsclient_stats(h->c);

	snprintf(out, cap, "dns: trees %zu, nodes %" PRIu64 ", lookups %"
		 PRIu64 " (answered %" PRIu64 ", nxdomain %" PRIu64
		 ", no TXT %" PRIu64 ", servfail %" PRIu64 ", timeouts %"
		 PRIu64 "+%" PRIu64 ", other %" PRIu64 "), cache hits %"
		 PRIu64 ", roots %" PRIu64 " (bad %" PRIu64 "), hash "
		 "mismatches %" PRIu64 ", bad entries %" PRIu64 ", links %"
		 PRIu64, dnsclient_tree_count(h->c), c->nodes, h->st.queries,
		 h->st.answers, h->st.nxdomain, h->st.nodata, h->st.servfail,
		 h->st.timeouts, c->timeouts, h->st.other, c->cache_hits,
		 c->roots, c->bad_roots, c->hash_mismatch, c->bad_entries,
		 c->links);
	return out;
}
