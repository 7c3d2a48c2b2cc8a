/* SPDX-License-Identifier: MIT */
/* dataplane/floodgen.c - discv4 flood generator (AF_XDP TX junk, signed
 * pings over sockets with Pong accounting). */
#include "dataplane/floodgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xdp/xsk.h>

#include "common/discv4_wire.h"
#include "common/keccak.h"
#include "common/secp.h"
#include "dataplane/neigh.h"
#include "dataplane/pktio_afxdp.h"

#define FRAMES      4096
#define FRAME_SIZE  2048
#define RING        2048
#define BATCH       64
#define PING_KEYS   64                  /* keys behind the replayed Pings */
#define LEGIT_HIST  8                   /* outstanding pings per key */

static const char *const kind_names[FLOODGEN_KIND_MAX] = {
	"size", "type", "hash", "ping", "sig",
};

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

const char *floodgen_kind_name(unsigned k)
{
	return k < FLOODGEN_KIND_MAX ? kind_names[k] : "unknown";
}

int floodgen_parse_mix(unsigned mix[FLOODGEN_KIND_MAX], const char *s)
{
	char buf[256], *save = NULL, *tok;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memset(mix, 0, FLOODGEN_KIND_MAX * sizeof(*mix));
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long w;
		unsigned k;

		if (!eq)
			return -EINVAL;
		*eq = 0;
		for (k = 0; k < FLOODGEN_KIND_MAX; k++)
			if (!strcmp(tok, kind_names[k]))
				break;
		errno = 0;
		w = strtoul(eq + 1, &end, 10);
		if (k == FLOODGEN_KIND_MAX || errno || *end || end == eq + 1 ||
		    w > 1000000)
			return -EINVAL;
		mix[k] = (unsigned)w;
	}
	return 0;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: junk needs speed and variety, not secrecy. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

struct run {
	const struct floodgen_cfg *cfg;
	struct floodgen_result *res;
	volatile bool *stop;
	volatile bool junk_done;
	uint64_t deadline;              /* CLOCK_MONOTONIC */
	int rc_junk, rc_legit;
};

static void fill_rand(uint8_t *p, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(s);
}

/* build_ping() signs a Ping from priv, from src:sport to dst:dport, with
 * enr-seq seq unless seq is 0. */
static ssize_t build_ping(uint8_t *out, size_t cap, const uint8_t priv[32],
			  const uint8_t src[16], uint16_t sport,
			  const uint8_t dst[16], uint16_t dport, uint64_t exp,
			  uint64_t seq)
{
	struct discv4_packet p;
	bool s4 = !memcmp(src, v4mapped, 12), d4 = !memcmp(dst, v4mapped, 12);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = DISCV4_VERSION;
	p.u.ping.from.ip_len = s4 ? 4 : 16;
	memcpy(p.u.ping.from.ip, src, 16);
	p.u.ping.from.udp = sport;
	p.u.ping.from.tcp = sport;
	p.u.ping.to.ip_len = d4 ? 4 : 16;
	memcpy(p.u.ping.to.ip, dst, 16);
	p.u.ping.to.udp = dport;
	p.u.ping.expiration = exp;
	p.u.ping.has_enr_seq = seq != 0;
	p.u.ping.enr_seq = seq;
	return discv4_encode(out, cap, priv, &p);
}

