/*
 * util/csv.c - the RFC 4180 reader. Unquoted fields are found with a SWAR
 * scan (eight bytes per step for separator, quote and LF at once) and
 * returned as views; only quoted fields with "" escapes are copied into the
 * reader's scratch space. Never reads past the end of the input.
 */
#include "util/setup.h"

#include "util/csv.h"

#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

static const char utf8_bom[3] = {'\xef', '\xbb', '\xbf'};

/* ---- scanning ------------------------------------------------------------ */

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL

/*
 * High bit set in each byte of v equal to the byte repeated in pattern. Bits
 * above the lowest true match may be false positives (borrows), so only the
 * lowest set bit is meaningful.
 */
static inline uint64_t
swar_eq(uint64_t v, uint64_t pattern)
{
    uint64_t x = v ^ pattern;

    return (x - SWAR_ONES) & ~x & SWAR_HIGHS;
}

/* First byte of [p, end) that is sep, '"' or '\n'; end if none. */
static inline const char *
scan_special(const char *p, const char *end, char sep)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t sepv = SWAR_ONES * (unsigned char)sep;

    while (end - p >= 8) {
        uint64_t v, m;

        memcpy(&v, p, 8);
        m = swar_eq(v, sepv) | swar_eq(v, SWAR_ONES * '"') | swar_eq(v, SWAR_ONES * '\n');
        if (m != 0) {
            return p + (__builtin_ctzll(m) >> 3);
        }
        p += 8;
    }
#endif
    while (p < end && *p != sep && *p != '"' && *p != '\n') {
        p++;
    }
    return p;
}

char
ut_csv_detect_sep(const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;

    if (len >= 3 && memcmp(data, utf8_bom, 3) == 0) {
        p += 3;
    }
    for (; p < end; p++) {
        char ch = *p;

        if (ch == '"') {
            quoted = !quoted;
        } else if (quoted) {
            continue;
        } else if (ch == '\n') {
            break;
        } else if (ch == ',') {
            comma++;
        } else if (ch == ';') {
            semi++;
        } else if (ch == '\t') {
            tab++;
        }
    }
    if (semi > comma && semi >= tab) {
        return ';';
    }
    if (tab > comma && tab > semi) {
        return '\t';
    }
    return ',';
}

/* ---- reader ---------------------------------------------------------------- */

void
ut_csv_init(struct ut_csv *c, const char *data, size_t len, char sep)
{
    memset(c, 0, sizeof(*c));
    c->data = data;
    c->end = data + len;
    c->pos = data;
    if (len >= 3 && memcmp(data, utf8_bom, 3) == 0) {
        c->pos += 3;
    }
    c->line_start = c->pos;
    c->line = 1;
    if (sep == 0 || sep == '"' || sep == '\n' || sep == '\r') {
        sep = ut_csv_detect_sep(data, len);
    }
    c->sep = sep;
}

void
ut_csv_release(struct ut_csv *c)
{
    ut_free(c->fields);
    ut_free(c->scratch);
    ut_free(c->fixups);
    c->fields = NULL;
    c->scratch = NULL;
    c->fixups = NULL;
    c->fields_cap = c->scratch_cap = c->fixups_cap = 0;
    c->scratch_len = c->nfixups = 0;
}

static size_t
col_of(const struct ut_csv *c, const char *p)
{
    return (size_t)(p - c->line_start) + 1;
}

/* Account for the line ends in [p, q) (inside a quoted field). */
static void
count_lines(struct ut_csv *c, const char *p, const char *q)
{
    while (p < q) {
        const char *nl = memchr(p, '\n', (size_t)(q - p));

        if (nl == NULL) {
            break;
        }
        c->line++;
        c->line_start = nl + 1;
        p = nl + 1;
    }
}

static int
scratch_add(struct ut_csv *c, const char *p, size_t n, struct ut_diag *diag, size_t line,
            size_t col)
{
    size_t need;

    if (ut_size_add(c->scratch_len, n, &need) != 0 || need > UT_CSV_SCRATCH_MAX) {
        ut_diag_at(diag, line, col, "row too long: over %zu bytes of quoted text",
                   (size_t)UT_CSV_SCRATCH_MAX);
        return UT_ELIMIT;
    }
    if (ut_grow((void **)&c->scratch, &c->scratch_cap, need, 1) != UT_OK) {
        return UT_ENOMEM;
    }
    memcpy(c->scratch + c->scratch_len, p, n);
    c->scratch_len = need;
    return UT_OK;
}

/* Remember that field idx lives at scratch offset off (scratch may move). */
static int
fixup_add(struct ut_csv *c, size_t idx, size_t off)
{
    if (ut_grow((void **)&c->fixups, &c->fixups_cap, c->nfixups + 2, sizeof(size_t)) != UT_OK) {
        return UT_ENOMEM;
    }
    c->fixups[c->nfixups++] = idx;
    c->fixups[c->nfixups++] = off;
    return UT_OK;
}

