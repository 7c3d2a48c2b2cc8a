/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_eth.c - the eth message handler of every version, driven through a p2p host after a real Hello and Status exchange. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlp.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/p2p.h"

/*
 * Input: byte 0 picks the remote's eth version (68 + byte % 5); then
 * messages, each [code: 1 byte][length: 2 bytes, big-endian][payload],
 * the code relative to eth's offset (0x10) and allowed past the
 * negotiated range, until the input ends or the peer is gone. Every
 * message the handler sends must be one well-formed RLP item with a code
 * inside the negotiated range, or a p2p Disconnect.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t range_len;              /* negotiated eth length */
static bool active;                     /* Hello exchange finished */

static int f_send(void *user, uint64_t session, uint64_t code,
		  const uint8_t *payload, size_t len)
{
	(void)user;
	(void)session;
	if (code == P2P_MSG_HELLO || code == P2P_MSG_DISCONNECT ||
	    code == P2P_MSG_PING || code == P2P_MSG_PONG)
		return 0;
	if (!active || code < P2P_BASE_OFFSET ||
	    code >= (uint64_t)P2P_BASE_OFFSET + range_len ||
	    rlp_validate(payload, len, RLP_MAX_DEPTH) < 0)
		abort();
	return 0;
}

static void f_close(void *user, uint64_t session)
{
	(void)user;
	(void)session;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t remote_id[P2P_ID_LEN] = { 7, 7, 7 };
	static uint8_t local_id[P2P_ID_LEN] = { 1, 2, 3 };
	struct p2p_host_config hc = {
		.id = local_id, .max_peers = 1,
		.ops = { .send = f_send, .close = f_close },
	};
	struct eth_config ec = { .chain = forkid_chain_by_name("mainnet") };
	static struct eth e, them;
	static struct p2p_hello hello;
	struct eth_status st;
	struct p2p_host *h;
	struct p2p_peer *peer;
	uint8_t buf[1024];
	uint32_t v;
	ssize_t n;
	size_t off = 1;

	if (size < 1)
		return 0;
	v = ETH_VERSION_MIN + data[0] % ETH_N_VERSIONS;
	range_len = eth_msg_count(v);
	active = false;
	if (p2p_host_new(&h, &hc) || eth_init(&e, &ec) ||
	    eth_register(&e, h) || eth_init(&them, &ec))
		abort();
	if (p2p_peer_start(h, &peer, 1, remote_id, false, 0))
		abort();
	/* The remote's Hello (eth/v only) and Status. */
	memset(&hello, 0, sizeof(hello));
	hello.version = P2P_VERSION;
	memcpy(hello.caps[0].name, "eth", 4);
	hello.caps[0].version = v;
	hello.n_caps = 1;
	memcpy(hello.id, remote_id, P2P_ID_LEN);
	n = p2p_hello_encode(buf, sizeof(buf), &hello);
	if (n < 0)
		abort();
	active = true;
	p2p_on_msg(h, 1, P2P_MSG_HELLO, buf, (size_t)n, 1);
	eth_local_status(&them, &st, v);
	n = eth_status_encode(buf, sizeof(buf), &st);
	if (n < 0 || !p2p_peer_active(peer))
		abort();
	p2p_on_msg(h, 1, P2P_BASE_OFFSET, buf, (size_t)n, 1);
	if (!p2p_peer_active(peer) || !eth_peer_status(&e, peer))
		abort();
	while (off + 3 <= size && p2p_peer_active(peer)) {
		uint64_t code = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		p2p_on_msg(h, 1, P2P_BASE_OFFSET + code, data + off, len, 2);
		off += len;
	}
	p2p_host_free(h);
	return 0;
}
