/* SPDX-License-Identifier: MIT */
/* dataplane/stage/discv5_rx.h - the dataplane's discv5 ingress stage and
 * WHOAREYOU limiter. */
#ifndef DATAPLANE_DISCV5_RX_H
#define DATAPLANE_DISCV5_RX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv5_wire.h"
#include "common/msg.h"

/*
 * discv5 shares its UDP port with discv4 (as in geth: what v4 cannot use
 * goes to v5). The discovery demux (dataplane/stage/disc_rx.h) hands this
 * stage the datagrams that failed discv4's size or hash check; it runs
 * the cheap checks, stopping at the first failure:
 *   socket has discv5 -> common/discv5_wire.h discv5_check_static() (two
 *   AES blocks with the socket's masking key: size 63..1280,
 *   protocol-id, version, flag, authdata size) -> per-source budget
 *   (discv4's, shared: one source, one discovery budget) -> for a
 *   handshake (flag 2), the per-source handshake budget
 * and fills a struct msg_discv5_rx with the whole datagram for control,
 * whose engine does the rest (decryption, EC work under its own budget).
 * Nothing here is authenticated: the budgets only bound what one source
 * makes control do.
 *
 * On the way out, control marks each WHOAREYOU it sends
 * (MSG_TX_F_WHOAREYOU): it answers an unauthenticated packet, so a
 * spoofed flood would have us send them to a victim.
 * discv5_rx_whoareyou_ok() limits them per destination (/32, /64).
 *
 * Threads: a struct discv5_rx belongs to one worker. The key table
 * (struct discv5_rx_keys) is shared: the dataplane's main thread writes
 * it while workers read it.
 */

enum discv5_rx_verdict {
	DISCV5_RX_ACCEPT = 0,
	DISCV5_RX_OFF,                  /* no discv5 on this socket */
	DISCV5_RX_NOT_V5,               /* outside 63..1280, or protocol-id
					 * does not unmask: not discv5 */
	DISCV5_RX_DROP_SIZE,            /* too short/long for its flag */
	DISCV5_RX_DROP_VERSION,
	DISCV5_RX_DROP_FLAG,
	DISCV5_RX_DROP_AUTHDATA,
	DISCV5_RX_DROP_BUDGET,          /* per-source budget (shared) */
	DISCV5_RX_DROP_HS_BUDGET,       /* per-source handshake budget */
};

/* ---- per-socket masking keys (shared) ---------------------------------- */

struct discv5_rx_keys;

/* discv5_rx_keys_new() makes a table for sockets 0..n_socks-1, all off.
 * Returns 0, -EINVAL (n_socks 0 or over 65536), -ENOMEM. */
int discv5_rx_keys_new(struct discv5_rx_keys **out, unsigned n_socks);

/* discv5_rx_keys_free() releases k (no worker may use it any more); NULL
 * is a no-op. */
void discv5_rx_keys_free(struct discv5_rx_keys *k);

/* discv5_rx_keys_set() turns discv5 on for socket sock with the local
 * node id node_id (its first 16 bytes are the masking key), or off when
 * node_id is NULL. Workers see the change from their next packet; one
 * in flight uses the old key or the new one, never a mix. One writer
 * thread at a time. Returns 0, -EINVAL (sock out of range), -ENOMEM (no
 * IPsec-MB manager on this thread). */
int discv5_rx_keys_set(struct discv5_rx_keys *k, unsigned sock,
		       const uint8_t node_id[DISCV5_NODE_ID_LEN]);

/* discv5_rx_keys_on() counts the sockets with discv5 on. */
unsigned discv5_rx_keys_on(const struct discv5_rx_keys *k);

/* ---- the per-worker stage ---------------------------------------------- */

struct srcbudget;

struct discv5_rx_cfg {
	const struct discv5_rx_keys *keys;      /* shared; outlives the stage */
	struct srcbudget *budget;       /* discv4's (discv4_rx_budget()), or
					 * NULL: no per-source budget */
	uint32_t hs_rate, hs_burst;     /* handshakes/s per source; rate 0:
					 * no limit */
	uint32_t way_rate, way_burst;   /* WHOAREYOUs/s per destination;
					 * rate 0: no limit */
	uint32_t slots;                 /* sources per table; 0: default */
};

struct discv5_rx;

/* discv5_rx_new() allocates a worker's stage (its handshake budget and
 * WHOAREYOU limiter tables; the only allocations). Returns 0, -EINVAL
 * (no keys, a rate without burst), -ENOMEM. */
int discv5_rx_new(struct discv5_rx **out, const struct discv5_rx_cfg *cfg);

/* discv5_rx_free() releases s; NULL is a no-op. */
void discv5_rx_free(struct discv5_rx *s);

/* discv5_rx_process() checks buf[0..len), a datagram from src_addr
 * (IPv6 or IPv4-mapped) port src_port_be that arrived on socket sock, at
 * mono_ns (CLOCK_MONOTONIC). On DISCV5_RX_ACCEPT it writes the message
 * into out[0..out_cap): header (type, len), src, flag, data_len and the
 * datagram; the caller sets seq, rx_tsc, dst_port_be, sock_idx and
 * queue. out_cap must be at least sizeof(*out) + DISCV5_PACKET_MAX; a
 * smaller out makes every packet a size drop. On other verdicts out is
 * unspecified. Returns the verdict. */
enum discv5_rx_verdict discv5_rx_process(struct discv5_rx *s,
					 const uint8_t *buf, size_t len,
					 const uint8_t src_addr[MSG_ADDR_LEN],
					 uint16_t src_port_be, uint16_t sock,
					 uint64_t mono_ns,
					 struct msg_discv5_rx *out,
					 size_t out_cap);

/* discv5_rx_whoareyou_ok() charges one WHOAREYOU to dst (IPv6 or
 * IPv4-mapped) at mono_ns. Returns true to send it, false to hold it
 * back (the caller counts DP_CNT_WHOAREYOU_LIMITED). */
bool discv5_rx_whoareyou_ok(struct discv5_rx *s,
			    const uint8_t dst[MSG_ADDR_LEN], uint64_t mono_ns);

/* discv5_rx_verdict_cnt() maps a verdict to its enum dp_cnt counter
 * (common/dplink_proto.h); DISCV5_RX_OFF and DISCV5_RX_NOT_V5 have none
 * of their own (discv4's verdict stands) and map to DP_CNT_MAX. */
unsigned discv5_rx_verdict_cnt(enum discv5_rx_verdict v);

#endif /* DATAPLANE_DISCV5_RX_H */
