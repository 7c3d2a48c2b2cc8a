/* SPDX-License-Identifier: MIT */
/* control/host/node.c - a hosted discovery node (local node + engine + db hooks). */
#include "control/host/node.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int node_wire(struct discv4_node *out, const struct enode *e)
{
	memset(out, 0, sizeof(*out));
	if (e->kind != ENODE_HOST_IP4 && e->kind != ENODE_HOST_IP6)
		return -EINVAL;
	memcpy(out->id, e->pub, DISCV4_PUB_LEN);
	memcpy(out->ep.ip, e->ip, 16);
	out->ep.ip_len = e->kind == ENODE_HOST_IP4 ? 4 : 16;
	out->ep.udp = e->udp;
	out->ep.tcp = e->tcp;
	return 0;
}

void node_save_seq(struct node *n)
{
	uint64_t seq = localnode_seq(&n->ln);

	if (!n->db || seq == n->saved_seq)
		return;
	if (nodedb_put_u64(n->db, NODE_SEQ_KEY, seq) == 0)
		n->saved_seq = seq;
	else
		n->db_errors++;
}

/* discv4's on_bond: the node answered our Ping, so it is a seed for the
 * next start (geth's UpdateLastPongReceived). */
static void on_bond(void *user, const struct discv4_node *dn, uint64_t now_ns)
{
	struct node *n = user;
	struct nodedb_node rec;

	if (!n->db)
		return;
	if (nodedb_get_node(n->db, &rec, dn->id, dn->ep.ip) < 0) {
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.pub, dn->id, NODEDB_PUB_LEN);
		memcpy(rec.ip, dn->ep.ip, NODEDB_ADDR_LEN);
	}
	rec.udp = dn->ep.udp;
	rec.tcp = dn->ep.tcp;
	rec.last_pong = (int64_t)(wallclock_unix_ns(loop_wallclock(n->loop),
						  now_ns) / 1000000000ull);
	if (nodedb_put_node(n->db, &rec) < 0)
		n->db_errors++;
}

static void post(void *user, uint64_t now_ns)
{
	struct node *n = user;

	node_save_seq(n);
	if (n->post)
		n->post(n->post_user, now_ns);
}

int node_random(void *user, uint8_t *buf, size_t len)
{
	struct node *n = user;

	while (len) {
		size_t k;

		if (n->rand_pos == n->rand_len) {
			ssize_t got = getrandom(n->rand_buf,
						sizeof(n->rand_buf), 0);

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return got < 0 ? -errno : -EIO;
			n->rand_pos = 0;
			n->rand_len = (size_t)got;
		}
		k = n->rand_len - n->rand_pos;
		if (k > len)
			k = len;
		memcpy(buf, n->rand_buf + n->rand_pos, k);
		/* Handed-out bytes become keys and nonces: none stays. */
		explicit_bzero(n->rand_buf + n->rand_pos, k);
		n->rand_pos += k;
		buf += k;
		len -= k;
	}
	return 0;
}

/* start_v5() creates the discv5 engine on the same local node and turns
 * discv5 on for the socket. */
static int start_v5(struct node *n, const struct node_cfg *cfg,
		    uint64_t now_ns)
{
	struct discv5_config c = {
		.ln = &n->ln,
		.send = loop_send_v5,
		.send_user = loop_port(cfg->loop, cfg->idx),
		.random = node_random,
		.random_user = n,
		.netrestrict = cfg->netrestrict,
		.n_netrestrict = cfg->n_netrestrict,
		.seed = cfg->seed ^ 0x5555555555555555ull,
		.no_refresh = cfg->no_refresh,
	};
	int rc = discv5_new(&n->d5, &c, now_ns);

	if (rc)
		return rc;
	rc = loop_attach_v5(cfg->loop, cfg->idx, n->d5, n->ln.id,
			    cfg->start_ns, post, n);
	if (rc) {
		discv5_free(n->d5);
		n->d5 = NULL;
	}
	return rc;
}

