/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodramp.h - the flood generator's ramp: steps of rising junk
 * rate, each judged by the share of legitimate pings the node answered,
 * and the knee, the highest rate at which it still answered enough. No
 * I/O, no clock, no allocation: the run (dataplane/flood/floodgen.c) measures,
 * this module decides and formats. */
#ifndef DATAPLANE_FLOODRAMP_H
#define DATAPLANE_FLOODRAMP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOODRAMP_MAX_STEPS   64
#define FLOODRAMP_MAX_PPS     1000000000ull     /* highest step rate */
#define FLOODRAMP_MIN_STEP_MS 100
#define FLOODRAMP_MAX_STEP_MS 3600000
/* A step whose sender put out less than this share of the asked rate
 * (ppm) is sender-limited: it says nothing about the node. */
#define FLOODRAMP_SENDER_PPM  950000

/* Pong latencies in microseconds, log-linear: exact below
 * 2 * FLOODRAMP_LAT_SUB us, then FLOODRAMP_LAT_SUB buckets per power of
 * two (within 1/64, 1.6 %, of the true value), up to 2^32 us. */
#define FLOODRAMP_LAT_SUB     64
#define FLOODRAMP_LAT_BUCKETS (27 * FLOODRAMP_LAT_SUB)

struct floodramp_lat {
	uint64_t n;
	uint32_t b[FLOODRAMP_LAT_BUCKETS];
};

struct floodramp_cfg {
	uint64_t start_pps;             /* first step's junk rate, >= 1 */
	double factor;                  /* each step's rate over the last's,
					 * > 1 */
	uint32_t step_ms;
	uint64_t max_pps;               /* last step's rate; 0: no bound
					 * but FLOODRAMP_MAX_STEPS */
	uint32_t threshold_ppm;         /* a step passes when at least this
					 * share (ppm) of its pings is
					 * answered */
	bool confirm;                   /* stop after two failing steps in a
					 * row, not one */
};

/* What the run measured in one step. The pings are those sent during the
 * step; answered are those whose Pong came back before the step's end
 * plus the grace window, whenever that was. */
struct floodramp_step {
	uint64_t junk_sent;
	uint64_t legit_sent, legit_answered;
	struct floodramp_lat lat;       /* answered pings' Pong latency */
};

enum floodramp_verdict {
	FLOODRAMP_OK = 0,               /* answered >= threshold */
	FLOODRAMP_BELOW,                /* answered < threshold */
	FLOODRAMP_SENDER_LIMITED,       /* junk < FLOODRAMP_SENDER_PPM of
					 * asked: not the node's doing */
};

enum floodramp_stop {
	FLOODRAMP_GOING = 0,
	FLOODRAMP_STOP_BELOW,           /* the node fell below (confirmed) */
	FLOODRAMP_STOP_SENDER,          /* the sender could not keep up */
	FLOODRAMP_STOP_MAX,             /* the step at max_pps passed */
	FLOODRAMP_STOP_STEPS,           /* FLOODRAMP_MAX_STEPS passed */
	FLOODRAMP_STOP_INTERRUPTED,     /* signal, deadline or error */
};

/*
 * The schedule (rate, n_steps, step_ns) is fixed by floodramp_init() and
 * read by every thread. t0_ns is written once, by the junk sender when it
 * is ready (floodramp_start()); halted once, by the judge. The judge's
 * fields below them belong to the thread that calls floodramp_judge().
 */
struct floodramp {
	struct floodramp_cfg cfg;
	uint64_t rate[FLOODRAMP_MAX_STEPS];     /* asked junk pps per step */
	unsigned n_steps;
	uint64_t step_ns;
	uint64_t t0_ns;                 /* start of step 0; 0: not started */
	bool halted;                    /* the judge stopped the ramp */
	unsigned n_judged;
	unsigned n_below;               /* failing steps in a row, at the
					 * end of those judged */
	uint64_t below_pps;             /* the first of them's rate */
	uint64_t ok_pps;                /* highest passing step's rate, */
	uint64_t ok_achieved_pps;       /* and what the sender reached;
					 * 0: none passed */
	enum floodramp_stop stop;
};

/* floodramp_parse() parses "START:FACTOR[:STEP_SECONDS]" (START pps >= 1,
 * FACTOR > 1 and <= 1000, STEP_SECONDS decimal, default 5) into the
 * cfg's start_pps, factor and step_ms; leaves the rest alone. Returns 0
 * or -EINVAL. */
int floodramp_parse(struct floodramp_cfg *cfg, const char *s);

/* floodramp_parse_threshold() parses a fraction in (0, 1] ("0.99") into
 * ppm. Returns 0 or -EINVAL. */
