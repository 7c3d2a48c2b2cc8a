/* SPDX-License-Identifier: MIT */
/* common/ct.h - constant-time helpers for comparing MACs and secrets. */
#ifndef COMMON_CT_H
#define COMMON_CT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ct_memeq() compares a and b over len bytes in time that depends only on
 * len. Returns true when equal. */
static inline bool ct_memeq(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
#endif /* COMMON_CT_H */
