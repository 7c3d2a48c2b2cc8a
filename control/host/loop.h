/* SPDX-License-Identifier: MIT */
/* control/host/loop.h - the control process's event loop: epoll, timers, signals,
 * the dataplane link, the metrics listener, and the engines it hosts. */
#ifndef CONTROL_LOOP_H
#define CONTROL_LOOP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dplink_proto.h"
#include "control/base/wallclock.h"
#include "control/discv4/discv4.h"
#include "control/discv5/discv5.h"
#include "control/host/dplink.h"
#include "control/base/netutil.h"
#include "control/store/nodedb.h"

/*
 * One struct loop owns every file descriptor and the clock of the control
 * process, as DESIGN.md asks: an epoll set holding a timerfd (armed
 * to the earliest deadline of all hosted engines, the user alarm and the
 * database commit), a signalfd (SIGINT, SIGTERM: clean shutdown), the
 * dataplane link's notify fd, and the optional metrics HTTP listener.
 * It is the only file in control/ that calls epoll, timerfd, signalfd or
 * sockets.
 *
 * Engines are sans-I/O (control/discv4/discv4.h, control/discv5/discv5.h):
 * the loop hands each received packet to the engine attached to the
 * packet's sock_idx (MSG_DISCV4_RX to the discv4 one, MSG_DISCV5_RX to the
 * discv5 one), ticks engines whose deadline passed, and sends what they
 * emit through loop_send() / loop_send_v5(). One loop hosts up to one
 * engine of each protocol per dataplane socket (devplane testnet runs a
 * thousand).
 *
 * Time is CLOCK_MONOTONIC in nanoseconds, for every deadline and interval
 * (the timerfd runs on it with absolute expirations), so a wall clock that
 * NTP steps back stalls nothing. Engines that put Unix time on the wire or
 * in storage add loop_wallclock()'s offset (control/base/wallclock.h),
 * which the loop refreshes from both clocks on every wake-up.
 *
 * Threading: everything runs on the thread that calls loop_run().
 */

#define LOOP_COMMIT_NS    1000000000ull /* node database batch interval */
#define LOOP_MAX_CONNS    16            /* concurrent metrics connections */

/* Called after the loop handed an engine a packet or a timer tick, so its
 * owner can persist state that changed (the local ENR seq). */
typedef void loop_post_fn(void *user, uint64_t now_ns);
/* A one-shot user alarm (loop_alarm()). */
typedef void loop_alarm_fn(void *arg, uint64_t now_ns);

struct loop_cfg {
	/* Dataplane: attach_path NULL spawns devplane-dp (dp_path as in
	 * dplink_cfg) with the socket backend; otherwise attach to a running
	 * `devplane-dp --shm attach_path`. */
	const char *attach_path;
	/* No dataplane at all (no listen sockets, no engines, no metrics):
	 * a loop for timers and watched fds only (devplane dns verify). */
	bool no_dataplane;
	const char *dp_path;
	const char *backend;            /* spawned: NULL "socket", "xdp:IFNAME",
					 * "dpdk[:IFNAME]" */
	const char *eal;                /* spawned dpdk: EAL arguments */
	unsigned n_queues;              /* 0: 1 */
	const struct dplink_listen *listen;     /* sock_idx must be 0..n-1 */
	unsigned n_listen;
	uint32_t ring_size, n_slots;    /* 0: dplink defaults */
	/* Peers expected behind one source IP (0: 1). A spawned dataplane's
	 * per-source budget (LOOP_DP_BUDGET_*) is scaled by it: a loopback
	 * testnet has all of its nodes on 127.0.0.1. */
	unsigned peers_per_ip;
	/* Spawned dataplane's per-source budget set by the operator
	 * (--dataplane.budget; rate 0: off) instead of the default. */
	bool budget_set;
	uint32_t budget_rate, budget_burst;
	/* Spawned xdp dataplane's ban policy (dplink_cfg): ban a source
	 * after ban_sig_count bad signatures within ban_sig_window_s, for
	 * ban_secs; 0: the dataplane's defaults, ban_sig_count
	 * DPLINK_BAN_OFF: never. */
	uint32_t ban_sig_count, ban_sig_window_s, ban_secs;
	/* --netrestrict: handed to the dataplane (dplink_set_allow()), whose
	 * xdp backend drops other sources' discovery in its shield while
	 * this process runs; the engines filter by themselves too. */
	const struct netutil_prefix *netrestrict;
	size_t n_netrestrict;
	/* Node database committed every LOOP_COMMIT_NS (NULL: none). The loop
	 * opens a batch at start and commits it at shutdown. */
	struct nodedb *db;
	/* Metrics HTTP listener on metrics_addr:metrics_port when set. */
	bool metrics;
	uint8_t metrics_addr[16];
	uint16_t metrics_port;          /* 0: any (see loop_metrics_port()) */
	int verbosity;                  /* 0 silent .. 5; 3 info */
	/* The wall clock (NULL: CLOCK_REALTIME): tests step it to show that
	 * no deadline depends on it. */
	uint64_t (*unix_clock)(void);
};