int floodramp_parse_threshold(uint32_t *ppm, const char *s);

/* floodramp_init() builds the schedule: start_pps, then each step's rate
 * times factor (rounded, at least one more than the last), the step
 * that would pass max_pps taken at max_pps and the last, at most
 * FLOODRAMP_MAX_STEPS steps and FLOODRAMP_MAX_PPS. Returns 0 or -EINVAL
 * (a cfg field out of its range, max_pps below start_pps). */
int floodramp_init(struct floodramp *r, const struct floodramp_cfg *cfg);

/* floodramp_start() sets the start of step 0 (CLOCK_MONOTONIC ns, not
 * 0); floodramp_t0() reads it, 0 until then. Any thread. */
void floodramp_start(struct floodramp *r, uint64_t t0_ns);
uint64_t floodramp_t0(const struct floodramp *r);

/* floodramp_step_at() is the step that now_ns falls in, n_steps once the
 * schedule is over, and 0 before t0 (or before the start). */
unsigned floodramp_step_at(const struct floodramp *r, uint64_t now_ns);

/* floodramp_pace() sets *pc (dataplane/flood/floodpay.h) to pace the step that
 * now_ns falls in: its rate, from its start, its count restarted when the
 * step changes, so a sender behind in one step does not make it up in
 * the next. Returns the step, or n_steps once the schedule is over or
 * the judge halted the ramp: the sender ends then. Any thread, after
 * floodramp_start(). */
struct floodpay_pace;
unsigned floodramp_pace(const struct floodramp *r, struct floodpay_pace *pc,
			uint64_t now_ns);

/* floodramp_judge_at_ns() is when the next step to judge may be judged:
 * its end plus grace_ms, when late Pongs no longer count. */
uint64_t floodramp_judge_at_ns(const struct floodramp *r, uint32_t grace_ms);

/* floodramp_achieved_pps() is the junk rate a step of junk_sent packets
 * reached. */
uint64_t floodramp_achieved_pps(const struct floodramp *r,
				uint64_t junk_sent);

/* floodramp_judge() judges the next step (number r->n_judged), s being
 * what was measured in it, and moves the ramp on: r->stop turns from
 * FLOODRAMP_GOING once the ramp is to end (and r->halted with it).
 * Returns the step's verdict. The caller must not judge past n_steps or
 * once stopped. */
enum floodramp_verdict floodramp_judge(struct floodramp *r,
				       const struct floodramp_step *s);

/* floodramp_interrupt() ends a ramp that is still going, as interrupted
 * (a signal, the run's deadline, a failed sender). */
void floodramp_interrupt(struct floodramp *r);

/* floodramp_knee() is true when the node fell below the threshold in the
 * steps judged last (confirmed or not), *knee_pps then the highest rate
 * that passed (0: none did). False: it never did, up to r->ok_pps. */
bool floodramp_knee(const struct floodramp *r, uint64_t *knee_pps);

/* floodramp_lat_add() counts one latency of ns nanoseconds. */
void floodramp_lat_add(struct floodramp_lat *h, uint64_t ns);

/* floodramp_lat_quantile() sets *ns to the latency at quantile ppm (the
 * nearest-rank one: 500000 the median), the middle of its bucket. Returns
 * false when h is empty. */
bool floodramp_lat_quantile(const struct floodramp_lat *h, uint64_t *ns,
			    uint32_t ppm);

/* floodramp_format_step() writes the report line of step k, judged v
 * (without a newline):
 *   ramp_step step=K asked_pps=N achieved_pps=N junk_sent=N legit_sent=N
 *   legit_answered=N answered_pct=P.PP p50_ms=M.MMM|none
 *   p99_ms=M.MMM|none verdict=ok|below|sender-limited
 * Returns the length, or -EMSGSIZE when buf is too short. */
int floodramp_format_step(char *buf, size_t buf_len,
			  const struct floodramp *r, unsigned k,
			  const struct floodramp_step *s,
			  enum floodramp_verdict v);

/* floodramp_format_end() writes the final line (without a newline):
 *   ramp_end result=knee|no-knee knee_pps=N|none|not-reached
 *   knee_achieved_pps=N|none highest_ok_pps=N|none below_pps=N|none
 *   stop=below|sender-limited|ramp-max|max-steps|interrupted steps=N
 *   threshold=F late_pongs=N
 * knee_pps is none when the node was below from the first step on and
 * not-reached when it never fell below. Returns the length or -EMSGSIZE. */
int floodramp_format_end(char *buf, size_t buf_len, const struct floodramp *r,
			 uint64_t late_pongs);

#endif /* DATAPLANE_FLOODRAMP_H */
