/* SPDX-License-Identifier: MIT */
/* control/host/dplink.h - control's side of the dataplane link: spawn or attach
 * devplane-dp, rx/tx over the shared rings, counters. No protocol logic. */
#ifndef CONTROL_DPLINK_H
#define CONTROL_DPLINK_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/dplink_proto.h"
#include "common/msg.h"

struct dplink_cfg {
	const char *dp_path;            /* devplane-dp binary; NULL: $DEVPLANE_DP,
					 * then next to this executable (and
					 * ../dataplane/ in a build tree),
					 * then $PATH */
	const char *backend;            /* NULL: "socket" */
	const char *eal;                /* dpdk: EAL arguments, passed on the
					 * child's command line (--eal); control
					 * itself never starts EAL */
	unsigned n_queues;              /* 0: 1 */
	const struct dplink_listen *listen;     /* port 0: any */
	unsigned n_listen;              /* >= 1; sock_idx unique */
	uint32_t budget_rate;           /* packets/s per source IP; 0: off */
	uint32_t budget_burst;
	uint32_t budget_slots;          /* 0: dataplane default */
	uint32_t cache_slots;           /* 0: hash cache off */
	uint32_t ring_size;             /* 0: 2048 descriptors */
	uint32_t n_slots;               /* 0: 4096 per queue */
	uint32_t rlpx_frame_cap;        /* largest RLPx frame-size; 0: 16 MiB */
	/* xdp backend: ban a source (/32, /64) after ban_sig_count bad
	 * signatures within ban_sig_window_s seconds, for ban_secs seconds
	 * (common/dplink_proto.h; 0: the dataplane's defaults,
	 * ban_sig_count DPLINK_BAN_OFF: never). */
	uint32_t ban_sig_count;
	uint32_t ban_sig_window_s;
	uint32_t ban_secs;
	/* discv5 limits (struct dplink_msg_config: handshakes per source,
	 * WHOAREYOUs per destination; 0: defaults, DPLINK_V5_OFF: none) */
	uint32_t v5_hs_rate, v5_hs_burst;
	uint32_t v5_way_rate, v5_way_burst;
};

/* dplink_find_binary() writes the devplane-dp to exec into buf[0..cap):
 * want if set, else $DEVPLANE_DP, else next to this executable (or in
 * ../dataplane/ of a build tree), else plain "devplane-dp" ($PATH). */
void dplink_find_binary(char *buf, size_t cap, const char *want);

struct dplink;                          /* heap object */

struct rlpx_frame;

/* A received message, copied out of its shared slot (DESIGN.md, Trust
 * boundaries: the dataplane may rewrite a slot at any time, so control
 * reads it once): the fixed part with msg_load(), checked on the copy,
 * then the payload with the length checked there. kind says which
 * pointer is set; it points at copy[], inside this struct, so a struct
 * dplink_rx must not be copied by value. Route on kind:
 *   MSG_DISCV4_RX   msg     a checked discv4 packet
 *   MSG_DISCV5_RX   v5      a datagram that passed discv5's static-header
 *                           check (dataplane/stage/discv5_rx.h)
 *   MSG_RLPX_RX     rlpx    one fragment of a session's message, in order
 *                           per session (frag_off rising, F_LAST ends it)
 *   MSG_RLPX_CLOSED closed  the session ended; its id is free again */
struct dplink_rx {
	union {
		const struct msg_discv4_rx *msg;
		const struct msg_discv5_rx *v5;
		const struct msg_rlpx_data *rlpx;
		const struct msg_rlpx_closed *closed;
	};
	uint32_t slot;                  /* the slot it came in (already free) */
	uint8_t kind;                   /* enum msg_type */
	_Alignas(8) uint8_t copy[MSG_SLOT_SIZE];
};

/* dplink_spawn() starts devplane-dp as a child (fork + exec, one end of a
 * SOCK_SEQPACKET socketpair as its --control-fd), creates the ring region
 * and counter region (memfds) and the eventfds, passes them with
 * SCM_RIGHTS, sends the config and waits (up to 10 s) for READY. Returns 0
 * and *out, -EINVAL (bad cfg), -ENOENT (no binary), the dataplane's own
 * -errno (e.g. -EADDRINUSE), -ETIMEDOUT, or -errno. On failure the child
 * is reaped. */
int dplink_spawn(struct dplink **out, const struct dplink_cfg *cfg);