struct loop;

/* loop_new() creates the epoll set, spawns or attaches the dataplane with
 * cfg->listen, opens the metrics listener, then blocks SIGINT and SIGTERM
 * and routes them to a signalfd. Returns 0, -EINVAL, -ENOMEM, or the
 * -errno of dplink_spawn()/dplink_attach()/socket calls (-EADDRINUSE). */
int loop_new(struct loop **out, const struct loop_cfg *cfg);

/* loop_free() detaches every engine (without freeing them), commits the
 * database batch, closes the dataplane link (which stops and reaps a
 * spawned child) and every fd, and restores the signal mask. NULL is a
 * no-op. */
void loop_free(struct loop *l);

/* loop_now() is CLOCK_MONOTONIC in nanoseconds: the `now` of every engine
 * and deadline. loop_unix_now() is CLOCK_REALTIME in nanoseconds, for
 * what is written down (logs, files). */
uint64_t loop_now(void);
uint64_t loop_unix_now(void);

/* loop_wallclock() is the loop's Unix-minus-monotonic offset, refreshed on
 * every wake-up; engines keep the pointer (valid for the loop's life). */
const struct wallclock *loop_wallclock(const struct loop *l);

/* loop_listen_port() is the UDP port the dataplane bound for socket idx
 * (host order), or 0 if idx is out of range. loop_listen_addr() writes its
 * address. */
uint16_t loop_listen_port(const struct loop *l, unsigned idx);
void loop_listen_addr(const struct loop *l, unsigned idx, uint8_t addr[16]);

/* loop_metrics_port() is the bound metrics port (0: off). */
uint16_t loop_metrics_port(const struct loop *l);

/* loop_dp_pid() is the spawned dataplane's pid (0 when attached). */
int loop_dp_pid(const struct loop *l);

/* loop_dp_pages() names what the ring region sits on: "huge pages" or
 * "normal pages" (for the start-up log). */
const char *loop_dp_pages(const struct loop *l);

/* loop_send() is a discv4_send_fn: user must be loop_port(l, idx); the
 * packet leaves through dataplane socket idx. Drops (ring full) are
 * counted in loop_tx_drops(). */
void loop_send(void *user, const uint8_t addr[16], uint16_t port,
	       const uint8_t *pkt, size_t len);

/* loop_port() returns the send-callback context for socket idx (valid for
 * the loop's lifetime), or NULL if idx is out of range. */
void *loop_port(struct loop *l, unsigned idx);

/* loop_tx_drops() counts packets loop_send() could not queue. */
uint64_t loop_tx_drops(const struct loop *l);

/* loop_attach() routes packets of socket idx to engine d and schedules
 * its first tick at start_ns (0: now); post (may be NULL) runs after every
 * call into d. The loop does not own d. Returns 0, -EINVAL (idx out of
 * range), -EBUSY (an engine is attached there). */
int loop_attach(struct loop *l, unsigned idx, struct discv4 *d,
		uint64_t start_ns, loop_post_fn *post, void *user);

/* loop_detach() forgets the engine of socket idx; its packets are then
 * dropped. */
void loop_detach(struct loop *l, unsigned idx);