int node_init(struct node *n, const struct node_cfg *cfg, uint64_t now_ns)
{
	struct discv4_config dc = { 0 };
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	uint8_t addr[16];
	uint64_t seq = 0;
	uint16_t port;
	int rc;

	memset(n, 0, offsetof(struct node, rand_buf));
	if (!cfg->priv || !cfg->loop || (cfg->no_v4 && !cfg->v5))
		return -EINVAL;
	port = loop_listen_port(cfg->loop, cfg->idx);
	if (!port)
		return -EINVAL;
	n->db = cfg->db;
	n->loop = cfg->loop;
	n->idx = cfg->idx;
	n->verbosity = cfg->verbosity;
	if (n->db && nodedb_get_u64(n->db, NODE_SEQ_KEY, &seq) < 0)
		seq = 0;
	rc = localnode_init(&n->ln, cfg->priv, seq, port, 0);
	if (rc)
		return rc;
	/* geth's bootnode: the listen address, or 127.0.0.1 for the
	 * wildcard, until extip or Pong statements say better. */
	loop_listen_addr(cfg->loop, cfg->idx, addr);
	localnode_set_fallback_ip(&n->ln,
				  netutil_is_unspecified(addr) ? lo : addr);
	if (cfg->has_extip)
		localnode_set_static_ip(&n->ln, cfg->extip);
	/* discv4_new() signs the first record from these inputs. */
	dc.ln = &n->ln;
	dc.send = loop_send;
	dc.send_user = loop_port(cfg->loop, cfg->idx);
	dc.on_bond = on_bond;
	dc.hook_user = n;
	dc.netrestrict = cfg->netrestrict;
	dc.n_netrestrict = cfg->n_netrestrict;
	dc.seed = cfg->seed;
	dc.wc = loop_wallclock(cfg->loop);
	dc.no_refresh = cfg->no_refresh;
	if (!cfg->no_v4) {
		rc = discv4_new(&n->d, &dc, now_ns);
		if (rc)
			goto out_fini;
	}
	if (cfg->v5) {
		rc = start_v5(n, cfg, now_ns);
		if (rc)
			goto out_free;
	}
	n->saved_seq = seq;
	node_save_seq(n);
	if (n->d) {
		rc = loop_attach(cfg->loop, cfg->idx, n->d, cfg->start_ns,
				 post, n);
		if (rc)
			goto out_free;
	}
	return 0;

out_free:
	if (n->d5) {
		loop_detach_v5(cfg->loop, cfg->idx);
		discv5_free(n->d5);
		n->d5 = NULL;
	}
	discv4_free(n->d);
	n->d = NULL;
out_fini:
	localnode_fini(&n->ln);
	return rc;
}

void node_fini(struct node *n)
{
	if (!n->d && !n->d5)
		return;
	if (n->d) {
		loop_detach(n->loop, n->idx);
		discv4_free(n->d);
		n->d = NULL;
	}
	if (n->d5) {
		loop_detach_v5(n->loop, n->idx);
		discv5_free(n->d5);
		n->d5 = NULL;
	}
	localnode_fini(&n->ln);
	explicit_bzero(n->rand_buf, sizeof(n->rand_buf));
}

int node_add_bootnode(struct node *n, const struct enode *e)
{
	struct discv4_node dn;
	int rc = node_wire(&dn, e);

	if (rc)
		return rc;
	if (n->d) {
		rc = discv4_add_bootnode(n->d, &dn);
		loop_touch(n->loop, n->idx);
	}
	if (n->d5 && rc == 0) {
		struct discv5_node d5;

		/* The key and the UDP endpoint: the engine handshakes with
		 * it and learns its record. */
		discv5_node_from_addr(&d5, NULL, e->pub, e->ip, e->udp);
		rc = discv5_add_bootnode(n->d5, &d5);
		loop_touch_v5(n->loop, n->idx);
	}
	return rc;
}

ssize_t node_load_seeds(struct node *n, uint64_t now_ns)
{
	struct nodedb_node *s;
	ssize_t got, added = 0;

	if (!n->db || !n->d)
		return 0;
	s = calloc(NODE_SEED_MAX, sizeof(*s));
	if (!s)
		return -ENOMEM;
	got = nodedb_seeds(n->db, s, NODE_SEED_MAX,
			   (int64_t)(wallclock_unix_ns(loop_wallclock(n->loop),
						       now_ns) / 1000000000ull),
			   NODE_SEED_MAX_AGE);
	for (ssize_t i = 0; i < got; i++) {
		struct discv4_node dn = { 0 };

		memcpy(dn.id, s[i].pub, DISCV4_PUB_LEN);
		memcpy(dn.ep.ip, s[i].ip, 16);
		dn.ep.ip_len = netutil_addr_is_v4(s[i].ip) ? 4 : 16;
		dn.ep.udp = s[i].udp;
		dn.ep.tcp = s[i].tcp;
		if (discv4_add_bootnode(n->d, &dn) == 0)
			added++;
	}
	free(s);
	loop_touch(n->loop, n->idx);
	return got < 0 ? got : added;
}

ssize_t node_enode(const struct node *n, char *out, size_t cap)
{
	struct enode e = { 0 };
	uint16_t udp, tcp;

	memcpy(e.pub, n->ln.pub, ENODE_PUB_LEN);
	if (!localnode_endpoint4(&n->ln, e.ip, &udp, &tcp)) {
		/* No IPv4 known: print the listen address. */
		loop_listen_addr(n->loop, n->idx, e.ip);
	}
	e.kind = netutil_addr_is_v4(e.ip) ? ENODE_HOST_IP4 : ENODE_HOST_IP6;
	e.udp = udp;
	e.tcp = tcp;
	return enode_format(out, cap, &e);
}
