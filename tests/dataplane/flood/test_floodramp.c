/* SPDX-License-Identifier: MIT */
/* tests/dataplane/flood/test_floodramp.c - the flood generator's ramp: the
 * --ramp and --threshold parsers, the schedule of rates, the steps'
 * pacing, the verdicts and the knee over sequences of steps, the Pong
 * latency quantiles and the report lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/flood/floodpay.h"
#include "dataplane/flood/floodramp.h"

#define SEC 1000000000ull
#define MS  1000000ull

static void test_floodramp_parse(void **st)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t start;
		double factor;
		uint32_t step_ms;
	} rows[] = {
		{ "1000:2", 0, 1000, 2.0, 5000 },
		{ "1000:1.5:0.5", 0, 1000, 1.5, 500 },
		{ "1:1.01:0.1", 0, 1, 1.01, 100 },
		{ "50000:4:10", 0, 50000, 4.0, 10000 },
		{ "1000000000:2:1", 0, 1000000000, 2.0, 1000 },
		{ "1000000001:2", -EINVAL, 0, 0, 0 },
		{ "0:2", -EINVAL, 0, 0, 0 },
		{ "1000", -EINVAL, 0, 0, 0 },
		{ "1000:", -EINVAL, 0, 0, 0 },
		{ "1000:1", -EINVAL, 0, 0, 0 },         /* must rise */
		{ "1000:0.5", -EINVAL, 0, 0, 0 },
		{ "1000:1001", -EINVAL, 0, 0, 0 },
		{ "1000:2:0.05", -EINVAL, 0, 0, 0 },    /* under 100 ms */
		{ "1000:2:3601", -EINVAL, 0, 0, 0 },
		{ "1000:2:", -EINVAL, 0, 0, 0 },
		{ "1000:2:x", -EINVAL, 0, 0, 0 },
		{ "1000:2:1:1", -EINVAL, 0, 0, 0 },
		{ "1000:nan", -EINVAL, 0, 0, 0 },
		{ "1000:2:nan", -EINVAL, 0, 0, 0 },
		{ "-5:2", -EINVAL, 0, 0, 0 },
		{ " 1000:2", -EINVAL, 0, 0, 0 },
		{ "1e3:2", -EINVAL, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0 },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct floodramp_cfg c = { .threshold_ppm = 1 };

		assert_int_equal(floodramp_parse(&c, rows[i].s), rows[i].rc);
		if (rows[i].rc)
			continue;
		assert_int_equal(c.start_pps, rows[i].start);
		assert_true(c.factor == rows[i].factor);
		assert_int_equal(c.step_ms, rows[i].step_ms);
		assert_int_equal(c.threshold_ppm, 1);   /* left alone */
	}
	assert_int_equal(floodramp_parse(&(struct floodramp_cfg){ 0 }, NULL),
			 -EINVAL);
}

static void test_floodramp_parse_threshold(void **st)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t ppm;
	} rows[] = {
		{ "0.99", 0, 990000 }, { "1", 0, 1000000 }, { "0.5", 0, 500000 },
		{ "0.999999", 0, 999999 }, { "1.0", 0, 1000000 },
		{ "0", -EINVAL, 0 }, { "0.0000001", -EINVAL, 0 },
		{ "1.01", -EINVAL, 0 }, { "99%", -EINVAL, 0 },
		{ "x", -EINVAL, 0 }, { "-0.5", -EINVAL, 0 }, { "", -EINVAL, 0 },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t ppm = 7;

		assert_int_equal(floodramp_parse_threshold(&ppm, rows[i].s),
				 rows[i].rc);
		assert_int_equal(ppm, rows[i].rc ? 7 : rows[i].ppm);
	}
}

static struct floodramp_cfg cfg(uint64_t start, double factor,
				uint64_t max)
{
	struct floodramp_cfg c = {
		.start_pps = start, .factor = factor, .step_ms = 1000,
		.max_pps = max, .threshold_ppm = 990000,
	};

	return c;
}