/* dplink_attach() connects to a long-running `devplane-dp --shm PATH` via
 * its control socket PATH.sock and maps what it sends. Returns 0 and
 * *out, -ECONNREFUSED/-ENOENT (not running), -EBUSY (another control is
 * attached), -EBADMSG, or -errno. */
int dplink_attach(struct dplink **out, const char *path);

/* dplink_set_allow() sends control's --netrestrict prefixes p[0..n) (n
 * may be 0: none) and waits (up to 10 s) for the outcome. An xdp
 * dataplane makes them its shield's netrestrict allow-list entries
 * (replacing any a previous instance left), so discovery from other
 * sources is dropped in XDP, and removes them when this link closes;
 * other backends have no shield and accept the list without using it.
 * *installed (may be NULL) is how many went into a shield. Call it once,
 * right after dplink_spawn()/dplink_attach(), before traffic flows.
 * Returns 0, -EINVAL (n > DPLINK_MAX_ALLOW), the dataplane's -errno
 * (-ENOSPC: the shield's allow-list is full), -ETIMEDOUT, -EBADMSG, or
 * the -errno of the control socket. */
int dplink_set_allow(struct dplink *l, const struct dplink_prefix *p,
		     unsigned n, unsigned *installed);

/* dplink_close() detaches. A spawned child is asked to exit (SHUTDOWN,
 * then EOF), waited for up to 2 s, then killed, and always reaped.
 * dplink_close(NULL) is a no-op. */
void dplink_close(struct dplink *l);

/* dplink_pid() is the spawned child's pid, or 0 when attached. */
pid_t dplink_pid(const struct dplink *l);

/* dplink_hugetlb() tells whether the ring region sits on huge pages. */
bool dplink_hugetlb(const struct dplink *l);

/* dplink_n_queues() and dplink_n_listen() report the dataplane's shape. */
unsigned dplink_n_queues(const struct dplink *l);
unsigned dplink_n_listen(const struct dplink *l);

/* dplink_listen_entry() is listen entry i as the dataplane bound it (the
 * real port when 0 was asked for), or NULL if i >= dplink_n_listen(). */
const struct dplink_listen *dplink_listen_entry(const struct dplink *l,
						unsigned i);

/* dplink_notify_fd() is readable when received packets may be waiting;
 * put it in the event loop's epoll set and call dplink_rx_burst(). */
int dplink_notify_fd(const struct dplink *l);

/* dplink_rx_burst() takes up to n received messages from the workers'
 * rings (round robin), each copied into out[i] and validated there (see
 * struct dplink_rx); their slots go back to the pool at once. Malformed
 * messages are freed, counted (dplink_rx_bad()) and skipped. If it fills
 * out[] completely it re-arms the notify fd, so the loop may return to
 * epoll at any time. Returns how many. */
unsigned dplink_rx_burst(struct dplink *l, struct dplink_rx *out,
			 unsigned n);

/* dplink_rx_free() is what releasing rx[0..n) used to be: the slots are
 * already free (dplink_rx_burst() copied them), so it does nothing. */
void dplink_rx_free(struct dplink *l, const struct dplink_rx *rx, unsigned n);

/* dplink_rx_bad() counts the messages from the dataplane that failed
 * validation. */
uint64_t dplink_rx_bad(const struct dplink *l);

/* dplink_send_discv4() copies a complete signed packet pkt[0..len) into a
 * slot and queues it for socket sock_idx towards dst_addr (IPv6 or
 * IPv4-mapped) port dst_port_be, waking the worker if it sleeps. Returns
 * 0, -EINVAL (len over 1280 or 0), -ENOBUFS (pool empty or ring full:
 * dropped, as the network would). */
int dplink_send_discv4(struct dplink *l, uint16_t sock_idx,
		       const uint8_t dst_addr[MSG_ADDR_LEN],
		       uint16_t dst_port_be, const uint8_t *pkt, size_t len);

/* dplink_send_disc() is dplink_send_discv4() for any discovery datagram,
 * with tx_flags (MSG_TX_F_WHOAREYOU: a discv5 WHOAREYOU, which the
 * dataplane sends only within its destination's limit). */
int dplink_send_disc(struct dplink *l, uint16_t sock_idx,
		     const uint8_t dst_addr[MSG_ADDR_LEN], uint16_t dst_port_be,
		     const uint8_t *pkt, size_t len, uint8_t tx_flags);

