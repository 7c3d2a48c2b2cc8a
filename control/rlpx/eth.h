/* SPDX-License-Identifier: MIT */
/* control/eth.h - the eth subprotocol, versions 68 to 72: Status handshake, empty answers to requests. */
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
 * peer and to learn the remote's chain (caps/eth.md). It registers eth/68,
 * 69, 70, 71 and 72; p2p negotiation picks the highest version both sides
 * have (geth v1.17.10 offers 69..72, so it gets eth/72).
 *
 *   - On a new peer it sends Status and expects the remote's Status before
 *     any other eth message. The remote's network id, version, genesis, fork
 *     id (EIP-2124, control/forkid.h) and, from eth/69 on, block range are
 *     checked in geth's order (eth/protocols/eth/handshake.go).
 *   - Every request is answered with a well-formed empty response carrying
 *     the request id (the spec allows empty results), never with a
 *     disconnect: GetBlockHeaders, GetBlockBodies, GetPooledTransactions,
 *     GetReceipts (eth/70 and later with firstBlockReceiptIndex, answered
 *     [id, lastBlockIncomplete 0, []]), GetBlockAccessLists (eth/71+, one
 *     RLP empty string, "unavailable", per requested hash up to 1024, as
 *     geth serves them) and GetCells (eth/72, [id, [], [], mask] echoing
 *     the requested mask, as geth does).
 *   - Announcements (Transactions, NewPooledTransactionHashes; eth/68
 *     NewBlockHashes and NewBlock) are checked for shape and ignored.
 *     BlockRangeUpdate (eth/69+) is validated (earliest <= latest, non-zero
 *     hash) and recorded on the peer (eth_peer_status()).
 *
 * Disconnects, all with P2P_DISC_SUBPROTOCOL_ERROR (0x10) as geth does for
 * errors returned by its eth handler, each counted in struct eth:
 *   - a malformed message (geth's RLP decoding rules: exact element counts,
 *     canonical integers, 32-byte hashes, booleans 0x80/0x01; bytes after
 *     the message's single top-level item are ignored, as geth does), a
 *     message over 10 MiB, an invalid BlockRangeUpdate;
 *   - a message removed from the negotiated version (NewBlockHashes and
 *     NewBlock from eth/69 on), a second Status, anything before Status;
 *   - a response (BlockHeaders, Receipts, ...): we never send requests, and
 *     geth drops a peer whose response matches no request of its own.
 * Codes inside the protocol's range that no version assigns (0x0b..0x0e:
 * GetNodeData and NodeData left in eth/67) are ignored and counted; geth
 * disconnects for those, devplane does not. Codes beyond the negotiated
 * range never reach eth: p2p owns them (control/p2p.h).
 *
 * Same thread and time rules as control/p2p.h. Codecs: no allocation.
 */

#define ETH_VERSION_68 68
#define ETH_VERSION_69 69
#define ETH_VERSION_70 70
#define ETH_VERSION_71 71
#define ETH_VERSION_72 72
#define ETH_VERSION_MIN ETH_VERSION_68
#define ETH_VERSION_MAX ETH_VERSION_72
#define ETH_N_VERSIONS  (ETH_VERSION_MAX - ETH_VERSION_MIN + 1)

/* Message counts (geth protocolLengths; eth/68 from geth v1.17.0). */
#define ETH_LEN_68     17               /* ids 0x00..0x10 */
#define ETH_LEN_69     18               /* plus BlockRangeUpdate 0x11 */
#define ETH_LEN_70     18
#define ETH_LEN_71     20               /* plus GetBlockAccessLists and
					 * BlockAccessLists 0x12..0x13 */
#define ETH_LEN_72     22               /* plus GetCells and Cells */

#define ETH_HASH_LEN   32
#define ETH_TD_MAX     32               /* total difficulty bytes kept */
#define ETH_CELLS_MASK_LEN 16           /* EIP-8070 cell bitmap, B_16 */
#define ETH_MAX_MSG_SIZE (10u * 1024 * 1024)    /* geth maxMessageSize */
#define ETH_MAX_TX_ANNOUNCE 5000        /* geth maxTransactionAnnouncements */
#define ETH_MAX_BALS_SERVE 1024         /* geth maxBALsServe */
#define ETH_RANGE_UPDATE_STEP 32        /* geth: BlockRangeUpdate every 32
					 * blocks, or when the head moves
					 * back */