/* make_junk() writes one junk frame of kind k into f. */
static ssize_t make_junk(uint8_t *f, unsigned k, const struct floodgen_cfg *c,
			 const struct neigh_if *itf, const uint8_t dmac[6],
			 const uint8_t (*ping_keys)[32], uint64_t *s)
{
	struct pktio_afxdp_hdrs h;
	uint8_t pl[1400];
	uint32_t host_mask = c->spoof_plen >= 32 ? 0 :
			     0xffffffffu >> c->spoof_plen;
	uint32_t base, a;
	size_t len;

	memcpy(h.dst_mac, dmac, 6);
	memcpy(h.src_mac, itf->mac, 6);
	memcpy(&base, c->spoof_addr, 4);
	a = htonl((ntohl(base) & ~host_mask) | ((uint32_t)rnd(s) & host_mask));
	memcpy(h.src_addr, v4mapped, 12);
	memcpy(h.src_addr + 12, &a, 4);
	memcpy(h.dst_addr, c->dst_addr, 16);
	h.src_port_be = htons((uint16_t)(1024 + rnd(s) % 60000));
	h.dst_port_be = c->dst_port_be;
	h.ttl = 64;
	switch (k) {
	case FLOODGEN_SIZE:
		len = rnd(s) & 1 ? 1 + rnd(s) % 97 : 1281 + rnd(s) % 100;
		fill_rand(pl, len, s);
		break;
	case FLOODGEN_TYPE:
		len = 98 + rnd(s) % 200;
		fill_rand(pl, len, s);
		pl[97] = (uint8_t)(rnd(s) & 1 ? 0 : 7 + rnd(s) % 249);
		break;
	case FLOODGEN_HASH:
		len = 98 + rnd(s) % 200;
		fill_rand(pl, len, s);
		pl[97] = (uint8_t)(1 + rnd(s) % 6);
		break;
	default: {
		ssize_t n = build_ping(pl, sizeof(pl),
				       ping_keys[rnd(s) % PING_KEYS],
				       h.src_addr, ntohs(h.src_port_be),
				       c->dst_addr, ntohs(c->dst_port_be),
				       (uint64_t)time(NULL) + c->duration_ms /
				       1000 + 60, 0);

		if (n < 0)
			return n;
		len = (size_t)n;
		if (k == FLOODGEN_SIG) {
			/* Recovery id 4 is out of range: the hash is right,
			 * no key recovers (DP_CNT_DROP_SIG). */
			pl[DISCV4_HASH_LEN + 64] = 4;
			keccak256(pl, pl + DISCV4_HASH_LEN,
				  len - DISCV4_HASH_LEN);
		}
		break;
	}
	}
	return pktio_afxdp_build(f, FRAME_SIZE, &h, pl, len);
}

