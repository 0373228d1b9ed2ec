/*
 * archive.c: submission archives through libarchive (see archive.h).
 */
#include "archive.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 5000
#define MAX_TOTAL (64LL << 20)

static const char *const extensions[] = { ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2",
                                          ".tar.zst", ".tar", ".zip", NULL };

int is_archive_name(const char *name)
{
    for (const char *const *e = extensions; *e; e++)
        if (ends_with(name, *e))
            return 1;
    return 0;
}

char *archive_stem(const char *name)
{
    char *s = xstrdup(name);
    for (const char *const *e = extensions; *e; e++)
        if (ends_with(s, *e)) {
            s[strlen(s) - strlen(*e)] = '\0';
            break;
        }
    return s;
}

/* Copy one member's data, counting it against the total; -1 past the cap. */
static int copy_data(struct archive *in, struct archive *out, long long *total)
{
    const void *block;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
        *total += (long long)size;
        if (*total > MAX_TOTAL)
            return -1;
        if (archive_write_data_block(out, block, size, offset) != ARCHIVE_OK)
            return -1;
    }
    return r == ARCHIVE_EOF ? 0 : -1;
}

static int acceptable(struct archive_entry *e, const char **why)
{
    const char *p = archive_entry_pathname(e);
    mode_t type = archive_entry_filetype(e);
    *why = !p || !*p ? "empty name" : p[0] == '/' ? "absolute path"
         : strstr(p, "..") ? "path with .." : archive_entry_hardlink(e) ? "hard link"
         : type == AE_IFREG || type == AE_IFDIR ? NULL : "not a regular file";
    return *why == NULL;
}

static struct archive *open_reader(const char *path, char *err)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        snprintf(err, ERRLEN, "cannot read the archive %s: %s", path, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Write one entry under DEST; returns -1 if the total size cap was passed. An entry
 * that cannot be written is noted in SKIPPED. */
static int write_entry(struct archive *in, struct archive *out, struct archive_entry *e,
                       const char *dest, long long *total, struct buf *skipped)
{
    char *name = xstrdup(archive_entry_pathname(e));
    char *target = xasprintf("%s/%s", dest, name);
    archive_entry_set_pathname(e, target);
    archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0755 : 0644);
    int rc = 0;
    if (archive_write_header(out, e) != ARCHIVE_OK)
        buf_printf(skipped, "skipped %s (%s)\n", name, archive_error_string(out));
    else if (archive_entry_size(e) > 0)
        rc = copy_data(in, out, total);
    free(name);
    archive_write_finish_entry(out);
    free(target);
    return rc;
}

int extract_archive(const char *path, const char *dest, char **notes, char *err)
{
    *notes = NULL;
    if (mkdir_p(dest, err) == -1)
        return -1;
    struct archive *in = open_reader(path, err);
    if (!in)
        return -1;
    struct archive *out = archive_write_disk_new();
    /* Absolute names and ".." are refused above; the target names are DEST/name, which
     * is why ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS is not set. */
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    struct buf skipped = { 0 };
    struct archive_entry *e;
    long long total = 0;
    int count = 0, r, rc = 0;
    while (rc == 0 && (r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        const char *why;
        if (++count > MAX_ENTRIES)
            snprintf(err, ERRLEN, "%s: more than %d entries", path, MAX_ENTRIES), rc = -1;
        else if (!acceptable(e, &why))
            buf_printf(&skipped, "skipped %s (%s)\n", archive_entry_pathname(e), why);
        else if (write_entry(in, out, e, dest, &total, &skipped) == -1)
            snprintf(err, ERRLEN, "%s: more than %lld MB of data", path, MAX_TOTAL >> 20),
                rc = -1;
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        snprintf(err, ERRLEN, "%s: damaged archive: %s", path, archive_error_string(in)), rc = -1;
    if (rc == 0 && count == 0)
        snprintf(err, ERRLEN, "%s: empty archive", path), rc = -1;
    archive_write_free(out);
    archive_read_free(in);
    *notes = skipped.s;
    return rc;
}
