/* SPDX-License-Identifier: MIT */
/* tests/control/sim.h - in-process network of discv4 engines on a fake clock. */
#ifndef TESTS_CONTROL_SIM_H
#define TESTS_CONTROL_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv4_wire.h"
#include "control/discv4/discv4.h"
#include "control/base/localnode.h"

/*
 * A tiny simulator: peers are either engines (struct discv4 with their own
 * local node) or raw endpoints that only collect what they receive, so a
 * test can play the remote side by hand. Packets travel through one queue
 * ordered by delivery time, with optional loss and delay; delivery does
 * what the dataplane does (hash check, signature recovery, struct
 * msg_discv4_rx) and then calls discv4_on_packet(). Time only moves inside
 * sim_run(), which also fires each engine's timer at its deadline.
 */

struct sim_pkt {
	uint64_t at, seq;
	unsigned from;                  /* sender peer index */
	uint8_t src_ip[16];             /* envelope source (may be spoofed) */
	uint16_t src_port;
	uint8_t dst_ip[16];
	uint16_t dst_port;
	uint16_t len;
	uint8_t data[DISCV4_MAX_LEN];
};

struct sim_rx {                         /* what a raw peer received */
	unsigned from;
	struct discv4_packet pkt;
	uint8_t hash[DISCV4_HASH_LEN];
	size_t len;
};

struct sim;

struct sim_peer {
	struct sim *s;
	unsigned idx;
	uint8_t priv[32];
	uint8_t pub[64];
	uint8_t ip[16];
	uint16_t port;
	bool raw;
	struct localnode ln;
	struct discv4 *d;               /* NULL for raw peers */
	uint64_t deadline;
	struct sim_rx *inbox;
	size_t n_inbox, cap_inbox;
};

struct sim {
	struct sim_peer **peers;
	unsigned n, cap;
	struct sim_pkt **q;             /* binary min-heap on (at, seq) */
	size_t nq, capq;
	uint64_t now, seq, rng;
	unsigned loss_pct;
	uint64_t delay_ns, jitter_ns;
	uint64_t sent, lost, delivered;
};

/* sim_init() starts an empty network at now_ns. */
void sim_init(struct sim *s, uint64_t now_ns, uint64_t seed);
/* sim_fini() frees engines, peers and queued packets. */
void sim_fini(struct sim *s);
/* sim_set_net() sets the loss (percent) and the delivery delay
 * (delay_ns + uniform jitter in [0, jitter_ns)). */
void sim_set_net(struct sim *s, unsigned loss_pct, uint64_t delay_ns,
		 uint64_t jitter_ns);
/* sim_add_engine() adds an engine at ip:port; cfg (may be NULL) supplies
 * options (its ln/send fields are ignored). Returns the index or -errno. */
int sim_add_engine(struct sim *s, const uint8_t ip[16], uint16_t port,
		   const struct discv4_config *cfg);
/* sim_add_raw() adds a raw peer (same key derivation). */
int sim_add_raw(struct sim *s, const uint8_t ip[16], uint16_t port);
/* sim_node() describes peer i as a wire node. */
struct discv4_node sim_node(const struct sim *s, unsigned i);
/* sim_send_raw() encodes p with raw peer `from`'s key and queues it for
 * peer `to`; the packet hash goes to hash (may be NULL). Returns 0/-errno. */
int sim_send_raw(struct sim *s, unsigned from, unsigned to,
		 const struct discv4_packet *p, uint8_t hash[32]);
/* sim_send_raw_from() is sim_send_raw() with a spoofed source ip:port. */
int sim_send_raw_from(struct sim *s, unsigned from, const uint8_t ip[16],
		      uint16_t port, unsigned to,
		      const struct discv4_packet *p, uint8_t hash[32]);
/* sim_run() advances the clock by dur_ns, delivering packets and timers. */
void sim_run(struct sim *s, uint64_t dur_ns);
/* sim_touch() re-reads peer i's deadline after a direct engine call. */
void sim_touch(struct sim *s, unsigned i);
/* sim_ip4() writes ::ffff:a.b.c.d. */
void sim_ip4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d);
/* sim_find() returns the index of the peer at ip:port, or -1. */
int sim_find(const struct sim *s, const uint8_t ip[16], uint16_t port);

#endif /* TESTS_CONTROL_SIM_H */
