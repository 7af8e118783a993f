/*
 * util/csv.h - a fast RFC 4180 reader over a buffer already in memory.
 * Fields are views: unquoted fields (and quoted ones without "" escapes)
 * point into the input; quoted fields with escapes are unescaped into the
 * reader's scratch space. No I/O, no per-field allocation.
 *
 *   struct ut_csv c;
 *   struct ut_csv_row row;
 *   ut_csv_init(&c, data, len, 0);
 *   while ((rc = ut_csv_next_row(&c, &row, diag)) > 0) { ... row.fields[i] ... }
 *   ut_csv_release(&c);
 */
#ifndef UT_UTIL_CSV_H
#define UT_UTIL_CSV_H

#include <stddef.h>

#include "utmost/common.h"

/* Caps: bytes in one field, fields in one row, unescaped bytes in one row. */
#define UT_CSV_FIELD_MAX ((size_t)1 << 20)
#define UT_CSV_FIELDS_MAX 4096u
#define UT_CSV_SCRATCH_MAX ((size_t)64 << 20)

/* One field: bytes (not NUL-terminated) and the 1-based byte column of its first byte. */
struct ut_csv_field {
    const char *ptr;
    size_t len;
    size_t col;
};

/* One row; fields and their bytes are borrowed until the next call on the reader. */
struct ut_csv_row {
    const struct ut_csv_field *fields;
    size_t n;
    size_t line; /* 1-based line where the row starts */
};

struct ut_csv {
    const char *data, *end; /* the input (borrowed) */
    const char *pos;        /* next byte to read */
    const char *line_start; /* first byte of the current line */
    size_t line;            /* 1-based line of pos */
    char sep;
    struct ut_csv_field *fields;
    size_t fields_cap;
    char *scratch; /* unescaped quoted fields of the current row */
    size_t scratch_len, scratch_cap;
    size_t *fixups;             /* pairs (field index, scratch offset) to resolve at row end */
    size_t nfixups, fixups_cap; /* in size_t elements (two per fixup) */
};

/*
 * The separator a header line suggests: the most frequent of ',', ';' and
 * tab outside quotes in the first line (ties in that order), ',' if none.
 * A leading UTF-8 BOM is ignored. Never reads past len.
 */
char ut_csv_detect_sep(const char *data, size_t len);

/*
 * Start reading data[0..len) (borrowed: it must outlive the reader) with
 * separator sep, or the detected one when sep is 0 (or one of '"', CR, LF,
 * which cannot separate). A UTF-8 BOM at the start is skipped. Never fails
 * and never allocates.
 */
void ut_csv_init(struct ut_csv *c, const char *data, size_t len, char sep);
/* Free the reader's scratch space; an initialised or released reader is a no-op. */
void ut_csv_release(struct ut_csv *c);

/*
 * Read the next row into *row. Returns 1 for a row, 0 at the end, or a
 * negative UT_EPARSE (unterminated quote, stray quote in an unquoted field,
 * bytes after a closing quote), UT_ELIMIT (field over UT_CSV_FIELD_MAX, row
 * over UT_CSV_FIELDS_MAX fields or UT_CSV_SCRATCH_MAX unescaped bytes) or
 * UT_ENOMEM, with line/col and a message in diag. Empty lines (nothing
 * between two line ends) are skipped by the reader; a line of spaces is a
 * row. Line ends are LF or CRLF; a CR not followed by LF is data. After an
 * error the reader must only be released.
 */
int ut_csv_next_row(struct ut_csv *c, struct ut_csv_row *row, struct ut_diag *diag);

#endif /* UT_UTIL_CSV_H */
