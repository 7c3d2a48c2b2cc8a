/* SPDX-License-Identifier: MIT */
/* control/rlpx/eth.h - the eth/68 and eth/69 subprotocol: Status handshake, empty answers to requests. */
#ifndef CONTROL_ETH_H
#define CONTROL_ETH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"

/*
 * devplane is not a full node: it speaks eth far enough to be a polite
 * peer and to learn the remote's chain (caps/eth.md).
 *   - On a new peer it sends Status and expects the remote's Status before
 *     any other eth message. The remote's network id, genesis and fork id
 *     (EIP-2124, control/rlpx/forkid.h) are checked against the local chain.
 *   - GetBlockHeaders, GetBlockBodies, GetPooledTransactions and
 *     GetReceipts are answered with the matching response carrying the
 *     request id and an empty list (the spec allows empty results), never
 *     with a disconnect.
 *   - Announcements (NewBlockHashes, Transactions, NewBlock,
 *     NewPooledTransactionHashes) are ignored; eth/69 BlockRangeUpdate
 *     updates the recorded range and is validated (earliest <= latest).
 * Every eth failure disconnects with P2P_DISC_SUBPROTOCOL_ERROR (0x10), as
 * geth does for errors returned by its eth handler.
 *
 * Same thread and time rules as control/rlpx/p2p.h. Codecs: no allocation.
 */

#define ETH_VERSION_68 68
#define ETH_VERSION_69 69
#define ETH_LEN_68     17               /* message ids 0x00..0x10 */
#define ETH_LEN_69     18               /* plus BlockRangeUpdate 0x11 */
#define ETH_HASH_LEN   32
#define ETH_TD_MAX     32               /* total difficulty bytes kept */

/* Message codes, relative to the protocol's offset. */
enum eth_msg {
	ETH_STATUS = 0x00,
	ETH_NEW_BLOCK_HASHES = 0x01,
	ETH_TRANSACTIONS = 0x02,
	ETH_GET_BLOCK_HEADERS = 0x03,
	ETH_BLOCK_HEADERS = 0x04,
	ETH_GET_BLOCK_BODIES = 0x05,
	ETH_BLOCK_BODIES = 0x06,
	ETH_NEW_BLOCK = 0x07,
	ETH_NEW_POOLED_TX_HASHES = 0x08,
	ETH_GET_POOLED_TXS = 0x09,
	ETH_POOLED_TXS = 0x0a,
	ETH_GET_RECEIPTS = 0x0f,
	ETH_RECEIPTS = 0x10,
	ETH_BLOCK_RANGE_UPDATE = 0x11,  /* eth/69 */
};

/*
 * A Status message. eth/68: [version, networkid, td, blockhash, genesis,
 * forkid]; eth/69: [version, networkid, genesis, forkid, earliest, latest,
 * latesthash]. Fields of the other version are zero.
 */
struct eth_status {
	uint32_t version;
	uint64_t network_id;
	uint8_t td[ETH_TD_MAX];         /* eth/68: big-endian, td_len bytes */
	size_t td_len;
	uint8_t head[ETH_HASH_LEN];     /* eth/68 blockhash */
	uint8_t genesis[ETH_HASH_LEN];
	struct forkid forkid;
	uint64_t earliest;              /* eth/69 */
	uint64_t latest;                /* eth/69 */
	uint8_t latest_hash[ETH_HASH_LEN];      /* eth/69 */
};

/* Why a Status (or later message) was refused. */
enum eth_err {
	ETH_OK = 0,
	ETH_ERR_DECODE,                 /* malformed message */
	ETH_ERR_NO_STATUS,              /* another message before Status */
	ETH_ERR_EXTRA_STATUS,           /* a second Status */
	ETH_ERR_VERSION,                /* Status version != negotiated */
	ETH_ERR_NETWORK,                /* network id mismatch */
	ETH_ERR_GENESIS,                /* genesis mismatch */
	ETH_ERR_FORKID_REMOTE_STALE,    /* EIP-2124: remote needs update */
	ETH_ERR_FORKID_INCOMPATIBLE,    /* EIP-2124: local stale or other
					 * chain */
	ETH_ERR_BLOCK_RANGE,            /* eth/69 earliest > latest */
	ETH_ERR_MAX
};