static int junk_run(struct run *r)
{
	const struct floodgen_cfg *c = r->cfg;
	struct xsk_umem_config uc = { .fill_size = RING, .comp_size = RING,
				      .frame_size = FRAME_SIZE };
	struct xsk_socket_config sc = {
		.rx_size = RING, .tx_size = RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	size_t size = (size_t)FRAMES * FRAME_SIZE;
	/* Zeroed: libxdp leaves the cached indices of the rings alone. */
	struct xsk_ring_prod fq = { 0 }, tx = { 0 };
	struct xsk_ring_cons cq = { 0 }, rxr = { 0 };
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	uint8_t (*ping_keys)[32] = NULL, dmac[6];
	uint8_t *kind = NULL, *area;
	uint64_t seed, total = 0, queued = 0, done = 0, t0, nf = 0;
	unsigned wsum = 0, fi = 0;
	struct neigh_if itf;
	int rc, nl;

	for (unsigned k = 0; k < FLOODGEN_KIND_MAX; k++)
		wsum += c->mix[k];
	if (!wsum)
		return 0;
	rc = neigh_if_get(&itf, c->iface);
	if (rc < 0)
		return rc;
	nl = neigh_nl_open();
	if (nl < 0)
		return nl;
	/* The target's MAC, as the kernel resolved it (ask it to). */
	for (int tries = 0; tries < 50; tries++) {
		uint8_t nh[16];
		int oif;

		rc = neigh_route(nl, nh, &oif, c->dst_addr);
		if (rc == 0)
			rc = neigh_lookup(nl, dmac, itf.ifindex, nh);
		if (rc != -ENOENT)
			break;
		neigh_trigger(itf.ifindex, nh);
		usleep(20000);
	}
	close(nl);
	if (rc < 0)
		return rc;
	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	kind = malloc(FRAMES);
	ping_keys = malloc(PING_KEYS * sizeof(*ping_keys));
	rc = -ENOMEM;
	if (!kind || !ping_keys)
		goto out;
	for (unsigned i = 0; i < PING_KEYS; i++) {
		rc = secp_priv_generate(ping_keys[i]);
		if (rc < 0)
			goto out;
	}
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed) || !seed)
		seed = 0x9e3779b97f4a7c15ull;
	/* FRAMES prebuilt frames in the mix's proportions, replayed in a
	 * cycle: the frames never change, so one may be in flight twice. */
	for (unsigned i = 0; i < FRAMES; i++) {
		unsigned w = (unsigned)(rnd(&seed) % wsum), k = 0;
		ssize_t n;

		while (w >= c->mix[k])
			w -= c->mix[k++];
		kind[i] = (uint8_t)k;
		n = make_junk(area + (size_t)i * FRAME_SIZE, k, c, &itf, dmac,
			      (const uint8_t (*)[32])ping_keys, &seed);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		/* The length rides in the frame's last 2 bytes (unused). */
		memcpy(area + (size_t)i * FRAME_SIZE + FRAME_SIZE - 2,
		       &(uint16_t){ (uint16_t)n }, 2);
	}
	rc = xsk_umem__create(&umem, area, size, &fq, &cq, &uc);
	if (rc)
		goto out;
	sc.bind_flags = (c->copy ? XDP_COPY : XDP_ZEROCOPY) |
			XDP_USE_NEED_WAKEUP;
	rc = xsk_socket__create(&xsk, c->iface, 0, umem, &rxr, &tx, &sc);
	if (rc && !c->copy) {
		/* A failed create leaves the UMEM's rings unusable: start
		 * over with a fresh UMEM in copy mode. */
		xsk_umem__delete(umem);
		umem = NULL;
		rc = xsk_umem__create(&umem, area, size, &fq, &cq, &uc);
		if (rc)
			goto out;
		sc.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
		rc = xsk_socket__create(&xsk, c->iface, 0, umem, &rxr, &tx,
					&sc);
	} else if (rc == 0) {
		r->res->zero_copy = !c->copy;
	}
	if (rc)
		goto out;
	t0 = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		uint32_t idx;
		unsigned n, want = BATCH;

		n = xsk_ring_cons__peek(&cq, RING, &idx);
		if (n) {
			for (unsigned i = 0; i < n; i++) {
				uint64_t a = *xsk_ring_cons__comp_addr(&cq,
								      idx + i);

				r->res->junk_sent[kind[a / FRAME_SIZE]]++;
			}
			xsk_ring_cons__release(&cq, n);
			done += n;
		}
		if ((r->stop && *r->stop) || now >= r->deadline ||
		    (c->count && total >= c->count)) {
			/* Drain what is queued, briefly. */
			if (done >= queued ||
			    now >= r->deadline + 500000000ull)
				break;
			(void)sendto(xsk_socket__fd(xsk), NULL, 0,
				     MSG_DONTWAIT, NULL, 0);
			continue;
		}
		if (c->rate_pps) {
			uint64_t due = (now - t0) * c->rate_pps / 1000000000ull;

			if (due <= total) {
				if (due + BATCH < total)
					usleep(50);
				continue;
			}
			if (due - total < want)
				want = (unsigned)(due - total);
		}
		if (c->count && c->count - total < want)
			want = (unsigned)(c->count - total);
		if (queued - done + want > RING)
			want = (unsigned)(RING - (queued - done));
		if (want)
			want = xsk_ring_prod__reserve(&tx, want, &idx);
		for (unsigned i = 0; i < want; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx,
								    idx + i);
			uint16_t len;

			memcpy(&len, area + (size_t)fi * FRAME_SIZE +
				     FRAME_SIZE - 2, 2);
			d->addr = (uint64_t)fi * FRAME_SIZE;
			d->len = len;
			d->options = 0;
			fi = (fi + 1) % FRAMES;
		}
		if (want) {
			xsk_ring_prod__submit(&tx, want);
			total += want;
			queued += want;
		}
		if (sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT,
			   NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS)
			nf++;
	}
	r->res->elapsed_ns = now_ns(CLOCK_MONOTONIC) - t0;
	r->res->junk_tx_err = nf + (queued - done);
	rc = 0;
out:
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	munmap(area, size);
	free(kind);
	if (ping_keys) {
		explicit_bzero(ping_keys, PING_KEYS * sizeof(*ping_keys));
		free(ping_keys);
	}
	return rc < 0 ? rc : -rc;
}