/* Message codes, relative to the protocol's offset. */
enum eth_msg {
	ETH_STATUS = 0x00,
	ETH_NEW_BLOCK_HASHES = 0x01,    /* eth/68 only */
	ETH_TRANSACTIONS = 0x02,
	ETH_GET_BLOCK_HEADERS = 0x03,
	ETH_BLOCK_HEADERS = 0x04,
	ETH_GET_BLOCK_BODIES = 0x05,
	ETH_BLOCK_BODIES = 0x06,
	ETH_NEW_BLOCK = 0x07,           /* eth/68 only */
	ETH_NEW_POOLED_TX_HASHES = 0x08,
	ETH_GET_POOLED_TXS = 0x09,
	ETH_POOLED_TXS = 0x0a,
	ETH_GET_RECEIPTS = 0x0f,
	ETH_RECEIPTS = 0x10,
	ETH_BLOCK_RANGE_UPDATE = 0x11,  /* eth/69+ */
	ETH_GET_BLOCK_ACCESS_LISTS = 0x12,      /* eth/71+ */
	ETH_BLOCK_ACCESS_LISTS = 0x13,  /* eth/71+ */
	ETH_GET_CELLS = 0x14,           /* eth/72 */
	ETH_CELLS = 0x15,               /* eth/72 */
};

/* eth_msg_count() returns the number of message ids of eth/version, or 0
 * for a version devplane does not speak. */
uint16_t eth_msg_count(uint32_t version);

/*
 * A Status message. eth/68: [version, networkid, td, blockhash, genesis,
 * forkid]; eth/69..72: [version, networkid, genesis, forkid, earliest,
 * latest, latesthash]. Fields of the other layout are zero.
 */
struct eth_status {
	uint32_t version;
	uint64_t network_id;
	uint8_t td[ETH_TD_MAX];         /* eth/68: big-endian, td_len bytes */
	size_t td_len;
	uint8_t head[ETH_HASH_LEN];     /* eth/68 blockhash */
	uint8_t genesis[ETH_HASH_LEN];
	struct forkid forkid;
	uint64_t earliest;              /* eth/69+ */
	uint64_t latest;                /* eth/69+ */
	uint8_t latest_hash[ETH_HASH_LEN];      /* eth/69+ */
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
	ETH_ERR_BLOCK_RANGE,            /* eth/69+: earliest > latest, or a
					 * zero latest hash */
	ETH_ERR_MAX
};

/* eth_err_name() returns a static description ("network id mismatch"). */
const char *eth_err_name(enum eth_err err);

/* eth_status_encode() writes the Status payload of s->version to
 * out[0..cap). Refuses what geth would reject, so we never send it: for
 * eth/69+ earliest > latest or an all-zero latest_hash. Returns bytes
 * written, -EMSGSIZE, or -EINVAL (version outside 68..72, td_len >
 * ETH_TD_MAX, invalid block range). */
ssize_t eth_status_encode(uint8_t *out, size_t cap,
			  const struct eth_status *s);

/* eth_status_decode() decodes a Status payload in the layout of protocol
 * version `version` (68..72; the negotiated one, which the message's own
 * version field need not match: eth_status_check() compares them). The
 * list must hold exactly the layout's elements (geth rejects extras);
 * bytes after the list are not looked at. Values are not validated (see
 * eth_status_check()). Returns bytes consumed (the list) or -EBADMSG,
 * -EMSGSIZE (truncated), -EINVAL (version outside 68..72). */
ssize_t eth_status_decode(struct eth_status *out, uint32_t version,
			  const uint8_t *buf, size_t len);

/* eth_block_range_encode() writes a BlockRangeUpdate payload [earliest,
 * latest, latesthash]. Returns bytes written, -EMSGSIZE, or -EINVAL
 * (earliest > latest or an all-zero hash: never sent). */
ssize_t eth_block_range_encode(uint8_t *out, size_t cap, uint64_t earliest,
			       uint64_t latest,
			       const uint8_t hash[ETH_HASH_LEN]);

/* eth_block_range_decode() decodes and validates a BlockRangeUpdate
 * payload. Returns bytes consumed, or -EBADMSG (malformed, extra elements),
 * -EMSGSIZE (truncated), -ERANGE (earliest > latest or a zero hash: well
 * formed but invalid; geth disconnects). */
ssize_t eth_block_range_decode(uint64_t *earliest, uint64_t *latest,
			       uint8_t hash[ETH_HASH_LEN], const uint8_t *buf,
			       size_t len);

struct eth;