static void test_floodramp_schedule(void **st)
{
	static const struct {
		uint64_t start;
		double factor;
		uint64_t max;
		unsigned n;
		uint64_t rate[8];
	} rows[] = {
		/* The step that would pass max runs at max, and is last. */
		{ 1000, 2.0, 5000, 4, { 1000, 2000, 4000, 5000 } },
		{ 1000, 2.0, 4000, 3, { 1000, 2000, 4000 } },
		{ 1000, 2.0, 1000, 1, { 1000 } },
		{ 1000, 1.5, 4000, 5, { 1000, 1500, 2250, 3375, 4000 } },
		/* Rounded, and at least one more than the last. */
		{ 1, 1.1, 8, 8, { 1, 2, 3, 4, 5, 6, 7, 8 } },
		{ 3, 1.5, 20, 6, { 3, 5, 8, 12, 18, 20 } },
	};
	struct floodramp r;
	struct floodramp_cfg c;

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		c = cfg(rows[i].start, rows[i].factor, rows[i].max);
		assert_int_equal(floodramp_init(&r, &c), 0);
		assert_int_equal(r.n_steps, rows[i].n);
		for (unsigned k = 0; k < rows[i].n; k++)
			assert_int_equal(r.rate[k], rows[i].rate[k]);
		assert_int_equal(r.step_ns, SEC);
		assert_int_equal(r.stop, FLOODRAMP_GOING);
	}
	/* No max: up to FLOODRAMP_MAX_PPS (2^0 .. 2^29, then 10^9) ... */
	c = cfg(1, 2.0, 0);
	assert_int_equal(floodramp_init(&r, &c), 0);
	assert_int_equal(r.n_steps, 31);
	assert_int_equal(r.rate[29], 1ull << 29);
	assert_int_equal(r.rate[30], FLOODRAMP_MAX_PPS);
	/* ... or FLOODRAMP_MAX_STEPS steps, strictly rising. */
	c = cfg(1000, 1.01, 0);
	assert_int_equal(floodramp_init(&r, &c), 0);
	assert_int_equal(r.n_steps, FLOODRAMP_MAX_STEPS);
	for (unsigned k = 1; k < r.n_steps; k++)
		assert_true(r.rate[k] > r.rate[k - 1]);
	/* Out of range. */
	c = cfg(1000, 2.0, 999);
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
	c = cfg(0, 2.0, 0);
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
	c = cfg(1000, 1.0, 0);
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
	c = cfg(1000, 2.0, FLOODRAMP_MAX_PPS + 1);
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
	c = cfg(1000, 2.0, 0);
	c.step_ms = FLOODRAMP_MIN_STEP_MS - 1;
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
	c = cfg(1000, 2.0, 0);
	c.threshold_ppm = 0;
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
	c.threshold_ppm = 1000001;
	assert_int_equal(floodramp_init(&r, &c), -EINVAL);
}

static void test_floodramp_steps_and_pace(void **st)
{
	struct floodramp_cfg c = cfg(1000, 2.0, 4000);  /* 1000 2000 4000 */
	struct floodpay_pace pc = { 0 };
	struct floodramp r;
	const uint64_t t0 = 10 * SEC;

	(void)st;
	assert_int_equal(floodramp_init(&r, &c), 0);
	assert_int_equal(floodramp_t0(&r), 0);
	assert_int_equal(floodramp_step_at(&r, t0), 0);
	floodramp_start(&r, t0);
	assert_int_equal(floodramp_t0(&r), t0);
	assert_int_equal(floodramp_step_at(&r, t0 - 1), 0);
	assert_int_equal(floodramp_step_at(&r, t0 + SEC - 1), 0);
	assert_int_equal(floodramp_step_at(&r, t0 + SEC), 1);
	assert_int_equal(floodramp_step_at(&r, t0 + 3 * SEC - 1), 2);
	assert_int_equal(floodramp_step_at(&r, t0 + 3 * SEC), 3);
	assert_int_equal(floodramp_step_at(&r, t0 + 100 * SEC), 3);

	/* Step 0: 1000 pps from t0; 10 ms in, 10 due. */
	assert_int_equal(floodramp_pace(&r, &pc, t0 + 10 * MS), 0);
	assert_int_equal(pc.t0_ns, t0);
	assert_int_equal(pc.rate_pps, 1000);
	assert_int_equal(floodpay_pace_want(&pc, t0 + 10 * MS, 64), 10);
	/* Far behind at the end of step 0 (only 10 sent) ... */
	pc.total = 10;
	assert_int_equal(floodramp_pace(&r, &pc, t0 + SEC - MS), 0);
	assert_int_equal(pc.total, 10);
	/* ... step 1 starts afresh at 2000 pps: no backlog carried. */
	assert_int_equal(floodramp_pace(&r, &pc, t0 + SEC + 5 * MS), 1);
	assert_int_equal(pc.t0_ns, t0 + SEC);
	assert_int_equal(pc.rate_pps, 2000);
	assert_int_equal(pc.total, 0);
	assert_int_equal(floodpay_pace_want(&pc, t0 + SEC + 5 * MS, 64), 10);
	pc.total = 10;
	assert_int_equal(floodramp_pace(&r, &pc, t0 + SEC + 6 * MS), 1);
	assert_int_equal(pc.total, 10);         /* same step: kept */
	assert_int_equal(floodramp_pace(&r, &pc, t0 + 2 * SEC), 2);
	assert_int_equal(pc.rate_pps, 4000);
	/* Over: the sender ends. */
	assert_int_equal(floodramp_pace(&r, &pc, t0 + 3 * SEC), 3);
	/* Halted by the judge: over as well, whatever the clock says. */
	r.halted = true;
	assert_int_equal(floodramp_pace(&r, &pc, t0 + SEC), 3);

	/* A step is judged at its end plus the grace window. */
	r.halted = false;
	assert_int_equal(floodramp_judge_at_ns(&r, 500), t0 + SEC + 500 * MS);
	r.n_judged = 2;
	assert_int_equal(floodramp_judge_at_ns(&r, 0), t0 + 3 * SEC);
}

