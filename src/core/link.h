/*
 * core/link.h - the pure parts of tracking links: what a slug, a destination
 * and a label may be, the redirect URL (destination + the link's UTM values
 * + click ids passed through from the incoming request + the click token),
 * and IP truncation for stored clicks. No I/O, clock or randomness: the
 * click token is an input. Thread-safe.
 */
#ifndef UT_CORE_LINK_H
#define UT_CORE_LINK_H

#include <stddef.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/url.h"
#include "utmost/common.h"

#define UT_LINK_SLUG_MAX 64u        /* bytes of a slug: [A-Za-z0-9_-]{1,64} */
#define UT_LINK_DEST_MAX 2048u      /* bytes of a destination URL */
#define UT_LINK_TEXT_MAX 200u       /* bytes of a UTM value or a partner name */
#define UT_LINK_QUERY_MAX 8192u     /* bytes of the incoming request's query */
#define UT_LINK_URL_MAX UT_URL_MAX  /* bytes of a redirect URL (what core/channel.c accepts) */
#define UT_LINK_TOKEN_MAX 64u       /* bytes of a click token */
#define UT_LINK_PASS_VALUE_MAX 512u /* bytes of one passed-through click id value (encoded) */

/* The UTM values a link adds; absent (NULL) or empty values add nothing. */
struct ut_link_utm {
    struct ut_str source, medium, campaign, content, term;
};

/* UT_OK when s[0..len) is 1 to 64 bytes of [A-Za-z0-9_-]; else UT_EINVAL (UT_ELIMIT if longer). */
int ut_link_slug_check(const char *s, size_t len);

/*
 * UT_OK when s[0..len) is an absolute http(s) URL (util/url.h rules: no
 * userinfo, no spaces or control bytes, valid escapes) of at most
 * UT_LINK_DEST_MAX bytes; else UT_EINVAL, UT_ELIMIT or UT_EPARSE with a
 * message in diag (if not NULL).
 */
int ut_link_destination_check(const char *s, size_t len, struct ut_diag *diag);

/*
 * UT_OK when s[0..len) may be a UTM value or partner name: 1 to
 * UT_LINK_TEXT_MAX bytes of valid UTF-8 without control characters; else
 * UT_EINVAL or UT_ELIMIT.
 */
int ut_link_text_check(const char *s, size_t len);

/*
 * Append the redirect URL of a click to out (meant to be empty; its cap
 * bounds the result as well as UT_LINK_URL_MAX):
 *   1. the destination, byte for byte, except that ut_click parameters
 *      already in its query are dropped (the token must be this click's);
 *   2. utm_source, utm_medium, utm_campaign, utm_content, utm_term from utm,
 *      percent-encoded, each only when the destination's query has no
 *      parameter of that name (ASCII case-insensitive): what the destination
 *      already says is kept as is;
 *   3. the click ids of core/channel.h (gclid, fbclid, ttclid, msclkid,
 *      li_fat_id, ...) found in query (the incoming request's raw query,
 *      without '?'), first occurrence of each, key and value as received,
 *      unless the destination has that parameter; a value that is empty,
 *      longer than UT_LINK_PASS_VALUE_MAX, holds bytes other than unreserved,
 *      sub-delims (except '&' and '#'), ':', '@', '/', '?' or a valid "%XX",
 *      or does not fit the cap, is dropped;
 *   4. ut_click=token when token is not empty ([A-Za-z0-9_-], at most
 *      UT_LINK_TOKEN_MAX bytes);
 *   5. the destination's fragment: the parameters always go before '#'.
 * Returns UT_OK; UT_EPARSE when the destination is not an absolute http(s)
 * URL; UT_EINVAL for a bad token; UT_ELIMIT when steps 1, 2 and 4 alone pass
 * the cap; UT_ENOMEM. On failure out's content is unspecified (and its sticky
 * error may be set): discard it.
 */
int ut_link_build_url(struct ut_str destination, const struct ut_link_utm *utm, struct ut_str query,
                      struct ut_str token, struct ut_buf *out);

/* Room for a truncated address: INET6_ADDRSTRLEN. */
#define UT_IP_TRUNC_MAX 46u

/*
 * Truncate a textual IP address for storage: IPv4 keeps its first three
 * octets ("203.0.113.77" -> "203.0.113.0"), IPv6 its first 48 bits
 * ("2001:db8:85a3:8d3:1319:8a2e:370:7348" -> "2001:db8:85a3::"); an
 * IPv4-mapped IPv6 address is treated as IPv4. Writes a NUL-terminated
 * string to out (cap >= UT_IP_TRUNC_MAX always suffices). Returns UT_OK,
 * UT_EPARSE (not an address) or UT_ELIMIT (out too small).
 */
int ut_link_ip_truncate(const char *ip, size_t len, char *out, size_t cap);

#endif /* UT_CORE_LINK_H */
