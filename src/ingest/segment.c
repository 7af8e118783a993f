/*
 * ingest/segment.c - the Segment HTTP Tracking API decoder (contract in
 * segment.h). The bytes are checked before cJSON sees them (UTF-8, then a
 * strict RFC 8259 scan that also bounds nesting), so cJSON only fails on
 * memory; the tree is then checked once for string sizes and duplicate keys,
 * and each event is validated, extracted into the arena and re-printed.
 * Nothing here reads a clock or keeps state between calls.
 */
#include "util/setup.h"

#include "ingest/segment.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "core/money.h"
#include "util/alloc.h"
#include "util/ascii.h"
#include "util/diag.h"
#include "util/num.h"
#include "util/timeparse.h"
#include "util/url.h"

/* cJSON's own nesting cap; a deeper max_depth could never parse. */
#define SEG_DEPTH_CAP 1000u
/* cJSON copies at most 63 bytes of a number before strtod. */
#define SEG_NUMBER_MAX 63
/* Segment's messageId cap. */
#define SEG_MESSAGE_ID_MAX 200
/* Objects with more members than this are checked for duplicate keys by sorting. */
#define SEG_DUP_LINEAR 16

static const struct ut_segment_limits seg_limits_default = UT_SEGMENT_LIMITS_DEFAULT;

/* State of one ut_segment_decode call. */
struct seg {
    const struct ut_segment_limits *lim;
    struct ut_arena *arena;
    struct ut_diag *diag;
    enum ut_event_type path_type; /* 0 for /v1/batch */
    double received_at;
    char received_iso[96]; /* received_at as "YYYY-MM-DDTHH:MM:SS.mmmZ" (room for any int) */
    int in_batch;          /* decoding batch[index]: diag fields get that prefix */
    size_t index;
    const cJSON *batch_context; /* the batch's "context" (non-empty object) or NULL */
    const char *batch_sent_at;  /* the batch's "sentAt" text or NULL */
    double batch_sent;          /* ... parsed */
    char *print;                /* one event's compact JSON: max_event_bytes (ut_malloc'd) */
    const cJSON **keys;         /* members being sorted: a stack shared by nested objects */
    size_t keys_len, keys_cap;
    EVP_MD_CTX *md; /* created on the first derived messageId */
};

/* ==== cJSON allocation hooks ================================================= */

/*
 * While a decode runs on a thread, cJSON's allocations on that thread come
 * from the decode's scratch arena (json_arena): a batch tree is thousands of
 * small blocks, and bump allocation with one release halves the parse time
 * against one ut_malloc per block. Frees of arena blocks are no-ops; the tree
 * dies with the arena, never outliving the call. Outside a decode the hooks
 * are plain ut_malloc / ut_free.
 */
static _Thread_local struct ut_arena *seg_json_arena;
/* Set when a cJSON allocation fails on this thread: tells ENOMEM from bad input. */
static _Thread_local int seg_json_oom;
static pthread_once_t seg_hooks_once = PTHREAD_ONCE_INIT;

static void *
seg_json_malloc(size_t n)
{
    void *p = seg_json_arena != NULL ? ut_arena_alloc(seg_json_arena, n) : ut_malloc(n);

    if (p == NULL) {
        seg_json_oom = 1;
    }
    return p;
}

static void
seg_json_free(void *p)
{
    if (seg_json_arena == NULL) {
        ut_free(p);
    }
}

/*
 * SHA-256 fetched once: OpenSSL 3 otherwise repeats a provider lookup (locks,
 * property queries) inside every EVP_DigestInit_ex(..., EVP_sha256(), ...).
 * Kept for the life of the process; NULL falls back to EVP_sha256().
 */
static EVP_MD *seg_sha256;

static void
seg_install_hooks(void)
{
    cJSON_Hooks hooks = {seg_json_malloc, seg_json_free};

    cJSON_InitHooks(&hooks);
    seg_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

void
ut_segment_init(void)
{
    (void)pthread_once(&seg_hooks_once, seg_install_hooks);
}

/* ==== diagnostics ============================================================== */

static int seg_fail(struct seg *s, int err, const char *field, const char *fmt, ...)
    UT_PRINTF(4, 5);

/*
 * Record err with a message and the field's JSON path: field is relative to
 * the event being decoded (NULL names the event itself), or to the body when
 * no batch element is being decoded. Returns err.
 */
static int
seg_fail(struct seg *s, int err, const char *field, const char *fmt, ...)
{
    char path[sizeof(s->diag->field)];
    va_list ap;
    int n;

    if (s->diag == NULL) {
        return err;
    }
    if (s->in_batch) {
        n = snprintf(path, sizeof(path), "batch[%zu]%s%s", s->index, field != NULL ? "." : "",
                     field != NULL ? field : "");
    } else {
        n = snprintf(path, sizeof(path), "%s", field != NULL ? field : "");
    }
    ut_diag_field(s->diag, path, n < 0 ? 0 : strnlen(path, sizeof(path)));
    va_start(ap, fmt);
    n = vsnprintf(s->diag->msg, sizeof(s->diag->msg), fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->diag->msg[0] = '\0';
    }
    return err;
}

/* The arena refused an allocation: UT_ENOMEM, or UT_ELIMIT when its cap was reached. */
static int
seg_arena_fail(struct seg *s)
{
    int err = ut_arena_err(s->arena);

    if (err != UT_ELIMIT) {
        err = UT_ENOMEM;
    }
    ut_diag_set(s->diag, err == UT_ELIMIT ? "request memory limit reached" : "out of memory");
    return err;
}

/* A cJSON allocation failed: UT_ELIMIT when the scratch arena's cap was the cause. */
static int
seg_json_fail(struct seg *s)
{
    if (ut_arena_err(seg_json_arena) == UT_ELIMIT) {
        ut_diag_set(s->diag, "request too complex (more than %zu bytes of JSON nodes)",
                    seg_json_arena->max);
        return UT_ELIMIT;
    }
    ut_diag_set(s->diag, "out of memory");
    return UT_ENOMEM;
}

/* ==== UTF-8 (RFC 3629) =========================================================== */

/* Offset of the first byte of s[i..len) that is not ASCII, or len; 8 bytes at a time. */
static size_t
seg_ascii_end(const unsigned char *s, size_t i, size_t len)
{
    uint64_t w;

    while (i + 8 <= len) {
        memcpy(&w, s + i, 8);
        if ((w & 0x8080808080808080ULL) != 0) {
            break;
        }
        i += 8;
    }
    while (i < len && s[i] < 0x80) {
        i++;
    }
    return i;
}

/*
 * Offset of the first byte that does not start a valid UTF-8 sequence, or len.
 * Rejects overlong forms, surrogates (U+D800..DFFF), code points past
 * U+10FFFF and truncated sequences. ASCII runs are skipped 8 bytes at a time.
 */
static size_t
seg_utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        unsigned char lo = 0x80, hi = 0xbf;
        size_t need;

        if (c < 0x80) {
            i = seg_ascii_end(s, i, len);
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80; /* overlong below U+0800 */
            hi = c == 0xed ? 0x9f : 0xbf; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            lo = c == 0xf0 ? 0x90 : 0x80; /* overlong below U+10000 */
            hi = c == 0xf4 ? 0x8f : 0xbf; /* past U+10FFFF */
        } else {
            return i; /* continuation byte, C0/C1 or F5..FF */
        }
        if (len - i <= need || s[i + 1] < lo || s[i + 1] > hi) {
            return i;
        }
        for (size_t k = 2; k <= need; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) {
                return i;
            }
        }
        i += need + 1;
    }
    return len;
}

/*
 * Nonzero when one of the 8 bytes in w is '"', '\\' or below 0x20: the bytes
 * a JSON string cannot hold raw. The lowest flagged byte is exact (the
 * carries of the zero-byte trick only mark bytes above a real hit).
 */
static inline uint64_t
json_special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

    return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

/* 1 for the bytes a JSON string may hold raw: not '"', '\\' or a control byte. */
static const unsigned char json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xa0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xb0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xc0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xd0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xe0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xf0 */
};

