/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_budget.c - memory budgets of the RLPx stage. */
#include "dataplane/stage/rlpx_budget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool rlpx_budget_take(struct rlpx_budget *b, size_t n)
{
	for (struct rlpx_budget *p = b; p; p = p->parent)
		if (p->used > p->max || n > p->max - p->used)
			return false;
	for (struct rlpx_budget *p = b; p; p = p->parent) {
		p->used += n;
		if (p->used > p->peak)
			p->peak = p->used;
	}
	return true;
}

void rlpx_budget_give(struct rlpx_budget *b, size_t n)
{
	for (struct rlpx_budget *p = b; p; p = p->parent)
		p->used = n < p->used ? p->used - n : 0;
}

int rlpx_budget_grow(struct rlpx_budget *b, uint8_t **buf, size_t *cap,
		     size_t need, size_t max)
{
	size_t n = *cap ? *cap : 4096;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -EMSGSIZE;
	while (n < need)
		n *= 2;
	if (n > max)
		n = max;
	if (!rlpx_budget_take(b, n - *cap)) {
		n = need;               /* no room to double: just what it takes */
		if (!rlpx_budget_take(b, n - *cap))
			return -EDQUOT;
	}
	p = realloc(*buf, n);
	if (!p) {
		rlpx_budget_give(b, n - *cap);
		return -ENOMEM;
	}
	*buf = p;
	*cap = n;
	return 0;
}

void rlpx_budget_shrink(struct rlpx_budget *b, uint8_t **buf, size_t *cap,
			size_t keep)
{
	uint8_t *p;

	if (*cap <= keep)
		return;
	if (*buf)
		explicit_bzero(*buf + keep, *cap - keep);
	if (!keep) {
		free(*buf);
		*buf = NULL;
	} else {
		p = realloc(*buf, keep);
		if (!p)
			return;         /* keep the bigger block, charged */
		*buf = p;
	}
	rlpx_budget_give(b, *cap - keep);
	*cap = keep;
}
