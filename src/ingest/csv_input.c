/*
 * ingest/csv_input.c - CSV path files and touch / conversion event files into
 * the engine's inputs. Pure decoding over a buffer in memory: rows come from
 * util/csv.c as views, channel names go through a small direct-mapped cache in
 * front of the interner (a file names few channels millions of times), and
 * every rejected value is reported with its line, column and text. A large
 * file is read in two halves by two threads (see "splitting a file in two");
 * the result is always that of a single pass, byte for byte.
 */
#include "util/setup.h"

#include "ingest/csv_input.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "core/journeys.h"
#include "util/alloc.h"
#include "util/csv.h"
#include "util/diag.h"
#include "util/num.h"
#include "util/timeparse.h"

/* Bytes of an offending value quoted in a message. */
#define QUOTE_MAX 64

/* Slots of the channel-name cache (a power of two). */
#define NAME_CACHE_SLOTS 256

/* ---- helpers shared by the three loaders ------------------------------------------ */

static inline void
trim_view(const char **p, size_t *len)
{
    const char *s = *p, *e = *p + *len;

    while (s < e && (*s == ' ' || *s == '\t')) {
        s++;
    }
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    *p = s;
    *len = (size_t)(e - s);
}

static int
quote_len(size_t len)
{
    return (int)(len > QUOTE_MAX ? QUOTE_MAX : len);
}

static int
ascii_lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int
eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) {
        return 0;
    }
    for (size_t i = 0; i < alen; i++) {
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

/* A column the loader looks for; idx is its position in the header or -1. */
struct col {
    const char *name;
    int required;
    long idx;
};

/* Header position of name: an exact match (after trimming) first, then any case. */
static long
header_find(const struct ut_csv_row *hdr, const char *name)
{
    size_t nlen = strlen(name);

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < hdr->n; i++) {
            const char *p = hdr->fields[i].ptr;
            size_t len = hdr->fields[i].len;

            trim_view(&p, &len);
            if (pass == 0 ? len == nlen && memcmp(p, name, len) == 0
                          : eq_nocase(p, len, name, nlen)) {
                return (long)i;
            }
        }
    }
    return -1;
}

/*
 * Read the header row and locate cols; *nfields gets its width. UT_EPARSE
 * for an empty input or a missing required column.
 */
static int
read_header(struct ut_csv *c, struct col *cols, size_t ncols, size_t *nfields,
            struct ut_csv_row *hdr, struct ut_diag *diag)
{
    int rc = ut_csv_next_row(c, hdr, diag);

    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        ut_diag_at(diag, 1, 1, "empty file: expected a header row");
        return UT_EPARSE;
    }
    for (size_t i = 0; i < ncols; i++) {
        cols[i].idx = header_find(hdr, cols[i].name);
        if (cols[i].idx < 0 && cols[i].required) {
            ut_diag_at(diag, hdr->line, 1, "missing column '%s'", cols[i].name);
            ut_diag_field(diag, cols[i].name, strlen(cols[i].name));
            return UT_EPARSE;
        }
    }
    *nfields = hdr->n;
    return UT_OK;
}

/* Next data row with exactly nfields fields: 1, 0 at the end, or an error. */
static int
next_data_row(struct ut_csv *c, size_t nfields, struct ut_csv_row *row, struct ut_diag *diag)
{
    int rc = ut_csv_next_row(c, row, diag);

    if (rc > 0 && row->n != nfields) {
        ut_diag_at(diag, row->line, 1, "expected %zu fields, found %zu", nfields, row->n);
        return UT_EPARSE;
    }
    return rc;
}

static int
check_sep(char sep, struct ut_diag *diag)
{
    if (sep == '"' || sep == '\n' || sep == '\r') {
        ut_diag_set(diag, "invalid field separator");
        return UT_EINVAL;
    }
    return UT_OK;
}

static int
bad_value(struct ut_diag *diag, size_t line, const struct ut_csv_field *f, const char *what,
          const char *column)
{
    ut_diag_at(diag, line, f->col, "%s '%.*s' in column '%s'", what, quote_len(f->len), f->ptr,
               column);
    ut_diag_field(diag, column, strlen(column));
    return UT_EPARSE;
}

/* A numeric field: empty is 0; nonneg rejects values below zero. */
static int
field_number(const struct ut_csv_field *f, size_t line, const char *column, int nonneg, double *out,
             struct ut_diag *diag)
{
    const char *p = f->ptr;
    size_t len = f->len;

    trim_view(&p, &len);
    if (len == 0) {
        *out = 0.0;
        return UT_OK;
    }
    if (ut_parse_double(p, len, out) != UT_OK) {
        return bad_value(diag, line, f, "malformed number", column);
    }
    if (nonneg && *out < 0) {
        return bad_value(diag, line, f, "negative number", column);
    }
    return UT_OK;
}

/* The field of an optional column, or NULL when the header lacks it. */
static const struct ut_csv_field *
col_field(const struct ut_csv_row *row, const struct col *c)
{
    return c->idx < 0 ? NULL : &row->fields[c->idx];
}

/* The field of a column read_header() found (required, or checked by the caller). */
static const struct ut_csv_field *
req_field(const struct ut_csv_row *row, const struct col *c)
{
    assert(c->idx >= 0);
    return &row->fields[c->idx];
}

/* ---- channel-name cache ------------------------------------------------------------ */

/*
 * Direct-mapped cache in front of ut_journeys_intern, keyed by the length and
 * the first and last eight bytes of a name. Names of up to 16 bytes are fully
 * covered by those two words, so a hit needs no memcmp; longer ones are
 * confirmed against the interned copy (stable for the life of the set).
 */
struct name_cache {
    struct {
        uint64_t a, b;
        const char *name; /* NULL: empty slot */
        size_t len;
        uint32_t id;
    } e[NAME_CACHE_SLOTS];
};