/*
 * Read the quoted field whose opening quote is at *pp into *f (field index
 * idx of the row); on success *pp is at the byte after the closing quote (past
 * a CR that ends the line).
 */
static int
read_quoted(struct ut_csv *c, const char **pp, struct ut_csv_field *f, size_t idx,
            struct ut_diag *diag)
{
    const char *open = *pp, *p = open + 1, *end = c->end;
    size_t line = c->line, col = f->col, off = c->scratch_len;
    int escaped = 0, err;

    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));

        if (q == NULL) {
            ut_diag_at(diag, line, col, "unterminated quoted field");
            return UT_EPARSE;
        }
        count_lines(c, p, q);
        if (q + 1 < end && q[1] == '"') {
            escaped = 1;
            err = scratch_add(c, p, (size_t)(q + 1 - p), diag, line, col);
            if (err != UT_OK) {
                return err;
            }
            p = q + 2;
            continue;
        }
        if (escaped) {
            err = scratch_add(c, p, (size_t)(q - p), diag, line, col);
            if (err == UT_OK) {
                err = fixup_add(c, idx, off);
            }
            if (err != UT_OK) {
                return err;
            }
            f->ptr = NULL;
            f->len = c->scratch_len - off;
        } else {
            f->ptr = open + 1;
            f->len = (size_t)(q - (open + 1));
        }
        p = q + 1;
        break;
    }
    if (f->len > UT_CSV_FIELD_MAX) {
        ut_diag_at(diag, line, col, "field too long: over %zu bytes", (size_t)UT_CSV_FIELD_MAX);
        return UT_ELIMIT;
    }
    if (p < end && *p == '\r' && (p + 1 == end || p[1] == '\n')) {
        p++;
    }
    if (p < end && *p != c->sep && *p != '\n') {
        ut_diag_at(diag, c->line, col_of(c, p), "unexpected character after closing quote");
        return UT_EPARSE;
    }
    *pp = p;
    return UT_OK;
}

/* Skip empty lines (LF or CRLF alone, or a lone CR at the very end). */
static void
skip_blank_lines(struct ut_csv *c)
{
    const char *p = c->pos, *end = c->end;

    while (p < end) {
        if (*p == '\n') {
            p++;
        } else if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
            p += p + 1 == end ? 1 : 2;
        } else {
            break;
        }
        c->line++;
        c->line_start = p;
    }
    c->pos = p;
}

static int
fields_reserve(struct ut_csv *c, size_t n, struct ut_diag *diag, size_t line, size_t col)
{
    if (n >= UT_CSV_FIELDS_MAX) {
        ut_diag_at(diag, line, col, "too many fields: over %u", UT_CSV_FIELDS_MAX);
        return UT_ELIMIT;
    }
    if (n < c->fields_cap) {
        return UT_OK;
    }
    return ut_grow((void **)&c->fields, &c->fields_cap, n + 1, sizeof(*c->fields));
}

int
ut_csv_next_row(struct ut_csv *c, struct ut_csv_row *row, struct ut_diag *diag)
{
    const char *p, *end = c->end;
    size_t n = 0;
    int err;

    skip_blank_lines(c);
    if (c->pos >= end) {
        return 0;
    }
    row->line = c->line;
    c->scratch_len = 0;
    c->nfixups = 0;
    p = c->pos;
    for (;;) {
        struct ut_csv_field *f;
        int quoted = p < end && *p == '"';

        err = fields_reserve(c, n, diag, c->line, col_of(c, p));
        if (err != UT_OK) {
            return err;
        }
        f = &c->fields[n++];
        f->col = col_of(c, p);
        if (quoted) {
            err = read_quoted(c, &p, f, n - 1, diag);
            if (err != UT_OK) {
                return err;
            }
        } else {
            const char *e = scan_special(p, end, c->sep);

            if (e < end && *e == '"') {
                ut_diag_at(diag, c->line, col_of(c, e), "unexpected quote in unquoted field");
                return UT_EPARSE;
            }
            f->ptr = p;
            f->len = (size_t)(e - p);
            p = e;
            if (f->len > UT_CSV_FIELD_MAX) {
                ut_diag_at(diag, c->line, f->col, "field too long: over %zu bytes",
                           (size_t)UT_CSV_FIELD_MAX);
                return UT_ELIMIT;
            }
        }
        if (p < end && *p == c->sep) {
            p++;
            continue;
        }
        /* End of the row: p is at LF or at the end of the input. */
        if (!quoted && f->len != 0 && f->ptr[f->len - 1] == '\r') {
            f->len--;
        }
        if (p < end) {
            p++;
            c->line++;
            c->line_start = p;
        }
        break;
    }
    for (size_t i = 0; i < c->nfixups; i += 2) {
        c->fields[c->fixups[i]].ptr = c->scratch + c->fixups[i + 1];
    }
    c->pos = p;
    row->fields = c->fields;
    row->n = n;
    return 1;
}
