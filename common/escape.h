/* SPDX-License-Identifier: MIT */
/* common/escape.h - remote-controlled bytes made safe to print: printable ASCII kept, everything else as \xNN. */
#ifndef COMMON_ESCAPE_H
#define COMMON_ESCAPE_H
#include <stddef.h>

/* Buffer size that always holds the escaped form of len bytes and its NUL. */
#define ESCAPE_BUF_LEN(len) (4 * (size_t)(len) + 1)

/* escape_bytes() writes in[0..len) to out[0..cap) as text that is safe for
 * a log line, a terminal or a line-oriented parser, whatever the bytes
 * were (a peer's client id, capability names, anything from the wire):
 * bytes 0x20..0x7e are copied, except the backslash, which becomes "\\";
 * every other byte (NUL, control characters, DEL, 0x80..0xff) becomes
 * "\xNN" with lower-case hex digits. The output is always NUL-terminated
 * when cap > 0 and is cut before an escape that does not fit, never in
 * the middle of one. Pure; any thread.
 * Returns the length of the whole escaped text, NUL not counted
 * (snprintf semantics: a value >= cap means the output was truncated). */
size_t escape_bytes(char *out, size_t cap, const void *in, size_t len);

#endif /* COMMON_ESCAPE_H */
