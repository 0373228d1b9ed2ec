/*
 * archive.h: unpack a submission archive (.tar, .tar.gz/.tgz, .tar.xz, .zip...) with
 * libarchive into a fresh directory. Only regular files and directories are written;
 * absolute paths, "..", links and device files are skipped with a note; sizes and
 * counts are capped.
 */
#ifndef GRADER_ARCHIVE_H
#define GRADER_ARCHIVE_H

#include <stddef.h>

/* Is NAME an archive name the grader accepts? */
int is_archive_name(const char *name);

/* NAME without its archive extension (a new string). */
char *archive_stem(const char *name);

/* Extract PATH into DEST (created). NOTES gets what was skipped (may be NULL on
 * return). -1 with ERR when the archive cannot be read at all. */
int extract_archive(const char *path, const char *dest, char **notes, char *err);

#endif
