/* SPDX-License-Identifier: MIT */
/* control/base/wallclock.h - Unix time for engines that run on the host's
 * monotonic clock. */
#ifndef CONTROL_WALLCLOCK_H
#define CONTROL_WALLCLOCK_H
#include <stdint.h>

/*
 * Every deadline and interval in control runs on CLOCK_MONOTONIC: the
 * `now` an engine is handed never jumps when NTP steps the wall clock.
 * Unix time is needed only where the protocol carries it (discv4
 * expirations, the node database's and nodes.json's timestamps), and an
 * engine gets it as now + unix_minus_mono_ns from a struct wallclock the
 * host refreshes on every wake-up from both clocks. A stepped wall clock
 * then moves those timestamps, as it should, and no deadline.
 *
 * Engines never read a clock: tests and the simulator set the offset
 * themselves. A NULL wallclock means "now is Unix time already" (offset
 * 0), which is what unit tests written against a Unix-valued fake clock
 * expect.
 */
struct wallclock {
	int64_t unix_minus_mono_ns;
};

/* wallclock_unix_ns() is the Unix time in ns at monotonic now_ns. */
static inline uint64_t wallclock_unix_ns(const struct wallclock *w,
					 uint64_t now_ns)
{
	return w ? now_ns + (uint64_t)w->unix_minus_mono_ns : now_ns;
}

/* wallclock_mono_ns() is the monotonic time of Unix time unix_ns (0 when
 * that lies before the monotonic clock's origin: "long ago"). */
static inline uint64_t wallclock_mono_ns(const struct wallclock *w,
					 uint64_t unix_ns)
{
	int64_t off = w ? w->unix_minus_mono_ns : 0;

	if (off > 0 && unix_ns < (uint64_t)off)
		return 0;
	return unix_ns - (uint64_t)off;
}

#endif /* CONTROL_WALLCLOCK_H */