/* One step as measured: junk as a share of asked (ppm), pings sent and
 * answered; and the expected verdict. */
struct row {
	uint32_t junk_ppm;
	uint64_t sent, answered;
	enum floodramp_verdict v;
};

struct seq {
	const char *name;
	uint64_t max;                   /* schedule 1000 * 2^k up to max */
	bool confirm;
	unsigned n;
	struct row rows[8];
	enum floodramp_stop stop;
	bool knee;
	uint64_t knee_pps, below_pps, ok_pps;
};

#define OK(a)    { 1000000, 100, (a), FLOODRAMP_OK }
#define BELOW(a) { 1000000, 100, (a), FLOODRAMP_BELOW }

static const struct seq seqs[] = {
	{ "never below, up to max", 8000, false, 4,
	  { OK(100), OK(99), OK(100), OK(100) },
	  FLOODRAMP_STOP_MAX, false, 0, 0, 8000 },
	{ "never below, no max: the schedule's end", 0, false, 0, { { 0 } },
	  FLOODRAMP_STOP_STEPS, false, 0, 0, FLOODRAMP_MAX_PPS },
	{ "below at the third step", 0, false, 3,
	  { OK(100), OK(100), BELOW(98) },
	  FLOODRAMP_STOP_BELOW, true, 2000, 4000, 2000 },
	{ "below from the first step: knee none", 0, false, 1,
	  { BELOW(0) },
	  FLOODRAMP_STOP_BELOW, true, 0, 1000, 0 },
	{ "no pings sent is below", 0, false, 2,
	  { OK(100), { 1000000, 0, 0, FLOODRAMP_BELOW } },
	  FLOODRAMP_STOP_BELOW, true, 1000, 2000, 1000 },
	{ "confirm: a blip, then two below", 0, true, 5,
	  { OK(100), BELOW(50), OK(100), BELOW(90), BELOW(10) },
	  FLOODRAMP_STOP_BELOW, true, 4000, 8000, 4000 },
	{ "confirm: below on the last step, unconfirmed", 4000, true, 3,
	  { OK(100), OK(100), BELOW(10) },
	  FLOODRAMP_STOP_MAX, true, 2000, 4000, 2000 },
	{ "sender-limited: not the node's doing, even at 0 %", 0, false, 2,
	  { OK(100), { 949999, 100, 0, FLOODRAMP_SENDER_LIMITED } },
	  FLOODRAMP_STOP_SENDER, false, 0, 0, 1000 },
	{ "sender-limited at 95 % exactly is not", 0, false, 2,
	  { OK(100), { 950000, 100, 0, FLOODRAMP_BELOW } },
	  FLOODRAMP_STOP_BELOW, true, 1000, 2000, 1000 },
	{ "confirm: below, then sender-limited: an unconfirmed knee", 0, true,
	  3, { OK(100), BELOW(0), { 500000, 100, 100,
				    FLOODRAMP_SENDER_LIMITED } },
	  FLOODRAMP_STOP_SENDER, true, 1000, 2000, 1000 },
};

