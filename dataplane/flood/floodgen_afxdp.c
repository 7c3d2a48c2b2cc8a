/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodgen_afxdp.c - the flood generator's AF_XDP junk sender:
 * frames prebuilt in a UMEM and replayed through the TX ring. */
#include "dataplane/flood/floodgen_afxdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xdp/xsk.h>

#include "dataplane/io/neigh.h"
#include "dataplane/io/ethudp.h"

#define FRAMES      4096
#define FRAME_SIZE  2048
#define RING        2048
#define BATCH       64

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* make_frame() writes one junk frame of kind k into f: the payload from
 * floodpay, from a random source in the spoof prefix and a random port. */
static ssize_t make_frame(uint8_t *f, struct floodpay *pay, unsigned k,
			  const struct floodgen_afxdp_cfg *c,
			  const struct neigh_if *itf, const uint8_t dmac[6])
{
	struct ethudp_hdrs h;
	uint8_t pl[FLOODPAY_MAX_LEN];
	uint32_t host_mask = c->spoof_plen >= 32 ? 0 :
			     0xffffffffu >> c->spoof_plen;
	uint32_t base, a;
	ssize_t len;

	memcpy(h.dst_mac, dmac, 6);
	memcpy(h.src_mac, itf->mac, 6);
	memcpy(&base, c->spoof_addr, 4);
	a = htonl((ntohl(base) & ~host_mask) |
		  ((uint32_t)floodpay_rnd(pay) & host_mask));
	memcpy(h.src_addr, v4mapped, 12);
	memcpy(h.src_addr + 12, &a, 4);
	memcpy(h.dst_addr, c->dst_addr, 16);
	h.src_port_be = htons((uint16_t)(1024 + floodpay_rnd(pay) % 60000));
	h.dst_port_be = c->dst_port_be;
	h.ttl = 64;
	len = floodpay_build(pay, pl, sizeof(pl), k, h.src_addr,
			     h.src_port_be);
	if (len < 0)
		return len;
	return ethudp_build(f, FRAME_SIZE, &h, pl, (size_t)len);
}

/* dst_mac() asks the kernel for the target's next hop MAC on itf (and
 * makes it resolve one). */
static int dst_mac(uint8_t dmac[6], const struct neigh_if *itf,
		   const uint8_t dst[16])
{
	int nl = neigh_nl_open(), rc = -ENOENT;

	if (nl < 0)
		return nl;
	for (int tries = 0; tries < 50; tries++) {
		uint8_t nh[16];
		int oif;

		rc = neigh_route(nl, nh, &oif, dst);
		if (rc == 0)
			rc = neigh_lookup(nl, dmac, itf->ifindex, nh);
		if (rc != -ENOENT)
			break;
		neigh_trigger(itf->ifindex, nh);
		usleep(20000);
	}
	close(nl);
	return rc;
}

int floodgen_afxdp_junk(struct floodgen_afxdp_out *out,
			struct floodpay *pay,
			const struct floodgen_afxdp_cfg *c,
			struct floodramp *ramp, uint64_t deadline_ns,
			volatile bool *stop)
{
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
	struct floodpay_pace pc = { .rate_pps = c->rate_pps,
				    .count = c->count };
	uint8_t *kind = NULL, *area, dmac[6];
	uint64_t queued = 0, done = 0, nf = 0, drain_end = 0;
	unsigned fi = 0, step = 0;
	struct neigh_if itf;
	int rc;

	if (memcmp(c->dst_addr, v4mapped, 12) || c->spoof_plen < 8 ||
	    c->spoof_plen > 32)
		return -EINVAL;
	rc = neigh_if_get(&itf, c->iface);
	if (rc < 0)
		return rc;
	rc = dst_mac(dmac, &itf, c->dst_addr);
	if (rc < 0)
		return rc;
	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	kind = malloc(FRAMES);
	rc = -ENOMEM;
	if (!kind)
		goto out;
	/* FRAMES prebuilt frames in the mix's proportions, replayed in a
	 * cycle: the frames never change, so one may be in flight twice. */
	for (unsigned i = 0; i < FRAMES; i++) {
		unsigned k = floodpay_pick(pay);
		ssize_t n;

		kind[i] = (uint8_t)k;
		n = make_frame(area + (size_t)i * FRAME_SIZE, pay, k, c, &itf,
			       dmac);
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
		out->zero_copy = !c->copy;
	}
	if (rc)
		goto out;
	pc.t0_ns = mono_ns();
	if (ramp)
		floodramp_start(ramp, pc.t0_ns);
	for (;;) {
		uint64_t now = mono_ns(), wait;
		uint32_t idx;
		unsigned n, want;
		bool over = false;

		if (ramp) {
			unsigned s = floodramp_pace(ramp, &pc, now);

			/* Frames still completing after the end count for
			 * the last step they may have left in. */
			over = s >= ramp->n_steps;
			if (!over)
				step = s;
		}
		n = xsk_ring_cons__peek(&cq, RING, &idx);
		if (n) {
			for (unsigned i = 0; i < n; i++) {
				uint64_t a = *xsk_ring_cons__comp_addr(&cq,
								      idx + i);

				out->junk_sent[kind[a / FRAME_SIZE]]++;
			}
			xsk_ring_cons__release(&cq, n);
			/* A frame counts for the step the kernel completed
			 * it in: sent, not merely queued. */
			if (ramp)
				__atomic_add_fetch(&out->step_junk[step], n,
						   __ATOMIC_RELAXED);
			done += n;
		}
		if ((stop && *stop) || now >= deadline_ns || over ||
		    (c->count && pc.total >= c->count)) {
			/* Drain what is queued, for half a second at most
			 * from the end (not from the deadline, which a ramp
			 * or a count may end long before). */
			if (!drain_end)
				drain_end = now + 500000000ull;
			if (done >= queued || now >= drain_end)
				break;
			(void)sendto(xsk_socket__fd(xsk), NULL, 0,
				     MSG_DONTWAIT, NULL, 0);
			continue;
		}
		want = floodpay_pace_want(&pc, now, BATCH);
		if (!want && done >= queued) {
			/* Ahead of the rate with nothing in flight: sleep
			 * when the next frame is far enough off. */
			wait = floodpay_pace_wait_ns(&pc, now);
			if (wait > 20000)
				usleep((useconds_t)(wait < 1000000 ?
						    wait / 1000 : 1000));
			continue;
		}
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
			pc.total += want;
			queued += want;
		}
		if (sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT,
			   NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS)
			nf++;
	}
	out->elapsed_ns = mono_ns() - (ramp ? floodramp_t0(ramp) : pc.t0_ns);
	out->junk_tx_err = nf + (queued - done);
	rc = 0;
out:
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	munmap(area, size);
	free(kind);
	return rc < 0 ? rc : -rc;
}
