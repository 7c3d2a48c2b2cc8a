/* SPDX-License-Identifier: MIT */
/* tests/control/discv5/v5net.h - in-process discv5 network on a fake clock. */
#ifndef TESTS_CONTROL_V5NET_H
#define TESTS_CONTROL_V5NET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "control/base/localnode.h"
#include "control/discv5/discv5.h"

/*
 * Nodes are engines (struct discv5 on their own local node) or raw peers,
 * which only collect what they receive so that a test can play the remote
 * side by hand with the common/ codec: send a random packet or a WHOAREYOU,
 * answer a challenge with a handshake, accept a handshake, seal and open
 * messages on the one session a raw peer keeps. Packets travel through one
 * queue ordered by delivery time (fixed delay, optional loss); time moves
 * only inside v5net_run(), which also fires each engine's timer at its
 * deadline. Randomness is a per-node splitmix64 stream: reproducible.
 */

struct v5net_pkt {
	uint64_t at, seq;
	uint8_t src_ip[16];
	uint16_t src_port;
	uint8_t dst_ip[16];
	uint16_t dst_port;
	uint16_t len;
	uint8_t data[DISCV5_PACKET_MAX];
};

struct v5net;

struct v5net_node {
	struct v5net *net;
	unsigned idx;
	uint8_t priv[32];
	uint8_t ip[16];
	uint16_t port;
	struct localnode ln;
	struct discv5 *d;               /* NULL for raw peers */
	struct discv5_mask_key mask;    /* of our id: unmask what we get */
	uint64_t deadline;
	uint64_t rng;
	bool down;                      /* receives nothing (a dead node) */
	/* raw peers */
	struct v5net_pkt *inbox;
	size_t n_inbox, cap_inbox;
	uint8_t wkey[DISCV5_KEY_LEN], rkey[DISCV5_KEY_LEN];
	uint32_t ctr;
	bool has_keys;
};

/* tap: sees every packet as it is sent (before loss). */
typedef void v5net_tap_fn(void *user, const struct v5net_pkt *p);

struct v5net {
	struct v5net_node **nodes;
	unsigned n, cap;
	struct v5net_pkt **q;           /* binary min-heap on (at, seq) */
	size_t nq, capq;
	uint64_t now, seq, rng;
	unsigned loss_pct;
	uint64_t delay_ns;
	uint64_t sent, lost, delivered;
	v5net_tap_fn *tap;
	void *tap_user;
	bool (*drop_fn)(void *user, const struct v5net_pkt *p);
	void *drop_user;
};

void v5net_init(struct v5net *net, uint64_t now_ns, uint64_t seed);
void v5net_fini(struct v5net *net);
/* v5net_ip4() writes ::ffff:a.b.c.d. */
void v5net_ip4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d);
/* v5net_add() adds an engine at ip:port; tmpl (may be NULL) supplies
 * options (its ln/send/random fields are replaced). Returns the index or
 * -errno. */
int v5net_add(struct v5net *net, const uint8_t ip[16], uint16_t port,
	      const struct discv5_config *tmpl);
/* v5net_add_raw() adds a raw peer with a key and a signed record. */
int v5net_add_raw(struct v5net *net, const uint8_t ip[16], uint16_t port);
/* v5net_node() is node i as a verified record. */
struct discv5_node v5net_node(const struct v5net *net, unsigned i);
/* v5net_run() advances the clock by dur_ns, delivering packets and
 * firing timers. */
void v5net_run(struct v5net *net, uint64_t dur_ns);
/* v5net_touch() re-reads engine i's deadline after a direct call. */
void v5net_touch(struct v5net *net, unsigned i);
/* v5net_inject() queues pkt[0..len) from src ip:port to node to. */
void v5net_inject(struct v5net *net, const uint8_t src_ip[16],
		  uint16_t src_port, unsigned to, const uint8_t *pkt,
		  size_t len);
/* v5net_random() is the engines' random callback (user: the node). */
int v5net_random(void *user, uint8_t *buf, size_t len);

/* Raw peers. All return 0 or -errno. */
/* v5net_raw_pop() takes the oldest packet raw peer i received. */
bool v5net_raw_pop(struct v5net *net, unsigned i, struct v5net_pkt *out);
/* v5net_raw_clear() drops raw peer i's inbox. */
void v5net_raw_clear(struct v5net *net, unsigned i);
/* v5net_raw_decode() unmasks and decodes a packet raw peer i received. */
int v5net_raw_decode(struct v5net *net, unsigned i, const struct v5net_pkt *p,
		     struct discv5_header *h);
/* v5net_raw_random() sends the handshake-starting junk packet to `to`;
 * nonce (may be NULL) gets its nonce. */
int v5net_raw_random(struct v5net *net, unsigned i, unsigned to,
		     uint8_t nonce[DISCV5_GCM_NONCE_LEN]);
/* v5net_raw_whoareyou() challenges `to`'s packet with nonce; challenge
 * gets the challenge-data. */
int v5net_raw_whoareyou(struct v5net *net, unsigned i, unsigned to,
			const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			uint64_t enr_seq,
			uint8_t challenge[DISCV5_CHALLENGE_LEN]);
/* v5net_raw_accept() verifies `to`'s handshake h against challenge (the
 * id-signature with to's key), derives the keys as recipient, stores them
 * and opens the message into pt. Returns the plaintext length. */
ssize_t v5net_raw_accept(struct v5net *net, unsigned i, unsigned to,
			 const struct discv5_header *h,
			 const uint8_t challenge[DISCV5_CHALLENGE_LEN],
			 uint8_t *pt, size_t cap);
/* v5net_raw_handshake() answers `to`'s WHOAREYOU who as initiator: new
 * keys, and m sealed in a handshake packet (with our record when
 * with_record). */
int v5net_raw_handshake(struct v5net *net, unsigned i, unsigned to,
			const struct discv5_header *who,
			const struct discv5_msg *m, bool with_record);
/* v5net_raw_connect() runs the whole initiator side: junk packet,
 * WHOAREYOU, handshake carrying m. The network runs for up to 100 ms. */
int v5net_raw_connect(struct v5net *net, unsigned i, unsigned to,
		      const struct discv5_msg *m);
/* v5net_raw_send() seals m (or raw pt) on the session and sends it. */
int v5net_raw_send(struct v5net *net, unsigned i, unsigned to,
		   const struct discv5_msg *m);
int v5net_raw_send_pt(struct v5net *net, unsigned i, unsigned to,
		      const uint8_t *pt, size_t len);
/* v5net_raw_open() opens a message packet with the session's read key. */
ssize_t v5net_raw_open(struct v5net *net, unsigned i,
		       const struct discv5_header *h, uint8_t *pt, size_t cap);
/* v5net_raw_next_msg() pops packets until a message packet that opens
 * and decodes; returns 1 with *m (views into pt), 0 if none. */
int v5net_raw_next_msg(struct v5net *net, unsigned i, struct discv5_msg *m,
		       uint8_t *pt, size_t cap);

#endif /* TESTS_CONTROL_V5NET_H */
