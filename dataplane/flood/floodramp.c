/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodramp.c - the flood generator's ramp: schedule, step
 * verdicts, knee, latency quantiles, report lines. */
#include "dataplane/flood/floodramp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/flood/floodpay.h"

#define NS 1000000000ull

int floodramp_parse(struct floodramp_cfg *cfg, const char *s)
{
	unsigned long long start;
	double factor, secs = 5.0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	start = strtoull(s, &end, 10);
	if (errno || *end != ':' || !start || start > FLOODRAMP_MAX_PPS)
		return -EINVAL;
	s = end + 1;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	factor = strtod(s, &end);
	if (end == s || !(factor > 1.0 && factor <= 1000.0) ||
	    (*end && *end != ':'))
		return -EINVAL;
	if (*end == ':') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		secs = strtod(s, &end);
		if (end == s || *end)
			return -EINVAL;
	}
	/* The comparisons are false for NaN, as wanted. */
	if (!(secs * 1000.0 >= FLOODRAMP_MIN_STEP_MS &&
	      secs * 1000.0 <= FLOODRAMP_MAX_STEP_MS))
		return -EINVAL;
	cfg->start_pps = start;
	cfg->factor = factor;
	cfg->step_ms = (uint32_t)(secs * 1000.0 + 0.5);
	return 0;
}

int floodramp_parse_threshold(uint32_t *ppm, const char *s)
{
	uint32_t p;
	double v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtod(s, &end);
	if (end == s || *end || !(v > 0.0 && v <= 1.0))
		return -EINVAL;
	p = (uint32_t)(v * 1e6 + 0.5);
	if (!p)                 /* under half a ppm */
		return -EINVAL;
	*ppm = p;
	return 0;
}

int floodramp_init(struct floodramp *r, const struct floodramp_cfg *cfg)
{
	uint64_t v;

	memset(r, 0, sizeof(*r));
	if (!cfg->start_pps || cfg->start_pps > FLOODRAMP_MAX_PPS ||
	    !(cfg->factor > 1.0 && cfg->factor <= 1000.0) ||
	    cfg->step_ms < FLOODRAMP_MIN_STEP_MS ||
	    cfg->step_ms > FLOODRAMP_MAX_STEP_MS ||
	    !cfg->threshold_ppm || cfg->threshold_ppm > 1000000 ||
	    (cfg->max_pps && (cfg->max_pps < cfg->start_pps ||
			      cfg->max_pps > FLOODRAMP_MAX_PPS)))
		return -EINVAL;
	r->cfg = *cfg;
	r->step_ns = (uint64_t)cfg->step_ms * 1000000ull;
	v = cfg->start_pps;
	while (r->n_steps < FLOODRAMP_MAX_STEPS) {
		double nx;
		uint64_t next;

		if (cfg->max_pps && v > cfg->max_pps)
			v = cfg->max_pps;
		r->rate[r->n_steps++] = v;
		if (v == cfg->max_pps || v >= FLOODRAMP_MAX_PPS)
			break;
		nx = (double)v * cfg->factor + 0.5;
		next = nx >= (double)FLOODRAMP_MAX_PPS ? FLOODRAMP_MAX_PPS :
		       (uint64_t)nx;
		/* A factor close to 1 on a small rate must still rise. */
		v = next > v ? next : v + 1;
	}
	return 0;
}

void floodramp_start(struct floodramp *r, uint64_t t0_ns)
{
	__atomic_store_n(&r->t0_ns, t0_ns, __ATOMIC_RELEASE);
}

uint64_t floodramp_t0(const struct floodramp *r)
{
	return __atomic_load_n(&r->t0_ns, __ATOMIC_ACQUIRE);
}

unsigned floodramp_step_at(const struct floodramp *r, uint64_t now_ns)
{
	uint64_t t0 = floodramp_t0(r), k;

	if (!t0 || now_ns < t0)
		return 0;
	k = (now_ns - t0) / r->step_ns;
	return k < r->n_steps ? (unsigned)k : r->n_steps;
}

unsigned floodramp_pace(const struct floodramp *r, struct floodpay_pace *pc,
			uint64_t now_ns)
{
	unsigned k = floodramp_step_at(r, now_ns);
	uint64_t start;

	if (k >= r->n_steps || __atomic_load_n(&r->halted, __ATOMIC_ACQUIRE))
		return r->n_steps;
	start = floodramp_t0(r) + k * r->step_ns;
	if (pc->t0_ns != start || pc->rate_pps != r->rate[k]) {
		pc->t0_ns = start;
		pc->rate_pps = r->rate[k];
		pc->count = 0;
		pc->total = 0;
	}
	return k;
}