/* dplink_set_v5() turns discv5 on (entry on = 1, with the socket's local
 * node id) or off for the sockets s[0..n) (other sockets keep their
 * state), in chunks of DPLINK_V5_CHUNK, waiting (up to 10 s) for each
 * outcome. Until then the dataplane treats everything on a socket as
 * discv4. *n_on (may be NULL) is the sockets with discv5 on afterwards.
 * Call it after dplink_set_allow(), before traffic flows. Returns 0,
 * -EINVAL (a sock_idx out of range), -ETIMEDOUT, -EBADMSG, or the -errno
 * of the control socket. */
int dplink_set_v5(struct dplink *l, const struct dplink_v5_sock *s,
		  unsigned n, unsigned *n_on);

/* dplink_rlpx_handover() gives an established RLPx session to the
 * dataplane (the kernel-TLS split): the socket fd goes over the control
 * socket (SCM_RIGHTS) tagged with session_id, and f's record-layer state
 * (rlpx_frame_export()) through worker (session_id % n_queues)'s ring as
 * MSG_RLPX_KEYS with flags (MSG_RLPX_KEYS_F_SNAPPY for p2p >= 5). f must be
 * between frames (no header read without its body). fd is closed here on
 * every path: control must not touch the socket again, and should
 * rlpx_frame_fini(f). From now on the session's messages arrive as
 * MSG_RLPX_RX and its end as exactly one MSG_RLPX_CLOSED. session_id must
 * be unique among live sessions. Returns 0, -ENOBUFS (ring full or pool
 * empty: nothing was sent, retry), -EPROTO (f mid-frame or poisoned), or
 * the -errno of the control socket. */
int dplink_rlpx_handover(struct dplink *l, uint64_t session_id, int fd,
			 const struct rlpx_frame *f, uint32_t flags);

/* The two halves of dplink_rlpx_handover(), to send apart (tests use them
 * to let one half arrive late). dplink_rlpx_handover_keys() puts the
 * MSG_RLPX_KEYS on the ring (fd, if >= 0, is only read for the remote
 * address and stays the caller's); returns 0, -ENOBUFS, -EPROTO.
 * dplink_rlpx_handover_fd() sends a copy of fd (SCM_RIGHTS; the caller
 * still closes its own); returns 0 or the -errno of the control socket.
 * The dataplane holds what is sent to the session until both are in, and
 * ends it with MSG_RLPX_CLOSED (-ETIMEDOUT) if one never comes (5 s). */
int dplink_rlpx_handover_keys(struct dplink *l, uint64_t session_id, int fd,
			      const struct rlpx_frame *f, uint32_t flags);
int dplink_rlpx_handover_fd(struct dplink *l, uint64_t session_id, int fd);

/* dplink_rlpx_send() queues message (code, payload[0..len)) for
 * session_id, uncompressed: the dataplane compresses (if snappy is on),
 * seals and writes it. Big messages are split over slots; either all
 * fragments go or none. Returns 0, -ENOBUFS (not enough ring or pool room
 * now: retry), -EMSGSIZE (len above 16 MiB, or more fragments than the ring
 * can ever hold). */
int dplink_rlpx_send(struct dplink *l, uint64_t session_id, uint64_t code,
		     const uint8_t *payload, size_t len);

/* dplink_rlpx_close() asks the dataplane to end session_id, sending a p2p
 * Disconnect with reason first unless reason is MSG_RLPX_REASON_NONE. The
 * MSG_RLPX_CLOSED reply (origin MSG_CLOSE_LOCAL) says when it is gone.
 * Returns 0 or -ENOBUFS (retry). */
int dplink_rlpx_close(struct dplink *l, uint64_t session_id, uint8_t reason);

/* dplink_stats() writes the counters of worker q (q < dplink_n_queues())
 * or, for q == UINT32_MAX, the sum over workers into cnt[DP_CNT_MAX].
 * Returns 0 or -EINVAL. Reads shared memory; no round trip. */
int dplink_stats(const struct dplink *l, uint32_t q,
		 uint64_t cnt[DP_CNT_MAX]);

/* dplink_shared() is the mapped counter region (for metrics export). */
const struct dplink_shm *dplink_shared(const struct dplink *l);

#endif /* CONTROL_DPLINK_H */