static void test_floodramp_judge_sequences(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *q = &seqs[i];
		struct floodramp_cfg c = cfg(1000, 2.0, q->max);
		struct floodramp r;
		unsigned n = q->n;
		uint64_t knee = 1;

		c.confirm = q->confirm;
		print_message("%s\n", q->name);
		assert_int_equal(floodramp_init(&r, &c), 0);
		if (!n)                 /* all of them, passing */
			n = r.n_steps;
		for (unsigned k = 0; k < n; k++) {
			struct row w = q->n ? q->rows[k] : (struct row)OK(100);
			struct floodramp_step s = {
				.junk_sent = r.rate[k] * w.junk_ppm / 1000000,
				.legit_sent = w.sent,
				.legit_answered = w.answered,
			};

			assert_int_equal(r.stop, FLOODRAMP_GOING);
			assert_false(r.halted);
			assert_int_equal(floodramp_judge(&r, &s), w.v);
		}
		assert_int_equal(r.n_judged, n);
		assert_int_equal(r.stop, q->stop);
		assert_true(r.halted);
		assert_int_equal(floodramp_knee(&r, &knee), q->knee);
		assert_int_equal(knee, q->knee_pps);
		assert_int_equal(r.n_below ? r.below_pps : 0, q->below_pps);
		assert_int_equal(r.ok_pps, q->ok_pps);
		/* Once stopped, an interrupt changes nothing. */
		floodramp_interrupt(&r);
		assert_int_equal(r.stop, q->stop);
	}
}

static void test_floodramp_interrupt(void **st)
{
	struct floodramp_cfg c = cfg(1000, 2.0, 0);
	struct floodramp_step s = { .junk_sent = 1000, .legit_sent = 10,
				    .legit_answered = 10 };
	struct floodramp r;
	uint64_t knee;

	(void)st;
	assert_int_equal(floodramp_init(&r, &c), 0);
	assert_int_equal(floodramp_judge(&r, &s), FLOODRAMP_OK);
	floodramp_interrupt(&r);
	assert_int_equal(r.stop, FLOODRAMP_STOP_INTERRUPTED);
	assert_true(r.halted);
	assert_false(floodramp_knee(&r, &knee));
	assert_int_equal(r.ok_pps, 1000);
}

static void test_floodramp_lat(void **st)
{
	static struct floodramp_lat h;
	uint64_t ns = 0;

	(void)st;
	memset(&h, 0, sizeof(h));
	assert_false(floodramp_lat_quantile(&h, &ns, 500000));
	/* Exact to the microsecond below 128 us. */
	floodramp_lat_add(&h, 42700);
	assert_true(floodramp_lat_quantile(&h, &ns, 500000));
	assert_int_equal(ns, 42500);
	assert_true(floodramp_lat_quantile(&h, &ns, 990000));
	assert_int_equal(ns, 42500);
	/* 1..1000 ms, one each: the nearest-rank median is 500 ms and p99
	 * 990 ms, within a bucket's 1.6 %. */
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 1000; v++)
		floodramp_lat_add(&h, v * MS);
	assert_int_equal(h.n, 1000);
	assert_true(floodramp_lat_quantile(&h, &ns, 500000));
	assert_true(ns > 492 * MS && ns < 508 * MS);
	assert_true(floodramp_lat_quantile(&h, &ns, 990000));
	assert_true(ns > 974 * MS && ns < 1006 * MS);
	assert_true(floodramp_lat_quantile(&h, &ns, 1000000));
	assert_true(ns > 984 * MS && ns < 1016 * MS);
	/* A small share of slow answers moves p99, not the median. */
	memset(&h, 0, sizeof(h));
	for (unsigned i = 0; i < 980; i++)
		floodramp_lat_add(&h, 300000);          /* 0.3 ms */
	for (unsigned i = 0; i < 20; i++)
		floodramp_lat_add(&h, 2 * SEC);
	assert_true(floodramp_lat_quantile(&h, &ns, 500000));
	assert_true(ns > 295000 && ns < 305000);
	assert_true(floodramp_lat_quantile(&h, &ns, 990000));
	assert_true(ns > 1968 * MS && ns < 2032 * MS);
	/* Every bucket boundary maps to a bucket whose middle is within
	 * 1/64 of it, up to the clamp at 2^32 us. */
	for (uint64_t us = 1; us < (1ull << 32); us = us * 9 / 8 + 1) {
		memset(&h, 0, sizeof(h));
		floodramp_lat_add(&h, us * 1000);
		assert_true(floodramp_lat_quantile(&h, &ns, 500000));
		assert_true(ns + 1000 >= us * 1000 - us * 1000 / 64);
		assert_true(ns <= us * 1000 + us * 1000 / 64 + 1000);
	}
	memset(&h, 0, sizeof(h));
	floodramp_lat_add(&h, UINT64_MAX);      /* clamped, no overflow */
	assert_true(floodramp_lat_quantile(&h, &ns, 500000));
	assert_true(ns > 4200 * SEC);
}