/*
 * Bytes of s[0..n) before the first one json_special8 flags, 8 at a time;
 * the last n % 8 bytes (and, off little-endian GCC/clang, the 8 holding the
 * hit) are left to the caller's byte loop.
 */
static inline size_t
json_plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w, m;

    while (n - i >= 8) {
        memcpy(&w, s + i, 8);
        m = json_special8(w);
        if (m != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            i += (size_t)__builtin_ctzll(m) / 8;
#endif
            break;
        }
        i += 8;
    }
    return i;
}

/* ==== strict JSON scan (RFC 8259) ================================================= */

/*
 * A syntax check of the whole body before cJSON parses it: cJSON is lenient
 * (it takes "+1", ".5", "01", control characters as whitespace) and cannot
 * tell bad input from a failed allocation, so the scan rules on syntax and
 * cJSON only builds the tree. Recursion is bounded by max_depth.
 */
struct scan {
    const unsigned char *start, *p, *end;
    unsigned max_depth;
    int err;          /* UT_EPARSE or UT_ELIMIT */
    size_t at;        /* byte offset of the problem */
    const char *what; /* static description */
};

static int
scan_fail(struct scan *sc, int err, const unsigned char *at, const char *what)
{
    sc->err = err;
    sc->at = (size_t)(at - sc->start);
    sc->what = what;
    return err;
}

static void
scan_ws(struct scan *sc)
{
    while (sc->p < sc->end &&
           (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\r' || *sc->p == '\t')) {
        sc->p++;
    }
}

static int
scan_digit(const struct scan *sc, const unsigned char *q)
{
    return q < sc->end && *q >= '0' && *q <= '9';
}

static const unsigned char *
scan_digits(const struct scan *sc, const unsigned char *q)
{
    while (scan_digit(sc, q)) {
        q++;
    }
    return q;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? of at most 63 bytes, finite as a double. */
static int
scan_number(struct scan *sc)
{
    const unsigned char *q = sc->p;
    int has_exp = 0;
    double d;

    if (*q == '-') {
        q++;
    }
    if (!scan_digit(sc, q)) {
        return scan_fail(sc, UT_EPARSE, q, "malformed number");
    }
    q = *q == '0' ? q + 1 : scan_digits(sc, q);
    if (q < sc->end && *q == '.') {
        if (!scan_digit(sc, ++q)) {
            return scan_fail(sc, UT_EPARSE, q, "malformed number");
        }
        q = scan_digits(sc, q);
    }
    if (q < sc->end && (*q == 'e' || *q == 'E')) {
        has_exp = 1;
        q++;
        if (q < sc->end && (*q == '+' || *q == '-')) {
            q++;
        }
        if (!scan_digit(sc, q)) {
            return scan_fail(sc, UT_EPARSE, q, "malformed number");
        }
        q = scan_digits(sc, q);
    }
    if (q - sc->p > SEG_NUMBER_MAX) {
        return scan_fail(sc, UT_ELIMIT, sc->p, "number longer than 63 bytes");
    }
    /* Without an exponent 63 digits stay finite; with one, 1e999 would become null. */
    if (has_exp && ut_parse_double((const char *)sc->p, (size_t)(q - sc->p), &d) != UT_OK) {
        return scan_fail(sc, UT_ELIMIT, sc->p, "number out of range");
    }
    sc->p = q;
    return UT_OK;
}

static int
scan_hex4(struct scan *sc, const unsigned char *q, unsigned *out)
{
    unsigned v = 0;

    if (sc->end - q < 4) {
        return scan_fail(sc, UT_EPARSE, sc->end, "unexpected end of input");
    }
    for (int i = 0; i < 4; i++) {
        unsigned c = q[i], d;

        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            d = (c | 0x20) - 'a' + 10;
        } else {
            return scan_fail(sc, UT_EPARSE, q + i, "invalid \\u escape");
        }
        v = v << 4 | d;
    }
    *out = v;
    return UT_OK;
}

/*
 * One escape at sc->p ('\\'). "\u0000" is refused (cJSON strings end at NUL,
 * so the value would be silently cut), as are unpaired surrogates.
 */
static int
scan_escape(struct scan *sc)
{
    const unsigned char *at = sc->p;
    unsigned cp, lo;

    if (sc->end - sc->p < 2) {
        return scan_fail(sc, UT_EPARSE, sc->end, "unexpected end of input");
    }
    if (memchr("\"\\/bfnrt", sc->p[1], 8) != NULL) {
        sc->p += 2;
        return UT_OK;
    }
    if (sc->p[1] != 'u') {
        return scan_fail(sc, UT_EPARSE, at, "invalid escape");
    }
    if (scan_hex4(sc, sc->p + 2, &cp) != UT_OK) {
        return sc->err;
    }
    sc->p += 6;
    if (cp == 0) {
        return scan_fail(sc, UT_EPARSE, at, "\\u0000 is not supported");
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        return scan_fail(sc, UT_EPARSE, at, "unpaired surrogate escape");
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (sc->end - sc->p < 6 || sc->p[0] != '\\' || sc->p[1] != 'u' ||
            scan_hex4(sc, sc->p + 2, &lo) != UT_OK || lo < 0xdc00 || lo > 0xdfff) {
            return scan_fail(sc, UT_EPARSE, at, "unpaired surrogate escape");
        }
        sc->p += 6;
    }
    return UT_OK;
}

/* A string at sc->p ('"'); bytes >= 0x80 were checked as UTF-8 already. */
static int
scan_string(struct scan *sc)
{
    sc->p++;
    for (;;) {
        const unsigned char *end = sc->end;
        const unsigned char *p = sc->p + json_plain_run(sc->p, (size_t)(end - sc->p));

        while (p < end && json_plain[*p]) {
            p++;
        }
        sc->p = p;
        if (sc->p == sc->end) {
            return scan_fail(sc, UT_EPARSE, sc->p, "unterminated string");
        }
        if (*sc->p == '"') {
            sc->p++;
            return UT_OK;
        }
        if (*sc->p != '\\') {
            return scan_fail(sc, UT_EPARSE, sc->p, "control character in string");
        }
        if (scan_escape(sc) != UT_OK) {
            return sc->err;
        }
    }
}

static int scan_value(struct scan *sc, unsigned depth);

/* After a member or element: ',' continues (returns 1), close ends (returns 0), else error. */
static int
scan_next(struct scan *sc, unsigned char close, const char *what)
{
    scan_ws(sc);
    if (sc->p < sc->end && *sc->p == ',') {
        sc->p++;
        scan_ws(sc);
        return 1;
    }
    if (sc->p < sc->end && *sc->p == close) {
        sc->p++;
        return 0;
    }
    return scan_fail(sc, UT_EPARSE, sc->p, what);
}

/* An object or array at sc->p, at nesting depth (the body's own value is depth 1). */
static int
scan_container(struct scan *sc, unsigned depth)
{
    int object = *sc->p == '{', more;
    unsigned char close = object ? '}' : ']';

    if (depth > sc->max_depth) {
        return scan_fail(sc, UT_ELIMIT, sc->p, "nesting too deep");
    }
    sc->p++;
    scan_ws(sc);
    if (sc->p < sc->end && *sc->p == close) {
        sc->p++;
        return UT_OK;
    }
    do {
        if (object) {
            if (sc->p == sc->end || *sc->p != '"') {
                return scan_fail(sc, UT_EPARSE, sc->p, "expected a string key");
            }
            if (scan_string(sc) != UT_OK) {
                return sc->err;
            }
            scan_ws(sc);
            if (sc->p == sc->end || *sc->p != ':') {
                return scan_fail(sc, UT_EPARSE, sc->p, "expected ':'");
            }
            sc->p++;
        }
        if (scan_value(sc, depth) != UT_OK) {
            return sc->err;
        }
        more = scan_next(sc, close, object ? "expected ',' or '}'" : "expected ',' or ']'");
        if (more < 0) {
            return more;
        }
    } while (more);
    return UT_OK;
}

static int
scan_literal(struct scan *sc, const char *lit, size_t n)
{
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0) {
        return scan_fail(sc, UT_EPARSE, sc->p, "unexpected character");
    }
    sc->p += n;
    return UT_OK;
}