uint64_t floodramp_judge_at_ns(const struct floodramp *r, uint32_t grace_ms)
{
	return floodramp_t0(r) + (uint64_t)(r->n_judged + 1) * r->step_ns +
	       (uint64_t)grace_ms * 1000000ull;
}

uint64_t floodramp_achieved_pps(const struct floodramp *r,
				uint64_t junk_sent)
{
	/* step_ms <= 3.6e6 and junk_sent <= 1e9 pps for an hour: no
	 * overflow. */
	return junk_sent * 1000ull / r->cfg.step_ms;
}

static void halt(struct floodramp *r, enum floodramp_stop why)
{
	r->stop = why;
	__atomic_store_n(&r->halted, true, __ATOMIC_RELEASE);
}

enum floodramp_verdict floodramp_judge(struct floodramp *r,
				       const struct floodramp_step *s)
{
	unsigned k = r->n_judged;
	uint64_t asked = r->rate[k];
	uint64_t got = floodramp_achieved_pps(r, s->junk_sent);
	enum floodramp_verdict v;

	r->n_judged++;
	if (got * 1000000ull < asked * FLOODRAMP_SENDER_PPM) {
		/* The node saw less than asked: its answers at this step
		 * are reported but prove nothing, and higher steps would
		 * fall short as well. */
		halt(r, FLOODRAMP_STOP_SENDER);
		return FLOODRAMP_SENDER_LIMITED;
	}
	/* No pings sent counts as below: nothing shows the node answered. */
	if (s->legit_sent &&
	    s->legit_answered * 1000000ull >=
	    s->legit_sent * (uint64_t)r->cfg.threshold_ppm) {
		v = FLOODRAMP_OK;
		r->n_below = 0;
		r->ok_pps = asked;
		r->ok_achieved_pps = got;
	} else {
		v = FLOODRAMP_BELOW;
		if (!r->n_below++)
			r->below_pps = asked;
		if (r->n_below >= (r->cfg.confirm ? 2u : 1u)) {
			halt(r, FLOODRAMP_STOP_BELOW);
			return v;
		}
	}
	if (r->n_judged >= r->n_steps)
		halt(r, r->cfg.max_pps ? FLOODRAMP_STOP_MAX :
		     FLOODRAMP_STOP_STEPS);
	return v;
}

void floodramp_interrupt(struct floodramp *r)
{
	if (r->stop == FLOODRAMP_GOING)
		halt(r, FLOODRAMP_STOP_INTERRUPTED);
}

bool floodramp_knee(const struct floodramp *r, uint64_t *knee_pps)
{
	/* After a failing step, a passing one resets n_below: the knee is
	 * the highest passing rate below the failing steps that ended the
	 * ramp, or the ones it ended on for another reason. */
	*knee_pps = r->n_below ? r->ok_pps : 0;
	return r->n_below > 0;
}

/* lat_index() is the bucket of us microseconds: us itself below
 * 2 * SUB, then shift * SUB + us >> shift, shift = log2(us) - log2(SUB),
 * so each power of two from 2 * SUB on has SUB buckets. */
static unsigned lat_index(uint64_t us)
{
	unsigned shift;

	if (us > UINT32_MAX)
		us = UINT32_MAX;
	if (us < 2 * FLOODRAMP_LAT_SUB)
		return (unsigned)us;
	shift = 63u - (unsigned)__builtin_clzll(us) - 6u;   /* SUB = 2^6 */
	return shift * FLOODRAMP_LAT_SUB + (unsigned)(us >> shift);
}

_Static_assert(FLOODRAMP_LAT_SUB == 64, "lat_index() takes SUB = 2^6");
_Static_assert(FLOODRAMP_LAT_BUCKETS > 25 * FLOODRAMP_LAT_SUB + 127,
	       "2^32 us fits");

void floodramp_lat_add(struct floodramp_lat *h, uint64_t ns)
{
	h->b[lat_index(ns / 1000)]++;
	h->n++;
}

bool floodramp_lat_quantile(const struct floodramp_lat *h, uint64_t *ns,
			    uint32_t ppm)
{
	uint64_t rank, seen = 0;

	if (!h->n)
		return false;
	/* Nearest rank: the smallest value with at least ppm of them at or
	 * below it. */
	rank = (h->n * ppm + 999999) / 1000000;
	if (!rank)
		rank = 1;
	for (unsigned i = 0; i < FLOODRAMP_LAT_BUCKETS; i++) {
		unsigned shift;
		uint64_t lo;

		seen += h->b[i];
		if (seen < rank)
			continue;
		shift = i < 2 * FLOODRAMP_LAT_SUB ? 0 :
			i / FLOODRAMP_LAT_SUB - 1;
		lo = (uint64_t)(i - shift * FLOODRAMP_LAT_SUB) << shift;
		/* The middle of [lo, lo + 2^shift) microseconds. */
		*ns = lo * 1000 + (1000ull << shift) / 2;
		return true;
	}
	return false;           /* n out of step with the buckets */
}

