/* SPDX-License-Identifier: MIT */
/* control/store/atomicfile.h - replace a file atomically (nodes.json, the crawl report). */
#ifndef CONTROL_ATOMICFILE_H
#define CONTROL_ATOMICFILE_H
#include <stddef.h>
#include <stdio.h>

/* Writes a file's content to f. Returns 0 or -errno. */
typedef int atomicfile_fill_fn(FILE *f, void *user);

/* atomicfile_write() replaces path atomically: fill writes into a
 * temporary file in the same directory ("<path>.tmp.XXXXXX"), which is
 * fsynced, made 0644 and renamed over path, and the directory fsynced, so
 * a reader (or a crash) sees either the old file or the new one, never a
 * half-written one. Returns 0 or -errno (fill's, or the file system's;
 * the temporary file is removed). */
int atomicfile_write(const char *path, atomicfile_fill_fn *fill, void *user);

/* atomicfile_write_bytes() is atomicfile_write() of buf[0..len). */
int atomicfile_write_bytes(const char *path, const void *buf, size_t len);

/* atomicfile_clean_temps() removes the temporary files atomicfile_write()
 * leaves next to path when the process is killed between creating and
 * renaming one. Only for a path no other process is writing. Returns how
 * many were removed, or -errno (directory unreadable). */
int atomicfile_clean_temps(const char *path);

#endif /* CONTROL_ATOMICFILE_H */
