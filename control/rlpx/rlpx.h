/* SPDX-License-Identifier: MIT */
/* control/rlpx/rlpx.h - RLPx handshake state machine (rlpx.md, EIP-8), sans-I/O.
 *
 * One struct rlpx_hs per pending TCP connection. The caller (control/host/loop.c
 * or a test) owns the socket and the clock: it passes the bytes it received
 * and the current time (nanoseconds, any monotonic origin) and writes out the
 * bytes this module hands back. Nothing here reads a clock, touches a socket
 * or allocates.
 *
 * States (WireGuard shape: the state moves only after every check passed):
 *
 *   INIT --init_initiator--> AUTH_SENT --ack ok--> DONE
 *   INIT --init_recipient--> WAIT_AUTH --auth ok, ack built--> DONE
 *   AUTH_SENT / WAIT_AUTH --bad input, cap, deadline--> FAILED
 *
 * A call made in a state that does not accept it returns -EPROTO and changes
 * nothing. A bad message, an oversized size prefix or the deadline moves the
 * handshake to FAILED, which wipes every secret; rlpx_hs_error() tells why.
 *
 * Received messages: EIP-8 (size prefix, at most RLPX_AUTH_MAX_LEN bytes on
 * the wire, checked from the prefix before buffering the body) and the legacy
 * pre-EIP-8 format. A recipient answers in the format of the auth it got
 * (EIP-8 ack for an EIP-8 auth, legacy ack for a legacy auth, as geth did).
 * We always send EIP-8 auth messages with 100-300 bytes of padding.
 *
 * Threads: one thread at a time per struct; different structs may be used
 * from different threads (see common/ecies.h for the per-thread IPsec-MB
 * manager). */
#ifndef CONTROL_RLPX_H
#define CONTROL_RLPX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rlpx_auth.h"
#include "common/rlpx_frame.h"
#include "common/secp.h"

#define RLPX_HS_TIMEOUT_NS  5000000000ull     /* rlpx.md: 5 s handshake */
#define RLPX_HS_OUT_MAX     RLPX_AUTH_BUF_LEN  /* out buffer for auth or ack */
#define RLPX_HS_NO_DEADLINE UINT64_MAX

enum rlpx_hs_state {
	RLPX_HS_INIT = 0,               /* zeroed or fini'd struct */
	RLPX_HS_AUTH_SENT,              /* initiator: auth written, ack due */
	RLPX_HS_WAIT_AUTH,              /* recipient: auth due */
	RLPX_HS_DONE,                   /* secrets ready for rlpx_hs_take() */
	RLPX_HS_FAILED,                 /* terminal; secrets wiped */
};

/* Handshake state. Treat as opaque: read it through the accessors below.
 * Embedded by the caller; must be zeroed (= {0}) or rlpx_hs_fini()'d before
 * an init call. About 3.5 KiB. */
struct rlpx_hs {
	enum rlpx_hs_state state;
	enum rlpx_role role;
	int error;                      /* FAILED: the -errno that ended it */
	uint64_t deadline;              /* init time + RLPX_HS_TIMEOUT_NS */
	bool inject;                    /* test keys set, see rlpx_hs_inject() */
	bool legacy;                    /* DONE: the remote spoke pre-EIP-8 */
	bool taken;                     /* DONE: secrets handed out */
	bool tried_legacy;              /* rx starts with 0x04: legacy read done */
	uint64_t remote_version;        /* DONE: auth-vsn / ack-vsn received */
	uint8_t priv[SECP_PRIV_LEN];    /* our static key */
	uint8_t eph_priv[SECP_PRIV_LEN];
	uint8_t nonce[RLPX_NONCE_LEN];  /* ours */
	uint8_t remote_pub[SECP_PUB_LEN];
	struct rlpx_secrets secrets;    /* valid in DONE until taken */
	size_t sent_len;
	size_t rx_len;                  /* bytes buffered in rx */
	size_t rx_need;                 /* bytes rx must hold before parsing */
	uint8_t sent[RLPX_AUTH_BUF_LEN];  /* our message as on the wire */
	uint8_t rx[RLPX_AUTH_MAX_LEN];    /* their message so far */
};

/* rlpx_hs_inject() is for tests and benchmarks only: the next init call
 * uses eph_priv and nonce instead of fresh ones from getrandom(2) (the EIP-8
 * vectors need this). Only in INIT; returns 0, -EPROTO (other state) or
 * -EINVAL (eph_priv is not a valid key). Never use in production. */
int rlpx_hs_inject(struct rlpx_hs *hs, const uint8_t eph_priv[SECP_PRIV_LEN],
		   const uint8_t nonce[RLPX_NONCE_LEN]);