/* One value inside depth enclosing containers. */
static int
scan_value(struct scan *sc, unsigned depth)
{
    scan_ws(sc);
    if (sc->p == sc->end) {
        return scan_fail(sc, UT_EPARSE, sc->p, "unexpected end of input");
    }
    switch (*sc->p) {
    case '{':
    case '[':
        return scan_container(sc, depth + 1);
    case '"':
        return scan_string(sc);
    case 't':
        return scan_literal(sc, "true", 4);
    case 'f':
        return scan_literal(sc, "false", 5);
    case 'n':
        return scan_literal(sc, "null", 4);
    default:
        if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9')) {
            return scan_number(sc);
        }
        return scan_fail(sc, UT_EPARSE, sc->p, "unexpected character");
    }
}

/* UTF-8 then JSON syntax and depth of the whole body. */
static int
seg_check_bytes(struct seg *s, const char *body, size_t len)
{
    const unsigned char *b = (const unsigned char *)body;
    struct scan sc = {b, b, b + len, s->lim->max_depth, UT_OK, 0, ""};
    size_t bad = seg_utf8_check(b, len);

    if (bad != len) {
        ut_diag_at(s->diag, 0, bad + 1, "invalid UTF-8 at byte %zu", bad);
        return UT_EPARSE;
    }
    if (sc.max_depth > SEG_DEPTH_CAP) {
        sc.max_depth = SEG_DEPTH_CAP;
    }
    if (scan_value(&sc, 0) == UT_OK) {
        scan_ws(&sc);
        if (sc.p != sc.end) {
            scan_fail(&sc, UT_EPARSE, sc.p, "unexpected data after the JSON value");
        }
    }
    if (sc.err == UT_ELIMIT && strcmp(sc.what, "nesting too deep") == 0) {
        ut_diag_at(s->diag, 0, sc.at + 1, "JSON nested deeper than %u levels at byte %zu",
                   sc.max_depth, sc.at);
    } else if (sc.err == UT_ELIMIT) {
        ut_diag_at(s->diag, 0, sc.at + 1, "%s at byte %zu", sc.what, sc.at);
    } else if (sc.err != UT_OK) {
        ut_diag_at(s->diag, 0, sc.at + 1, "malformed JSON at byte %zu: %s", sc.at, sc.what);
    }
    return sc.err;
}

/* ==== tree checks: string sizes and duplicate keys ================================ */

/* A node's place in the tree, for naming it in diagnostics (lives on the C stack). */
struct path_frame {
    const struct path_frame *up; /* NULL for the body's root */
    const char *key;             /* member name; NULL for an array element */
    size_t index;                /* array index */
};

/* Append f's JSON path ("batch[3].properties.x") to buf[*len..cap). */
static void
path_render(const struct path_frame *f, char *buf, size_t cap, size_t *len)
{
    int n;

    if (f == NULL || f->up == NULL) {
        return;
    }
    path_render(f->up, buf, cap, len);
    if (f->key != NULL) {
        n = snprintf(buf + *len, cap - *len, "%s%s", *len > 0 ? "." : "", f->key);
    } else {
        n = snprintf(buf + *len, cap - *len, "[%zu]", f->index);
    }
    if (n > 0) {
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
    }
}

static int
tree_fail(struct seg *s, int err, const struct path_frame *f, const char *what)
{
    char path[256];
    size_t len = 0;

    path[0] = '\0';
    path_render(f, path, sizeof(path), &len);
    return seg_fail(s, err, path, "%s at '%s'", what, path);
}

/* Push a member onto the shared sort stack. */
static int
keys_push(struct seg *s, const cJSON *it)
{
    if (s->keys_len == s->keys_cap &&
        ut_grow((void **)&s->keys, &s->keys_cap, s->keys_len + 1, sizeof(const cJSON *)) != UT_OK) {
        return UT_ENOMEM;
    }
    s->keys[s->keys_len++] = it;
    return UT_OK;
}

static int
keys_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

    return strcmp(x->string, y->string);
}

/* Sort the n members pushed from base on by key. */
static void
keys_sort(struct seg *s, size_t base, size_t n)
{
    qsort(s->keys + base, n, sizeof(const cJSON *), keys_cmp);
}

/* The first member of obj whose key repeats an earlier one, or NULL. */
static int
find_duplicate(struct seg *s, const cJSON *obj, size_t n, const cJSON **dup)
{
    const cJSON *a, *b;
    size_t base = s->keys_len;

    *dup = NULL;
    if (n <= SEG_DUP_LINEAR) {
        for (a = obj->child; a != NULL && *dup == NULL; a = a->next) {
            for (b = a->next; b != NULL && *dup == NULL; b = b->next) {
                /* first bytes differ for nearly every pair: skip the call */
                *dup = a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0 ? b : NULL;
            }
        }
        return UT_OK;
    }
    cJSON_ArrayForEach(a, obj)
    {
        if (keys_push(s, a) != UT_OK) {
            s->keys_len = base;
            return UT_ENOMEM;
        }
    }
    keys_sort(s, base, n);
    for (size_t i = base + 1; i < base + n && *dup == NULL; i++) {
        *dup = strcmp(s->keys[i - 1]->string, s->keys[i]->string) == 0 ? s->keys[i] : NULL;
    }
    s->keys_len = base;
    return UT_OK;
}

/* Key sizes and duplicate keys of one object. */
static int
check_keys(struct seg *s, const cJSON *obj, const struct path_frame *f)
{
    const cJSON *it, *dup;
    size_t n = 0;

    cJSON_ArrayForEach(it, obj)
    {
        struct path_frame sub = {f, it->string, 0};

        if (strlen(it->string) > s->lim->max_string) {
            return tree_fail(s, UT_ELIMIT, &sub, "key too long");
        }
        n++;
    }
    if (find_duplicate(s, obj, n, &dup) != UT_OK) {
        ut_diag_set(s->diag, "out of memory");
        return UT_ENOMEM;
    }
    if (dup != NULL) {
        struct path_frame sub = {f, dup->string, 0};

        return tree_fail(s, UT_EINVAL, &sub, "duplicate key");
    }
    return UT_OK;
}

/*
 * Every string value and key of the tree at most max_string bytes, no object
 * with a key twice (parsers disagree on which copy wins: what we extract must
 * be what anyone reading the stored body sees).
 */