struct legit_key {
	uint8_t priv[32];
	int fd;
	uint8_t src[16];
	uint16_t sport;
	uint8_t hist[LEGIT_HIST][8];    /* hash prefixes of pings in flight */
	/* enr-seq of the last ping: every ping is new bytes, as from a node
	 * that does not ping one peer several times a second (the dataplane
	 * drops fast identical copies as replays: discv4_rx.h). */
	uint64_t seq;
	unsigned hi;
	uint8_t first[8];               /* hash prefix of the first ping */
};

static int open_bound(const uint8_t src[16], uint16_t *port)
{
	bool v4 = !memcmp(src, v4mapped, 12);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a6);
	int fd, rc;

	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (v4) {
		memcpy(&a4.sin_addr, src + 12, 4);
		rc = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
	} else {
		memcpy(&a6.sin6_addr, src, 16);
		rc = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	}
	if (rc < 0 || getsockname(fd, (struct sockaddr *)&a6, &alen) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*port = ntohs(a6.sin6_port);
	return fd;
}

/* legit_pong() answers a Ping as a node does (the endpoint proof that
 * lets the bootnode, and its shield, trust this address). */
static void legit_pong(struct legit_key *k, const uint8_t *ping,
		       const struct discv4_packet *p,
		       const struct sockaddr_storage *from, socklen_t flen,
		       struct floodgen_result *res)
{
	struct discv4_packet q;
	uint8_t out[DISCV4_MAX_LEN];
	ssize_t n;

	memset(&q, 0, sizeof(q));
	q.type = DISCV4_PONG;
	q.u.pong.to = p->u.ping.from;
	memcpy(q.u.pong.ping_hash, ping, DISCV4_HASH_LEN);
	q.u.pong.expiration = (uint64_t)time(NULL) + 20;
	q.u.pong.has_enr_seq = true;
	q.u.pong.enr_seq = k->seq ? k->seq : 1;
	n = discv4_encode(out, sizeof(out), k->priv, &q);
	if (n > 0 && sendto(k->fd, out, (size_t)n, 0,
			    (const struct sockaddr *)from, flen) == n)
		__atomic_add_fetch(&res->legit_pongs, 1, __ATOMIC_RELAXED);
}

static void legit_recv(struct legit_key *k, struct floodgen_result *res)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t buf[1500];
	struct discv4_packet p;
	ssize_t n;

	while ((n = recvfrom(k->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen)) > 0) {
		int t = discv4_packet_type(buf, (size_t)n);

		if ((t != DISCV4_PONG && t != DISCV4_PING) ||
		    discv4_decode(&p, buf, (size_t)n) < 0) {
			flen = sizeof(from);
			continue;
		}
		if (t == DISCV4_PING) {
			legit_pong(k, buf, &p, &from, flen, res);
			flen = sizeof(from);
			continue;
		}
		flen = sizeof(from);
		for (unsigned i = 0; i < LEGIT_HIST; i++) {
			if (!memcmp(k->hist[i], p.u.pong.ping_hash, 8)) {
				memset(k->hist[i], 0, 8);
				__atomic_add_fetch(&res->legit_answered, 1,
						   __ATOMIC_RELAXED);
				if (!memcmp(k->first, p.u.pong.ping_hash, 8))
					__atomic_add_fetch(
						&res->legit_first_answered, 1,
						__ATOMIC_RELAXED);
				break;
			}
		}
	}
}