/* rlpx_hs_init_initiator() starts a handshake as the dialer with our static
 * key priv towards remote_pub (the node id we dialed). Draws an ephemeral
 * key and a nonce, writes the EIP-8 auth message into out (send all of it)
 * and sets the deadline to now + RLPX_HS_TIMEOUT_NS.
 * Returns the bytes written (at most RLPX_HS_OUT_MAX), or -EPROTO (not in
 * INIT) or -EINVAL (out_cap below RLPX_HS_OUT_MAX, a bad priv, remote_pub
 * not a point), which change nothing, or the -errno of getrandom / the
 * IPsec-MB manager, after which hs is wiped (INIT). */
ssize_t rlpx_hs_init_initiator(struct rlpx_hs *hs, uint8_t *out,
			       size_t out_cap,
			       const uint8_t priv[SECP_PRIV_LEN],
			       const uint8_t remote_pub[SECP_PUB_LEN],
			       uint64_t now);

/* rlpx_hs_init_recipient() starts a handshake on an accepted connection with
 * our static key priv: draws an ephemeral key and a nonce (no EC work yet)
 * and sets the deadline. Returns 0, or -EPROTO (not in INIT), -EINVAL (bad
 * priv), the -errno of getrandom; on error hs stays in INIT. */
int rlpx_hs_init_recipient(struct rlpx_hs *hs,
			   const uint8_t priv[SECP_PRIV_LEN], uint64_t now);

/* rlpx_hs_feed() hands the handshake the bytes buf[0..len) received at time
 * now, in any fragmentation (one byte at a time works). It buffers what the
 * message needs and parses it once complete; no EC work happens before a
 * whole message (per its size prefix or the legacy size) is buffered.
 * out may be NULL for an initiator; out_len may not.
 * On success returns the bytes of buf it consumed; *out_len is set to the
 * bytes to send from out (the recipient's ack when it reaches DONE, else 0).
 * Bytes after the handshake message are not consumed: they belong to the
 * frame stream. Check rlpx_hs_state() for DONE.
 * Errors, after which the state is FAILED and every secret wiped:
 *   -ETIMEDOUT    now is at or past the deadline
 *   -EMSGSIZE     the size prefix announces more than RLPX_AUTH_MAX_LEN or
 *                 less than an ECIES overhead, or the ciphertext is short
 *   -EKEYREJECTED ECIES MAC failed, or the auth signature is bad
 *   -EBADMSG      malformed message, invalid curve point
 *   -ENOMEM       IPsec-MB manager
 * Errors that change nothing: -EPROTO (not in AUTH_SENT / WAIT_AUTH),
 * -EINVAL (out_cap below RLPX_HS_OUT_MAX). */
ssize_t rlpx_hs_feed(struct rlpx_hs *hs, uint8_t *out, size_t out_cap,
		     size_t *out_len, const uint8_t *buf, size_t len,
		     uint64_t now);

/* rlpx_hs_next_deadline() returns when rlpx_hs_on_timer() is due (ns, the
 * caller's clock), or RLPX_HS_NO_DEADLINE outside AUTH_SENT / WAIT_AUTH. */
uint64_t rlpx_hs_next_deadline(const struct rlpx_hs *hs);

/* rlpx_hs_on_timer() checks the deadline at time now. Returns 0 (not yet
 * due), -ETIMEDOUT (due: the state is now FAILED, secrets wiped) or -EPROTO
 * (not in AUTH_SENT / WAIT_AUTH; nothing changes). */
int rlpx_hs_on_timer(struct rlpx_hs *hs, uint64_t now);

/* rlpx_hs_take() copies the session secrets into *s (plain data: the
 * caller may put it in an MSG_RLPX_KEYS ring message and must wipe it with
 * rlpx_secrets_wipe()) and the remote static key (the peer's node id) into
 * remote_pub, then wipes hs's copy. Once per handshake: returns 0, or
 * -EPROTO (not DONE, or already taken; nothing changes). */
int rlpx_hs_take(struct rlpx_hs *hs, struct rlpx_secrets *s,
		 uint8_t remote_pub[SECP_PUB_LEN]);

/* rlpx_hs_state() returns the current state. */
enum rlpx_hs_state rlpx_hs_state(const struct rlpx_hs *hs);

/* rlpx_hs_error() returns the -errno that moved hs to FAILED, else 0. */
int rlpx_hs_error(const struct rlpx_hs *hs);

/* rlpx_hs_remote_legacy() returns true when a DONE handshake's peer sent a
 * pre-EIP-8 message. */
bool rlpx_hs_remote_legacy(const struct rlpx_hs *hs);

/* rlpx_hs_fini() wipes all of *hs (secrets included) and leaves it in INIT,
 * ready for another init call; it does not free it. */
void rlpx_hs_fini(struct rlpx_hs *hs);

#endif /* CONTROL_RLPX_H */