/*
 * Two words that, with len, identify any name of up to 16 bytes: fixed-size
 * (possibly overlapping) loads only, no variable-length copy.
 */
static inline void
name_key(const char *s, size_t len, uint64_t *a, uint64_t *b)
{
    uint32_t lo, hi;

    *b = 0;
    if (len >= 8) {
        memcpy(a, s, 8);
        memcpy(b, s + len - 8, 8);
    } else if (len >= 4) {
        memcpy(&lo, s, 4);
        memcpy(&hi, s + len - 4, 4);
        *a = (uint64_t)lo | (uint64_t)hi << 32;
    } else if (len != 0) {
        *a = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
             (uint64_t)(unsigned char)s[len - 1] << 16;
    } else {
        *a = 0;
    }
}

/*
 * Intern s into j, or into own when not NULL (the second part of a split
 * file, merged into j later; the limit is checked here the same way).
 */
static int
intern_into(struct ut_journeys *j, struct ut_strtab *own, const char *s, size_t len, uint32_t *id,
            const char **stored, size_t *slen)
{
    int err;

    if (own == NULL) {
        err = ut_journeys_intern(j, s, len, id);
        if (err == UT_OK) {
            *stored = ut_journeys_channel_name(j, *id, slen);
        }
        return err;
    }
    if (own->count >= UT_MAX_CHANNELS && ut_strtab_find(own, s, len, id) != UT_OK) {
        return UT_ELIMIT;
    }
    err = ut_strtab_intern(own, s, len, id);
    if (err == UT_OK) {
        *stored = ut_strtab_get(own, *id, slen);
    }
    return err;
}

static inline int
intern_cached(struct ut_journeys *j, struct ut_strtab *own, struct name_cache *nc, const char *s,
              size_t len, uint32_t *id)
{
    uint64_t a, b;
    size_t slot;
    int err;

    name_key(s, len, &a, &b);
    slot = (size_t)(((a ^ (b * 0x9e3779b97f4a7c15ULL) ^ len) * 0xff51afd7ed558ccdULL) >> 56) &
           (NAME_CACHE_SLOTS - 1);
    if (nc->e[slot].name != NULL && nc->e[slot].len == len && nc->e[slot].a == a &&
        nc->e[slot].b == b && (len <= 16 || memcmp(nc->e[slot].name, s, len) == 0)) {
        *id = nc->e[slot].id;
        return UT_OK;
    }
    err = intern_into(j, own, s, len, id, &nc->e[slot].name, &nc->e[slot].len);
    if (err != UT_OK) {
        nc->e[slot].name = NULL;
        return err;
    }
    nc->e[slot].a = a;
    nc->e[slot].b = b;
    nc->e[slot].id = *id;
    return UT_OK;
}

/* ---- splitting a file in two --------------------------------------------------------- */

/*
 * A large file is read as two parts, split at a line boundary and read by two
 * threads. The first part is the file up to the split, header included, and
 * fills the caller's objects directly; the second fills objects of its own,
 * with channel (and person) indices of its own. Then the second part is
 * merged in: its names, in their order of first appearance in that part, are
 * interned into the caller's tables, which gives them exactly the indices a
 * single pass would have given, and its rows are appended with the indices
 * mapped. Should either part fail (a split inside a quoted field makes the
 * first one fail), the first part's rows are dropped and the file is read
 * again in one part from the start: errors and results are always those of a
 * single pass, which the first part's work is a prefix of.
 */

/* Files with at least this many bytes of rows are read in two parts (tests lower it). */
size_t ut__csv_split_min = (size_t)2 << 20;

/*
 * Where the rows after the header (at pos) can be split in two: just after
 * the first line end past their middle; 0 when the file is too small, has no
 * such line end, or the second part would start with a byte-order mark (which
 * a reader would skip but a single pass reads as data).
 */
static size_t
split_point(const char *data, size_t len, size_t pos)
{
    const char *nl;
    size_t mid;

    if (data == NULL || pos > len || len - pos < ut__csv_split_min) {
        return 0;
    }
    mid = pos + (len - pos) / 2;
    nl = memchr(data + mid, '\n', len - mid);
    if (nl == NULL || (size_t)(nl + 1 - data) >= len) {
        return 0;
    }
    mid = (size_t)(nl + 1 - data);
    if (len - mid >= 3 && memcmp(data + mid, "\xef\xbb\xbf", 3) == 0) {
        return 0;
    }
    return mid;
}

/* ---- path files ---------------------------------------------------------------------- */

enum { PCOL_PATH, PCOL_CONV, PCOL_NULL, PCOL_VALUE, PCOL_N };

/* A row of the second part of a split path file, kept for the merge. */
struct path_rec {
    size_t n; /* its touches: the next n channels of path_ctx.kept */
    double conv, nulls, value;
};

struct path_ctx {
    struct ut_journeys *j;
    struct ut_strtab *own; /* second part: channel names go here (else into j) */
    struct ut_strtab own_chans;
    struct name_cache cache;
    struct ut_touch *touches; /* the current row's */
    size_t cap;
    uint32_t *kept; /* second part: the channels of its rows, back to back */
    size_t nkept, kept_cap;
    struct path_rec *rows; /* second part: its rows in order */
    size_t nrows, rows_cap;
    struct ut_csv c;
    const struct col *cols; /* located in the header by the first part */
    size_t nfields;
    int err;
    struct ut_diag diag; /* second part: its own */
};

/* First '>' in [p, end) or NULL: eight bytes per step (names are short, memchr's call is not). */
static inline const char *
find_gt(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

    while (end - p >= 8) {
        uint64_t v, m;

        memcpy(&v, p, 8);
        v ^= ones * '>';
        m = (v - ones) & ~v & highs;
        if (m != 0) {
            return p + (__builtin_ctzll(m) >> 3);
        }
        p += 8;
    }
#endif
    for (; p < end; p++) {
        if (*p == '>') {
            return p;
        }
    }
    return NULL;
}

