/* SPDX-License-Identifier: MIT */
/* control/tester/v5test_conn.h - the discv5 conformance suite's tester peer. */
#ifndef CONTROL_V5TEST_CONN_H
#define CONTROL_V5TEST_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/discv5/discv5.h"

/*
 * What control/tester/v5test.c's cases are made of: a peer speaking discv5
 * by hand with the common/ codec over the tester's own UDP sockets
 * (control/tester/v4test_io.h), so that it can test our engine as well as
 * anyone else's. Not thread-safe: the error text is one buffer.
 */

/* What a conn needs to know of the run (from struct v5test_cfg). */
struct v5tc_cfg {
	struct discv5_node remote;      /* node under test */
	uint8_t l1[16], l2[16];         /* tester addresses */
	uint32_t wait_ms;               /* reply timeout */
	uint32_t bystander_wait_s;
};

#define V5TC_ERR_LEN   256
#define V5TC_SENT_KEEP 8        /* bystander: answers to re-send */
#define V5TC_FOUND_MAX 64       /* records kept per FINDNODE */

/*
 * A tester conn is geth's v5test conn: one node key, one record, one codec
 * with one session to the node under test, and up to two sockets (the
 * session is shared by both, as geth's single codec shares it: that is
 * what the multi-IP cases rely on).
 */
struct v5tc {
	const struct v5tc_cfg *cfg;
	uint32_t wait_ms;
	uint8_t priv[SECP_PRIV_LEN];
	struct localnode ln;
	bool ln_ok;
	struct discv5_mask_key mask;
	int fd[2];
	uint16_t port[2];
	bool has_keys;
	uint8_t wkey[DISCV5_KEY_LEN], rkey[DISCV5_KEY_LEN];
	uint32_t ctr;
	uint32_t reqid;
	uint8_t last[DISCV5_PACKET_MAX];        /* the last packet sent */
	size_t last_len;
	/* bystanders: what we answered, by nonce, to re-send on WHOAREYOU */
	struct {
		uint8_t nonce[DISCV5_GCM_NONCE_LEN];
		uint16_t len;
		uint8_t pt[DISCV5_PACKET_MAX];
	} sent[V5TC_SENT_KEEP];
	unsigned n_sent;
	bool live;                              /* the node pinged us */
	/* bystanders: records to answer FINDNODE with (by distance) */
	const struct discv5_node *known;
	unsigned n_known;
};

enum { V5TC_TIMEOUT = 0, V5TC_WHOAREYOU, V5TC_MSG, V5TC_UNKNOWN, V5TC_ERROR };

struct v5tc_resp {
	int kind;
	struct discv5_header h;
	struct discv5_msg m;
	uint8_t pt[DISCV5_PACKET_MAX];
	uint8_t from[16];
	uint16_t from_port;
};

/* v5tc_err holds the reason of the last v5tc_fail(). */
extern char v5tc_err[V5TC_ERR_LEN];

/* v5tc_fail() formats the reason into v5tc_err and returns -1. */
__attribute__((format(printf, 1, 2)))
int v5tc_fail(const char *fmt, ...);

/* v5tc_kind() names what v5tc_read() got, for messages. */
const char *v5tc_kind(const struct v5tc_resp *r);

/* v5tc_open() makes a tester with a fresh key and a socket on cfg->l1
 * (and cfg->l2 when two). With endpoint its record carries l1 and the
 * first socket's port (bystanders: the node pings them); else no address,
 * as geth's. Returns 0 or v5tc_fail(). */
int v5tc_open(struct v5tc *c, const struct v5tc_cfg *cfg, bool two,
	      bool endpoint);

/* v5tc_close() closes the sockets and wipes the key. */
void v5tc_close(struct v5tc *c);

/* v5tc_remote() is the node under test. */
static inline const struct discv5_node *v5tc_remote(const struct v5tc *c)
{
	return &c->cfg->remote;
}

/* v5tc_send_raw() sends pkt[0..len) from socket li (and keeps it as the
 * last packet sent). */
int v5tc_send_raw(struct v5tc *c, unsigned li, const uint8_t *pkt,
		  size_t len);

/* v5tc_write() sends message plaintext pt from socket li: in a handshake
 * answering who when given (new keys; our record when who's enr-seq is
 * below ours), sealed when a session exists, else as the junk packet that
 * asks for a WHOAREYOU. *nonce gets the packet's nonce. */
int v5tc_write(struct v5tc *c, unsigned li, const uint8_t *pt, size_t pt_len,
	       const struct discv5_header *who,
	       uint8_t nonce[DISCV5_GCM_NONCE_LEN]);

/* v5tc_enc() encodes m into pt (DISCV5_PACKET_MAX); 0 on error. */
size_t v5tc_enc(uint8_t *pt, const struct discv5_msg *m);

/* v5tc_reqid() gives m the conn's next 4-byte request id. */
void v5tc_reqid(struct v5tc *c, struct discv5_msg *m);

/* v5tc_answer() answers a request the node sent us: PONG, NODES with the
 * known records at the asked distances from our id, an empty TALKRESP (a
 * PING also marks the conn live). */
void v5tc_answer(struct v5tc *c, unsigned li, const struct v5tc_resp *r);

/* v5tc_read() waits up to the conn's wait for the next packet on socket
 * li; requests from the node are answered and skipped. Returns r->kind. */
int v5tc_read(struct v5tc *c, unsigned li, struct v5tc_resp *r);

/* v5tc_reqresp() is geth's conn.reqresp: send, and on WHOAREYOU send
 * again in a handshake; returns the answer's kind. */
int v5tc_reqresp(struct v5tc *c, unsigned li, const uint8_t *pt, size_t len,
		 struct v5tc_resp *r);

/* v5tc_ping() sends a PING (copied to *sent if given) and reads. */
int v5tc_ping(struct v5tc *c, unsigned li, struct v5tc_resp *r,
	      struct discv5_msg *sent);

/* v5tc_check_pong() checks r is the PONG to ping_msg, mirroring socket
 * li's address. Returns 0 or v5tc_fail(). */
int v5tc_check_pong(struct v5tc *c, unsigned li, const struct v5tc_resp *r,
		    const struct discv5_msg *ping_msg);

/* v5tc_session() makes a session on l1: PING, good PONG. */
int v5tc_session(struct v5tc *c, struct v5tc_resp *r);

/* v5tc_findnode() asks for dist[0..nd) and collects the verified records
 * of the NODES answer into out[0..V5TC_FOUND_MAX). */
int v5tc_findnode(struct v5tc *c, unsigned li, const uint16_t *dist,
		  size_t nd, struct discv5_node *out, unsigned *n_out);

/* v5tc_still_alive() checks the node answers a new peer's PING. */
int v5tc_still_alive(const struct v5tc_cfg *cfg);

#endif /* CONTROL_V5TEST_CONN_H */
