/*
 * util/url.h - a strict, bounded URL parser for tracking URLs and referrers:
 * views into the caller's bytes (never a copy, never a NUL needed), query
 * parameter iteration and percent / '+' decoding into caller buffers. It
 * knows nothing about marketing; it never allocates, prints or normalises
 * paths, and it does not implement the WHATWG URL standard (see ut_url_parse).
 */
#ifndef UT_UTIL_URL_H
#define UT_UTIL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utmost/common.h"

/* Caps: bytes in one URL, parameters in one query, bytes in one host (RFC 1035 + slack). */
#define UT_URL_MAX 8192u
#define UT_URL_PARAMS_MAX 256u
#define UT_URL_HOST_MAX 255u

/* A borrowed byte range; ptr is NULL (and len 0) when the part is absent. */
struct ut_url_part {
    const char *ptr;
    size_t len;
};

enum ut_url_flags {
    /* Accept "example.com/path" and "//example.com/path" (the host must hold a '.'). */
    UT_URL_NO_SCHEME = 1 << 0,
    /* Accept any RFC 3986 scheme followed by "://" (android-app://pkg), not only http(s). */
    UT_URL_ANY_SCHEME = 1 << 1,
};

/*
 * A parsed URL. Parts are views into the parsed input and live as long as it
 * does; host is a lowercased copy (ASCII letters only, bytes >= 0x80 of IDN
 * names kept as they are, one trailing dot removed) so the struct may be
 * copied freely.
 */
struct ut_url {
    struct ut_url_part scheme;   /* as written; absent for scheme-less input */
    struct ut_url_part port;     /* digits only; absent when not written */
    struct ut_url_part path;     /* from the first '/', absent when empty */
    struct ut_url_part query;    /* after '?', without it; absent when there is no '?' */
    struct ut_url_part fragment; /* after '#', without it; absent when there is no '#' */
    uint16_t port_num;           /* 0 when no port was written */
    size_t nparams;              /* non-empty '&'-separated query parameters */
    size_t host_len;
    char host[UT_URL_HOST_MAX + 1]; /* lowercased, NUL-terminated */
};

/*
 * Parse [*cur, end) as one whole URL into *u:
 *   scheme "://" host [":" port] [path] ["?" query] ["#" fragment]
 * The scheme is http or https (any case) unless UT_URL_ANY_SCHEME;
 * UT_URL_NO_SCHEME also accepts input without "scheme://". Rules:
 * - the host is a DNS-ish name (letters, digits, '-', '_', '.', bytes
 *   >= 0x80; no empty label) or a bracketed IPv6 literal; no userinfo ('@');
 * - the port is 1-5 digits, 1..65535;
 * - path and query hold no bytes < 0x21 or 0x7f, and every '%' starts a
 *   valid "%XX" escape; the fragment is only checked for control bytes
 *   (single-page apps put anything there and nothing here reads it);
 * - at most UT_URL_MAX bytes and UT_URL_PARAMS_MAX query parameters.
 * Returns UT_OK (then *cur = end), UT_EPARSE (malformed) or UT_ELIMIT (a cap);
 * on failure *u and *cur are untouched and diag (if not NULL) gets a message
 * and the 1-based byte column. Thread-safe; never allocates.
 */
int ut_url_parse(struct ut_url *u, const char **cur, const char *end, unsigned flags,
                 struct ut_diag *diag);

/*
 * Check a bare query string (no leading '?'): no control bytes or spaces,
 * valid "%XX" escapes, at most UT_URL_PARAMS_MAX parameters. Returns UT_OK
 * and the parameter count in *nparams (if not NULL), UT_EPARSE or UT_ELIMIT.
 */
int ut_query_check(const char *q, size_t len, size_t *nparams, struct ut_diag *diag);

/*
 * Next parameter of the query [*cur, end): parameters are separated by '&',
 * empty ones are skipped, the key runs to the first '=' (a parameter without
 * '=' has an empty, non-NULL value). Key and value are raw (still encoded)
 * views. Returns 1 and advances *cur past the parameter, or 0 at the end
 * (then *cur, *key and *value are untouched). Never fails, never reads past end.
 */
int ut_query_next(const char **cur, const char *end, struct ut_url_part *key,
                  struct ut_url_part *value);

enum ut_url_decode_flags {
    /* '+' means a space (application/x-www-form-urlencoded query values). */
    UT_URL_DECODE_PLUS = 1 << 0,
    /* Reject decoded bytes < 0x20 and 0x7f (%00, %0A...) with UT_EPARSE. */
    UT_URL_DECODE_NO_CTL = 1 << 1,
};

/*
 * Percent-decode s[0..len) into dst (cap bytes) and NUL-terminate it; the
 * decoded length goes to *out_len. Output never exceeds len bytes, so
 * cap >= len + 1 always suffices. Returns UT_OK, UT_EPARSE (a '%' not
 * followed by two hex digits, or a control byte with UT_URL_DECODE_NO_CTL)
 * or UT_ELIMIT (dst too small); dst and *out_len are then unspecified and
 * untouched respectively. Thread-safe.
 */
int ut_url_decode(const char *s, size_t len, char *dst, size_t cap, size_t *out_len,
                  unsigned flags);

/*
 * The host without one leading "www.", "m.", "l." or "lm." label (the
 * mobile and link-shim prefixes of the big sites), as a view into host.
 * The prefix is kept when removing it would leave a name without a dot
 * ("m.com" stays). This is not a public-suffix lookup: "a.example.co.uk"
 * and "b.example.co.uk" stay different, and "www2." is not stripped.
 */
struct ut_url_part ut_url_host_site(const char *host, size_t len);

/* True when hosts a and b are equal after ut_url_host_site, ASCII case-insensitively. */
bool ut_url_same_site(const char *a, size_t alen, const char *b, size_t blen);

#endif /* UT_UTIL_URL_H */