/* eth_err_name() returns a static description ("network id mismatch"). */
const char *eth_err_name(enum eth_err err);

/* eth_status_encode() writes the Status payload of s->version (68 or 69)
 * to out[0..cap). Returns bytes written, -EMSGSIZE or -EINVAL (other
 * version, td_len > ETH_TD_MAX). */
ssize_t eth_status_encode(uint8_t *out, size_t cap,
			  const struct eth_status *s);

/* eth_status_decode() decodes a Status payload in the layout of protocol
 * version `version` (68 or 69; the negotiated one, which the message's own
 * version field need not match: eth_status_check() compares them).
 * Trailing list elements are ignored. Returns bytes consumed or -EBADMSG,
 * -EMSGSIZE (truncated), -EINVAL (version not 68/69). */
ssize_t eth_status_decode(struct eth_status *out, uint32_t version,
			  const uint8_t *buf, size_t len);

struct eth;

/*
 * Configuration. chain is required and must outlive the eth object. The
 * head (block number, timestamp, hash) sets the fork id we announce and
 * validate with; head_hash all-zero means the genesis hash.
 *
 * on_status(user, peer, status, err) (may be NULL) sees every remote Status
 * that decoded, with the check's verdict, before the action: the crawler
 * records it here. Return < 0 for the default action (keep the peer if
 * err == ETH_OK, else disconnect with 0x10), or a disconnect reason >= 0
 * to drop the peer with it regardless (a crawler returns
 * P2P_DISC_REQUESTED once it has what it wants).
 */
struct eth_config {
	const struct forkid_chain *chain;
	uint64_t head_block;
	uint64_t head_time;
	uint8_t head_hash[ETH_HASH_LEN];
	uint8_t td[ETH_TD_MAX];         /* eth/68 total difficulty, BE */
	size_t td_len;
	uint64_t earliest;              /* eth/69 block range */
	int (*on_status)(void *user, struct p2p_peer *peer,
			 const struct eth_status *status, enum eth_err err);
	void *user;
};

struct eth {
	struct p2p_proto proto68;       /* registered protocols */
	struct p2p_proto proto69;
	struct eth_config cfg;
	uint64_t n_status_ok;           /* counters */
	uint64_t n_status_rejected;
	uint64_t n_requests_answered;
};

/* eth_init() prepares e from cfg (copied). Returns 0 or -EINVAL (no
 * chain, td_len too large). */
int eth_init(struct eth *e, const struct eth_config *cfg);

/* eth_register() registers eth/68 and eth/69 in the host. Returns 0 or
 * -errno from p2p_register(). */
int eth_register(struct eth *e, struct p2p_host *h);

/* eth_set_head() moves the local head (new peers see the new fork id). */
void eth_set_head(struct eth *e, uint64_t block, uint64_t time,
		  const uint8_t hash[ETH_HASH_LEN]);

/* eth_local_status() fills *out with the Status we send for version. */
void eth_local_status(const struct eth *e, struct eth_status *out,
		      uint32_t version);

/* eth_status_check() validates a remote Status received on a session
 * that negotiated `version`: version field, network id, genesis, fork id
 * (EIP-2124 against our head), eth/69 block range. */
enum eth_err eth_status_check(const struct eth *e,
			      const struct eth_status *remote,
			      uint32_t version);

/* eth_peer_status() returns the Status the peer sent (kept until the peer
 * is dropped), or NULL if none arrived yet or the peer does not run eth. */
const struct eth_status *eth_peer_status(const struct eth *e,
					 const struct p2p_peer *peer);

#endif /* CONTROL_ETH_H */
