/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_sesshost.c - the sans-I/O RLPx session host fed an accepted connection's bytes, frames sealed by a real client, dataplane messages and clock steps, with its actions carried out. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/secp.h"
#include "control/peers/sesshost.h"
#include "control/rlpx/rlpxconn.h"
#include "tests/vectors/eip8_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000000ull
#define T0  (1700000000ull * SEC)

/* The input: data[0] bit 0 runs a real handshake first (the client has
 * key A), then records [type][len][bytes], len one byte:
 *   0  raw bytes to the socket
 *   1  a frame sealed by the client: code data[0], payload data[1..]
 *   2  the client's Hello (caps: bit 0 eth/68, 1 eth/69, 2 ping/1,
 *      3 p2p version 4)
 *   3  a dataplane message: code data[0], payload data[1..], split into
 *      fragments of data[0] % 8 + 1 bytes when that is below the length
 *   4  time: data[0] * 100 ms, then tick
 *   5  the dataplane closes the session
 *   6  the socket fails */

struct run {
	struct sesshost *h;
	uint64_t conn, now;
	struct rlpxconn cl;
	bool handed, closed;
};

/* Carries out the host's actions; the client reads what was written. */
static void drain(struct run *r)
{
	const struct sesshost_action *a;

	while ((a = sesshost_next_action(r->h))) {
		const uint8_t *p;
		size_t n;

		switch (a->kind) {
		case SESSHOST_A_WRITE:
			n = sesshost_out(r->h, a->conn, &p);
			while (n && r->cl.state != RLPXCONN_FAILED) {
				enum rlpxconn_event ev;
				struct rlpxconn_msg m;
				ssize_t c = rlpxconn_feed(&r->cl, &ev, &m, p,
							  n, r->now);

				if (c <= 0)
					break;
				p += c;
				n -= (size_t)c;
			}
			sesshost_out_done(r->h, a->conn, SIZE_MAX, r->now);
			break;
		case SESSHOST_A_CLOSE:
			if (a->conn == r->conn)
				r->closed = true;
			break;
		case SESSHOST_A_HANDOVER:
			if (!a->frame || a->conn != r->conn)
				abort();        /* only with the queue empty */
			r->handed = true;
			sesshost_on_handover(r->h, a->conn, 0, r->now);
			break;
		case SESSHOST_A_DIAL:
			sesshost_on_connected(r->h, a->conn, -ECONNREFUSED,
					      NULL, r->now);
			break;
		case SESSHOST_A_DP_CLOSE:
			if (a->conn == r->conn && r->handed) {
				struct msg_rlpx_closed m = {
					.session_id = a->conn };

				r->handed = false;
				r->closed = true;
				sesshost_on_dp_closed(r->h, &m, r->now);
			}
			break;
		default:
			break;
		}
	}
}

static void client_send(struct run *r, uint64_t code, const uint8_t *p,
			size_t len)
{
	const uint8_t *out;
	size_t n;

	if (rlpxconn_send(&r->cl, code, p, len, false))
		return;
	n = rlpxconn_out(&r->cl, &out);
	if (!r->closed && !r->handed)
		sesshost_on_bytes(r->h, r->conn, out, n, r->now);
	rlpxconn_out_done(&r->cl, n);
}

static void client_hello(struct run *r, uint8_t bits)
{
	static const struct p2p_cap caps[] = {
		{ "eth", 68 }, { "eth", 69 }, { "ping", 1 },
	};
	struct p2p_hello *h = calloc(1, sizeof(*h));
	uint8_t buf[1024];
	ssize_t n;

	if (!h)
		abort();
	h->version = bits & 8 ? 4 : P2P_VERSION;
	memcpy(h->client_id, "fuzz", 4);
	h->client_id_len = 4;
	for (size_t i = 0; i < 3; i++)
		if (bits & (1u << i))
			h->caps[h->n_caps++] = caps[i];
	if (secp_pub_from_priv(h->id, EIP8_STATIC_KEY_A))
		abort();
	n = p2p_hello_encode(buf, sizeof(buf), h);
	if (n > 0)
		client_send(r, P2P_MSG_HELLO, buf, (size_t)n);
	free(h);
}

