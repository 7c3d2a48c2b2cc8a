/* SPDX-License-Identifier: MIT */
/* control/peers/server.c - RLPx server admission rules (geth p2p/server.go), sans-I/O. */
#include "control/peers/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/rlpx/p2p.h"

int server_init(struct server *s, const struct server_cfg *cfg)
{
	if (!s || !cfg || !cfg->self_id)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (!s->cfg.max_pending)
		s->cfg.max_pending = SERVER_DEFAULT_MAX_PENDING;
	memcpy(s->self, cfg->self_id, SERVER_ID_LEN);
	s->cfg.self_id = s->self;
	s->cap_peers = (size_t)cfg->max_peers + 8;
	s->peers = calloc(s->cap_peers, sizeof(*s->peers));
	return s->peers ? 0 : -ENOMEM;
}

void server_fini(struct server *s)
{
	free(s->peers);
	s->peers = NULL;
	s->n_peers = s->cap_peers = 0;
}

bool server_is_trusted(const struct server *s, const uint8_t id[SERVER_ID_LEN])
{
	for (size_t i = 0; i < s->n_trusted; i++)
		if (!memcmp(s->trusted[i], id, SERVER_ID_LEN))
			return true;
	return false;
}

int server_add_trusted(struct server *s, const uint8_t id[SERVER_ID_LEN])
{
	if (server_is_trusted(s, id))
		return -EEXIST;
	if (s->n_trusted == SERVER_MAX_TRUSTED)
		return -ENOSPC;
	memcpy(s->trusted[s->n_trusted++], id, SERVER_ID_LEN);
	return 0;
}

int server_remove_trusted(struct server *s, const uint8_t id[SERVER_ID_LEN])
{
	for (size_t i = 0; i < s->n_trusted; i++) {
		if (memcmp(s->trusted[i], id, SERVER_ID_LEN))
			continue;
		memmove(s->trusted[i], s->trusted[i + 1],
			(s->n_trusted - i - 1) * SERVER_ID_LEN);
		s->n_trusted--;
		for (size_t k = 0; k < s->n_peers; k++)
			if (!memcmp(s->peers[k].id, id, SERVER_ID_LEN))
				s->peers[k].trusted = false;
		return 0;
	}
	return -ENOENT;
}

unsigned server_max_dialed(const struct server *s)
{
	unsigned n;

	if (s->cfg.no_dial || !s->cfg.max_peers)
		return 0;
	n = s->cfg.max_peers / SERVER_DIAL_RATIO;
	return n ? n : 1;
}

unsigned server_max_inbound(const struct server *s)
{
	return s->cfg.max_peers - server_max_dialed(s);
}

static bool restricted(const struct server *s,
		       const uint8_t ip[NETUTIL_ADDR_LEN])
{
	return s->cfg.n_netrestrict &&
	       !netutil_netlist_contains(s->cfg.netrestrict,
					 s->cfg.n_netrestrict, ip);
}

bool server_dial_allowed(const struct server *s,
			 const uint8_t ip[NETUTIL_ADDR_LEN])
{
	return !restricted(s, ip);
}

/* The throttle: a small open table of IPs with an expiry. When it is full
 * the entry closest to expiry is replaced (geth's expHeap has no bound,
 * but a flood of distinct IPs must not grow memory). */
static bool throttled(struct server *s, const uint8_t ip[NETUTIL_ADDR_LEN],
		      uint64_t now)
{
	for (size_t i = 0; i < SERVER_THROTTLE_SLOTS; i++) {
		struct server_throttle *t = &s->throttle[i];

		if (t->until_ns && t->until_ns <= now)
			t->until_ns = 0;
		if (t->until_ns && !memcmp(t->ip, ip, NETUTIL_ADDR_LEN))
			return true;
	}
	return false;
}