/* ---- discv5 beside discv4 on the same socket --------------------------------
 *
 * The dataplane hands a socket's datagrams to discv4 first and what fails
 * discv4's size or hash check to discv5 (dataplane/stage/disc_rx.h), once
 * it knows the socket's local node id, whose first 16 bytes unmask
 * discv5's headers. */

/* loop_attach_v5() tells the dataplane to run discv5 on socket idx for
 * node_id (keccak256 of the local public key; dplink_set_v5(), a round
 * trip), routes the socket's MSG_DISCV5_RX to engine d5 and schedules its
 * first tick at start_ns (0: now); post (may be NULL) runs after every
 * call into d5. A discv4 engine may be attached to the same socket or
 * not. The loop does not own d5. Returns 0, -EINVAL, -EBUSY (a discv5
 * engine is attached there), or the -errno of dplink_set_v5(). */
int loop_attach_v5(struct loop *l, unsigned idx, struct discv5 *d5,
		   const uint8_t node_id[32], uint64_t start_ns,
		   loop_post_fn *post, void *user);

/* loop_detach_v5() turns discv5 off on socket idx and forgets its engine. */
void loop_detach_v5(struct loop *l, unsigned idx);

/* loop_engine_v5() is the discv5 engine of socket idx, or NULL. */
struct discv5 *loop_engine_v5(const struct loop *l, unsigned idx);

/* loop_touch_v5() is loop_touch() for the discv5 engine of socket idx. */
void loop_touch_v5(struct loop *l, unsigned idx);

/* loop_send_v5() is a discv5_send_fn: user must be loop_port(l, idx). A
 * 63-byte packet is a WHOAREYOU (the only discv5 packet of that size) and
 * goes out flagged MSG_TX_F_WHOAREYOU, for the dataplane's
 * per-destination limit. Drops count in loop_tx_drops(). */
void loop_send_v5(void *user, const uint8_t addr[16], uint16_t port,
		  const uint8_t *pkt, size_t len);

/* loop_touch() re-reads the deadline of the engine on socket idx; call it
 * after starting a request (discv4_ping() and friends) from outside a
 * loop callback. */
void loop_touch(struct loop *l, unsigned idx);

/* loop_alarm() sets the one user alarm to fire at at_ns (replacing any
 * earlier one); fn NULL clears it. */
void loop_alarm(struct loop *l, uint64_t at_ns, loop_alarm_fn *fn, void *arg);

/* loop_run() runs until loop_stop() or a SIGINT/SIGTERM. Returns 0 after
 * loop_stop(), the signal number after a signal, or -errno when the loop
 * itself failed (epoll_wait). */
int loop_run(struct loop *l);

/* loop_stop() makes loop_run() return rc (>= 0) after the current event. */
void loop_stop(struct loop *l, int rc);

/* loop_run_once() is one step of loop_run() for a caller that drives the
 * loop itself: the due timers, then one wait of at most timeout_ms (0: no
 * wait) for events and what they call, then the due timers. Returns 0,
 * 1 when the loop was asked to stop (loop_stop() or a signal; reported
 * once: the next call runs again), or -errno (epoll_wait). */
int loop_run_once(struct loop *l, int timeout_ms);

/* loop_fd() is the epoll descriptor: readable when loop_run_once() has
 * events to handle (for embedding the loop in another). */
int loop_fd(const struct loop *l);

/* loop_metrics_text() formats the current metrics (as served on
 * /metrics) into out[0..cap). Returns the length or -EMSGSIZE. */
ssize_t loop_metrics_text(struct loop *l, char *out, size_t cap);

/* loop_engine() returns the engine attached to socket idx, or NULL. */
struct discv4 *loop_engine(const struct loop *l, unsigned idx);

/* ---- RLPx hosting (control/host/rlpxhost.c) --------------------------------
 *
 * TCP sockets for RLPx live here like every other fd: the session host's
 * I/O side opens them through these helpers, watches them with loop_fd_watch(), and
 * gives established ones to the dataplane (dplink_rlpx_handover() on
 * loop_dplink()). MSG_RLPX_RX / MSG_RLPX_CLOSED from the dataplane go to
 * the hook set with loop_set_rlpx(); a service (deadline + tick) gets the
 * timer like an engine. */

