/* SPDX-License-Identifier: MIT */
/* control/store/nodesjson.h - geth's `devp2p` nodes.json node-set format. */
#ifndef CONTROL_NODESJSON_H
#define CONTROL_NODESJSON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NODESJSON_ID_LEN    32          /* keccak256(pubkey), the map key */
#define NODESJSON_ZERO_TIME INT64_MIN   /* Go's zero time.Time */

/* One node of the set, as cmd/devp2p/nodeset.go's nodeJSON. Times are Unix
 * seconds (UTC) or NODESJSON_ZERO_TIME. */
struct nodesjson_entry {
	uint8_t id[NODESJSON_ID_LEN];
	uint64_t seq;
	const char *record;             /* "enr:..." text, or an enode:// URL */
	int score;                      /* omitted from the output when 0 */
	int64_t first_response;
	int64_t last_response;
	int64_t last_check;
};

/* nodesjson_format_time() writes t as Go's time.Time JSON text for a UTC
 * time truncated to seconds ("2006-01-02T15:04:05Z"; the zero time is
 * "0001-01-01T00:00:00Z"). out must hold 32 bytes. Returns out. */
char *nodesjson_format_time(char out[32], int64_t t);

/* nodesjson_fprint() writes the set to f exactly as geth's
 * json.MarshalIndent(nodes, "", "    ") does: keys (hex node ids) sorted,
 * fields in nodeJSON's order, no trailing newline. entries is sorted in
 * place by id. Returns 0 or -EIO. */
int nodesjson_fprint(FILE *f, struct nodesjson_entry *entries, size_t n);

/* nodesjson_write() replaces path atomically: the set is written to a
 * temporary file in the same directory, fsynced, and renamed over path, so
 * a reader (or a crash) sees either the old file or the new one, never a
 * half-written one. Returns 0 or -errno. */
int nodesjson_write(const char *path, struct nodesjson_entry *entries, size_t n);

/* nodesjson_clean_temps() removes the temporary files nodesjson_write()
 * leaves next to path when the process is killed between creating and
 * renaming one ("<path>.tmp.XXXXXX"). Only for a path no other process
 * is writing. Returns how many were removed, or -errno (directory
 * unreadable). */
int nodesjson_clean_temps(const char *path);

#endif /* CONTROL_NODESJSON_H */