static void throttle_add(struct server *s, const uint8_t ip[NETUTIL_ADDR_LEN],
			 uint64_t now)
{
	struct server_throttle *best = &s->throttle[0];

	for (size_t i = 0; i < SERVER_THROTTLE_SLOTS; i++) {
		struct server_throttle *t = &s->throttle[i];

		if (!t->until_ns) {
			best = t;
			break;
		}
		if (t->until_ns < best->until_ns)
			best = t;
	}
	memcpy(best->ip, ip, NETUTIL_ADDR_LEN);
	best->until_ns = now + SERVER_INBOUND_THROTTLE_NS;
}

enum server_refuse server_inbound_begin(struct server *s,
					const uint8_t ip[NETUTIL_ADDR_LEN],
					uint64_t now_ns)
{
	enum server_refuse r = SERVER_OK;
	bool lan = netutil_is_lan(ip);

	if (restricted(s, ip))
		r = SERVER_REFUSE_NETRESTRICT;
	else if (s->st.pending >= s->cfg.max_pending)
		r = SERVER_REFUSE_PENDING;
	else if (!lan && throttled(s, ip, now_ns))
		r = SERVER_REFUSE_THROTTLE;
	if (r != SERVER_OK) {
		s->st.refused[r]++;
		return r;
	}
	if (!lan)
		throttle_add(s, ip, now_ns);
	s->st.pending++;
	if (s->st.pending > s->st.pending_max)
		s->st.pending_max = s->st.pending;
	s->st.accepted++;
	return SERVER_OK;
}

void server_pending_end(struct server *s)
{
	if (s->st.pending)
		s->st.pending--;
}

static struct server_peer *find_id(const struct server *s,
				   const uint8_t id[SERVER_ID_LEN])
{
	for (size_t i = 0; i < s->n_peers; i++)
		if (!memcmp(s->peers[i].id, id, SERVER_ID_LEN))
			return &s->peers[i];
	return NULL;
}

bool server_has_peer(const struct server *s, const uint8_t id[SERVER_ID_LEN])
{
	return find_id(s, id) != NULL;
}

int server_add_peer(struct server *s, const uint8_t id[SERVER_ID_LEN],
		    uint64_t session, bool inbound)
{
	bool trusted = server_is_trusted(s, id);
	struct server_peer *p;
	int reason = 0;

	if (!memcmp(id, s->self, SERVER_ID_LEN))
		reason = P2P_DISC_SELF;
	else if (find_id(s, id))
		reason = P2P_DISC_ALREADY_CONNECTED;
	else if (!trusted && s->n_peers >= s->cfg.max_peers)
		reason = P2P_DISC_TOO_MANY_PEERS;
	else if (!trusted && inbound &&
		 s->n_inbound >= server_max_inbound(s))
		reason = P2P_DISC_TOO_MANY_PEERS;
	if (reason) {
		s->st.refused_peer[reason]++;
		return reason;
	}
	if (s->n_peers == s->cap_peers) {
		size_t nc = s->cap_peers * 2 + 8;
		struct server_peer *np = realloc(s->peers, nc * sizeof(*np));

		if (!np)
			return P2P_DISC_TOO_MANY_PEERS;
		s->peers = np;
		s->cap_peers = nc;
	}
	p = &s->peers[s->n_peers++];
	memcpy(p->id, id, SERVER_ID_LEN);
	p->session = session;
	p->inbound = inbound;
	p->trusted = trusted;
	if (inbound)
		s->n_inbound++;
	return 0;
}

int server_remove_peer(struct server *s, uint64_t session)
{
	for (size_t i = 0; i < s->n_peers; i++) {
		if (s->peers[i].session != session)
			continue;
		if (s->peers[i].inbound)
			s->n_inbound--;
		s->peers[i] = s->peers[--s->n_peers];
		return 0;
	}
	return -ENOENT;
}

size_t server_n_peers(const struct server *s)
{
	return s->n_peers;
}

unsigned server_n_inbound(const struct server *s)
{
	return s->n_inbound;
}