static int
check_tree(struct seg *s, const cJSON *node, const struct path_frame *f)
{
    const cJSON *it;
    size_t i = 0;
    int err;

    if (cJSON_IsString(node)) {
        if (strlen(node->valuestring) > s->lim->max_string) {
            return tree_fail(s, UT_ELIMIT, f, "string too long");
        }
        return UT_OK;
    }
    if (cJSON_IsObject(node)) {
        err = check_keys(s, node, f);
        if (err != UT_OK) {
            return err;
        }
    }
    cJSON_ArrayForEach(it, node)
    {
        struct path_frame sub = {f, cJSON_IsObject(node) ? it->string : NULL, i++};

        err = check_tree(s, it, &sub);
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* ==== typed member access ============================================================ */

/*
 * obj's member key, null values included (keys are unique: check_tree). The
 * first-byte test spares a strcmp call for nearly every member passed over.
 */
static cJSON *
member_raw(const cJSON *obj, const char *key)
{
    cJSON *it = obj != NULL ? obj->child : NULL;

    for (; it != NULL; it = it->next) {
        if (it->string[0] == key[0] && strcmp(it->string, key) == 0) {
            return it;
        }
    }
    return NULL;
}

/* obj[key], or NULL when obj is NULL, the key is absent or its value is JSON null. */
static cJSON *
member(const cJSON *obj, const char *key)
{
    cJSON *it = member_raw(obj, key);

    return it != NULL && !cJSON_IsNull(it) ? it : NULL;
}

/* The member named by the last component of path ("context.page.url" -> "url"). */
static cJSON *
member_at(const cJSON *obj, const char *path)
{
    const char *dot = strrchr(path, '.');

    return member(obj, dot != NULL ? dot + 1 : path);
}

/* Copy p[0..len) into the arena; an empty value becomes UT_STR_NULL. */
static int
seg_keep(struct seg *s, const char *p, size_t len, struct ut_str *out)
{
    if (len == 0) {
        *out = UT_STR_NULL;
        return UT_OK;
    }
    *out = ut_arena_strdup(s->arena, p, len);
    return out->ptr != NULL ? UT_OK : seg_arena_fail(s);
}

/* An optional object member; *out is NULL when absent. */
static int
get_object(struct seg *s, const cJSON *obj, const char *path, cJSON **out)
{
    cJSON *it = member_at(obj, path);

    if (it != NULL && !cJSON_IsObject(it)) {
        return seg_fail(s, UT_EINVAL, path, "'%s' must be an object", path);
    }
    *out = it;
    return UT_OK;
}

/* An optional string member, copied into the arena ("" counts as absent). */
static int
get_string(struct seg *s, const cJSON *obj, const char *path, struct ut_str *out)
{
    const cJSON *it = member_at(obj, path);

    *out = UT_STR_NULL;
    if (it == NULL) {
        return UT_OK;
    }
    if (!cJSON_IsString(it)) {
        return seg_fail(s, UT_EINVAL, path, "'%s' must be a string", path);
    }
    return seg_keep(s, it->valuestring, strlen(it->valuestring), out);
}

/* k in decimal into buf (at least 21 bytes), NUL-terminated; returns the length. */
static size_t
int_text(int64_t k, char *buf)
{
    uint64_t u = k < 0 ? (uint64_t)0 - (uint64_t)k : (uint64_t)k;
    char tmp[24];
    size_t n = 0, o = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (k < 0) {
        buf[o++] = '-';
    }
    while (n > 0) {
        buf[o++] = tmp[--n];
    }
    buf[o] = '\0';
    return o;
}

/*
 * v as JavaScript's Number.prototype.toString prints it (what Segment stores
 * for a numeric id): plain digits from 1e-7 to 1e21, exponent form outside.
 * buf holds at least 32 bytes. Returns the length.
 */
static size_t
js_number_text(double v, char *buf)
{
    char d[18];
    int neg, e, n, pt, i;
    size_t o = 0;

    if (v >= -9007199254740991.0 && v <= 9007199254740991.0 && v == (double)(int64_t)v) {
        return int_text((int64_t)v, buf); /* exact integers, the common case: no printf */
    }
    n = ut__money_shortest(v, d, &neg, &e);
    pt = e + 1;
    if (neg) {
        buf[o++] = '-';
    }
    if (pt >= n && pt <= 21) {
        for (i = 0; i < pt; i++) {
            buf[o++] = (char)(i < n ? d[i] : '0');
        }
    } else if (pt > 0 && pt <= 21) {
        for (i = 0; i < n; i++) {
            if (i == pt) {
                buf[o++] = '.';
            }
            buf[o++] = d[i];
        }
    } else if (pt > -6 && pt <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (i = pt; i < 0; i++) {
            buf[o++] = '0';
        }
        memcpy(buf + o, d, (size_t)n);
        o += (size_t)n;
    } else {
        int k = snprintf(buf + o, 32 - o, "%c%s%se%c%d", d[0], n > 1 ? "." : "", d + 1,
                         pt - 1 < 0 ? '-' : '+', abs(pt - 1));

        o += k > 0 ? (size_t)k : 0;
    }
    buf[o] = '\0';
    return o;
}

/* An optional id: a string, or a number in its JavaScript decimal text. */
static int
get_id(struct seg *s, const cJSON *obj, const char *path, struct ut_str *out)
{
    const cJSON *it = member_at(obj, path);
    char buf[32];

    *out = UT_STR_NULL;
    if (it == NULL) {
        return UT_OK;
    }
    if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) {
        return seg_keep(s, buf, js_number_text(it->valuedouble, buf), out);
    }
    if (!cJSON_IsString(it)) {
        return seg_fail(s, UT_EINVAL, path, "'%s' must be a string", path);
    }
    return seg_keep(s, it->valuestring, strlen(it->valuestring), out);
}

/* An optional ISO-8601 time member; *has tells whether it was there. */
static int
get_time(struct seg *s, const cJSON *obj, const char *path, double *out, int *has)
{
    const cJSON *it = member_at(obj, path);
    const char *why = NULL;

    *has = 0;
    if (it == NULL) {
        return UT_OK;
    }
    if (!cJSON_IsString(it)) {
        return seg_fail(s, UT_EINVAL, path, "'%s' must be an ISO-8601 string", path);
    }
    if (ut_parse_timestamp_why(it->valuestring, strlen(it->valuestring), out, &why) != UT_OK) {
        return seg_fail(s, UT_EINVAL, path, "'%s' is not a valid timestamp: %s", path,
                        why != NULL ? why : "malformed");
    }
    *has = 1;
    return UT_OK;
}

/* ==== times ============================================================================ */

/*
 * The event time corrected for the client's clock, as Segment computes it:
 * with a sentAt (the event's, else the batch's) and an originalTimestamp
 * (else timestamp), received_at - (sentAt - originalTimestamp): the client's
 * own clock measures how long the event waited, the server's clock says when
 * it arrived. Otherwise timestamp, else originalTimestamp, else received_at.
 * *batch_sent tells that the sentAt used came from the batch.
 */
static int
event_time(struct seg *s, const cJSON *ev, double *out, int *batch_sent)
{
    double ts = 0, orig = 0, sent = 0, t;
    int has_ts = 0, has_orig = 0, has_sent = 0, err;

    err = get_time(s, ev, "timestamp", &ts, &has_ts);
    if (err == UT_OK) {
        err = get_time(s, ev, "originalTimestamp", &orig, &has_orig);
    }
    if (err == UT_OK) {
        err = get_time(s, ev, "sentAt", &sent, &has_sent);
    }
    if (err != UT_OK) {
        return err;
    }
    *batch_sent = !has_sent && s->batch_sent_at != NULL;
    if (*batch_sent) {
        sent = s->batch_sent;
        has_sent = 1;
    }
    if (has_sent && (has_orig || has_ts)) {
        t = s->received_at - (sent - (has_orig ? orig : ts));
    } else {
        t = has_ts ? ts : has_orig ? orig : s->received_at;
    }
    if (!(t >= 0 && t <= UT_TIME_MAX)) {
        return seg_fail(s, UT_EINVAL, has_orig ? "originalTimestamp" : "timestamp",
                        "corrected event time is out of range (sentAt too far from the event)");
    }
    *out = t;
    return UT_OK;
}

/* ==== batch context merge ================================================================= */

/* Put a deep copy of item (with its key) into obj, replacing old when not NULL. */
static int
merge_add(cJSON *obj, cJSON *old, const cJSON *item)
{
    cJSON *dup = cJSON_Duplicate(item, 1);

    if (dup == NULL) {
        return UT_ENOMEM;
    }
    if (old != NULL) {
        /* dup carries item's key, which is old's key too */
        if (!cJSON_ReplaceItemViaPointer(obj, old, dup)) {
            cJSON_Delete(dup);
            return UT_ENOMEM;
        }
        return UT_OK;
    }
    if (!cJSON_AddItemToObject(obj, item->string, dup)) {
        cJSON_Delete(dup);
        return UT_ENOMEM;
    }
    return UT_OK;
}

/* Members of src missing (or null) in dst are copied in; objects on both sides merge. */
static int
merge_defaults(cJSON *dst, const cJSON *src)
{
    const cJSON *item;
    int err = UT_OK;

    cJSON_ArrayForEach(item, src)
    {
        cJSON *have = member_raw(dst, item->string);

        if (have == NULL || cJSON_IsNull(have)) {
            err = merge_add(dst, have, item);
        } else if (cJSON_IsObject(have) && cJSON_IsObject(item)) {
            err = merge_defaults(have, item);
        }
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* The batch "context" as defaults of the event's (created when the event has none). */
static int
merge_batch_context(struct seg *s, cJSON *ev)
{
    cJSON *ctx = member_raw(ev, "context");
    int err;

    if (s->batch_context == NULL) {
        return UT_OK;
    }
    if (ctx != NULL && cJSON_IsObject(ctx)) {
        err = merge_defaults(ctx, s->batch_context);
    } else {
        /* a copy of the batch's member, key "context" included, replaces or adds ev's */
        err = merge_add(ev, ctx, s->batch_context);
    }
    return err != UT_OK ? seg_json_fail(s) : UT_OK;
}

/* ==== derived messageId ===================================================================== */

/*
 * The canonical form hashed for a derived messageId: a tag byte per value
 * ('n' 't' 'f', 'd' + the double's 8 bytes, 's' + length + bytes, '[' +
 * count + elements, '{' + count + members sorted by key), counts and
 * lengths as LEB128 varints. It is independent of whitespace, escapes, number
 * spelling ("1.0" and "1") and key order.
 */
struct hasher {
    EVP_MD_CTX *md;
    int err;
    size_t len;
    unsigned char buf[2048];
};

static void
h_flush(struct hasher *h)
{
    if (h->len != 0 && EVP_DigestUpdate(h->md, h->buf, h->len) != 1) {
        h->err = UT_EINTERNAL;
    }
    h->len = 0;
}

static void
h_put(struct hasher *h, const void *p, size_t n)
{
    if (n > sizeof(h->buf) - h->len) {
        h_flush(h);
        if (n > sizeof(h->buf)) {
            if (EVP_DigestUpdate(h->md, p, n) != 1) {
                h->err = UT_EINTERNAL;
            }
            return;
        }
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
}

/* A tag byte and n as a LEB128 varint (prefix-free, so the encoding stays unambiguous). */
static void
h_tag(struct hasher *h, char tag, uint64_t n)
{
    unsigned char b[11];
    size_t k = 1;

    b[0] = (unsigned char)tag;
    while (n >= 0x80) {
        b[k++] = (unsigned char)(n | 0x80);
        n >>= 7;
    }
    b[k++] = (unsigned char)n;
    h_put(h, b, k);
}

static void
h_str(struct hasher *h, char tag, const char *str)
{
    size_t n = strlen(str);

    h_tag(h, tag, n);
    h_put(h, str, n);
}

/* Top-level members left out of the hash: transport and server fields. */
static int
hash_skip(const char *key)
{
    return strcmp(key, "sentAt") == 0 || strcmp(key, "type") == 0 ||
           strcmp(key, "messageId") == 0 || strcmp(key, "receivedAt") == 0 ||
           strcmp(key, "writeKey") == 0;
}

static int hash_node(struct seg *s, struct hasher *h, const cJSON *node, int top);

static int
hash_object(struct seg *s, struct hasher *h, const cJSON *obj, int top)
{
    size_t base = s->keys_len, n;
    const cJSON *it;
    int err = UT_OK;

    cJSON_ArrayForEach(it, obj)
    {
        if ((!top || !hash_skip(it->string)) && keys_push(s, it) != UT_OK) {
            s->keys_len = base;
            return UT_ENOMEM;
        }
    }
    n = s->keys_len - base;
    keys_sort(s, base, n);
    h_tag(h, '{', n);
    for (size_t i = 0; i < n && err == UT_OK; i++) {
        it = s->keys[base + i]; /* re-read: nested objects may move the stack */
        h_str(h, 'k', it->string);
        err = hash_node(s, h, it, 0);
    }
    s->keys_len = base;
    return err;
}

static int
hash_node(struct seg *s, struct hasher *h, const cJSON *node, int top)
{
    const cJSON *it;
    double d;
    unsigned char b[8];
    int err = UT_OK;

    if (cJSON_IsObject(node)) {
        return hash_object(s, h, node, top);
    }
    if (cJSON_IsArray(node)) {
        h_tag(h, '[', (uint64_t)cJSON_GetArraySize(node));
        for (it = node->child; it != NULL && err == UT_OK; it = it->next) {
            err = hash_node(s, h, it, 0);
        }
    } else if (cJSON_IsString(node)) {
        h_str(h, 's', node->valuestring);
    } else if (cJSON_IsNumber(node)) {
        d = node->valuedouble == 0.0 ? 0.0 : node->valuedouble; /* -0 and 0 alike */
        memcpy(b, &d, sizeof(b));
        h_put(h, "d", 1);
        h_put(h, b, sizeof(b));
    } else {
        h_put(h, cJSON_IsTrue(node) ? "t" : cJSON_IsFalse(node) ? "f" : "n", 1);
    }
    return err;
}

/* "ut-" + hex of the first 128 bits of SHA-256(version, type, canonical event). */
static int
derive_message_id(struct seg *s, const cJSON *ev, enum ut_event_type type, struct ut_str *out)
{
    static const char hex[] = "0123456789abcdef";
    struct hasher h;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    char id[3 + 32];
    int err;

    if (s->md == NULL) {
        s->md = EVP_MD_CTX_new();
        if (s->md == NULL) {
            ut_diag_set(s->diag, "out of memory");
            return UT_ENOMEM;
        }
    }
    if (EVP_DigestInit_ex(s->md, seg_sha256 != NULL ? seg_sha256 : EVP_sha256(), NULL) != 1) {
        ut_diag_set(s->diag, "cannot hash the event");
        return UT_EINTERNAL;
    }
    h.md = s->md;
    h.err = UT_OK;
    h.len = 0;
    h_str(&h, 'v', "utmost-segment-messageid-1");
    h_str(&h, 'y', ut_event_type_name(type));
    err = hash_node(s, &h, ev, 1);
    h_flush(&h);
    if (err == UT_OK && (h.err != UT_OK || EVP_DigestFinal_ex(s->md, digest, &dlen) != 1)) {
        err = UT_EINTERNAL;
    }
    if (err != UT_OK) {
        ut_diag_set(s->diag, err == UT_ENOMEM ? "out of memory" : "cannot hash the event");
        return err;
    }
    memcpy(id, "ut-", 3);
    for (int i = 0; i < 16; i++) {
        id[3 + 2 * i] = hex[digest[i] >> 4];
        id[4 + 2 * i] = hex[digest[i] & 15];
    }
    return seg_keep(s, id, sizeof(id), out);
}

/* ==== extraction ============================================================================ */

/* ut_click from the query of url (percent-decoded); none when absent or malformed. */
static int
url_click_token(struct seg *s, struct ut_str url, struct ut_str *out)
{
    const char *hash = memchr(url.ptr, '#', url.len);
    const char *end = hash != NULL ? hash : url.ptr + url.len;
    const char *q = memchr(url.ptr, '?', (size_t)(end - url.ptr));
    struct ut_url_part k, v;
    size_t n;
    char *dst;

    if (q == NULL) {
        return UT_OK;
    }
    q++;
    while (ut_query_next(&q, end, &k, &v) == 1) {
        if (k.len != 8 || memcmp(k.ptr, "ut_click", 8) != 0 || v.len == 0) {
            continue;
        }
        dst = ut_arena_alloc(s->arena, v.len + 1);
        if (dst == NULL) {
            return seg_arena_fail(s);
        }
        /* A token that does not decode to clean UTF-8 is no token. */
        if (ut_url_decode(v.ptr, v.len, dst, v.len + 1, &n,
                          UT_URL_DECODE_PLUS | UT_URL_DECODE_NO_CTL) == UT_OK &&
            n > 0 && seg_utf8_check((const unsigned char *)dst, n) == n) {
            *out = ut_str_make(dst, n);
        }
        return UT_OK;
    }
    return UT_OK;
}

/* context.page, .ip, .userAgent, .campaign.*, .traits.email. */
static int
event_context(struct seg *s, const cJSON *ev, struct ut_event *e)
{
    cJSON *ctx = member(ev, "context"), *page = NULL, *camp = NULL, *traits = NULL;
    int err = UT_OK;

    err = get_object(s, ctx, "context.page", &page);
    if (err == UT_OK) {
        err = get_object(s, ctx, "context.campaign", &camp);
    }
    if (err == UT_OK) {
        err = get_object(s, ctx, "context.traits", &traits);
    }
    if (err == UT_OK) {
        err = get_string(s, page, "context.page.url", &e->url);
    }
    if (err == UT_OK) {
        err = get_string(s, page, "context.page.referrer", &e->referrer);
    }
    if (err == UT_OK) {
        err = get_string(s, ctx, "context.ip", &e->ip);
    }
    if (err == UT_OK) {
        err = get_string(s, ctx, "context.userAgent", &e->user_agent);
    }
    if (err == UT_OK) {
        err = get_string(s, traits, "context.traits.email", &e->email);
    }
    if (err != UT_OK || camp == NULL) {
        return err;
    }
    err = get_string(s, camp, "context.campaign.source", &e->campaign_source);
    if (err == UT_OK) {
        err = get_string(s, camp, "context.campaign.medium", &e->campaign_medium);
    }
    if (err == UT_OK) {
        err = get_string(s, camp, "context.campaign.name", &e->campaign_name);
    }
    if (err == UT_OK) {
        err = get_string(s, camp, "context.campaign.content", &e->campaign_content);
    }
    if (err == UT_OK) {
        err = get_string(s, camp, "context.campaign.term", &e->campaign_term);
    }
    return err;
}

/*
 * Fields outside context: page calls take properties.url / .referrer over
 * context.page (they describe the page viewed), identify takes traits.email
 * over context.traits.email, and the click token comes from
 * properties.ut_click, else from the page URL.
 */
static int
event_props(struct seg *s, const cJSON *ev, struct ut_event *e)
{
    const cJSON *props = member(ev, "properties"), *traits = member(ev, "traits");
    struct ut_str v;
    int err;

    if (e->type == UT_EVENT_PAGE) {
        err = get_string(s, props, "properties.url", &v);
        e->url = v.ptr != NULL ? v : e->url;
        if (err == UT_OK) {
            err = get_string(s, props, "properties.referrer", &v);
            e->referrer = v.ptr != NULL ? v : e->referrer;
        }
        if (err != UT_OK) {
            return err;
        }
    }
    if (e->type == UT_EVENT_IDENTIFY) {
        err = get_string(s, traits, "traits.email", &v);
        e->email = v.ptr != NULL ? v : e->email;
        if (err != UT_OK) {
            return err;
        }
    }
    err = get_string(s, props, "properties.ut_click", &e->click_token);
    if (err != UT_OK || e->click_token.ptr != NULL || e->url.ptr == NULL) {
        return err;
    }
    return url_click_token(s, e->url, &e->click_token);
}

/* properties.currency: 3 letters, upper-cased; "USD" when absent. */
static int
event_currency(struct seg *s, const cJSON *props, struct ut_event *e, int *exponent)
{
    const cJSON *it = member(props, "currency");
    char up[3];
    size_t n;

    if (it == NULL) {
        e->currency = UT_STR("USD");
        *exponent = 2;
        return UT_OK;
    }
    n = cJSON_IsString(it) ? strlen(it->valuestring) : 0;
    *exponent = cJSON_IsString(it) ? ut_currency_exponent(it->valuestring, n) : -1;
    if (*exponent < 0) {
        return seg_fail(s, UT_EINVAL, "properties.currency",
                        "'properties.currency' must be a 3-letter ISO-4217 code");
    }
    for (size_t i = 0; i < 3; i++) {
        up[i] = (char)ut_ascii_upper((unsigned char)it->valuestring[i]);
    }
    return seg_keep(s, up, 3, &e->currency);
}

/* Track: properties.revenue, else .value, else .total, in minor units of the currency. */
static int
event_revenue(struct seg *s, const cJSON *ev, struct ut_event *e)
{
    static const char *const paths[] = {"properties.revenue", "properties.value",
                                        "properties.total"};
    const cJSON *props = member(ev, "properties"), *it = NULL;
    const char *path = NULL;
    double amount = 0;
    int exponent, err;

    err = event_currency(s, props, e, &exponent);
    for (size_t i = 0; err == UT_OK && it == NULL && i < UT_ARRAY_LEN(paths); i++) {
        path = paths[i];
        it = member_at(props, path);
    }
    if (err != UT_OK || it == NULL) {
        return err;
    }
    if (cJSON_IsNumber(it)) {
        amount = it->valuedouble;
    } else if (!cJSON_IsString(it) ||
               ut_parse_double(it->valuestring, strlen(it->valuestring), &amount) != UT_OK) {
        return seg_fail(s, UT_EINVAL, path, "'%s' must be a number or a numeric string", path);
    }
    err = ut_money_to_minor(amount, exponent, &e->revenue_minor);
    if (err != UT_OK) {
        return seg_fail(s, UT_ELIMIT, path, "'%s' is out of range", path);
    }
    e->has_revenue = 1;
    return UT_OK;
}

/* ==== one event ============================================================================= */

/* The event's type: its "type" (required in a batch) or the path's. */
static int
event_type(struct seg *s, const cJSON *ev, enum ut_event_type *type, int *from_path)
{
    const cJSON *it = member(ev, "type");
    enum ut_event_type t = (enum ut_event_type)0;

    if (it != NULL && !cJSON_IsString(it)) {
        return seg_fail(s, UT_EINVAL, "type", "'type' must be a string");
    }
    if (it != NULL) {
        t = ut_event_type_parse(it->valuestring, strlen(it->valuestring));
        t = t >= UT_EVENT_TRACK && t <= UT_EVENT_ALIAS ? t : (enum ut_event_type)0;
    }
    if (s->path_type == 0 && it == NULL) {
        return seg_fail(s, UT_EINVAL, "type", "'type' is required");
    }
    if (s->path_type == 0 && t == 0) {
        return seg_fail(s, UT_EINVAL, "type",
                        "'type' must be one of track, identify, page, screen, group, alias");
    }
    if (s->path_type != 0 && it != NULL && t != s->path_type) {
        return seg_fail(s, UT_EINVAL, "type", "'type' does not match the endpoint /v1/%s",
                        ut_event_type_name(s->path_type));
    }
    *type = s->path_type != 0 ? s->path_type : t;
    *from_path = it == NULL;
    return UT_OK;
}

/* properties, traits, context and integrations are objects when present. */
static int
event_objects(struct seg *s, const cJSON *ev)
{
    static const char *const names[] = {"properties", "traits", "context", "integrations"};
    cJSON *obj;

    for (size_t i = 0; i < UT_ARRAY_LEN(names); i++) {
        int err = get_object(s, ev, names[i], &obj);

        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* A required id (string or number, not empty). */
static int
get_required_id(struct seg *s, const cJSON *ev, const char *key, struct ut_str *out)
{
    int err = get_id(s, ev, key, out);

    if (err == UT_OK && out->ptr == NULL) {
        return seg_fail(s, UT_EINVAL, key, "'%s' is required", key);
    }
    return err;
}

/* userId / anonymousId, and what each type requires: event, groupId, previousId. */
static int
event_ids(struct seg *s, const cJSON *ev, struct ut_event *e)
{
    const cJSON *name;
    int err = get_id(s, ev, "userId", &e->user_id);

    if (err == UT_OK) {
        err = get_id(s, ev, "anonymousId", &e->anonymous_id);
    }
    if (err == UT_OK && e->user_id.ptr == NULL && e->anonymous_id.ptr == NULL) {
        return seg_fail(s, UT_EINVAL, "userId", "'userId' or 'anonymousId' is required");
    }
    if (err != UT_OK) {
        return err;
    }
    switch (e->type) {
    case UT_EVENT_TRACK:
        name = member(ev, "event");
        if (name == NULL) {
            return seg_fail(s, UT_EINVAL, "event", "'event' is required");
        }
        if (!cJSON_IsString(name)) {
            return seg_fail(s, UT_EINVAL, "event", "'event' must be a string");
        }
        if (name->valuestring[0] == '\0') {
            return seg_fail(s, UT_EINVAL, "event", "'event' must not be empty");
        }
        return seg_keep(s, name->valuestring, strlen(name->valuestring), &e->name);
    case UT_EVENT_PAGE:
    case UT_EVENT_SCREEN:
        return get_string(s, ev, "name", &e->name);
    case UT_EVENT_GROUP:
        return get_required_id(s, ev, "groupId", &e->group_id);
    case UT_EVENT_ALIAS:
        err = get_required_id(s, ev, "previousId", &e->previous_id);
        return err == UT_OK ? get_required_id(s, ev, "userId", &e->user_id) : err;
    default:
        return UT_OK;
    }
}

/* The client's messageId (non-empty, at most 200 bytes) or a derived one; *derived tells. */
static int
event_message_id(struct seg *s, const cJSON *ev, struct ut_event *e, int *derived)
{
    const cJSON *it = member(ev, "messageId");
    size_t n;

    *derived = it == NULL;
    if (it == NULL) {
        return derive_message_id(s, ev, e->type, &e->message_id);
    }
    if (!cJSON_IsString(it)) {
        return seg_fail(s, UT_EINVAL, "messageId", "'messageId' must be a string");
    }
    n = strlen(it->valuestring);
    if (n == 0) {
        return seg_fail(s, UT_EINVAL, "messageId", "'messageId' must not be empty");
    }
    if (n > SEG_MESSAGE_ID_MAX) {
        return seg_fail(s, UT_ELIMIT, "messageId", "'messageId' is longer than %d bytes",
                        SEG_MESSAGE_ID_MAX);
    }
    return seg_keep(s, it->valuestring, n, &e->message_id);
}

/*
 * The stored body is printed here rather than by cJSON_Print*: cJSON 1.7
 * prints a double with 15 digits whenever that reads back within
 * DBL_EPSILON, so 0.30000000000000004 or 12345678901234598760 would be stored
 * as another number. Numbers here are the shortest text that reads back
 * exactly (as JSON.stringify writes them); strings escape only what JSON
 * requires. Output stops at cap: the caller reports the event as too large.
 */
struct pbuf {
    char *p;
    size_t len, cap;
};

static int
pb_put(struct pbuf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        return -1;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* The escape of c (a byte json_plain refuses) into esc; returns its length. */
static size_t
json_escape(unsigned char c, char esc[6])
{
    static const char hex[] = "0123456789abcdef";

    esc[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        esc[1] = (char)c;
        return 2;
    case '\n':
        esc[1] = 'n';
        return 2;
    case '\r':
        esc[1] = 'r';
        return 2;
    case '\t':
        esc[1] = 't';
        return 2;
    default:
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
}

/* s as a JSON string: '"', '\\' and control bytes escaped, UTF-8 as it is. */
static int
print_string(struct pbuf *b, const char *s)
{
    char esc[6];

    if (pb_put(b, "\"", 1) != 0) {
        return -1;
    }
    size_t left = strlen(s);

    for (;;) {
        size_t run = json_plain_run((const unsigned char *)s, left), n;
        unsigned char c;

        while (json_plain[(unsigned char)s[run]]) {
            run++; /* stops at the NUL too */
        }
        left -= run + 1; /* the run and the byte after it (wraps only after the NUL: unused) */
        if (pb_put(b, s, run) != 0) {
            return -1;
        }
        s += run;
        c = (unsigned char)*s++;
        if (c == '\0') {
            return pb_put(b, "\"", 1);
        }
        n = json_escape(c, esc);
        if (pb_put(b, esc, n) != 0) {
            return -1;
        }
    }
}

static int
print_node(struct pbuf *b, const cJSON *node)
{
    const cJSON *it;
    char num[32];
    int object = cJSON_IsObject(node);

    if (cJSON_IsString(node)) {
        return print_string(b, node->valuestring);
    }
    if (cJSON_IsNumber(node)) {
        return pb_put(b, num, js_number_text(node->valuedouble, num));
    }
    if (!object && !cJSON_IsArray(node)) {
        return cJSON_IsTrue(node)    ? pb_put(b, "true", 4)
               : cJSON_IsFalse(node) ? pb_put(b, "false", 5)
                                     : pb_put(b, "null", 4);
    }
    if (pb_put(b, object ? "{" : "[", 1) != 0) {
        return -1;
    }
    cJSON_ArrayForEach(it, node)
    {
        if ((it != node->child && pb_put(b, ",", 1) != 0) ||
            (object && (print_string(b, it->string) != 0 || pb_put(b, ":", 1) != 0)) ||
            print_node(b, it) != 0) {
            return -1;
        }
    }
    return pb_put(b, object ? "}" : "]", 1);
}

/* A member appended to the stored body: ,"key":"value" (value needs no escaping). */
struct body_add {
    const char *key;
    struct ut_str value;
};

/*
 * The stored body: ev's compact JSON (at most max_event_bytes) with the
 * members of add appended before the closing brace. ev always has a member
 * (an id), so each addition starts with a comma.
 */
static int
event_body(struct seg *s, cJSON *ev, const struct body_add *add, size_t nadd, struct ut_event *e)
{
    size_t n, total, o;
    char *p;

    struct pbuf b = {s->print, 0, s->lim->max_event_bytes};

    if (print_node(&b, ev) != 0) {
        return seg_fail(s, UT_ELIMIT, NULL, "event is larger than %zu bytes",
                        s->lim->max_event_bytes);
    }
    n = b.len;
    if (NEVER(n < 2 || s->print[n - 1] != '}')) {
        return seg_fail(s, UT_EINTERNAL, NULL, "cannot print the event");
    }
    total = n + 1;
    for (size_t i = 0; i < nadd; i++) {
        total += 6 + strlen(add[i].key) + add[i].value.len; /* ,"k":"v" */
    }
    p = ut_arena_alloc(s->arena, total);
    if (p == NULL) {
        return seg_arena_fail(s);
    }
    memcpy(p, s->print, n - 1);
    o = n - 1;
    for (size_t i = 0; i < nadd; i++) {
        size_t k = strlen(add[i].key);

        memcpy(p + o, ",\"", 2);
        memcpy(p + o + 2, add[i].key, k);
        memcpy(p + o + 2 + k, "\":\"", 3);
        memcpy(p + o + 5 + k, add[i].value.ptr, add[i].value.len);
        p[o + 5 + k + add[i].value.len] = '"';
        o += 6 + k + add[i].value.len;
    }
    p[o++] = '}';
    p[o] = '\0';
    e->body = ut_str_make(p, o);
    return UT_OK;
}

/* The members appended to e's stored body (see ut_segment_decode); returns their count. */
static size_t
body_additions(const struct seg *s, const struct ut_event *e, int from_path, int batch_sent,
               int derived, struct body_add add[4])
{
    size_t n = 0;

    if (from_path) {
        add[n++] = (struct body_add){"type", ut_str_cstr(ut_event_type_name(e->type))};
    }
    if (batch_sent) {
        add[n++] = (struct body_add){"sentAt", ut_str_cstr(s->batch_sent_at)};
    }
    if (derived) {
        add[n++] = (struct body_add){"messageId", e->message_id};
    }
    add[n++] = (struct body_add){"receivedAt", ut_str_cstr(s->received_iso)};
    return n;
}

/* Validate ev, extract it into e and print its stored body. ev is modified (merge, strip). */
static int
decode_event(struct seg *s, cJSON *ev, struct ut_event *e)
{
    struct body_add add[4];
    size_t nadd = 0;
    int from_path = 0, batch_sent = 0, derived = 0;
    int err;

    memset(e, 0, sizeof(*e));
    e->received_at = s->received_at;
    err = event_type(s, ev, &e->type, &from_path);
    if (err == UT_OK) {
        err = event_objects(s, ev);
    }
    if (err == UT_OK) {
        err = merge_batch_context(s, ev);
    }
    /* Credentials are not stored; receivedAt is the server's to say. Detached
     * nodes live on in the scratch arena, unlinked. */
    (void)cJSON_DetachItemViaPointer(ev, member_raw(ev, "writeKey"));
    (void)cJSON_DetachItemViaPointer(ev, member_raw(ev, "receivedAt"));
    if (err == UT_OK) {
        err = event_ids(s, ev, e);
    }
    if (err == UT_OK) {
        err = event_time(s, ev, &e->timestamp, &batch_sent);
    }
    if (err == UT_OK) {
        err = event_context(s, ev, e);
    }
    if (err == UT_OK) {
        err = event_props(s, ev, e);
    }
    if (err == UT_OK && e->type == UT_EVENT_TRACK) {
        err = event_revenue(s, ev, e);
    }
    if (err == UT_OK) {
        err = event_message_id(s, ev, e, &derived);
    }
    if (err != UT_OK) {
        return err;
    }
    nadd = body_additions(s, e, from_path, batch_sent, derived, add);
    return event_body(s, ev, add, nadd, e);
}

/* ==== requests ================================================================================ */

/* The batch's "sentAt" and "context". */
static int
batch_common(struct seg *s, const cJSON *root)
{
    const cJSON *sent = member(root, "sentAt");
    cJSON *ctx = NULL;
    int has = 0, err;

    err = get_time(s, root, "sentAt", &s->batch_sent, &has);
    if (err == UT_OK) {
        err = get_object(s, root, "context", &ctx);
    }
    if (err != UT_OK) {
        return err;
    }
    /* A valid timestamp holds no '"' or '\\', so it is appended to bodies unescaped. */
    s->batch_sent_at = has ? sent->valuestring : NULL;
    s->batch_context = ctx != NULL && ctx->child != NULL ? ctx : NULL;
    return UT_OK;
}

static int
decode_batch(struct seg *s, cJSON *root, struct ut_segment_batch *out)
{
    cJSON *arr = member(root, "batch"), *it;
    size_t n = 0, size;
    int err;

    if (arr == NULL || !cJSON_IsArray(arr)) {
        return seg_fail(s, UT_EINVAL, "batch",
                        arr == NULL ? "'batch' is required" : "'batch' must be an array");
    }
    cJSON_ArrayForEach(it, arr)
    {
        if (++n > s->lim->max_events) {
            return seg_fail(s, UT_ELIMIT, "batch", "batch holds more than %zu events",
                            s->lim->max_events);
        }
    }
    if (n == 0) {
        return seg_fail(s, UT_EINVAL, "batch", "batch is empty");
    }
    err = batch_common(s, root);
    if (err == UT_OK) {
        err = get_string(s, root, "writeKey", &out->write_key);
    }
    if (err != UT_OK) {
        return err;
    }
    if (ut_size_mul(n, sizeof(*out->events), &size) != 0) {
        return seg_fail(s, UT_ELIMIT, "batch", "batch too large");
    }
    out->events = ut_arena_alloc(s->arena, size);
    if (out->events == NULL) {
        return seg_arena_fail(s);
    }
    s->in_batch = 1;
    for (it = arr->child, s->index = 0; it != NULL; it = it->next, s->index++) {
        if (!cJSON_IsObject(it)) {
            return seg_fail(s, UT_EINVAL, NULL, "batch element must be an object");
        }
        err = decode_event(s, it, &out->events[s->index]);
        if (err != UT_OK) {
            return err;
        }
    }
    s->in_batch = 0;
    out->n = n;
    return UT_OK;
}

static int
decode_single(struct seg *s, cJSON *root, struct ut_segment_batch *out)
{
    int err = get_string(s, root, "writeKey", &out->write_key);

    if (err != UT_OK) {
        return err;
    }
    out->events = ut_arena_alloc(s->arena, sizeof(*out->events));
    if (out->events == NULL) {
        return seg_arena_fail(s);
    }
    out->n = 1;
    return decode_event(s, root, out->events);
}

/* Arguments a caller can get wrong; fills the parts of s that depend on them. */
static int
seg_setup(struct seg *s, enum ut_event_type path_type, const char *body, size_t len,
          double received_at)
{
    size_t cap = path_type == 0 ? s->lim->max_batch_bytes : s->lim->max_event_bytes;

    if ((body == NULL && len != 0) || s->arena == NULL) {
        ut_diag_set(s->diag, "invalid arguments");
        return UT_EINVAL;
    }
    if (path_type != 0 && (path_type < UT_EVENT_TRACK || path_type > UT_EVENT_ALIAS)) {
        ut_diag_set(s->diag, "not a Segment call type");
        return UT_EINVAL;
    }
    if (!(received_at >= 0 && received_at <= UT_TIME_MAX)) {
        ut_diag_set(s->diag, "receive time out of range");
        return UT_EINVAL;
    }
    if (len > cap) {
        ut_diag_set(s->diag, "body of %zu bytes exceeds the limit of %zu", len, cap);
        return UT_ELIMIT;
    }
    (void)ut_format_timestamp(received_at, s->received_iso, UT_TIMESTAMP_MILLIS);
    return UT_OK;
}

/* cJSON builds the tree of a body the scan accepted: failure means memory (or a cJSON limit). */
static int
seg_parse(struct seg *s, const char *body, size_t len, cJSON **root)
{
    const char *end = body;

    seg_json_oom = 0;
    *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (*root == NULL && seg_json_oom) {
        return seg_json_fail(s);
    }
    if (*root == NULL) {
        size_t at = end >= body && end <= body + len ? (size_t)(end - body) : 0;

        ut_diag_at(s->diag, 0, at + 1, "malformed JSON at byte %zu", at);
        return UT_EPARSE;
    }
    if (!cJSON_IsObject(*root)) {
        return seg_fail(s, UT_EINVAL, NULL, "body must be a JSON object");
    }
    return UT_OK;
}

/*
 * Parse, check and decode with cJSON allocating from a scratch arena. A
 * cJSON node is 64 bytes and the densest JSON ("[0,0,...") spends 2 input
 * bytes per node, so 48 bytes per input byte always suffice for the tree; the
 * cap also bounds what merging the batch context into every event can copy.
 */
static int
seg_run(struct seg *s, const char *body, size_t len, struct ut_segment_batch *res)
{
    struct ut_arena json;
    struct path_frame top = {NULL, NULL, 0};
    size_t first = len < 512 ? 4096 : len < ((size_t)1 << 17) ? len * 8 : (size_t)1 << 20;
    size_t cap = len < SIZE_MAX / 64 && s->lim->max_event_bytes < SIZE_MAX / 4
                     ? len * 48 + s->lim->max_event_bytes + 65536
                     : 0;
    cJSON *root = NULL;
    int err;

    ut_arena_init(&json, first, cap);
    seg_json_arena = &json;
    err = seg_parse(s, body, len, &root);
    if (err == UT_OK) {
        err = check_tree(s, root, &top);
    }
    if (err == UT_OK) {
        s->print = ut_arena_alloc(&json, s->lim->max_event_bytes);
        err = s->print != NULL ? UT_OK : seg_json_fail(s);
    }
    if (err == UT_OK) {
        err = s->path_type == 0 ? decode_batch(s, root, res) : decode_single(s, root, res);
    }
    /* The whole tree dies with the arena: no cJSON_Delete walk. */
    seg_json_arena = NULL;
    ut_arena_release(&json);
    return err;
}

int
ut_segment_decode(enum ut_event_type path_type, const char *body, size_t len, double received_at,
                  const struct ut_segment_limits *lim, struct ut_arena *arena,
                  struct ut_segment_batch *out, struct ut_diag *diag)
{
    struct seg s;
    struct ut_segment_batch res = {NULL, 0, UT_STR_NULL};
    int err;

    memset(&s, 0, sizeof(s));
    s.lim = lim != NULL ? lim : &seg_limits_default;
    s.arena = arena;
    s.diag = diag;
    s.path_type = path_type;
    s.received_at = received_at;
    ut_diag_clear(diag);
    if (out == NULL) {
        ut_diag_set(diag, "invalid arguments");
        return UT_EINVAL;
    }
    ut_segment_init();
    err = seg_setup(&s, path_type, body, len, received_at);
    if (err == UT_OK) {
        err = seg_check_bytes(&s, body, len);
    }
    if (err == UT_OK) {
        err = seg_run(&s, body, len, &res);
    }
    if (err == UT_OK) {
        *out = res;
    }
    ut_free(s.keys);
    EVP_MD_CTX_free(s.md);
    return err;
}
