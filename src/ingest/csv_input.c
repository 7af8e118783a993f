/*
 * ingest/csv_input.c - CSV path files and touch / conversion event files into
 * the engine's inputs. Pure decoding over a buffer in memory: rows come from
 * util/csv.c as views, channel names go through a small direct-mapped cache in
 * front of the interner (a file names few channels millions of times), and
 * every rejected value is reported with its line, column and text.
 */
#include "util/setup.h"

#include "ingest/csv_input.h"

#include <string.h>

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

/* Point a reader at data, which may be NULL when len is 0. */
static int
csv_open(struct ut_csv *c, const char *data, size_t len, char sep, struct ut_diag *diag)
{
    if (sep == '"' || sep == '\n' || sep == '\r') {
        ut_diag_set(diag, "invalid field separator");
        return UT_EINVAL;
    }
    ut_csv_init(c, data != NULL ? data : "", data != NULL ? len : 0, sep);
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

static inline int
intern_cached(struct ut_journeys *j, struct name_cache *nc, const char *s, size_t len, uint32_t *id)
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
    err = ut_journeys_intern(j, s, len, id);
    if (err != UT_OK) {
        return err;
    }
    nc->e[slot].name = ut_journeys_channel_name(j, *id, &nc->e[slot].len);
    nc->e[slot].a = a;
    nc->e[slot].b = b;
    nc->e[slot].id = *id;
    return UT_OK;
}

/* ---- path files ---------------------------------------------------------------------- */

enum { PCOL_PATH, PCOL_CONV, PCOL_NULL, PCOL_VALUE, PCOL_N };

struct path_ctx {
    struct ut_journeys *j;
    struct name_cache cache;
    struct ut_touch *touches;
    size_t cap;
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
        err = intern_cached(pc->j, &pc->cache, name, nlen, &pc->touches[k].channel);
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

static int
path_row(struct path_ctx *pc, const struct col *cols, const struct ut_csv_row *row,
         struct ut_diag *diag)
{
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
    err = ut_journeys_add(pc->j, pc->touches, n, 0.0, conv, nulls, value);
    if (err != UT_OK) {
        ut_diag_at(diag, row->line, 1, "cannot add journey: %s", ut_strerror(err));
    }
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
    struct ut_csv c;
    struct ut_csv_row row;
    size_t nfields = 0;
    int err, rc;