/* Split the path field on '>' into pc->touches; *n gets the count. */
static int
path_touches(struct path_ctx *pc, const struct ut_csv_field *f, size_t line, size_t *n,
             struct ut_diag *diag)
{
    const char *p = f->ptr, *end;
    size_t len = f->len, k = 0;
    int err;

    trim_view(&p, &len);
    end = p + len;
    while (len != 0) {
        const char *gt = find_gt(p, end);
        const char *name = p;
        size_t nlen = (size_t)((gt != NULL ? gt : end) - p);

        trim_view(&name, &nlen);
        if (nlen == 0) {
            ut_diag_at(diag, line, f->col, "empty channel name in path '%.*s'", quote_len(f->len),
                       f->ptr);
            ut_diag_field(diag, "path", 4);
            return UT_EPARSE;
        }
        if (k == pc->cap) {
            err = ut_grow((void **)&pc->touches, &pc->cap, k + 1, sizeof(*pc->touches));
            if (err != UT_OK) {
                return err;
            }
        }
        err = intern_cached(pc->j, pc->own, &pc->cache, name, nlen, &pc->touches[k].channel);
        if (err != UT_OK) {
            ut_diag_at(diag, line, f->col, "cannot intern channel '%.*s': %s", quote_len(nlen),
                       name, ut_strerror(err));
            return err;
        }
        pc->touches[k].flags = 0;
        pc->touches[k].time = 0.0;
        k++;
        if (gt == NULL) {
            break;
        }
        p = gt + 1;
    }
    *n = k;
    return UT_OK;
}

/*
 * Second part: keep the row for the merge. Numbers ut_journeys_add() would
 * refuse fail the part (the single pass reports them).
 */
static int
path_keep(struct path_ctx *pc, size_t n, double conv, double nulls, double value)
{
    size_t need;
    int err;

    if (!isfinite(conv) || !isfinite(nulls) || !isfinite(value) || conv < 0 || nulls < 0) {
        return UT_EINVAL;
    }
    if (ut_size_add(pc->nkept, n, &need) != 0) {
        return UT_ENOMEM;
    }
    err = ut_grow((void **)&pc->kept, &pc->kept_cap, need, sizeof(*pc->kept));
    if (err == UT_OK) {
        err = ut_grow((void **)&pc->rows, &pc->rows_cap, pc->nrows + 1, sizeof(*pc->rows));
    }
    if (err != UT_OK) {
        return err;
    }
    for (size_t k = 0; k < n; k++) {
        pc->kept[pc->nkept + k] = pc->touches[k].channel;
    }
    pc->nkept = need;
    pc->rows[pc->nrows].n = n;
    pc->rows[pc->nrows].conv = conv;
    pc->rows[pc->nrows].nulls = nulls;
    pc->rows[pc->nrows].value = value;
    pc->nrows++;
    return UT_OK;
}

static int
path_row(struct path_ctx *pc, const struct ut_csv_row *row, struct ut_diag *diag)
{
    const struct col *cols = pc->cols;
    const struct ut_csv_field *fnull = col_field(row, &cols[PCOL_NULL]);
    const struct ut_csv_field *fvalue = col_field(row, &cols[PCOL_VALUE]);
    double conv = 0.0, nulls = 0.0, value = 0.0;
    size_t n = 0;
    int err;

    err = path_touches(pc, req_field(row, &cols[PCOL_PATH]), row->line, &n, diag);
    if (err == UT_OK) {
        err = field_number(req_field(row, &cols[PCOL_CONV]), row->line, cols[PCOL_CONV].name, 1,
                           &conv, diag);
    }
    if (err == UT_OK && fnull != NULL) {
        err = field_number(fnull, row->line, cols[PCOL_NULL].name, 1, &nulls, diag);
    }
    if (err == UT_OK && fvalue != NULL) {
        err = field_number(fvalue, row->line, cols[PCOL_VALUE].name, 0, &value, diag);
    }
    if (err != UT_OK) {
        return err;
    }
    if (pc->own != NULL) {
        return path_keep(pc, n, conv, nulls, value);
    }
    err = ut_journeys_add(pc->j, pc->touches, n, 0.0, conv, nulls, value);
    if (err != UT_OK) {
        ut_diag_at(diag, row->line, 1, "cannot add journey: %s", ut_strerror(err));
    }
    return err;
}

/* Read the data rows of pc's reader; pc->err gets the result. */
static void
path_rows(struct path_ctx *pc, struct ut_diag *diag)
{
    struct ut_csv_row row;
    int rc, err = UT_OK;

    for (;;) {
        rc = next_data_row(&pc->c, pc->nfields, &row, diag);
        if (rc <= 0) {
            break;
        }
        err = path_row(pc, &row, diag);
        if (err != UT_OK) {
            break;
        }
    }
    pc->err = err != UT_OK ? err : rc;
}

static void *
path_thread(void *arg)
{
    struct path_ctx *pc = arg;

    path_rows(pc, &pc->diag);
    return NULL;
}

/* Set up pc to read data[0..len) into j or, when own is set, into objects of its own. */
static void
path_init(struct path_ctx *pc, struct ut_journeys *j, int own, const char *data, size_t len,
          char sep)
{
    memset(pc, 0, sizeof(*pc));
    ut_strtab_init(&pc->own_chans);
    pc->j = j;
    pc->own = own ? &pc->own_chans : NULL;
    ut_csv_init(&pc->c, data != NULL ? data : "", data != NULL ? len : 0, sep);
}

static void
path_release(struct path_ctx *pc)
{
    ut_free(pc->touches);
    ut_free(pc->kept);
    ut_free(pc->rows);
    ut_strtab_release(&pc->own_chans);
    ut_csv_release(&pc->c);
}

/*
 * Add b's rows to the set in order: their touches are appended in one go,
 * then each row's channels are mapped (each of b's names interned when first
 * met) and the row added as a range of them, so names, "(none)" included,
 * get the ids a single pass would give them.
 */
