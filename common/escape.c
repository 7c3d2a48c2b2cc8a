/* SPDX-License-Identifier: MIT */
/* common/escape.c - remote-controlled bytes made safe to print. */
#include "common/escape.h"

#include <stdbool.h>
#include <stdint.h>

size_t escape_bytes(char *out, size_t cap, const void *in, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	const uint8_t *p = in;
	size_t total = 0, w = 0;
	bool full = false;

	for (size_t i = 0; i < len; i++) {
		char e[4];
		size_t n;

		if (p[i] == '\\') {
			e[0] = '\\';
			e[1] = '\\';
			n = 2;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			e[0] = (char)p[i];
			n = 1;
		} else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hexd[p[i] >> 4];
			e[3] = hexd[p[i] & 0xf];
			n = 4;
		}
		total += n;
		/* Whole escapes only: once one does not fit, stop writing. */
		if (!full && w + n < cap) {
			for (size_t k = 0; k < n; k++)
				out[w++] = e[k];
		} else {
			full = true;
		}
	}
	if (cap)
		out[w] = '\0';
	return total;
}
