/* SPDX-License-Identifier: MIT */
/* common/hex.c - lower-case hex encoding and strict decoding. */
#include "common/hex.h"

#include <errno.h>

char *hex_encode(char *out, const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t hex_decode(uint8_t *out, size_t out_len, const char *str, size_t str_len)
{
	if (str_len >= 2 && str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		str += 2;
		str_len -= 2;
	}
	if (str_len % 2)
		return -EBADMSG;
	if (str_len / 2 > out_len)
		return -EMSGSIZE;
	for (size_t i = 0; i < str_len / 2; i++) {
		int hi = nibble(str[2 * i]), lo = nibble(str[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(str_len / 2);
}