static int
path_merge(struct path_ctx *a, struct path_ctx *b)
{
    uint32_t *map = ut_malloc((b->own_chans.count + 1) * sizeof(*map));
    struct ut_journeys *j = a->j;
    size_t first = 0, off = 0;
    int err;

    if (map == NULL) {
        return UT_ENOMEM;
    }
    for (size_t i = 0; i < b->own_chans.count; i++) {
        map[i] = UINT32_MAX;
    }
    err = ut__journeys_append_touches(j, b->nkept, &first);
    for (size_t r = 0; r < b->nrows && err == UT_OK; r++) {
        const struct path_rec *rec = &b->rows[r];

        for (size_t k = 0; k < rec->n && err == UT_OK; k++) {
            uint32_t *m = &map[b->kept[off + k]];
            struct ut_touch *t = &j->touches[first + off + k];

            if (*m == UINT32_MAX) {
                size_t len;
                const char *name = ut_strtab_get(&b->own_chans, b->kept[off + k], &len);

                err = ut_journeys_intern(j, name, len, m);
            }
            t->channel = *m;
            t->flags = 0;
            t->time = 0.0;
        }
        if (err == UT_OK) {
            err = ut__journeys_add_range(j, first + off, rec->n, 0.0, rec->conv, rec->nulls,
                                         rec->value);
        }
        off += rec->n;
    }
    ut_free(map);
    return err;
}

/* Read the second part on a thread of its own while this one reads the first; merge. */
static int
path_read_split(struct path_ctx *a, const char *data, size_t len, size_t split,
                struct ut_diag *diag)
{
    struct path_ctx *b = ut_malloc(sizeof(*b));
    pthread_t tid;
    int err = UT_OK;

    if (b == NULL) {
        return UT_ENOMEM;
    }
    memset(&tid, 0, sizeof(tid));
    path_init(b, a->j, 1, data + split, len - split, a->c.sep);
    b->cols = a->cols;
    b->nfields = a->nfields;
    a->c.end = data + split; /* the first part stops at the split */
    if (pthread_create(&tid, NULL, path_thread, b) != 0) {
        err = UT_EAGAIN;
    }
    if (err == UT_OK) {
        path_rows(a, diag);
        pthread_join(tid, NULL);
        err = a->err != UT_OK ? a->err : b->err;
    }
    if (err == UT_OK) {
        err = path_merge(a, b);
    }
    path_release(b);
    ut_free(b);
    return err;
}

int
ut_ingest_paths_csv(struct ut_journeys *j, const char *data, size_t len, char sep,
                    struct ut_diag *diag)
{
    struct col cols[PCOL_N] = {{"path", 1, -1},
                               {"total_conversions", 1, -1},
                               {"total_null", 0, -1},
                               {"total_conversion_value", 0, -1}};
    struct path_ctx *pc = NULL;
    struct ut_csv_row row;
    struct ut__journeys_mark mark;
    struct ut_diag saved;
    size_t split = 0;
    int err;

    err = check_sep(sep, diag);
    if (err != UT_OK) {
        return err;
    }
    pc = ut_malloc(sizeof(*pc));
    if (pc == NULL) {
        return UT_ENOMEM;
    }
    path_init(pc, j, 0, data, len, sep);
    err = read_header(&pc->c, cols, PCOL_N, &pc->nfields, &row, diag);
    if (err != UT_OK) {
        goto out;
    }
    pc->cols = cols;
    if (data != NULL) {
        split = split_point(data, len, (size_t)(pc->c.pos - data));
    }
    if (split != 0) {
        ut_diag_clear(&saved);
        if (diag != NULL) {
            saved = *diag;
        }
        ut__journeys_get_mark(j, &mark);
        if (path_read_split(pc, data, len, split, diag) == UT_OK) {
            goto out; /* err is UT_OK */
        }
        /* Start over in one part: drop the first part's rows, keep its interned names. */
        ut__journeys_rewind(j, &mark);
        if (diag != NULL) {
            *diag = saved;
        }
        path_release(pc);
        path_init(pc, j, 0, data, len, sep);
        err = read_header(&pc->c, cols, PCOL_N, &pc->nfields, &row, diag);
        if (err != UT_OK) {
            goto out;
        }
        pc->cols = cols;
    }
    path_rows(pc, diag);
    err = pc->err;
out:
    path_release(pc);
    ut_free(pc);
    return err;
}

/* ---- event files --------------------------------------------------------------------- */

void
ut_event_input_init(struct ut_event_input *in)
{
    memset(in, 0, sizeof(*in));
    ut_strtab_init(&in->persons);
}

void
ut_event_input_release(struct ut_event_input *in)
{
    ut_strtab_release(&in->persons);
    ut_free(in->touches);
    ut_free(in->convs);
    ut_event_input_init(in);
}

/*
 * Person ids -> dense indices. in->persons (a ut_strtab) is the record, but
 * a lookup there costs several cache misses (slot, hash array, string). This
 * map keeps the 64-bit hash, the length and the first and last eight bytes in
 * the slot, so an id of up to 16 bytes is found with one miss and no string
 * compare; longer ids are confirmed against the interned copy. It is rebuilt
 * per call from in->persons, so touches and conversions share indices.
 *
 * The map of the second part of a split file (see above) keeps no record of
 * its own: its ids are views of the input, which outlives the parse (an id
 * unescaped into the reader's scratch space is copied into the part's own
 * in->persons), and are merged into the first part's record afterwards.
 */
struct pmap_slot {
    uint64_t a, b, h;
    uint32_t len;
    uint32_t id1; /* id + 1; 0 = empty */
};

struct pview {
    const char *s;
    size_t len;
};