/*
 * Configuration. chain is required and must outlive the eth object.
 *
 * The head (block number, timestamp, hash) is the block the node
 * advertises, as geth's is its current head: the fork id of the Status and
 * of the ENR "eth" entry is forkid_compute(chain, head_block, head_time),
 * and eth/69+ Status says latest = head_block, latesthash = head_hash. A
 * node without a chain keeps the default, its genesis, as a fresh geth
 * does: head_block 0, head_hash all-zero (meaning the genesis hash),
 * head_time 0 (a time before the chain's genesis timestamp counts as the
 * genesis timestamp: no head is older than its genesis). A non-zero
 * head_block needs its hash. earliest (eth/69+ block range) is clamped to
 * the head, as geth clamps its history cutoff.
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
	uint64_t earliest;              /* eth/69+ block range */
	int (*on_status)(void *user, struct p2p_peer *peer,
			 const struct eth_status *status, enum eth_err err);
	void *user;
};

struct eth {
	struct p2p_proto protos[ETH_N_VERSIONS];        /* eth/68..eth/72 */
	struct eth_config cfg;
	struct p2p_host *host;          /* set by eth_register() or the first
					 * peer; for eth_set_head() */
	uint64_t range_sent;            /* latest of the last range announced */
	/* Counters. */
	uint64_t n_status_ok;
	uint64_t n_status_rejected;     /* undecodable or refused Status */
	uint64_t n_requests_answered;
	uint64_t n_announcements;       /* accepted and ignored */
	uint64_t n_range_updates;       /* valid BlockRangeUpdates recorded */
	uint64_t n_unknown_ignored;     /* unassigned codes (0x0b..0x0e) */
	uint64_t n_malformed;           /* dropped: malformed, oversized or
					 * invalid message */
	uint64_t n_bad_code;            /* dropped: removed message, second
					 * Status, message before Status */
	uint64_t n_unsolicited;         /* dropped: a response */
	uint64_t n_range_sent;          /* BlockRangeUpdates we sent */
};

/* eth_init() prepares e from cfg (copied). Returns 0 or -EINVAL (no
 * chain, an all-zero genesis hash, td_len too large, a non-zero head_block
 * with an all-zero head_hash). */
int eth_init(struct eth *e, const struct eth_config *cfg);

/* eth_proto() returns the protocol struct of eth/version (for a host that
 * registers only some versions), or NULL outside 68..72. */
const struct p2p_proto *eth_proto(const struct eth *e, uint32_t version);

/* eth_register() registers eth/72 down to eth/68 in the host (the Hello
 * lists them in that order, as geth lists its versions). Returns 0 or
 * -errno from p2p_register(). */
int eth_register(struct eth *e, struct p2p_host *h);

/*
 * eth_set_head() moves the local head: the fork id (Status of new peers,
 * eth_local_forkid(), eth_enr_entry()) and the block range follow it. The
 * caller refreshes the ENR with eth_enr_entry() (control/localnode.h
 * localnode_set_eth(), then localnode_update()). hash NULL or all-zero
 * means the genesis hash and is allowed only for block 0; a time before
 * the genesis timestamp counts as the genesis timestamp. When the latest
 * block moved back, or ETH_RANGE_UPDATE_STEP or more blocks forward since
 * the last range announced, a BlockRangeUpdate goes to every eth/69+ peer
 * (geth's rule; the first comparison is with the configured head).
 * Returns the number of peers it was sent to, or -EINVAL (a zero hash for
 * a block > 0; nothing changed).
 */
int eth_set_head(struct eth *e, uint64_t block, uint64_t time,
		 const uint8_t hash[ETH_HASH_LEN], uint64_t now_ns);

/* eth_local_forkid() returns in *out the fork id of the local head. */
void eth_local_forkid(const struct eth *e, struct forkid *out);

/* eth_enr_entry() writes the value of the ENR "eth" entry for the local
 * head (enr-entries/eth.md: [[fork-hash, fork-next]]) to out[0..cap).
 * Returns bytes written or -EMSGSIZE. */
ssize_t eth_enr_entry(const struct eth *e, uint8_t *out, size_t cap);

/* eth_local_status() fills *out with the Status we send for version. */
void eth_local_status(const struct eth *e, struct eth_status *out,
		      uint32_t version);

/* eth_status_check() validates a remote Status received on a session
 * that negotiated `version`, in geth's order: network id, version field,
 * genesis, fork id (EIP-2124 against our head), eth/69+ block range. */
enum eth_err eth_status_check(const struct eth *e,
			      const struct eth_status *remote,
			      uint32_t version);

/* eth_peer_status() returns the Status the peer sent, its block range
 * updated by every valid BlockRangeUpdate since (kept until the peer is
 * dropped), or NULL if none arrived yet or the peer does not run eth. */
const struct eth_status *eth_peer_status(const struct eth *e,
					 const struct p2p_peer *peer);

/* eth_peer_version() returns the eth version negotiated with the peer, or
 * 0 if the peer does not run eth. */
uint32_t eth_peer_version(const struct eth *e, const struct p2p_peer *peer);

#endif /* CONTROL_ETH_H */