static const char *const verdict_names[] = {
	[FLOODRAMP_OK] = "ok",
	[FLOODRAMP_BELOW] = "below",
	[FLOODRAMP_SENDER_LIMITED] = "sender-limited",
};

static const char *const stop_names[] = {
	[FLOODRAMP_GOING] = "going",
	[FLOODRAMP_STOP_BELOW] = "below",
	[FLOODRAMP_STOP_SENDER] = "sender-limited",
	[FLOODRAMP_STOP_MAX] = "ramp-max",
	[FLOODRAMP_STOP_STEPS] = "max-steps",
	[FLOODRAMP_STOP_INTERRUPTED] = "interrupted",
};

/* ms() writes ns as milliseconds with 3 decimals, or "none". */
static void ms(char out[32], bool have, uint64_t ns)
{
	if (!have)
		strcpy(out, "none");
	else
		snprintf(out, 32, "%llu.%03llu",
			 (unsigned long long)(ns / 1000000),
			 (unsigned long long)(ns / 1000 % 1000));
}

/* num() writes v, or "none" for 0. */
static void num(char out[32], uint64_t v)
{
	if (!v)
		strcpy(out, "none");
	else
		snprintf(out, 32, "%llu", (unsigned long long)v);
}

static int done(int n, size_t buf_len)
{
	return n < 0 || (size_t)n >= buf_len ? -EMSGSIZE : n;
}

int floodramp_format_step(char *buf, size_t buf_len,
			  const struct floodramp *r, unsigned k,
			  const struct floodramp_step *s,
			  enum floodramp_verdict v)
{
	char p50[32], p99[32];
	uint64_t ns = 0, pct_x100;
	bool have;

	if (k >= r->n_steps || (unsigned)v > FLOODRAMP_SENDER_LIMITED)
		return -EINVAL;
	have = floodramp_lat_quantile(&s->lat, &ns, 500000);
	ms(p50, have, ns);
	have = floodramp_lat_quantile(&s->lat, &ns, 990000);
	ms(p99, have, ns);
	/* Rounded down: 99.999 % is not shown as 100.00. */
	pct_x100 = s->legit_sent ? s->legit_answered * 10000 / s->legit_sent :
		   0;
	return done(snprintf(buf, buf_len,
			     "ramp_step step=%u asked_pps=%llu "
			     "achieved_pps=%llu junk_sent=%llu legit_sent=%llu "
			     "legit_answered=%llu answered_pct=%llu.%02llu "
			     "p50_ms=%s p99_ms=%s verdict=%s", k,
			     (unsigned long long)r->rate[k],
			     (unsigned long long)floodramp_achieved_pps(
				     r, s->junk_sent),
			     (unsigned long long)s->junk_sent,
			     (unsigned long long)s->legit_sent,
			     (unsigned long long)s->legit_answered,
			     (unsigned long long)(pct_x100 / 100),
			     (unsigned long long)(pct_x100 % 100), p50, p99,
			     verdict_names[v]), buf_len);
}

int floodramp_format_end(char *buf, size_t buf_len, const struct floodramp *r,
			 uint64_t late_pongs)
{
	char knee[32], knee_got[32], ok[32], below[32];
	uint64_t kp;
	bool fell = floodramp_knee(r, &kp);

	if (!fell) {
		strcpy(knee, "not-reached");
		strcpy(knee_got, "none");
	} else {
		num(knee, kp);
		num(knee_got, kp ? r->ok_achieved_pps : 0);
	}
	num(ok, r->ok_pps);
	num(below, r->n_below ? r->below_pps : 0);
	return done(snprintf(buf, buf_len,
			     "ramp_end result=%s knee_pps=%s "
			     "knee_achieved_pps=%s highest_ok_pps=%s "
			     "below_pps=%s stop=%s steps=%u threshold=%g "
			     "late_pongs=%llu", fell ? "knee" : "no-knee", knee,
			     knee_got, ok, below, stop_names[r->stop],
			     r->n_judged, r->cfg.threshold_ppm / 1e6,
			     (unsigned long long)late_pongs), buf_len);
}