    err = csv_open(&c, data, len, sep, diag);
    if (err != UT_OK) {
        return err;
    }
    pc = ut_calloc(1, sizeof(*pc));
    if (pc == NULL) {
        err = UT_ENOMEM;
        goto out;
    }
    pc->j = j;
    err = read_header(&c, cols, PCOL_N, &nfields, &row, diag);
    if (err != UT_OK) {
        goto out;
    }
    for (;;) {
        rc = next_data_row(&c, nfields, &row, diag);
        if (rc <= 0) {
            break;
        }
        err = path_row(pc, cols, &row, diag);
        if (err != UT_OK) {
            goto out;
        }
    }
    err = rc;
out:
    if (pc != NULL) {
        ut_free(pc->touches);
        ut_free(pc);
    }
    ut_csv_release(&c);
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
 */
struct pmap_slot {
    uint64_t a, b, h;
    uint32_t len;
    uint32_t id1; /* id + 1; 0 = empty */
};

struct person_map {
    struct pmap_slot *slots;
    size_t mask, count;
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
            (e->len <= 16 || memcmp(ut_strtab_get(persons, x->id1 - 1, NULL), s, e->len) == 0)) {
            *id = x->id1 - 1;
            return UT_OK;
        }
    }
    err = pmap_reserve(m, m->count + 1);
    if (err == UT_OK) {
        err = ut_strtab_intern(persons, s, e->len, id);
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

/* ---- touch files --------------------------------------------------------------------- */

enum { TCOL_PERSON, TCOL_TIME, TCOL_CHANNEL, TCOL_BY, TCOL_N };

struct touch_ctx {
    struct ut_event_input *in;
    struct ut_journeys *j;
    struct ut_csv c;
    struct name_cache cache;
    struct person_pipe pipe;
};

static int
touch_row(struct touch_ctx *tc, const struct col *cols, const struct ut_csv_row *row,
          struct ut_diag *diag)
{
    struct ut_event_input *in = tc->in;
    const struct ut_csv_field *fby = req_field(row, &cols[TCOL_BY]);
    const struct ut_csv_field *fch = req_field(row, &cols[TCOL_CHANNEL]);
    const struct ut_csv_field *fperson = req_field(row, &cols[TCOL_PERSON]);
    struct ut_event_touch t;
    const char *p;
    size_t len;
    int err;

    err = field_time(req_field(row, &cols[TCOL_TIME]), row->line, &t.time, diag);
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
    err = intern_cached(tc->j, &tc->cache, p, len, &t.channel);
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
    return pipe_push(&tc->pipe, fperson, row->line, in->ntouches - 1, in_buffer(&tc->c, fperson),
                     diag);
}

int
ut_ingest_touches_csv(struct ut_event_input *in, struct ut_journeys *j, const char *data,
                      size_t len, char sep, const char *by, struct ut_diag *diag)
{
    struct col cols[TCOL_N] = {{"person_id", 1, -1},
                               {"timestamp", 1, -1},
                               {"channel", 1, -1},
                               {by != NULL ? by : "channel", 0, -1}};
    struct touch_ctx *tc = ut_calloc(1, sizeof(*tc));
    struct ut_csv_row row;
    size_t nfields = 0;
    int err, rc;

    if (tc == NULL) {
        return UT_ENOMEM;
    }
    tc->in = in;
    tc->j = j;
    err = csv_open(&tc->c, data, len, sep, diag);
    if (err != UT_OK) {
        ut_free(tc);
        return err;
    }
    err = pipe_init(&tc->pipe, in, 0);
    if (err == UT_OK) {
        err = read_header(&tc->c, cols, TCOL_N, &nfields, &row, diag);
    }
    if (err != UT_OK) {
        goto out;
    }
    if (cols[TCOL_BY].idx < 0) {
        ut_diag_at(diag, row.line, 1, "no column '%s' in the touch file", cols[TCOL_BY].name);
        ut_diag_field(diag, cols[TCOL_BY].name, strlen(cols[TCOL_BY].name));
        err = UT_EINVAL;
        goto out;
    }
    for (;;) {
        rc = next_data_row(&tc->c, nfields, &row, diag);
        if (rc <= 0) {
            break;
        }
        err = touch_row(tc, cols, &row, diag);
        if (err != UT_OK) {
            goto out;
        }
    }
    err = rc == 0 ? pipe_flush(&tc->pipe, diag) : rc;
out:
    pmap_release(&tc->pipe.map);
    ut_csv_release(&tc->c);
    ut_free(tc);
    return err;
}

/* ---- conversion files ---------------------------------------------------------------- */

enum { CCOL_PERSON, CCOL_TIME, CCOL_VALUE, CCOL_ID, CCOL_N };

static int
conversion_row(struct ut_event_input *in, struct person_pipe *pp, const struct ut_csv *c,
               const struct col *cols, const struct ut_csv_row *row, struct ut_diag *diag)
{
    const struct ut_csv_field *fvalue = col_field(row, &cols[CCOL_VALUE]);
    const struct ut_csv_field *fperson = req_field(row, &cols[CCOL_PERSON]);
    struct ut_event_conversion cv;
    int err;

    cv.value = 0.0;
    cv.person = 0; /* set by the pipeline */
    err = field_time(req_field(row, &cols[CCOL_TIME]), row->line, &cv.time, diag);
    if (err == UT_OK && fvalue != NULL) {
        err = field_number(fvalue, row->line, cols[CCOL_VALUE].name, 0, &cv.value, diag);
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
    return pipe_push(pp, fperson, row->line, in->nconvs - 1, in_buffer(c, fperson), diag);
}

int
ut_ingest_conversions_csv(struct ut_event_input *in, const char *data, size_t len, char sep,
                          struct ut_diag *diag)
{
    struct col cols[CCOL_N] = {
        {"person_id", 1, -1}, {"timestamp", 1, -1}, {"value", 0, -1}, {"conversion_id", 0, -1}};
    struct person_pipe *pp = ut_calloc(1, sizeof(*pp));
    struct ut_csv c;
    struct ut_csv_row row;
    size_t nfields = 0;
    int err, rc;

    if (pp == NULL) {
        return UT_ENOMEM;
    }
    err = csv_open(&c, data, len, sep, diag);
    if (err != UT_OK) {
        ut_free(pp);
        return err;
    }
    err = pipe_init(pp, in, 1);
    if (err == UT_OK) {
        err = read_header(&c, cols, CCOL_N, &nfields, &row, diag);
    }
    if (err != UT_OK) {
        goto out;
    }
    for (;;) {
        rc = next_data_row(&c, nfields, &row, diag);
        if (rc <= 0) {
            break;
        }
        err = conversion_row(in, pp, &c, cols, &row, diag);
        if (err != UT_OK) {
            goto out;
        }
    }
    err = rc == 0 ? pipe_flush(pp, diag) : rc;
out:
    pmap_release(&pp->map);
    ut_free(pp);
    ut_csv_release(&c);
    return err;
}
