/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_budget.h - memory budgets of the RLPx stage: every
 * buffer a peer or control can make grow is charged to its session's
 * budget and through it to the worker's. */
#ifndef DATAPLANE_RLPX_BUDGET_H
#define DATAPLANE_RLPX_BUDGET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * DESIGN.md, Trust boundaries: every buffer an attacker can grow has a
 * per-peer and a global cap. A budget counts the bytes of capacity its
 * owner holds (what malloc handed out, not what is in use) against max;
 * a charge goes through every parent too, and is refused whole when any
 * of them would pass its max. Single-threaded (the owning worker).
 */
struct rlpx_budget {
	size_t used;                    /* bytes held */
	size_t max;                     /* cap; SIZE_MAX: none */
	size_t peak;                    /* highest used seen */
	struct rlpx_budget *parent;     /* the worker's, or NULL */
};

/* rlpx_budget_take() charges n bytes to b and its parents. Returns true,
 * or false (nothing charged) when that would pass a max. b NULL: true. */
bool rlpx_budget_take(struct rlpx_budget *b, size_t n);

/* rlpx_budget_give() returns n bytes taken before. b NULL: no-op. */
void rlpx_budget_give(struct rlpx_budget *b, size_t n);

/* rlpx_budget_grow() makes *buf (capacity *cap) hold at least need bytes,
 * realloc'ing to double its size, to max at most, or to exactly need when
 * the budget does not take the doubling. Returns 0, -EMSGSIZE (need >
 * max), -EDQUOT (the budget refuses even need) or -ENOMEM. */
int rlpx_budget_grow(struct rlpx_budget *b, uint8_t **buf, size_t *cap,
		     size_t need, size_t max);

/* rlpx_budget_shrink() cuts *buf down to keep bytes (0: frees it),
 * wiping what goes, and gives the difference back. Growing is not its
 * business: a *cap at or below keep is left alone. */
void rlpx_budget_shrink(struct rlpx_budget *b, uint8_t **buf, size_t *cap,
			size_t keep);

#endif /* DATAPLANE_RLPX_BUDGET_H */