struct person_map {
    struct pmap_slot *slots;
    size_t mask, count;
    int viewed;          /* ids are views[] (else strings of the persons table) */
    struct pview *views; /* per id, when viewed */
    size_t views_cap;
    const char *lo, *hi; /* when viewed: the input; ids elsewhere are copied */
};

static void
pmap_key(struct pmap_slot *e, const char *s, size_t len)
{
    name_key(s, len, &e->a, &e->b);
    if (len > 16) {
        e->h = ut_hash_bytes(s, len, 0);
    } else {
        e->h = ut_hash_u64(e->a ^ ut_hash_u64(e->b ^ ((uint64_t)len << 56)));
    }
    e->len = (uint32_t)len;
}

static void
pmap_place(struct pmap_slot *slots, size_t mask, const struct pmap_slot *e)
{
    size_t i = e->h & mask;

    while (slots[i].id1 != 0) {
        i = (i + 1) & mask;
    }
    slots[i] = *e;
}

/* Make room for n entries in all (the table stays at most half full). */
static int
pmap_reserve(struct person_map *m, size_t n)
{
    size_t nslots = m->slots != NULL ? m->mask + 1 : 1024;
    struct pmap_slot *slots;

    if (m->slots != NULL && n <= nslots / 2) {
        return UT_OK;
    }
    while (n > nslots / 2) {
        if (ut_size_mul(nslots, 2, &nslots) != 0) {
            return UT_ENOMEM;
        }
    }
    slots = ut_calloc(nslots, sizeof(*slots));
    if (slots == NULL) {
        return UT_ENOMEM;
    }
    ut_advise_huge(slots, nslots * sizeof(*slots));
    if (m->slots != NULL) {
        for (size_t i = 0; i <= m->mask; i++) {
            if (m->slots[i].id1 != 0) {
                pmap_place(slots, nslots - 1, &m->slots[i]);
            }
        }
    }
    ut_free(m->slots);
    m->slots = slots;
    m->mask = nslots - 1;
    return UT_OK;
}

static void
pmap_release(struct person_map *m)
{
    ut_free(m->slots);
    ut_free(m->views);
    memset(m, 0, sizeof(*m));
}

/* Index the persons already interned (by an earlier file). */
static int
pmap_load(struct person_map *m, const struct ut_strtab *persons)
{
    int err = pmap_reserve(m, persons->count + 1);

    for (size_t id = 0; err == UT_OK && id < persons->count; id++) {
        struct pmap_slot e;
        size_t len;
        const char *s = ut_strtab_get(persons, (uint32_t)id, &len);

        pmap_key(&e, s, len);
        e.id1 = (uint32_t)id + 1;
        pmap_place(m->slots, m->mask, &e);
        m->count++;
    }
    return err;
}

/* The bytes of person id (len known from its slot). */
static const char *
pmap_str(const struct person_map *m, const struct ut_strtab *persons, uint32_t id)
{
    return m->viewed ? m->views[id].s : ut_strtab_get(persons, id, NULL);
}