static int legit_run(struct run *r)
{
	const struct floodgen_cfg *c = r->cfg;
	struct sockaddr_in6 d6 = { .sin6_family = AF_INET6,
				   .sin6_port = c->dst_port_be };
	struct sockaddr_in d4 = { .sin_family = AF_INET,
				  .sin_port = c->dst_port_be };
	bool dst4 = !memcmp(c->dst_addr, v4mapped, 12);
	struct legit_key *keys;
	uint64_t t0, sent = 0, end;
	int ep, rc = 0;

	if (!c->n_keys || !c->legit_rate)
		return 0;
	if (!c->n_legit_src || c->n_keys > FLOODGEN_MAX_KEYS)
		return -EINVAL;
	memcpy(&d4.sin_addr, c->dst_addr + 12, 4);
	memcpy(&d6.sin6_addr, c->dst_addr, 16);
	keys = calloc(c->n_keys, sizeof(*keys));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!keys || ep < 0) {
		free(keys);
		if (ep >= 0)
			close(ep);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < c->n_keys; i++)
		keys[i].fd = -1;
	for (unsigned i = 0; i < c->n_keys && rc == 0; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		struct legit_key *k = &keys[i];

		memcpy(k->src, c->legit_src[i % c->n_legit_src], 16);
		rc = secp_priv_generate(k->priv);
		if (rc == 0)
			rc = open_bound(k->src, &k->sport);
		if (rc >= 0) {
			k->fd = rc;
			rc = epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev) < 0 ?
			     -errno : 0;
		}
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	while (rc == 0) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		uint64_t due = (now - t0) * c->legit_rate / 1000000000ull;
		struct epoll_event ev[64];
		int n;

		if ((r->stop && *r->stop) || now >= r->deadline ||
		    r->junk_done)
			break;
		while (sent < due) {
			struct legit_key *k = &keys[sent % c->n_keys];
			uint8_t pkt[DISCV4_MAX_LEN];
			ssize_t len;

			sent++;
			len = build_ping(pkt, sizeof(pkt), k->priv, k->src,
					 k->sport, c->dst_addr,
					 ntohs(c->dst_port_be),
					 (uint64_t)time(NULL) + 20, ++k->seq);
			if (len < 0)
				continue;
			memcpy(k->hist[k->hi], pkt, 8);
			k->hi = (k->hi + 1) % LEGIT_HIST;
			if (k->seq == 1) {
				memcpy(k->first, pkt, 8);
				r->res->legit_first_sent++;
			}
			if (dst4)
				len = sendto(k->fd, pkt, (size_t)len, 0,
					     (struct sockaddr *)&d4,
					     sizeof(d4));
			else
				len = sendto(k->fd, pkt, (size_t)len, 0,
					     (struct sockaddr *)&d6,
					     sizeof(d6));
			if (len >= 0)
				r->res->legit_sent++;
		}
		n = epoll_wait(ep, ev, 64, 1);
		for (int i = 0; i < n; i++)
			legit_recv(&keys[ev[i].data.u32], r->res);
	}
	/* Late Pongs. */
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)c->grace_ms * 1000000ull;
	while (rc == 0 && now_ns(CLOCK_MONOTONIC) < end) {
		struct epoll_event ev[64];
		int n = epoll_wait(ep, ev, 64, 10);

		for (int i = 0; i < n; i++)
			legit_recv(&keys[ev[i].data.u32], r->res);
	}
	for (unsigned i = 0; i < c->n_keys; i++) {
		if (keys[i].fd >= 0)
			close(keys[i].fd);
		explicit_bzero(keys[i].priv, sizeof(keys[i].priv));
	}
	free(keys);
	close(ep);
	return rc;
}

static void *junk_thread(void *arg)
{
	struct run *r = arg;

	r->rc_junk = junk_run(r);
	r->junk_done = true;
	return NULL;
}

int floodgen_run(struct floodgen_result *out, const struct floodgen_cfg *cfg,
		 volatile bool *stop)
{
	struct run r = { .cfg = cfg, .res = out, .stop = stop };
	unsigned wsum = 0;
	pthread_t th;
	int rc;

	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < FLOODGEN_KIND_MAX; k++)
		wsum += cfg->mix[k];
	if (!cfg->duration_ms || (wsum && !cfg->iface) ||
	    (wsum && memcmp(cfg->dst_addr, v4mapped, 12)) ||
	    cfg->spoof_plen < 8 || cfg->spoof_plen > 32)
		return -EINVAL;
	rc = secp_init();
	if (rc < 0)
		return rc;
	r.deadline = now_ns(CLOCK_MONOTONIC) +
		     (uint64_t)cfg->duration_ms * 1000000ull;
	if (!wsum)
		r.junk_done = false;
	rc = pthread_create(&th, NULL, junk_thread, &r);
	if (rc)
		return -rc;
	if (!wsum) {
		pthread_join(th, NULL);
		r.junk_done = false;    /* no junk: legit runs to the end */
		r.rc_legit = legit_run(&r);
	} else {
		r.rc_legit = legit_run(&r);
		pthread_join(th, NULL);
	}
	return r.rc_junk < 0 ? r.rc_junk : r.rc_legit;
}
