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
	/* The three times' fraction of a second and UTC offset (seconds
	 * east), as read from a file (nodesjson_parse()): written back as
	 * Go writes them. Zero when made here: UTC, whole seconds. */
	uint32_t nsec[3];               /* first, last, check */
	int32_t utc_off[3];
};

/* A node set read from a file: entries[] and the records they point to,
 * owned together (nodesjson_set_free()). */
struct nodesjson_set {
	struct nodesjson_entry *entries;
	size_t n;
	char *strings;                  /* the records' text */
};

/* nodesjson_format_time() writes t as Go's time.Time JSON text for a UTC
 * time truncated to seconds ("2006-01-02T15:04:05Z"; the zero time is
 * "0001-01-01T00:00:00Z"). out must hold 32 bytes. Returns out. */
char *nodesjson_format_time(char out[32], int64_t t);

/* nodesjson_format_time_ext() writes t (Unix seconds) + nsec at UTC
 * offset off (seconds east) as Go's time.Time JSON text (RFC 3339 with
 * nanoseconds, trailing zeros and an all-zero fraction dropped, "Z" for
 * offset 0; the zero time as above). out must hold 40 bytes. Returns out. */
char *nodesjson_format_time_ext(char out[40], int64_t t, uint32_t nsec,
				int32_t off);

/* nodesjson_parse_time() parses Go's time.Time JSON text (RFC 3339: date,
 * "T", time, optional fraction of 1..9 digits, "Z" or +hh:mm/-hh:mm)
 * from s[0..len) (no quotes) into Unix seconds, nanoseconds and offset;
 * the zero time gives NODESJSON_ZERO_TIME. Returns 0 or -EINVAL. */
int nodesjson_parse_time(int64_t *t, uint32_t *nsec, int32_t *off,
			 const char *s, size_t len);

/* nodesjson_parse() reads a node set (geth's nodes.json) from
 * text[0..len) into *set, as geth's loadNodesJSON does: an object of
 * 64-hex-digit node ids (an optional 0x) to {"seq", "record", "score",
 * "firstResponse", "lastResponse", "lastCheck"}, every field optional but
 * "record", which must be an "enr:" record that decodes and verifies
 * (v4) or an enode:// URL; other fields are ignored. Entries keep the
 * file's order. On error, err[0..err_len) says what and *set is empty.
 * Returns 0, -EBADMSG (malformed), -ENOMEM. */
int nodesjson_parse(struct nodesjson_set *set, const char *text, size_t len,
		    char *err, size_t err_len);

/* nodesjson_read() is nodesjson_parse() of the file at path ("-": standard
 * input). Returns as nodesjson_parse(), or the -errno of reading. */
int nodesjson_read(struct nodesjson_set *set, const char *path, char *err,
		   size_t err_len);

/* nodesjson_set_free() frees what a set holds (not set). */
void nodesjson_set_free(struct nodesjson_set *set);

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
