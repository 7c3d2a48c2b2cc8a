/* SPDX-License-Identifier: MIT */
/* common/hex.h - lower-case hex encoding and strict decoding. */
#ifndef COMMON_HEX_H
#define COMMON_HEX_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* hex_encode() writes 2*len lower-case hex digits and a NUL to out, which
 * must hold 2*len+1 bytes. Returns out. */
char *hex_encode(char *out, const uint8_t *buf, size_t len);

/* hex_decode() decodes the hex digits in str[0..str_len) (an optional "0x"
 * prefix is skipped) into out[0..out_len). Returns the bytes written, or
 * -EBADMSG (odd length or a non-hex digit), -EMSGSIZE (out too small). */
ssize_t hex_decode(uint8_t *out, size_t out_len, const char *str, size_t str_len);

#endif /* COMMON_HEX_H */
