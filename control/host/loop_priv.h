/* SPDX-License-Identifier: MIT */
/* control/host/loop_priv.h - the event loop's state, shared by its two
 * files: control/host/loop.c (epoll, timers, the dataplane, the engines)
 * and control/host/loopserve.c (the metrics listener; the admin socket is
 * control/host/adminipc.c). Not for
 * other modules: they use control/host/loop.h. It does not include
 * loop.h (the layout has no include cycles between modules): the
 * callback fields spell loop.h's types out, and loop.c checks that the
 * sizes below are loop.h's. */
#ifndef CONTROL_LOOP_PRIV_H
#define CONTROL_LOOP_PRIV_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/api/admin.h"
#include "control/host/adminipc.h"
#include "control/base/wallclock.h"
#include "control/discv4/discv4.h"
#include "control/discv5/discv5.h"
#include "control/host/dplink.h"

#define LOOP_PRIV_CONNS       16        /* LOOP_MAX_CONNS */
#define LOOP_PRIV_SERVICES    4         /* LOOP_MAX_SERVICES */

#define RX_BURST        32
#define RX_MAX_BURSTS   64      /* then back to epoll: timers must run too */
#define CONN_BUF        2048
#define METRICS_BUF     (256 * 1024)
#define LOOP_DP_BUDGET_RATE  500        /* packets/s per source IP */
#define LOOP_DP_BUDGET_BURST 1000
#define LOOP_DP_CACHE_SLOTS  16384      /* hash cache = replay guard */

enum loop_tag {
	TAG_TIMER = 1, TAG_SIGNAL, TAG_DP, TAG_MLISTEN, TAG_CONN, TAG_FD
};

struct loop;
struct nodedb;

/* loop.h's callback types, spelled out. */
typedef void loop_priv_fd_fn(void *user, int fd, uint32_t events,
			     uint64_t now_ns);
typedef void loop_priv_post_fn(void *user, uint64_t now_ns);
typedef void loop_priv_rlpx_fn(void *user, const struct dplink_rx *rx,
			       uint64_t now_ns);
typedef uint64_t loop_priv_deadline_fn(void *user);

struct loop_watch {                     /* loop_fd_watch(), indexed by fd */
	loop_priv_fd_fn *fn;
	void *user;
};

struct loop_engine {                    /* the engines of one socket */
	struct discv4 *d;
	uint64_t deadline;              /* cached discv4_next_deadline() */
	loop_priv_post_fn *post;
	void *user;
	struct discv5 *d5;              /* loop_attach_v5() */
	uint64_t deadline5;             /* cached discv5_next_deadline() */
	loop_priv_post_fn *post5;
	void *user5;
};

struct loop_portctx {                   /* loop_port(): the send context */
	struct loop *l;
	uint16_t idx;
};

struct conn {
	int fd;                         /* -1: free */
	size_t len;
	char buf[CONN_BUF];
};

struct loop {
	int epfd, tfd, sfd, mfd;
	struct dplink *dp;
	unsigned n;                     /* sockets == engine slots */
	struct loop_engine *eng;
	struct loop_portctx *ports;
	struct nodedb *db;
	bool in_batch;
	uint64_t next_commit, commits;
	uint64_t alarm_at;
	loop_priv_post_fn *alarm_fn;    /* loop_alarm_fn */
	void *alarm_arg;
	uint64_t armed;                 /* timerfd setting; 0: disarmed */
	uint64_t started_ns;
	uint64_t tx_drops;
	bool stop;
	int rc;
	int verbosity;
	uint16_t mport;
	sigset_t oldmask;
	bool masked;
	struct conn conns[LOOP_PRIV_CONNS];
	char *mbuf;                     /* METRICS_BUF bytes */
	uint64_t (*dpcnt)[DP_CNT_MAX];  /* per queue, for metrics */
	struct loop_watch *watch;       /* n_watch entries, by fd */
	size_t n_watch;
	loop_priv_rlpx_fn *rlpx_fn;
	void *rlpx_user;
	loop_priv_deadline_fn *svc_deadline;
	loop_priv_post_fn *svc_tick;    /* loop_tick_fn */
	void *svc_user;
	struct loop_svc {               /* loop_add_service(); tick NULL: free */
		loop_priv_deadline_fn *deadline;
		loop_priv_post_fn *tick;
		void *user;
	} svcs[LOOP_PRIV_SERVICES];
	struct adminipc *admin;         /* loop_admin_listen(); NULL: off */
	struct wallclock wc;            /* Unix - monotonic, per wake-up */
	uint64_t (*unix_clock)(void);   /* cfg->unix_clock: tests */
};

/* loop_ep_add() adds fd to the epoll set for EPOLLIN, tagged t and idx.
 * Returns 0 or -errno. */
int loop_ep_add(struct loop *l, int fd, enum loop_tag t, uint32_t idx);

/* loop_conn_accept() accepts metrics connections (over LOOP_PRIV_CONNS:
 * closed at once); loop_conn_read() reads connection i and answers a
 * complete request. (control/host/loopserve.c) */
void loop_conn_accept(struct loop *l);
void loop_conn_read(struct loop *l, unsigned i);

/* loop_admin_close() closes the admin listener and its connections and
 * removes the socket file (control/host/adminipc.c). */
void loop_admin_close(struct loop *l);

#endif /* CONTROL_LOOP_PRIV_H */