static void test_floodramp_format(void **st)
{
	struct floodramp_cfg c = cfg(1000, 2.0, 0);
	static struct floodramp_step s;
	struct floodramp r;
	char line[512];
	int n;

	(void)st;
	c.step_ms = 2000;
	assert_int_equal(floodramp_init(&r, &c), 0);
	memset(&s, 0, sizeof(s));
	s.junk_sent = 3998;
	s.legit_sent = 400;
	s.legit_answered = 399;
	for (unsigned i = 0; i < 399; i++)
		floodramp_lat_add(&s.lat, i < 390 ? 250000 : 20 * MS);
	n = floodramp_format_step(line, sizeof(line), &r, 0, &s,
				  FLOODRAMP_OK);
	assert_int_equal(n, (int)strlen(line));
	assert_string_equal(line,
			    "ramp_step step=0 asked_pps=1000 achieved_pps=1999 "
			    "junk_sent=3998 legit_sent=400 legit_answered=399 "
			    "answered_pct=99.75 p50_ms=0.251 p99_ms=20.096 "
			    "verdict=ok");
	/* Nothing answered: no latency; the share rounds down. */
	memset(&s, 0, sizeof(s));
	s.legit_sent = 3;
	s.junk_sent = 2000;
	assert_true(floodramp_format_step(line, sizeof(line), &r, 1, &s,
					  FLOODRAMP_SENDER_LIMITED) > 0);
	assert_string_equal(line,
			    "ramp_step step=1 asked_pps=2000 achieved_pps=1000 "
			    "junk_sent=2000 legit_sent=3 legit_answered=0 "
			    "answered_pct=0.00 p50_ms=none p99_ms=none "
			    "verdict=sender-limited");
	s.legit_answered = 2;
	assert_true(floodramp_format_step(line, sizeof(line), &r, 1, &s,
					  FLOODRAMP_BELOW) > 0);
	assert_non_null(strstr(line, " answered_pct=66.66 "));
	assert_int_equal(floodramp_format_step(line, 40, &r, 1, &s,
					       FLOODRAMP_BELOW), -EMSGSIZE);
	assert_int_equal(floodramp_format_step(line, sizeof(line), &r,
					       r.n_steps, &s, FLOODRAMP_OK),
			 -EINVAL);

	/* The end line: a knee, none, not reached. */
	r.n_judged = 3;
	r.n_below = 1;
	r.below_pps = 4000;
	r.ok_pps = 2000;
	r.ok_achieved_pps = 1999;
	r.stop = FLOODRAMP_STOP_BELOW;
	n = floodramp_format_end(line, sizeof(line), &r, 5);
	assert_int_equal(n, (int)strlen(line));
	assert_string_equal(line,
			    "ramp_end result=knee knee_pps=2000 "
			    "knee_achieved_pps=1999 highest_ok_pps=2000 "
			    "below_pps=4000 stop=below steps=3 threshold=0.99 "
			    "late_pongs=5");
	r.ok_pps = r.ok_achieved_pps = 0;
	r.below_pps = 1000;
	r.n_judged = 1;
	assert_true(floodramp_format_end(line, sizeof(line), &r, 0) > 0);
	assert_string_equal(line,
			    "ramp_end result=knee knee_pps=none "
			    "knee_achieved_pps=none highest_ok_pps=none "
			    "below_pps=1000 stop=below steps=1 threshold=0.99 "
			    "late_pongs=0");
	r.n_below = 0;
	r.ok_pps = 64000;
	r.ok_achieved_pps = 63990;
	r.n_judged = 7;
	r.stop = FLOODRAMP_STOP_SENDER;
	assert_true(floodramp_format_end(line, sizeof(line), &r, 0) > 0);
	assert_string_equal(line,
			    "ramp_end result=no-knee knee_pps=not-reached "
			    "knee_achieved_pps=none highest_ok_pps=64000 "
			    "below_pps=none stop=sender-limited steps=7 "
			    "threshold=0.99 late_pongs=0");
	assert_int_equal(floodramp_format_end(line, 20, &r, 0), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floodramp_parse),
		cmocka_unit_test(test_floodramp_parse_threshold),
		cmocka_unit_test(test_floodramp_schedule),
		cmocka_unit_test(test_floodramp_steps_and_pace),
		cmocka_unit_test(test_floodramp_judge_sequences),
		cmocka_unit_test(test_floodramp_interrupt),
		cmocka_unit_test(test_floodramp_lat),
		cmocka_unit_test(test_floodramp_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