/* Record s[0..len) as the next id of a viewed map; *id gets it. */
static int
pmap_add_view(struct person_map *m, struct ut_strtab *persons, const char *s, size_t len,
              uint32_t *id)
{
    uint32_t copy;
    int err;

    if (m->count >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    err = ut_grow((void **)&m->views, &m->views_cap, m->count + 1, sizeof(*m->views));
    if (err != UT_OK) {
        return err;
    }
    if ((uintptr_t)s - (uintptr_t)m->lo >= (uintptr_t)(m->hi - m->lo)) {
        err = ut_strtab_intern(persons, s, len, &copy);
        if (err != UT_OK) {
            return err;
        }
        s = ut_strtab_get(persons, copy, NULL);
    }
    m->views[m->count].s = s;
    m->views[m->count].len = len;
    *id = (uint32_t)m->count;
    return UT_OK;
}

/* Find s (keyed in *e by pmap_key) or intern it; *id gets its index. */
static int
pmap_intern(struct person_map *m, struct ut_strtab *persons, const char *s, struct pmap_slot *e,
            uint32_t *id)
{
    size_t i;
    int err;

    for (i = e->h & m->mask; m->slots[i].id1 != 0; i = (i + 1) & m->mask) {
        const struct pmap_slot *x = &m->slots[i];

        if (x->h == e->h && x->len == e->len && x->a == e->a && x->b == e->b &&
            (e->len <= 16 || memcmp(pmap_str(m, persons, x->id1 - 1), s, e->len) == 0)) {
            *id = x->id1 - 1;
            return UT_OK;
        }
    }
    err = pmap_reserve(m, m->count + 1);
    if (err == UT_OK) {
        err = m->viewed ? pmap_add_view(m, persons, s, e->len, id)
                        : ut_strtab_intern(persons, s, e->len, id);
    }
    if (err != UT_OK) {
        return err;
    }
    e->id1 = *id + 1;
    pmap_place(m->slots, m->mask, e);
    m->count++;
    return UT_OK;
}

/*
 * Person lookups are the one random memory access per row, so they are
 * pipelined: a row's id is hashed and its slot prefetched, and the lookup
 * completes PIPE_DEPTH rows later, its miss overlapped with parsing. Pending
 * ids are resolved in row order, so indices are assigned in order of first
 * appearance exactly as without the pipeline. Ids unescaped into the CSV
 * reader's scratch space (quoted with "") are resolved before the next row.
 */
#define PIPE_DEPTH 16

struct pending {
    const char *s;
    struct pmap_slot e;
    size_t idx;       /* index of the touch or conversion waiting for the person */
    size_t line, col; /* for messages */
};

struct person_pipe {
    struct person_map map;
    struct ut_event_input *in;
    int convs; /* the waiting records are in->convs (else in->touches) */
    struct pending q[PIPE_DEPTH];
    size_t head, n;
};

static int
pipe_resolve_one(struct person_pipe *pp, struct ut_diag *diag)
{
    struct pending *p = &pp->q[pp->head];
    uint32_t id;
    int err = pmap_intern(&pp->map, &pp->in->persons, p->s, &p->e, &id);

    if (err != UT_OK) {
        ut_diag_at(diag, p->line, p->col, "cannot store person id: %s", ut_strerror(err));
        return err;
    }
    if (pp->convs) {
        pp->in->convs[p->idx].person = id;
    } else {
        pp->in->touches[p->idx].person = id;
    }
    pp->head = (pp->head + 1) % PIPE_DEPTH;
    pp->n--;
    return UT_OK;
}

static int
pipe_flush(struct person_pipe *pp, struct ut_diag *diag)
{
    int err = UT_OK;

    while (pp->n != 0 && err == UT_OK) {
        err = pipe_resolve_one(pp, diag);
    }
    return err;
}

/*
 * Queue the person field f of record idx (already appended). stable: f points
 * into the input buffer (not the reader's scratch space).
 */
static int
pipe_push(struct person_pipe *pp, const struct ut_csv_field *f, size_t line, size_t idx, int stable,
          struct ut_diag *diag)
{
    const char *p = f->ptr;
    size_t len = f->len;
    struct pending *q;
    int err;

    trim_view(&p, &len);
    if (len == 0) {
        ut_diag_at(diag, line, f->col, "empty person id in column 'person_id'");
        ut_diag_field(diag, "person_id", 9);
        return UT_EPARSE;
    }
    if (len > UINT32_MAX) {
        ut_diag_at(diag, line, f->col, "person id too long");
        return UT_ELIMIT;
    }
    if (pp->n == PIPE_DEPTH) {
        err = pipe_resolve_one(pp, diag);
        if (err != UT_OK) {
            return err;
        }
    }
    q = &pp->q[(pp->head + pp->n) % PIPE_DEPTH];
    pp->n++;
    q->s = p;
    pmap_key(&q->e, p, len);
    q->idx = idx;
    q->line = line;
    q->col = f->col;
    __builtin_prefetch(&pp->map.slots[q->e.h & pp->map.mask]);
    return stable ? UT_OK : pipe_flush(pp, diag);
}

static int
pipe_init(struct person_pipe *pp, struct ut_event_input *in, int convs)
{
    memset(pp, 0, sizeof(*pp));
    pp->in = in;
    pp->convs = convs;
    return pmap_load(&pp->map, &in->persons);
}

static int
in_buffer(const struct ut_csv *c, const struct ut_csv_field *f)
{
    return (uintptr_t)f->ptr - (uintptr_t)c->data < (uintptr_t)(c->end - c->data);
}

static int
field_time(const struct ut_csv_field *f, size_t line, double *out, struct ut_diag *diag)
{
    const char *p = f->ptr, *why = NULL;
    size_t len = f->len;

    trim_view(&p, &len);
    if (ut_parse_timestamp_why(p, len, out, &why) != UT_OK) {
        return bad_value(diag, line, f, why != NULL ? why : "malformed timestamp", "timestamp");
    }
    return UT_OK;
}

/* ---- one part of an event file ----------------------------------------------------- */

enum { TCOL_PERSON, TCOL_TIME, TCOL_CHANNEL, TCOL_BY, TCOL_N };
enum { CCOL_PERSON, CCOL_TIME, CCOL_VALUE, CCOL_ID, CCOL_N };

struct part {
    struct ut_event_input *in; /* the caller's, or &own */
    struct ut_event_input own; /* second part: records and persons of its own */
    struct ut_journeys *j;     /* touches: where channel names go ... */
    struct ut_strtab *chans;   /* ... or, when not NULL, this part's own table */
    struct ut_strtab own_chans;
    int convs;              /* a conversion file (else a touch file) */
    const struct col *cols; /* located in the header by the first part */
    size_t nfields;
    struct ut_csv c;
    struct name_cache cache;
    struct person_pipe pipe;
    int err;
    struct ut_diag diag; /* second part: its own (the caller's diag is the first part's) */
};

static int
touch_row(struct part *pt, const struct ut_csv_row *row, struct ut_diag *diag)
{
    struct ut_event_input *in = pt->in;
    const struct ut_csv_field *fby = req_field(row, &pt->cols[TCOL_BY]);
    const struct ut_csv_field *fch = req_field(row, &pt->cols[TCOL_CHANNEL]);
    const struct ut_csv_field *fperson = req_field(row, &pt->cols[TCOL_PERSON]);
    struct ut_event_touch t;
    const char *p;
    size_t len;
    int err;

    err = field_time(req_field(row, &pt->cols[TCOL_TIME]), row->line, &t.time, diag);
    if (err != UT_OK) {
        return err;
    }
    p = fby->ptr;
    len = fby->len;
    trim_view(&p, &len);
    if (len == 0) {
        p = UT_CHANNEL_NONE;
        len = sizeof(UT_CHANNEL_NONE) - 1;
    }
    err = intern_cached(pt->j, pt->chans, &pt->cache, p, len, &t.channel);
    if (err != UT_OK) {
        ut_diag_at(diag, row->line, fby->col, "cannot intern '%.*s': %s", quote_len(len), p,
                   ut_strerror(err));
        return err;
    }
    p = fch->ptr;
    len = fch->len;
    trim_view(&p, &len);
    t.flags = eq_nocase(p, len, "direct", 6) ? UT_TOUCH_DIRECT : 0;
    t.person = 0; /* set by the pipeline */
    if (in->ntouches == in->touches_cap) {
        err = ut_grow((void **)&in->touches, &in->touches_cap, in->ntouches + 1,
                      sizeof(*in->touches));
        if (err != UT_OK) {
            return err;
        }
    }
    in->touches[in->ntouches++] = t;
    return pipe_push(&pt->pipe, fperson, row->line, in->ntouches - 1, in_buffer(&pt->c, fperson),
                     diag);
}

static int
conversion_row(struct part *pt, const struct ut_csv_row *row, struct ut_diag *diag)
{
    struct ut_event_input *in = pt->in;
    const struct ut_csv_field *fvalue = col_field(row, &pt->cols[CCOL_VALUE]);
    const struct ut_csv_field *fperson = req_field(row, &pt->cols[CCOL_PERSON]);
    struct ut_event_conversion cv;
    int err;

    cv.value = 0.0;
    cv.person = 0; /* set by the pipeline */
    err = field_time(req_field(row, &pt->cols[CCOL_TIME]), row->line, &cv.time, diag);
    if (err == UT_OK && fvalue != NULL) {
        err = field_number(fvalue, row->line, pt->cols[CCOL_VALUE].name, 0, &cv.value, diag);
    }
    if (err != UT_OK) {
        return err;
    }
    if (in->nconvs == in->convs_cap) {
        err = ut_grow((void **)&in->convs, &in->convs_cap, in->nconvs + 1, sizeof(*in->convs));
        if (err != UT_OK) {
            return err;
        }
    }
    in->convs[in->nconvs++] = cv;
    return pipe_push(&pt->pipe, fperson, row->line, in->nconvs - 1, in_buffer(&pt->c, fperson),
                     diag);
}

/* Read the data rows of pt's reader (the header, if any, already read); pt->err gets the result. */
static void
part_rows(struct part *pt, struct ut_diag *diag)
{
    struct ut_csv_row row;
    int rc, err = UT_OK;

    for (;;) {
        rc = next_data_row(&pt->c, pt->nfields, &row, diag);
        if (rc <= 0) {
            break;
        }
        err = pt->convs ? conversion_row(pt, &row, diag) : touch_row(pt, &row, diag);
        if (err != UT_OK) {
            break;
        }
    }
    if (err == UT_OK) {
        err = rc == 0 ? pipe_flush(&pt->pipe, diag) : rc;
    }
    pt->err = err;
}

static void *
part_thread(void *arg)
{
    struct part *pt = arg;

    part_rows(pt, &pt->diag);
    return NULL;
}

/*
 * Set up pt to read data[0..len) with separator sep into in (the caller's
 * objects) or, when own is set, into objects of its own.
 */
static int
part_init(struct part *pt, struct ut_event_input *in, struct ut_journeys *j, int convs, int own,
          const char *data, size_t len, char sep)
{
    memset(pt, 0, sizeof(*pt));
    ut_event_input_init(&pt->own);
    ut_strtab_init(&pt->own_chans);
    pt->in = own ? &pt->own : in;
    pt->j = j;
    pt->chans = own ? &pt->own_chans : NULL;
    pt->convs = convs;
    ut_csv_init(&pt->c, data != NULL ? data : "", data != NULL ? len : 0, sep);
    if (own) {
        memset(&pt->pipe, 0, sizeof(pt->pipe));
        pt->pipe.in = pt->in;
        pt->pipe.convs = convs;
        pt->pipe.map.viewed = 1;
        pt->pipe.map.lo = pt->c.data;
        pt->pipe.map.hi = pt->c.end;
        return pmap_reserve(&pt->pipe.map, 1);
    }
    return pipe_init(&pt->pipe, pt->in, convs);
}

static void
part_release(struct part *pt)
{
    pmap_release(&pt->pipe.map);
    ut_csv_release(&pt->c);
    ut_event_input_release(&pt->own);
    ut_strtab_release(&pt->own_chans);
}

/* ---- merging the second part ------------------------------------------------------- */

/*
 * Intern b's persons, in b's order, into a's; map[i] gets the index of b's
 * person i. Pipelined like the parse: keys are made and slots prefetched
 * PIPE_DEPTH persons ahead (a prefetch made stale by a rehash is harmless).
 */
static int
merge_persons(struct part *a, const struct part *b, uint32_t *map)
{
    const struct person_map *bm = &b->pipe.map;
    struct person_map *am = &a->pipe.map;
    struct pmap_slot e[PIPE_DEPTH];
    size_t n = bm->count;
    int err = UT_OK;

    for (size_t i = 0; err == UT_OK && i < n + PIPE_DEPTH; i++) {
        struct pmap_slot *x = &e[i % PIPE_DEPTH]; /* person i - PIPE_DEPTH's, then i's */

        if (i >= PIPE_DEPTH) {
            size_t k = i - PIPE_DEPTH;

            err = pmap_intern(am, &a->in->persons, bm->views[k].s, x, &map[k]);
        }
        if (i < n) {
            pmap_key(x, bm->views[i].s, bm->views[i].len);
            __builtin_prefetch(&am->slots[x->h & am->mask]);
        }
    }
    return err;
}

/* Intern b's channel names, in b's order, into the set; map[i] gets the id of b's name i. */
static int
merge_channels(struct part *a, const struct part *b, uint32_t *map)
{
    for (size_t i = 0; i < b->own_chans.count; i++) {
        size_t len;
        const char *s = ut_strtab_get(&b->own_chans, (uint32_t)i, &len);
        int err = ut_journeys_intern(a->j, s, len, &map[i]);

        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* Append b's records to a's with b's persons and channels mapped. */
static int
merge_records(struct part *a, const struct part *b, const uint32_t *pmap, const uint32_t *cmap)
{
    struct ut_event_input *in = a->in;
    const struct ut_event_input *bin = b->in;
    size_t need;
    int err;

    if (a->convs) {
        if (ut_size_add(in->nconvs, bin->nconvs, &need) != 0) {
            return UT_ENOMEM;
        }
        err = ut_grow((void **)&in->convs, &in->convs_cap, need, sizeof(*in->convs));
        for (size_t i = 0; err == UT_OK && i < bin->nconvs; i++) {
            struct ut_event_conversion *cv = &in->convs[in->nconvs++];

            *cv = bin->convs[i];
            cv->person = pmap[cv->person];
        }
        return err;
    }
    if (ut_size_add(in->ntouches, bin->ntouches, &need) != 0) {
        return UT_ENOMEM;
    }
    err = ut_grow((void **)&in->touches, &in->touches_cap, need, sizeof(*in->touches));
    for (size_t i = 0; err == UT_OK && i < bin->ntouches; i++) {
        struct ut_event_touch *t = &in->touches[in->ntouches++];

        *t = bin->touches[i];
        t->person = pmap[t->person];
        t->channel = cmap[t->channel];
    }
    return err;
}

static int
part_merge(struct part *a, struct part *b)
{
    uint32_t *pmap = ut_malloc((b->pipe.map.count + 1) * sizeof(*pmap));
    uint32_t *cmap = ut_malloc((b->own_chans.count + 1) * sizeof(*cmap));
    int err = UT_ENOMEM;

    if (pmap != NULL && cmap != NULL) {
        err = merge_persons(a, b, pmap);
    }
    /* Neither map is needed any more: free them before the records grow. */
    pmap_release(&a->pipe.map);
    pmap_release(&b->pipe.map);
    if (err == UT_OK && !a->convs) {
        err = merge_channels(a, b, cmap);
    }
    if (err == UT_OK) {
        err = merge_records(a, b, pmap, cmap);
    }
    ut_free(pmap);
    ut_free(cmap);
    return err;
}

/* ---- reading event files ----------------------------------------------------------- */

/*
 * Read the second part of a split file on a thread of its own while the
 * calling thread reads the first; merge. UT_OK, or an error after which the
 * caller reads the file again in one part (a's records were appended to the
 * caller's arrays: the caller drops them).
 */
static int
read_split(struct part *a, const char *data, size_t len, size_t split, struct ut_diag *diag)
{
    struct part *b = ut_malloc(sizeof(*b));
    pthread_t tid;
    int err;

    if (b == NULL) {
        return UT_ENOMEM;
    }
    memset(&tid, 0, sizeof(tid));
    err = part_init(b, NULL, a->j, a->convs, 1, data + split, len - split, a->c.sep);
    b->cols = a->cols;
    b->nfields = a->nfields;
    a->c.end = data + split; /* the first part stops at the split */
    if (err == UT_OK && pthread_create(&tid, NULL, part_thread, b) != 0) {
        err = UT_EAGAIN;
    }
    if (err != UT_OK) {
        part_release(b);
        ut_free(b);
        return err;
    }
    part_rows(a, diag);
    pthread_join(tid, NULL);
    err = a->err != UT_OK ? a->err : b->err;
    if (err == UT_OK) {
        err = part_merge(a, b);
    }
    part_release(b);
    ut_free(b);
    return err;
}

/*
 * Read an event file (conversions when convs, else touches) with columns
 * cols into in (and channel names into j). With a single reader this is a
 * plain pass; a large file is tried in two parts first.
 */
static int
read_events(struct ut_event_input *in, struct ut_journeys *j, int convs, struct col *cols,
            size_t ncols, const char *data, size_t len, char sep, struct ut_diag *diag)
{
    struct part *a = NULL;
    struct ut_csv_row row;
    struct ut_diag saved;
    size_t n0 = convs ? in->nconvs : in->ntouches, split = 0;
    int err;

    err = check_sep(sep, diag);
    if (err != UT_OK) {
        return err;
    }
    a = ut_malloc(sizeof(*a));
    if (a == NULL) {
        return UT_ENOMEM;
    }
    err = part_init(a, in, j, convs, 0, data, len, sep);
    if (err == UT_OK) {
        err = read_header(&a->c, cols, ncols, &a->nfields, &row, diag);
    }
    if (err == UT_OK && !convs && cols[TCOL_BY].idx < 0) {
        ut_diag_at(diag, row.line, 1, "no column '%s' in the touch file", cols[TCOL_BY].name);
        ut_diag_field(diag, cols[TCOL_BY].name, strlen(cols[TCOL_BY].name));
        err = UT_EINVAL;
    }
    if (err != UT_OK) {
        goto out;
    }
    a->cols = cols;
    if (data != NULL) {
        split = split_point(data, len, (size_t)(a->c.pos - data));
    }
    if (split != 0) {
        ut_diag_clear(&saved);
        if (diag != NULL) {
            saved = *diag;
        }
        if (read_split(a, data, len, split, diag) == UT_OK) {
            goto out; /* err is UT_OK */
        }
        /* Start over in one part: drop the first part's records, keep its interned names. */
        part_release(a);
        if (convs) {
            in->nconvs = n0;
        } else {
            in->ntouches = n0;
        }
        if (diag != NULL) {
            *diag = saved;
        }
        err = part_init(a, in, j, convs, 0, data, len, sep);
        if (err == UT_OK) {
            err = read_header(&a->c, cols, ncols, &a->nfields, &row, diag);
        }
        if (err != UT_OK) {
            goto out;
        }
        a->cols = cols;
    }
    part_rows(a, diag);
    err = a->err;
out:
    part_release(a);
    ut_free(a);
    return err;
}

int
ut_ingest_touches_csv(struct ut_event_input *in, struct ut_journeys *j, const char *data,
                      size_t len, char sep, const char *by, struct ut_diag *diag)
{
    struct col cols[TCOL_N] = {{"person_id", 1, -1},
                               {"timestamp", 1, -1},
                               {"channel", 1, -1},
                               {by != NULL ? by : "channel", 0, -1}};

    return read_events(in, j, 0, cols, TCOL_N, data, len, sep, diag);
}

int
ut_ingest_conversions_csv(struct ut_event_input *in, const char *data, size_t len, char sep,
                          struct ut_diag *diag)
{
    struct col cols[CCOL_N] = {
        {"person_id", 1, -1}, {"timestamp", 1, -1}, {"value", 0, -1}, {"conversion_id", 0, -1}};

    return read_events(in, NULL, 1, cols, CCOL_N, data, len, sep, diag);
}