static void dp_msg(struct run *r, const uint8_t *p, size_t len)
{
	uint8_t buf[sizeof(struct msg_rlpx_data) + 256];
	struct msg_rlpx_data *d = (void *)buf;
	size_t frag, off = 0;

	if (!len || !r->handed)
		return;
	frag = (size_t)(p[0] % 8) + 1;
	if (frag >= len - 1)
		frag = len - 1;
	do {
		size_t k = len - 1 - off < frag ? len - 1 - off : frag;

		memset(d, 0, sizeof(*d));
		d->session_id = r->conn;
		d->msg_code = p[0];
		d->total_len = (uint32_t)(len - 1);
		d->frag_off = (uint32_t)off;
		d->data_len = (uint16_t)k;
		d->flags = off + k == len - 1 ? MSG_RLPX_F_LAST : 0;
		memcpy(d->data, p + 1 + off, k);
		sesshost_on_dp_rx(r->h, d, r->now);
		off += k;
	} while (off < len - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sesshost_cfg cfg = { .max_peers = 4, .listen_port = 30303 };
	struct sesshost_ep ep = { .port = 40000 };
	struct run *r;

	if (size < 1)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->now = T0;
	cfg.priv = EIP8_STATIC_KEY_B;
	cfg.chain = forkid_chain_by_name("sepolia");
	if (sesshost_new(&r->h, &cfg))
		abort();
	ep.ip[10] = ep.ip[11] = 0xff;
	ep.ip[12] = 127;
	ep.ip[15] = 1;
	if (sesshost_on_accept(r->h, &r->conn, &ep, NULL, r->now))
		abort();
	if (data[0] & 1) {
		const uint8_t *out;
		size_t n;
		uint8_t pub_b[SECP_PUB_LEN];

		if (secp_pub_from_priv(pub_b, EIP8_STATIC_KEY_B) ||
		    rlpxconn_dial(&r->cl, EIP8_STATIC_KEY_A, pub_b, 0,
				  r->now))
			abort();
		n = rlpxconn_out(&r->cl, &out);
		if (sesshost_on_bytes(r->h, r->conn, out, n, r->now) !=
		    (ssize_t)n)
			abort();
		rlpxconn_out_done(&r->cl, n);
		drain(r);
		if (r->cl.state != RLPXCONN_FRAMES)
			abort();        /* the host's ack completed it */
	}
	for (size_t off = 1; off + 2 <= size && !r->closed;) {
		uint8_t type = data[off], len = data[off + 1];
		const uint8_t *p = data + off + 2;

		if (len > size - off - 2)
			len = (uint8_t)(size - off - 2);
		off += 2 + (size_t)len;
		switch (type % 7) {
		case 0:
			if (!r->handed)
				sesshost_on_bytes(r->h, r->conn, p, len,
						  r->now);
			break;
		case 1:
			if (len)
				client_send(r, p[0], p + 1, len - 1u);
			break;
		case 2:
			client_hello(r, len ? p[0] : 7);
			break;
		case 3:
			dp_msg(r, p, len);
			break;
		case 4:
			r->now += (uint64_t)(len ? p[0] : 1) * (SEC / 10);
			sesshost_tick(r->h, r->now);
			break;
		case 5:
			if (r->handed) {
				struct msg_rlpx_closed m = {
					.session_id = r->conn };

				r->handed = false;
				r->closed = true;
				sesshost_on_dp_closed(r->h, &m, r->now);
			}
			break;
		default:
			if (!r->handed)
				sesshost_on_closed(r->h, r->conn, -ECONNRESET,
						   r->now);
			break;
		}
		drain(r);
	}
	sesshost_shutdown(r->h, r->now);
	drain(r);
	sesshost_free(r->h);
	rlpxconn_fini(&r->cl);
	free(r);
	return 0;
}