/* Called for a watched fd with the epoll events (EPOLLIN/OUT/ERR/HUP). */
typedef void loop_fd_fn(void *user, int fd, uint32_t events, uint64_t now_ns);
/* Called for each MSG_RLPX_RX / MSG_RLPX_CLOSED received. */
typedef void loop_rlpx_fn(void *user, const struct dplink_rx *rx,
			  uint64_t now_ns);
/* A service's earliest deadline (UINT64_MAX: none) and its tick. */
typedef uint64_t loop_deadline_fn(void *user);
typedef void loop_tick_fn(void *user, uint64_t now_ns);

/* loop_fd_watch() adds fd to the epoll set for events (EPOLLIN and/or
 * EPOLLOUT), or changes the events and callback if it is watched already.
 * Returns 0 or -errno. */
int loop_fd_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn,
		  void *user);

/* loop_fd_unwatch() removes fd from the set (call before closing it). */
void loop_fd_unwatch(struct loop *l, int fd);

/* loop_tcp_listen() opens a non-blocking TCP listener on addr:port
 * (IPv4-mapped or IPv6; :: is dual stack). *bound gets the port. Returns
 * the fd or -errno. */
int loop_tcp_listen(const uint8_t addr[16], uint16_t port, uint16_t *bound);

/* loop_tcp_accept() accepts one connection from listener lfd, non-blocking,
 * with the peer's address (IPv4-mapped) and port. Returns the fd or -errno
 * (-EAGAIN: none left). */
int loop_tcp_accept(int lfd, uint8_t addr[16], uint16_t *port);

/* loop_tcp_connect() starts a non-blocking connect to addr:port. Returns
 * the fd (writable once connected: check loop_tcp_error()) or -errno. */
int loop_tcp_connect(const uint8_t addr[16], uint16_t port);

/* loop_tcp_error() is the pending socket error as -errno (0: connected). */
int loop_tcp_error(int fd);

/* loop_set_rlpx() routes RLPx messages from the dataplane to fn. */
void loop_set_rlpx(struct loop *l, loop_rlpx_fn *fn, void *user);

/* loop_set_service() registers the one service polled for a deadline
 * after every event and ticked when it is due. */
void loop_set_service(struct loop *l, loop_deadline_fn *deadline,
		      loop_tick_fn *tick, void *user);

#define LOOP_MAX_SERVICES 4             /* loop_add_service() slots */

/* loop_add_service() registers one more service besides loop_set_service()'s
 * (the NAT port mapper of control/host/nathost.c, the DNS host of
 * control/host/dnshost.c): polled for its deadline after every event,
 * ticked when it is due. Returns 0, -EINVAL (a NULL function) or -ENOSPC
 * (LOOP_MAX_SERVICES taken). */
int loop_add_service(struct loop *l, loop_deadline_fn *deadline,
		     loop_tick_fn *tick, void *user);

/* loop_del_service() removes the services registered with user. */
void loop_del_service(struct loop *l, void *user);

/* loop_dplink() is the dataplane link (for the RLPx handover); NULL with
 * cfg.no_dataplane. */
struct dplink *loop_dplink(struct loop *l);

/* ---- admin API (control/api/admin.h) ---------------------------------------
 *
 * geth's IPC endpoint: JSON-RPC 2.0 on a Unix stream socket, each
 * connection a stream of requests (newline-delimited or concatenated)
 * answered in order, one response line each; served by
 * control/host/adminipc.c (at most ADMINIPC_CONNS connections) on this
 * loop. */

struct admin_provider;

/* loop_admin_listen() serves the admin API with provider p (copied; its
 * user must outlive the loop or loop_free()) on a Unix socket at path,
 * created with mode 0600. A stale socket file there is replaced; any other
 * file is left alone (-EEXIST). The socket file is removed by
 * loop_free(). Returns 0, -EINVAL (no path, too long, already listening),
 * -ENOMEM or the -errno of socket/bind/listen. */
int loop_admin_listen(struct loop *l, const char *path,
		      const struct admin_provider *p);

/* loop_adminipc() is the server loop_admin_listen() started (its
 * subscriptions: control/host/adminipc.h), or NULL. */
struct adminipc;
struct adminipc *loop_adminipc(const struct loop *l);

#endif /* CONTROL_LOOP_H */
